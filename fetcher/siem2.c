/* siem2.c: the API 2.0 SIEM stream, GET /siem/v1/batch/events/cg.
 *
 * One cursor per type of mimecast.siem_types, in state/siem2.<type_>. One
 * step lists one page for one type (the types take turns, so none starves
 * another) and downloads its files (mimecast-api.md section 4.4):
 *
 *   list from the saved @nextPage (none, or saved more than 7 days ago: from
 *   a start day clamped to the retention, the lost days named in a warning)
 *   -> for each listed file whose object path is not in the ledger:
 *        state: pending = (seq, path)           (failpoint fetch-siem2-pending)
 *        download it (pre-signed URL, no Authorization) into tmp/fetch/siem2.part
 *        publish raw/siem2.<type_>.<seq>.<basename>  (failpoint fetch-siem2-body before)
 *        state: path into the ledger, no pending     (failpoint fetch-siem2-published before)
 *        poke the splitter                      (failpoint fetch-siem2-file-committed before)
 *   -> state: the page's @nextPage as the cursor (failpoint fetch-siem2-page-done before)
 *   -> isCaughtUp: this type waits for the next poll; else the next page.
 *
 * A crash anywhere lists the same page again from the saved cursor: the
 * files in the ledger are passed over, the pending one gets its pending
 * number again (so the same raw/ name: SPOOL_EXISTS if it was published),
 * the others new numbers. An expired URL (403) lists again from the cursor;
 * nothing is ever skipped.
 */
#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
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

#define S2_KIND "siem2"
#define S2_VERSION 1
#define S2_PART "siem2.part"
#define S2_CURSOR_MAX 4096
#define S2_LEDGER 4096 /* object paths remembered: weeks of files at 100 a day per type */
#define S2_DIGEST_HEX 32
#define S2_LIST_MAX (4u << 20)
#define S2_BLOB_MAX (64ULL << 30)
#define S2_PAGE_SIZE 100
#define S2_RETENTION_DAYS 7
#define S2_RELISTS_MAX 3
#define S2_URL_MAX 8192

static const char uri_base[] = "/siem/v1/batch/events/cg";
static const char what[] = "siem batch";
static const char perm[] = "the SIEM product (Security Events and Data)";

struct s2_state {
	unsigned long long seq;
	char cursor[S2_CURSOR_MAX];
	long long saved; /* when the cursor was saved (UTC seconds), 0 if never */
	unsigned long long pend_seq;
	char pend[S2_DIGEST_HEX + 1]; /* "" if none */
	char ledger[S2_LEDGER * (S2_DIGEST_HEX + 1) + 1]; /* oldest first, comma-separated */
	size_t nledger;
};

