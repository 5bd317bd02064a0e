/* audit.c: the audit stream, POST /api/audit/get-audit-events.
 *
 * One step fetches one time window (mimecast-api.md section 2.3):
 *
 *   window: [checkpoint, now - audit_lag_seconds] (first run: now - 60 min),
 *           at most a day long; saved in state/audit as the pending window
 *           BEFORE anything is fetched              (failpoint fetch-audit-pending)
 *   -> every page through meta.pagination.next, each page body spooled to
 *      tmp/fetch/audit.pages (pages come newest first; memory holds one page)
 *   -> pages and events walked backwards (oldest first); an event at the
 *      checkpoint second whose digest is saved is dropped (startDateTime is
 *      inclusive, so windows overlap by that second)
 *   -> raw/audit.<seq>.json, the envelope shape with the events byte for byte
 *      (no file for an empty window)            (failpoint fetch-audit-written)
 *   -> state: seq+1, checkpoint = newest eventTime and the digests of the
 *      events at that second, no pending window (failpoint fetch-audit-published)
 *   -> poke the splitter                         (failpoint fetch-audit-committed)
 *
 * A restart finding a pending window fetches exactly that window again with
 * the same seq and the same dedup set: the same file name comes out, and
 * spool_publish says SPOOL_EXISTS if it was already published.
 */
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"
#include "fetch.h"
#include "json.h"
#include "log.h"
#include "spool.h"
#include "state.h"
#include "wake.h"

#define AUDIT_STATE "audit"
#define AUDIT_KIND "audit"
#define AUDIT_VERSION 1
#define AUDIT_PAGES "audit.pages"
#define AUDIT_PART "audit.part"
#define AUDIT_PAGE_MAX (16u << 20)
#define AUDIT_PAGE_SIZE 100
#define AUDIT_FIRST_LOOKBACK (60 * 60)
#define AUDIT_MAX_WINDOW (24 * 60 * 60)
#define AUDIT_MAX_PAGES 100000
#define AUDIT_MAX_DIGESTS 50000 /* 65 bytes each: well inside a state file's 4 MB */
#define AUDIT_MAX_MEMBERS 64

static const char uri[] = "/api/audit/get-audit-events";
static const char what[] = "get-audit-events";
static const char perm[] = "Account | Logs | Read";

struct digests {
	char (*d)[65];
	size_t n, cap;
};

struct audit_state {
	unsigned long long seq; /* the number the next file gets */
	int has_cp;
	time_t cp;              /* newest eventTime delivered */
	struct digests seen;    /* digests of the events at cp */
	int pending;
	time_t ps, pe;          /* the window being fetched */
	unsigned long long pseq;
};

static int digests_has(const struct digests *s, const char *d)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->d[i], d) == 0)
			return 1;
	return 0;
}

static void digests_add(struct digests *s, const char *d)
{
	if (digests_has(s, d))
		return;
	if (s->n == AUDIT_MAX_DIGESTS) {
		log_warn("%s: more than %d events in one second: the rest may be delivered twice "
			 "if a window repeats that second", what, AUDIT_MAX_DIGESTS);
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->d, cap * sizeof s->d[0]);
		if (p == NULL)
			die(EXIT_TEMP, "out of memory");
		s->d = p;
		s->cap = cap;
	}
	memcpy(s->d[s->n++], d, 65);
}

static void digests_free(struct digests *s)
{
	free(s->d);
	memset(s, 0, sizeof *s);
}

static int get_num(const struct buf *body, const char *key, unsigned long long *v)
{
	char s[32], *end;
	if (state_get(body, key, s, sizeof s) < 0)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end != '\0' || errno != 0 || s[0] == '\0' ? -2 : 0;
}

static _Noreturn void damaged(const char *key)
{
	die(EXIT_PERM, "state/%s: the '%s' line is damaged: restore the file from a backup rather "
		       "than deleting it (that would fetch the last hour again)", AUDIT_STATE, key);
}

