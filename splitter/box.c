/* box.c: the splitter's sandbox. It parses hostile bytes, so it gets the
 * least: no network at all, the seccomp allowlist, and only the spool
 * directories it moves files between (all SB_RW: Landlock refuses a
 * rename into a directory that grants more than the source) plus lock/
 * for its lock and the mover's trigger, status/ for its health record.
 * Not state/, not the config directory, not the secrets. */
#include "split.h"

#include "sandbox.h"
#include "stage.h"

void split_sandbox(struct stage_ctx *ctx)
{
	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "split", SB_NET_NONE, SB_SECCOMP_ALLOW);
	sandbox_dir(&sb, ctx->dirs.raw, "raw", SB_RW);
	sandbox_dir(&sb, ctx->dirs.tmp, ctx->dirs.tmpname, SB_RW);
	sandbox_dir(&sb, ctx->dirs.mta, "mta", SB_RW);
	sandbox_dir(&sb, ctx->dirs.audit, "audit", SB_RW);
	sandbox_dir(&sb, ctx->dirs.bad, "bad", SB_RW);
	sandbox_dir(&sb, ctx->dirs.lock, "lock", SB_RW);
	sandbox_dir(&sb, ctx->dirs.status, "status", SB_RW);
	sandbox_enter(ctx->cfg->sandbox, &sb);
}
