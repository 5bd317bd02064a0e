/* oauth.c: see oauth.h. */
#include "oauth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "log.h"

#define OAUTH_BODY_MAX (64u << 10)

/* application/x-www-form-urlencoded: unreserved bytes as they are, the
 * rest %XX (a space too: %20 is always accepted). */
static int form_add(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			if (buf_addc(b, (char)*p) < 0)
				return -1;
		} else if (buf_addc(b, '%') < 0 || buf_addc(b, hex[*p >> 4]) < 0 ||
			   buf_addc(b, hex[*p & 15]) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The server's reason from a failure body: fail[0].message,
 * fail[0].errors[0].message, error.message or error_description. */
static void fail_reason(const char *body, size_t len, char *out, size_t cap)
{
	out[0] = '\0';
	struct json j;
	json_init(&j);
	if (len > 0 && json_parse(&j, body, len) == 0 && json_type(&j, 0) == JSMN_OBJECT) {
		int f0 = json_elem(&j, json_get(&j, 0, "fail"), 0);
		int code = json_get(&j, f0, "code");
		int msg = json_get(&j, f0, "message");
		if (msg < 0)
			msg = json_get(&j, json_elem(&j, json_get(&j, f0, "errors"), 0), "message");
		if (msg < 0) {
			int e = json_get(&j, 0, "error");
			if (json_type(&j, e) == JSMN_OBJECT) {
				code = json_get(&j, e, "code");
				msg = json_get(&j, e, "message");
			} else {
				code = e;
				msg = json_get(&j, 0, "error_description");
			}
		}
		char c[128] = "", m[256] = "";
		if (json_str(&j, code, c, sizeof c) < 0)
			c[0] = '\0';
		if (json_str(&j, msg, m, sizeof m) < 0)
			m[0] = '\0';
		for (char *p = m; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		for (char *p = c; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		snprintf(out, cap, "%s%s%s", c, c[0] && m[0] ? ": " : "", m);
	}
	json_free(&j);
}

static int token_chars_ok(const char *t)
{
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return 0;
	return t[0] != '\0';
}

int oauth_fetch(struct http_client *h, const char *base_url, const char *client_id,
		const char *client_secret, struct oauth *o, long *status, char *err, size_t errlen)
{
	*status = 0;
	err[0] = '\0';
	if (client_id == NULL || client_id[0] == '\0' || client_secret == NULL ||
	    client_secret[0] == '\0') {
		snprintf(err, errlen, "mimecast.client_id and mimecast.client_secret (or "
				      "client_secret_file) are needed for API 2.0");
		return -1;
	}
	size_t bl = strlen(base_url);
	while (bl > 0 && base_url[bl - 1] == '/')
		bl--;
	char url[2048];
	if (snprintf(url, sizeof url, "%.*s/oauth/token", (int)bl, base_url) >= (int)sizeof url) {
		snprintf(err, errlen, "mimecast.base_url is too long");
		return -1;
	}
	struct buf form;
	buf_init(&form, 32768);
	if (buf_adds(&form, "client_id=") < 0 || form_add(&form, client_id) < 0 ||
	    buf_adds(&form, "&client_secret=") < 0 || form_add(&form, client_secret) < 0 ||
	    buf_adds(&form, "&grant_type=client_credentials") < 0) {
		buf_free(&form);
		snprintf(err, errlen, "the client credentials are too long");
		return -1;
	}
	static const char *const hdrs[] = { "Content-Type: application/x-www-form-urlencoded",
					    "Accept: application/json", NULL };
	struct http_resp r;
	http_resp_init(&r, OAUTH_BODY_MAX);
	time_t asked = time(NULL);
	int rc = http_post(h, url, hdrs, form.p, form.len, NULL, OAUTH_BODY_MAX, &r);
	/* The form holds the secret: do not leave it in freed memory. */
	memset(form.p, 0, form.len);
	buf_free(&form);
	int ret = -1;
	if (rc != HTTP_OK) {
		*status = rc == HTTP_EBIG ? r.status : 0;
		snprintf(err, errlen, "POST %s: %s", url, http_error(h));
		goto out;
	}
	*status = r.status;
	if (r.status != 200) {
		char why[400];
		fail_reason(r.head.p, r.head.len, why, sizeof why);
		snprintf(err, errlen, "POST %s: HTTP %ld%s%s%s", url, r.status,
			 why[0] ? " (" : "", why, why[0] ? ")" : "");
		goto out;
	}
	struct json j;
	json_init(&j);
	if (json_parse(&j, r.head.p, r.head.len) < 0 || json_type(&j, 0) != JSMN_OBJECT) {
		snprintf(err, errlen, "POST %s: HTTP 200 but the body is not a JSON object", url);
		json_free(&j);
		goto out;
	}
	char type[32] = "";
	long long exp;
	static char fresh[sizeof o->token]; /* static: 8 KiB off the stack */
	long n = json_str(&j, json_get(&j, 0, "access_token"), fresh, sizeof fresh);
	if (n <= 0 || (size_t)n != strlen(fresh) || !token_chars_ok(fresh)) {
		snprintf(err, errlen, "POST %s: HTTP 200 without a usable access_token", url);
	} else if (json_get(&j, 0, "token_type") >= 0 &&
		   (json_str(&j, json_get(&j, 0, "token_type"), type, sizeof type) < 0 ||
		    strcasecmp(type, "bearer") != 0)) {
		snprintf(err, errlen, "POST %s: token_type is not Bearer", url);
	} else {
		/* Absent or odd expires_in: assume the documented 30 minutes. */
		if (json_int(&j, json_get(&j, 0, "expires_in"), &exp) < 0 || exp <= 0 ||
		    exp > 366LL * 86400)
			exp = 1799;
		/* In the place of the token it replaces: a daemon refreshes every
		 * half hour, and the redaction table is small. */
		o->token[sizeof o->token - 1] = '\0';
		log_secret_replace(o->token, fresh);
		memcpy(o->token, fresh, (size_t)n + 1);
		o->expires_at = asked + (time_t)exp;
		ret = 0;
	}
	memset(fresh, 0, sizeof fresh);
	json_free(&j);
out:
	if (r.head.p != NULL)
		memset(r.head.p, 0, r.head.len); /* it held the token */
	http_resp_free(&r);
	return ret;
}
