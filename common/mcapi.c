/* mcapi.c: see mcapi.h. */
#include "mcapi.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "json.h"

/* ---- base64 -------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mc_b64encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64val(char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;
	return p != NULL ? (int)(p - b64) : -1;
}

long mc_b64decode(const char *in, unsigned char *out, size_t cap)
{
	size_t n = strlen(in);
	if (n == 0 || n % 4 != 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int last = i + 4 == n;
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = in[i + k];
			if (c == '=' && last && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0) /* data after '=' */
				return -1;
			v[k] = b64val(c);
			if (v[k] < 0)
				return -1;
		}
		unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
			     (unsigned)v[3];
		size_t take = 3 - (size_t)pad;
		if (o + take > cap)
			return -1;
		out[o++] = (unsigned char)(x >> 16);
		if (take > 1)
			out[o++] = (unsigned char)(x >> 8);
		if (take > 2)
			out[o++] = (unsigned char)x;
	}
	return (long)o;
}

/* ---- dates and ids ------------------------------------------------- */

char *mc_date(time_t t, char *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11 || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		/* Unreachable for any clock we run on; keep the format anyway. */
		strcpy(out, "Thu, 01 Jan 1970 00:00:00 UTC");
		return out;
	}
	char tmp[80];
	snprintf(tmp, sizeof tmp, "%s, %02d %s %04d %02d:%02d:%02d UTC", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, MC_DATE_LEN);
	out[MC_DATE_LEN] = '\0';
	return out;
}

char *mc_isodate(time_t t, char *out)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		strcpy(out, "1970-01-01T00:00:00+0000");
		return out;
	}
	char tmp[80]; /* the compiler cannot know the fields' ranges */
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, 24);
	out[24] = '\0';
	return out;
}

static int digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int mc_parse_isodate(const char *s, size_t n, time_t *out)
{
	int Y, M, D, h, m, sec;
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    digits(s, 4, &Y) < 0 || digits(s + 5, 2, &M) < 0 || digits(s + 8, 2, &D) < 0 ||
	    digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &m) < 0 || digits(s + 17, 2, &sec) < 0)
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	size_t i = 19;
	if (s[i] == '.') {
		i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return -1;
	}
	long off = 0;
	if (i < n && s[i] == 'Z' && i + 1 == n) {
		off = 0;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		const char *p = s + i + 1;
		size_t rest = n - i - 1;
		if (rest == 4 && digits(p, 2, &oh) == 0 && digits(p + 2, 2, &om) == 0) {
		} else if (rest == 5 && p[2] == ':' && digits(p, 2, &oh) == 0 &&
			   digits(p + 3, 2, &om) == 0) {
		} else {
			return -1;
		}
		if (oh > 23 || om > 59)
			return -1;
		off = (oh * 60L + om) * 60L;
		if (s[i] == '-')
			off = -off;
	} else {
		return -1;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	/* timegm, not mktime: the host's TZ must not matter. */
	time_t t = timegm(&tm);
	if (t == (time_t)-1 && !(Y == 1969 && M == 12 && D == 31))
		return -1;
	*out = t - off;
	return 0;
}

int mc_parse_httpdate(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int D, Y, h, m, sec;
	/* "Tue, 24 Nov 2015 12:50:11 GMT": fixed columns after the day name. */
	const char *p = s != NULL ? strchr(s, ',') : NULL;
	if (p == NULL || strlen(p) < 26 || p[1] != ' ' || p[4] != ' ' || p[8] != ' ' ||
	    p[13] != ' ' || p[16] != ':' || p[19] != ':' || p[22] != ' ' ||
	    digits(p + 2, 2, &D) < 0 || digits(p + 9, 4, &Y) < 0 || digits(p + 14, 2, &h) < 0 ||
	    digits(p + 17, 2, &m) < 0 || digits(p + 20, 2, &sec) < 0)
		return -1;
	int M = -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(p + 5, months + 3 * i, 3) == 0)
			M = i;
	if (M < 0 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = Y - 1900;
	tm.tm_mon = M;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}

int mc_uuid4(char *out)
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* ---- signing ------------------------------------------------------- */

