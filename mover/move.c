/* move.c: the mover's pass. See move.h for the order of work and
 * mcspool-move(8) for the rules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "failpoint.h"
#include "log.h"
#include "move.h"
#include "sandbox.h"
#include "spool.h"
#include "status.h"
#include "state.h"
#include "wake.h"

#define LEDGER "move"
#define LEDGER_KIND "move"
#define LEDGER_VERSION 1
#define STAGE_SUBDIR ".mcspool-tmp"

struct mover {
	const struct config *cfg;
	int readfd, archfd;
	int read_stage, arch_stage; /* staging dirs, -1 when the move is a rename */
	char read_stage_path[PATH_MAX], arch_stage_path[PATH_MAX];
	const char *reader_dir;      /* read_path as the reader names it */
	char consumer_path[PATH_MAX]; /* lr: state_dir/<id>; filebeat: the registry dir */
	size_t pending; /* consumed once, waiting for the confirming scan */
	size_t in_read; /* files left in read_path by the last pass */
	char last_warning[2 * PATH_MAX + 512];
	struct rdset set;
};

static struct mover M;

/* A warning that repeats every pass is logged once, until it changes. */
static void warn_once(const char *msg)
{
	if (strcmp(msg, M.last_warning) == 0)
		return;
	snprintf(M.last_warning, sizeof M.last_warning, "%s", msg);
	log_warn("%s", msg);
}

static dev_t dev_of(int fd, const char *shown)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_sys(EXIT_TEMP, "unable to stat %s", shown);
	return st.st_dev;
}

/* The staging directory for copies into dest (another filesystem than
 * data_dir): the configured one, or .mcspool-tmp next to dest. It must be
 * on dest's filesystem and outside dest. */
static int open_stage(const char *key, const char *configured, const char *dest, int destfd,
		      char *path, size_t cap)
{
	if (configured[0] != '\0') {
		snprintf(path, cap, "%s", configured);
	} else {
		const char *slash = strrchr(dest, '/');
		size_t plen = slash ? (size_t)(slash - dest) : 0;
		if (plen == 0)
			snprintf(path, cap, "/%s", STAGE_SUBDIR);
		else
			snprintf(path, cap, "%.*s/%s", (int)plen, dest, STAGE_SUBDIR);
	}
	size_t dl = strlen(dest);
	if (strcmp(path, dest) == 0 || (strncmp(path, dest, dl) == 0 && path[dl] == '/'))
		die(EXIT_PERM, "%s %s is inside %s, where the reader would see partial files: "
			       "choose a directory outside it", key, path, dest);
	/* Created if missing, through its parent (which must exist). Both
	 * paths are absolute (the config checks), so there is a '/'. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0')
		die(EXIT_PERM, "%s %s: not a directory name (no trailing '/')", key, path);
	const char *base = path + (slash - parent) + 1;
	if (slash == parent)
		slash[1] = '\0'; /* the root */
	else
		*slash = '\0';
	int pfd = spool_dir_config(key, parent, 0);
	int fd = spool_dir(pfd, base, path, 1);
	close(pfd);
	if (dev_of(fd, path) != dev_of(destfd, dest))
		die(EXIT_PERM, "%s %s is not on the same filesystem as %s: the copy must be "
			       "renamed into place (set %s to a directory on that filesystem)",
		    key, path, dest, key);
	return fd;
}

