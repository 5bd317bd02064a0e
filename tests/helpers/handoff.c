/* handoff: drive common/spool.c from the shell tests (crash and strace checks).
 *
 *   handoff publish TMPDIR DSTDIR NAME < data
 *   handoff transfer SRCDIR DSTDIR NAME
 *   handoff copy SRCDIR STAGEDIR DSTDIR NAME
 *   handoff replace DIR NAME < data
 *   handoff batch SRCDIR DSTDIR INDIR INPUT NAME...   (spool_defer: transfer
 *       each NAME, spool_remove_later INDIR/INPUT, say "queued" if it is still
 *       there, spool_sync)
 *   handoff batchfail SRCDIR DSTDIR INDIR NAME   (spool_defer: transfer NAME,
 *       make the destination's fsync fail (its fd is closed: EBADF), queue
 *       the removal of INDIR/in.0 ... in.64 (the 65th flushes the queue);
 *       prints what the 65th call and spool_sync returned and how many
 *       in.* are left)
 *
 * Exit 0 done, 1 already there (SPOOL_EXISTS), 111 error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "spool.h"

static int dir(const char *p)
{
	int fd = open(p, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die_sys(111, "unable to open %s", p);
	return fd;
}

static int result(int r)
{
	if (r == SPOOL_ERR)
		die_sys(111, "%s failed", spool_errstep);
	return r == SPOOL_EXISTS ? 1 : 0;
}

int main(int argc, char **argv)
{
	log_init("handoff");
	char chunk[65536];
	ssize_t n;
	if (argc == 5 && strcmp(argv[1], "publish") == 0) {
		struct spool_file f;
		if (spool_create(&f, dir(argv[2]), argv[4], 0640) < 0)
			die_sys(111, "create");
		while ((n = read(0, chunk, sizeof chunk)) > 0)
			if (spool_write(&f, chunk, (size_t)n) < 0)
				die_sys(111, "write");
		if (n < 0)
			die_sys(111, "read");
		return result(spool_publish(&f, dir(argv[3]), argv[4]));
	}
	if (argc == 5 && strcmp(argv[1], "transfer") == 0)
		return result(spool_transfer(dir(argv[2]), argv[4], dir(argv[3]), argv[4]));
	if (argc == 6 && strcmp(argv[1], "copy") == 0)
		return result(spool_copy(dir(argv[2]), argv[5], dir(argv[3]), dir(argv[4]), argv[5]));
	if (argc == 4 && strcmp(argv[1], "replace") == 0) {
		struct buf b;
		buf_init(&b, 1 << 20);
		while ((n = read(0, chunk, sizeof chunk)) > 0)
			if (buf_add(&b, chunk, (size_t)n) < 0)
				die(111, "too much input");
		return result(spool_replace(dir(argv[2]), argv[3], b.p ? b.p : "", b.len, 0640) < 0
				      ? SPOOL_ERR : SPOOL_OK);
	}
	if (argc >= 7 && strcmp(argv[1], "batch") == 0) {
		int src = dir(argv[2]), dst = dir(argv[3]), in = dir(argv[4]);
		spool_defer();
		for (int i = 6; i < argc; i++)
			if (result(spool_transfer(src, argv[i], dst, argv[i])) != 0)
				return 1;
		if (spool_remove_later(in, argv[5]) < 0)
			die_sys(111, "%s failed", spool_errstep);
		if (faccessat(in, argv[5], F_OK, 0) == 0)
			printf("queued\n"); /* still there until spool_sync */
		if (fflush(stdout) != 0)
			die_sys(111, "unable to write to stdout");
		return result(spool_sync());
	}
	if (argc == 6 && strcmp(argv[1], "batchfail") == 0) {
		int src = dir(argv[2]), dst = dir(argv[3]), in = dir(argv[4]);
		spool_defer();
		if (result(spool_transfer(src, argv[5], dst, argv[5])) != 0)
			return 1;
		if (close(dst) < 0) /* the next fsync of dst fails with EBADF */
			die_sys(111, "close");
		int r65 = 0;
		for (int i = 0; i <= 64; i++) {
			char name[32];
			snprintf(name, sizeof name, "in.%d", i);
			int r = spool_remove_later(in, name);
			if (i < 64 && r < 0)
				die_sys(111, "spool_remove_later %s failed early", name);
			if (i == 64)
				r65 = r;
		}
		int rs = spool_sync();
		int left = 0;
		for (int i = 0; i <= 64; i++) {
			char name[32];
			snprintf(name, sizeof name, "in.%d", i);
			left += faccessat(in, name, F_OK, 0) == 0;
		}
		printf("65th %s, sync %s, %d left\n", r65 < 0 ? "failed" : "ok",
		       rs < 0 ? "failed" : "ok", left);
		return 0;
	}
	die(100, "usage: handoff publish|transfer|copy|replace|batch|batchfail ...");
}
