/* apicheck.c: the Mimecast calls mcspool-setup makes.
 *
 * API 1.0: discover-authentication on the global host (the region's base
 * URL, as api_setup.py did), then a signed get-account (it proves the four
 * keys and the clock, and gives the account code). API 2.0: an OAuth token,
 * then one SIEM batch listing and one get-audit-events call, so a missing
 * permission shows at setup and not at 3 a.m.
 *
 * Every refusal is turned into the same operator's message the fetcher
 * would print (mc_classify / mc_error_message); nothing here dies, so that
 * --check can report every problem it finds.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "json.h"
#include "log.h"
#include "mcapi.h"
#include "oauth.h"

#define REPLY_MAX (256 * 1024)

/* A failed transfer (no HTTP status): the message and its exit code. */
static int transport_error(int rc, struct http_client *h, const char *what, const char *url,
			   char *msg, size_t cap)
{
	switch (rc) {
	case HTTP_ETLS:
		snprintf(msg, cap, "%s: %s: TLS certificate verification failed (%s): if the server's "
				   "certificate comes from a private CA, give it with --ca-file "
				   "(mimecast.ca_file); verification is never turned off",
			 what, url, http_error(h));
		return EXIT_PERM;
	case HTTP_EURL:
		snprintf(msg, cap, "%s: %s", what, http_error(h));
		return EXIT_PERM;
	case HTTP_EBIG:
		snprintf(msg, cap, "%s: %s: the reply is larger than %d bytes", what, url, REPLY_MAX);
		return EXIT_TEMP;
	default:
		snprintf(msg, cap, "%s: network error: %s", what, http_error(h));
		return EXIT_TEMP;
	}
}

/* Classify a reply through mcapi: 0 for success, else the exit code with
 * the operator's message in msg. env is filled from the body either way. */
static int judge(const struct http_resp *r, struct mc_envelope *env, const char *what,
		 const char *perm, const char *reqid, const char *base, char *msg, size_t cap)
{
	memset(env, 0, sizeof *env);
	if (r->body_len > 0 && r->body_len <= r->head.len)
		(void)mc_envelope_parse(r->head.p, r->head.len, env);
	enum mc_action a = mc_classify(r->status, env->parsed ? env : NULL);
	if (a == MC_OK) {
		if (r->status >= 200 && r->status < 300 && !env->parsed) {
			snprintf(msg, cap, "%s: HTTP %ld with a body that is not a JSON envelope: is %s "
					   "a Mimecast API host?", what, r->status, base);
			return EXIT_TEMP;
		}
		return 0;
	}
	mc_error_message(a, r->status, env, what, perm, reqid, base, msg, cap);
	return a == MC_RETRY || a == MC_RATE ? EXIT_TEMP : EXIT_PERM;
}

int setup_api1_discover(struct http_client *h, const char *discovery_url, const char *app_id,
			const char *email, char *base, size_t basecap, char *msg, size_t msgcap)
{
	const char *what = "discover-authentication";
	char url[2048], reqid[40], date[MC_DATE_LEN + 1], hdr[4][600];
	snprintf(url, sizeof url, "%s/api/login/discover-authentication", discovery_url);
	if (mc_uuid4(reqid) < 0) {
		snprintf(msg, msgcap, "%s: unable to make a request id", what);
		return EXIT_TEMP;
	}
	mc_date(time(NULL), date);
	snprintf(hdr[0], sizeof hdr[0], "x-mc-app-id: %s", app_id);
	snprintf(hdr[1], sizeof hdr[1], "x-mc-date: %s", date);
	snprintf(hdr[2], sizeof hdr[2], "x-mc-req-id: %s", reqid);
	snprintf(hdr[3], sizeof hdr[3], "Content-Type: application/json");
	const char *list[] = { hdr[0], hdr[1], hdr[2], hdr[3], "Accept: application/json", NULL };

	struct buf body;
	buf_init(&body, 4096);
	if (buf_adds(&body, "{\"data\":[{\"emailAddress\":") < 0 ||
	    json_put_str(&body, email, strlen(email)) < 0 || buf_adds(&body, "}]}") < 0) {
		buf_free(&body);
		snprintf(msg, msgcap, "%s: the email address is too long", what);
		return EXIT_PERM;
	}
	struct http_resp r;
	http_resp_init(&r, REPLY_MAX);
	int rc = http_post(h, url, list, body.p, body.len, NULL, REPLY_MAX, &r);
	buf_free(&body);
	if (rc != HTTP_OK) {
		rc = transport_error(rc, h, what, discovery_url, msg, msgcap);
		http_resp_free(&r);
		return rc;
	}
	struct mc_envelope env;
	rc = judge(&r, &env, what, "nothing (discovery is unsigned)", reqid, discovery_url, msg,
		   msgcap);
	if (rc != 0) {
		http_resp_free(&r);
		return rc;
	}
	struct json j;
	json_init(&j);
	rc = 0;
	long n = -1;
	if (json_parse(&j, r.head.p, r.head.len) == 0) {
		int d0 = json_elem(&j, json_get(&j, 0, "data"), 0);
		int api = json_get(&j, json_get(&j, d0, "region"), "api");
		n = api >= 0 ? json_str(&j, api, base, basecap) : -1;
	}
	if (n <= 0) {
		snprintf(msg, msgcap, "Mimecast knows no account for %s (the discover-authentication "
				      "reply names no region): give the address of the administrator "
				      "the keys belong to", email);
		rc = SETUP_NOREGION;
	} else {
		size_t len = strlen(base);
		while (len > 0 && base[len - 1] == '/')
			base[--len] = '\0';
		char why[256];
		if (!http_url_allowed(base, why, sizeof why)) {
			snprintf(msg, msgcap, "%s: the discovered base URL is refused: %s", what, why);
			rc = EXIT_PERM;
		}
	}
	json_free(&j);
	http_resp_free(&r);
	return rc;
}