void move_init(struct stage_ctx *ctx)
{
	const struct config *c = ctx->cfg;
	memset(&M, 0, sizeof M);
	M.cfg = c;
	rdset_init(&M.set);
	M.readfd = spool_dir_config("read_path", c->read_path, 1);
	M.archfd = spool_dir_config("archive_dir", c->archive_dir, 1);
	M.read_stage = M.arch_stage = -1;
	/* Decided once, here, by device: never by reacting to EXDEV. */
	if (dev_of(ctx->dirs.mta, "mta/") != dev_of(M.readfd, c->read_path))
		M.read_stage = open_stage("read_stage_dir", c->read_stage_dir, c->read_path, M.readfd,
					  M.read_stage_path, sizeof M.read_stage_path);
	if (dev_of(M.readfd, c->read_path) != dev_of(M.archfd, c->archive_dir))
		M.arch_stage = open_stage("archive_stage_dir", c->archive_stage_dir, c->archive_dir,
					  M.archfd, M.arch_stage_path, sizeof M.arch_stage_path);
	M.reader_dir = c->consumer.reader_path[0] ? c->consumer.reader_path : c->read_path;

	if (c->consumer.type == CONSUMER_LOGRHYTHM) {
		if (c->log_source_id <= 0)
			die(EXIT_PERM, "log_source_id is 0: set it to the id of the MTA log source in "
				       "LogRhythm (the agent keeps its read positions in "
				       "consumer.state_dir/<log_source_id>/)");
		int fd = spool_dir_config("consumer.state_dir", c->consumer.state_dir, 0);
		close(fd);
		snprintf(M.consumer_path, sizeof M.consumer_path, "%s/%ld", c->consumer.state_dir,
			 c->log_source_id);
	} else if (c->consumer.type == CONSUMER_FILEBEAT) {
		int fd = spool_dir_config("consumer.state_dir", c->consumer.state_dir, 0);
		close(fd);
		/* Accept both path.data/registry and path.data/registry/filebeat. */
		char sub[PATH_MAX];
		struct stat st;
		snprintf(sub, sizeof sub, "%s/filebeat/meta.json", c->consumer.state_dir);
		if (stat(sub, &st) == 0)
			snprintf(M.consumer_path, sizeof M.consumer_path, "%s/filebeat",
				 c->consumer.state_dir);
		else
			snprintf(M.consumer_path, sizeof M.consumer_path, "%s", c->consumer.state_dir);
	}
	log_debug("read_path %s (%s), archive_dir %s (%s)", c->read_path,
		  M.read_stage < 0 ? "rename" : "copy", c->archive_dir,
		  M.arch_stage < 0 ? "rename" : "copy");
}

/* No network; the spool directories the mover moves between (all SB_RW:
 * Landlock refuses a rename into a directory that grants more); the
 * reader's state read-only. */
void move_sandbox(struct stage_ctx *ctx)
{
	const struct config *c = M.cfg;
	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "move", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(&sb, ctx->dirs.mta, "mta", SB_RW);
	sandbox_dir(&sb, ctx->dirs.state, "state", SB_RW);
	sandbox_dir(&sb, ctx->dirs.lock, "lock", SB_RW);
	sandbox_dir(&sb, ctx->dirs.tmp, ctx->dirs.tmpname, SB_RW);
	sandbox_dir(&sb, ctx->dirs.status, "status", SB_RW);
	sandbox_dir(&sb, M.readfd, c->read_path, SB_RW);
	sandbox_dir(&sb, M.archfd, c->archive_dir, SB_RW);
	if (M.read_stage >= 0)
		sandbox_dir(&sb, M.read_stage, M.read_stage_path, SB_RW);
	if (M.arch_stage >= 0)
		sandbox_dir(&sb, M.arch_stage, M.arch_stage_path, SB_RW);
	if (c->consumer.type != CONSUMER_QUIET)
		sandbox_path(&sb, c->consumer.state_dir, SB_READ);
	sandbox_enter(c->sandbox, &sb);
}

/* ---- listing -------------------------------------------------------- */

