/* log.c: stderr logging with secret redaction. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "mcspool";
static char *secrets[16];
static size_t nsecrets;
static int debug = -1;
static void (*error_hook)(const char *line);

void log_on_error(void (*fn)(const char *line)) { error_hook = fn; }

void log_init(const char *p)
{
	const char *slash = strrchr(p, '/');
	prog = slash ? slash + 1 : p;
}

const char *log_prog(void) { return prog; }

void log_secret(const char *s)
{
	if (s == NULL || strlen(s) < 4 || nsecrets == sizeof secrets / sizeof secrets[0])
		return;
	for (size_t i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return;
	char *copy = strdup(s);
	if (copy == NULL)
		die(EXIT_TEMP, "out of memory");
	secrets[nsecrets++] = copy;
}

void log_secret_replace(const char *old, const char *s)
{
	if (old != NULL && s != NULL && strlen(s) >= 4) {
		for (size_t i = 0; i < nsecrets; i++) {
			if (strcmp(secrets[i], old) != 0)
				continue;
			char *copy = strdup(s);
			if (copy == NULL)
				die(EXIT_TEMP, "out of memory");
			free(secrets[i]);
			secrets[i] = copy;
			return;
		}
	}
	log_secret(s);
}

/* Replace every registered secret in buf (NUL-terminated, capacity cap). */
static void redact(char *buf, size_t cap)
{
	static const char mark[] = "[redacted]";
	for (size_t i = 0; i < nsecrets; i++) {
		size_t sl = strlen(secrets[i]);
		char *p;
		while ((p = strstr(buf, secrets[i])) != NULL) {
			size_t tail = strlen(p + sl);
			size_t ml = sizeof mark - 1;
			if ((size_t)(p - buf) + ml + tail + 1 > cap)
				tail = cap - (size_t)(p - buf) - ml - 1;
			memmove(p + ml, p + sl, tail);
			memcpy(p, mark, ml);
			p[ml + tail] = '\0';
		}
	}
}

void log_vline(const char *level, int err, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = snprintf(buf, sizeof buf, "%s: %s: ", prog, level);
	if (n < 0)
		return;
	size_t off = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	int m = vsnprintf(buf + off, sizeof buf - off, fmt, ap);
	if (m > 0)
		off += (size_t)m < sizeof buf - off ? (size_t)m : sizeof buf - off - 1;
	if (err != 0 && off < sizeof buf - 1) {
		int k = snprintf(buf + off, sizeof buf - off, ": %s", strerror(err));
		if (k > 0)
			off += (size_t)k < sizeof buf - off ? (size_t)k : sizeof buf - off - 1;
	}
	redact(buf, sizeof buf);
	/* A message is one line: control characters from data never split it. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	off = strlen(buf);
	if (error_hook != NULL && (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0)) {
		void (*hook)(const char *) = error_hook;
		error_hook = NULL; /* a hook that logs must not recurse */
		hook(buf);
		error_hook = hook;
	}
	buf[off < sizeof buf - 1 ? off : sizeof buf - 2] = '\n';
	size_t len = (off < sizeof buf - 1 ? off : sizeof buf - 2) + 1;
	/* One write() per line so concurrent writers never interleave. */
	ssize_t w = write(2, buf, len);
	(void)w; /* nowhere left to report a failure to log */
}

#define LOGFN(name, level, witherr)                          \
	void name(const char *fmt, ...)                      \
	{                                                    \
		int e = errno;                               \
		va_list ap;                                  \
		va_start(ap, fmt);                           \
		log_vline(level, (witherr) ? e : 0, fmt, ap); \
		va_end(ap);                                  \
		errno = e;                                   \
	}

LOGFN(log_info, "info", 0)
LOGFN(log_warn, "warning", 0)
LOGFN(log_error, "error", 0)
LOGFN(log_warn_sys, "warning", 1)
LOGFN(log_error_sys, "error", 1)

void log_debug(const char *fmt, ...)
{
	if (debug < 0)
		debug = getenv("MCSPOOL_DEBUG") != NULL;
	if (!debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vline("debug", 0, fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("fatal", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void die_sys(int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vline("fatal", e, fmt, ap);
	va_end(ap);
	exit(code);
}

int exit_code_for_errno(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
	case ENOENT:
	case ENOTDIR:
	case EROFS:
	case ELOOP:
	case EISDIR:
	case EXDEV:
		return EXIT_PERM;
	default:
		return EXIT_TEMP;
	}
}
