/* state.c: see state.h. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

int state_load(int dir, const char *name, const char *kind, int max_version, struct buf *body,
	       int *version)
{
	buf_reset(body);
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		die_sys(exit_code_for_errno(errno), "unable to open state/%s", name);
	}
	struct buf all;
	buf_init(&all, STATE_MAX_BYTES + STATE_HEADER_MAX);
	char tmp[8192];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_sys(EXIT_TEMP, "unable to read state/%s", name);
		if (n == 0)
			break;
		if (buf_add(&all, tmp, (size_t)n) < 0)
			die(EXIT_PERM, "state/%s is larger than %d bytes: refusing it", name,
			    STATE_MAX_BYTES + STATE_HEADER_MAX);
	}
	close(fd);
	char *nl = all.p ? memchr(all.p, '\n', all.len) : NULL;
	char k[64];
	int v;
	char extra;
	if (nl == NULL || (*nl = '\0', sscanf(all.p, "mcspool-state %63s %d%c", k, &v, &extra) != 2))
		die(EXIT_PERM, "state/%s: not an mcspool state file (first line should be "
			       "'mcspool-state %s N'): move it away to start afresh", name, kind);
	if (strcmp(k, kind) != 0)
		die(EXIT_PERM, "state/%s holds '%s' state, not '%s'", name, k, kind);
	if (v < 1 || v > max_version)
		die(EXIT_PERM, "state/%s is version %d, newer than this program understands "
			       "(at most %d): upgrade mcspool, do not delete the file", name, v, max_version);
	size_t off = (size_t)(nl - all.p) + 1;
	if (buf_add(body, all.p + off, all.len - off) < 0)
		die(EXIT_TEMP, "out of memory reading state/%s", name);
	buf_free(&all);
	*version = v;
	return 0;
}

int state_save(int dir, const char *name, const char *kind, int version, const char *body,
	       size_t len)
{
	if (len > STATE_MAX_BYTES) {
		/* Refused here, not written: a file state_load would refuse
		 * would stop the stage for good. */
		errno = E2BIG;
		return -1;
	}
	struct buf all;
	buf_init(&all, STATE_MAX_BYTES + STATE_HEADER_MAX);
	if (buf_printf(&all, "mcspool-state %s %d\n", kind, version) < 0 ||
	    buf_add(&all, body, len) < 0) {
		buf_free(&all);
		errno = E2BIG;
		return -1;
	}
	int r = spool_replace(dir, name, all.p, all.len, 0640);
	buf_free(&all);
	return r < 0 ? -1 : 0;
}

int state_get(const struct buf *body, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = body->p, *end = body->p + body->len;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == ' ') {
			size_t vl = (size_t)(le - p) - kl - 1;
			if (vl + 1 > cap)
				return -1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

int state_put(struct buf *body, const char *key, const char *value)
{
	if (strpbrk(value, "\r\n") != NULL || strpbrk(key, " \r\n") != NULL) {
		errno = EINVAL;
		return -1;
	}
	return buf_printf(body, "%s %s\n", key, value);
}
