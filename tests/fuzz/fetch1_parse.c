/* fetch1_parse.c: libFuzzer harness for what mcspool-fetch parses from the
 * network: API envelopes (and the error mapping and message built from
 * them), Content-Disposition names, audit and HTTP dates, rate-limit
 * headers, base64 secrets. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/fetch.h"
#include "mcapi.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 5;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	char *s = malloc(n + 1); /* a NUL-terminated copy for the string parsers */
	if (s == NULL)
		return 0;
	memcpy(s, p, n);
	s[n] = '\0';
	switch (mode) {
	case 0: {
		struct mc_envelope e;
		if (mc_envelope_parse(p, n, &e) == 0) {
			if (strlen(e.code) >= sizeof e.code || strlen(e.message) >= sizeof e.message ||
			    strlen(e.next) >= sizeof e.next)
				abort();
			enum mc_action a = mc_classify(200 + (long)(n % 400), &e);
			char m[2048];
			mc_error_message(a, 200, &e, "x", "y", "z", "https://b", m, sizeof m);
			if (strlen(m) >= sizeof m)
				abort();
		}
		break;
	}
	case 1: {
		char name[SPOOL_NAME_MAX + 1];
		siem1_disposition_name(s, name, 182);
		if (name[0] != '\0' && (!spool_name_ok(name) || strlen(name) > 181))
			abort();
		break;
	}
	case 2: {
		time_t t;
		if (mc_parse_isodate(p, n, &t) == 0) {
			char iso[32];
			mc_isodate(t, iso);
		}
		(void)mc_parse_httpdate(s, &t);
		break;
	}
	case 3: {
		long v = mc_ratelimit_wait_ms(s, (int)(n % 7) + 1);
		if (v < MC_RATE_MIN_MS || v > MC_RATE_MAX_MS)
			abort();
		break;
	}
	default: {
		unsigned char out[512];
		long k = mc_b64decode(s, out, sizeof out);
		if (k > (long)sizeof out)
			abort();
		if (k > 0) {
			/* Unused low bits may be set (as Python and OpenSSL allow), but
			 * the bytes must survive a round trip. */
			char enc[1024];
			unsigned char again[512];
			mc_b64encode(out, (size_t)k, enc);
			if (mc_b64decode(enc, again, sizeof again) != k || memcmp(out, again, (size_t)k) != 0 ||
			    strlen(enc) != strlen(s))
				abort();
		}
		break;
	}
	}
	free(s);
	return 0;
}
