/* json.c: see json.h. jsmn's implementation is compiled here, once. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#undef JSMN_HEADER
#define JSMN_STRICT
#include <jsmn.h>
#define JSMN_HEADER
#include "json.h"
#include "word8.h"

#define JSON_MAX_TOKENS (1 << 22)
#define JSON_MAX_DEPTH 64

void json_init(struct json *j)
{
	memset(j, 0, sizeof *j);
}

void json_free(struct json *j)
{
	free(j->t);
	json_init(j);
}

/* The length of the one UTF-8 sequence (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF) at s[0..n), n >= 1; 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t need;
	unsigned cp;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n <= need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need + 1;
}

int utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		/* Runs of ASCII, the common case, eight bytes at a time. */
		while (n - i >= 8 && !word8_has_high(word8_load(s + i)))
			i += 8;
		if (i == n)
			break;
		size_t k = utf8_seq(s + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Whether none of the eight bytes of w needs a look inside a JSON string:
 * no '"', no '\\', no control byte (< 0x20), no byte >= 0x80. */
static int plain8(uint64_t w)
{
	return !word8_has(w, '"') && !word8_has(w, '\\') && !word8_has_below(w, 0x20) &&
	       !word8_has_high(w);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int check_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return -1;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return -1;
	if (i < n && s[i] == '.') {
		i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return -1;
	}
	return i == n ? 0 : -1;
}


static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The grammar of RFC 8259, checked before jsmn tokenizes: jsmn, even in
 * strict mode, accepts missing commas and colons (["a" "b"], {"a" 1}).
 * Recursive descent, nesting bounded by JSON_MAX_DEPTH. On failure *pos is
 * where it went wrong. */
static int syn_value(const char *s, size_t n, size_t *pos, int depth);

static void syn_ws(const char *s, size_t n, size_t *pos)
{
	size_t i = *pos;
	while (i < n && is_ws(s[i]))
		i++;
	*pos = i;
}

/* A string, checked in the same pass that looks for its end: escapes,
 * no control bytes, UTF-8. A missing end reports the end of the text; a
 * fault in the content of a string that does end, the string's start. */
static int syn_string(const char *s, size_t n, size_t *pos)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = ++*pos; /* past the opening quote */
	size_t i = start;       /* a local: *pos may alias s, which would cost a load per byte */
	for (;;) {
		while (n - i >= 8 && plain8(word8_load(u + i)))
			i += 8;
		if (i >= n) {
			*pos = n;
			return -1;
		}
		unsigned c = u[i];
		if (c == '"')
			break;
		if (c >= 0x20 && c < 0x80 && c != '\\') { /* the tail of a short string */
			i++;
			continue;
		}
		if (c < 0x20)
			goto bad;
		if (c == '\\') {
			if (i + 1 >= n) {
				*pos = n;
				return -1;
			}
			switch (s[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u':
				for (size_t k = 2; k <= 5; k++)
					if (i + k >= n || hexval(s[i + k]) < 0)
						goto bad;
				i += 6;
				continue;
			default:
				goto bad;
			}
		}
		size_t k = utf8_seq(u + i, n - i);
		if (k == 0)
			goto bad;
		i += k;
	}
	*pos = i + 1; /* past the closing quote */
	return 0;
bad:
	/* Still find the end, as a plain scan would: a string that is also
	 * cut off is reported as truncated. */
	while (i < n && s[i] != '"') {
		if (s[i] == '\\')
			i++;
		i++;
	}
	*pos = i >= n ? n : start;
	return -1;
}

static int syn_container(const char *s, size_t n, size_t *pos, int depth, char close)
{
	if (depth >= JSON_MAX_DEPTH)
		return -1;
	(*pos)++;
	syn_ws(s, n, pos);
	if (*pos < n && s[*pos] == close) {
		(*pos)++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (*pos >= n || s[*pos] != '"' || syn_string(s, n, pos) < 0)
				return -1;
			syn_ws(s, n, pos);
			if (*pos >= n || s[*pos] != ':')
				return -1;
			(*pos)++;
		}
		if (syn_value(s, n, pos, depth + 1) < 0)
			return -1;
		syn_ws(s, n, pos);
		if (*pos < n && s[*pos] == close) {
			(*pos)++;
			return 0;
		}
		if (*pos >= n || s[*pos] != ',')
			return -1;
		(*pos)++;
		syn_ws(s, n, pos);
	}
}

static int syn_value(const char *s, size_t n, size_t *pos, int depth)
{
	syn_ws(s, n, pos);
	if (*pos >= n)
		return -1;
	char c = s[*pos];
	if (c == '{')
		return syn_container(s, n, pos, depth, '}');
	if (c == '[')
		return syn_container(s, n, pos, depth, ']');
	if (c == '"')
		return syn_string(s, n, pos);
	static const char *const lit[] = { "true", "false", "null" };
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(lit[i]);
		if (n - *pos >= l && memcmp(s + *pos, lit[i], l) == 0) {
			*pos += l;
			return 0;
		}
	}
	size_t start = *pos;
	while (*pos < n && (s[*pos] == '-' || s[*pos] == '+' || s[*pos] == '.' || s[*pos] == 'e' ||
			    s[*pos] == 'E' || (s[*pos] >= '0' && s[*pos] <= '9')))
		(*pos)++;
	if (*pos == start || check_number(s + start, *pos - start) < 0) {
		*pos = start;
		return -1;
	}
	return 0;
}