/* Regular files with our names in dir, into set (sorted). -1 on error. */
static int list_dir(int dir, struct rdset *set)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	rdset_clear(set);
	struct rdentry e;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (!spool_name_ok(de->d_name))
			continue; /* dot files, an operator's notes: not ours */
		struct stat st;
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			int er = errno;
			closedir(d);
			errno = er;
			return -1;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		memset(&e, 0, sizeof e);
		strcpy(e.name, de->d_name);
		e.size = st.st_size;
		e.ino = st.st_ino;
		e.dev = st.st_dev;
		e.mtime = st.st_mtim;
		if (rdset_add(set, &e) < 0) {
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
	}
	int er = errno;
	closedir(d);
	if (er != 0) {
		errno = er;
		return -1;
	}
	rdset_sort(set);
	return 0;
}

/* ---- the reader's state ------------------------------------------------ */

static void consumer_scan(struct rdset *set)
{
	const struct config *c = M.cfg;
	char msg[2 * PATH_MAX + 512];
	if (set->n == 0)
		return; /* nothing to ask about */
	if (c->consumer.type == CONSUMER_QUIET) {
		quiet_scan(set, c->consumer.quiet_minutes, time(NULL));
		return;
	}
	int fd = open(M.consumer_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && c->consumer.type == CONSUMER_LOGRHYTHM)
			snprintf(msg, sizeof msg, "%s does not exist yet: the agent has read nothing of "
						  "log source %ld (check log_source_id and the agent's "
						  "log source)", M.consumer_path, c->log_source_id);
		else
			snprintf(msg, sizeof msg, "unable to open the reader's state %s: %s (check "
						  "consumer.state_dir and its permissions)",
				 M.consumer_path, strerror(errno));
		warn_once(msg);
		return;
	}
	if (c->consumer.type == CONSUMER_LOGRHYTHM) {
		long bad = lrpos_scan(fd, M.reader_dir, set);
		if (bad < 0) {
			snprintf(msg, sizeof msg, "unable to list %s: %s", M.consumer_path, strerror(errno));
			warn_once(msg);
			for (size_t i = 0; i < set->n; i++)
				set->e[i].have_pos = 0;
		} else if (bad > 0) {
			log_debug("%ld .pos file(s) in %s are incomplete or unreadable: not read",
				  bad, M.consumer_path);
		}
	} else if (fbreg_scan(fd, M.consumer_path, M.reader_dir, c->consumer.reader_path[0] == '\0',
			      set) < 0) {
		for (size_t i = 0; i < set->n; i++)
			set->e[i].have_pos = 0;
	}
	close(fd);
	for (size_t i = 0; i < set->n; i++) {
		const struct rdentry *e = &set->e[i];
		if (e->have_pos && e->pos > e->size) {
			snprintf(msg, sizeof msg, "the reader's position in %s (%lld) is beyond its "
						  "size (%lld): not archiving it (was it changed?)",
				 e->name, (long long)e->pos, (long long)e->size);
			warn_once(msg);
		}
		if (e->ambiguous) {
			snprintf(msg, sizeof msg, "read_path holds names that differ only in case "
						  "(%s): the reader cannot tell them apart, not archiving them",
				 e->name);
			warn_once(msg);
		}
	}
}

/* ---- the ledger: what the previous scan found consumed ------------------ */

/* 0, or -1 when b is full (a ledger is bounded by STATE_MAX_BYTES; what
 * does not fit is recorded by a later scan: it only delays archiving). */
static int ledger_line(struct buf *b, const struct rdentry *e)
{
	return buf_printf(b, "%s %lld %llu %llu %lld %ld\n", e->name, (long long)e->size,
			  (unsigned long long)e->ino, (unsigned long long)e->dev,
			  (long long)e->mtime.tv_sec, (long)e->mtime.tv_nsec);
}

/* The previous scan's ledger as sorted lines, for binary search: a pass
 * over n files costs n log n, not n squared. */
struct ledger {
	const char **line; /* into the loaded buffer, each ending in '\n' */
	size_t n;
};

static int cmp_line(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	for (; *x == *y && *x != '\n'; x++, y++)
		;
	return (unsigned char)*x - (unsigned char)*y;
}