/* ---- pure helpers -------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int siem2_object_path(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (p == NULL || cap < 2)
		return -1;
	size_t sl = (size_t)(p - url);
	if (!((sl == 5 && strncasecmp(url, "https", 5) == 0) ||
	      (sl == 4 && strncasecmp(url, "http", 4) == 0)))
		return -1;
	p += 3;
	/* The authority ends at the first '/', '?' or '#'. */
	while (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		p++;
	size_t o = 0;
	if (*p != '/') {
		out[o++] = '/';
	}
	for (; *p != '\0' && *p != '?' && *p != '#'; p++) {
		char buf[3];
		size_t n;
		int hi, lo;
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			int c = hi * 16 + lo;
			if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
				buf[0] = (char)c;
				n = 1;
			} else {
				static const char hex[] = "0123456789ABCDEF";
				buf[0] = '%';
				buf[1] = hex[c >> 4];
				buf[2] = hex[c & 15];
				n = 3;
			}
			p += 2;
		} else if (*p == '%') {
			/* A stray '%' is data: escaped, so that the result is canonical
			 * ("%3%30" and "%253%30" name the same object). */
			memcpy(buf, "%25", 3);
			n = 3;
		} else {
			buf[0] = *p;
			n = 1;
		}
		if (o + n >= cap)
			return -1;
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static long days_from_civil(long y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01. */
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void day_str(long days, char *out)
{
	time_t t = (time_t)days * 86400;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
		 tm.tm_mday);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

static long day_of(time_t t)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL)
		return 0; /* not a representable date: 1970-01-01, i.e. "very old" */
	return days_from_civil(tm.tm_year + 1900L, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

void siem2_start_day(time_t now, time_t want, char *out, int *lost, char *lostfrom, char *lostto)
{
	long today = day_of(now);
	long oldest = today - (S2_RETENTION_DAYS - 1);
	long d = want > 0 ? day_of(want) : oldest;
	*lost = 0;
	if (d < oldest) {
		*lost = (int)(oldest - d);
		if (lostfrom != NULL)
			day_str(d, lostfrom);
		if (lostto != NULL)
			day_str(oldest - 1, lostto);
		d = oldest;
	}
	if (d > today)
		d = today;
	day_str(d, out);
}

void siem2_type_name(const char *type, char *out, size_t cap)
{
	char tmp[128];
	size_t i;
	for (i = 0; type[i] != '\0' && i + 1 < sizeof tmp; i++)
		tmp[i] = type[i] == ' ' ? '_' : type[i];
	tmp[i] = '\0';
	spool_name_sanitize(tmp, out, cap);
}

/* ---- state --------------------------------------------------------- */

static _Noreturn void damaged(const char *name, const char *key)
{
	die(EXIT_PERM, "state/%s: the '%s' line is damaged: restore the file from a backup rather "
		       "than deleting it (that would list the whole retention again)", name, key);
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return s[0] == '\0' || *end != '\0' || errno != 0 ? -1 : 0;
}

static void load_state(struct fetch *f, const char *name, struct s2_state *st)
{
	memset(st, 0, sizeof *st);
	st->seq = 1;
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	int version;
	if (state_load(f->ctx->dirs.state, name, S2_KIND, S2_VERSION, &body, &version) == 0) {
		char v[64];
		unsigned long long x;
		if (state_get(&body, "seq", v, sizeof v) < 0 || parse_ull(v, &st->seq) < 0 ||
		    st->seq == 0 || st->seq > 999999999999ULL)
			damaged(name, "seq");
		if (state_get(&body, "cursor", st->cursor, sizeof st->cursor) < 0)
			st->cursor[0] = '\0';
		if (state_get(&body, "saved", v, sizeof v) == 0) {
			if (parse_ull(v, &x) < 0 || x > 253402300799ULL) /* past 9999-12-31 */
				damaged(name, "saved");
			st->saved = (long long)x;
		}
		if (state_get(&body, "pending", v, sizeof v) == 0) {
			char *sp = strchr(v, ' ');
			if (sp == NULL || strlen(sp + 1) != S2_DIGEST_HEX)
				damaged(name, "pending");
			*sp = '\0';
			if (parse_ull(v, &st->pend_seq) < 0 || st->pend_seq == 0)
				damaged(name, "pending");
			memcpy(st->pend, sp + 1, S2_DIGEST_HEX + 1);
		}
		if (state_get(&body, "ledger", st->ledger, sizeof st->ledger) < 0)
			st->ledger[0] = '\0';
		size_t rl = strlen(st->ledger);
		if (rl > 0 && (rl + 1) % (S2_DIGEST_HEX + 1) != 0)
			damaged(name, "ledger");
		st->nledger = rl > 0 ? (rl + 1) / (S2_DIGEST_HEX + 1) : 0;
	}
	buf_free(&body);
}

static void save_state(struct fetch *f, const char *name, const struct s2_state *st)
{
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	char v[64];
	snprintf(v, sizeof v, "%llu", st->seq);
	int r = state_put(&body, "seq", v);
	if (st->cursor[0] != '\0')
		r |= state_put(&body, "cursor", st->cursor);
	if (st->saved > 0) {
		snprintf(v, sizeof v, "%lld", st->saved);
		r |= state_put(&body, "saved", v);
		r |= state_put(&body, "saved_utc", mc_isodate((time_t)st->saved, v));
	}
	if (st->pend[0] != '\0') {
		snprintf(v, sizeof v, "%llu %s", st->pend_seq, st->pend);
		r |= state_put(&body, "pending", v);
	}
	if (st->ledger[0] != '\0')
		r |= state_put(&body, "ledger", st->ledger);
	if (r != 0)
		die(EXIT_TEMP, "state/%s: unable to build the new state", name);
	if (state_save(f->ctx->dirs.state, name, S2_KIND, S2_VERSION, body.p, body.len) < 0)
		die_sys(exit_code_for_errno(errno), "unable to save state/%s (%s)", name, spool_errstep);
	buf_free(&body);
}

static int ledger_has(const struct s2_state *st, const char *d)
{
	return digest_list_has(st->ledger, st->nledger, S2_DIGEST_HEX, d);
}

static void ledger_add(struct s2_state *st, const char *d)
{
	digest_list_add(st->ledger, &st->nledger, S2_LEDGER, S2_DIGEST_HEX, d);
}

/* The first 128 bits of SHA-256 of the object path, hex. */
static void path_digest(const char *path, char *out)
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, path, strlen(path));
	unsigned char d[32];
	br_sha256_out(&c, d);
	digest_hex(d, S2_DIGEST_HEX, out);
}

