/* move.h: mcspool-move internals (mta/ -> read_path -> archive_dir).
 *
 * A pass (move_pass) does, in this order:
 *   1. list read_path once;
 *   2. ask the consumer's state which of those files the reader has
 *      consumed (logrhythm .pos files, the Filebeat registry, or quiet);
 *   3. archive the files found consumed by this scan AND by the previous
 *      one (the ledger state/move remembers the previous scan);
 *   4. list mta/ once, sort it once (oldest first) and move as many files
 *      as fit under max_files into read_path.
 * A name already present at the destination is a duplicate left by a
 * crash: the source is removed, never delivered twice.
 */
#ifndef MCSPOOL_MOVE_H
#define MCSPOOL_MOVE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "spool.h"
#include "stage.h"

/* One file in read_path, as listed by a pass. */
struct move_entry {
	char name[SPOOL_NAME_MAX + 1];
	off_t size;
	ino_t ino;
	dev_t dev;
	struct timespec mtime;
	int have_pos; /* the reader's state has an entry for this file */
	off_t pos;    /* ... and this is how far it has read */
	int ambiguous;
	char *fbkey;  /* filebeat: the registry key that set pos */
};

struct move_set {
	struct move_entry *e;
	size_t n, cap;
};

void move_set_init(struct move_set *s);
void move_set_free(struct move_set *s);
void move_set_clear(struct move_set *s);
/* Append a copy of e; 0 or -1 (ENOMEM). */
int move_set_add(struct move_set *s, const struct move_entry *e);
/* Sort by name (call once after adding). */
void move_set_sort(struct move_set *s);
/* Index of name; fold: compare ASCII case-insensitively (a Windows
 * reader). -1 absent, -2 more than one file matches ignoring case. */
long move_set_find(const struct move_set *s, const char *name, int fold);
/* The reader reports position pos for entry i (several reports: the
 * furthest counts). */
void move_set_report(struct move_set *s, long i, off_t pos);
/* Consumed: the reader's state names the file and its offset equals the size. */
int move_entry_consumed(const struct move_entry *e);

/* Reader paths (rpath.c). dir is a directory as the reader names it (a
 * POSIX path, or a Windows path: D:\x, \\host\share\x, \\?\...); path is a
 * file path from the reader's state. If path names a file directly inside
 * dir, copy its last component into name and return 1 (*fold set when the
 * comparison is case-insensitive, i.e. Windows); else 0. */
int rpath_in_dir(const char *dir, const char *path, char *name, size_t cap, int *fold);

/* LogRhythm .pos files (lrpos.c). */
#define LRPOS_PATH_MAX 4096
#define LRPOS_FILE_MAX 16384 /* a .pos larger than this is not a .pos */
struct lrpos {
	char path[LRPOS_PATH_MAX + 1];
	unsigned long long offset;
	unsigned long long ticks;
};
/* Parse one .pos file's bytes: line 1 the path, line 2 the byte offset,
 * line 3 .NET ticks. 0 when complete and well formed, -1 otherwise (a
 * missing, half-written or foreign file is "not read"). */
int lrpos_parse(const char *buf, size_t len, struct lrpos *p);
/* Read every *.pos in dir (an open directory) and report the files of
 * reader_dir into set. Returns the number of .pos files that did not
 * parse, or -1 if dir could not be listed (errno set). */
long lrpos_scan(int dir, const char *reader_dir, struct move_set *set);
/* Read one .pos file dir/name into p: 0, or -1 (unreadable or not valid). */
int lrpos_read(int dir, const char *name, struct lrpos *p);

/* Filebeat registry (fbreg.c): replay the snapshot and log.json of the
 * registry directory dirfd into set. 0, or -1 with a warning logged
 * (nothing more is reported then than what was read before the error). */
struct fbreg;
int fbreg_scan(int dirfd, const char *shown, const char *reader_dir, int check_inode,
	       struct move_set *set);
/* The push interface fbreg_scan uses (and the fuzz harness). */
struct fbreg *fbreg_new(struct move_set *set, const char *reader_dir, int check_inode);
int fbreg_snap_feed(struct fbreg *r, const char *p, size_t n);
int fbreg_snap_end(struct fbreg *r);
int fbreg_log_feed(struct fbreg *r, const char *p, size_t n);
int fbreg_log_end(struct fbreg *r);
const char *fbreg_error(const struct fbreg *r);
void fbreg_free(struct fbreg *r);

/* quiet (quiet.c): report every file whose mtime is at least minutes old
 * (the mover stamps the mtime when it delivers) as read to the end. */
void quiet_scan(struct move_set *set, long minutes, time_t now);

/* dirs.c: open a configured directory (key names the setting), dying
 * with a message that says what to check. */
int move_open_dir(const char *key, const char *path, int writable);

/* The stage (move.c). */
void move_init(struct stage_ctx *ctx);
void move_sandbox(struct stage_ctx *ctx);
int move_pass(struct stage_ctx *ctx);
long move_interval(struct stage_ctx *ctx);

#endif
