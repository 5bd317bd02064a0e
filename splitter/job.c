/* job.c: one input's outputs: parts, bad records, the .why note, and the
 * commit sequence that removes the input only after all of them are
 * durable. Names are in doc/output-format.md. */
#include "split.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failpoint.h"
#include "log.h"
#include "wake.h"

static void fnv(const char *s, char out[9])
{
	unsigned long h = 2166136261UL;
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h = (h * 16777619UL) & 0xffffffffUL;
	}
	snprintf(out, 9, "%08lx", h);
}

void job_init(struct job *j, const struct config *cfg, int tmp, int mta, int audit, int bad,
	      const char *input)
{
	memset(j, 0, sizeof *j);
	j->cfg = cfg;
	j->tmp = tmp;
	j->mta = mta;
	j->audit = audit;
	j->bad = bad;
	j->input = input;
	split_limits_default(&j->lim);
	fnv(input, j->hash);
	strcpy(j->seq, "000000000000");
	strcpy(j->stream_tag, "other");
	/* siem1.<seq>.x, audit.<seq>.json, siem2.<type>.<seq>.x */
	const char *p = NULL;
	if (strncmp(input, "siem1.", 6) == 0) {
		strcpy(j->stream_tag, "siem1");
		p = input + 6;
	} else if (strncmp(input, "audit.", 6) == 0) {
		strcpy(j->stream_tag, "audit");
		p = input + 6;
	} else if (strncmp(input, "siem2.", 6) == 0) {
		strcpy(j->stream_tag, "siem2");
		p = strchr(input + 6, '.');
		p = p != NULL ? p + 1 : NULL;
	}
	if (p != NULL && strspn(p, "0123456789") == 12 && p[12] == '.') {
		memcpy(j->seq, p, 12);
		j->seq[12] = '\0';
	}
	buf_init(&j->why, j->lim.why_max);
	buf_init(&j->line, j->lim.record_max * 8 + 4096);
	buf_init(&j->tmpv, j->lim.record_max * 2 + 4096);
	json_init(&j->js);
	j->badf.fd = -1;
}

void job_free(struct job *j)
{
	for (int i = 0; i < JOB_STREAMS; i++)
		if (j->st[i].used && j->st[i].open)
			spool_abort(&j->st[i].f);
	if (j->bad_open)
		spool_abort(&j->badf);
	buf_free(&j->why);
	buf_free(&j->line);
	buf_free(&j->tmpv);
	json_free(&j->js);
}

