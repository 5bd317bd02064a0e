/* json.h: strict JSON reading on top of jsmn, and JSON string writing.
 *
 * json_parse() accepts exactly one RFC 8259 value (whitespace around it):
 * jsmn in strict mode, then a check of every token that jsmn lets through
 * (number syntax, literals, string escapes, UTF-8). Documents are parsed
 * from memory, so callers bound their size (buf.h); large inputs are split
 * into records first (one NDJSON line, one array element) and parsed one by
 * one.
 */
#ifndef MCSPOOL_JSON_H
#define MCSPOOL_JSON_H

#include <stddef.h>

#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

#include "buf.h"

struct json {
	const char *s;
	size_t len;
	jsmntok_t *t;
	int n;      /* tokens used */
	int cap;    /* tokens allocated */
	char err[128];
};

void json_init(struct json *j);
void json_free(struct json *j);
/* 0, or -1 with j->err saying what and at which byte offset. */
int json_parse(struct json *j, const char *s, size_t len);

/* Is the token tree well formed (every object member a key with one value,
 * one top-level value) and nested at most maxdepth (<= 256) deep?
 * json_parse() already checks this with a depth of 64. */
int json_shape_ok(const struct json *j, int maxdepth);

/* Token helpers. i is a token index; -1 means "absent" and is accepted
 * (and propagated) by every function below. */
int json_type(const struct json *j, int i);        /* JSMN_OBJECT, ... or 0 */
int json_next(const struct json *j, int i);        /* index after i's subtree */
int json_get(const struct json *j, int obj, const char *key);
int json_elem(const struct json *j, int arr, int k); /* k-th element */
int json_size(const struct json *j, int i);          /* elements or keys */
int json_is_null(const struct json *j, int i);
int json_is_true(const struct json *j, int i);
/* Raw token text (strings without quotes, still escaped). */
const char *json_raw(const struct json *j, int i, size_t *len);
/* Unescape a string token into out (NUL-terminated). Returns its length
 * (which may include NUL bytes from \u0000), or -1 if not a string or
 * it does not fit. */
long json_str(const struct json *j, int i, char *out, size_t cap);
/* Append an unescaped string token to b. 0 or -1. */
int json_str_buf(const struct json *j, int i, struct buf *b);
/* String or integer-looking primitive as long long. 0 or -1. */
int json_int(const struct json *j, int i, long long *v);

/* Append s (n bytes) as a JSON string literal, quotes included. */
int json_put_str(struct buf *b, const char *s, size_t n);

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates)? */
int utf8_valid(const char *s, size_t n);

#endif
