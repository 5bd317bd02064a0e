/* reap.c: the reaper's pass. See reap.h and mcspool-reap(8).
 *
 * Writer timeout. A temporary in data_dir/tmp/<stage>/ belongs to a live
 * writer only while that writer holds lock/<stage> (every stage writes
 * temporaries during a pass, under its lock) and keeps writing to it. The
 * slowest writer is the fetcher, whose whole request is capped at
 * mimecast.timeout seconds (default 3600); so the writer timeout is
 * mimecast.timeout, and, as qmail-clean does with its 36 hours, we only
 * remove temporaries whose mtime is older than twice that, and only while
 * we hold the owning stage's lock ourselves (so no writer is mid-file).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failpoint.h"
#include "lock.h"
#include "log.h"
#include "reader.h"
#include "reap.h"
#include "sandbox.h"
#include "spool.h"
#include "status.h"
#include "wake.h"

struct reaper {
	const struct config *cfg;
	int archfd, tmpfd;
	int logfd[CONFIG_MAX_LOGDIRS];
	int audit_consumer;            /* the audit log source's .pos files are known */
	char audit_state[PATH_MAX];    /* state_dir/<audit_log_source_id> */
	char audit_reader_dir[PATH_MAX];
	char audit_shown[PATH_MAX];
};

static struct reaper R;

long reap_writer_timeout(const struct config *c)
{
	return c->mimecast.timeout;
}

int reap_is_log_archive(const char *name)
{
	size_t n = strlen(name);
	if (n < 4 || name[0] != '@' || name[n - 2] != '.' || (name[n - 1] != 's' && name[n - 1] != 'u'))
		return 0;
	/* svlogd and s6-log name archives @<TAI64N label>.s|.u: hex digits. */
	for (size_t i = 1; i < n - 2; i++) {
		char c = name[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

void reap_init(struct stage_ctx *ctx)
{
	const struct config *c = ctx->cfg;
	memset(&R, 0, sizeof R);
	R.cfg = c;
	R.archfd = spool_dir_config("archive_dir", c->archive_dir, 1);
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s/tmp", c->data_dir);
	R.tmpfd = spool_dir(ctx->dirs.root, "tmp", tmp, 0);
	for (size_t i = 0; i < c->nlog_dirs; i++)
		R.logfd[i] = spool_dir_config("log_dirs entry", c->log_dirs[i], 1);
	snprintf(R.audit_shown, sizeof R.audit_shown, "%s/audit", c->data_dir);
	if (c->audit_log_source_id != 0 && c->consumer.type == CONSUMER_LOGRHYTHM) {
		int fd = spool_dir_config("consumer.state_dir", c->consumer.state_dir, 0);
		close(fd);
		R.audit_consumer = 1;
		snprintf(R.audit_state, sizeof R.audit_state, "%s/%ld", c->consumer.state_dir,
			 c->audit_log_source_id);
		snprintf(R.audit_reader_dir, sizeof R.audit_reader_dir, "%s",
			 c->consumer.audit_reader_path[0] ? c->consumer.audit_reader_path : R.audit_shown);
	} else if (c->audit_log_source_id != 0) {
		log_warn("audit_log_source_id is set, but only consumer.type logrhythm has read "
			 "positions for audit files: audit files are reaped by age alone");
	}
}

/* No network; delete rights on the directories it prunes; the audit log
 * source's state read-only. */
void reap_sandbox(struct stage_ctx *ctx)
{
	const struct config *c = R.cfg;
	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "reap", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(&sb, R.archfd, c->archive_dir, SB_RW);
	sandbox_dir(&sb, ctx->dirs.audit, "audit", SB_RW);
	sandbox_dir(&sb, ctx->dirs.bad, "bad", SB_RW);
	sandbox_dir(&sb, R.tmpfd, "tmp", SB_RW);
	sandbox_dir(&sb, ctx->dirs.lock, "lock", SB_RW);
	sandbox_dir(&sb, ctx->dirs.status, "status", SB_RW);
	for (size_t i = 0; i < c->nlog_dirs; i++)
		sandbox_dir(&sb, R.logfd[i], c->log_dirs[i], SB_RW);
	if (R.audit_consumer)
		sandbox_path(&sb, c->consumer.state_dir, SB_READ);
	sandbox_enter(c->sandbox, &sb);
}

/* Regular files of dir, one callback each. Never descends. */
typedef int (*want_fn)(const char *name, const struct stat *st, void *arg);

static void unlink_one(int dir, const char *shown, const char *name, long *count)
{
	failpoint("reap-before-unlink");
	if (unlinkat(dir, name, 0) < 0) {
		if (errno == ENOENT)
			return;
		die_sys(exit_code_for_errno(errno), "unable to remove %s/%s", shown, name);
	}
	failpoint("reap-after-unlink");
	(*count)++;
	log_debug("removed %s/%s", shown, name);
}

/* Remove the regular files of dir that want() accepts. */
static void sweep(int dir, const char *shown, want_fn want, void *arg, long *count)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die_sys(exit_code_for_errno(errno), "unable to list %s", shown);
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			die_sys(exit_code_for_errno(errno), "unable to stat %s/%s", shown, de->d_name);
		}
		/* A symlink, a directory, a FIFO: never ours to delete. */
		if (!S_ISREG(st.st_mode))
			continue;
		if (want(de->d_name, &st, arg))
			unlink_one(dir, shown, de->d_name, count);
		if (wake_stopping())
			break;
	}
	if (errno != 0 && !wake_stopping())
		die_sys(EXIT_TEMP, "unable to list %s", shown);
	closedir(d);
	if (spool_syncdir(dir) < 0)
		log_warn_sys("unable to sync %s", shown);
}

