/* reap.h: mcspool-reap, retention (DESIGN.md sections 1 and 2).
 *
 * The reaper only deletes, and only regular files directly inside its
 * directories (never a symlink, a directory or anything below one):
 *   archive_dir/        files older than retention_days
 *   data_dir/audit/     the same, and, when the audit log source's .pos
 *                       files are known, only those read to the end
 *   data_dir/bad/       older than retention_days
 *   log_dirs            svlogd / s6-log archives (@*.s, @*.u), never current
 *   data_dir/tmp/<stage>/  temporaries of dead writers, older than twice the
 *                       writer timeout, while that stage's lock is free
 */
#ifndef MCSPOOL_REAP_H
#define MCSPOOL_REAP_H

#include <time.h>

#include "stage.h"

/* Counts of one pass, for messages and the tests. */
struct reap_counts {
	long archive, audit, audit_kept, bad, logs, tmp;
};

/* Seconds a writer may keep a temporary unmodified (see reap.c). */
long reap_writer_timeout(const struct config *c);
/* Is name an svlogd/s6-log archive (@<tai64n>.s or .u)? */
int reap_is_log_archive(const char *name);

void reap_init(struct stage_ctx *ctx);
void reap_sandbox(struct stage_ctx *ctx);
int reap_pass(struct stage_ctx *ctx);
long reap_interval(struct stage_ctx *ctx);
/* One pass at time now (the pass uses time(NULL)). */
void reap_run(struct stage_ctx *ctx, time_t now, struct reap_counts *n);

#endif
