/* fbreg.c: consumer type "filebeat": Filebeat's registry (memlog, 7.9+).
 *
 * The registry directory (registry/filebeat/) holds meta.json
 * ({"version":"1"}), active.dat (the path of the current snapshot), the
 * snapshot <txid>.json (a JSON array of {"_key": K, ...state}) and
 * log.json, the operations since: pairs of lines
 *   {"op":"set","id":N}      {"k":K,"v":{...state}}
 *   {"op":"remove","id":N}   {"k":K}
 * The state of a file is the last one set for its key; its path is
 * meta.source (filestream) or source (the old log input), its offset
 * cursor.offset or offset. Keys of the form ...::native::<inode>-<device>
 * are checked against the file's inode and device when the reader runs on
 * this host (reader_path unset).
 *
 * Both files are streamed: the snapshot is split into its array elements
 * and log.json into lines, each at most FB_RECORD_MAX bytes, so memory is
 * bounded whatever the registry's size. A torn last line of log.json (being
 * written) is ignored; anything else malformed stops the replay there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "reader.h"

#define FB_RECORD_MAX (1 << 20)
#define FB_KEY_MAX 1024

struct fbreg {
	struct rdset *set;
	const char *dir;
	int check_inode;
	struct json j;
	char err[200];
	/* log.json */
	struct buf line;
	int expect; /* 0 an op line, 1 the data of a set, 2 the data of a remove */
	long lineno;
	/* snapshot */
	struct buf elem;
	int started, finished, depth, instr, esc;
};

struct fbreg *fbreg_new(struct rdset *set, const char *reader_dir, int check_inode)
{
	struct fbreg *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->set = set;
	r->dir = reader_dir;
	r->check_inode = check_inode;
	json_init(&r->j);
	buf_init(&r->line, FB_RECORD_MAX);
	buf_init(&r->elem, FB_RECORD_MAX);
	return r;
}

void fbreg_free(struct fbreg *r)
{
	if (r == NULL)
		return;
	json_free(&r->j);
	buf_free(&r->line);
	buf_free(&r->elem);
	free(r);
}

const char *fbreg_error(const struct fbreg *r) { return r->err; }

static int failf(struct fbreg *r, const char *what)
{
	if (r->err[0] == '\0')
		snprintf(r->err, sizeof r->err, "%s", what);
	return -1;
}

/* A string token without NUL bytes into out. 0 or -1. */
static int str(const struct json *j, int i, char *out, size_t cap)
{
	if (json_type(j, i) != JSMN_STRING)
		return -1;
	long n = json_str(j, i, out, cap);
	return n < 0 || (size_t)n != strlen(out) ? -1 : 0;
}

/* "...::native::<inode>-<device>" at the end of a key. */
static int key_inode(const char *key, unsigned long long *ino, unsigned long long *dev)
{
	const char *p = strstr(key, "::native::");
	if (p == NULL)
		return -1;
	p += 10;
	char *end;
	errno = 0;
	unsigned long long a = strtoull(p, &end, 10);
	if (end == p || *end != '-' || errno != 0)
		return -1;
	p = end + 1;
	unsigned long long b = strtoull(p, &end, 10);
	if (end == p || *end != '\0' || errno != 0)
		return -1;
	*ino = a;
	*dev = b;
	return 0;
}

static void forget(struct fbreg *r, const char *key)
{
	for (size_t k = 0; k < r->set->n; k++) {
		struct rdentry *e = &r->set->e[k];
		if (e->fbkey != NULL && strcmp(e->fbkey, key) == 0) {
			free(e->fbkey);
			e->fbkey = NULL;
			e->have_pos = 0;
			e->pos = 0;
		}
	}
}