struct age {
	time_t cutoff;
};

static int old_spool_file(const char *name, const struct stat *st, void *arg)
{
	const struct age *a = arg;
	return spool_name_ok(name) && st->st_mtime < a->cutoff;
}

static int old_log_archive(const char *name, const struct stat *st, void *arg)
{
	const struct age *a = arg;
	return reap_is_log_archive(name) && st->st_mtime < a->cutoff;
}

/* Audit files: by age, and read to the end when the reader is known. */
struct audit {
	time_t cutoff;
	struct rdset read1, read2; /* two scans of the old files' positions */
	long kept;
	char first_kept[SPOOL_NAME_MAX + 1];
};

static int audit_consumed(const struct rdset *s, const char *name)
{
	long i = rdset_find(s, name, 0);
	return i >= 0 && rdset_consumed(&s->e[i]);
}

static int old_audit(const char *name, const struct stat *st, void *arg)
{
	struct audit *a = arg;
	if (!spool_name_ok(name) || st->st_mtime >= a->cutoff)
		return 0;
	if (R.audit_consumer) {
		if (audit_consumed(&a->read1, name) && audit_consumed(&a->read2, name))
			return 1;
		if (a->kept++ == 0)
			snprintf(a->first_kept, sizeof a->first_kept, "%s", name);
		return 0;
	}
	/* No reader state: by age. Unread means never accessed since written
	 * (atime not after mtime; relatime still updates that case). */
	if (st->st_atim.tv_sec < st->st_mtim.tv_sec ||
	    (st->st_atim.tv_sec == st->st_mtim.tv_sec && st->st_atim.tv_nsec <= st->st_mtim.tv_nsec))
		log_warn("removing %s/%s by age (older than %ld days), but it looks unread: it was "
			 "never accessed after it was written (is the SIEM's audit log source "
			 "reading %s?)", R.audit_shown, name, R.cfg->retention_days, R.audit_shown);
	return 1;
}

