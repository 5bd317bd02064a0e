/* config.c: libFuzzer harness for common/config.c. The input is written to
 * a temporary file (config_try_load reads a path, as the stages do) and
 * loaded with and without CONFIG_SECRETS; a load either fails with a
 * non-empty, bounded message or yields a config whose required paths are set. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* One file per process, rewritten for each input: the harness runs
 * millions of inputs and must not litter /tmp. */
static int put(const uint8_t *data, size_t size)
{
	if (path[0] == '\0') {
		strcpy(path, "/tmp/mcspool-fuzz-config.XXXXXX");
		int fd = mkstemp(path);
		if (fd < 0)
			return -1;
		close(fd);
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = fwrite(data, 1, size, f);
	if (fclose(f) != 0 || w != size)
		return -1;
	return 0;
}

static void load(int flags)
{
	char err[512];
	struct config *c = config_try_load(path, flags, err, sizeof err);
	if (c == NULL) {
		if (err[0] == '\0' || strlen(err) >= sizeof err)
			abort();
		return;
	}
	if (c->data_dir == NULL || c->data_dir[0] == '\0' || c->path == NULL)
		abort();
	if (c->nlog_dirs > CONFIG_MAX_LOGDIRS || c->mimecast.nsiem_types > CONFIG_MAX_TYPES)
		abort();
	if (c->mimecast.api != 0 && c->mimecast.api != 1 && c->mimecast.api != 2)
		abort();
	config_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (put(data, size) < 0)
		return 0;
	load(0);
	load(CONFIG_SECRETS);
	unlink(path);
	path[0] = '\0';
	return 0;
}
