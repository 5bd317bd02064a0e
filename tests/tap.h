/* tap.h: a tiny TAP producer for the C unit tests (run by prove).
 *
 *   plan(N); ok(cond, "name %d", x); is_int(got, want, "name"); ...; return done();
 */
#ifndef MCSPOOL_TAP_H
#define MCSPOOL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int vok(int cond, const char *fmt, va_list ap)
{
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static inline int is_int(long long got, long long want, const char *name)
{
	int r = ok(got == want, "%s", name);
	if (!r)
		diag("got %lld, want %lld", got, want);
	return r;
}

static inline int is_str(const char *got, const char *want, const char *name)
{
	int r = ok(got != NULL && want != NULL && strcmp(got, want) == 0, "%s", name);
	if (!r)
		diag("got '%s', want '%s'", got ? got : "(null)", want ? want : "(null)");
	return r;
}

static inline int done(void)
{
	if (tap_planned == 0)
		printf("1..%d\n", tap_n);
	return tap_failed != 0 || (tap_planned != 0 && tap_n != tap_planned);
}

#endif
