/* http.c: see http.h. */
#include "http.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "wake.h"
#include "version.h"

#define HTTP_MAX_HEADERS_BYTES (64 * 1024)
#define CA_MAX_BYTES (16 << 20)
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static int is_loopback_host(const char *h)
{
	if (strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || strcmp(h, "::1") == 0)
		return 1;
	/* 127.0.0.0/8, as a dotted quad only: no "127.evil.example". */
	unsigned a, b, c, d;
	char extra;
	return sscanf(h, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 &&
	       c < 256 && d < 256;
}

int http_url_allowed(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	char *scheme = NULL, *host = NULL;
	int ok = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "'%s' is not a valid URL", url);
	} else if (strcasecmp(scheme, "https") == 0) {
		ok = 1;
	} else if (strcasecmp(scheme, "http") == 0 && is_loopback_host(host)) {
		ok = 1;
	} else if (strcasecmp(scheme, "http") == 0) {
		snprintf(err, errlen, "'%s': plain http is allowed to a loopback host only; use https",
			 url);
	} else {
		snprintf(err, errlen, "'%s': only https URLs are allowed", url);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Append the whole file at path to b. 0, or -1 with errno. */
static int slurp(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char tmp[16384];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && buf_add(b, tmp, (size_t)n) < 0)) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
	}
	close(fd);
	return 0;
}

/* ca_file adds to the system store: CURLOPT_CAINFO_BLOB replaces
 * CURLOPT_CAINFO, so the blob holds both, system bundle first. */
static void load_cas(struct http_client *c, const char *ca_file)
{
	buf_init(&c->cablob, CA_MAX_BYTES);
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
	const char *sys = vi != NULL && vi->cainfo != NULL ? vi->cainfo : SYSTEM_CA_BUNDLE;
	if (slurp(sys, &c->cablob) < 0) {
		log_warn_sys("unable to read the system CA bundle %s; trusting %s alone", sys, ca_file);
		buf_reset(&c->cablob);
	}
	if (buf_addc(&c->cablob, '\n') < 0)
		die(EXIT_TEMP, "out of memory");
	size_t before = c->cablob.len;
	if (slurp(ca_file, &c->cablob) < 0)
		die_sys(EXIT_PERM, "mimecast.ca_file: unable to read %s", ca_file);
	if (strstr(c->cablob.p + before, "-----BEGIN CERTIFICATE-----") == NULL)
		die(EXIT_PERM, "mimecast.ca_file: %s holds no PEM certificate "
			       "(-----BEGIN CERTIFICATE-----)", ca_file);
}

static void proxy_check(const char *proxy)
{
	static const char *const ok[] = { "http://", "https://", "socks5://", "socks5h://", NULL };
	for (size_t i = 0; ok[i] != NULL; i++)
		if (strncasecmp(proxy, ok[i], strlen(ok[i])) == 0)
			return;
	/* Not echoing the value: a proxy URL may carry a password. */
	die(EXIT_PERM, "mimecast.proxy must start with http://, https://, socks5:// or socks5h://");
}

#define SETOPT(h, opt, val)                                                              \
	do {                                                                             \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK)                     \
			die(EXIT_TEMP, "libcurl refused option %s (libcurl too old?)", #opt); \
	} while (0)

void http_init(struct http_client *c, const struct http_opts *o)
{
	memset(c, 0, sizeof *c);
	buf_init(&c->cablob, 0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(EXIT_TEMP, "unable to initialise libcurl");
	CURL *h = curl_easy_init();
	if (h == NULL)
		die(EXIT_TEMP, "unable to initialise libcurl");
	c->curl = h;
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(h, CURLOPT_USERAGENT, "mcspool/" MCSPOOL_VERSION);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout > 0 ? o->connect_timeout : 30L);
	SETOPT(h, CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 3600L);
	SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time > 0 ? o->low_speed_time : 60L);
	SETOPT(h, CURLOPT_ERRORBUFFER, c->err);
	if (o->ca_file != NULL && o->ca_file[0] != '\0') {
		load_cas(c, o->ca_file);
		struct curl_blob blob = { c->cablob.p, c->cablob.len, CURL_BLOB_NOCOPY };
		SETOPT(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (o->proxy != NULL && o->proxy[0] != '\0') {
		proxy_check(o->proxy);
		SETOPT(h, CURLOPT_PROXY, o->proxy);
	} else {
		/* "" disables the environment's http_proxy/https_proxy/all_proxy. */
		SETOPT(h, CURLOPT_PROXY, "");
	}
}

void http_free(struct http_client *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	buf_free(&c->cablob);
}

void http_resp_init(struct http_resp *r, size_t head_max)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->headers, HTTP_MAX_HEADERS_BYTES);
	buf_init(&r->head, head_max);
}

void http_resp_free(struct http_resp *r)
{
	buf_free(&r->headers);
	buf_free(&r->head);
}

const char *http_error(const struct http_client *c) { return c->err; }

const char *http_header(const struct http_resp *r, const char *name)
{
	const char *p = r->headers.p, *end = r->headers.p + r->headers.len;
	const char *found = NULL;
	while (p != NULL && p < end) {
		const char *v = p + strlen(p) + 1;
		if (v >= end)
			break;
		if (strcmp(p, name) == 0)
			found = v; /* the last one wins, as with a repeated header */
		p = v + strlen(v) + 1;
	}
	return found;
}

