/* spool.c: the hand-off helper. See spool.h for the protocol. */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failpoint.h"
#include "log.h"

const char *spool_errstep = "";

static int fail(const char *step)
{
	spool_errstep = step;
	return SPOOL_ERR;
}

int spool_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SPOOL_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

char *spool_name_sanitize(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; in[i] != '\0' && o + 1 < cap && o < SPOOL_NAME_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		int good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		out[o] = good && !(o == 0 && c == '.') ? (char)c : '_';
		o++;
	}
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
	return out;
}

int spool_dir(int parent, const char *name, const char *shown, int create)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(parent, name, 02770) < 0 && errno != EEXIST)
			die_sys(exit_code_for_errno(errno), "unable to create %s", shown);
		/* The new entry is durable once its parent is synced; with a
		 * path, that parent has to be opened first. */
		int pfd = parent;
		if (parent == AT_FDCWD) {
			char up[4096];
			snprintf(up, sizeof up, "%s", name);
			char *slash = strrchr(up, '/');
			if (slash == up)
				slash[1] = '\0';
			else if (slash != NULL)
				*slash = '\0';
			else
				strcpy(up, ".");
			pfd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd < 0)
				die_sys(exit_code_for_errno(errno), "unable to open the parent of %s", shown);
		}
		if (spool_syncdir(pfd) < 0)
			die_sys(EXIT_TEMP, "unable to sync the parent of %s", shown);
		if (pfd != parent)
			close(pfd);
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			die(EXIT_PERM, "unable to open %s: No such file or directory "
				       "(create it, or run mcspool-setup)", shown);
		if (errno == ELOOP || errno == ENOTDIR)
			die(EXIT_PERM, "unable to open %s: not a directory (or a symlink, which is refused)",
			    shown);
		die_sys(exit_code_for_errno(errno), "unable to open %s", shown);
	}
	if (faccessat(fd, ".", R_OK | W_OK | X_OK, AT_EACCESS) < 0)
		die_sys(EXIT_PERM, "unable to use %s (it needs read, write and search permission "
				   "for this stage's user)", shown);
	return fd;
}

int spool_dir_path(const char *path, int create)
{
	return spool_dir(AT_FDCWD, path, path, create);
}

int spool_dir_config(const char *key, const char *path, int writable)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			die(EXIT_PERM, "%s %s does not exist: create it, or correct %s in the "
				       "config", key, path, key);
		if (e == ENOTDIR || e == ELOOP)
			die(EXIT_PERM, "%s %s is not a directory (a symlink is refused: "
				       "give the real path)", key, path);
		if (e == EACCES)
			die(EXIT_PERM, "%s %s: permission denied (this user, uid %ld, needs "
				       "search and read permission on it and its parents)",
			    key, path, (long)geteuid());
		errno = e;
		die_sys(exit_code_for_errno(e), "unable to open %s %s", key, path);
	}
	int mode = writable ? R_OK | W_OK | X_OK : R_OK | X_OK;
	if (faccessat(fd, ".", mode, AT_EACCESS) < 0)
		die(EXIT_PERM, "%s %s is not %s by this user (uid %ld): check its owner, "
			       "group and mode (and a read-only mount)",
		    key, path, writable ? "writable" : "readable", (long)geteuid());
	return fd;
}

int spool_syncdir(int dir)
{
	if (fsync(dir) < 0 && errno != EINVAL) /* EINVAL: a filesystem without dir fsync */
		return -1;
	return 0;
}

/* ---- deferred directory syncs (spool_defer, spool_sync) ------------------ */

#define DEFER_MAX 8
static int defer_on;
static struct {
	int dir;
	int placed; /* a file was renamed or linked into it (not only removed) */
} defer[DEFER_MAX];
static int ndefer;
/* Removals queued by spool_remove_later, done by the next flush. */
#define LATER_MAX 64
static struct {
	int dir;
	char name[SPOOL_NAME_MAX + 1];
} later[LATER_MAX];
static int nlater;
static char later_err[SPOOL_NAME_MAX + 32];
/* A deferred fsync failed (its errno): until spool_sync reports it, nothing
 * that depends on durability may happen (a failed fsync is not retried:
 * the kernel reports a lost write back once). The queued removals are
 * dropped, so their inputs stay to be done again. */
