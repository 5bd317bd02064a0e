/* fetch2_parse.c: the API 2.0 pure helpers: X-RateLimit-Reset as a
 * duration, epoch seconds or epoch ms; Retry-After; the start-day clamp to
 * the 7-day retention; object-path normalisation of pre-signed URLs; type
 * names in raw/ file names. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../fetcher/fetch.h"
#include "mcapi.h"
#include "tap.h"

static const char *objpath(const char *url)
{
	static char out[512];
	if (siem2_object_path(url, out, sizeof out) < 0)
		return "(error)";
	return out;
}

int main(void)
{
	plan(36);
	long long now_ms = 1796300000123LL; /* 2026-12-03T... */
	long ms = -1;

	/* X-RateLimit-Reset */
	ok(mc_reset2_ms("1200", now_ms, &ms) == 0 && ms == 1200, "reset: a duration in ms");
	ok(mc_reset2_ms("0", now_ms, &ms) == 0 && ms == 0, "reset: 0 is now");
	ok(mc_reset2_ms("1796300030", now_ms, &ms) == 0 && ms == 29877, "reset: epoch seconds (%ld)", ms);
	ok(mc_reset2_ms("1796300002123", now_ms, &ms) == 0 && ms == 2000, "reset: epoch ms (%ld)", ms);
	ok(mc_reset2_ms("1796299990", now_ms, &ms) == 0 && ms == 0, "reset: epoch seconds in the past: now");
	ok(mc_reset2_ms("1796400000", now_ms, &ms) == 0 && ms == MC_RATE_MAX_MS,
	   "reset: an epoch a day ahead is capped at 15 min");
	ok(mc_reset2_ms("999999999", now_ms, &ms) == 0 && ms == MC_RATE_MAX_MS,
	   "reset: just below 10^9 is a duration (capped)");
	ok(mc_reset2_ms("abc", now_ms, &ms) < 0, "reset: not a number");
	ok(mc_reset2_ms(NULL, now_ms, &ms) < 0, "reset: absent");
	ok(mc_reset2_ms("-5", now_ms, &ms) < 0, "reset: negative");

	/* Retry-After */
	ok(mc_retry_after_ms("7", now_ms, &ms) == 0 && ms == 7000, "Retry-After: seconds");
	ok(mc_retry_after_ms("Thu, 03 Dec 2026 10:53:40 GMT", 1796295210000LL, &ms) == 0 &&
		   ms == 10000,
	   "Retry-After: an HTTP date (%ld)", ms);
	ok(mc_retry_after_ms("soon", now_ms, &ms) < 0, "Retry-After: garbage");
	/* found by fuzzing: seconds * 1000 overflowed a long long */
	ok(mc_retry_after_ms("10096073300960733", now_ms, &ms) == 0 && ms == MC_RATE_MAX_MS,
	   "Retry-After: a huge number of seconds is the longest wait (%ld)", ms);

	/* the wait */
	is_int(mc_ratelimit2_wait_ms("3", "600000", now_ms, 1), 3000, "wait: Retry-After wins");
	is_int(mc_ratelimit2_wait_ms(NULL, "1796300002123", now_ms, 1), 2000, "wait: epoch-ms reset");
	is_int(mc_ratelimit2_wait_ms(NULL, "10", now_ms, 1), 1000, "wait: at least 1 s");
	is_int(mc_ratelimit2_wait_ms(NULL, NULL, now_ms, 1), 60000, "wait: nothing: 60 s");
	is_int(mc_ratelimit2_wait_ms(NULL, "x", now_ms, 3), 240000, "wait: nothing, third time: 4 min");
	is_int(mc_ratelimit2_wait_ms("0", NULL, now_ms, 1), 1000, "wait: Retry-After 0: 1 s");

	/* the start day */
	time_t now = 1796300000; /* 2026-12-03 */
	char day[11], from[11] = "", to[11] = "";
	int lost = -1;
	siem2_start_day(now, 0, day, &lost, from, to);
	ok(strcmp(day, "2026-11-27") == 0 && lost == 0, "first run: the oldest retained day (%s)", day);
	siem2_start_day(now, now - 2 * 86400, day, &lost, from, to);
	ok(strcmp(day, "2026-12-01") == 0 && lost == 0, "2 days back: as wanted (%s)", day);
	siem2_start_day(now, now - 9 * 86400, day, &lost, from, to);
	ok(strcmp(day, "2026-11-27") == 0 && lost == 3 && strcmp(from, "2026-11-24") == 0 &&
		   strcmp(to, "2026-11-26") == 0,
	   "9 days back: clamped, 3 days lost (%s, %d, %s..%s)", day, lost, from, to);
	siem2_start_day(now, now - 6 * 86400, day, &lost, NULL, NULL);
	ok(strcmp(day, "2026-11-27") == 0 && lost == 0, "6 days back: the edge, nothing lost");
	siem2_start_day(now, now + 86400, day, &lost, NULL, NULL);
	ok(strcmp(day, "2026-12-03") == 0 && lost == 0, "in the future: today");
	siem2_start_day(951782400 + 3600, 951782400 - 8 * 86400, day, &lost, from, to);
	ok(strcmp(day, "2000-02-23") == 0 && lost == 2 && strcmp(from, "2000-02-21") == 0,
	   "across a leap day (%s, %d, %s)", day, lost, from);

	/* object paths */
	const char *a = "https://bucket.s3.eu-west-2.amazonaws.com/CXX/receipt/2026-12-03/receipt-1.ndjson.gz"
			"?X-Amz-Date=20261203T100000Z&X-Amz-Signature=aa";
	const char *b = "https://bucket.s3.eu-west-2.amazonaws.com/CXX/receipt/2026-12-03/receipt-1.ndjson.gz"
			"?X-Amz-Date=20261203T110000Z&X-Amz-Signature=bb#frag";
	is_str(objpath(a), "/CXX/receipt/2026-12-03/receipt-1.ndjson.gz", "path: query string dropped");
	is_str(objpath(a), objpath(b), "path: the same object whatever its query string");
	is_str(objpath("http://127.0.0.1:8443/blob/CXX/url%20protect/2026-12-03/url_protect-1.ndjson.gz?x=1"),
	       "/blob/CXX/url%20protect/2026-12-03/url_protect-1.ndjson.gz", "path: %20 kept");
	is_str(objpath("https://h/a%2db%7e/c%2fd%3f"), "/a-b~/c%2Fd%3F",
	       "path: unreserved decoded, reserved upper-cased");
	is_str(objpath("https://h/a%3%30%zz"), "/a%253" "0%25zz", "path: a stray %% escaped");
	char again[600];
	snprintf(again, sizeof again, "https://h%s", objpath("https://h/a%3%30%zz/%7E%7e~"));
	is_str(objpath(again), "/a%253" "0%25zz/~~~", "path: normalising twice changes nothing");
	is_str(objpath("https://h?x=1"), "/", "path: none");
	is_str(objpath("ftp://h/x"), "(error)", "path: not http(s)");
	is_str(objpath("/relative/x"), "(error)", "path: not absolute");

	/* type names */
	char tn[64];
	siem2_type_name("internal email protect", tn, sizeof tn);
	is_str(tn, "internal_email_protect", "type name: spaces to _");
	return done();
}
