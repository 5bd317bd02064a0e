/* handoff: drive common/spool.c from the shell tests (crash and strace checks).
 *
 *   handoff publish TMPDIR DSTDIR NAME < data
 *   handoff transfer SRCDIR DSTDIR NAME
 *   handoff copy SRCDIR STAGEDIR DSTDIR NAME
 *   handoff replace DIR NAME < data
 *   handoff batch SRCDIR DSTDIR INDIR INPUT NAME...   (spool_defer: transfer
 *       each NAME, spool_remove_later INDIR/INPUT, say "queued" if it is still
 *       there, spool_sync)
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
	die(100, "usage: handoff publish|transfer|copy|replace|batch ...");
}
