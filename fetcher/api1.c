/* api1.c: the API 1.0 transport: signed POSTs and the retry policy.
 *
 * Every refusal ends in one of three ways: retried here (429, 5xx, network,
 * a corrupt body, the first 401), handed back to the stream (an invalid
 * SIEM token), or fatal with a message saying what to fix (exit 100) or
 * that the trouble persists (exit 111, the supervisor restarts us later).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "log.h"

#define RATE_MAX_IN_A_ROW 10

void api1_init(struct fetch *f)
{
	const struct config *c = f->cfg;
	char err[512];
	if (mc_creds1_init(&f->creds, c->mimecast.app_id, c->mimecast.app_key,
			   c->mimecast.access_key, c->mimecast.secret_key, err, sizeof err) < 0)
		die(EXIT_PERM, "%s: %s", c->path, err);
	f->call = api1_call;
}

/* The default for 2xx bodies: a JSON envelope, or nothing usable. */
static enum body_kind json_kind(const struct http_resp *r, struct mc_envelope *env)
{
	if (r->body_len == 0)
		return BODY_EMPTY;
	if (r->body_len > r->head.len)
		return BODY_CORRUPT;
	return mc_envelope_parse(r->head.p, r->head.len, env) == 0 ? BODY_ENVELOPE : BODY_CORRUPT;
}

/* A hint for a 401: is our clock far from the server's? */
static void skew_hint(const struct http_resp *r, char *out, size_t cap)
{
	out[0] = '\0';
	time_t theirs;
	if (mc_parse_httpdate(http_header(r, "date"), &theirs) < 0)
		return;
	long d = (long)(fetch_now() - theirs);
	if (d > 120 || d < -120)
		snprintf(out, cap, " (this host's clock is %ld s %s the server's Date header)",
			 d > 0 ? d : -d, d > 0 ? "ahead of" : "behind");
}

