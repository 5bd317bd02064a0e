/* fetch2_parse.c: libFuzzer harness for what mcspool-fetch parses from the
 * API 2.0 service: pre-signed URLs (object-path normalisation and the raw/
 * name built from it), X-RateLimit-Reset and Retry-After values, the start
 * day clamp for any saved time. The first byte picks the parser. */
#include <stdint.h>
#include <stdio.h>
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
	unsigned mode = data[0] % 4;
	size_t n = size - 1;
	char *s = malloc(n + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	switch (mode) {
	case 0: {
		char out[256];
		if (siem2_object_path(s, out, sizeof out) == 0) {
			size_t l = strlen(out);
			/* A path, never a query or a fragment; idempotent. */
			if (l >= sizeof out || out[0] != '/' || strchr(out, '?') || strchr(out, '#'))
				abort();
			char url[300], again[256];
			snprintf(url, sizeof url, "https://h%s", out);
			if (siem2_object_path(url, again, sizeof again) != 0 || strcmp(again, out) != 0)
				abort();
		}
		break;
	}
	case 1: {
		long ms;
		if (mc_reset2_ms(s, 1796300000123LL, &ms) == 0 && (ms < 0 || ms > MC_RATE_MAX_MS))
			abort();
		if (mc_retry_after_ms(s, 1796300000123LL, &ms) == 0 && (ms < 0 || ms > MC_RATE_MAX_MS))
			abort();
		long w = mc_ratelimit2_wait_ms(s, s, 1796300000123LL, (int)(n % 12));
		if (w < MC_RATE_MIN_MS || w > MC_RATE_MAX_MS)
			abort();
		break;
	}
	case 2: {
		char t[64];
		siem2_type_name(s, t, sizeof t);
		if (!spool_name_ok(t))
			abort();
		break;
	}
	case 3: {
		/* Any saved time, any now (within what a 64-bit time_t holds as dates). */
		if (n < 8)
			break;
		long long now = 0, want = 0;
		for (int i = 0; i < 4; i++) {
			now = now << 8 | (unsigned char)s[i];
			want = want << 8 | (unsigned char)s[4 + i];
		}
		char day[11], from[11], to[11];
		int lost;
		siem2_start_day((time_t)now, (time_t)want, day, &lost, from, to);
		if (strlen(day) != 10 || lost < 0 || (lost > 0 && (strlen(from) != 10 || strlen(to) != 10)))
			abort();
		break;
	}
	}
	free(s);
	return 0;
}
