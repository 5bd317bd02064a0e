/* siem1.c: the API 1.0 SIEM (MTA) stream, POST /api/audit/get-siem-logs.
 *
 * One request returns one file and, in mc-siem-token, the token for the
 * next (mimecast-api.md section 3). One step here:
 *
 *   load state/siem1 (seq, token)
 *   -> request with the token, the body streamed into tmp/fetch/siem1.part
 *   -> tell data from end-of-data from error (Content-Type, magic bytes)
 *   -> publish raw/siem1.<seq>.<name>          (failpoint fetch-siem-body before)
 *   -> save seq+1 and the new token together   (failpoint fetch-siem-published before)
 *   -> poke the splitter                       (failpoint fetch-siem-committed before)
 *
 * A crash between publish and save leaves the old seq and token: the
 * restart asks again with the same token, gets the same file, builds the
 * same name, and spool_publish says SPOOL_EXISTS (already done).
 */
#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "failpoint.h"
#include "fetch.h"
#include "json.h"
#include "log.h"
#include "spool.h"
#include "state.h"
#include "wake.h"

#define SIEM_STATE "siem1"
#define SIEM_KIND "siem1"
/* Version 2: the delivered-file digests are SHA-512 (version 1: SHA-256,
 * which BearSSL runs at about 60% of SHA-512's speed on 64-bit machines;
 * the digest of every body byte was most of the fetcher's CPU). A version 1
 * state is migrated: its SHA-256 digests are kept (line "recent_sha256")
 * and still compared, computing SHA-256 too, until new files have pushed
 * them all out. */
#define SIEM_VERSION 2
#define SIEM_PART "siem1.part"
#define SIEM_HEAD_MAX (1u << 20)          /* enough for any envelope; data is streamed */
#define SIEM_MAX_BODY (64ULL << 30)       /* a ceiling, not an expectation */
#define SIEM_TOKEN_MAX 8192
#define ZIP_TAIL_MAX (65535 + 22)         /* end-of-central-directory plus its comment */
#define SIEM_NAME_PART_MAX (SPOOL_NAME_MAX - 19) /* "siem1." + 12 digits + "." */
#define SIEM_EMPTY_ADVANCE_MAX 50
#define SIEM_RECENT 2048 /* a week of files at a few hundred a day */
#define SIEM_DIGEST_HEX 32

static const char uri[] = "/api/audit/get-siem-logs";
static const char what[] = "get-siem-logs";
static const char perm[] = "Gateway | Tracking | Read";

struct siem_state {
	unsigned long long seq; /* the number the next file gets */
	char token[SIEM_TOKEN_MAX];
	long stuck;             /* data responses in a row that did not advance the token */
	/* The digests (first 128 bits of SHA-512, hex) of the files delivered
	 * lately, oldest first, comma-separated: a file that comes again (the
	 * token did not advance, or it was reset to the oldest data) is not
	 * delivered twice. */
	char recent[SIEM_RECENT * (SIEM_DIGEST_HEX + 1) + 1];
	size_t nrecent;
	/* From a version 1 state: SHA-256 digests, older than all of recent;
	 * the two lists together hold at most SIEM_RECENT. */
	char recent1[SIEM_RECENT * (SIEM_DIGEST_HEX + 1) + 1];
	size_t nrecent1;
};

struct siem_body {
	struct spool_file file;
	br_sha512_context sha;
	int sha256_too; /* a migrated list of SHA-256 digests is still compared */
	br_sha256_context sha256;
	/* The last ZIP_TAIL_MAX bytes are the last of tail[0..tail_len); the
	 * room for twice as many makes the slide down rare (at most once per
	 * ZIP_TAIL_MAX bytes written, not on every 16 KiB write). */
	unsigned char tail[2 * ZIP_TAIL_MAX];
	size_t tail_len;
	char cdname[SIEM_NAME_PART_MAX + 1]; /* sanitized Content-Disposition name, "" if none */
};

