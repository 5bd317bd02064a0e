/* reader.h: what the SIEM's reader has consumed (DESIGN.md section 5).
 *
 * The mover archives a file from read_path only when its reader has read
 * all of it; the reaper deletes an audit file only when the audit log
 * source has. Both ask the same readers:
 *   lrpos.c  the LogRhythm System Monitor agent's .pos files
 *   fbreg.c  the Filebeat registry (log.json replayed over its snapshot)
 *   quiet.c  no state: unchanged for quiet_minutes
 * through a set of the files listed in the directory (rdset.c) and the
 * reader's own names for them (rpath.c: POSIX or Windows paths).
 */
#ifndef MCSPOOL_READER_H
#define MCSPOOL_READER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "spool.h"

/* One file in read_path, as listed by a pass. */
struct rdentry {
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

struct rdset {
	struct rdentry *e;
	size_t n, cap;
};

void rdset_init(struct rdset *s);
void rdset_free(struct rdset *s);
void rdset_clear(struct rdset *s);
/* Append a copy of e; 0 or -1 (ENOMEM). */
int rdset_add(struct rdset *s, const struct rdentry *e);
/* Sort by name (call once after adding). */
void rdset_sort(struct rdset *s);
/* Index of name; fold: compare ASCII case-insensitively (a Windows
 * reader). -1 absent, -2 more than one file matches ignoring case. */
long rdset_find(const struct rdset *s, const char *name, int fold);
/* The reader reports position pos for entry i (several reports: the
 * furthest counts). */
void rdset_report(struct rdset *s, long i, off_t pos);
/* Consumed: the reader's state names the file and its offset equals the size. */
int rdset_consumed(const struct rdentry *e);

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
long lrpos_scan(int dir, const char *reader_dir, struct rdset *set);
/* Read one .pos file dir/name into p: 0, or -1 (unreadable or not valid). */
int lrpos_read(int dir, const char *name, struct lrpos *p);

/* Filebeat registry (fbreg.c): replay the snapshot and log.json of the
 * registry directory dirfd into set. 0, or -1 with a warning logged
 * (nothing more is reported then than what was read before the error). */
struct fbreg;
int fbreg_scan(int dirfd, const char *shown, const char *reader_dir, int check_inode,
	       struct rdset *set);
/* The push interface fbreg_scan uses (and the fuzz harness). */
struct fbreg *fbreg_new(struct rdset *set, const char *reader_dir, int check_inode);
int fbreg_snap_feed(struct fbreg *r, const char *p, size_t n);
int fbreg_snap_end(struct fbreg *r);
int fbreg_log_feed(struct fbreg *r, const char *p, size_t n);
int fbreg_log_end(struct fbreg *r);
const char *fbreg_error(const struct fbreg *r);
void fbreg_free(struct fbreg *r);

/* quiet (quiet.c): report every file whose mtime is at least minutes old
 * (the mover stamps the mtime when it delivers) as read to the end. */
void quiet_scan(struct rdset *set, long minutes, time_t now);

#endif