static void load_state(struct fetch *f, struct audit_state *st)
{
	memset(st, 0, sizeof *st);
	st->seq = 1;
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	int version;
	if (state_load(f->ctx->dirs.state, AUDIT_STATE, AUDIT_KIND, AUDIT_VERSION, &body, &version) != 0) {
		buf_free(&body);
		return;
	}
	unsigned long long v;
	if (get_num(&body, "seq", &st->seq) != 0 || st->seq == 0 || st->seq > 999999999999ULL)
		damaged("seq");
	int r = get_num(&body, "checkpoint", &v);
	if (r == -2)
		damaged("checkpoint");
	if (r == 0) {
		st->has_cp = 1;
		st->cp = (time_t)v;
	}
	r = get_num(&body, "pending_start", &v);
	if (r == 0) {
		unsigned long long e, s;
		st->ps = (time_t)v;
		if (get_num(&body, "pending_end", &e) != 0 || (time_t)e < st->ps)
			damaged("pending_end");
		if (get_num(&body, "pending_seq", &s) != 0 || s == 0)
			damaged("pending_seq");
		st->pe = (time_t)e;
		st->pseq = s;
		st->pending = 1;
	} else if (r == -2) {
		damaged("pending_start");
	}
	/* The digests line can be long: find it by hand. */
	const char *p = body.p, *end = body.p + body.len;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) > 8 && memcmp(p, "digests ", 8) == 0) {
			for (const char *q = p + 8; q < le;) {
				const char *c = memchr(q, ',', (size_t)(le - q));
				const char *de = c ? c : le;
				if (de - q != 64)
					damaged("digests");
				char d[65];
				memcpy(d, q, 64);
				d[64] = '\0';
				digests_add(&st->seen, d);
				q = c ? c + 1 : le;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	buf_free(&body);
}

static void save_state(struct fetch *f, const struct audit_state *st)
{
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	char v[40];
	int r = 0;
	snprintf(v, sizeof v, "%llu", st->seq);
	r |= state_put(&body, "seq", v);
	if (st->has_cp) {
		snprintf(v, sizeof v, "%lld", (long long)st->cp);
		r |= state_put(&body, "checkpoint", v);
		r |= state_put(&body, "checkpoint_utc", mc_isodate(st->cp, v));
		if (st->seen.n > 0) {
			r |= buf_adds(&body, "digests ");
			for (size_t i = 0; i < st->seen.n; i++)
				r |= buf_adds(&body, st->seen.d[i]) |
				     (i + 1 < st->seen.n ? buf_addc(&body, ',') : 0);
			r |= buf_addc(&body, '\n');
		}
	}
	if (st->pending) {
		snprintf(v, sizeof v, "%lld", (long long)st->ps);
		r |= state_put(&body, "pending_start", v);
		snprintf(v, sizeof v, "%lld", (long long)st->pe);
		r |= state_put(&body, "pending_end", v);
		snprintf(v, sizeof v, "%llu", st->pseq);
		r |= state_put(&body, "pending_seq", v);
	}
	if (r != 0)
		die(EXIT_TEMP, "state/%s: unable to build the new state", AUDIT_STATE);
	if (state_save(f->ctx->dirs.state, AUDIT_STATE, AUDIT_KIND, AUDIT_VERSION, body.p, body.len) < 0)
		die_sys(exit_code_for_errno(errno), "unable to save state/%s (%s)", AUDIT_STATE,
			spool_errstep);
	buf_free(&body);
}

/* ---- events -------------------------------------------------------- */

static const struct json *sort_j;

static int cmp_member(const void *a, const void *b)
{
	size_t la, lb;
	const char *ka = json_raw(sort_j, *(const int *)a, &la);
	const char *kb = json_raw(sort_j, *(const int *)b, &lb);
	int c = memcmp(ka, kb, la < lb ? la : lb);
	return c != 0 ? c : (la > lb) - (la < lb);
}

/* A digest of the whole event, insensitive to key order and to whitespace
 * between members: the same event served twice digests the same, two
 * events sharing an id (real captures have many) do not. */
static void event_digest(const struct json *j, int ev, char *out)
{
	br_sha256_context c;
	br_sha256_init(&c);
	int keys[AUDIT_MAX_MEMBERS];
	int n = json_size(j, ev);
	if (json_type(j, ev) == JSMN_OBJECT && n <= AUDIT_MAX_MEMBERS) {
		int k = ev + 1;
		for (int m = 0; m < n; m++) {
			keys[m] = k;
			k = json_next(j, k + 1);
		}
		sort_j = j;
		qsort(keys, (size_t)n, sizeof keys[0], cmp_member);
		for (int m = 0; m < n; m++) {
			size_t kl, vl;
			const char *kr = json_raw(j, keys[m], &kl);
			const char *vr = json_raw(j, keys[m] + 1, &vl);
			unsigned char type = (unsigned char)json_type(j, keys[m] + 1);
			br_sha256_update(&c, kr, kl);
			br_sha256_update(&c, "", 1);
			br_sha256_update(&c, &type, 1);
			br_sha256_update(&c, vr, vl);
			br_sha256_update(&c, "", 1);
		}
	} else {
		size_t l;
		const char *r = json_raw(j, ev, &l);
		br_sha256_update(&c, r, l);
	}
	unsigned char d[32];
	br_sha256_out(&c, d);
	digest_hex(d, 64, out);
}

static int event_time(const struct json *j, int ev, time_t *t)
{
	char s[64];
	long n = json_str(j, json_get(j, ev, "eventTime"), s, sizeof s);
	return n > 0 && mc_parse_isodate(s, (size_t)n, t) == 0 ? 0 : -1;
}

struct page {
	off_t off;
	size_t len;
};

struct walk {
	const struct audit_state *st;
	struct spool_file out;
	long nout, ndup, nold, nnotime;
	int have_max;
	time_t max;
	struct digests at_max;
};

static void walk_event(struct walk *w, const struct json *j, int ev)
{
	time_t t;
	char d[65];
	event_digest(j, ev, d);
	if (event_time(j, ev, &t) == 0) {
		if (w->st->has_cp && t < w->st->cp) {
			w->nold++; /* before the window the server was asked for: delivered earlier */
			return;
		}
		if (!w->have_max || t > w->max) {
			w->have_max = 1;
			w->max = t;
			w->at_max.n = 0;
		}
		if (t == w->max)
			digests_add(&w->at_max, d);
		if (w->st->has_cp && t == w->st->cp && digests_has(&w->st->seen, d)) {
			w->ndup++;
			return;
		}
	} else {
		w->nnotime++; /* delivered (never dropped); it cannot move the checkpoint */
	}
	size_t len;
	const char *raw = json_raw(j, ev, &len);
	if ((w->nout > 0 && spool_write(&w->out, ",", 1) < 0) || spool_write(&w->out, raw, len) < 0)
		die_sys(exit_code_for_errno(errno), "unable to write %s", AUDIT_PART);
	w->nout++;
}

static void walk_page(struct walk *w, int pfd, const struct page *p, struct buf *b)
{
	buf_reset(b);
	if (p->len > b->max)
		die(EXIT_TEMP, "%s: a page larger than %zu bytes", what, b->max);
	char tmp[65536];
	for (size_t got = 0; got < p->len;) {
		size_t want = p->len - got < sizeof tmp ? p->len - got : sizeof tmp;
		ssize_t n = pread(pfd, tmp, want, p->off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_sys(EXIT_TEMP, "unable to read back %s", AUDIT_PAGES);
		if (buf_add(b, tmp, (size_t)n) < 0)
			die(EXIT_TEMP, "out of memory");
		got += (size_t)n;
	}
	struct json j;
	json_init(&j);
	if (json_parse(&j, b->p, b->len) < 0)
		die(EXIT_TEMP, "%s: a page could not be parsed again: %s", what, j.err);
	int data = json_get(&j, 0, "data");
	int n = json_size(&j, data);
	int *idx = malloc(sizeof *idx * (size_t)(n > 0 ? n : 1));
	if (idx == NULL)
		die(EXIT_TEMP, "out of memory");
	int k = data + 1;
	for (int i = 0; i < n; i++) {
		idx[i] = k;
		k = json_next(&j, k);
	}
	/* Newest first on the wire; oldest first in our file. */
	for (int i = n - 1; i >= 0; i--)
		walk_event(w, &j, idx[i]);
	free(idx);
	json_free(&j);
}

static void build_request(const struct audit_state *st, const char *token, struct buf *req)
{
	char s[32], e[32];
	buf_reset(req);
	int r = buf_printf(req, "{\"meta\":{\"pagination\":{\"pageSize\":%d", AUDIT_PAGE_SIZE);
	if (token[0] != '\0')
		r |= buf_adds(req, ",\"pageToken\":") | json_put_str(req, token, strlen(token));
	/* The same data with every page: the token is authoritative, but some
	 * servers want the window repeated (mimecast-api.md section 2.1). */
	r |= buf_printf(req, "}},\"data\":[{\"startDateTime\":\"%s\",\"endDateTime\":\"%s\"}]}",
			mc_isodate(st->ps, s), mc_isodate(st->pe, e));
	if (r != 0)
		die(EXIT_TEMP, "%s: unable to build the request body", what);
}

/* Fetch every page of the pending window into pfd. 0, or -1 if stopping. */
static int fetch_pages(struct fetch *f, const struct audit_state *st, int pfd, struct page **pages,
		       size_t *npages)
{
	struct buf req;
	buf_init(&req, 16384);
	struct http_resp r;
	http_resp_init(&r, AUDIT_PAGE_MAX);
	char token[sizeof ((struct mc_envelope *)0)->next] = "";
	off_t off = 0;
	size_t cap = 0;
	int ret = 0, restarts = 0;
	for (;;) {
		build_request(st, token, &req);
		struct api_req q = { uri, what, perm, req.p, req.len, NULL, NULL, NULL, NULL,
				     AUDIT_PAGE_MAX, 0, token[0] == '\0', 0 };
		struct mc_envelope env;
		enum body_kind kind;
		int rc = f->call(f, &q, &r, &env, &kind);
		if (rc == CALL_STOP || rc == CALL_LATER) {
			/* Stopping, or (API 2.0) the endpoint's budget is spent: the
			 * pending window is fetched again on a later pass. */
			ret = -1;
			break;
		}
		if (rc == CALL_BAD_TOKEN) {
			/* A page token refused (expired mid-window): the window again from
			 * its first page, a couple of times at most. */
			if (token[0] == '\0' || ++restarts > 2)
				die(EXIT_TEMP, "%s: the server refused %s (%s: %s); the window is fetched "
					       "again at the next run", what,
				    token[0] ? "the page token again" : "a request without a page token",
				    env.code, env.message);
			log_warn("%s: the page token was refused (%s: %s): fetching the window again "
				 "from its first page", what, env.code, env.message);
			token[0] = '\0';
			*npages = 0;
			off = 0;
			continue;
		}
		if (!env.has_data)
			die(EXIT_TEMP, "%s: a response without a data array: the window is fetched "
				       "again at the next run", what);
		if (*npages == cap) {
			cap = cap ? cap * 2 : 8;
			void *p = realloc(*pages, cap * sizeof **pages);
			if (p == NULL)
				die(EXIT_TEMP, "out of memory");
			*pages = p;
		}
		for (size_t w = 0; w < r.head.len;) {
			ssize_t n = pwrite(pfd, r.head.p + w, r.head.len - w, off + (off_t)w);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die_sys(exit_code_for_errno(errno), "unable to write %s", AUDIT_PAGES);
			w += (size_t)n;
		}
		(*pages)[*npages].off = off;
		(*pages)[*npages].len = r.head.len;
		(*npages)++;
		off += (off_t)r.head.len;
		if (env.next[0] == '\0')
			break;
		if (strcmp(env.next, token) == 0)
			die(EXIT_TEMP, "%s: the server returned the page token it was sent: stopping "
				       "rather than looping; the window is fetched again later", what);
		if (*npages >= AUDIT_MAX_PAGES)
			die(EXIT_TEMP, "%s: more than %d pages in one window", what, AUDIT_MAX_PAGES);
		snprintf(token, sizeof token, "%s", env.next);
	}
	http_resp_free(&r);
	buf_free(&req);
	return ret;
}

int audit_pass(struct fetch *f)
{
	struct audit_state st;
	load_state(f, &st);
	int more = STAGE_IDLE;
	time_t now = fetch_now();
	time_t end = now - f->cfg->mimecast.audit_lag_seconds;
	if (st.pending) {
		log_info("%s: fetching again the window %lld..%lld left by an interrupted run", what,
			 (long long)st.ps, (long long)st.pe);
	} else {
		time_t start = st.has_cp ? st.cp : now - AUDIT_FIRST_LOOKBACK;
		if (end < start) {
			digests_free(&st.seen);
			return STAGE_IDLE; /* the checkpoint is in the future: wait for it */
		}
		st.ps = start;
		st.pe = end - start > AUDIT_MAX_WINDOW ? start + AUDIT_MAX_WINDOW : end;
		st.pseq = st.seq;
		st.pending = 1;
		save_state(f, &st);
	}
	failpoint("fetch-audit-pending");
	if (st.pe < end)
		more = STAGE_MORE; /* a long outage: catch up one day at a time */

	int pfd = openat(f->ctx->dirs.tmp, AUDIT_PAGES, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pfd < 0)
		die_sys(exit_code_for_errno(errno), "unable to create %s/%s", f->ctx->dirs.tmpname,
			AUDIT_PAGES);
	struct page *pages = NULL;
	size_t npages = 0;
	if (fetch_pages(f, &st, pfd, &pages, &npages) < 0) {
		close(pfd);
		free(pages);
		digests_free(&st.seen);
		return STAGE_IDLE; /* stopping: the pending window is redone next time */
	}

	struct walk w;
	memset(&w, 0, sizeof w);
	w.st = &st;
	if (spool_create(&w.out, f->ctx->dirs.tmp, AUDIT_PART, 0640) < 0)
		die_sys(exit_code_for_errno(errno), "unable to create %s/%s (%s)",
			f->ctx->dirs.tmpname, AUDIT_PART, spool_errstep);
	static const char head[] = "{\"meta\":{\"status\":200},\"data\":[";
	static const char tail[] = "],\"fail\":[]}";
	if (spool_write(&w.out, head, sizeof head - 1) < 0)
		die_sys(exit_code_for_errno(errno), "unable to write %s", AUDIT_PART);
	struct buf pb;
	buf_init(&pb, AUDIT_PAGE_MAX);
	for (size_t i = npages; i-- > 0;)
		walk_page(&w, pfd, &pages[i], &pb);
	buf_free(&pb);
	close(pfd);
	free(pages);
	if (unlinkat(f->ctx->dirs.tmp, AUDIT_PAGES, 0) < 0 && errno != ENOENT)
		log_warn_sys("unable to remove %s/%s", f->ctx->dirs.tmpname, AUDIT_PAGES);
	if (w.ndup > 0 || w.nold > 0)
		log_info("%s: %ld events already delivered (window overlap) and %ld older than the "
			 "window dropped", what, w.ndup, w.nold);
	if (w.nnotime > 0)
		log_warn("%s: %ld events without a readable eventTime: delivered, but they cannot move "
			 "the checkpoint", what, w.nnotime);

	char name[64];
	snprintf(name, sizeof name, "audit.%012llu.json", st.pseq);
	if (w.nout > 0) {
		if (spool_write(&w.out, tail, sizeof tail - 1) < 0)
			die_sys(exit_code_for_errno(errno), "unable to write %s", AUDIT_PART);
		failpoint("fetch-audit-written");
		fetch_publish(f, &w.out, name, w.nout);
	} else {
		spool_abort(&w.out);
	}
	failpoint("fetch-audit-published");

	/* The new checkpoint: the newest eventTime seen and the events at it. */
	struct audit_state next = st;
	struct digests seen = { NULL, 0, 0 };
	next.pending = 0;
	/* Always past the pending seq, even for an empty window: a refetch after a
	 * crash can never reuse the number of a file already handed on. */
	next.seq = st.pseq + 1;
	if (w.have_max) {
		next.has_cp = 1;
		next.cp = w.max;
		if (st.has_cp && w.max == st.cp)
			for (size_t i = 0; i < st.seen.n; i++)
				digests_add(&seen, st.seen.d[i]);
		for (size_t i = 0; i < w.at_max.n; i++)
			digests_add(&seen, w.at_max.d[i]);
	} else if (!st.has_cp || st.pe != st.cp) {
		/* Nothing in the window: everything up to its end has been seen. */
		next.has_cp = 1;
		next.cp = st.pe;
	} else {
		for (size_t i = 0; i < st.seen.n; i++)
			digests_add(&seen, st.seen.d[i]);
	}
	next.seen = seen;
	save_state(f, &next);
	failpoint("fetch-audit-committed");
	if (w.nout > 0)
		trigger_pull(f->ctx->dirs.lock, "split");
	digests_free(&seen);
	digests_free(&st.seen);
	digests_free(&w.at_max);
	return wake_stopping() ? STAGE_IDLE : more;
}