void mc_sign(const unsigned char *key, size_t keylen, const char *date, const char *reqid,
	     const char *uri, const char *app_key, char *out)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	unsigned char mac[20];
	br_hmac_key_init(&kc, &br_sha1_vtable, key, keylen);
	br_hmac_init(&hc, &kc, 0);
	const char *parts[4] = { date, reqid, uri, app_key };
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			br_hmac_update(&hc, ":", 1);
		br_hmac_update(&hc, parts[i], strlen(parts[i]));
	}
	br_hmac_out(&hc, mac);
	mc_b64encode(mac, sizeof mac, out);
	memset(&kc, 0, sizeof kc);
	memset(&hc, 0, sizeof hc);
}

/* Header values must not be able to smuggle another header in. */
static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int mc_creds1_init(struct mc_creds1 *c, const char *app_id, const char *app_key,
		   const char *access_key, const char *secret_key, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	const char *names[4] = { "app_id", "app_key", "access_key", "secret_key" };
	const char *vals[4] = { app_id, app_key, access_key, secret_key };
	for (int i = 0; i < 4; i++) {
		if (vals[i] == NULL || vals[i][0] == '\0') {
			snprintf(err, errlen, "mimecast.%s is not set (API 1.0 needs app_id, app_key, "
					      "access_key and secret_key or secret_key_file)", names[i]);
			return -1;
		}
		if (!header_safe(vals[i])) {
			snprintf(err, errlen, "mimecast.%s holds a control character", names[i]);
			return -1;
		}
	}
	long n = mc_b64decode(secret_key, c->secret, sizeof c->secret);
	if (n <= 0) {
		snprintf(err, errlen, "mimecast.secret_key is not valid base64 (standard alphabet with "
				      "'=' padding, its length a multiple of 4): copy it again from the "
				      "Mimecast console");
		memset(c->secret, 0, sizeof c->secret);
		return -1;
	}
	c->secretlen = (size_t)n;
	c->app_id = app_id;
	c->app_key = app_key;
	c->access_key = access_key;
	return 0;
}

void mc_creds1_wipe(struct mc_creds1 *c)
{
	volatile unsigned char *p = c->secret;
	for (size_t i = 0; i < sizeof c->secret; i++)
		p[i] = 0;
	c->secretlen = 0;
}

int mc_headers1(const struct mc_creds1 *c, const char *uri, time_t now, struct buf *hdrs,
		char *reqid, char *date)
{
	char sig[MC_SIG_LEN + 1];
	if (mc_uuid4(reqid) < 0)
		return -1;
	mc_date(now, date);
	mc_sign(c->secret, c->secretlen, date, reqid, uri, c->app_key, sig);
	buf_reset(hdrs);
	int r = 0;
	r |= buf_printf(hdrs, "x-mc-date: %s", date) | buf_addc(hdrs, '\0');
	r |= buf_printf(hdrs, "x-mc-req-id: %s", reqid) | buf_addc(hdrs, '\0');
	r |= buf_printf(hdrs, "x-mc-app-id: %s", c->app_id) | buf_addc(hdrs, '\0');
	r |= buf_printf(hdrs, "Authorization: MC %s:%s", c->access_key, sig) | buf_addc(hdrs, '\0');
	r |= buf_adds(hdrs, "Content-Type: application/json") | buf_addc(hdrs, '\0');
	r |= buf_adds(hdrs, "Accept: application/json, application/octet-stream") |
	     buf_addc(hdrs, '\0');
	memset(sig, 0, sizeof sig);
	return r != 0 ? -1 : 0;
}

size_t mc_headers_list(const struct buf *hdrs, const char **list, size_t max)
{
	size_t n = 0;
	for (size_t off = 0; off < hdrs->len && n + 1 < max;) {
		list[n++] = hdrs->p + off;
		off += strlen(hdrs->p + off) + 1;
	}
	list[n] = NULL;
	return n;
}

/* ---- envelope ------------------------------------------------------ */

static void copy_str(const struct json *j, int i, char *out, size_t cap)
{
	out[0] = '\0';
	if (json_type(j, i) == JSMN_STRING) {
		if (json_str(j, i, out, cap) < 0) {
			/* Too long: keep what fits, for a message. */
			size_t n;
			const char *raw = json_raw(j, i, &n);
			if (n >= cap)
				n = cap - 1;
			memcpy(out, raw, n);
			out[n] = '\0';
		}
	}
}

