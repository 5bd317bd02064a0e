/* rpath.c: does a path from the reader's state name a file in read_path?
 *
 * The reader may be a Windows agent reading a share, so its paths can be
 * D:\mcspool\read\x.log, \\host\share\read\x.log or \\?\D:\...; those are
 * compared case-insensitively with '/' and '\' equivalent, as Windows
 * does. POSIX paths are compared byte for byte, runs of '/' collapsed.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "reader.h"

static int is_windows(const char *p)
{
	if (isalpha((unsigned char)p[0]) && p[1] == ':')
		return 1;
	return strchr(p, '\\') != NULL;
}

/* Canonical form into out: Windows: '\' separators, no \\?\ prefix, no
 * repeated or trailing separators (the UNC leading "\\" kept); POSIX: no
 * repeated or trailing '/'. 0, or -1 if it does not fit. */
static int canon(const char *in, int win, char *out, size_t cap)
{
	size_t o = 0;
	if (win) {
		if (strncmp(in, "\\\\?\\UNC\\", 8) == 0) {
			in += 8;
			if (cap < 3)
				return -1;
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (strncmp(in, "\\\\?\\", 4) == 0) {
			in += 4;
		} else if ((in[0] == '\\' || in[0] == '/') && (in[1] == '\\' || in[1] == '/')) {
			in += 2;
			if (cap < 3)
				return -1;
			out[o++] = '\\';
			out[o++] = '\\';
		}
	}
	char sep = win ? '\\' : '/';
	for (; *in != '\0'; in++) {
		char c = *in;
		if (win && c == '/')
			c = '\\';
		if (c == sep && o > 0 && out[o - 1] == sep && !(win && o == 2 && out[0] == '\\'))
			continue;
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	while (o > 1 && out[o - 1] == sep && !(win && o <= 2))
		o--;
	out[o] = '\0';
	return 0;
}

int rpath_in_dir(const char *dir, const char *path, char *name, size_t cap, int *fold)
{
	int win = is_windows(path);
	if (win != is_windows(dir) || dir[0] == '\0' || path[0] == '\0')
		return 0;
	char d[LRPOS_PATH_MAX + 1], p[LRPOS_PATH_MAX + 1];
	if (canon(dir, win, d, sizeof d) < 0 || canon(path, win, p, sizeof p) < 0)
		return 0;
	size_t dl = strlen(d);
	char sep = win ? '\\' : '/';
	/* "/" as the directory: every name right below the root. */
	if (dl == 1 && d[0] == sep)
		dl = 0;
	if (strlen(p) <= dl + 1)
		return 0;
	if (win ? strncasecmp(p, d, dl) != 0 : strncmp(p, d, dl) != 0)
		return 0;
	if (p[dl] != sep)
		return 0;
	const char *n = p + dl + 1;
	if (strchr(n, sep) != NULL || strlen(n) >= cap)
		return 0;
	strcpy(name, n);
	if (!spool_name_ok(name))
		return 0;
	*fold = win;
	return 1;
}