/* A comma-separated digest list from the state; its count in *n. */
static void load_list(struct buf *body, const char *key, char *list, size_t cap, size_t *n)
{
	if (state_get(body, key, list, cap) < 0)
		list[0] = '\0';
	size_t rl = strlen(list);
	if (rl > 0 && (rl + 1) % (SIEM_DIGEST_HEX + 1) != 0)
		die(EXIT_PERM, "state/%s: the '%s' line is damaged", SIEM_STATE, key);
	*n = rl > 0 ? (rl + 1) / (SIEM_DIGEST_HEX + 1) : 0;
}

static void load_state(struct fetch *f, struct siem_state *st)
{
	memset(st, 0, sizeof *st);
	st->seq = 1;
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	int version;
	if (state_load(f->ctx->dirs.state, SIEM_STATE, SIEM_KIND, SIEM_VERSION, &body, &version) == 0) {
		char v[64];
		char *end;
		if (state_get(&body, "seq", v, sizeof v) < 0 ||
		    (errno = 0, st->seq = strtoull(v, &end, 10), *end != '\0' || errno != 0 ||
						 st->seq == 0 || st->seq > 999999999999ULL))
			die(EXIT_PERM, "state/%s: no valid 'seq' line: the file is damaged; restore it "
				       "from a backup rather than deleting it (that would restart the "
				       "numbering and the position)", SIEM_STATE);
		if (state_get(&body, "token", st->token, sizeof st->token) < 0)
			st->token[0] = '\0';
		if (version < 2) {
			load_list(&body, "recent", st->recent1, sizeof st->recent1, &st->nrecent1);
			if (st->nrecent1 > 0)
				log_info("state/%s: migrating from version 1: its %zu SHA-256 digests "
					 "of files delivered are compared until newer files replace them",
					 SIEM_STATE, st->nrecent1);
		} else {
			load_list(&body, "recent", st->recent, sizeof st->recent, &st->nrecent);
			load_list(&body, "recent_sha256", st->recent1, sizeof st->recent1,
				  &st->nrecent1);
		}
		if (st->nrecent + st->nrecent1 > SIEM_RECENT)
			die(EXIT_PERM, "state/%s: more than %d digests of files delivered: the file "
				       "is damaged", SIEM_STATE, SIEM_RECENT);
		if (state_get(&body, "stuck", v, sizeof v) == 0)
			st->stuck = strtol(v, NULL, 10);
	}
	buf_free(&body);
}

static void save_state(struct fetch *f, const struct siem_state *st)
{
	struct buf body;
	buf_init(&body, STATE_MAX_BYTES);
	char v[32];
	snprintf(v, sizeof v, "%llu", st->seq);
	int r = state_put(&body, "seq", v);
	if (st->token[0] != '\0')
		r |= state_put(&body, "token", st->token);
	if (st->recent[0] != '\0')
		r |= state_put(&body, "recent", st->recent);
	if (st->recent1[0] != '\0')
		r |= state_put(&body, "recent_sha256", st->recent1);
	snprintf(v, sizeof v, "%ld", st->stuck);
	r |= state_put(&body, "stuck", v);
	if (r != 0)
		die(EXIT_TEMP, "state/%s: unable to build the new state", SIEM_STATE);
	if (state_save(f->ctx->dirs.state, SIEM_STATE, SIEM_KIND, SIEM_VERSION, body.p, body.len) < 0)
		die_sys(exit_code_for_errno(errno), "unable to save state/%s (%s)", SIEM_STATE,
			spool_errstep);
	buf_free(&body);
}

/* d: the file's SHA-512 digest; d1: its SHA-256 one (NULL when no
 * migrated digests are left to compare). */
static int recent_has(const struct siem_state *st, const char *d, const char *d1)
{
	return digest_list_has(st->recent, st->nrecent, SIEM_DIGEST_HEX, d) ||
	       (d1 != NULL && digest_list_has(st->recent1, st->nrecent1, SIEM_DIGEST_HEX, d1));
}

static void recent_add(struct siem_state *st, const char *d)
{
	/* The migrated digests are the oldest: they go first. */
	if (st->nrecent1 > 0 && st->nrecent + st->nrecent1 >= SIEM_RECENT)
		digest_list_drop_oldest(st->recent1, &st->nrecent1, SIEM_DIGEST_HEX);
	digest_list_add(st->recent, &st->nrecent, SIEM_RECENT, SIEM_DIGEST_HEX, d);
}