int api1_call(struct fetch *f, const struct api_req *q, struct http_resp *r,
	      struct mc_envelope *env, enum body_kind *kind)
{
	char url[2048], reqid[40], date[MC_DATE_LEN + 1], msg[2048];
	if (snprintf(url, sizeof url, "%s%s", f->base, q->uri) >= (int)sizeof url)
		die(EXIT_PERM, "mimecast.base_url is too long");
	struct buf hdrs;
	buf_init(&hdrs, 16384);
	int temp = 0, rate = 0, auth = 0;
	for (;;) {
		if (f->pause_ms > 0) {
			log_info("%s: quota exhausted (X-RateLimit-Remaining: 0): pausing %ld ms",
				 q->what, f->pause_ms);
			if (fetch_sleep_ms(f->pause_ms) < 0) {
				buf_free(&hdrs);
				return CALL_STOP;
			}
			f->pause_ms = 0;
		}
		if (q->reset != NULL && q->reset(q->arg) < 0)
			die_sys(exit_code_for_errno(errno), "%s: unable to restart the download file",
				q->what);
		/* A fresh date and request id on every attempt: a retry is a new request. */
		if (mc_headers1(&f->creds, q->uri, fetch_now(), &hdrs, reqid, date) < 0)
			die_sys(EXIT_TEMP, "%s: unable to build the request headers", q->what);
		const char *list[16];
		mc_headers_list(&hdrs, list, sizeof list / sizeof list[0]);
		log_debug("%s: POST %s request id %s", q->what, q->uri, reqid);
		int rc = http_post(&f->http, url, list, q->body, q->len, q->sink, q->max_body, r);
		memset(env, 0, sizeof *env);
		*kind = BODY_CORRUPT;
		int corrupt_data = 0; /* this attempt brought a whole body that is not what it claims */
		switch (rc) {
		case HTTP_OK:
			break;
		case HTTP_ESTOP:
			buf_free(&hdrs);
			return CALL_STOP;
		default:
			fetch_transport_error(f, q, rc, msg, sizeof msg);
			goto temporary;
		}

		long remaining;
		if (mc_header_long(http_header(r, "x-ratelimit-remaining"), &remaining) == 0 &&
		    remaining == 0 && r->status != 429)
			f->pause_ms = mc_ratelimit_wait_ms(http_header(r, "x-ratelimit-reset"), 1);

		enum mc_action a;
		if (r->status >= 200 && r->status < 300) {
			*kind = q->interpret != NULL ? q->interpret(q->arg, r, env) : json_kind(r, env);
			if (*kind == BODY_CORRUPT || (q->interpret == NULL && *kind == BODY_EMPTY)) {
				snprintf(msg, sizeof msg, "%s: HTTP %ld with a %s body (%llu bytes%s%s)",
					 q->what, r->status, *kind == BODY_EMPTY ? "empty" : "corrupt",
					 r->body_len, env->message[0] ? ": " : "", env->message);
				const char *ct = http_header(r, "content-type");
				corrupt_data = *kind == BODY_CORRUPT &&
					       !(ct != NULL && strncasecmp(ct, "application/json", 16) == 0);
				goto temporary;
			}
			a = mc_classify(r->status, *kind == BODY_ENVELOPE ? env : NULL);
		} else {
			if (r->body_len > 0 && r->body_len <= r->head.len)
				(void)mc_envelope_parse(r->head.p, r->head.len, env);
			if (!env->parsed)
				memset(env, 0, sizeof *env); /* not JSON: the status alone decides */
			a = mc_classify(r->status, env->parsed ? env : NULL);
		}

		switch (a) {
		case MC_OK:
			buf_free(&hdrs);
			return CALL_OK;
		case MC_BAD_TOKEN:
			buf_free(&hdrs);
			return CALL_BAD_TOKEN;
		case MC_RATE: {
			if (++rate > RATE_MAX_IN_A_ROW)
				die(EXIT_TEMP, "%s: rate limited (HTTP 429) %d times in a row: giving up for "
					       "now, the saved position is kept",
				    q->what, RATE_MAX_IN_A_ROW);
			const char *reset = http_header(r, "x-ratelimit-reset");
			long ms = mc_ratelimit_wait_ms(reset, rate);
			log_warn("%s: rate limited (HTTP 429, X-RateLimit-Reset: %s): waiting %ld ms, "
				 "then the same request again",
				 q->what, reset != NULL ? reset : "absent", ms);
			if (fetch_sleep_ms(ms) < 0) {
				buf_free(&hdrs);
				return CALL_STOP;
			}
			continue;
		}
		case MC_AUTH:
			if (!auth) {
				auth = 1;
				log_warn("%s: authentication refused (HTTP %ld) for request id %s: trying "
					 "once more with a fresh signature",
					 q->what, r->status, reqid);
				continue;
			}
			mc_error_message(a, r->status, env, q->what, q->perm, reqid, f->base, msg,
					 sizeof msg);
			char hint[160];
			skew_hint(r, hint, sizeof hint);
			die(EXIT_PERM, "%s%s", msg, hint);
		case MC_RETRY:
			mc_error_message(a, r->status, env, q->what, q->perm, reqid, f->base, msg,
					 sizeof msg);
			goto temporary;
		default:
			mc_error_message(a, r->status, env, q->what, q->perm, reqid, f->base, msg,
					 sizeof msg);
			die(EXIT_PERM, "%s", msg);
		}

	temporary:
		if ((temp >= (int)(sizeof f->retry_ms / sizeof f->retry_ms[0]) || f->retry_ms[temp] == 0) &&
		    corrupt_data && q->corrupt_ok) {
			log_error("%s (request id %s): still corrupt after %d downloads: handing it on to "
				  "be quarantined, and moving on", msg, reqid, temp + 1);
			buf_free(&hdrs);
			*kind = BODY_CORRUPT;
			return CALL_OK;
		}
		if (temp >= (int)(sizeof f->retry_ms / sizeof f->retry_ms[0]) || f->retry_ms[temp] == 0)
			die(EXIT_TEMP, "%s (request id %s): still failing after %d attempts; the saved "
				       "position is kept",
			    msg, reqid, temp + 1);
		log_warn("%s (request id %s): retrying in %ld ms", msg, reqid, f->retry_ms[temp]);
		if (fetch_sleep_ms(f->retry_ms[temp]) < 0) {
			buf_free(&hdrs);
			return CALL_STOP;
		}
		temp++;
	}
}