int setup_api1_account(struct http_client *h, const char *base, const char *app_id,
		       const char *app_key, const char *access_key, const char *secret_key,
		       char *code, size_t codecap, char *msg, size_t msgcap)
{
	const char *what = "get-account", *uri = "/api/account/get-account";
	struct mc_creds1 creds;
	char err[512];
	if (mc_creds1_init(&creds, app_id, app_key, access_key, secret_key, err, sizeof err) < 0) {
		snprintf(msg, msgcap, "%s", err);
		return EXIT_PERM;
	}
	char url[2048], reqid[40], date[MC_DATE_LEN + 1];
	snprintf(url, sizeof url, "%s%s", base, uri);
	struct buf hdrs;
	buf_init(&hdrs, 16384);
	if (mc_headers1(&creds, uri, time(NULL), &hdrs, reqid, date) < 0) {
		mc_creds1_wipe(&creds);
		buf_free(&hdrs);
		snprintf(msg, msgcap, "%s: unable to sign the request", what);
		return EXIT_TEMP;
	}
	mc_creds1_wipe(&creds);
	const char *list[16];
	mc_headers_list(&hdrs, list, sizeof list / sizeof list[0]);
	struct http_resp r;
	http_resp_init(&r, REPLY_MAX);
	static const char body[] = "{\"data\":[]}";
	int rc = http_post(h, url, list, body, sizeof body - 1, NULL, REPLY_MAX, &r);
	buf_free(&hdrs);
	if (rc != HTTP_OK) {
		rc = transport_error(rc, h, what, base, msg, msgcap);
		http_resp_free(&r);
		return rc;
	}
	struct mc_envelope env;
	rc = judge(&r, &env, what, "Account | Dashboard | Read", reqid, base, msg, msgcap);
	time_t theirs;
	if (r.status == 401 && mc_parse_httpdate(http_header(&r, "date"), &theirs) == 0) {
		/* A signature made with a wrong clock fails like wrong keys: say which. */
		long d = (long)(time(NULL) - theirs);
		size_t len = strlen(msg);
		if ((d > 120 || d < -120) && len < msgcap)
			snprintf(msg + len, msgcap - len, " (this host's clock is %ld s %s the server's "
							  "Date header)", d > 0 ? d : -d,
				 d > 0 ? "ahead of" : "behind");
	}
	if (rc == 0) {
		struct json j;
		json_init(&j);
		long n = -1;
		if (json_parse(&j, r.head.p, r.head.len) == 0)
			n = json_str(&j, json_get(&j, json_elem(&j, json_get(&j, 0, "data"), 0),
						  "accountCode"), code, codecap);
		json_free(&j);
		if (n <= 0 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789-_") != strlen(code)) {
			snprintf(msg, msgcap, "%s: the reply holds no usable accountCode", what);
			rc = EXIT_TEMP;
		}
	}
	http_resp_free(&r);
	return rc;
}