static int defer_err;

void spool_defer(void) { defer_on = 1; }

static int deferred_failed(void)
{
	errno = defer_err;
	spool_errstep = "fsync directory (earlier in this pass)";
	return SPOOL_ERR;
}

/* fsync the pending directories: all, or only those a file was placed in. */
static int sync_pending(int placed_only)
{
	if (defer_err != 0)
		return deferred_failed();
	int k = 0;
	for (int i = 0; i < ndefer; i++) {
		if (placed_only && !defer[i].placed) {
			defer[k++] = defer[i];
			continue;
		}
		if (spool_syncdir(defer[i].dir) < 0) {
			defer_err = errno != 0 ? errno : EIO;
			ndefer = 0;
			nlater = 0;
			return fail("fsync directory");
		}
	}
	ndefer = k;
	return 0;
}

/* After a change to dir: fsync it now, or, deferring, note it for later. */
static int dirsync(int dir, int placed)
{
	if (!defer_on)
		return spool_syncdir(dir) < 0 ? fail("fsync directory") : 0;
	if (defer_err != 0)
		return deferred_failed();
	for (int i = 0; i < ndefer; i++)
		if (defer[i].dir == dir) {
			defer[i].placed |= placed;
			return 0;
		}
	if (ndefer == DEFER_MAX && sync_pending(0) < 0)
		return SPOOL_ERR;
	defer[ndefer].dir = dir;
	defer[ndefer].placed = placed;
	ndefer++;
	return 0;
}

/* Before a removal or a state replace: what was placed must be durable
 * first (a removal is how a stage says "handed on"). */
static int placed_durable(void)
{
	if (defer_err != 0)
		return deferred_failed();
	return ndefer > 0 ? sync_pending(1) : 0;
}

int spool_barrier(void) { return placed_durable(); }

/* Make what was placed durable, then do the queued removals. */
static int flush_later(void)
{
	if (defer_err != 0)
		return deferred_failed();
	if (nlater == 0)
		return 0;
	if (placed_durable() < 0) {
		nlater = 0;
		return SPOOL_ERR;
	}
	for (int i = 0; i < nlater; i++) {
		if (unlinkat(later[i].dir, later[i].name, 0) < 0 && errno != ENOENT) {
			snprintf(later_err, sizeof later_err, "unlink of %s", later[i].name);
			nlater = 0;
			spool_errstep = later_err;
			return SPOOL_ERR;
		}
		if (dirsync(later[i].dir, 0) < 0) {
			nlater = 0;
			return SPOOL_ERR;
		}
	}
	nlater = 0;
	return 0;
}

int spool_remove_later(int dir, const char *name)
{
	if (!defer_on)
		return spool_remove(dir, name);
	if (defer_err != 0)
		return deferred_failed();
	if (strlen(name) > SPOOL_NAME_MAX) {
		errno = ENAMETOOLONG;
		return fail("name");
	}
	if (nlater == LATER_MAX && flush_later() < 0)
		return SPOOL_ERR;
	later[nlater].dir = dir;
	strcpy(later[nlater].name, name);
	nlater++;
	return 0;
}

/* Everything pending made durable, the queued removals done. */
static int all_durable(void)
{
	if (flush_later() < 0)
		return SPOOL_ERR;
	return ndefer > 0 || defer_err != 0 ? sync_pending(0) : 0;
}

int spool_sync(void)
{
	int r = all_durable();
	int e = errno;
	defer_on = 0;
	ndefer = 0;
	nlater = 0;
	defer_err = 0;
	errno = e;
	return r;
}

