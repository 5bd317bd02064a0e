/* ndjson.c: API 2.0 batch files (gzip of NDJSON, already inflated by the
 * src): one event per LF-terminated line, parsed strictly one at a time.
 * The log type is each event's "type" (older events: "eventType"). */
#include "split.h"

#include <stdio.h>
#include <string.h>

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* A 2.0 type with no 1.0 prefix still gets a file name: its letters and
 * digits, lower case, other bytes as '_'. */
static void unknown_prefix(const char *type2, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; type2[i] != '\0' && o + 1 < cap && o < 32; i++) {
		unsigned char c = (unsigned char)type2[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? (char)c : '_';
	}
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
}

static int event(struct job *j, const char *p, size_t n, unsigned long long off, long recno,
		 void *arg)
{
	(void)arg;
	if (blank(p, n))
		return 0;
	/* A document json_parse takes is valid UTF-8 (it checks every string,
	 * and outside strings only ASCII is JSON), so the whole record is
	 * checked only to say why one was refused. */
	if (json_parse(&j->js, p, n) < 0) {
		job_bad_record(j, p, n, off, recno, "%s",
			       utf8_valid(p, n) ? j->js.err : "invalid UTF-8");
		return 0;
	}
	if (json_type(&j->js, 0) != JSMN_OBJECT) {
		job_bad_record(j, p, n, off, recno, "not a JSON object");
		return 0;
	}
	int tt = json_get(&j->js, 0, "type");
	if (json_type(&j->js, tt) != JSMN_STRING)
		tt = json_get(&j->js, 0, "eventType");
	char type2[64];
	if (json_type(&j->js, tt) != JSMN_STRING || json_str(&j->js, tt, type2, sizeof type2) <= 0) {
		job_bad_record(j, p, n, off, recno, "no event \"type\"");
		return 0;
	}
	char logtype[40];
	const char *prefix = v2_prefix(type2);
	if (prefix != NULL)
		snprintf(logtype, sizeof logtype, "%s", prefix);
	else
		unknown_prefix(type2, logtype, sizeof logtype);
	if (j->cfg->output_format == FORMAT_JSON) {
		buf_reset(&j->line);
		if (json_compact(&j->line, &j->js, 0, 0) < 0) {
			job_bad_record(j, p, n, off, recno, "event too large");
			return j->failed ? -1 : 0;
		}
		return job_emit(j, logtype, 0, "json", j->line.p, j->line.len);
	}
	char why[128];
	if (v2_render(j, type2, why, sizeof why) < 0) {
		job_bad_record(j, p, n, off, recno, "%s", why);
		return j->failed ? -1 : 0;
	}
	return job_emit(j, logtype, 0, "log", j->line.p, j->line.len);
}

int ndjson_split(struct job *j, struct src *s)
{
	return frame_split(j, s, TERM_LF, event, NULL);
}
