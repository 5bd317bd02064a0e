/* mcapi.h: the pieces of a Mimecast API client that do not move bytes.
 *
 * Shared by mcspool-fetch and mcspool-setup. Nothing here talks to the
 * network (that is http.h): this is request signing for API 1.0
 * (mimecast-api.md section 1.3), the x-mc-date and x-mc-req-id values,
 * base64, the response envelope ({"meta":..,"data":[..],"fail":[..]}) and
 * what each error means for a collector, and the rate-limit headers.
 */
#ifndef MCSPOOL_MCAPI_H
#define MCSPOOL_MCAPI_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* ---- encoding ------------------------------------------------------ */

/* Standard base64 with '=' padding, no newline. out needs 4*ceil(n/3)+1. */
size_t mc_b64encode(const unsigned char *in, size_t n, char *out);
/* Strict decode (standard alphabet, padding required, nothing else).
 * Returns the decoded length, or -1 if in is not base64 or does not fit. */
long mc_b64decode(const char *in, unsigned char *out, size_t cap);

/* "Tue, 24 Nov 2015 12:50:11 UTC": gmtime_r and fixed English names,
 * never the locale. out needs MC_DATE_LEN + 1 bytes. Returns out. */
#define MC_DATE_LEN 29
char *mc_date(time_t t, char *out);
/* Audit date form "2015-11-24T12:50:11+0000" (UTC). out: 25 bytes. */
char *mc_isodate(time_t t, char *out);
/* Parse "YYYY-MM-DDTHH:MM:SS" followed by Z, +hhmm or +hh:mm (fraction of a
 * second allowed and ignored) into UTC seconds. 0, or -1 if malformed. */
int mc_parse_isodate(const char *s, size_t n, time_t *out);

/* An HTTP Date header ("Tue, 24 Nov 2015 12:50:11 GMT", RFC 7231's
 * preferred form) into UTC seconds. 0, or -1. */
int mc_parse_httpdate(const char *s, time_t *out);

/* A fresh random v4 UUID, lower case (36 chars + NUL), from getrandom().
 * 0, or -1 with errno. */
int mc_uuid4(char *out);

/* ---- API 1.0 signing ----------------------------------------------- */

#define MC_SIG_LEN 28 /* base64 of a 20-byte HMAC-SHA1 */

/* base64(HMAC-SHA1(key, date ":" reqid ":" uri ":" app_key)) into out
 * (MC_SIG_LEN + 1 bytes). */
void mc_sign(const unsigned char *key, size_t keylen, const char *date, const char *reqid,
	     const char *uri, const char *app_key, char *out);

struct mc_creds1 {
	const char *app_id, *app_key, *access_key;
	unsigned char secret[512]; /* base64-decoded secret_key */
	size_t secretlen;
};

/* Check and prepare API 1.0 credentials. 0, or -1 with err saying which
 * key is missing or malformed (never its value). */
int mc_creds1_init(struct mc_creds1 *c, const char *app_id, const char *app_key,
		   const char *access_key, const char *secret_key, char *err, size_t errlen);
void mc_creds1_wipe(struct mc_creds1 *c);

/* The signed request headers for one API 1.0 call to uri at time now:
 * fills hdrs (NUL-separated "Name: value" strings, see mc_headers_list)
 * and copies the request id and date used into reqid (37) and date (30). */
int mc_headers1(const struct mc_creds1 *c, const char *uri, time_t now, struct buf *hdrs,
		char *reqid, char *date);
/* Split a NUL-separated header block into a NULL-terminated array (at most
 * max-1 entries). Returns the count. */
size_t mc_headers_list(const struct buf *hdrs, const char **list, size_t max);

/* ---- envelope and errors ------------------------------------------- */

struct mc_envelope {
	int parsed;        /* the body was a JSON object */
	long meta_status;  /* meta.status, 0 if absent */
	int is_last_token; /* meta.isLastToken is true */
	int has_meta, has_data, has_fail;
	int nfail;         /* fail[] entries */
	int ndata;         /* data[] entries */
	char code[128];    /* fail[0].errors[0].code (or fail[0].code, error.code) */
	char message[512]; /* its message */
	int retryable;     /* fail[0].errors[0].retryable is true */
	char next[4096];   /* meta.pagination.next, "" if absent */
};

/* Parse body as a Mimecast envelope. Returns 0 when it is a JSON object
 * (fields filled), -1 when it is not JSON (env->message says why). */
int mc_envelope_parse(const char *body, size_t len, struct mc_envelope *env);

/* What a collector should do about a response. */
enum mc_action {
	MC_OK,          /* 2xx and no fail[] */
	MC_RATE,        /* 429: wait X-RateLimit-Reset, same request again */
	MC_RETRY,       /* 5xx, or a retryable error: back off and retry, then exit 111 */
	MC_AUTH,        /* 401: retry once with a fresh signature, then exit 100 */
	MC_BINDING,     /* 418: exit 100 at once */
	MC_FORBIDDEN,   /* 403 */
	MC_REGION,      /* err_audit_log_incorrect_region */
	MC_BAD_TOKEN,   /* err_audit_siem_invalid_token, err_audit_invalid_page_token: a cursor refused */
	MC_FATAL,       /* other 4xx, or a non-retryable fail[]: exit 100 */
};

enum mc_action mc_classify(long http_status, const struct mc_envelope *env);

/* An operator's message for a failed call, one line, into out:
 * "what" names the call ("get-audit-events"), perm the Mimecast permission
 * it needs ("Logs | Read"), reqid the request id. */
void mc_error_message(enum mc_action a, long http_status, const struct mc_envelope *env,
		      const char *what, const char *perm, const char *reqid, const char *base_url,
		      char *out, size_t cap);

/* ---- rate limiting ------------------------------------------------- */

#define MC_RATE_MIN_MS 1000L
#define MC_RATE_MAX_MS (15L * 60 * 1000)
#define MC_RATE_DEFAULT_MS (60L * 1000)

/* Milliseconds to wait after a 429 given X-RateLimit-Reset (NULL if absent).
 * attempt counts the 429s in a row (1 for the first): an absent or
 * unparsable header waits 60 s, doubling with each attempt; every result is
 * clamped to [1 s, 15 min]. */
long mc_ratelimit_wait_ms(const char *reset, int attempt);
/* API 2.0 (section 4.7). now_ms: the current time, epoch milliseconds.
 * X-RateLimit-Reset as a duration (ms), epoch seconds (> 10^9) or epoch ms
 * (> 10^12) into ms from now (0 if past, at most 15 min): 0, or -1. */
int mc_reset2_ms(const char *reset, long long now_ms, long *ms);
/* Retry-After (delta-seconds or an HTTP date) into ms from now: 0, or -1. */
int mc_retry_after_ms(const char *v, long long now_ms, long *ms);
/* The wait after a 2.0 429: Retry-After first, else X-RateLimit-Reset,
 * else 60 s doubling per attempt; clamped to [1 s, 15 min]. */
long mc_ratelimit2_wait_ms(const char *retry_after, const char *reset, long long now_ms,
			   int attempt);
/* Parse a non-negative integer header value. 0, or -1. */
int mc_header_long(const char *v, long *out);

#endif