/* ---- requests ------------------------------------------------------ */

static int qenc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			r |= buf_addc(b, (char)*p);
		else
			r |= buf_addc(b, '%') | buf_addc(b, hex[*p >> 4]) | buf_addc(b, hex[*p & 15]);
	}
	return r;
}

/* ---- downloads ----------------------------------------------------- */

struct dl {
	struct spool_file file;
};

static int dl_write(void *arg, const void *p, size_t n)
{
	struct dl *d = arg;
	return spool_write(&d->file, p, n);
}

enum { DL_OK, DL_RELIST, DL_STOP };

/* GET a pre-signed URL into d->file: no Authorization header (the object
 * store refuses a second credential, and the bearer must not leave the
 * API). want: the listed size, -1 if unknown. */
static int download(struct fetch *f, const char *url, long long want, struct dl *d,
		    const char *shown)
{
	static const char *const hdrs[] = { "Accept: */*", NULL };
	struct http_sink sink = { dl_write, d };
	struct http_resp r;
	http_resp_init(&r, 4096);
	char msg[1024];
	int ret = DL_OK;
	long long prev = -1; /* the length of the previous complete download */
	for (int temp = 0;; temp++) {
		if (spool_rewind(&d->file) < 0)
			die_sys(exit_code_for_errno(errno), "unable to restart %s", S2_PART);
		int rc = http_get(&f->http, url, hdrs, &sink, S2_BLOB_MAX, &r);
		if (rc == HTTP_ESTOP) {
			ret = DL_STOP;
			break;
		}
		if (rc == HTTP_ETLS)
			die(EXIT_PERM, "%s: download of %s: TLS certificate verification failed (%s)",
			    what, shown, http_error(&f->http));
		if (rc == HTTP_EURL)
			die(EXIT_PERM, "%s: a listed URL is not allowed: %s", what, http_error(&f->http));
		if (rc == HTTP_ESINK)
			die(exit_code_for_errno(errno), "%s: %s: %s", what, shown, http_error(&f->http));
		if (rc == HTTP_EBIG)
			die(EXIT_PERM, "%s: %s: %s", what, shown, http_error(&f->http));
		if (rc == HTTP_OK && r.status == 200 && (want < 0 || (long long)r.body_len == want)) {
			ret = DL_OK;
			break;
		}
		if (rc == HTTP_OK && r.status == 200 && (long long)r.body_len == prev) {
			/* Twice the same complete body (HTTP checked its length): the
			 * listing's size is what is wrong; do not stall on it. */
			log_warn("%s: download of %.300s: %llu bytes twice, the listing said %lld: "
				 "handed on as downloaded", what, shown, r.body_len, want);
			ret = DL_OK;
			break;
		}
		if (rc == HTTP_OK && r.status == 200)
			prev = (long long)r.body_len;
		if (rc == HTTP_OK && (r.status == 403 || r.status == 404 || r.status == 400)) {
			/* Expired (AccessDenied "Request has expired"), or gone: a fresh
			 * listing from the saved cursor gives fresh URLs. */
			char why[160] = "";
			const char *m = NULL;
			for (size_t k = 0; r.head.p != NULL && k + 9 <= r.head.len && m == NULL; k++)
				if (memcmp(r.head.p + k, "<Message>", 9) == 0)
					m = r.head.p + k;
			if (m != NULL) {
				m += 9;
				const char *e = memchr(m, '<', r.head.len - (size_t)(m - r.head.p));
				if (e != NULL)
					snprintf(why, sizeof why, ": %.*s", (int)(e - m) > 120 ? 120 : (int)(e - m), m);
			}
			log_warn("%s: download of %s refused (HTTP %ld%s): listing again from the saved "
				 "cursor for fresh URLs", what, shown, r.status, why);
			ret = DL_RELIST;
			break;
		}
		if (rc == HTTP_OK && r.status == 200)
			snprintf(msg, sizeof msg, "%s: download of %.300s: %llu bytes, the listing said %lld",
				 what, shown, r.body_len, want);
		else if (rc == HTTP_OK)
			snprintf(msg, sizeof msg, "%s: download of %.300s: HTTP %ld", what, shown, r.status);
		else
			snprintf(msg, sizeof msg, "%s: download of %.300s: network error: %s", what, shown,
				 http_error(&f->http));
		if (temp >= (int)(sizeof f->retry_ms / sizeof f->retry_ms[0]) || f->retry_ms[temp] == 0)
			die(EXIT_TEMP, "%s: still failing after %d attempts; the saved position is kept",
			    msg, temp + 1);
		log_warn("%s: retrying in %ld ms", msg, f->retry_ms[temp]);
		if (fetch_sleep_ms(f->retry_ms[temp]) < 0) {
			ret = DL_STOP;
			break;
		}
	}
	http_resp_free(&r);
	return ret;
}

