/* jarr.c: API 1.0 fileFormat=json payloads, {"type":"MTA","data":[...]},
 * streamed: the envelope is scanned byte by byte and only one element of
 * "data" is held at a time (at most record_max bytes), then parsed
 * strictly on its own. Other keys' values are skipped without buffering. */
#include "split.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define JARR_DEPTH 512

struct rd {
	struct src *s;
	char b[65536];
	size_t i, n;
	unsigned long long base; /* offset of b[0] in the payload */
	int eof;
	int err;
	/* Capture of the current element: b[from..i) is captured but not yet
	 * copied into cap (it is, a run at a time, when b is refilled and when
	 * the capture ends). */
	struct buf *cap;
	size_t from;
	int over;
	struct job *j;
};

static unsigned long long rd_off(const struct rd *r) { return r->base + r->i; }

/* Append b[from..i) to the capture; past record_max it goes to bad/. */
static void capture_run(struct rd *r)
{
	if (r->cap == NULL || r->i == r->from)
		return;
	const char *p = r->b + r->from;
	size_t n = r->i - r->from;
	r->from = r->i;
	if (r->j->failed)
		return;
	if (r->cap->len + n <= r->j->lim.record_max) {
		if (buf_add(r->cap, p, n) < 0)
			r->j->failed = 1;
		return;
	}
	/* Too long to hold: the element goes to bad/, a run at a time. */
	if (!r->over) {
		r->over = 1;
		if (job_bad_begin(r->j) < 0)
			return;
	}
	if (job_bad_add(r->j, r->cap->p, r->cap->len) < 0)
		return; /* j->failed is set: the run stops */
	buf_reset(r->cap);
	if (n > r->j->lim.record_max)
		(void)job_bad_add(r->j, p, n); /* on failure j->failed is set */
	else if (buf_add(r->cap, p, n) < 0)
		r->j->failed = 1;
}

static void capture_start(struct rd *r, struct buf *b)
{
	r->cap = b;
	r->from = r->i;
	r->over = 0;
}

static void capture_end(struct rd *r)
{
	capture_run(r);
	r->cap = NULL;
}

static int peek(struct rd *r)
{
	if (r->i == r->n) {
		if (r->eof || r->err)
			return -1;
		capture_run(r);
		ssize_t n = r->s->read(r->s, r->b, sizeof r->b);
		if (n < 0) {
			r->err = 1;
			return -1;
		}
		if (n == 0) {
			r->eof = 1;
			return -1;
		}
		r->base += r->n;
		r->i = r->from = 0;
		r->n = (size_t)n;
	}
	return (unsigned char)r->b[r->i];
}

static int get(struct rd *r)
{
	int c = peek(r);
	if (c >= 0)
		r->i++;
	return c;
}

static int ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int skip_ws(struct rd *r)
{
	int c;
	while ((c = peek(r)) >= 0 && ws(c))
		r->i++;
	return c;
}

/* After the opening quote: to the closing one. key (may be NULL) gets the
 * raw text, truncated to cap - 1. 0 or -1 (end of input). */
static int scan_string(struct rd *r, char *key, size_t cap)
{
	size_t k = 0;
	for (;;) {
		if (peek(r) < 0)
			return -1;
		/* The run of plain bytes left in the buffer, at once. */
		const char *p = r->b + r->i, *e = r->b + r->n, *q = p;
		while (q < e && *q != '"' && *q != '\\')
			q++;
		if (key != NULL) {
			size_t n = (size_t)(q - p);
			if (n > cap - 1 - k)
				n = cap - 1 - k;
			memcpy(key + k, p, n);
			k += n;
		}
		r->i += (size_t)(q - p);
		if (q == e)
			continue;
		int c = get(r);
		if (c == '"')
			break;
		if (key != NULL && k + 1 < cap)
			key[k++] = (char)c;
		c = get(r); /* the escaped byte */
		if (c < 0)
			return -1;
		if (key != NULL && k + 1 < cap)
			key[k++] = (char)c;
	}
	if (key != NULL)
		key[k] = '\0';
	return 0;
}

/* One value of any kind, consumed (and captured when capturing).
 * 0, -1 at the end of input, -2 on a structural error. */
static int scan_value(struct rd *r)
{
	int c = peek(r);
	if (c < 0)
		return -1;
	if (c == '"') {
		get(r);
		return scan_string(r, NULL, 0);
	}
	if (c == '{' || c == '[') {
		int depth = 0;
		for (;;) {
			if (peek(r) < 0)
				return -1;
			/* Skip to the next byte that matters, within the buffer. */
			const char *q = r->b + r->i, *e = r->b + r->n;
			while (q < e && *q != '"' && *q != '{' && *q != '[' && *q != '}' && *q != ']')
				q++;
			r->i = (size_t)(q - r->b);
			if (q == e)
				continue;
			c = get(r);
			if (c == '"') {
				if (scan_string(r, NULL, 0) < 0)
					return -1;
			} else if (c == '{' || c == '[') {
				if (++depth > JARR_DEPTH)
					return -2;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return 0;
			}
		}
	}
	/* A primitive: up to the next delimiter. */
	int n = 0;
	while ((c = peek(r)) >= 0 && !ws(c) && c != ',' && c != ']' && c != '}' && c != ':') {
		get(r);
		n++;
	}
	if (n == 0)
		return c < 0 ? -1 : -2;
	return 0;
}

