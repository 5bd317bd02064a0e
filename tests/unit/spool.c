/* Unit tests for common/spool.c: names, publish, no overwrite, transfer, copy, replace. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

static char top[] = "/tmp/mcspool-spool-XXXXXX";

static int mkd(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", top, name);
	if (mkdir(p, 0750) < 0)
		exit(2);
	return open(p, O_RDONLY | O_DIRECTORY);
}

static const char *slurp(int dir, const char *name)
{
	static char buf[256];
	int fd = openat(dir, name, O_RDONLY);
	if (fd < 0)
		return "(missing)";
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int exists(int dir, const char *name)
{
	struct stat st;
	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int publish(int tmp, int dst, const char *name, const char *text)
{
	struct spool_file f;
	if (spool_create(&f, tmp, name, 0640) < 0)
		return SPOOL_ERR;
	if (spool_write(&f, text, strlen(text)) < 0) {
		spool_abort(&f);
		return SPOOL_ERR;
	}
	return spool_publish(&f, dst, name);
}

int main(void)
{
	plan(27);
	if (mkdtemp(top) == NULL)
		return 2;
	int tmp = mkd("tmp"), dst = mkd("dst"), other = mkd("other"), stage = mkd("stage");

	ok(spool_name_ok("receipt_20241125.log"), "a plain name is fine");
	ok(!spool_name_ok("../x"), "a path is not a name");
	ok(!spool_name_ok(".hidden"), "a leading dot is refused");
	ok(!spool_name_ok(""), "empty is refused");
	ok(!spool_name_ok("a b"), "a space is refused");
	char out[64];
	is_str(spool_name_sanitize("../../etc/pass wd", out, sizeof out), "_._.._etc_pass_wd",
	       "sanitize keeps only [A-Za-z0-9._-] and no leading dot");
	is_str(spool_name_sanitize("", out, sizeof out), "_", "sanitize never returns empty");

	is_int(publish(tmp, dst, "a.log", "first\n"), SPOOL_OK, "publish");
	is_str(slurp(dst, "a.log"), "first\n", "published content");
	ok(!exists(tmp, "a.log"), "no temporary left");
	struct stat st;
	ok(fstatat(dst, "a.log", &st, 0) == 0 && (st.st_mode & 0777) == 0640, "mode as asked");

	is_int(publish(tmp, dst, "a.log", "second\n"), SPOOL_EXISTS, "publish onto an existing name");
	is_str(slurp(dst, "a.log"), "first\n", "the existing file is not overwritten");
	ok(!exists(tmp, "a.log"), "the refused temporary is removed");

	/* A stale temporary from a killed run is replaced. */
	int fd = openat(tmp, "b.log", O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "stale", 5) == 5 && close(fd) == 0, "stale temporary planted");
	is_int(publish(tmp, dst, "b.log", "fresh\n"), SPOOL_OK, "publish over a stale temporary");
	is_str(slurp(dst, "b.log"), "fresh\n", "the stale bytes are gone");

	is_int(publish(tmp, dst, "../evil", "x"), SPOOL_ERR, "a bad destination name is refused");

	is_int(spool_transfer(dst, "a.log", other, "a.log"), SPOOL_OK, "transfer");
	ok(exists(other, "a.log") && !exists(dst, "a.log"), "transfer moved it");
	is_int(publish(tmp, dst, "a.log", "again\n"), SPOOL_OK, "a new a.log");
	is_int(spool_transfer(dst, "a.log", other, "a.log"), SPOOL_EXISTS, "transfer onto an existing name");
	ok(exists(dst, "a.log") && strcmp(slurp(other, "a.log"), "first\n") == 0,
	   "neither side changed");

	is_int(spool_copy(dst, "b.log", stage, other, "b.log"), SPOOL_OK, "copy");
	ok(strcmp(slurp(other, "b.log"), "fresh\n") == 0 && exists(dst, "b.log") && !exists(stage, "b.log"),
	   "copy leaves the source and no staging file");

	ok(spool_remove(dst, "nonexistent") == 0 && spool_replace(dst, "state", "v1\n", 3, 0640) == 0 &&
		   spool_replace(dst, "state", "v2\n", 3, 0640) == 0 &&
		   strcmp(slurp(dst, "state"), "v2\n") == 0 && !exists(dst, ".state.new"),
	   "remove of a missing file is success; replace overwrites atomically");

	char np[300];
	snprintf(np, sizeof np, "%s/created", top);
	int nfd = spool_dir_path(np, 1);
	ok(nfd >= 0 && exists(AT_FDCWD, np), "spool_dir_path creates a missing directory (and syncs its parent)");

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		diag("unable to remove %s", top);
	return done();
}
