/* fetch.h: what the fetcher's streams share.
 *
 * main.c picks the API generation (mimecast.api) and sets f->call; the
 * streams (siem1.c or siem2.c, and audit.c) build requests and hand them to
 * f->call (api1_call or api2_call), which owns the transport policy: signing
 * or bearer tokens, retries and back-off, rate limits, and turning each
 * refusal into the operator's message and exit code.
 */
#ifndef MCSPOOL_FETCH_H
#define MCSPOOL_FETCH_H

#include <time.h>

#include "config.h"
#include "http.h"
#include "mcapi.h"
#include "spool.h"
#include "oauth.h"
#include "stage.h"

/* How a stream reads a 2xx body (the transport parses error bodies itself). */
enum body_kind {
	BODY_ENVELOPE, /* a JSON API envelope: env is filled */
	BODY_DATA,     /* a payload (SIEM file) */
	BODY_EMPTY,    /* nothing at all */
	BODY_CORRUPT,  /* not what it claims to be (truncated zip, broken JSON) */
};

struct api_req {
	const char *uri;   /* "/api/audit/get-siem-logs" */
	const char *what;  /* "get-siem-logs", for messages */
	const char *perm;  /* the Mimecast permission it needs, for a 403 */
	const char *body;  /* JSON request body */
	size_t len;
	const struct http_sink *sink; /* where the response body goes (may be NULL) */
	int (*reset)(void *arg);      /* restart the sink before each attempt */
	/* Classify a 2xx body. NULL: it must be a JSON envelope. */
	enum body_kind (*interpret)(void *arg, const struct http_resp *r, struct mc_envelope *env);
	void *arg;
	unsigned long long max_body;
	/* API 2.0: body NULL means a GET (uri carries the query string);
	 * cursor_sent: a 400 means the paging cursor was refused;
	 * can_defer: the stream can stop here and resume later (CALL_LATER),
	 * else a spent budget is waited for in place (an audit window's
	 * later pages: deferring would restart the window from its start). */
	int cursor_sent;
	int can_defer;
	/* A data body (not JSON) that stays corrupt through every retry is
	 * handed back (CALL_OK, BODY_CORRUPT) instead of stopping the stream:
	 * the SIEM stream publishes it for the splitter to quarantine and
	 * moves on (failure-modes.md entry 3: a bad file must not block the
	 * cursor until the data ages out). */
	int corrupt_ok;
};

enum {
	CALL_OK = 0,        /* 2xx; *kind says what the body is */
	CALL_STOP = 1,      /* a stop was requested: return, the state is untouched */
	CALL_BAD_TOKEN = 2, /* err_audit_siem_invalid_token */
	CALL_LATER = 3,     /* API 2.0: this endpoint's budget is spent; other streams go on */
};

/* API 2.0: a client-side budget per endpoint (a sliding window of the last
 * calls), and the time before which the server asked us not to call. */
#define BUDGET_MAX 64
struct budget {
	const char *uri; /* path prefix it covers */
	int limit;       /* calls per window (<= BUDGET_MAX) */
	long window;     /* seconds */
	long long ring[BUDGET_MAX]; /* call times, epoch ms */
	int n, head;
	long long not_before; /* epoch ms; 0: none */
	long long deferred;   /* epoch ms the deferred stream is due; 0: not deferred */
};

struct fetch {
	struct stage_ctx *ctx;
	const struct config *cfg;
	struct http_client http;
	struct mc_creds1 creds;
	char base[1024]; /* base_url without a trailing slash */
	/* One call with the whole retry policy. Dies on a permanent error
	 * (exit 100) and on a temporary one that persists (exit 111). */
	int (*call)(struct fetch *f, const struct api_req *q, struct http_resp *r,
		    struct mc_envelope *env, enum body_kind *kind);
	long pause_ms;    /* X-RateLimit-Remaining hit 0: wait this long before the next call */
	int phase;        /* 0: audit next, 1: SIEM next */
	int siem_stuck;   /* passes in a row where the SIEM token did not advance */
	long retry_ms[8]; /* back-off schedule for temporary failures, 0-terminated */
	/* API 2.0 */
	struct oauth tok;          /* the cached access token (expires_at 0: none yet) */
	struct budget budgets[2];  /* [0] the SIEM batch listing, [1] audit */
	int siem2_turn;            /* round robin over mimecast.siem_types */
	unsigned siem2_done;       /* bit i: type i is done for this pass (caught up, deferred, waiting) */
};

