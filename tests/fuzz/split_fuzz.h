/* split_fuzz.h: the shared part of the splitter's fuzz harnesses.
 *
 * Each harness drops the input into raw/ of a private data tree under a
 * name that selects one parser, runs the whole split_input() path on it
 * (classification, parser, rendering, bad/ handling, commit), and empties
 * the tree again. The output mode alternates with the input's length, so
 * both kv and json rendering are exercised. Parts are kept small so part
 * boundaries are exercised too.
 */
#ifndef SPLIT_FUZZ_H
#define SPLIT_FUZZ_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../splitter/split.h"

static char fz_root[64];
static int fz_dir[7]; /* raw tmp mta audit bad lock, root */
static struct config fz_cfg;

static void fz_clean(int dir)
{
	int fd = dup(dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dir, e->d_name, 0);
	closedir(d);
}

static const char *const fz_names[] = { "raw", "tmp", "mta", "audit", "bad", "lock" };

static void fz_teardown(void)
{
	for (int i = 0; i < 6; i++) {
		fz_clean(fz_dir[i]);
		close(fz_dir[i]);
		unlinkat(fz_dir[6], fz_names[i], AT_REMOVEDIR);
	}
	close(fz_dir[6]);
	rmdir(fz_root);
}

static void fz_setup(void)
{
	if (fz_root[0] != '\0')
		return;
	snprintf(fz_root, sizeof fz_root, "/tmp/mcspool-fuzz.XXXXXX");
	if (mkdtemp(fz_root) == NULL)
		abort();
	fz_dir[6] = open(fz_root, O_RDONLY | O_DIRECTORY);
	if (fz_dir[6] < 0)
		abort();
	for (int i = 0; i < 6; i++) {
		if (mkdirat(fz_dir[6], fz_names[i], 0700) < 0)
			abort();
		fz_dir[i] = openat(fz_dir[6], fz_names[i], O_RDONLY | O_DIRECTORY);
		if (fz_dir[i] < 0)
			abort();
	}
	memset(&fz_cfg, 0, sizeof fz_cfg);
	fz_cfg.max_file_bytes = 4096;
	fz_cfg.line_ending = EOL_LF;
	atexit(fz_teardown);
}

static void fz_run(const char *rawname, const uint8_t *data, size_t size)
{
	fz_setup();
	int fd = openat(fz_dir[0], rawname, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	close(fd);
	fz_cfg.output_format = size % 2 ? FORMAT_JSON : FORMAT_KV;
	fz_cfg.line_ending = size % 3 == 0 ? EOL_CRLF : EOL_LF;
	split_input(&fz_cfg, fz_dir[0], fz_dir[1], fz_dir[2], fz_dir[3], fz_dir[4], fz_dir[5],
		    rawname);
	for (int i = 0; i < 5; i++)
		fz_clean(fz_dir[i]);
}

#endif