int setup_api2_token(struct http_client *h, const char *base, const char *client_id,
		     const char *client_secret, char *token, size_t tokcap, char *msg,
		     size_t msgcap)
{
	static struct oauth o; /* 8 KiB: not on the stack */
	long status = 0;
	char err[512];
	if (oauth_fetch(h, base, client_id, client_secret, &o, &status, err, sizeof err) < 0) {
		if (status == 400 || status == 401)
			snprintf(msg, msgcap, "oauth/token: %s: check client_id and client_secret (the "
					      "API 2.0 application's Client ID and Client Secret)", err);
		else
			snprintf(msg, msgcap, "oauth/token: %s", err);
		return status == 0 || status >= 500 || status == 429 ? EXIT_TEMP : EXIT_PERM;
	}
	if (strlen(o.token) >= tokcap) {
		memset(&o, 0, sizeof o);
		snprintf(msg, msgcap, "oauth/token: the access token is too long");
		return EXIT_TEMP;
	}
	snprintf(token, tokcap, "%s", o.token);
	memset(&o, 0, sizeof o);
	return 0;
}

/* A Bearer call's refusal, in API 2.0 terms. */
static int judge2(const struct http_resp *r, const char *what, const char *grant,
		  const char *base, char *msg, size_t cap)
{
	struct mc_envelope env;
	memset(&env, 0, sizeof env);
	if (r->body_len > 0 && r->body_len <= r->head.len)
		(void)mc_envelope_parse(r->head.p, r->head.len, &env);
	char detail[700] = "";
	if (env.code[0] || env.message[0])
		snprintf(detail, sizeof detail, ", %s%s%s", env.code,
			 env.code[0] && env.message[0] ? ": " : "", env.message);
	if (r->status >= 200 && r->status < 300 && env.nfail == 0)
		return 0;
	if (r->status == 403) {
		snprintf(msg, cap, "%s: permission denied (HTTP 403%s): the API 2.0 application may "
				   "not use %s; grant it in the Mimecast console (Integrations | API "
				   "and Platform Integrations | API 2.0 application | Products)",
			 what, detail, grant);
		return EXIT_PERM;
	}
	if (r->status == 401) {
		snprintf(msg, cap, "%s: the access token was refused (HTTP 401%s)", what, detail);
		return EXIT_PERM;
	}
	enum mc_action a = mc_classify(r->status, env.parsed ? &env : NULL);
	mc_error_message(a, r->status, &env, what, grant, "-", base, msg, cap);
	return a == MC_RETRY || a == MC_RATE ? EXIT_TEMP : EXIT_PERM;
}

static int bearer_call(struct http_client *h, const char *url, const char *token,
		       const char *body, struct http_resp *r, char *msg, size_t cap,
		       const char *what)
{
	static char auth[8300];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	const char *list[] = { auth, "Accept: application/json",
			       body != NULL ? "Content-Type: application/json" : NULL, NULL };
	int rc = body != NULL ? http_post(h, url, list, body, strlen(body), NULL, REPLY_MAX, r)
			      : http_get(h, url, list, NULL, REPLY_MAX, r);
	memset(auth, 0, sizeof auth);
	if (rc != HTTP_OK)
		return transport_error(rc, h, what, url, msg, cap);
	return 0;
}

int setup_api2_siem(struct http_client *h, const char *base, const char *token, char *msg,
		    size_t msgcap)
{
	const char *what = "SIEM batch listing";
	char url[2048];
	snprintf(url, sizeof url, "%s/siem/v1/batch/events/cg?type=receipt&pageSize=1", base);
	struct http_resp r;
	http_resp_init(&r, REPLY_MAX);
	int rc = bearer_call(h, url, token, NULL, &r, msg, msgcap, what);
	if (rc == 0)
		rc = judge2(&r, what, "the SIEM product (Threats, Security Events and Data for CG: "
				      "SIEM Logs | Read)", base, msg, msgcap);
	http_resp_free(&r);
	return rc;
}

int setup_api2_audit(struct http_client *h, const char *base, const char *token, char *msg,
		     size_t msgcap)
{
	const char *what = "get-audit-events";
	char url[2048], start[32], end[32], body[512];
	snprintf(url, sizeof url, "%s/api/audit/get-audit-events", base);
	time_t now = time(NULL);
	mc_isodate(now - 60, start);
	mc_isodate(now, end);
	snprintf(body, sizeof body,
		 "{\"meta\":{\"pagination\":{\"pageSize\":1}},\"data\":[{\"startDateTime\":\"%s\","
		 "\"endDateTime\":\"%s\"}]}", start, end);
	struct http_resp r;
	http_resp_init(&r, REPLY_MAX);
	int rc = bearer_call(h, url, token, body, &r, msg, msgcap, what);
	if (rc == 0)
		rc = judge2(&r, what, "audit events (Account | Logs | Read)", base, msg, msgcap);
	http_resp_free(&r);
	return rc;
}