/* key set to the state at token v (or removed when v < 0). */
static int apply(struct fbreg *r, const char *key, int v)
{
	const struct json *j = &r->j;
	forget(r, key);
	if (v < 0)
		return 0;
	if (json_type(j, v) != JSMN_OBJECT)
		return failf(r, "a registry state is not an object");
	char src[LRPOS_PATH_MAX + 1];
	int s = json_get(j, json_get(j, v, "meta"), "source");
	if (s < 0)
		s = json_get(j, v, "source");
	if (s < 0)
		return 0; /* not a file's state */
	if (str(j, s, src, sizeof src) < 0)
		return 0;
	long long off = 0;
	int o = json_get(j, json_get(j, v, "cursor"), "offset");
	if (o < 0)
		o = json_get(j, v, "offset");
	if (o < 0)
		return 0; /* no offset yet (cursor null): nothing known to be read */
	if (json_int(j, o, &off) < 0 || off < 0)
		return failf(r, "a registry offset is not a non-negative integer");
	char name[SPOOL_NAME_MAX + 1];
	int fold;
	if (!rpath_in_dir(r->dir, src, name, sizeof name, &fold))
		return 0;
	long i = rdset_find(r->set, name, fold);
	if (i < 0)
		return 0;
	struct rdentry *e = &r->set->e[i];
	unsigned long long ino, dev;
	if (r->check_inode && key_inode(key, &ino, &dev) == 0 &&
	    (ino != (unsigned long long)e->ino || dev != (unsigned long long)e->dev))
		return 0; /* an older file that had this name */
	free(e->fbkey);
	e->fbkey = strdup(key);
	if (e->fbkey == NULL)
		return failf(r, "out of memory");
	e->have_pos = 1;
	e->pos = (off_t)off;
	return 0;
}

static int parse(struct fbreg *r, const char *p, size_t n)
{
	if (json_parse(&r->j, p, n) < 0)
		return failf(r, r->j.err);
	if (json_type(&r->j, 0) != JSMN_OBJECT)
		return failf(r, "a registry record is not an object");
	return 0;
}

/* One element of the snapshot array. */
static int snap_record(struct fbreg *r)
{
	if (parse(r, r->elem.p, r->elem.len) < 0)
		return -1;
	char key[FB_KEY_MAX + 1];
	if (str(&r->j, json_get(&r->j, 0, "_key"), key, sizeof key) < 0)
		return failf(r, "a snapshot entry has no \"_key\" string");
	return apply(r, key, 0);
}

int fbreg_snap_feed(struct fbreg *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r->err[0] != '\0')
			return -1;
		char c = p[i];
		if (r->finished) {
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				return failf(r, "data after the snapshot array");
			continue;
		}
		if (!r->started) {
			if (c == '[')
				r->started = r->depth = 1;
			else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				return failf(r, "the snapshot is not a JSON array");
			continue;
		}
		if (r->depth == 1 && !r->instr) {
			/* Between elements. */
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',')
				continue;
			if (c == ']') {
				r->finished = 1;
				r->depth = 0;
				continue;
			}
			if (c != '{')
				return failf(r, "a snapshot entry is not an object");
		}
		if (buf_addc(&r->elem, c) < 0)
			return failf(r, "a snapshot entry is larger than 1 MiB");
		if (r->instr) {
			if (r->esc)
				r->esc = 0;
			else if (c == '\\')
				r->esc = 1;
			else if (c == '"')
				r->instr = 0;
			continue;
		}
		if (c == '"') {
			r->instr = 1;
		} else if (c == '{' || c == '[') {
			if (++r->depth > 64)
				return failf(r, "the snapshot nests too deeply");
		} else if (c == '}' || c == ']') {
			if (--r->depth == 1) {
				int rc = snap_record(r);
				buf_reset(&r->elem);
				if (rc < 0)
					return -1;
			}
		}
	}
	return r->err[0] != '\0' ? -1 : 0;
}

int fbreg_snap_end(struct fbreg *r)
{
	if (r->err[0] != '\0')
		return -1;
	if (!r->finished)
		return failf(r, "the snapshot ends before its closing ']'");
	return 0;
}

static int log_record(struct fbreg *r, char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	char err[64];
	if (parse(r, p, n) < 0) {
		snprintf(err, sizeof err, " (log.json line %ld)", r->lineno);
		size_t l = strlen(r->err);
		snprintf(r->err + l, sizeof r->err - l, "%s", err);
		return -1;
	}
	const struct json *j = &r->j;
	char key[FB_KEY_MAX + 1];
	if (r->expect == 0) {
		char op[16];
		if (str(j, json_get(j, 0, "op"), op, sizeof op) < 0)
			return failf(r, "log.json: an operation line has no \"op\"");
		if (strcmp(op, "set") == 0)
			r->expect = 1;
		else if (strcmp(op, "remove") == 0)
			r->expect = 2;
		else
			return failf(r, "log.json: unknown operation");
		return 0;
	}
	int remove = r->expect == 2;
	r->expect = 0;
	if (str(j, json_get(j, 0, "k"), key, sizeof key) < 0)
		return failf(r, "log.json: a data line has no \"k\" string");
	if (remove)
		return apply(r, key, -1);
	int v = json_get(j, 0, "v");
	if (v < 0)
		return failf(r, "log.json: a set has no \"v\"");
	return apply(r, key, v);
}