/* ---- the body sink ------------------------------------------------- */

static int body_write(void *arg, const void *p, size_t n)
{
	struct siem_body *b = arg;
	if (spool_write(&b->file, p, n) < 0)
		return -1;
	br_sha512_update(&b->sha, p, n);
	if (b->sha256_too)
		br_sha256_update(&b->sha256, p, n);
	/* Keep the last bytes: a zip's completeness is decided by its end record. */
	if (n >= ZIP_TAIL_MAX) {
		memcpy(b->tail, (const unsigned char *)p + n - ZIP_TAIL_MAX, ZIP_TAIL_MAX);
		b->tail_len = ZIP_TAIL_MAX;
		return 0;
	}
	if (b->tail_len + n > sizeof b->tail) {
		size_t keep = ZIP_TAIL_MAX - n; /* < tail_len here */
		memmove(b->tail, b->tail + b->tail_len - keep, keep);
		b->tail_len = keep;
	}
	memcpy(b->tail + b->tail_len, p, n);
	b->tail_len += n;
	return 0;
}

static int body_reset(void *arg)
{
	struct siem_body *b = arg;
	if (spool_rewind(&b->file) < 0)
		return -1;
	br_sha512_init(&b->sha);
	br_sha256_init(&b->sha256);
	b->tail_len = 0;
	b->cdname[0] = '\0';
	return 0;
}

/* A zip is whole when it ends with an end-of-central-directory record
 * whose comment length reaches exactly to the last byte. */
static int zip_complete(const struct siem_body *b)
{
	size_t len = b->tail_len < ZIP_TAIL_MAX ? b->tail_len : ZIP_TAIL_MAX;
	const unsigned char *last = b->tail + b->tail_len - len;
	if (len < 22)
		return 0;
	for (size_t i = len - 22 + 1; i-- > 0;) {
		const unsigned char *t = last + i;
		if (t[0] == 'P' && t[1] == 'K' && t[2] == 5 && t[3] == 6) {
			size_t comment = (size_t)t[20] | (size_t)t[21] << 8;
			if (i + 22 + comment == len)
				return 1;
		}
	}
	return 0;
}

/* filename="..." (or unquoted) from a Content-Disposition value; the
 * basename only, sanitized. "" when absent or unusable. */
void siem1_disposition_name(const char *cd, char *out, size_t cap)
{
	out[0] = '\0';
	if (cd == NULL)
		return;
	char raw[1024];
	size_t o = 0;
	/* Parameters follow the disposition type, each after a ';'; be lenient
	 * and also accept a bare filename= at the start. */
	for (const char *p = cd; p != NULL; p = strchr(p, ';')) {
		if (*p == ';')
			p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "filename=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"' && o + 1 < sizeof raw; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				raw[o++] = *p;
			}
		} else {
			for (; *p != '\0' && *p != ';' && *p != ' ' && o + 1 < sizeof raw; p++)
				raw[o++] = *p;
		}
		break;
	}
	raw[o] = '\0';
	/* A name from the API is never a path (DESIGN.md section 3, rule 4). */
	const char *base = raw;
	for (const char *q = raw; *q; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	int alnum = 0;
	for (const char *q = base; *q; q++)
		if (isalnum((unsigned char)*q))
			alnum = 1;
	if (!alnum)
		return;
	spool_name_sanitize(base, out, cap);
}

