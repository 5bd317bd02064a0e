/* fetch.c: small helpers the fetcher's streams share. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "log.h"
#include "spool.h"
#include "status.h"
#include "wake.h"

int fetch_sleep_ms(long ms)
{
	/* Not wake_wait(): a SIGALRM (rescan) must not cut a back-off short,
	 * only a stop request may. poll() returns early with EINTR on any
	 * signal (the handlers are installed without SA_RESTART). */
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (wake_stopping())
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long elapsed = (now.tv_sec - start.tv_sec) * 1000LL +
				    (now.tv_nsec - start.tv_nsec) / 1000000;
		long long left = ms - elapsed;
		if (left <= 0)
			return 0;
		if (poll(NULL, 0, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
			return 0;
	}
}

time_t fetch_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

long long fetch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fetch_transport_error(struct fetch *f, const struct api_req *q, int rc, char *msg, size_t cap)
{
	switch (rc) {
	case HTTP_ETLS:
		die(EXIT_PERM, "%s: %s: TLS certificate verification failed (%s): if the server's "
			       "certificate comes from a private CA, name it in mimecast.ca_file; "
			       "verification is never turned off",
		    q->what, f->base, http_error(&f->http));
	case HTTP_EURL:
		die(EXIT_PERM, "%s: mimecast.base_url: %s", q->what, http_error(&f->http));
	case HTTP_ESINK:
		die(exit_code_for_errno(errno), "%s: %s", q->what, http_error(&f->http));
	case HTTP_EBIG:
		die(EXIT_PERM, "%s: %s: not advancing (raise the limit or report this)", q->what,
		    http_error(&f->http));
	default:
		snprintf(msg, cap, "%s: network error: %s", q->what, http_error(&f->http));
	}
}

int digest_list_has(const char *list, size_t n, size_t hexlen, const char *d)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(list + i * (hexlen + 1), d, hexlen) == 0)
			return 1;
	return 0;
}

void digest_list_drop_oldest(char *list, size_t *n, size_t hexlen)
{
	size_t w = hexlen + 1;
	(*n)--;
	memmove(list, list + w, *n * w);
	list[*n > 0 ? *n * w - 1 : 0] = '\0';
}

void digest_hex(const unsigned char *d, size_t hexlen, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < hexlen / 2; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[hexlen] = '\0';
}

void digest_list_add(char *list, size_t *n, size_t max, size_t hexlen, const char *d)
{
	size_t w = hexlen + 1;
	if (*n == max) /* full: the oldest goes */
		digest_list_drop_oldest(list, n, hexlen);
	char *p = list + (*n > 0 ? *n * w - 1 : 0);
	if (*n > 0)
		*p++ = ',';
	memcpy(p, d, hexlen);
	p[hexlen] = '\0';
	(*n)++;
}

void fetch_publish(struct fetch *f, struct spool_file *file, const char *name, long events)
{
	long long bytes = (long long)file->written;
	int r = spool_publish(file, f->ctx->dirs.raw, name);
	if (r == SPOOL_ERR)
		die_sys(exit_code_for_errno(errno), "unable to publish raw/%s (%s)", name,
			spool_errstep);
	if (r == SPOOL_EXISTS) {
		log_info("raw/%s is already there (a restart after an interrupted run): not "
			 "duplicated", name);
		return;
	}
	if (events >= 0)
		log_info("raw/%s: %ld events", name, events);
	else
		log_info("raw/%s: %lld bytes", name, bytes);
	status_count("files", 1);
	status_count("bytes", bytes);
	if (events > 0)
		status_count("events", events);
}
