/* sign.c: API 1.0 request signing against mimecast-api.md section 1.3. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcapi.h"
#include "tap.h"

static const char key_b64[] =
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";
static const char date[] = "Tue, 24 Nov 2015 12:50:11 UTC";
static const char reqid[] = "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297";
static const char app_key[] = "11111111-2222-3333-4444-555555555555";

static const struct {
	const char *uri, *sig;
} vec[] = {
	{ "/api/audit/get-siem-logs", "TqAtXVcID2XzqJ/s97iVqRqxCuE=" },
	{ "/api/audit/get-audit-events", "4Ur3IOrCwFL0vNqlRAMzHX0I35o=" },
	{ "/api/account/get-account", "KEksevqi5GmTCfPD9IIyygExuo0=" },
};

int main(void)
{
	plan(24);
	unsigned char key[128];
	long n = mc_b64decode(key_b64, key, sizeof key);
	is_int(n, 64, "secret key decodes to 64 bytes");
	int seq = 1;
	for (long i = 0; i < n; i++)
		if (key[i] != (unsigned char)i)
			seq = 0;
	ok(seq, "decoded bytes are 0x00..0x3f");
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		char sig[MC_SIG_LEN + 1];
		mc_sign(key, (size_t)n, date, reqid, vec[i].uri, app_key, sig);
		is_str(sig, vec[i].sig, vec[i].uri);
	}

	/* The credentials path: the same signature through mc_headers1. */
	struct mc_creds1 c;
	char err[256];
	ok(mc_creds1_init(&c, "app", app_key, "AK", key_b64, err, sizeof err) == 0, "creds accepted");
	ok(mc_creds1_init(&c, "app", app_key, "AK", "not base64!", err, sizeof err) < 0 &&
		   strstr(err, "base64") != NULL && strstr(err, "not base64") == NULL,
	   "a bad secret_key is refused without echoing it");
	ok(mc_creds1_init(&c, "app", app_key, "AK", "AAEC", err, sizeof err) == 0, "short key ok");
	ok(mc_creds1_init(&c, "", app_key, "AK", key_b64, err, sizeof err) < 0 &&
		   strstr(err, "app_id") != NULL, "a missing app_id is named");
	ok(mc_creds1_init(&c, "app", app_key, "AK\r\nX-Evil: 1", key_b64, err, sizeof err) < 0,
	   "header injection through a key is refused");

	/* x-mc-date ignores the locale and TZ. */
	setenv("TZ", "Asia/Kathmandu", 1);
	tzset();
	setlocale(LC_ALL, "");
	char d[MC_DATE_LEN + 1];
	is_str(mc_date(1448369411, d), date, "x-mc-date for the vector's instant");
	is_str(mc_date(0, d), "Thu, 01 Jan 1970 00:00:00 UTC", "x-mc-date at the epoch");
	is_str(mc_date(951782400, d), "Tue, 29 Feb 2000 00:00:00 UTC", "x-mc-date on a leap day");
	char iso[32];
	is_str(mc_isodate(1448369411, iso), "2015-11-24T12:50:11+0000", "audit date form");
	time_t t;
	ok(mc_parse_isodate("2015-11-24T14:50:11+0200", 24, &t) == 0 && t == 1448369411,
	   "eventTime with +0200 is UTC-converted");
	ok(mc_parse_isodate("2015-11-24T12:50:11Z", 20, &t) == 0 && t == 1448369411, "Z form");
	ok(mc_parse_isodate("2015-11-24T07:20:11.123-05:30", 29, &t) == 0 && t == 1448369411,
	   "-05:30 with a fraction");
	ok(mc_parse_isodate("2015-11-24 12:50:11+0000", 24, &t) < 0, "a space instead of T is refused");
	ok(mc_parse_httpdate("Tue, 24 Nov 2015 12:50:11 GMT", &t) == 0 && t == 1448369411, "HTTP Date");

	/* Request ids: v4, lower-case, fresh each time. */
	char u1[40], u2[40];
	ok(mc_uuid4(u1) == 0 && mc_uuid4(u2) == 0, "uuid4 from getrandom");
	ok(strlen(u1) == 36 && u1[14] == '4' && strchr("89ab", u1[19]) != NULL && u1[8] == '-',
	   "uuid4 shape %s", u1);
	ok(strcmp(u1, u2) != 0, "two request ids differ");

	struct buf h;
	buf_init(&h, 4096);
	if (mc_creds1_init(&c, "app", app_key, "AK", "AAEC", err, sizeof err) < 0)
		return 1;
	char rid[40], dt[40];
	ok(mc_headers1(&c, "/api/audit/get-siem-logs", 1448369411, &h, rid, dt) == 0, "headers built");
	const char *list[16];
	size_t nh = mc_headers_list(&h, list, 16);
	char want[256], sig[MC_SIG_LEN + 1];
	unsigned char k2[8];
	long kl = mc_b64decode("AAEC", k2, sizeof k2);
	mc_sign(k2, (size_t)kl, dt, rid, "/api/audit/get-siem-logs", app_key, sig);
	snprintf(want, sizeof want, "Authorization: MC AK:%s", sig);
	int found = 0;
	for (size_t i = 0; i < nh; i++)
		if (strcmp(list[i], want) == 0)
			found = 1;
	ok(found, "Authorization header carries the signature of the date and id sent");
	buf_free(&h);
	return done();
}