int mc_envelope_parse(const char *body, size_t len, struct mc_envelope *env)
{
	memset(env, 0, sizeof *env);
	struct json j;
	json_init(&j);
	if (json_parse(&j, body, len) < 0) {
		snprintf(env->message, sizeof env->message, "%s", j.err);
		json_free(&j);
		return -1;
	}
	if (json_type(&j, 0) != JSMN_OBJECT) {
		snprintf(env->message, sizeof env->message, "not a JSON object");
		json_free(&j);
		return -1;
	}
	env->parsed = 1;
	int meta = json_get(&j, 0, "meta");
	int data = json_get(&j, 0, "data");
	int fail = json_get(&j, 0, "fail");
	env->has_meta = json_type(&j, meta) == JSMN_OBJECT;
	env->has_data = json_type(&j, data) == JSMN_ARRAY;
	env->has_fail = json_type(&j, fail) == JSMN_ARRAY;
	long long v;
	if (json_int(&j, json_get(&j, meta, "status"), &v) == 0)
		env->meta_status = (long)v;
	env->is_last_token = json_is_true(&j, json_get(&j, meta, "isLastToken"));
	copy_str(&j, json_get(&j, json_get(&j, meta, "pagination"), "next"), env->next,
		 sizeof env->next);
	if (env->has_data)
		env->ndata = json_size(&j, data);
	if (env->has_fail)
		env->nfail = json_size(&j, fail);
	/* The message is in fail[0].errors[0] (1.0), fail[0] (2.0) or error (others). */
	int f0 = json_elem(&j, fail, 0);
	int e0 = json_elem(&j, json_get(&j, f0, "errors"), 0);
	int src = e0 >= 0 ? e0 : f0 >= 0 ? f0 : json_get(&j, 0, "error");
	if (src >= 0) {
		copy_str(&j, json_get(&j, src, "code"), env->code, sizeof env->code);
		copy_str(&j, json_get(&j, src, "message"), env->message, sizeof env->message);
		env->retryable = json_is_true(&j, json_get(&j, src, "retryable"));
	}
	json_free(&j);
	return 0;
}

static int code_is(const struct mc_envelope *env, const char *code)
{
	return env != NULL && strcasecmp(env->code, code) == 0;
}

enum mc_action mc_classify(long st, const struct mc_envelope *env)
{
	if (st == 418 || code_is(env, "err_xdk_binding_expired"))
		return MC_BINDING;
	if (code_is(env, "err_audit_log_incorrect_region"))
		return MC_REGION;
	if (code_is(env, "err_audit_siem_invalid_token") || code_is(env, "err_audit_invalid_page_token"))
		return MC_BAD_TOKEN;
	if (st == 429)
		return MC_RATE;
	if (st == 401 || code_is(env, "err_xdk_invalid_signature") || code_is(env, "err_developer_key"))
		return MC_AUTH;
	if (st == 403)
		return MC_FORBIDDEN;
	if (st >= 500 || st == 408)
		return MC_RETRY;
	if (st >= 200 && st < 300) {
		if (env == NULL || env->nfail == 0)
			return MC_OK;
		return env->retryable ? MC_RETRY : MC_FATAL;
	}
	if (st == 409)
		return MC_RETRY;
	return MC_FATAL;
}

void mc_error_message(enum mc_action a, long st, const struct mc_envelope *env, const char *what,
		      const char *perm, const char *reqid, const char *base_url, char *out,
		      size_t cap)
{
	char detail[800] = "";
	if (env != NULL && (env->code[0] || env->message[0]))
		snprintf(detail, sizeof detail, ", %s%s%s", env->code, env->code[0] && env->message[0] ? ": " : "",
			 env->message);
	switch (a) {
	case MC_BINDING:
		snprintf(out, cap, "%s: access key binding expired (HTTP %ld%s): give the user an "
				   "Authentication Profile whose TTL never expires and create new keys",
			 what, st, detail);
		break;
	case MC_REGION:
		snprintf(out, cap, "%s: wrong region (HTTP %ld%s): base_url %s is not this account's "
				   "regional host; run discovery (mcspool-setup, or POST "
				   "/api/login/discover-authentication on https://api.mimecast.com) and "
				   "set mimecast.base_url to the host it names",
			 what, st, detail, base_url);
		break;
	case MC_BAD_TOKEN:
		snprintf(out, cap, "%s: Mimecast refused the saved SIEM token (HTTP %ld%s): it is "
				   "corrupt or older than the 7-day retention",
			 what, st, detail);
		break;
	case MC_RATE:
		snprintf(out, cap, "%s: rate limited (HTTP %ld%s)", what, st, detail);
		break;
	case MC_AUTH:
		snprintf(out, cap, "%s: authentication refused (HTTP %ld%s) for request id %s: check "
				   "that this host's clock is right (NTP) and that app_id, app_key, "
				   "access_key and secret_key belong to one API 1.0 application",
			 what, st, detail, reqid);
		break;
	case MC_FORBIDDEN:
		snprintf(out, cap, "%s: permission denied (HTTP %ld%s): the API user's role lacks "
				   "%s; grant it in the Mimecast console",
			 what, st, detail, perm);
		break;
	case MC_RETRY:
		snprintf(out, cap, "%s: temporary failure at Mimecast (HTTP %ld%s)", what, st, detail);
		break;
	case MC_FATAL:
		if (st == 404)
			snprintf(out, cap, "%s: not found (HTTP 404%s): is base_url %s right?", what, detail,
				 base_url);
		else if (st >= 300 && st < 400)
			snprintf(out, cap, "%s: redirected (HTTP %ld), which is never followed: is base_url "
					   "%s right?", what, st, base_url);
		else if (st >= 200 && st < 300)
			snprintf(out, cap, "%s: Mimecast reported an error (HTTP %ld%s)", what, st, detail);
		else
			snprintf(out, cap, "%s: request refused (HTTP %ld%s)", what, st, detail);
		break;
	case MC_OK:
		snprintf(out, cap, "%s: ok", what);
		break;
	}
}