struct xfer {
	struct http_resp *r;
	const struct http_sink *sink;
	unsigned long long max;
	int big, sinkerr, sinkerrno;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue or a proxy's CONNECT):
		 * only the final one's headers count. */
		buf_reset(&x->r->headers);
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (colon == NULL || colon == p)
		return len; /* the blank line, or a folded continuation we do not need */
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1, *e = p + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	size_t mark = x->r->headers.len;
	for (size_t i = 0; i < nl; i++)
		if (buf_addc(&x->r->headers, (char)tolower((unsigned char)p[i])) < 0)
			goto toolong;
	if (buf_addc(&x->r->headers, '\0') < 0 || buf_add(&x->r->headers, v, (size_t)(e - v)) < 0 ||
	    buf_addc(&x->r->headers, '\0') < 0)
		goto toolong;
	/* A NUL inside a name or value would shift the pairs: drop such a header. */
	if (memchr(p, '\0', len) != NULL)
		x->r->headers.len = mark;
	return len;
toolong:
	/* Past the ceiling: keep the headers we have, ignore the rest. */
	x->r->headers.len = mark;
	if (x->r->headers.p != NULL)
		x->r->headers.p[mark] = '\0';
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->r->body_len + len > x->max) {
		x->big = 1;
		return 0; /* aborts the transfer */
	}
	x->r->body_len += len;
	size_t room = x->r->head.max - x->r->head.len;
	if (room > 0 && buf_add(&x->r->head, p, len < room ? len : room) < 0) {
		x->sinkerr = 1;
		x->sinkerrno = errno;
		return 0;
	}
	if (x->sink != NULL && x->sink->write != NULL && x->sink->write(x->sink->arg, p, len) < 0) {
		x->sinkerr = 1;
		x->sinkerrno = errno;
		return 0;
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)arg;
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return wake_stopping() ? 1 : 0;
}

/* One request: a POST when body is not NULL, else a GET. */
static int perform(struct http_client *c, const char *url, const char *const *headers,
		   const char *body, size_t len, const struct http_sink *sink,
		   unsigned long long max_body, struct http_resp *r)
{
	CURL *h = c->curl;
	c->err[0] = '\0';
	r->status = 0;
	r->body_len = 0;
	buf_reset(&r->headers);
	buf_reset(&r->head);
	char why[256];
	if (!http_url_allowed(url, why, sizeof why)) {
		snprintf(c->err, sizeof c->err, "%s", why);
		return HTTP_EURL;
	}
	/* Only the scheme this URL uses, decided above. */
	SETOPT(h, CURLOPT_PROTOCOLS_STR, strncasecmp(url, "https:", 6) == 0 ? "https" : "http");
	struct curl_slist *list = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		struct curl_slist *l = curl_slist_append(list, headers[i]);
		if (l == NULL) {
			curl_slist_free_all(list);
			snprintf(c->err, sizeof c->err, "out of memory");
			return HTTP_ENET;
		}
		list = l;
	}
	struct curl_slist *l = curl_slist_append(list, "Expect:");
	if (l == NULL) {
		curl_slist_free_all(list);
		snprintf(c->err, sizeof c->err, "out of memory");
		return HTTP_ENET;
	}
	list = l;
	struct xfer x = { r, sink, max_body, 0, 0, 0 };
	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_HTTPHEADER, list);
	if (body != NULL) {
		SETOPT(h, CURLOPT_POST, 1L);
		SETOPT(h, CURLOPT_POSTFIELDS, body);
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		/* Back to a GET on a handle a POST may have used. */
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	}
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &x);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &x);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, &x);
	CURLcode rc = curl_easy_perform(h);
	SETOPT(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	if (rc == CURLE_OK)
		return HTTP_OK;
	if (x.big) {
		snprintf(c->err, sizeof c->err, "response body larger than %llu bytes", max_body);
		return HTTP_EBIG;
	}
	if (x.sinkerr) {
		snprintf(c->err, sizeof c->err, "unable to store the response body: %s",
			 strerror(x.sinkerrno));
		errno = x.sinkerrno;
		return HTTP_ESINK;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && wake_stopping()) {
		snprintf(c->err, sizeof c->err, "stopped");
		return HTTP_ESTOP;
	}
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof c->err, "%s", curl_easy_strerror(rc));
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_ISSUER_ERROR)
		return HTTP_ETLS;
	if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
		return HTTP_EURL;
	return HTTP_ENET;
}

int http_post(struct http_client *c, const char *url, const char *const *headers,
	      const char *body, size_t len, const struct http_sink *sink,
	      unsigned long long max_body, struct http_resp *r)
{
	c->last_rc = perform(c, url, headers, body != NULL ? body : "", len, sink, max_body, r);
	return c->last_rc;
}

int http_get(struct http_client *c, const char *url, const char *const *headers,
	     const struct http_sink *sink, unsigned long long max_body, struct http_resp *r)
{
	c->last_rc = perform(c, url, headers, NULL, 0, sink, max_body, r);
	return c->last_rc;
}