int v1json_render(struct job *j, const char *logtype)
{
	const struct json *js = &j->js;
	buf_reset(&j->line);
	int k = 1;
	for (int m = 0; m < js->t[0].size; m++) {
		int v = k + 1;
		if (m > 0 && buf_addc(&j->line, '|') < 0)
			goto full;
		buf_reset(&j->tmpv);
		if (json_str_buf(js, k, &j->tmpv) < 0 || esc_key(&j->line, j->tmpv.p, j->tmpv.len) < 0 ||
		    buf_addc(&j->line, '=') < 0)
			goto full;
		int type = json_type(js, v);
		if (type == JSMN_STRING) {
			buf_reset(&j->tmpv);
			if (json_str_buf(js, v, &j->tmpv) < 0 ||
			    esc_value(&j->line, j->tmpv.p, j->tmpv.len) < 0)
				goto full;
		} else if (json_is_null(js, v)) {
			/* null is how the json format says "empty" (AttNames=) */
		} else if (type == JSMN_PRIMITIVE) {
			size_t n;
			const char *p = json_raw(js, v, &n);
			if (buf_add(&j->line, p, n) < 0)
				goto full;
		} else if (json_compact(&j->line, js, v, 1) < 0) {
			goto full;
		}
		k = json_next(js, v);
	}
	return job_emit(j, logtype, 0, "log", j->line.p, j->line.len);
full:
	job_bad_record(j, js->s, js->len, 0, j->records + j->bad_records + 1,
		       "record too large to render");
	return j->failed ? -1 : 0;
}

static int element(struct job *j, struct buf *b, unsigned long long off, long recno, void *arg)
{
	const char *logtype = arg;
	if (!utf8_valid(b->p, b->len)) {
		job_bad_record(j, b->p, b->len, off, recno, "invalid UTF-8");
		return 0;
	}
	if (json_parse(&j->js, b->p, b->len) < 0) {
		job_bad_record(j, b->p, b->len, off, recno, "%s", j->js.err);
		return 0;
	}
	if (json_type(&j->js, 0) != JSMN_OBJECT) {
		job_bad_record(j, b->p, b->len, off, recno, "not a JSON object");
		return 0;
	}
	if (j->cfg->output_format == FORMAT_JSON) {
		buf_reset(&j->line);
		if (json_compact(&j->line, &j->js, 0, 0) < 0) {
			job_bad_record(j, b->p, b->len, off, recno, "record too large");
			return j->failed ? -1 : 0;
		}
		return job_emit(j, logtype, 0, "json", j->line.p, j->line.len);
	}
	return v1json_render(j, logtype);
}

static int data_array(struct job *j, struct rd *r, jarr_fn fn, void *arg)
{
	if (get(r) != '[')
		return -2;
	struct buf b;
	buf_init(&b, j->lim.record_max + 1);
	long recno = 0;
	int rc = 0;
	int c = skip_ws(r);
	if (c == ']') {
		get(r);
		buf_free(&b);
		return 0;
	}
	for (;;) {
		skip_ws(r);
		unsigned long long off = rd_off(r);
		buf_reset(&b);
		capture_start(r, &b);
		rc = scan_value(r);
		capture_end(r);
		recno++;
		if (r->over) {
			if (job_bad_add(j, b.p, b.len) == 0)
				job_bad_end(j, off, recno, "record longer than %zu bytes",
					    j->lim.record_max);
			if (rc == 0)
				rc = j->failed ? -3 : 0;
		} else if (rc == 0) {
			rc = fn(j, &b, off, recno, arg) < 0 ? -3 : 0;
		}
		if (rc < 0)
			break;
		c = skip_ws(r);
		get(r);
		if (c == ']')
			break;
		if (c != ',') {
			rc = c < 0 ? -1 : -2;
			break;
		}
	}
	buf_free(&b);
	return rc;
}

int jarr_split(struct job *j, struct src *s, const char *logtype)
{
	return jarr_stream(j, s, element, (void *)logtype);
}

int jarr_stream(struct job *j, struct src *s, jarr_fn fn, void *arg)
{
	struct rd *r = calloc(1, sizeof *r);
	if (r == NULL) {
		j->failed = 1;
		return -1;
	}
	r->s = s;
	r->j = j;
	int rc = 0, seen_data = 0;
	if (skip_ws(r) != '{') {
		rc = -2;
		goto out;
	}
	get(r);
	int first = 1;
	for (;;) {
		int c = skip_ws(r);
		if (first && c == '}') {
			get(r);
			break;
		}
		first = 0;
		if (get(r) != '"') {
			rc = c < 0 ? -1 : -2;
			break;
		}
		char key[64];
		if (scan_string(r, key, sizeof key) < 0) {
			rc = -1;
			break;
		}
		c = skip_ws(r);
		if (get(r) != ':') {
			rc = c < 0 ? -1 : -2;
			break;
		}
		skip_ws(r);
		if (strcmp(key, "data") == 0 && !seen_data && peek(r) == '[') {
			seen_data = 1;
			rc = data_array(j, r, fn, arg);
		} else {
			rc = scan_value(r);
		}
		if (rc < 0)
			break;
		c = skip_ws(r);
		get(r);
		if (c == '}')
			break;
		if (c != ',') {
			rc = c < 0 ? -1 : -2;
			break;
		}
	}
	if (rc == 0 && skip_ws(r) >= 0)
		rc = -4;
out:
	if (r->err)
		job_bad_payload(j, "%s", s->err);
	else if (rc == -1)
		job_bad_payload(j, "truncated JSON (end of input at byte %llu)", rd_off(r));
	else if (rc == -2)
		job_bad_payload(j, "invalid JSON envelope at byte %llu", rd_off(r));
	else if (rc == -4)
		job_bad_payload(j, "extra data after the JSON document at byte %llu", rd_off(r));
	else if (rc == 0 && !seen_data)
		job_bad_payload(j, "no \"data\" array in the JSON document");
	free(r);
	return j->failed ? -1 : 0;
}
