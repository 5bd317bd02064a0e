/* mcapi_errors.c: envelopes, fail[] on 200, the error-to-action mapping and
 * its messages, rate-limit waits, base64 and the URL policy. */
#include <string.h>

#include "../../fetcher/fetch.h"
#include "http.h"
#include "mcapi.h"
#include "tap.h"

static enum mc_action classify(long st, const char *body)
{
	struct mc_envelope e;
	if (body == NULL)
		return mc_classify(st, NULL);
	if (mc_envelope_parse(body, strlen(body), &e) < 0)
		return (enum mc_action)-1;
	return mc_classify(st, &e);
}

int main(void)
{
	plan(46);
	struct mc_envelope e;
	const char *end = "{\"meta\":{\"isLastToken\":true,\"status\":200},\"data\":[],\"fail\":[]}";
	ok(mc_envelope_parse(end, strlen(end), &e) == 0 && e.is_last_token && e.meta_status == 200 &&
		   e.nfail == 0 && e.ndata == 0 && e.has_meta,
	   "end-of-data envelope");
	const char *f401 = "{\"meta\":{\"status\":401},\"data\":[],\"fail\":[{\"key\":{},\"errors\":[{"
			   "\"code\":\"err_xdk_invalid_signature\",\"message\":\"0004 Invalid Signature\","
			   "\"retryable\":false}]}]}";
	ok(mc_envelope_parse(f401, strlen(f401), &e) == 0 && e.nfail == 1 &&
		   strcmp(e.code, "err_xdk_invalid_signature") == 0 &&
		   strcmp(e.message, "0004 Invalid Signature") == 0 && !e.retryable,
	   "fail[0].errors[0] code and message");
	const char *page = "{\"meta\":{\"status\":200,\"pagination\":{\"pageSize\":2,\"next\":\"tok\\/1\"}},"
			   "\"data\":[{},{}],\"fail\":[]}";
	ok(mc_envelope_parse(page, strlen(page), &e) == 0 && strcmp(e.next, "tok/1") == 0 && e.ndata == 2,
	   "pagination.next unescaped");
	ok(mc_envelope_parse("{\"meta\":{}", 10, &e) < 0 && e.message[0] != '\0', "truncated JSON refused");
	ok(mc_envelope_parse("{'meta':{}}", 11, &e) < 0, "single quotes refused (strict JSON)");
	const char *v2 = "{\"fail\":[{\"code\":\"app_forbidden\",\"message\":\"no\"}]}";
	ok(mc_envelope_parse(v2, strlen(v2), &e) == 0 && strcmp(e.code, "app_forbidden") == 0,
	   "2.0-style fail[0].code");

	/* The mapping. */
	is_int(classify(200, end), MC_OK, "200 end of data: ok");
	const char *f200 = "{\"meta\":{\"status\":200},\"data\":[],\"fail\":[{\"errors\":[{\"code\":"
			   "\"err_placeholder\",\"message\":\"x\"}]}]}";
	is_int(classify(200, f200), MC_FATAL, "200 with fail[] is an error");
	const char *f200r = "{\"meta\":{\"status\":200},\"data\":[],\"fail\":[{\"errors\":[{\"code\":"
			    "\"err_x\",\"message\":\"x\",\"retryable\":true}]}]}";
	is_int(classify(200, f200r), MC_RETRY, "200 with a retryable fail[] is retried");
	is_int(classify(401, f401), MC_AUTH, "401");
	is_int(classify(200, f401), MC_AUTH, "invalid signature code even on 200");
	is_int(classify(418, NULL), MC_BINDING, "418");
	const char *bind = "{\"meta\":{\"status\":418},\"data\":[],\"fail\":[{\"errors\":[{\"code\":"
			   "\"err_xdk_binding_expired\",\"message\":\"Binding Expired\"}]}]}";
	is_int(classify(401, bind), MC_BINDING, "binding code wins over the status");
	is_int(classify(403, NULL), MC_FORBIDDEN, "403");
	is_int(classify(429, NULL), MC_RATE, "429");
	is_int(classify(500, NULL), MC_RETRY, "500");
	is_int(classify(503, NULL), MC_RETRY, "503");
	is_int(classify(404, NULL), MC_FATAL, "404");
	is_int(classify(400, NULL), MC_FATAL, "400");
	const char *region = "{\"meta\":{\"status\":400},\"data\":[],\"fail\":[{\"errors\":[{\"code\":"
			     "\"err_audit_log_incorrect_region\",\"message\":\"wrong\"}]}]}";
	is_int(classify(400, region), MC_REGION, "wrong region");
	const char *tok = "{\"meta\":{\"status\":400},\"data\":[],\"fail\":[{\"errors\":[{\"code\":"
			  "\"err_audit_siem_invalid_token\",\"message\":\"expired\"}]}]}";
	is_int(classify(400, tok), MC_BAD_TOKEN, "invalid SIEM token");

	/* Messages say what to do. */
	char m[1024];
	mc_envelope_parse(bind, strlen(bind), &e);
	mc_error_message(MC_BINDING, 418, &e, "get-siem-logs", "x", "id-1", "https://b", m, sizeof m);
	ok(strstr(m, "access key binding expired") && strstr(m, "Authentication Profile whose TTL never "
								   "expires and create new keys"),
	   "418 message: %s", m);
	mc_envelope_parse(f401, strlen(f401), &e);
	mc_error_message(MC_AUTH, 401, &e, "get-siem-logs", "x", "rid-42", "https://b", m, sizeof m);
	ok(strstr(m, "rid-42") && strstr(m, "clock") && strstr(m, "secret_key"), "401 message: %s", m);
	mc_error_message(MC_FORBIDDEN, 403, NULL, "get-audit-events", "Account | Logs | Read", "r",
			 "https://b", m, sizeof m);
	ok(strstr(m, "Logs | Read") != NULL, "403 names the permission: %s", m);
	mc_envelope_parse(region, strlen(region), &e);
	mc_error_message(MC_REGION, 400, &e, "get-audit-events", "x", "r", "https://eu-api.example",
			 m, sizeof m);
	ok(strstr(m, "discovery") && strstr(m, "https://eu-api.example"), "region message: %s", m);

	/* Rate limits. */
	is_int(mc_ratelimit_wait_ms("2500", 1), 2500, "X-RateLimit-Reset is milliseconds");
	is_int(mc_ratelimit_wait_ms("5", 1), 1000, "clamped up to 1 s");
	is_int(mc_ratelimit_wait_ms("99999999", 1), 15 * 60 * 1000, "clamped down to 15 min");
	is_int(mc_ratelimit_wait_ms(NULL, 1), 60000, "absent: 60 s");
	is_int(mc_ratelimit_wait_ms(NULL, 3), 240000, "absent, third time: doubled twice");
	is_int(mc_ratelimit_wait_ms("soon", 1), 60000, "unparsable: 60 s");
	is_int(mc_ratelimit_wait_ms(NULL, 20), 15 * 60 * 1000, "growth capped at 15 min");

	/* base64 */
	char enc[16];
	mc_b64encode((const unsigned char *)"ab", 2, enc);
	is_str(enc, "YWI=", "base64 encode with padding");
	unsigned char dec[8];
	ok(mc_b64decode("YWI", dec, sizeof dec) < 0, "unpadded base64 refused");
	ok(mc_b64decode("YW=I", dec, sizeof dec) < 0, "data after padding refused");

	/* The URL policy. */
	char err[256];
	ok(http_url_allowed("https://eu-api.mimecast.com", err, sizeof err), "https allowed");
	ok(http_url_allowed("http://127.0.0.1:8080", err, sizeof err), "http to 127.0.0.1 allowed");
	ok(http_url_allowed("http://[::1]:8080", err, sizeof err), "http to [::1] allowed");
	ok(!http_url_allowed("http://127.evil.example", err, sizeof err), "http to 127.evil refused");
	ok(!http_url_allowed("http://eu-api.mimecast.com", err, sizeof err) && strstr(err, "loopback"),
	   "plain http elsewhere refused: %s", err);

	/* Content-Disposition names for raw/. */
	char nm[200];
	siem1_disposition_name("attachment; filename=\"receipt_20241125134110211.log\"", nm, 182);
	is_str(nm, "receipt_20241125134110211.log", "quoted filename");
	siem1_disposition_name("attachment; filename=jrnl_1.zip", nm, 182);
	is_str(nm, "jrnl_1.zip", "bare filename");
	siem1_disposition_name("attachment; filename=\"../../etc/passwd\"", nm, 182);
	is_str(nm, "passwd", "a path is cut to its basename");
	siem1_disposition_name("attachment; filename=\"..\"", nm, 182);
	is_str(nm, "", "'..' is no name");
	siem1_disposition_name("attachment", nm, 182);
	is_str(nm, "", "no filename parameter");
	siem1_disposition_name("attachment; filename=\".hidden r\xc3\xa9sum\xc3\xa9.log\"", nm, 182);
	is_str(nm, "_hidden_r__sum__.log", "sanitized, no leading dot");
	return done();
}