/* jsmn lets some malformed structures through (a key with no value: {"a","b":1}), which would send
 * the token helpers past the end of the token array. This checks the tree
 * in one linear pass: every member of an object is a key (a string with
 * one child, its value), no other string has children, every token is
 * reached, and nesting stays within maxdepth. */
int json_shape_ok(const struct json *js, int maxdepth)
{
	enum { MAXD = 256 };
	int stack[MAXD];  /* token index of each open container or key */
	int left[MAXD];   /* children still to come */
	int depth = 0;
	if (js->n < 1 || maxdepth > MAXD)
		return 0;
	for (int i = 0; i < js->n; i++) {
		const jsmntok_t *t = &js->t[i];
		if (i > 0) {
			while (depth > 0 && left[depth - 1] == 0)
				depth--;
			if (depth == 0)
				return 0; /* a second top-level value */
			const jsmntok_t *p = &js->t[stack[depth - 1]];
			left[depth - 1]--;
			if (p->type == JSMN_OBJECT && !(t->type == JSMN_STRING && t->size == 1))
				return 0;
			if (p->type != JSMN_OBJECT && t->type == JSMN_STRING && t->size != 0)
				return 0;
		} else if (t->type == JSMN_STRING && t->size != 0) {
			return 0;
		}
		if (t->type == JSMN_PRIMITIVE && t->size != 0)
			return 0;
		if (t->size > 0) {
			if (depth == maxdepth)
				return 0;
			stack[depth] = i;
			left[depth] = t->size;
			depth++;
		}
	}
	while (depth > 0 && left[depth - 1] == 0)
		depth--;
	return depth == 0;
}

int json_parse(struct json *j, const char *s, size_t len)
{
	j->s = s;
	j->len = len;
	j->n = 0;
	j->err[0] = '\0';
	size_t pos = 0;
	if (syn_value(s, len, &pos, 0) < 0) {
		if (pos >= len)
			strcpy(j->err, len == 0 ? "empty JSON document" : "truncated JSON");
		else
			snprintf(j->err, sizeof j->err, "invalid JSON at byte %zu", pos);
		return -1;
	}
	syn_ws(s, len, &pos);
	if (pos < len) {
		snprintf(j->err, sizeof j->err, "extra data after the JSON value at byte %zu", pos);
		return -1;
	}
	if (j->cap == 0) {
		j->cap = 64;
		j->t = malloc(sizeof *j->t * (size_t)j->cap);
		if (j->t == NULL) {
			j->cap = 0;
			strcpy(j->err, "out of memory");
			return -1;
		}
	}
	for (;;) {
		jsmn_parser p;
		jsmn_init(&p);
		int r = jsmn_parse(&p, s, len, j->t, (unsigned)j->cap);
		if (r == JSMN_ERROR_NOMEM) {
			if (j->cap >= JSON_MAX_TOKENS) {
				strcpy(j->err, "too many JSON tokens");
				return -1;
			}
			jsmntok_t *t = realloc(j->t, sizeof *t * (size_t)j->cap * 4);
			if (t == NULL) {
				strcpy(j->err, "out of memory");
				return -1;
			}
			j->t = t;
			j->cap *= 4;
			continue;
		}
		if (r == JSMN_ERROR_INVAL) {
			snprintf(j->err, sizeof j->err, "invalid JSON near byte %u", p.pos);
			return -1;
		}
		if (r == JSMN_ERROR_PART) {
			strcpy(j->err, "truncated JSON");
			return -1;
		}
		if (r < 1) {
			strcpy(j->err, "empty JSON document");
			return -1;
		}
		j->n = r;
		break;
	}
	/* jsmn parses a sequence of values; JSON is exactly one. A string
	 * token ends before its closing quote. */
	int end = j->t[0].end + (j->t[0].type == JSMN_STRING ? 1 : 0);
	if (!json_shape_ok(j, JSON_MAX_DEPTH)) {
		snprintf(j->err, sizeof j->err, "malformed JSON structure (or nested deeper than %d)",
			 JSON_MAX_DEPTH);
		return -1;
	}
	int next = json_next(j, 0);
	if (next < j->n) {
		snprintf(j->err, sizeof j->err, "extra data after the JSON value at byte %d",
			 j->t[next].start);
		return -1;
	}
	for (size_t i = (size_t)end; i < len; i++)
		if (!is_ws(s[i])) {
			snprintf(j->err, sizeof j->err, "extra data after the JSON value at byte %zu", i);
			return -1;
		}
	return 0;
}

