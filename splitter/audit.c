/* audit.c: an audit page, {"meta":{...},"data":[events],"fail":[]}, as
 * the line layout Mimecast's own collection scripts wrote:
 *
 *   date=<eventTime>|mcType=auditLog|user=<user>|auditType="<auditType>"|eventInfo="<eventInfo>
 *
 * with no closing quote after eventInfo, as those scripts (and so the
 * LogRhythm rules written against their output) have it; see
 * doc/output-format.md. Events are written oldest first (stable for equal
 * times). The file is streamed one event at a time (the fetcher may put a
 * whole day's window in one envelope); events are sorted in memory in
 * blocks of at most audit_page_max bytes of lines, which is one block for
 * any real page (500 events are ~300 kB) and for the fetcher's windows,
 * which it writes oldest first already.
 */
#include "split.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int digits(const char *s, size_t n, int *v)
{
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int audit_time(const char *s, size_t n, long long *t)
{
	int y, mo, d, h, mi, se;
	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 ||
	    digits(s + 17, 2, &se) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	size_t i = 19;
	if (i < n && s[i] == '.') {
		i++;
		size_t f = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return -1;
	}
	long long off = 0;
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1, oh, om;
		i++;
		if (n - i < 4 || digits(s + i, 2, &oh) < 0)
			return -1;
		i += 2;
		if (s[i] == ':')
			i++;
		if (n - i < 2 || digits(s + i, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		i += 2;
		off = sign * (oh * 3600LL + om * 60LL);
	}
	if (i != n)
		return -1;
	*t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se - off;
	return 0;
}

struct ev {
	long long t;
	long idx;
	size_t off, len; /* in the rendered-lines buffer */
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* String member key of event e, unescaped and escaped into out; a missing
 * or null member is empty. 0, 1 when present but not a string, -1 full. */
static int field(struct job *j, int e, const char *key, struct buf *out)
{
	int v = json_get(&j->js, e, key);
	if (v < 0 || json_is_null(&j->js, v))
		return 0;
	if (json_type(&j->js, v) != JSMN_STRING)
		return 1;
	buf_reset(&j->tmpv);
	if (json_str_buf(&j->js, v, &j->tmpv) < 0)
		return -1;
	return esc_value(out, j->tmpv.p != NULL ? j->tmpv.p : "", j->tmpv.len) < 0 ? -1 : 0;
}

static int render(struct job *j, int e, struct buf *out, char *why, size_t whylen)
{
	if (j->cfg->output_format == FORMAT_JSON)
		return json_compact(out, &j->js, e, 0) < 0 ? (snprintf(why, whylen, "too large"), -1) : 0;
	static const char *const parts[][2] = {
		{ "date=", "eventTime" },
		{ "|mcType=auditLog|user=", "user" },
		{ "|auditType=\"", "auditType" },
		{ "\"|eventInfo=\"", "eventInfo" },
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (buf_adds(out, parts[i][0]) < 0) {
			snprintf(why, whylen, "too large");
			return -1;
		}
		int r = field(j, e, parts[i][1], out);
		if (r != 0) {
			snprintf(why, whylen, r > 0 ? "\"%s\" is not a string" : "too large", parts[i][1]);
			return -1;
		}
	}
	return 0;
}

struct audit_run {
	struct buf lines; /* rendered lines of the current block */
	struct ev *evs;
	size_t nev, cap;
	long long last; /* latest time written so far */
	int wrote;      /* a block was written */
	int warned;
	const char *ext;
};

/* Write the block oldest first (stable), then start a new one. */
static int flush_block(struct job *j, struct audit_run *a)
{
	if (a->nev > 1)
		qsort(a->evs, a->nev, sizeof *a->evs, ev_cmp);
	if (a->nev > 0 && a->wrote && a->evs[0].t < a->last && !a->warned) {
		log_warn("%s: more than %zu bytes of audit events not in time order: written oldest "
			 "first block by block", j->input, j->lim.audit_page_max);
		a->warned = 1;
	}
	for (size_t i = 0; i < a->nev; i++) {
		if (job_emit(j, "audit", 1, a->ext, a->lines.p + a->evs[i].off, a->evs[i].len) < 0)
			return -1;
		if (!a->wrote || a->evs[i].t > a->last)
			a->last = a->evs[i].t;
		a->wrote = 1;
	}
	a->nev = 0;
	buf_reset(&a->lines);
	return 0;
}

static int audit_event(struct job *j, struct buf *b, unsigned long long off, long recno, void *arg)
{
	struct audit_run *a = arg;
	char why[128];
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
	int tv = json_get(&j->js, 0, "eventTime");
	char when[64];
	long long secs;
	if (json_type(&j->js, tv) != JSMN_STRING || json_str(&j->js, tv, when, sizeof when) < 0 ||
	    audit_time(when, strlen(when), &secs) < 0) {
		job_bad_record(j, b->p, b->len, off, recno, "no valid \"eventTime\"");
		return 0;
	}
	buf_reset(&j->line);
	if (render(j, 0, &j->line, why, sizeof why) < 0) {
		job_bad_record(j, b->p, b->len, off, recno, "%s", why);
		return 0;
	}
	if (a->lines.len + j->line.len > j->lim.audit_page_max && flush_block(j, a) < 0)
		return -1;
	if (a->nev == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct ev *e = realloc(a->evs, cap * sizeof *e);
		if (e == NULL) {
			j->failed = 1;
			return -1;
		}
		a->evs = e;
		a->cap = cap;
	}
	struct ev *e = &a->evs[a->nev++];
	e->t = secs;
	e->idx = recno;
	e->off = a->lines.len;
	e->len = j->line.len;
	if (buf_add(&a->lines, j->line.p, j->line.len) < 0) {
		j->failed = 1;
		return -1;
	}
	return 0;
}

int audit_split(struct job *j, struct src *s)
{
	struct audit_run a;
	memset(&a, 0, sizeof a);
	buf_init(&a.lines, j->lim.audit_page_max + j->line.max);
	a.ext = j->cfg->output_format == FORMAT_JSON ? "json" : "log";
	int rc = jarr_stream(j, s, audit_event, &a);
	if (rc == 0 && !j->failed)
		rc = flush_block(j, &a);
	free(a.evs);
	buf_free(&a.lines);
	return j->failed ? -1 : rc;
}
