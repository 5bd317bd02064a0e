/* zipin.c: API 1.0 compress=true bodies: a zip of key_value or json
 * members, read with libzip one member at a time.
 *
 * A member name is never used as a path: it only gives the log type (and
 * a name with a path in it is refused outright). Declared sizes are
 * checked before a member is opened and actual bytes while it is read, so
 * a decompression bomb stops at the limit, whatever its header claims.
 */
#include "split.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

struct zmem {
	zip_t *za;
	zip_uint64_t idx;
	zip_file_t *zf;
	unsigned long long comp; /* declared compressed size */
	unsigned long long out;  /* inflated so far, this member */
	unsigned long long *total;
	const struct split_limits *lim;
};

static ssize_t zm_read(struct src *s, char *p, size_t n)
{
	struct zmem *m = s->priv;
	zip_int64_t r = zip_fread(m->zf, p, n);
	if (r < 0) {
		snprintf(s->err, sizeof s->err, "zip: %s", zip_file_strerror(m->zf));
		return -1;
	}
	m->out += (unsigned long long)r;
	*m->total += (unsigned long long)r;
	if (*m->total > m->lim->expand_max) {
		snprintf(s->err, sizeof s->err,
			 "zip: decompression bomb: more than %llu bytes decompressed", m->lim->expand_max);
		return -1;
	}
	if (m->out > m->lim->ratio_floor && m->out / (m->comp ? m->comp : 1) > m->lim->ratio_max) {
		snprintf(s->err, sizeof s->err,
			 "zip: decompression bomb: %llu bytes out of %llu (ratio above %llu)", m->out,
			 m->comp, m->lim->ratio_max);
		return -1;
	}
	s->pos += (unsigned long long)r;
	return (ssize_t)r;
}

static int zm_open(struct src *s, struct zmem *m)
{
	m->zf = zip_fopen_index(m->za, m->idx, 0);
	if (m->zf == NULL) {
		snprintf(s->err, sizeof s->err, "zip: unable to open the member: %s", zip_strerror(m->za));
		return -1;
	}
	return 0;
}

static int zm_rewind(struct src *s)
{
	struct zmem *m = s->priv;
	if (m->zf != NULL)
		zip_fclose(m->zf);
	m->zf = NULL;
	*m->total -= m->out;
	m->out = 0;
	s->pos = 0;
	return zm_open(s, m);
}

/* A name with a directory part, a parent reference or an absolute path. */
static int has_path(const char *name)
{
	if (name[0] == '\0' || strchr(name, '/') != NULL || strchr(name, '\\') != NULL)
		return 1;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 1;
	if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) && name[1] == ':')
		return 1;
	for (const char *c = name; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			return 1;
	return 0;
}

/* Name for messages: printable ASCII only, bounded. */
static void shown(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; name[i] != '\0' && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)name[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* First non-blank byte of the member, then rewind: '{' means json. */
static int sniff_json(struct src *s)
{
	char b[512];
	ssize_t n = s->read(s, b, sizeof b);
	int json = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')
			continue;
		json = b[i] == '{';
		break;
	}
	if (n < 0 || s->rewind(s) < 0)
		return -1;
	return json;
}

static int member(struct job *j, zip_t *za, zip_uint64_t i, unsigned long long *total)
{
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(za, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME)) {
		job_bad_payload(j, "zip: unable to read the directory entry: %s", zip_strerror(za));
		return 0;
	}
	char name[128];
	shown(st.name, name, sizeof name);
	if (has_path(st.name)) {
		job_bad_payload(j, "zip: member '%s' is named with a path; not read", name);
		return 0;
	}
	unsigned long long size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
	unsigned long long comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
	if (size == 0) {
		job_bad_payload(j, "zip: member '%s' is empty", name);
		return 0;
	}
	if (size > j->lim.expand_max - *total ||
	    (size > j->lim.ratio_floor && size / (comp ? comp : 1) > j->lim.ratio_max)) {
		job_bad_payload(j, "zip: member '%s': decompression bomb (%llu bytes from %llu); not read",
				name, size, comp);
		return 0;
	}
	struct zmem m = { za, i, NULL, comp, 0, total, &j->lim };
	struct src s;
	memset(&s, 0, sizeof s);
	s.priv = &m;
	s.read = zm_read;
	s.rewind = zm_rewind;
	if (zm_open(&s, &m) < 0) {
		job_bad_payload(j, "member '%s': %s", name, s.err);
		return 0;
	}
	char logtype[40];
	logtype_from_name(st.name, logtype, sizeof logtype);
	int json = ends_with(st.name, ".json") ? 1 : ends_with(st.name, ".log") ? 0 : sniff_json(&s);
	int rc;
	if (json < 0) {
		job_bad_payload(j, "member '%s': %s", name, s.err);
		rc = 0;
	} else if (json) {
		rc = jarr_split(j, &s, logtype);
	} else {
		rc = kv_split(j, &s, logtype);
	}
	if (m.zf != NULL)
		zip_fclose(m.zf);
	if (rc == 0)
		rc = job_flush(j);
	return rc;
}

int zip_split(struct job *j, int fd)
{
	int zfd = dup(fd);
	if (zfd < 0) {
		j->failed = 1;
		return -1;
	}
	int err = 0;
	zip_t *za = zip_fdopen(zfd, ZIP_RDONLY | ZIP_CHECKCONS, &err);
	if (za == NULL) {
		close(zfd);
		zip_error_t ze;
		zip_error_init_with_code(&ze, err);
		job_bad_payload(j, "zip: unable to open: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return 0;
	}
	zip_int64_t n = zip_get_num_entries(za, 0);
	if (n <= 0)
		job_bad_payload(j, "zip: no members");
	if (n > j->lim.zip_members_max) {
		job_bad_payload(j, "zip: %lld members, more than %ld; the rest not read", (long long)n,
				j->lim.zip_members_max);
		n = j->lim.zip_members_max;
	}
	unsigned long long total = 0;
	int rc = 0;
	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		j->member = (int)i + 1;
		rc = member(j, za, (zip_uint64_t)i, &total);
	}
	j->member = 0;
	zip_discard(za);
	return rc;
}
