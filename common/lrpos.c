/* lrpos.c: the LogRhythm System Monitor Agent's .pos files.
 *
 * Per log source the agent keeps <state_dir>/<log_source_id>/NAME.pos, one
 * per file it reads, three text lines each (logrhythm.md section 1.5):
 *   1. the path of the file it reads (often a Windows path);
 *   2. the byte offset read so far;
 *   3. a time stamp, .NET DateTime ticks.
 * The agent rewrites these files in place, so we may read one half
 * written. Anything incomplete is "not read": line 2 must be terminated by
 * a line break, and line 3 either terminated too or a complete tick count
 * (18 digits in the years 2000 to 2200). Byte-order marks (UTF-8, and
 * UTF-16LE holding ASCII) are accepted because the encoding is not
 * documented.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "reader.h"

#define TICKS_2000 630822816000000000ULL /* 2000-01-01 */
#define TICKS_2200 693937152000000000ULL /* 2200-01-01 */

/* One line: [*pos, end of line); *pos moves past the terminator. Returns
 * the line length and sets *term when a terminator (LF, CR or CRLF) ended
 * it; -1 at the end of the input. */
static long line(const char *b, size_t len, size_t *pos, const char **start, int *term)
{
	if (*pos >= len)
		return -1;
	size_t i = *pos;
	*start = b + i;
	while (i < len && b[i] != '\n' && b[i] != '\r')
		i++;
	long n = (long)(i - *pos);
	*term = i < len;
	if (i < len && b[i] == '\r') {
		i++;
		if (i < len && b[i] == '\n')
			i++;
	} else if (i < len) {
		i++;
	}
	*pos = i;
	return n;
}

static void trim(const char **s, long *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Decimal digits only, at most 19 (so it fits). 0 or -1. */
static int number(const char *s, long n, unsigned long long *v)
{
	if (n < 1 || n > 19)
		return -1;
	unsigned long long x = 0;
	for (long i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int lrpos_parse(const char *in, size_t len, struct lrpos *p)
{
	char conv[LRPOS_FILE_MAX];
	const char *b = in;
	if (len > LRPOS_FILE_MAX)
		return -1;
	if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
		b += 3;
		len -= 3;
	} else if (len >= 2 && (unsigned char)b[0] == 0xff && (unsigned char)b[1] == 0xfe) {
		/* UTF-16LE: keep it only if it is all ASCII. */
		if (len % 2 != 0)
			return -1; /* half written */
		size_t o = 0;
		for (size_t i = 2; i < len; i += 2) {
			if (b[i + 1] != 0 || (unsigned char)b[i] >= 0x80)
				return -1;
			conv[o++] = b[i];
		}
		b = conv;
		len = o;
	}
	if (memchr(b, '\0', len) != NULL)
		return -1;
	size_t pos = 0;
	const char *s;
	int term;
	long n = line(b, len, &pos, &s, &term);
	trim(&s, &n);
	if (n < 1 || !term || n > LRPOS_PATH_MAX)
		return -1;
	memcpy(p->path, s, (size_t)n);
	p->path[n] = '\0';
	n = line(b, len, &pos, &s, &term);
	trim(&s, &n);
	if (n < 0 || !term || number(s, n, &p->offset) < 0 || p->offset > (unsigned long long)INT64_MAX)
		return -1;
	n = line(b, len, &pos, &s, &term);
	trim(&s, &n);
	if (n < 0 || number(s, n, &p->ticks) < 0)
		return -1;
	if (!term && (n != 18 || p->ticks < TICKS_2000 || p->ticks >= TICKS_2200))
		return -1; /* may be cut short */
	return 0;
}

int lrpos_read(int dir, const char *name, struct lrpos *p)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > LRPOS_FILE_MAX) {
		close(fd);
		return -1;
	}
	char buf[LRPOS_FILE_MAX + 1];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == sizeof buf) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return lrpos_parse(buf, len, p);
}

static int ends_pos(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcasecmp(name + n - 4, ".pos") == 0;
}

long lrpos_scan(int dirfd, const char *reader_dir, struct rdset *set)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	long bad = 0;
	struct lrpos p;
	char name[SPOOL_NAME_MAX + 1];
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.' || !ends_pos(de->d_name))
			continue;
		if (lrpos_read(dirfd, de->d_name, &p) < 0) {
			bad++;
			continue;
		}
		int fold;
		if (!rpath_in_dir(reader_dir, p.path, name, sizeof name, &fold))
			continue; /* another file of this log source, or stale */
		long i = rdset_find(set, name, fold);
		if (i == -2) {
			/* Mark every case variant: none can be archived. */
			for (size_t k = 0; k < set->n; k++)
				if (strcasecmp(set->e[k].name, name) == 0)
					set->e[k].ambiguous = 1;
			continue;
		}
		if (i >= 0)
			rdset_report(set, i, (off_t)p.offset);
	}
	int e = errno;
	closedir(d);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return bad;
}
