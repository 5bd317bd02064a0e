/* api2.c: the API 2.0 transport: OAuth2 bearer tokens, GETs and POSTs,
 * the retry policy and the per-endpoint budgets.
 *
 * The access token is fetched once and cached in f->tok; it is refreshed a
 * minute before it expires, and once after a 401 (then a second 401 is
 * fatal). It goes to API calls only: the pre-signed downloads (siem2.c)
 * never see it.
 *
 * Rate limits (mimecast-api.md sections 4.4 and 4.7): each endpoint has a
 * budget of its own, counted here (the batch listing about 50 calls per 15
 * minutes) and corrected by the server (X-RateLimit-Remaining: 0, or a
 * 429 with Retry-After or X-RateLimit-Reset). A short wait is slept in
 * place; a long one defers just that endpoint (CALL_LATER): the stream
 * returns, keeping its position, and the other streams go on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "log.h"

#define RATE_MAX_IN_A_ROW 10
#define WAIT_IN_PLACE_MS 5000L  /* longer waits defer the endpoint instead */
#define TOKEN_MARGIN 60         /* refresh this many seconds before expiry */
#define TOKEN_TRIES 4

void api2_init(struct fetch *f)
{
	const struct config *c = f->cfg;
	if (c->mimecast.client_id[0] == '\0')
		die(EXIT_PERM, "%s: mimecast.api = 2 needs mimecast.client_id (the API 2.0 "
			       "application's client ID)", c->path);
	if (c->mimecast.client_secret[0] == '\0')
		die(EXIT_PERM, "%s: mimecast.api = 2 needs mimecast.client_secret or "
			       "mimecast.client_secret_file", c->path);
	f->call = api2_call;
	memset(&f->tok, 0, sizeof f->tok);
	memset(f->budgets, 0, sizeof f->budgets);
	f->budgets[0].uri = "/siem/v1/batch/events/cg";
	f->budgets[0].limit = 50;
	f->budgets[0].window = 900;
	f->budgets[1].uri = "/api/audit/get-audit-events";
	f->budgets[1].limit = 20;
	f->budgets[1].window = 60;
}

static struct budget *budget_for(struct fetch *f, const char *uri)
{
	for (size_t i = 0; i < sizeof f->budgets / sizeof f->budgets[0]; i++)
		if (f->budgets[i].uri != NULL &&
		    strncmp(uri, f->budgets[i].uri, strlen(f->budgets[i].uri)) == 0)
			return &f->budgets[i];
	return NULL;
}

/* Milliseconds before b allows a call (0: now). */
static long budget_wait(const struct budget *b, long long now)
{
	long long w = 0;
	if (b->not_before > now)
		w = b->not_before - now;
	if (b->n == b->limit) {
		/* The oldest of the last `limit` calls must leave the window. */
		long long oldest = b->ring[b->head];
		long long free_at = oldest + b->window * 1000LL;
		if (free_at - now > w)
			w = free_at - now;
	}
	return (long)w;
}

static void budget_charge(struct budget *b, long long now)
{
	if (b->n < b->limit) {
		b->ring[(b->head + b->n) % b->limit] = now;
		b->n++;
	} else {
		b->ring[b->head] = now;
		b->head = (b->head + 1) % b->limit;
	}
}

long api2_deferred_ms(struct fetch *f)
{
	long long now = fetch_now_ms();
	long best = 0;
	for (size_t i = 0; i < sizeof f->budgets / sizeof f->budgets[0]; i++) {
		if (f->budgets[i].uri == NULL)
			continue;
		/* Only a stream that gave up its turn: an endpoint merely near
		 * its budget is no reason for an early pass. */
		long long d = f->budgets[i].deferred;
		if (d == 0)
			continue;
		long w = d > now ? (long)(d - now) : 1;
		if (best == 0 || w < best)
			best = w;
	}
	return best;
}