int spool_create(struct spool_file *f, int tmpdir, const char *name, mode_t mode)
{
	if (!spool_name_ok(name)) {
		errno = EINVAL;
		return fail("name");
	}
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->tmpdir = tmpdir;
	strcpy(f->name, name);
	for (int tries = 0; tries < 2; tries++) {
		f->fd = openat(tmpdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f->fd >= 0)
			break;
		if (errno != EEXIST)
			return fail("create");
		/* Left by a killed run of this stage: we hold the stage lock,
		 * so nobody else writes in this directory. */
		if (unlinkat(tmpdir, name, 0) < 0 && errno != ENOENT)
			return fail("unlink stale temporary");
	}
	if (f->fd < 0)
		return fail("create");
	/* The umask must not take permissions the reader needs. */
	if (fchmod(f->fd, mode) < 0) {
		spool_abort(f);
		return fail("chmod");
	}
	f->wbuf = malloc(SPOOL_WBUF);
	if (f->wbuf == NULL) {
		spool_abort(f);
		errno = ENOMEM;
		return fail("allocate a write buffer");
	}
	failpoint("spool-after-create");
	return 0;
}

/* Write p[0..len) to the file itself. */
static int write_all(struct spool_file *f, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			f->err = errno;
			return fail("write");
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int flush(struct spool_file *f)
{
	if (f->wlen == 0)
		return 0;
	size_t n = f->wlen;
	f->wlen = 0;
	return write_all(f, f->wbuf, n);
}

int spool_write(struct spool_file *f, const void *buf, size_t len)
{
	const char *p = buf;
	if (f->err != 0) {
		errno = f->err;
		return fail("write");
	}
	f->written += (off_t)len;
	if (f->wlen + len <= SPOOL_WBUF) {
		memcpy(f->wbuf + f->wlen, p, len);
		f->wlen += len;
		return 0;
	}
	if (flush(f) < 0)
		return SPOOL_ERR;
	if (len >= SPOOL_WBUF) /* large writes go straight through */
		return write_all(f, p, len);
	memcpy(f->wbuf, p, len);
	f->wlen = len;
	return 0;
}

int spool_rewind(struct spool_file *f)
{
	f->wlen = 0;
	f->written = 0;
	f->err = 0;
	if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0)
		return fail("rewind");
	return 0;
}

void spool_abort(struct spool_file *f)
{
	int e = errno;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->name[0] != '\0')
		unlinkat(f->tmpdir, f->name, 0);
	f->name[0] = '\0';
	free(f->wbuf);
	f->wbuf = NULL;
	f->wlen = 0;
	errno = e;
}

/* Move a name between directories without ever replacing a target.
 * Returns SPOOL_OK, SPOOL_EXISTS or SPOOL_ERR. */
static int place(int srcdir, const char *src, int dstdir, const char *dst)
{
	if (renameat2(srcdir, src, dstdir, dst, RENAME_NOREPLACE) == 0)
		return SPOOL_OK;
	if (errno == EEXIST)
		return SPOOL_EXISTS;
	if (errno != EINVAL && errno != ENOSYS)
		return fail("rename");
	/* A filesystem without RENAME_NOREPLACE: link(2) never overwrites either. */
	if (linkat(srcdir, src, dstdir, dst, 0) < 0)
		return errno == EEXIST ? SPOOL_EXISTS : fail("link");
	if (unlinkat(srcdir, src, 0) < 0)
		return fail("unlink after link");
	return SPOOL_OK;
}