/* The old audit files and the reader's positions for them into s. */
static int audit_scan(int auditfd, time_t cutoff, struct rdset *s)
{
	rdset_clear(s);
	int fd = openat(auditfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die_sys(EXIT_TEMP, "unable to list %s", R.audit_shown);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!spool_name_ok(de->d_name) ||
		    fstatat(auditfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
			continue;
		struct rdentry e;
		memset(&e, 0, sizeof e);
		strcpy(e.name, de->d_name);
		e.size = st.st_size;
		e.ino = st.st_ino;
		if (rdset_add(s, &e) < 0)
			die(EXIT_TEMP, "out of memory");
	}
	closedir(d);
	rdset_sort(s);
	int sd = open(R.audit_state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sd < 0) {
		if (errno != ENOENT)
			log_warn_sys("unable to open %s (the audit log source's read positions): "
				     "keeping old audit files", R.audit_state);
		else if (s->n > 0)
			log_warn("keeping %zu audit file(s) older than %ld days: %s does not exist, "
				 "so the agent has read none of them (check audit_log_source_id)",
				 s->n, R.cfg->retention_days, R.audit_state);
		return -1;
	}
	long bad = lrpos_scan(sd, R.audit_reader_dir, s);
	close(sd);
	if (bad < 0) {
		log_warn_sys("unable to list %s: keeping old audit files", R.audit_state);
		return -1;
	}
	return 0;
}

/* tmp/<stage>/: temporaries of dead writers. */
static int old_temporary(const char *name, const struct stat *st, void *arg)
{
	(void)name;
	const struct age *a = arg;
	return st->st_mtime < a->cutoff;
}

static void sweep_tmp(struct stage_ctx *ctx, time_t now, long *count)
{
	struct age a = { now - 2 * reap_writer_timeout(R.cfg) };
	int fd = openat(R.tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die_sys(exit_code_for_errno(errno), "unable to list %s/tmp", R.cfg->data_dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL && !wake_stopping()) {
		struct stat st;
		if (!spool_name_ok(de->d_name) ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			log_warn_sys("unable to open %s/tmp/%s", R.cfg->data_dir, de->d_name);
			continue;
		}
		char shown[PATH_MAX + 300];
		snprintf(shown, sizeof shown, "%s/tmp/%s", R.cfg->data_dir, de->d_name);
		/* Our own directory: we hold our lock already. */
		int mine = strcmp(de->d_name, "reap") == 0, lk = -1;
		long holder = 0;
		if (!mine) {
			lk = lock_open(ctx->dirs.lock, de->d_name);
			if (lock_try(lk, &holder) != 0) {
				log_debug("%s: stage %s is at work (pid %ld): not now", shown, de->d_name,
					  holder);
				close(lk);
				close(sub);
				continue;
			}
		}
		sweep(sub, shown, old_temporary, &a, count);
		if (lk >= 0) {
			lock_release(lk);
			close(lk);
		}
		close(sub);
	}
	closedir(d);
}

void reap_run(struct stage_ctx *ctx, time_t now, struct reap_counts *n)
{
	const struct config *c = R.cfg;
	memset(n, 0, sizeof *n);
	struct age a = { now - (time_t)c->retention_days * 86400 };

	sweep(R.archfd, c->archive_dir, old_spool_file, &a, &n->archive);

	struct audit au;
	memset(&au, 0, sizeof au);
	au.cutoff = a.cutoff;
	rdset_init(&au.read1);
	rdset_init(&au.read2);
	int audit_ok = 1;
	if (R.audit_consumer) {
		/* Two scans of the positions must agree (an agent rewriting a
		 * .pos file while we read it). */
		audit_ok = audit_scan(ctx->dirs.audit, a.cutoff, &au.read1) == 0 &&
			   audit_scan(ctx->dirs.audit, a.cutoff, &au.read2) == 0;
	}
	if (audit_ok && !wake_stopping())
		sweep(ctx->dirs.audit, R.audit_shown, old_audit, &au, &n->audit);
	n->audit_kept = au.kept;
	if (au.kept > 0)
		log_warn("keeping %ld audit file(s) older than %ld days that the reader has not read "
			 "to the end (the first: %s; see %s)", au.kept, c->retention_days,
			 au.first_kept, R.audit_state);
	rdset_free(&au.read1);
	rdset_free(&au.read2);

	char shown[PATH_MAX + 8];
	snprintf(shown, sizeof shown, "%s/bad", c->data_dir);
	if (!wake_stopping())
		sweep(ctx->dirs.bad, shown, old_spool_file, &a, &n->bad);
	for (size_t i = 0; i < c->nlog_dirs && !wake_stopping(); i++)
		sweep(R.logfd[i], c->log_dirs[i], old_log_archive, &a, &n->logs);
	if (!wake_stopping())
		sweep_tmp(ctx, now, &n->tmp);
	status_count("files", n->archive + n->audit + n->bad + n->logs + n->tmp);
	if (n->archive + n->audit + n->bad + n->logs + n->tmp > 0)
		log_info("removed %ld archived, %ld audit, %ld quarantined, %ld log and %ld temporary "
			 "file(s)", n->archive, n->audit, n->bad, n->logs, n->tmp);
}

int reap_pass(struct stage_ctx *ctx)
{
	struct reap_counts n;
	reap_run(ctx, time(NULL), &n);
	return STAGE_IDLE;
}

long reap_interval(struct stage_ctx *ctx)
{
	(void)ctx;
	return 3600;
}
