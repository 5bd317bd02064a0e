/* esc.c: the escapes that keep one record on one output line and one
 * value in one field. See doc/output-format.md, "Escaping".
 *
 * A backslash is never escaped: Mimecast's own values use backslashes as
 * data (the "\value\" wrapping), 1.0 records must stay byte-identical, and
 * the escapes exist to stop injection, not to make the line reversible
 * (output_format = json is the lossless form).
 */
#include "split.h"

#include <string.h>

#include "word8.h"

int esc_record(struct buf *b, const char *p, size_t n)
{
	/* memchr for each of the two bytes: records rarely hold either. */
	if (n == 0)
		return 0;
	const char *q = p, *end = p + n;
	const char *cr = memchr(q, '\r', n), *lf = memchr(q, '\n', n);
	while (cr != NULL || lf != NULL) {
		int is_cr = cr != NULL && (lf == NULL || cr < lf);
		const char *x = is_cr ? cr : lf;
		if (buf_add(b, q, (size_t)(x - q)) < 0 || buf_add(b, is_cr ? "\\r" : "\\n", 2) < 0)
			return -1;
		q = x + 1;
		if (is_cr)
			cr = memchr(q, '\r', (size_t)(end - q));
		else
			lf = memchr(q, '\n', (size_t)(end - q));
	}
	return buf_add(b, q, (size_t)(end - q));
}

/* Might one of the eight bytes of w need an escape: a control byte
 * (< 0x20, or 0x7f), '|', or with key '='? No means none does. */
static int may_escape8(uint64_t w, int key)
{
	return word8_has_below(w, 0x20) || word8_has(w, 0x7f) || word8_has(w, '|') ||
	       (key && word8_has(w, '='));
}

static int esc(struct buf *b, const char *p, size_t n, int key)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		/* Eight plain bytes at a time (most values have nothing to escape). */
		while (n - i >= 8 && !may_escape8(word8_load(p + i), key))
			i += 8;
		if (i == n)
			break;
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != 0x7f && c != '|' && !(key && c == '='))
			continue;
		if (buf_add(b, p + run, i - run) < 0)
			return -1;
		char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
		size_t elen = 4;
		if (c == '\r' || c == '\n' || c == '\t') {
			e[1] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
			elen = 2;
		}
		if (buf_add(b, e, elen) < 0)
			return -1;
		run = i + 1;
	}
	return buf_add(b, p + run, n - run);
}

int esc_value(struct buf *b, const char *p, size_t n) { return esc(b, p, n, 0); }
int esc_key(struct buf *b, const char *p, size_t n) { return esc(b, p, n, 1); }

/* Raw token text; in strings '|' becomes \u007c when hide_pipe is set. */
static int put_raw(struct buf *b, const char *p, size_t n, int hide_pipe)
{
	if (!hide_pipe)
		return buf_add(b, p, n);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '|')
			continue;
		if (buf_add(b, p + run, i - run) < 0 || buf_add(b, "\\u007c", 6) < 0)
			return -1;
		run = i + 1;
	}
	return buf_add(b, p + run, n - run);
}

/* Writes token i and its subtree; returns the index after it, or -1. */
static int compact(struct buf *b, const struct json *js, int i, int hide_pipe, int depth)
{
	if (i < 0 || i >= js->n || depth > 512)
		return -1;
	const jsmntok_t *t = &js->t[i];
	const char *p = js->s + t->start;
	size_t n = (size_t)(t->end - t->start);
	switch (t->type) {
	case JSMN_STRING:
		if (buf_addc(b, '"') < 0 || put_raw(b, p, n, hide_pipe) < 0 || buf_addc(b, '"') < 0)
			return -1;
		return i + 1;
	case JSMN_PRIMITIVE:
		return buf_add(b, p, n) < 0 ? -1 : i + 1;
	case JSMN_OBJECT:
	case JSMN_ARRAY: {
		int obj = t->type == JSMN_OBJECT;
		if (buf_addc(b, obj ? '{' : '[') < 0)
			return -1;
		int k = i + 1;
		for (int m = 0; m < t->size; m++) {
			if (m > 0 && buf_addc(b, ',') < 0)
				return -1;
			if (obj) {
				k = compact(b, js, k, hide_pipe, depth + 1);
				if (k < 0 || buf_addc(b, ':') < 0)
					return -1;
			}
			k = compact(b, js, k, hide_pipe, depth + 1);
			if (k < 0)
				return -1;
		}
		return buf_addc(b, obj ? '}' : ']') < 0 ? -1 : k;
	}
	default:
		return -1;
	}
}

int json_compact(struct buf *b, const struct json *js, int i, int hide_pipe)
{
	return compact(b, js, i, hide_pipe, 0) < 0 ? -1 : 0;
}
