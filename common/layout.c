/* layout.c: see layout.h. */
#include "layout.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

static int sub(int root, const char *data_dir, const char *name)
{
	char shown[PATH_MAX];
	snprintf(shown, sizeof shown, "%s/%s", data_dir, name);
	return spool_dir(root, name, shown, 1);
}

void layout_open(struct layout *l, const char *data_dir, const char *stage)
{
	l->root = spool_dir(AT_FDCWD, data_dir, data_dir, 0);
	int tmproot = sub(l->root, data_dir, "tmp");
	snprintf(l->tmpname, sizeof l->tmpname, "tmp/%s", stage);
	l->tmp = sub(l->root, data_dir, l->tmpname);
	close(tmproot);
	l->raw = sub(l->root, data_dir, "raw");
	l->mta = sub(l->root, data_dir, "mta");
	l->audit = sub(l->root, data_dir, "audit");
	l->bad = sub(l->root, data_dir, "bad");
	l->state = sub(l->root, data_dir, "state");
	l->lock = sub(l->root, data_dir, "lock");
	l->status = sub(l->root, data_dir, "status");
}

void layout_close(struct layout *l)
{
	int *fds[] = { &l->root, &l->tmp, &l->raw, &l->mta, &l->audit, &l->bad, &l->state, &l->lock,
		       &l->status };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