int json_type(const struct json *j, int i)
{
	return i >= 0 && i < j->n ? (int)j->t[i].type : 0;
}

int json_next(const struct json *j, int i)
{
	if (i < 0)
		return -1;
	int pending = 1;
	while (pending > 0 && i < j->n) {
		pending += j->t[i].size - 1;
		i++;
	}
	return i;
}

int json_size(const struct json *j, int i)
{
	return i >= 0 && i < j->n ? j->t[i].size : 0;
}

static int raw_eq(const struct json *j, int i, const char *lit, size_t litlen)
{
	size_t n = (size_t)(j->t[i].end - j->t[i].start);
	return litlen == n && memcmp(j->s + j->t[i].start, lit, n) == 0;
}

int json_get(const struct json *j, int obj, const char *key)
{
	if (json_type(j, obj) != JSMN_OBJECT)
		return -1;
	int k = obj + 1;
	size_t kl = strlen(key);
	/* k < n: jsmn lets a key without its value through ({"a" "b"}), so
	 * size can promise more tokens than there are (found by fuzzing). */
	for (int m = 0; m < j->t[obj].size && k < j->n; m++) {
		/* Keys with escapes never match our plain ASCII key names. */
		if (j->t[k].type == JSMN_STRING && raw_eq(j, k, key, kl))
			return k + 1;
		k = json_next(j, k + 1);
	}
	return -1;
}

int json_elem(const struct json *j, int arr, int k)
{
	if (json_type(j, arr) != JSMN_ARRAY || k < 0 || k >= j->t[arr].size)
		return -1;
	int i = arr + 1;
	while (k-- > 0)
		i = json_next(j, i);
	return i;
}

int json_is_null(const struct json *j, int i)
{
	return json_type(j, i) == JSMN_PRIMITIVE && raw_eq(j, i, "null", 4);
}

int json_is_true(const struct json *j, int i)
{
	return json_type(j, i) == JSMN_PRIMITIVE && raw_eq(j, i, "true", 4);
}

const char *json_raw(const struct json *j, int i, size_t *len)
{
	if (i < 0 || i >= j->n) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)(j->t[i].end - j->t[i].start);
	return j->s + j->t[i].start;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static unsigned hex4(const char *p)
{
	return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

int json_str_buf(const struct json *j, int i, struct buf *b)
{
	if (json_type(j, i) != JSMN_STRING)
		return -1;
	const char *s = j->s + j->t[i].start;
	size_t n = (size_t)(j->t[i].end - j->t[i].start);
	for (size_t k = 0; k < n; k++) {
		if (s[k] != '\\') {
			const char *bs = memchr(s + k, '\\', n - k);
			size_t run = bs != NULL ? (size_t)(bs - s) : n;
			if (buf_add(b, s + k, run - k) < 0)
				return -1;
			k = run - 1;
			continue;
		}
		char c = s[++k];
		char out[4];
		size_t olen = 1;
		switch (c) {
		case 'b': out[0] = '\b'; break;
		case 'f': out[0] = '\f'; break;
		case 'n': out[0] = '\n'; break;
		case 'r': out[0] = '\r'; break;
		case 't': out[0] = '\t'; break;
		case 'u': {
			unsigned cp = hex4(s + k + 1);
			k += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && k + 6 < n && s[k + 1] == '\\' && s[k + 2] == 'u') {
				unsigned lo = hex4(s + k + 3);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					k += 6;
				}
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD; /* a lone surrogate cannot be UTF-8 */
			olen = put_utf8(out, cp);
			break;
		}
		default: out[0] = c; break; /* " \ / */
		}
		if (buf_add(b, out, olen) < 0)
			return -1;
	}
	return 0;
}

long json_str(const struct json *j, int i, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, cap > 0 ? cap - 1 : 0);
	if (json_str_buf(j, i, &b) < 0) {
		buf_free(&b);
		return -1;
	}
	if (b.len > 0)
		memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	long n = (long)b.len;
	buf_free(&b);
	return n;
}

int json_int(const struct json *j, int i, long long *v)
{
	char tmp[32];
	size_t n;
	const char *p = json_raw(j, i, &n);
	if (p == NULL || n == 0 || n >= sizeof tmp ||
	    (j->t[i].type != JSMN_STRING && j->t[i].type != JSMN_PRIMITIVE))
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	char *end;
	errno = 0;
	long long x = strtoll(tmp, &end, 10);
	if (*end != '\0' || errno != 0 || end == tmp)
		return -1;
	*v = x;
	return 0;
}

int json_put_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_addc(b, '"') < 0)
		return -1;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (buf_add(b, s + run, i - run) < 0)
			return -1;
		char esc[7] = { '\\', 0 };
		size_t elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (buf_add(b, esc, elen) < 0)
			return -1;
		run = i + 1;
	}
	if (buf_add(b, s + run, n - run) < 0)
		return -1;
	return buf_addc(b, '"');
}