/* Wait ms milliseconds unless a stop is requested first: 0, or -1 if stopping. */
int fetch_sleep_ms(long ms);
/* The current time (UTC seconds). */
time_t fetch_now(void);

/* A transfer that got no response (rc < 0 from http_post/http_get, not
 * HTTP_ESTOP): dies for what a retry cannot mend (TLS verification, a URL
 * outside the policy, the sink, a body over its ceiling); otherwise puts the
 * reason for a temporary failure in msg and returns. Shared by both APIs. */
void fetch_transport_error(struct fetch *f, const struct api_req *q, int rc, char *msg, size_t cap);

/* A bounded list of hex digests, oldest first, kept as one state value
 * "d1,d2,...": list has room for max digests of hexlen digits and their
 * separators; adding to a full list drops the oldest. The SIEM streams use
 * it for the files they already delivered. */
int digest_list_has(const char *list, size_t n, size_t hexlen, const char *d);
void digest_list_add(char *list, size_t *n, size_t max, size_t hexlen, const char *d);
/* Drop the oldest (first) digest of a non-empty list. */
void digest_list_drop_oldest(char *list, size_t *n, size_t hexlen);
/* The first hexlen / 2 bytes of d as hexlen lowercase hex digits, NUL-terminated. */
void digest_hex(const unsigned char *d, size_t hexlen, char *out);

/* Hand a complete payload to raw/name (dying if that fails; "already
 * there" is a restart's duplicate and is not counted), log it, and count
 * its bytes (and events, when >= 0: an audit file) in the status record. */
void fetch_publish(struct fetch *f, struct spool_file *file, const char *name, long events);

/* API 1.0 transport (api1.c). */
void api1_init(struct fetch *f);
int api1_call(struct fetch *f, const struct api_req *q, struct http_resp *r,
	      struct mc_envelope *env, enum body_kind *kind);

/* The file name in a Content-Disposition value (filename="..." or bare):
 * its basename, sanitized for raw/ (spool_name_sanitize), at most cap-1
 * bytes; "" when absent or with no letter or digit. */
void siem1_disposition_name(const char *cd, char *out, size_t cap);

/* API 2.0 transport (api2.c): OAuth2 bearer, the 2.0 error bodies, 429
 * with Retry-After / X-RateLimit-Reset, per-endpoint budgets. */
void api2_init(struct fetch *f);
int api2_call(struct fetch *f, const struct api_req *q, struct http_resp *r,
	      struct mc_envelope *env, enum body_kind *kind);
/* A valid token in f->tok (fetched or refreshed if it expires within a
 * minute); force: fetch a new one whatever. 0, or -1 if a stop was
 * requested meanwhile. Dies when refused (100) or persistently failing (111). */
int api2_token(struct fetch *f, int force);
/* Milliseconds until the earliest deferred endpoint may be called (0: none). */
long api2_deferred_ms(struct fetch *f);
/* The current time, epoch milliseconds. */
long long fetch_now_ms(void);

/* API 2.0 SIEM batch (siem2.c). Pure helpers, unit-tested:
 * the object path of a pre-signed URL (the path only, without scheme, host,
 * query or fragment; %XX of unreserved characters decoded, other %xx upper
 * cased, a stray '%' as %25): 0, or -1 if it is not an absolute http(s) URL
 * or does not fit. */
int siem2_object_path(const char *url, char *out, size_t cap);
/* The start day to list from (YYYY-MM-DD into out[11]): want (a UTC time;
 * 0 = none) clamped to the retention, the 7 UTC days ending today. *lost:
 * how many whole days before the clamp were wanted (0 if none); lostfrom,
 * lostto (out[11] each, may be NULL): the first and last lost day. */
void siem2_start_day(time_t now, time_t want, char *out, int *lost, char *lostfrom,
		     char *lostto);
/* "url protect" -> "url_protect" (spaces to '_'; other bytes sanitized). */
void siem2_type_name(const char *type, char *out, size_t cap);
int siem2_pass(struct fetch *f);

/* Streams: one step of work. STAGE_MORE: call again at once. */
int siem1_pass(struct fetch *f);
int audit_pass(struct fetch *f);

#endif
