/* spool.h: the one place where files are handed on (DESIGN.md section 3).
 *
 * Every file that appears in a hand-off directory (raw/, mta/, audit/,
 * bad/) or a reader-visible directory (read_path, archive_dir) gets there
 * through this module, and only complete:
 *
 *   create in the stage's private tmp dir -> write -> fsync(file) ->
 *   renameat2(RENAME_NOREPLACE) or link() into place -> fsync(directory)
 *
 * "Already there" (EEXIST) is never an overwrite: it is reported to the
 * caller as SPOOL_EXISTS, which by rule 3 of the protocol means "already
 * done". A caller removes its input only after a function here returned.
 */
#ifndef MCSPOOL_SPOOL_H
#define MCSPOOL_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SPOOL_OK 0
#define SPOOL_EXISTS 1
#define SPOOL_ERR (-1) /* errno is set, and the failed step is in spool_errstep */

#define SPOOL_NAME_MAX 200

/* What failed last (e.g. "fsync", "rename"), for error messages. */
extern const char *spool_errstep;

/* A file being written in a private tmp dir. Writes are buffered
 * (SPOOL_WBUF bytes), so a stage that writes record by record makes one
 * write(2) per buffer, not per record. */
#define SPOOL_WBUF (64 * 1024)
struct spool_file {
	int fd;
	int tmpdir;
	char name[SPOOL_NAME_MAX + 1];
	int err;       /* sticky errno of the first failed write, 0 if none */
	off_t written; /* bytes accepted so far (buffered or on disk) */
	char *wbuf;    /* SPOOL_WBUF bytes, malloc'd by spool_create */
	size_t wlen;   /* bytes waiting in wbuf */
};

/* Names: 1..SPOOL_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.'. */
int spool_name_ok(const char *name);
/* Copy in into out (capacity cap >= 2), replacing any other byte by '_'
 * and a leading '.' by '_'; never empty. Returns out. */
char *spool_name_sanitize(const char *in, char *out, size_t cap);

/* Open (creating it with mode 02770 if missing and create is set) the
 * directory name below parent. shown is the path for messages. Dies with a
 * message naming the path when it is missing, not a directory, or not
 * readable and writable by us. */
int spool_dir(int parent, const char *name, const char *shown, int create);
/* As spool_dir, for an absolute path. */
int spool_dir_path(const char *path, int create);

/* Start a file: tmpdir/name, mode (e.g. 0640). A stale file of that name
 * (left by a killed run of this stage, which holds the stage lock) is
 * removed first. Returns 0 or -1 with errno. */
int spool_create(struct spool_file *f, int tmpdir, const char *name, mode_t mode);
/* Append; a failure is sticky and reported by spool_publish as well (a
 * buffered write may fail only when the buffer is flushed). */
int spool_write(struct spool_file *f, const void *buf, size_t len);
/* fsync, close, move into dstdir/dstname without overwriting, fsync dstdir.
 * Returns SPOOL_OK, SPOOL_EXISTS (the tmp copy is discarded), or SPOOL_ERR
 * (the tmp copy is discarded too; nothing appeared in dstdir). */
int spool_publish(struct spool_file *f, int dstdir, const char *dstname);
/* Start the file over (a download retried from its first byte): empty it,
 * forget buffered bytes and a sticky error. 0 or -1 with errno. */
int spool_rewind(struct spool_file *f);
/* Give up: close and remove the tmp copy. Keeps errno. */
void spool_abort(struct spool_file *f);

/* Move srcdir/name to dstdir/dstname on the same filesystem, never
 * overwriting; then fsync dstdir and srcdir. SPOOL_EXISTS leaves the source
 * in place for the caller to decide. */
int spool_transfer(int srcdir, const char *name, int dstdir, const char *dstname);

/* Copy srcdir/name into dstdir/dstname through stagedir (a private
 * directory on dstdir's filesystem, outside anything a reader watches):
 * copy, fsync, publish. The source is left for the caller to remove after
 * this returned SPOOL_OK or SPOOL_EXISTS. */
int spool_copy(int srcdir, const char *name, int stagedir, int dstdir, const char *dstname);

/* Remove dir/name and fsync dir. A missing file is success (already done). */
int spool_remove(int dir, const char *name);

/* Atomically replace dir/name (a private state file) with buf: write
 * dir/.name.new, fsync, rename over name, fsync dir. */
int spool_replace(int dir, const char *name, const void *buf, size_t len, mode_t mode);

/* Open a directory named by a config setting (key, e.g. "read_path"),
 * never creating it; dies (exit 100) with a message saying what to check
 * when it is missing, not a directory, a symlink, or not readable (and,
 * with writable, writable) by this user. */
int spool_dir_config(const char *key, const char *path, int writable);

/* fsync a directory by fd. */
int spool_syncdir(int dir);

/* Deferred directory syncs, for a stage that hands on many files in one
 * pass. After spool_defer(), spool_publish, spool_transfer and spool_remove
 * note the directories they changed instead of fsyncing each at once, and
 * spool_sync() fsyncs each of them once (and ends the deferral). The order
 * that matters is kept: a spool_remove first makes durable every directory
 * a file was placed in (the removal of an input must not become durable
 * before its outputs), and spool_replace (state) first makes everything
 * pending durable. The directories must stay open until spool_sync().
 * spool_sync returns 0, or SPOOL_ERR with errno. */
void spool_defer(void);
int spool_sync(void);
/* Deferring, remove dir/name at the next spool_sync (or when 64 are
 * queued), after the directories files were placed in are durable: a stage
 * that removes each input after handing on its outputs queues the removal,
 * so a pass costs one fsync of each directory, not two per input. Until
 * then the file is still there (a crash leaves it to be done again, which
 * the hand-off's "already there" makes harmless). Not deferring, the same
 * as spool_remove. 0, or SPOOL_ERR with errno (also for a queued removal
 * that failed, at the call that flushed it). */
int spool_remove_later(int dir, const char *name);
/* Deferring, make durable now every directory a file was placed in (or
 * found already there): for a removal that is not a spool_remove, such as
 * an input moved to bad/ with spool_transfer. 0 or SPOOL_ERR. After a
 * deferred fsync failed, this and every call that depends on durability
 * fail (errno of that fsync) until spool_sync, which reports it too. */
int spool_barrier(void);

#endif
