/* http.h: the libcurl wrapper every networked stage uses.
 *
 * One policy, in one place:
 *   - HTTPS only, certificates and host names always verified; plain
 *     http:// is accepted for a loopback host only (tests, a local relay).
 *     Redirects are never followed.
 *   - ca_file adds a CA to the system store (it does not replace it);
 *     nothing turns verification off.
 *   - proxy is the configured one, or none: the environment's *_proxy
 *     variables are ignored, so behaviour does not depend on who starts us.
 *   - connect, whole-request and low-speed timeouts.
 *   - the body is streamed to a sink with a size ceiling; the first bytes
 *     are also kept in memory (bounded) for sniffing and error envelopes.
 *   - the response headers are captured (names lower-cased: HTTP/2 sends
 *     them so, HTTP/1.1 servers may not).
 *   - a stop request (wake_stopping(), i.e. SIGTERM) aborts a transfer
 *     within about a second.
 */
#ifndef MCSPOOL_HTTP_H
#define MCSPOOL_HTTP_H

#include <stddef.h>

#include "buf.h"

struct http_opts {
	const char *ca_file;   /* "" or NULL: the system store only */
	const char *proxy;     /* "" or NULL: no proxy */
	long connect_timeout;  /* seconds */
	long timeout;          /* seconds, whole request */
	long low_speed_time;   /* seconds below 1 byte/s before giving up */
};

struct http_client {
	void *curl; /* CURL * */
	struct buf cablob;
	char err[320];
	int last_rc; /* what the last request returned (HTTP_OK or HTTP_E*) */
};

/* Where the body goes. write returns 0, or -1 with errno set. */
struct http_sink {
	int (*write)(void *arg, const void *p, size_t n);
	void *arg;
};

struct http_resp {
	long status;
	struct buf headers;          /* "name\0value\0"... of the final response */
	struct buf head;             /* the first head_max bytes of the body */
	unsigned long long body_len; /* bytes received */
};

enum {
	HTTP_OK = 0,      /* a response arrived: look at status */
	HTTP_ENET = -1,   /* connect, DNS, timeout, reset, truncated body: temporary */
	HTTP_ESTOP = -2,  /* aborted because a stop was requested */
	HTTP_EBIG = -3,   /* the body exceeded max_body */
	HTTP_ESINK = -4,  /* the sink failed (errno saved in http_client.err) */
	HTTP_ETLS = -5,   /* the server's certificate could not be verified */
	HTTP_EURL = -6,   /* the URL is not allowed (not https, not loopback http) */
};

/* Is url allowed? https://, or http:// to localhost, 127.0.0.0/8 or [::1].
 * 1 yes, 0 no (why in err). */
int http_url_allowed(const char *url, char *err, size_t errlen);

/* Set up a client. Dies (exit 100) on a bad ca_file or proxy. */
void http_init(struct http_client *c, const struct http_opts *o);
void http_free(struct http_client *c);

void http_resp_init(struct http_resp *r, size_t head_max);
void http_resp_free(struct http_resp *r);

/* POST body (len bytes) to url with the extra header lines (NULL-terminated
 * "Name: value" strings). The body received goes to sink (may be NULL) and
 * its first bytes to r->head (bounded by its max). Returns HTTP_OK or a
 * negative HTTP_E*; http_error() describes a failure. */
int http_post(struct http_client *c, const char *url, const char *const *headers,
	      const char *body, size_t len, const struct http_sink *sink,
	      unsigned long long max_body, struct http_resp *r);

/* GET url, otherwise as http_post. Used for the API 2.0 JSON calls and for
 * pre-signed downloads (whose headers must then carry no credentials). */
int http_get(struct http_client *c, const char *url, const char *const *headers,
	     const struct http_sink *sink, unsigned long long max_body, struct http_resp *r);

/* A captured response header by lower-case name, or NULL. */
const char *http_header(const struct http_resp *r, const char *name);
/* The last failure, one line. */
const char *http_error(const struct http_client *c);

#endif