/* ---- one page ------------------------------------------------------ */

enum { PAGE_MORE, PAGE_DONE, PAGE_STOP };

struct ctx2 {
	struct fetch *f;
	const char *type;
	char tname[64];   /* "url_protect" */
	char sname[80];   /* "siem2.url_protect" */
	struct s2_state *st;
};

static void log_lost(const struct ctx2 *c, int lost, const char *from, const char *to,
		     const char *why)
{
	log_warn("%s %s: %s: the batch files of %d day%s (%s to %s, UTC) are beyond the %d-day "
		 "retention and lost; listing from the oldest day Mimecast holds", what, c->type, why,
		 lost, lost == 1 ? "" : "s", from, to, S2_RETENTION_DAYS);
}

/* Download and hand on file url (digest d) of the page. */
static int one_file(struct ctx2 *c, const char *url, long long size, const char *d)
{
	struct fetch *f = c->f;
	struct s2_state *st = c->st;
	char path[S2_URL_MAX];
	if (siem2_object_path(url, path, sizeof path) < 0)
		die(EXIT_TEMP, "%s %s: a listed URL is malformed", what, c->type);
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	unsigned long long seq;
	if (st->pend[0] != '\0' && strcmp(st->pend, d) == 0) {
		seq = st->pend_seq; /* an interrupted run's file: the same name again */
	} else {
		seq = st->seq;
		st->pend_seq = seq;
		memcpy(st->pend, d, S2_DIGEST_HEX + 1);
		st->seq = seq + 1;
		save_state(f, c->sname, st);
	}
	failpoint("fetch-siem2-pending");
	char bname[SPOOL_NAME_MAX + 1], name[2 * SPOOL_NAME_MAX];
	size_t room = SPOOL_NAME_MAX - strlen(c->sname) - 14;
	spool_name_sanitize(base[0] != '\0' ? base : "batch.ndjson.gz", bname,
			    room + 1 < sizeof bname ? room + 1 : sizeof bname);
	snprintf(name, sizeof name, "%s.%012llu.%s", c->sname, seq, bname);
	struct dl dlf;
	if (spool_create(&dlf.file, f->ctx->dirs.tmp, S2_PART, 0640) < 0)
		die_sys(exit_code_for_errno(errno), "unable to create %s/%s (%s)",
			f->ctx->dirs.tmpname, S2_PART, spool_errstep);
	int rc = download(f, url, size, &dlf, path);
	if (rc != DL_OK) {
		spool_abort(&dlf.file);
		return rc == DL_STOP ? PAGE_STOP : PAGE_MORE;
	}
	failpoint("fetch-siem2-body");
	fetch_publish(f, &dlf.file, name, -1);
	failpoint("fetch-siem2-published");
	ledger_add(st, d);
	st->pend[0] = '\0';
	st->pend_seq = 0;
	save_state(f, c->sname, st);
	failpoint("fetch-siem2-file-committed");
	trigger_pull(f->ctx->dirs.lock, "split");
	return PAGE_DONE;
}