static void ledger_index(struct ledger *l, const struct buf *prev)
{
	l->n = 0;
	l->line = NULL;
	size_t cap = 0;
	for (const char *p = prev->p; p != NULL && p < prev->p + prev->len;) {
		const char *nl = memchr(p, '\n', (size_t)(prev->p + prev->len - p));
		if (nl == NULL)
			break; /* a torn last line is not a record */
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			const char **q = realloc(l->line, cap * sizeof *q);
			if (q == NULL)
				die(EXIT_TEMP, "out of memory reading state/%s", LEDGER);
			l->line = q;
		}
		l->line[l->n++] = p;
		p = nl + 1;
	}
	if (l->n > 0)
		qsort(l->line, l->n, sizeof *l->line, cmp_line);
}

/* Was e (same size, inode, device, mtime) consumed in the previous scan? */
static int ledger_has(const struct ledger *l, const struct rdentry *e)
{
	struct buf one;
	buf_init(&one, 1024);
	if (ledger_line(&one, e) < 0)
		die(EXIT_TEMP, "out of memory");
	const char *key = one.p;
	int found = l->n > 0 && bsearch(&key, l->line, l->n, sizeof *l->line, cmp_line) != NULL;
	buf_free(&one);
	return found;
}

/* ---- moving ------------------------------------------------------------- */

/* Is dir/name there? When it is, it may be a killed run's file whose name
 * is not durable yet, and the caller removes its source next: dir is
 * fsynced first (a rare path). */
static int exists(int dir, const char *name, const char *shown)
{
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (spool_syncdir(dir) < 0)
			die_sys(exit_code_for_errno(errno), "unable to fsync %s", shown);
		return 1;
	}
	if (errno != ENOENT)
		die_sys(exit_code_for_errno(errno), "unable to stat %s/%s", shown, name);
	return 0;
}

static void remove_or_die(int dir, const char *shown, const char *name)
{
	if (spool_remove(dir, name) < 0)
		die_sys(exit_code_for_errno(errno), "unable to remove %s/%s (%s)", shown, name,
			spool_errstep);
}

/* src/name -> dst/name, by rename or through stage. Dies on failure.
 * Returns SPOOL_OK, or SPOOL_EXISTS (dst/name was there: the source is
 * removed, nothing was handed on). */
static int hand_on(int src, const char *srcshown, int stage, int dst, const char *dstshown,
		    const char *name, const char *what)
{
	int r = stage < 0 ? spool_transfer(src, name, dst, name)
			  : spool_copy(src, name, stage, dst, name);
	if (r == SPOOL_ERR)
		die_sys(exit_code_for_errno(errno), "unable to %s %s/%s into %s (%s)", what, srcshown,
			name, dstshown, spool_errstep);
	failpoint(stage < 0 ? "move-renamed" : "move-copied");
	if (r == SPOOL_EXISTS)
		log_warn("%s/%s is already there (handed on by an interrupted run, or put there by "
			 "hand): keeping it, removing %s/%s", dstshown, name, srcshown, name);
	if (stage >= 0 || r == SPOOL_EXISTS) {
		remove_or_die(src, srcshown, name);
		failpoint("move-source-removed");
	}
	return r;
}

