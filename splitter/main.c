/* mcspool-split: raw/ -> mta/, audit/, bad/. See doc/mcspool-split.8. */
#include "split.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "stage.h"
#include "wake.h"

/* Inputs taken per scan: the oldest ones, so memory stays bounded
 * however many files wait in raw/. */
#define BATCH 256

struct batch {
	char *name[BATCH];
	int n;
	int more; /* names left out this time */
};

static void insert(struct batch *b, const char *name)
{
	if (b->n == BATCH && split_name_cmp(name, b->name[BATCH - 1]) >= 0) {
		b->more = 1;
		return;
	}
	char *copy = strdup(name);
	if (copy == NULL)
		die(EXIT_TEMP, "out of memory");
	if (b->n == BATCH) {
		free(b->name[BATCH - 1]);
		b->n--;
		b->more = 1;
	}
	int i = b->n++;
	while (i > 0 && split_name_cmp(copy, b->name[i - 1]) < 0) {
		b->name[i] = b->name[i - 1];
		i--;
	}
	b->name[i] = copy;
}

static int pass(struct stage_ctx *ctx)
{
	int fd = dup(ctx->dirs.raw);
	if (fd < 0)
		die_sys(EXIT_TEMP, "unable to scan raw/");
	DIR *d = fdopendir(fd);
	if (d == NULL)
		die_sys(EXIT_TEMP, "unable to scan raw/");
	rewinddir(d);
	struct batch b;
	memset(&b, 0, sizeof b);
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') /* temporaries, and . and .. */
			insert(&b, e->d_name);
		errno = 0;
	}
	if (errno != 0)
		die_sys(EXIT_TEMP, "unable to scan raw/");
	closedir(d);
	/* Directory fsyncs are deferred to the end of the pass; spool_remove
	 * still makes an input's outputs durable before the input goes. */
	spool_defer();
	int failed = 0;
	for (int i = 0; i < b.n; i++) {
		if (!failed && !wake_stopping()) {
			const struct layout *l = &ctx->dirs;
			if (split_input(ctx->cfg, l->raw, l->tmp, l->mta, l->audit, l->bad, l->lock,
					b.name[i]) < 0)
				failed = 1;
		}
		free(b.name[i]);
	}
	if (spool_sync() < 0)
		die_sys(exit_code_for_errno(errno), "unable to make this pass's hand-offs durable (%s)",
			spool_errstep);
	if (failed)
		die(EXIT_TEMP, "stopping after a temporary error; the input stays in raw/ for the next run");
	return b.more ? STAGE_MORE : STAGE_IDLE;
}

static long interval(struct stage_ctx *ctx)
{
	(void)ctx;
	return 300;
}

int main(int argc, char **argv)
{
	static const struct stage s = {
		.prog = "mcspool-split",
		.name = "split",
		.summary = "Split Mimecast payloads in data_dir/raw into the files the SIEM reads.",
		.config_flags = 0, /* no secrets: the splitter never needs them */
		.init = NULL,
		.sandbox = split_sandbox,
		.pass = pass,
		.interval = interval,
	};
	return stage_main(&s, argc, argv);
}