static int one_page(struct ctx2 *c, int *relists)
{
	struct fetch *f = c->f;
	struct s2_state *st = c->st;
	time_t now = fetch_now();
	char day[11], from[11], to[11];
	int lost;
	if (st->cursor[0] != '\0' && st->saved > 0 &&
	    st->saved < (long long)now - S2_RETENTION_DAYS * 86400LL) {
		siem2_start_day(now, (time_t)st->saved, day, &lost, from, to);
		char why[128];
		snprintf(why, sizeof why, "the saved cursor is %lld days old",
			 ((long long)now - st->saved) / 86400);
		if (lost > 0)
			log_lost(c, lost, from, to, why);
		st->cursor[0] = '\0';
	}
	struct buf u;
	buf_init(&u, S2_CURSOR_MAX * 3 + 512);
	int br = buf_adds(&u, uri_base) | buf_adds(&u, "?type=") | qenc(&u, c->type) |
		 buf_printf(&u, "&pageSize=%d", S2_PAGE_SIZE);
	if (st->cursor[0] != '\0') {
		br |= buf_adds(&u, "&nextPage=") | qenc(&u, st->cursor);
	} else {
		siem2_start_day(now, (time_t)st->saved, day, &lost, from, to);
		br |= buf_adds(&u, "&dateRangeStartsAt=") | buf_adds(&u, day);
	}
	if (br != 0)
		die(EXIT_TEMP, "%s: unable to build the request", what);
	struct http_resp r;
	http_resp_init(&r, S2_LIST_MAX);
	struct api_req q = { u.p, what, perm, NULL, 0, NULL, NULL, NULL, NULL, S2_LIST_MAX,
			     st->cursor[0] != '\0', 1, 0 };
	struct mc_envelope env;
	enum body_kind kind;
	int rc = f->call(f, &q, &r, &env, &kind);
	buf_free(&u);
	int ret = PAGE_DONE;
	if (rc == CALL_STOP || rc == CALL_LATER) {
		http_resp_free(&r);
		return rc == CALL_STOP ? PAGE_STOP : PAGE_DONE;
	}
	if (rc == CALL_BAD_TOKEN) {
		http_resp_free(&r);
		if (st->cursor[0] == '\0')
			die(EXIT_PERM, "%s %s: the listing was refused (HTTP 400%s%s) although no cursor "
				       "was sent", what, c->type, env.message[0] ? ": " : "", env.message);
		siem2_start_day(now, st->saved > 0 ? (time_t)st->saved : now, day, &lost, from, to);
		log_error("%s %s: Mimecast refused the saved cursor (%s%s%s): listing again from %s; "
			  "files already handed on are not fetched twice", what, c->type, env.code,
			  env.message[0] ? ": " : "", env.message, day);
		if (lost > 0)
			log_lost(c, lost, from, to, "the cursor was refused");
		st->cursor[0] = '\0';
		save_state(f, c->sname, st);
		return PAGE_MORE;
	}
	struct json j;
	json_init(&j);
	if (json_parse(&j, r.head.p, r.head.len) < 0 || json_type(&j, 0) != JSMN_OBJECT ||
	    json_type(&j, json_get(&j, 0, "value")) != JSMN_ARRAY)
		die(EXIT_TEMP, "%s %s: the listing is not {\"value\":[...],...}: the saved cursor is "
			       "kept", what, c->type);
	int value = json_get(&j, 0, "value");
	int caught = json_is_true(&j, json_get(&j, 0, "isCaughtUp"));
	char *next = malloc(S2_CURSOR_MAX);
	char *url = malloc(S2_URL_MAX);
	char *path = malloc(S2_URL_MAX);
	if (next == NULL || url == NULL || path == NULL)
		die(EXIT_TEMP, "out of memory");
	int has_next = json_str(&j, json_get(&j, 0, "@nextPage"), next, S2_CURSOR_MAX) > 0;
	if (has_next && strchr(next, '\n') != NULL)
		has_next = 0;
	int n = json_size(&j, value), nnew = 0;
	log_debug("%s %s: %d files listed, isCaughtUp %d", what, c->type, n, caught);
	for (int i = 0; i < n && ret == PAGE_DONE; i++) {
		int e = json_elem(&j, value, i);
		long long size;
		if (json_str(&j, json_get(&j, e, "url"), url, S2_URL_MAX) <= 0 ||
		    siem2_object_path(url, path, S2_URL_MAX) < 0)
			die(EXIT_TEMP, "%s %s: listed file %d has no usable url: the saved cursor is "
				       "kept", what, c->type, i + 1);
		if (json_int(&j, json_get(&j, e, "size"), &size) < 0 || size < 0)
			size = -1;
		char d[S2_DIGEST_HEX + 1];
		path_digest(path, d);
		if (ledger_has(st, d)) {
			log_debug("%s %s: %s already handed on", what, c->type, path);
			continue;
		}
		nnew++;
		int fr = one_file(c, url, size, d);
		if (fr == PAGE_STOP)
			ret = PAGE_STOP;
		else if (fr == PAGE_MORE) {
			if (++*relists > S2_RELISTS_MAX)
				die(EXIT_TEMP, "%s %s: downloads still refused after listing again %d "
					       "times; the saved cursor is kept", what, c->type,
				    S2_RELISTS_MAX);
			ret = PAGE_MORE;
		}
	}
	if (ret == PAGE_DONE) {
		*relists = 0;
		failpoint("fetch-siem2-page-done");
		if (!has_next) {
			log_warn("%s %s: a listing without @nextPage: keeping the saved cursor and "
				 "waiting for the next poll", what, c->type);
		} else if (strcmp(next, st->cursor) == 0 && !caught && nnew == 0) {
			log_warn("%s %s: the listing returned the cursor it was sent and nothing new: "
				 "waiting for the next poll", what, c->type);
			st->saved = (long long)fetch_now();
			save_state(f, c->sname, st);
		} else {
			snprintf(st->cursor, sizeof st->cursor, "%s", next);
			st->saved = (long long)fetch_now();
			save_state(f, c->sname, st);
			if (!caught)
				ret = PAGE_MORE;
		}
	}
	free(next);
	free(url);
	free(path);
	json_free(&j);
	http_resp_free(&r);
	return ret;
}