int spool_publish(struct spool_file *f, int dstdir, const char *dstname)
{
	if (!spool_name_ok(dstname)) {
		spool_abort(f);
		errno = EINVAL;
		return fail("name");
	}
	if (f->err == 0 && flush(f) < 0) {
		spool_abort(f);
		return SPOOL_ERR;
	}
	free(f->wbuf);
	f->wbuf = NULL;
	if (f->err != 0) {
		errno = f->err;
		spool_abort(f);
		return fail("write");
	}
	failpoint("spool-before-fsync");
	if (fsync(f->fd) < 0) {
		spool_abort(f);
		return fail("fsync");
	}
	int fd = f->fd;
	f->fd = -1;
	if (close(fd) < 0) {
		spool_abort(f);
		return fail("close");
	}
	failpoint("spool-before-rename");
	int r = place(f->tmpdir, f->name, dstdir, dstname);
	if (r != SPOOL_OK) {
		spool_abort(f);
		/* "Already there" may be a killed run's file whose name is not
		 * durable yet: it counts as placed, so the removal that follows
		 * waits for it. */
		if (r == SPOOL_EXISTS && dirsync(dstdir, 1) < 0)
			return SPOOL_ERR;
		return r;
	}
	f->name[0] = '\0';
	failpoint("spool-after-rename");
	if (dirsync(dstdir, 1) < 0)
		return SPOOL_ERR;
	failpoint("spool-after-dirsync");
	return SPOOL_OK;
}

int spool_transfer(int srcdir, const char *name, int dstdir, const char *dstname)
{
	if (!spool_name_ok(dstname)) {
		errno = EINVAL;
		return fail("name");
	}
	int r = place(srcdir, name, dstdir, dstname);
	if (r == SPOOL_EXISTS && dirsync(dstdir, 1) < 0) /* as in spool_publish */
		return SPOOL_ERR;
	if (r != SPOOL_OK)
		return r;
	failpoint("spool-after-rename");
	if (dirsync(dstdir, 1) < 0)
		return SPOOL_ERR;
	if (dirsync(srcdir, 0) < 0) {
		spool_errstep = "fsync source directory";
		return SPOOL_ERR;
	}
	failpoint("spool-after-dirsync");
	return SPOOL_OK;
}

int spool_copy(int srcdir, const char *name, int stagedir, int dstdir, const char *dstname)
{
	int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return fail("open source");
	struct stat st;
	if (fstat(in, &st) < 0) {
		close(in);
		return fail("stat source");
	}
	struct spool_file f;
	if (spool_create(&f, stagedir, dstname, st.st_mode & 07777) < 0) {
		close(in);
		return SPOOL_ERR;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(in);
			spool_abort(&f);
			return fail("read source");
		}
		if (n == 0)
			break;
		if (spool_write(&f, buf, (size_t)n) < 0) {
			close(in);
			spool_abort(&f);
			return SPOOL_ERR;
		}
	}
	close(in);
	failpoint("spool-copy-written");
	return spool_publish(&f, dstdir, dstname);
}

int spool_remove(int dir, const char *name)
{
	if (placed_durable() < 0)
		return SPOOL_ERR;
	if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		return fail("unlink");
	return dirsync(dir, 0);
}

int spool_replace(int dir, const char *name, const void *buf, size_t len, mode_t mode)
{
	/* A state never gets ahead of the files it describes. */
	if (all_durable() < 0)
		return SPOOL_ERR;
	char tmp[SPOOL_NAME_MAX + 8];
	if (snprintf(tmp, sizeof tmp, ".%s.new", name) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return fail("name");
	}
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return fail("create");
	const char *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			unlinkat(dir, tmp, 0);
			errno = e;
			return fail("write");
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlinkat(dir, tmp, 0);
		errno = e;
		return fail("fsync");
	}
	if (close(fd) < 0) {
		int e = errno;
		unlinkat(dir, tmp, 0);
		errno = e;
		return fail("close");
	}
	failpoint("state-before-rename");
	/* The only overwriting rename in mcspool: a private state file. */
	if (renameat(dir, tmp, dir, name) < 0) {
		int e = errno;
		unlinkat(dir, tmp, 0);
		errno = e;
		return fail("rename");
	}
	failpoint("state-after-rename");
	if (spool_syncdir(dir) < 0)
		return fail("fsync directory");
	return 0;
}