static enum body_kind interpret(void *arg, const struct http_resp *r, struct mc_envelope *env)
{
	struct siem_body *b = arg;
	siem1_disposition_name(http_header(r, "content-disposition"), b->cdname, sizeof b->cdname);
	const char *ct = http_header(r, "content-type");
	int ct_json = ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
	if (r->body_len == 0)
		return BODY_EMPTY;
	const unsigned char *h = (const unsigned char *)r->head.p;
	size_t hl = r->head.len;
	if (hl >= 4 && memcmp(h, "PK\3\4", 4) == 0) {
		if (!zip_complete(b)) {
			snprintf(env->message, sizeof env->message,
				 "a zip archive without its end record (truncated?)");
			return BODY_CORRUPT;
		}
		return BODY_DATA;
	}
	size_t i = 0;
	while (i < hl && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	if (i < hl && h[i] == '{' && r->body_len == hl) {
		if (mc_envelope_parse((const char *)h, hl, env) == 0 && (env->has_meta || env->has_fail))
			return BODY_ENVELOPE;
		if (ct_json) {
			if (env->message[0] == '\0')
				snprintf(env->message, sizeof env->message,
					 "application/json, but not an API envelope");
			return BODY_CORRUPT;
		}
		memset(env, 0, sizeof *env);
		return BODY_DATA; /* a fileFormat=json file: {"type":"MTA","data":[...]} */
	}
	if (ct_json) {
		snprintf(env->message, sizeof env->message, "application/json, but not JSON");
		return BODY_CORRUPT;
	}
	size_t nl = strlen(b->cdname);
	if (nl > 4 && strcasecmp(b->cdname + nl - 4, ".zip") == 0) {
		snprintf(env->message, sizeof env->message, "named %s but not a zip archive",
			 b->cdname);
		return BODY_CORRUPT;
	}
	return BODY_DATA;
}

static const char *sniff_ext(const struct http_resp *r)
{
	const char *h = r->head.p;
	if (r->head.len >= 4 && memcmp(h, "PK\3\4", 4) == 0)
		return "zip";
	for (size_t i = 0; i < r->head.len; i++) {
		if (h[i] == '{')
			return "json";
		if (h[i] != ' ' && h[i] != '\t' && h[i] != '\r' && h[i] != '\n')
			break;
	}
	return "log";
}

static int token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n >= SIEM_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || t[i] == 0x7f)
			return 0;
	return 1;
}

static void build_request(struct fetch *f, const struct siem_state *st, struct buf *req)
{
	buf_reset(req);
	int r = buf_printf(req, "{\"data\":[{\"type\":\"MTA\",\"fileFormat\":\"%s\",\"compress\":%s",
			   f->cfg->output_format == FORMAT_JSON ? "json" : "key_value",
			   f->cfg->mimecast.compress ? "true" : "false");
	if (st->token[0] != '\0')
		r |= buf_adds(req, ",\"token\":") | json_put_str(req, st->token, strlen(st->token));
	r |= buf_adds(req, "}]}");
	if (r != 0)
		die(EXIT_TEMP, "%s: unable to build the request body", what);
}

/* Publish the body as raw/<name>; then the new state; then poke split. */
static void commit(struct fetch *f, struct siem_body *b, const char *name,
		   const struct siem_state *next)
{
	failpoint("fetch-siem-body");
	fetch_publish(f, &b->file, name, -1);
	failpoint("fetch-siem-published");
	save_state(f, next);
	failpoint("fetch-siem-committed");
	trigger_pull(f->ctx->dirs.lock, "split");
}

