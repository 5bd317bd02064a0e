/* mcspool-fetch: Mimecast API -> data_dir/raw/. See mcspool-fetch(8). */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "log.h"
#include "sandbox.h"
#include "stage.h"

static struct fetch fetcher;

static void init(struct stage_ctx *ctx)
{
	struct fetch *f = &fetcher;
	const struct config *c = ctx->cfg;
	f->ctx = ctx;
	f->cfg = c;
	ctx->priv = f;
	size_t n = strlen(c->mimecast.base_url);
	while (n > 0 && c->mimecast.base_url[n - 1] == '/')
		n--;
	if (n >= sizeof f->base)
		die(EXIT_PERM, "%s: mimecast.base_url is too long", c->path);
	memcpy(f->base, c->mimecast.base_url, n);
	f->base[n] = '\0';
	char err[512];
	if (!http_url_allowed(f->base, err, sizeof err))
		die(EXIT_PERM, "%s: mimecast.base_url: %s", c->path, err);
	if (c->mimecast.api == 2)
		api2_init(f);
	else
		api1_init(f);
	struct http_opts o = { c->mimecast.ca_file, c->mimecast.proxy, c->mimecast.connect_timeout,
			       c->mimecast.timeout, c->mimecast.low_speed_time };
	http_init(&f->http, &o);
	/* Temporary failures: 1 s, 2 s, 4 s, then exit 111 for the supervisor. */
	static const long sched[] = { 1000, 2000, 4000, 0 };
	memcpy(f->retry_ms, sched, sizeof sched);
	if (!c->mimecast.siem && !c->mimecast.audit)
		log_warn("mimecast.siem and mimecast.audit are both false: nothing to fetch");
}

/* doc/sandbox.md: the spool directories we write, what name resolution and
 * TLS read, and TCP connect to the API's (and the proxy's) port only. */
static void sandbox(struct stage_ctx *ctx)
{
	struct fetch *f = ctx->priv;
	const struct config *c = ctx->cfg;
	struct sandbox_spec sb;
	sandbox_spec_init(&sb, "fetch", SB_NET_CONNECT, SB_SECCOMP_DENY);
	sandbox_dir(&sb, ctx->dirs.raw, "raw", SB_RW);
	sandbox_dir(&sb, ctx->dirs.tmp, ctx->dirs.tmpname, SB_RW);
	sandbox_dir(&sb, ctx->dirs.state, "state", SB_RW);
	sandbox_dir(&sb, ctx->dirs.lock, "lock", SB_RW);
	sandbox_dir(&sb, ctx->dirs.status, "status", SB_RW);
	sandbox_resolver(&sb);
	sandbox_ca_store(&sb);
	if (sandbox_url_port(&sb, f->base) < 0)
		die(EXIT_PERM, "%s: mimecast.base_url: no port can be derived from it", c->path);
	if (c->mimecast.proxy[0] != '\0' && sandbox_url_port(&sb, c->mimecast.proxy) < 0)
		die(EXIT_PERM, "%s: mimecast.proxy: no port can be derived from it", c->path);
	sandbox_enter(c->sandbox, &sb);
}

static int pass(struct stage_ctx *ctx)
{
	struct fetch *f = ctx->priv;
	const struct config *c = ctx->cfg;
	/* The audit window first (one quick call or a few), then drain the SIEM
	 * files; a pass ends when both are idle. */
	if (f->phase == 0) {
		if (c->mimecast.audit && audit_pass(f) == STAGE_MORE)
			return STAGE_MORE;
		f->phase = 1;
	}
	if (c->mimecast.siem && (c->mimecast.api == 2 ? siem2_pass(f) : siem1_pass(f)) == STAGE_MORE)
		return STAGE_MORE;
	f->phase = 0;
	return STAGE_IDLE;
}

static long interval(struct stage_ctx *ctx)
{
	struct fetch *f = ctx->priv;
	long s = ctx->cfg->mimecast.poll_seconds;
	/* A token that does not advance: poll less often, up to 8 times. */
	for (int i = 1; i < f->siem_stuck && i < 4; i++)
		s *= 2;
	/* API 2.0: an endpoint deferred by its budget is due earlier. */
	long d = ctx->cfg->mimecast.api == 2 ? api2_deferred_ms(f) : 0;
	if (d > 0 && (d + 999) / 1000 < s)
		s = (d + 999) / 1000;
	return s;
}

int main(int argc, char **argv)
{
	static const struct stage s = {
		.prog = "mcspool-fetch",
		.name = "fetch",
		.summary = "Fetch Mimecast SIEM files and audit events into data_dir/raw/.",
		.config_flags = CONFIG_SECRETS,
		.init = init,
		.sandbox = sandbox,
		.pass = pass,
		.interval = interval,
	};
	return stage_main(&s, argc, argv);
}