/* Returns 1 when e went to archive_dir, 0 when it was there already. */
static int archive_one(const struct rdentry *e)
{
	const struct config *c = M.cfg;
	failpoint("move-archive-start");
	/* Already archived (a copy killed before it removed its source, or a
	 * file put there by hand): a rename refuses the name by itself (and
	 * hand_on removes the source and says so); a copy looks first, not to
	 * copy for nothing. */
	if (M.arch_stage >= 0 && exists(M.archfd, e->name, c->archive_dir)) {
		log_info("%s is already in archive_dir: removing the duplicate from read_path",
			 e->name);
		remove_or_die(M.readfd, c->read_path, e->name);
		return 0;
	}
	if (hand_on(M.readfd, c->read_path, M.arch_stage, M.archfd, c->archive_dir, e->name,
		    "archive") == SPOOL_EXISTS)
		return 0;
	/* Retention counts from archiving (a copy already has a fresh mtime). */
	if (M.arch_stage < 0 && utimensat(M.archfd, e->name, NULL, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != ENOENT)
		log_warn_sys("unable to set the time of %s/%s (retention counts from delivery)",
			     c->archive_dir, e->name);
	log_debug("archived %s (%lld bytes, read to the end)", e->name, (long long)e->size);
	status_count("archived", 1);
	return 1;
}

/* Archive what two consecutive scans found consumed; record the rest of
 * what this scan found. Returns the number of files that left read_path. */
static size_t archive(struct stage_ctx *ctx, struct rdset *set)
{
	struct buf prev, next;
	buf_init(&prev, STATE_MAX_BYTES);
	buf_init(&next, STATE_MAX_BYTES);
	int version;
	if (state_load(ctx->dirs.state, LEDGER, LEDGER_KIND, LEDGER_VERSION, &prev, &version) == 1)
		buf_reset(&prev);
	struct ledger led;
	ledger_index(&led, &prev);
	size_t gone = 0, archived = 0;
	long long bytes = 0;
	M.pending = 0;
	for (size_t i = 0; i < set->n && !wake_stopping(); i++) {
		struct rdentry *e = &set->e[i];
		if (!rdset_consumed(e))
			continue;
		if (ledger_has(&led, e)) {
			if (archive_one(e)) {
				archived++;
				bytes += (long long)e->size;
			}
			gone++;
			e->name[0] = '\0'; /* no longer in read_path */
			continue;
		}
		size_t keep = next.len;
		if (ledger_line(&next, e) < 0)
			next.len = keep; /* full: this one waits for a later scan */
		M.pending++;
	}
	if (next.len != prev.len || (next.len > 0 && memcmp(next.p, prev.p, next.len) != 0)) {
		if (state_save(ctx->dirs.state, LEDGER, LEDGER_KIND, LEDGER_VERSION,
			       next.p ? next.p : "", next.len) < 0)
			die_sys(exit_code_for_errno(errno), "unable to save state/%s (%s)", LEDGER,
				spool_errstep);
		failpoint("move-ledger-saved");
	}
	/* One line a pass, not one a file (-v, debug, names each file). */
	if (archived > 0)
		log_info("archived %zu file%s (%lld bytes), each read to the end", archived,
			 archived == 1 ? "" : "s", bytes);
	free(led.line);
	buf_free(&prev);
	buf_free(&next);
	return gone;
}

struct queued {
	char name[SPOOL_NAME_MAX + 1];
	struct timespec mtime;
	off_t size;
};

static int cmp_queued(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* mta/ once, sorted once: oldest first. Returns the count; *out malloc'd. */
static size_t list_mta(int mta, struct queued **out)
{
	int fd = openat(mta, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die_sys(EXIT_TEMP, "unable to list mta/");
	size_t n = 0, cap = 0;
	struct queued *q = NULL;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (!spool_name_ok(de->d_name))
			continue;
		struct stat st;
		if (fstatat(mta, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			die_sys(EXIT_TEMP, "unable to stat mta/%s", de->d_name);
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct queued *p = realloc(q, cap * sizeof *q);
			if (p == NULL)
				die(EXIT_TEMP, "out of memory listing mta/");
			q = p;
		}
		strcpy(q[n].name, de->d_name);
		q[n].mtime = st.st_mtim;
		q[n].size = st.st_size;
		n++;
	}
	if (errno != 0)
		die_sys(EXIT_TEMP, "unable to list mta/");
	closedir(d);
	if (n > 1)
		qsort(q, n, sizeof *q, cmp_queued);
	*out = q;
	return n;
}

/* Fill read_path up to max_files. Returns how many were delivered. */
static size_t fill(struct stage_ctx *ctx, size_t in_read)
{
	const struct config *c = M.cfg;
	if (in_read >= (size_t)c->max_files)
		return 0; /* full: not even a scan of mta/ */
	size_t room = (size_t)c->max_files - in_read, done = 0;
	struct queued *q;
	size_t n = list_mta(ctx->dirs.mta, &q);
	for (size_t i = 0; i < n && done < room && !wake_stopping(); i++) {
		const char *name = q[i].name;
		failpoint("move-deliver-start");
		/* A rename refuses an existing name by itself (hand_on then
		 * removes the source), so only a copy, which would be wasted,
		 * looks first: one lookup fewer per file on the common path. */
		if (M.read_stage >= 0 && exists(M.readfd, name, c->read_path)) {
			log_info("mta/%s is already in read_path (delivered by an interrupted run): "
				 "removing mta/%s", name, name);
			remove_or_die(ctx->dirs.mta, "mta", name);
			continue;
		}
		if (exists(M.archfd, name, c->archive_dir)) {
			log_warn("mta/%s is already in archive_dir (delivered and read before): "
				 "removing it, not delivering it twice", name);
			remove_or_die(ctx->dirs.mta, "mta", name);
			continue;
		}
		/* The delivery time becomes the mtime (consumer quiet counts from it). */
		if (M.read_stage < 0 && utimensat(ctx->dirs.mta, name, NULL, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			die_sys(exit_code_for_errno(errno), "unable to set the time of mta/%s", name);
		}
		if (hand_on(ctx->dirs.mta, "mta", M.read_stage, M.readfd, c->read_path, name,
			    "deliver") == SPOOL_EXISTS)
			continue;
		log_debug("delivered %s", name);
		status_count("files", 1);
		status_count("bytes", (long long)q[i].size);
		done++;
	}
	free(q);
	return done;
}

/* Left in a staging directory by a killed run: only the mover writes there,
 * under its lock. */
static void clean_stage(int dir, const char *shown)
{
	if (dir < 0)
		return;
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die_sys(EXIT_TEMP, "unable to list %s", shown);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!spool_name_ok(de->d_name) ||
		    fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dir, de->d_name, 0) < 0 && errno != ENOENT)
			die_sys(exit_code_for_errno(errno), "unable to remove %s/%s", shown, de->d_name);
		log_info("removed %s/%s, left by an interrupted copy", shown, de->d_name);
	}
	closedir(d);
}

/* The pass's renames are made durable together (spool_defer): one fsync of
 * each directory per pass instead of two per file. */
static void sync_pass(void)
{
	if (spool_sync() < 0)
		die_sys(exit_code_for_errno(errno), "unable to make this pass's moves durable (%s)",
			spool_errstep);
}

int move_pass(struct stage_ctx *ctx)
{
	const struct config *c = M.cfg;
	spool_defer();
	/* We hold the lock: whatever a staging directory holds now was left by
	 * a killed run (this process's or one run by hand). */
	clean_stage(M.read_stage, M.read_stage_path);
	clean_stage(M.arch_stage, M.arch_stage_path);
	if (list_dir(M.readfd, &M.set) < 0)
		die_sys(exit_code_for_errno(errno), "unable to list read_path %s", c->read_path);
	consumer_scan(&M.set);
	size_t gone = archive(ctx, &M.set);
	size_t in_read = M.set.n - gone;
	if (wake_stopping()) {
		sync_pass();
		return STAGE_IDLE;
	}
	size_t added = fill(ctx, in_read);
	M.in_read = in_read + added;
	sync_pass();
	return STAGE_IDLE;
}

long move_interval(struct stage_ctx *ctx)
{
	(void)ctx;
	if (M.pending > 0)
		return 2; /* the confirming scan */
	if (M.in_read > 0)
		return 15; /* the reader is at work: look again soon */
	return 300;
}
