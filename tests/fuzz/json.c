/* json.c: libFuzzer harness for common/json.c. Parse the input; when it
 * parses, walk every token the way the stages do (json_get on each object
 * key, json_elem on each array index, json_str/json_str_buf/json_int on each
 * string and primitive) and check the walk stays inside the token array and
 * agrees with json_next/json_size. Unparsable input must come with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void leaf(const struct json *j, int i)
{
	char out[256];
	long n = json_str(j, i, out, sizeof out);
	if (n >= (long)sizeof out)
		abort();
	if (json_type(j, i) == JSMN_STRING) {
		struct buf b;
		buf_init(&b, 1 << 20);
		if (json_str_buf(j, i, &b) == 0 && n >= 0 && (b.len != (size_t)n || (b.len > 0 && memcmp(b.p, out, b.len) != 0)))
			abort();
		buf_free(&b);
	}
	long long v;
	(void)json_int(j, i, &v);
	(void)json_is_null(j, i);
	(void)json_is_true(j, i);
	size_t len;
	const char *r = json_raw(j, i, &len);
	if (r == NULL || r < j->s || r + len > j->s + j->len)
		abort();
}

static void walk(const struct json *j, int i, int depth)
{
	if (i < 0 || i >= j->n || depth > 64)
		abort();
	int type = json_type(j, i);
	int size = json_size(j, i);
	if (type == JSMN_OBJECT) {
		int k = i + 1;
		for (int m = 0; m < size; m++) {
			if (json_type(j, k) != JSMN_STRING)
				abort();
			char key[128];
			long kl = json_str(j, k, key, sizeof key);
			size_t rl;
			const char *raw = json_raw(j, k, &rl);
			/* json_get matches plain (unescaped) key text and finds the
			 * first member of that name: a value inside this object. */
			if (kl >= 0 && (size_t)kl == strlen(key) && rl == (size_t)kl &&
			    memcmp(raw, key, rl) == 0) {
				int g = json_get(j, i, key);
				if (g <= i || g >= json_next(j, i))
					abort();
			}
			walk(j, k + 1, depth + 1);
			k = json_next(j, k + 1);
		}
		if (k != json_next(j, i))
			abort();
	} else if (type == JSMN_ARRAY) {
		int k = i + 1;
		for (int m = 0; m < size; m++) {
			if (json_elem(j, i, m) != k)
				abort();
			walk(j, k, depth + 1);
			k = json_next(j, k);
		}
		if (json_elem(j, i, size) != -1 || k != json_next(j, i))
			abort();
	} else {
		leaf(j, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	json_init(&j);
	if (json_parse(&j, (const char *)data, size) == 0) {
		if (j.n < 1 || !json_shape_ok(&j, 64))
			abort();
		walk(&j, 0, 0);
		if (json_next(&j, 0) != j.n)
			abort();
		/* Absent stays absent. */
		if (json_get(&j, -1, "x") != -1 || json_elem(&j, -1, 0) != -1)
			abort();
	} else if (j.err[0] == '\0') {
		abort();
	}
	json_free(&j);
	return 0;
}