int api2_token(struct fetch *f, int force)
{
	const struct config *c = f->cfg;
	time_t now = fetch_now();
	if (!force && f->tok.token[0] != '\0' && f->tok.expires_at - TOKEN_MARGIN > now)
		return 0;
	char err[768];
	long status;
	for (int i = 0;; i++) {
		if (oauth_fetch(&f->http, f->base, c->mimecast.client_id, c->mimecast.client_secret,
				&f->tok, &status, err, sizeof err) == 0) {
			log_debug("oauth: a new access token, valid %lld s",
				  (long long)(f->tok.expires_at - now));
			return 0;
		}
		f->tok.expires_at = 0; /* the old token (kept for its redaction slot) is stale */
		if (status == 0 && f->http.last_rc == HTTP_ETLS)
			die(EXIT_PERM, "oauth: %s: TLS certificate verification failed: if the server's "
				       "certificate comes from a private CA, name it in mimecast.ca_file; "
				       "verification is never turned off", err);
		if (status == 0 && f->http.last_rc == HTTP_ESTOP)
			return -1;
		if (status == 0 && f->http.last_rc == HTTP_EURL)
			die(EXIT_PERM, "oauth: %s", err);
		if (status == 400 || status == 401 || status == 403)
			die(EXIT_PERM, "oauth: the API 2.0 client credentials were refused (%s): check "
				       "mimecast.client_id and mimecast.client_secret (or "
				       "client_secret_file) against the API 2.0 application in the "
				       "Mimecast console", err);
		if (status != 0 && status != 429 && status != 408 && status < 500)
			die(EXIT_PERM, "oauth: %s", err);
		if (i + 1 >= TOKEN_TRIES || f->retry_ms[i] == 0)
			die(EXIT_TEMP, "oauth: %s: still failing after %d attempts; the saved position "
				       "is kept", err, i + 1);
		log_warn("oauth: %s: retrying in %ld ms", err, f->retry_ms[i]);
		if (fetch_sleep_ms(f->retry_ms[i]) < 0)
			return -1;
	}
}

/* The default for 2xx bodies: a JSON object, or nothing usable. */
static enum body_kind json_kind(const struct http_resp *r, struct mc_envelope *env)
{
	if (r->body_len == 0)
		return BODY_EMPTY;
	if (r->body_len > r->head.len)
		return BODY_CORRUPT;
	return mc_envelope_parse(r->head.p, r->head.len, env) == 0 ? BODY_ENVELOPE : BODY_CORRUPT;
}

/* Wait ms in place, or defer the endpoint. CALL_OK after a wait in place. */
static int wait_or_defer(struct budget *b, const struct api_req *q, long ms, const char *why)
{
	const char *what = q->what;
	if (b != NULL && q->can_defer && ms > WAIT_IN_PLACE_MS) {
		long long nb = fetch_now_ms() + ms;
		/* Said once per deferral: every stream that meets the same
		 * spent budget in this pass would otherwise repeat it. */
		int news = b->deferred != b->not_before || nb > b->not_before + 1000;
		if (nb > b->not_before)
			b->not_before = nb;
		b->deferred = b->not_before;
		if (news)
			log_warn("%s: %s: deferring this endpoint for %ld s; the other streams go on, "
				 "the saved position is kept", what, why, (ms + 999) / 1000);
		else
			log_debug("%s: %s: still deferred", what, why);
		return CALL_LATER;
	}
	log_info("%s: %s: waiting %ld ms", what, why, ms);
	return fetch_sleep_ms(ms) < 0 ? CALL_STOP : CALL_OK;
}

int api2_call(struct fetch *f, const struct api_req *q, struct http_resp *r,
	      struct mc_envelope *env, enum body_kind *kind)
{
	char url[16384], msg[2048], auth[8300];
	if (snprintf(url, sizeof url, "%s%s", f->base, q->uri) >= (int)sizeof url)
		die(EXIT_PERM, "%s: the request URL is too long", q->what);
	struct budget *b = budget_for(f, q->uri);
	int temp = 0, rate = 0, refreshed = 0;
	for (;;) {
		if (b != NULL) {
			long w = budget_wait(b, fetch_now_ms());
			if (w > 0) {
				int rc = wait_or_defer(b, q, w, "the call budget of this endpoint is spent");
				if (rc != CALL_OK)
					return rc;
			}
		}
		if (api2_token(f, 0) < 0)
			return CALL_STOP;
		if (q->reset != NULL && q->reset(q->arg) < 0)
			die_sys(exit_code_for_errno(errno), "%s: unable to restart the download file",
				q->what);
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->tok.token);
		const char *hdrs[] = { auth, "Accept: application/json",
				       q->body != NULL ? "Content-Type: application/json" : NULL, NULL };
		log_debug("%s: %s %s", q->what, q->body != NULL ? "POST" : "GET", q->uri);
		if (b != NULL)
			budget_charge(b, fetch_now_ms());
		int rc = q->body != NULL
			     ? http_post(&f->http, url, hdrs, q->body, q->len, q->sink, q->max_body, r)
			     : http_get(&f->http, url, hdrs, q->sink, q->max_body, r);
		memset(auth, 0, sizeof auth);
		memset(env, 0, sizeof *env);
		*kind = BODY_CORRUPT;
		switch (rc) {
		case HTTP_OK:
			break;
		case HTTP_ESTOP:
			return CALL_STOP;
		default:
			fetch_transport_error(f, q, rc, msg, sizeof msg);
			goto temporary;
		}