int siem1_pass(struct fetch *f)
{
	struct siem_state st;
	load_state(f, &st);
	struct siem_body *b = calloc(1, sizeof *b);
	if (b == NULL)
		die(EXIT_TEMP, "out of memory");
	if (spool_create(&b->file, f->ctx->dirs.tmp, SIEM_PART, 0640) < 0)
		die_sys(exit_code_for_errno(errno), "unable to create %s/%s (%s)",
			f->ctx->dirs.tmpname, SIEM_PART, spool_errstep);
	br_sha512_init(&b->sha);
	b->sha256_too = st.nrecent1 > 0;
	br_sha256_init(&b->sha256);
	struct buf req;
	buf_init(&req, SIEM_TOKEN_MAX + 1024);
	build_request(f, &st, &req);
	struct http_sink sink = { body_write, b };
	struct api_req q = { uri, what, perm, req.p, req.len, &sink, body_reset, interpret, b,
			     SIEM_MAX_BODY, 0, 0, 1 };
	struct http_resp r;
	http_resp_init(&r, SIEM_HEAD_MAX);
	struct mc_envelope env;
	enum body_kind kind;
	int rc = f->call(f, &q, &r, &env, &kind);
	int more = STAGE_IDLE;
	static int empty_advances;

	if (rc == CALL_STOP) {
		spool_abort(&b->file);
	} else if (rc == CALL_BAD_TOKEN) {
		spool_abort(&b->file);
		if (st.token[0] == '\0')
			die(EXIT_PERM, "%s: Mimecast refused the request as an invalid token although "
				       "none was sent (%s)", what, env.message);
		log_error("%s: Mimecast refused the saved SIEM token (%s%s%s): it is corrupt or older "
			  "than the 7-day retention; starting again from the oldest data Mimecast holds "
			  "(files of the gap are lost)",
			  what, env.code, env.message[0] ? ": " : "", env.message);
		st.token[0] = '\0';
		st.stuck = 0;
		save_state(f, &st);
		more = STAGE_MORE;
	} else if (kind == BODY_EMPTY) {
		spool_abort(&b->file);
		log_warn("%s: HTTP %ld with an empty body: not data; keeping the token until the "
			 "next poll", what, r.status);
	} else if (kind == BODY_ENVELOPE) {
		spool_abort(&b->file);
		const char *ht = http_header(&r, "mc-siem-token");
		if (!env.is_last_token && env.has_meta && ht != NULL && token_ok(ht) &&
		    strcmp(ht, st.token) != 0 && ++empty_advances <= SIEM_EMPTY_ADVANCE_MAX) {
			/* No file, but a new position: take it and go on. */
			snprintf(st.token, sizeof st.token, "%s", ht);
			save_state(f, &st);
			more = STAGE_MORE;
		} else {
			log_debug("%s: end of data", what);
			empty_advances = 0;
			f->siem_stuck = 0;
		}
	} else {
		/* BODY_DATA */
		unsigned char dig[64];
		br_sha512_out(&b->sha, dig);
		char sha[SIEM_DIGEST_HEX + 1], sha1[SIEM_DIGEST_HEX + 1];
		digest_hex(dig, SIEM_DIGEST_HEX, sha);
		if (b->sha256_too) {
			br_sha256_out(&b->sha256, dig);
			digest_hex(dig, SIEM_DIGEST_HEX, sha1);
		}
		const char *ht = http_header(&r, "mc-siem-token");
		int advanced = ht != NULL && token_ok(ht) && strcmp(ht, st.token) != 0;
		struct siem_state *next = malloc(sizeof *next);
		if (next == NULL)
			die(EXIT_TEMP, "out of memory");
		*next = st;
		next->stuck = advanced ? 0 : st.stuck + 1;
		if (advanced)
			snprintf(next->token, sizeof next->token, "%s", ht);
		if (recent_has(&st, sha, b->sha256_too ? sha1 : NULL)) {
			/* Delivered already: the token did not advance last time, or
			 * it was reset to the oldest data. Follow the token only. */
			spool_abort(&b->file);
			log_warn("%s: %s came again (the same digest as a file delivered lately): not "
				 "duplicating it", what, b->cdname[0] ? b->cdname : "a file");
			save_state(f, next);
		} else {
			char name[SPOOL_NAME_MAX + 1];
			if (b->cdname[0] != '\0')
				snprintf(name, sizeof name, "siem1.%012llu.%s", st.seq, b->cdname);
			else
				snprintf(name, sizeof name, "siem1.%012llu.mta.%s", st.seq, sniff_ext(&r));
			next->seq = st.seq + 1;
			recent_add(next, sha);
			commit(f, b, name, next);
		}
		if (advanced) {
			f->siem_stuck = 0;
			more = STAGE_MORE;
		} else {
			f->siem_stuck++;
			log_warn("%s: Mimecast sent a file without %s (%ld times in a row): keeping the old "
				 "token; backing off until the next poll",
				 what, ht == NULL ? "an mc-siem-token header" : "advancing the token",
				 next->stuck);
		}
		free(next);
	}
	if (more == STAGE_IDLE)
		empty_advances = 0;
	http_resp_free(&r);
	buf_free(&req);
	free(b);
	return more;
}
