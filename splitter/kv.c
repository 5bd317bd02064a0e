/* kv.c: API 1.0 key_value payloads: find the payload's own record
 * terminator, then split on it and on nothing else.
 *
 * Real files end every record with a bare CR; others may use LF or CRLF.
 * A line-break byte that is not the terminator is data: it stays in the
 * record and is escaped on output (esc_record), so it cannot end the
 * output line.
 */
#include "split.h"

#include <string.h>

#include "log.h"

enum kv_term kv_term_decide(unsigned long long ncr, unsigned long long nlf,
			    unsigned long long ncrlf, enum kv_term last)
{
	if (ncr == 0 && nlf == 0 && ncrlf == 0)
		return TERM_NONE;
	/* The terminator ends every record, so it is the most frequent
	 * kind; stray bytes are rare. A tie goes to the kind that ends the
	 * payload (every record, the last included, is terminated), then to
	 * bare CR, Mimecast's own. */
	unsigned long long best = ncr;
	if (nlf > best)
		best = nlf;
	if (ncrlf > best)
		best = ncrlf;
	if ((last == TERM_CR && ncr == best) || (last == TERM_LF && nlf == best) ||
	    (last == TERM_CRLF && ncrlf == best))
		return last;
	if (ncr == best)
		return TERM_CR;
	if (ncrlf == best)
		return TERM_CRLF;
	return TERM_LF;
}

/* How many times byte c occurs in p[0..n). */
static unsigned long long count_byte(const char *p, size_t n, char c)
{
	unsigned long long k = 0;
	const char *end = p + n;
	for (const char *q = p; (q = memchr(q, c, (size_t)(end - q))) != NULL; q++)
		k++;
	return k;
}

/* How many CRs in p[0..n) are followed by an LF; *prev_cr says whether
 * the byte before p was a CR, and is set to whether the last one is. */
static unsigned long long count_crlf(const char *p, size_t n, int *prev_cr)
{
	unsigned long long k = 0;
	if (n == 0)
		return 0;
	if (*prev_cr && p[0] == '\n')
		k++;
	const char *end = p + n;
	for (const char *q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 < end && q[1] == '\n')
			k++;
	*prev_cr = p[n - 1] == '\r';
	return k;
}

int kv_term_detect(struct src *s, enum kv_term *t)
{
	/* Counted as all CRs, all LFs and CR LF pairs; a CR LF is neither a
	 * bare CR nor a bare LF. */
	unsigned long long cr = 0, lf = 0, ncrlf = 0;
	int prev_cr = 0;
	char last2[2] = { 0, 0 };
	char b[65536];
	for (;;) {
		ssize_t n = s->read(s, b, sizeof b);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		cr += count_byte(b, (size_t)n, '\r');
		lf += count_byte(b, (size_t)n, '\n');
		ncrlf += count_crlf(b, (size_t)n, &prev_cr);
		last2[0] = n >= 2 ? b[n - 2] : last2[1];
		last2[1] = b[n - 1];
	}
	enum kv_term last = TERM_NONE;
	if (last2[1] == '\r')
		last = TERM_CR;
	else if (last2[1] == '\n')
		last = last2[0] == '\r' ? TERM_CRLF : TERM_LF;
	*t = kv_term_decide(cr - ncrlf, lf - ncrlf, ncrlf, last);
	return s->rewind(s);
}

struct kvrec {
	struct buf b;
	int over;
	unsigned long long start;
	long recno;
};

static int rec_add(struct job *j, struct kvrec *r, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (r->over)
		return job_bad_add(j, p, n);
	if (r->b.len + n <= j->lim.record_max)
		return buf_add(&r->b, p, n) < 0 ? (j->failed = 1, -1) : 0;
	/* Too long to hold: stream it into bad/ as it comes. */
	r->over = 1;
	if (job_bad_begin(j) < 0 || job_bad_add(j, r->b.p, r->b.len) < 0)
		return -1;
	buf_reset(&r->b);
	return job_bad_add(j, p, n);
}

typedef int (*rec_fn)(struct job *, const char *, size_t, unsigned long long, long, void *);

