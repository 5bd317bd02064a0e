/* stage.h: the main loop every stage shares.
 *
 * A stage supplies one function that does the work available now (a
 * "pass"); stage_main() does the rest: options (-c FILE, --once, -h, -V,
 * --notify-fd N), config, the data_dir tree, the stage lock (held during a
 * pass only), signals, the trigger FIFO, periodic rescans and exit codes.
 */
#ifndef MCSPOOL_STAGE_H
#define MCSPOOL_STAGE_H

#include "config.h"
#include "layout.h"

enum { STAGE_IDLE = 0, STAGE_MORE = 1 };

struct stage_ctx {
	const struct config *cfg;
	struct layout dirs;
	int once; /* --once: exit when idle */
	void *priv;
};

struct stage {
	const char *prog;    /* "mcspool-split" */
	const char *name;    /* "split": lock/split, tmp/split, lock/split.trigger */
	const char *summary; /* one line for -h */
	int config_flags;    /* CONFIG_SECRETS for the fetcher */
	/* After config and directories, before the sandbox: open what the pass needs. */
	void (*init)(struct stage_ctx *);
	/* Enter the sandbox (may be NULL). */
	void (*sandbox)(struct stage_ctx *);
	/* Do the work available now. STAGE_MORE: call again at once. Fatal
	 * errors die() with 100 or 111. */
	int (*pass)(struct stage_ctx *);
	/* Seconds to sleep when idle before the next rescan. */
	long (*interval)(struct stage_ctx *);
};

int stage_main(const struct stage *s, int argc, char **argv);

#endif