		long remaining, ms;
		if (b != NULL && r->status != 429 &&
		    mc_header_long(http_header(r, "x-ratelimit-remaining"), &remaining) == 0 &&
		    remaining == 0 &&
		    mc_reset2_ms(http_header(r, "x-ratelimit-reset"), fetch_now_ms(), &ms) == 0)
			b->not_before = fetch_now_ms() + ms;

		enum mc_action a;
		if (r->status >= 200 && r->status < 300) {
			*kind = q->interpret != NULL ? q->interpret(q->arg, r, env) : json_kind(r, env);
			if (*kind == BODY_CORRUPT || (q->interpret == NULL && *kind == BODY_EMPTY)) {
				snprintf(msg, sizeof msg, "%s: HTTP %ld with a %s body (%llu bytes%s%s)",
					 q->what, r->status, *kind == BODY_EMPTY ? "empty" : "corrupt",
					 r->body_len, env->message[0] ? ": " : "", env->message);
				goto temporary;
			}
			a = mc_classify(r->status, *kind == BODY_ENVELOPE ? env : NULL);
		} else {
			if (r->body_len > 0 && r->body_len <= r->head.len)
				(void)mc_envelope_parse(r->head.p, r->head.len, env);
			if (!env->parsed)
				memset(env, 0, sizeof *env);
			a = mc_classify(r->status, env->parsed ? env : NULL);
			if (r->status == 400 && q->cursor_sent)
				a = MC_BAD_TOKEN;
		}
		char detail[700] = "";
		if (env->code[0] || env->message[0])
			snprintf(detail, sizeof detail, ": %s%s%s", env->code,
				 env->code[0] && env->message[0] ? ": " : "", env->message);

		switch (a) {
		case MC_OK:
			if (b != NULL)
				b->deferred = 0;
			return CALL_OK;
		case MC_BAD_TOKEN:
			return CALL_BAD_TOKEN;
		case MC_RATE: {
			if (++rate > RATE_MAX_IN_A_ROW)
				die(EXIT_TEMP, "%s: rate limited (HTTP 429) %d times in a row: giving up for "
					       "now, the saved position is kept",
				    q->what, RATE_MAX_IN_A_ROW);
			const char *ra = http_header(r, "retry-after");
			const char *reset = http_header(r, "x-ratelimit-reset");
			ms = mc_ratelimit2_wait_ms(ra, reset, fetch_now_ms(), rate);
			char why[256];
			snprintf(why, sizeof why, "rate limited (HTTP 429, Retry-After: %s, "
						  "X-RateLimit-Reset: %s)",
				 ra != NULL ? ra : "absent", reset != NULL ? reset : "absent");
			int wr = wait_or_defer(b, q, ms, why);
			if (wr != CALL_OK)
				return wr;
			continue;
		}
		case MC_AUTH:
			if (!refreshed) {
				refreshed = 1;
				log_warn("%s: the access token was refused (HTTP %ld%s): fetching a new one "
					 "and trying once more", q->what, r->status, detail);
				if (api2_token(f, 1) < 0)
					return CALL_STOP;
				continue;
			}
			die(EXIT_PERM, "%s: refused with a fresh access token too (HTTP %ld%s): check the "
				       "API 2.0 application (mimecast.client_id) and its products",
			    q->what, r->status, detail);
		case MC_FORBIDDEN:
			die(EXIT_PERM, "%s: forbidden (HTTP 403%s): the API 2.0 application lacks the "
				       "product or permission for this call (%s); add it in the Mimecast "
				       "console, or turn this stream off in the config",
			    q->what, detail, q->perm);
		case MC_RETRY:
			snprintf(msg, sizeof msg, "%s: HTTP %ld%s", q->what, r->status, detail);
			goto temporary;
		default:
			die(EXIT_PERM, "%s: refused (HTTP %ld%s)", q->what, r->status, detail);
		}

	temporary:
		if (temp >= (int)(sizeof f->retry_ms / sizeof f->retry_ms[0]) || f->retry_ms[temp] == 0)
			die(EXIT_TEMP, "%s: still failing after %d attempts; the saved position is kept",
			    msg, temp + 1);
		log_warn("%s: retrying in %ld ms", msg, f->retry_ms[temp]);
		if (fetch_sleep_ms(f->retry_ms[temp]) < 0)
			return CALL_STOP;
		temp++;
	}
}