int fbreg_log_feed(struct fbreg *r, const char *p, size_t n)
{
	while (n > 0) {
		if (r->err[0] != '\0')
			return -1;
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (buf_add(&r->line, p, take) < 0)
			return failf(r, "log.json: a line is longer than 1 MiB");
		p += take;
		n -= take;
		if (nl == NULL)
			break;
		p++;
		n--;
		r->lineno++;
		int rc = log_record(r, r->line.p, r->line.len);
		buf_reset(&r->line);
		if (rc < 0)
			return -1;
	}
	return r->err[0] != '\0' ? -1 : 0;
}

int fbreg_log_end(struct fbreg *r)
{
	/* An unterminated last line is being written: not part of the log yet. */
	buf_reset(&r->line);
	return r->err[0] != '\0' ? -1 : 0;
}

/* Read a small file dir/name into out (NUL-terminated). 0, 1 if missing, -1. */
static int small(int dir, const char *name, char *out, size_t cap)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	ssize_t n;
	do
		n = read(fd, out, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

typedef int (*feed_fn)(struct fbreg *, const char *, size_t);

static int stream(int dir, const char *name, struct fbreg *r, feed_fn feed)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	char b[65536];
	for (;;) {
		ssize_t n = read(fd, b, sizeof b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		if (feed(r, b, (size_t)n) < 0)
			break;
	}
	close(fd);
	return 0;
}

int fbreg_scan(int dir, const char *shown, const char *reader_dir, int check_inode,
	       struct rdset *set)
{
	char meta[4096];
	int m = small(dir, "meta.json", meta, sizeof meta);
	if (m == 1)
		return 0; /* Filebeat has not written its registry yet: nothing read */
	if (m < 0) {
		log_warn_sys("unable to read %s/meta.json", shown);
		return -1;
	}
	struct json mj;
	json_init(&mj);
	char version[16] = "";
	if (json_parse(&mj, meta, strlen(meta)) < 0 ||
	    str(&mj, json_get(&mj, 0, "version"), version, sizeof version) < 0 ||
	    strcmp(version, "1") != 0) {
		json_free(&mj);
		log_warn("%s/meta.json is not a version 1 registry: counting nothing as read "
			 "(this Filebeat's registry format is not supported)", shown);
		return -1;
	}
	json_free(&mj);
	struct fbreg *r = fbreg_new(set, reader_dir, check_inode);
	if (r == NULL) {
		log_warn("out of memory reading the Filebeat registry");
		return -1;
	}
	int rc = 0;
	char active[LRPOS_PATH_MAX + 1];
	int a = small(dir, "active.dat", active, sizeof active);
	if (a < 0) {
		log_warn_sys("unable to read %s/active.dat", shown);
		rc = -1;
	} else if (a == 0) {
		size_t l = strlen(active);
		while (l > 0 && (active[l - 1] == '\n' || active[l - 1] == '\r' || active[l - 1] == ' '))
			active[--l] = '\0';
		/* The snapshot lives in the registry directory; take only its name. */
		const char *base = strrchr(active, '/');
		const char *bs = strrchr(active, '\\');
		if (bs != NULL && (base == NULL || bs > base))
			base = bs;
		base = base ? base + 1 : active;
		if (base[0] != '\0') {
			int s = stream(dir, base, r, fbreg_snap_feed);
			if (s < 0) {
				log_warn_sys("unable to read %s/%s", shown, base);
				rc = -1;
			} else if (s == 0 && fbreg_snap_end(r) < 0) {
				log_warn("%s/%s: %s", shown, base, fbreg_error(r));
				rc = -1;
			}
		}
	}
	if (rc == 0) {
		int s = stream(dir, "log.json", r, fbreg_log_feed);
		if (s < 0) {
			log_warn_sys("unable to read %s/log.json", shown);
			rc = -1;
		} else if (fbreg_log_end(r) < 0) {
			log_warn("%s/log.json: %s: ignoring the rest of it", shown, fbreg_error(r));
		}
	}
	fbreg_free(r);
	return rc;
}