/* One page of the next type whose turn it is. f->siem2_done has a bit per
 * type that is done for this pass (caught up, deferred or waiting). */
int siem2_pass(struct fetch *f)
{
	const struct config *c = f->cfg;
	size_t nt = c->mimecast.nsiem_types;
	static int relists[CONFIG_MAX_TYPES];
	if (nt == 0)
		return STAGE_IDLE;
	unsigned all = nt >= 32 ? ~0u : (1u << nt) - 1;
	for (size_t k = 0; k < nt; k++) {
		size_t i = ((size_t)f->siem2_turn + k) % nt;
		if (f->siem2_done & (1u << i))
			continue;
		struct ctx2 x;
		x.f = f;
		x.type = c->mimecast.siem_types[i];
		siem2_type_name(x.type, x.tname, sizeof x.tname);
		snprintf(x.sname, sizeof x.sname, "siem2.%s", x.tname);
		x.st = malloc(sizeof *x.st);
		if (x.st == NULL)
			die(EXIT_TEMP, "out of memory");
		load_state(f, x.sname, x.st);
		int r = one_page(&x, &relists[i]);
		free(x.st);
		f->siem2_turn = (int)((i + 1) % nt);
		if (r == PAGE_STOP) {
			f->siem2_done = 0;
			return STAGE_IDLE;
		}
		if (r == PAGE_DONE)
			f->siem2_done |= 1u << i;
		if ((f->siem2_done & all) == all)
			break;
		return STAGE_MORE;
	}
	f->siem2_done = 0;
	return STAGE_IDLE;
}