static int rec_end(struct job *j, struct kvrec *r, rec_fn fn, void *arg, unsigned long long next)
{
	r->recno++;
	int rc = 0;
	if (r->over)
		job_bad_end(j, r->start, r->recno, "record longer than %zu bytes", j->lim.record_max);
	else if (r->b.len == 0)
		r->recno--; /* an empty line is no record */
	else
		rc = fn(j, r->b.p, r->b.len, r->start, r->recno, arg);
	r->over = 0;
	buf_reset(&r->b);
	r->start = next;
	return j->failed ? -1 : rc;
}

/* The same as rec_add then rec_end, for a record that is whole in p[0..n). */
static int rec_whole(struct job *j, struct kvrec *r, rec_fn fn, void *arg, const char *p,
		     size_t n, unsigned long long next)
{
	int rc = 0;
	if (n > 0) {
		r->recno++;
		rc = fn(j, p, n, r->start, r->recno, arg);
	}
	r->start = next;
	return j->failed ? -1 : rc;
}

static int kv_record(struct job *j, const char *p, size_t n, unsigned long long off, long recno,
		     void *arg)
{
	const char *logtype = arg;
	if (!utf8_valid(p, n)) {
		job_bad_record(j, p, n, off, recno, "invalid UTF-8");
		return 0;
	}
	buf_reset(&j->line);
	if (esc_record(&j->line, p, n) < 0) {
		j->failed = 1;
		return -1;
	}
	return job_emit(j, logtype, 0, "log", j->line.p, j->line.len);
}



int kv_split(struct job *j, struct src *s, const char *logtype)
{
	enum kv_term t;
	if (kv_term_detect(s, &t) < 0) {
		job_bad_payload(j, "%s", s->err);
		return 0;
	}
	return frame_split(j, s, t, kv_record, (void *)logtype);
}

/* Split s on t; each record (at most record_max bytes) to fn. */
int frame_split(struct job *j, struct src *s, enum kv_term t, rec_fn fn, void *arg)
{
	struct kvrec r;
	memset(&r, 0, sizeof r);
	buf_init(&r.b, j->lim.record_max);
	char b[65536];
	int pending_cr = 0; /* CRLF mode: a CR seen at the end of the last chunk */
	int rc = 0;
	unsigned long long base = 0;
	for (;;) {
		ssize_t n = s->read(s, b, sizeof b);
		if (n < 0) {
			job_bad_payload(j, "%s", s->err);
			break;
		}
		if (n == 0)
			break;
		size_t i = 0, len = (size_t)n;
		if (pending_cr) {
			pending_cr = 0;
			if (b[0] == '\n') {
				i = 1;
				if ((rc = rec_end(j, &r, fn, arg, base + 1)) < 0)
					break;
			} else if ((rc = rec_add(j, &r, "\r", 1)) < 0) {
				break;
			}
		}
		/* CR and CRLF mode look for the CR, LF mode for the LF; with no
		 * terminator the payload is one record. */
		char stop = t == TERM_LF ? '\n' : '\r';
		while (i < len) {
			const char *x = t == TERM_NONE ? NULL : memchr(b + i, stop, len - i);
			size_t k = x != NULL ? (size_t)(x - b) : len;
			int end = 0;
			size_t skip = 1;
			if (x != NULL && t != TERM_CRLF) {
				end = 1;
			} else if (x != NULL) {
				if (k + 1 == len)
					pending_cr = 1;
				else if (b[k + 1] == '\n')
					end = 1, skip = 2;
				else
					k++; /* a stray CR: data, go on looking */
			}
			if (end && r.b.len == 0 && !r.over && k - i <= j->lim.record_max) {
				/* The whole record is in this chunk: no copy. */
				r.start = base + i;
				if ((rc = rec_whole(j, &r, fn, arg, b + i, k - i, base + k + skip)) < 0)
					break;
				i = k + skip;
				continue;
			}
			if ((rc = rec_add(j, &r, b + i, k - i)) < 0)
				break;
			if (end) {
				if ((rc = rec_end(j, &r, fn, arg, base + k + skip)) < 0)
					break;
				i = k + skip;
			} else {
				i = pending_cr ? len : k;
			}
		}
		if (rc < 0)
			break;
		base += (unsigned long long)n;
	}
	if (rc == 0 && pending_cr)
		rc = rec_add(j, &r, "\r", 1);
	/* The last record lacks its terminator (or the payload has none). */
	if (rc == 0 && (r.b.len > 0 || r.over))
		rc = rec_end(j, &r, fn, arg, base);
	buf_free(&r.b);
	return rc;
}