void job_why(struct job *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* The note is text for a person: keep it one line per problem. */
	for (char *c = line; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	j->why_lines++;
	if (j->why.len + strlen(line) + 80 > j->why.max) {
		return; /* counted; the total is written at commit */
	}
	if (buf_printf(&j->why, "%s\n", line) < 0)
		return;
}

/* ---- parts --------------------------------------------------------------- */

static int part_name(const struct stream *s, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s.%06ld.%s", s->prefix, s->part, s->ext);
	return n > 0 && (size_t)n < cap && spool_name_ok(out) ? 0 : -1;
}

static int part_publish(struct job *j, struct stream *s)
{
	char name[SPOOL_NAME_MAX + 1];
	if (part_name(s, name, sizeof name) < 0) {
		errno = ENAMETOOLONG;
		spool_abort(&s->f);
		s->open = 0;
		j->failed = 1;
		log_error("%s: output name too long", j->input);
		return -1;
	}
	int r = spool_publish(&s->f, s->dir, name);
	s->open = 0;
	if (r == SPOOL_ERR) {
		log_error_sys("%s: unable to publish %s (%s)", j->input, name, spool_errstep);
		j->failed = 1;
		return -1;
	}
	if (r == SPOOL_EXISTS)
		log_debug("%s: %s already there (an earlier run made it)", j->input, name);
	if (s->is_mta)
		j->parts_mta++;
	else
		j->parts_audit++;
	failpoint("split-part-published");
	s->part++;
	s->records_in_part = 0;
	return 0;
}

static struct stream *remember(struct job *j, struct stream *s, const char *logtype,
				int to_audit)
{
	size_t n = strlen(logtype);
	if (n >= sizeof s->logtype) {
		j->last = NULL; /* too long to compare cheaply: no shortcut */
		return s;
	}
	memcpy(s->logtype, logtype, n + 1);
	s->to_audit = to_audit;
	s->member = j->member;
	j->last = s;
	return s;
}

static struct stream *stream_for(struct job *j, const char *logtype, int to_audit,
				 const char *ext)
{
	struct stream *c = j->last;
	if (c != NULL && c->used && c->to_audit == to_audit && c->member == j->member &&
	    strcmp(c->logtype, logtype) == 0 && strcmp(c->ext, ext) == 0)
		return c;
	char prefix[SPOOL_NAME_MAX + 1];
	int n;
	if (to_audit)
		n = snprintf(prefix, sizeof prefix, "audit_%s.%s", j->seq, j->hash);
	else
		n = snprintf(prefix, sizeof prefix, "%s_%s.%s.%s.%03d", logtype, j->seq, j->stream_tag,
			     j->hash, j->member);
	if (n < 0 || (size_t)n >= sizeof prefix - 16)
		return NULL;
	struct stream *free_slot = NULL;
	for (int i = 0; i < JOB_STREAMS; i++) {
		struct stream *s = &j->st[i];
		if (!s->used) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (strcmp(s->prefix, prefix) == 0 && strcmp(s->ext, ext) == 0)
			return remember(j, s, logtype, to_audit);
	}
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->used = 1;
	strcpy(free_slot->prefix, prefix);
	free_slot->ext = ext;
	free_slot->dir = to_audit ? j->audit : j->mta;
	free_slot->is_mta = !to_audit;
	free_slot->part = 1;
	free_slot->f.fd = -1;
	return remember(j, free_slot, logtype, to_audit);
}

int job_emit(struct job *j, const char *logtype, int to_audit, const char *ext, const char *rec,
	     size_t len)
{
	if (j->failed)
		return -1;
	struct stream *s = stream_for(j, logtype, to_audit, ext);
	if (s == NULL) {
		/* More log types in one input than we keep open at once. */
		job_bad_record(j, rec, len, 0, j->records + j->bad_records + 1,
			       "too many log types in one input (more than %d): '%s'", JOB_STREAMS,
			       logtype);
		return j->failed ? -1 : 0;
	}
	const char *eol = j->cfg->line_ending == EOL_CRLF ? "\r\n" : "\n";
	size_t el = strlen(eol);
	if (s->open && s->records_in_part > 0 &&
	    (unsigned long long)s->f.written + len + el > (unsigned long long)j->cfg->max_file_bytes)
		if (part_publish(j, s) < 0)
			return -1;
	if (!s->open) {
		char name[SPOOL_NAME_MAX + 1];
		if (part_name(s, name, sizeof name) < 0 || spool_create(&s->f, j->tmp, name, 0640) < 0) {
			log_error_sys("%s: unable to create a temporary in tmp/split", j->input);
			j->failed = 1;
			return -1;
		}
		s->open = 1;
	}
	if (spool_write(&s->f, rec, len) < 0 || spool_write(&s->f, eol, el) < 0) {
		log_error_sys("%s: unable to write a temporary in tmp/split", j->input);
		j->failed = 1;
		return -1;
	}
	s->records_in_part++;
	j->records++;
	return 0;
}

int job_flush(struct job *j)
{
	for (int i = 0; i < JOB_STREAMS; i++) {
		struct stream *s = &j->st[i];
		if (!s->used)
			continue;
		if (s->open && !j->failed && part_publish(j, s) < 0)
			return -1;
		if (s->open)
			spool_abort(&s->f);
		s->used = 0;
		s->open = 0;
	}
	j->last = NULL;
	return j->failed ? -1 : 0;
}

/* ---- bad records and payloads ------------------------------------------- */

/* bad/<input><suffix>, shortened with the hash when too long. */
static void bad_name(const struct job *j, const char *suffix, char *out, size_t cap)
{
	char base[SPOOL_NAME_MAX + 1];
	spool_name_sanitize(j->input, base, sizeof base);
	size_t sl = strlen(suffix);
	if (strlen(base) + sl > SPOOL_NAME_MAX) {
		base[SPOOL_NAME_MAX - sl - 9] = '\0';
		strcat(base, ".");
		strcat(base, j->hash);
	}
	snprintf(out, cap, "%s%s", base, suffix);
}

int job_bad_begin(struct job *j)
{
	if (j->failed)
		return -1;
	if (!j->bad_open) {
		char name[SPOOL_NAME_MAX + 1];
		bad_name(j, ".lines", name, sizeof name);
		if (spool_create(&j->badf, j->tmp, name, 0640) < 0) {
			log_error_sys("%s: unable to create a temporary in tmp/split", j->input);
			j->failed = 1;
			return -1;
		}
		j->bad_open = 1;
	}
	return 0;
}

int job_bad_add(struct job *j, const char *p, size_t n)
{
	if (j->failed || !j->bad_open)
		return -1;
	if (spool_write(&j->badf, p, n) < 0) {
		log_error_sys("%s: unable to write a temporary in tmp/split", j->input);
		j->failed = 1;
		return -1;
	}
	return 0;
}

static void bad_vend(struct job *j, unsigned long long off, long recno, const char *fmt,
		     va_list ap)
{
	char reason[400];
	vsnprintf(reason, sizeof reason, fmt, ap);
	if (j->bad_open && job_bad_add(j, "\n", 1) < 0)
		return; /* j->failed is set: the input stays for the next run */
	j->bad_records++;
	if (j->member > 0)
		job_why(j, "%s: member %d: record %ld at byte %llu: %s", j->input, j->member, recno, off,
			reason);
	else
		job_why(j, "%s: record %ld at byte %llu: %s", j->input, recno, off, reason);
}

void job_bad_end(struct job *j, unsigned long long off, long recno, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bad_vend(j, off, recno, fmt, ap);
	va_end(ap);
}

void job_bad_record(struct job *j, const char *rec, size_t len, unsigned long long off,
		    long recno, const char *fmt, ...)
{
	if (job_bad_begin(j) < 0 || job_bad_add(j, rec, len) < 0)
		return; /* j->failed is set */
	va_list ap;
	va_start(ap, fmt);
	bad_vend(j, off, recno, fmt, ap);
	va_end(ap);
}

void job_bad_payload(struct job *j, const char *fmt, ...)
{
	char reason[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	j->payload_bad = 1;
	if (j->member > 0)
		job_why(j, "%s: member %d: %s", j->input, j->member, reason);
	else
		job_why(j, "%s: %s", j->input, reason);
}

/* ---- commit -------------------------------------------------------------- */

static int publish_note(struct job *j, const char *name)
{
	struct spool_file f;
	if (spool_create(&f, j->tmp, name, 0640) < 0) {
		log_error_sys("%s: unable to create a temporary in tmp/split", j->input);
		return -1;
	}
	int w = spool_write(&f, j->why.p != NULL ? j->why.p : "", j->why.len);
	long listed = 0;
	for (size_t i = 0; i < j->why.len; i++)
		listed += j->why.p[i] == '\n';
	if (j->why_lines > listed) {
		char more[96];
		int n = snprintf(more, sizeof more, "... and %ld more problems not listed\n",
				 j->why_lines - listed);
		w |= spool_write(&f, more, (size_t)n);
	}
	if (w < 0) {
		log_error_sys("%s: unable to write a temporary in tmp/split", j->input);
		spool_abort(&f);
		return -1;
	}
	if (spool_publish(&f, j->bad, name) == SPOOL_ERR) {
		log_error_sys("%s: unable to publish bad/%s (%s)", j->input, name, spool_errstep);
		return -1;
	}
	return 0;
}

int job_commit(struct job *j, int rawdir)
{
	if (job_flush(j) < 0)
		return -1;
	char name[SPOOL_NAME_MAX + 1];
	if (j->bad_open) {
		bad_name(j, ".lines", name, sizeof name);
		j->bad_open = 0;
		if (spool_publish(&j->badf, j->bad, name) == SPOOL_ERR) {
			log_error_sys("%s: unable to publish bad/%s (%s)", j->input, name, spool_errstep);
			return -1;
		}
		failpoint("split-bad-published");
		bad_name(j, ".lines.why", name, sizeof name);
		if (publish_note(j, name) < 0)
			return -1;
	}
	failpoint("split-before-remove");
	if (j->payload_bad) {
		bad_name(j, ".why", name, sizeof name);
		if (publish_note(j, name) < 0)
			return -1;
		failpoint("split-why-published");
		bad_name(j, "", name, sizeof name);
		/* Moving the input out of raw/ is its removal: what it delivered
		 * (a zip's good members, the notes) must be durable first. */
		if (spool_barrier() < 0) {
			log_error_sys("%s: unable to make its outputs durable (%s)", j->input,
				      spool_errstep);
			return -1;
		}
		int r = spool_transfer(rawdir, j->input, j->bad, name);
		if (r == SPOOL_ERR) {
			log_error_sys("%s: unable to move it to bad/ (%s)", j->input, spool_errstep);
			return -1;
		}
		if (r == SPOOL_EXISTS) {
			/* Same name already quarantined: the same payload, fetched again. */
			log_warn("%s: bad/%s already exists; removing this copy", j->input, name);
			if (spool_remove(rawdir, j->input) < 0) {
				log_error_sys("%s: unable to remove it (%s)", j->input, spool_errstep);
				return -1;
			}
		}
	} else if (spool_remove_later(rawdir, j->input) < 0) {
		log_error_sys("%s: unable to remove it from raw/ (%s)", j->input, spool_errstep);
		return -1;
	}
	failpoint("split-input-removed");
	return 0;
}