/* ---- rate limiting ------------------------------------------------- */

int mc_header_long(const char *v, long *out)
{
	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v < '0' || *v > '9')
		return -1;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || *end != '\0' || x < 0)
		return -1;
	*out = x;
	return 0;
}

long mc_ratelimit_wait_ms(const char *reset, int attempt)
{
	long ms;
	if (mc_header_long(reset, &ms) < 0) {
		ms = MC_RATE_DEFAULT_MS;
		for (int i = 1; i < attempt && ms < MC_RATE_MAX_MS; i++)
			ms *= 2;
	}
	if (ms < MC_RATE_MIN_MS)
		ms = MC_RATE_MIN_MS;
	if (ms > MC_RATE_MAX_MS)
		ms = MC_RATE_MAX_MS;
	return ms;
}

/* API 2.0 sends X-RateLimit-Reset as a duration in ms (like 1.0) or as an
 * absolute epoch in seconds or ms (mimecast-api.md section 4.7): a value
 * above 10^12 is epoch ms, above 10^9 epoch seconds, else a duration. An
 * absolute time already past means "now". */
int mc_reset2_ms(const char *reset, long long now_ms, long *ms)
{
	long v;
	if (mc_header_long(reset, &v) < 0)
		return -1;
	long long d;
	if (v > 1000000000000L)
		d = (long long)v - now_ms;
	else if (v > 1000000000L)
		d = (long long)v * 1000 - now_ms;
	else
		d = v;
	if (d < 0)
		d = 0;
	*ms = d > MC_RATE_MAX_MS ? MC_RATE_MAX_MS : (long)d;
	return 0;
}

/* Retry-After: delta-seconds or an HTTP date. */
int mc_retry_after_ms(const char *v, long long now_ms, long *ms)
{
	long s;
	time_t t;
	long long d;
	if (mc_header_long(v, &s) == 0)
		d = s > MC_RATE_MAX_MS / 1000 ? MC_RATE_MAX_MS : (long long)s * 1000; /* no overflow */
	else if (v != NULL && mc_parse_httpdate(v, &t) == 0)
		d = (long long)t * 1000 - now_ms;
	else
		return -1;
	if (d < 0)
		d = 0;
	*ms = d > MC_RATE_MAX_MS ? MC_RATE_MAX_MS : (long)d;
	return 0;
}

long mc_ratelimit2_wait_ms(const char *retry_after, const char *reset, long long now_ms,
			   int attempt)
{
	long ms;
	if (mc_retry_after_ms(retry_after, now_ms, &ms) < 0 && mc_reset2_ms(reset, now_ms, &ms) < 0) {
		ms = MC_RATE_DEFAULT_MS;
		for (int i = 1; i < attempt && ms < MC_RATE_MAX_MS; i++)
			ms *= 2;
	}
	if (ms < MC_RATE_MIN_MS)
		ms = MC_RATE_MIN_MS;
	if (ms > MC_RATE_MAX_MS)
		ms = MC_RATE_MAX_MS;
	return ms;
}
