/* src.c: byte sources a parser pulls from: a file, or gzip over a file.
 * (Zip members are in zipin.c, next to the rest of the zip handling.) */
#include "split.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void split_limits_default(struct split_limits *l)
{
	l->record_max = 65536;
	l->expand_max = 4ULL << 30;     /* 4 GiB out of one payload */
	l->ratio_max = 200;             /* text logs deflate 5x to 30x */
	l->ratio_floor = 1ULL << 20;    /* small inputs may compress better */
	l->audit_page_max = 16u << 20;  /* a page of 500 events is ~300 kB */
	l->zip_members_max = 1000;
	l->why_max = 65536;
}

/* ---- a file --------------------------------------------------------------- */

static ssize_t fd_read(struct src *s, char *p, size_t n)
{
	for (;;) {
		ssize_t r = read(s->fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(s->err, sizeof s->err, "read error: %s", strerror(errno));
			return -1;
		}
		s->pos += (unsigned long long)r;
		return r;
	}
}

static int fd_rewind(struct src *s)
{
	if (lseek(s->fd, 0, SEEK_SET) < 0) {
		snprintf(s->err, sizeof s->err, "seek error: %s", strerror(errno));
		return -1;
	}
	s->pos = 0;
	return 0;
}

void src_fd(struct src *s, int fd)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->read = fd_read;
	s->rewind = fd_rewind;
}

/* ---- gzip ------------------------------------------------------------------ */

struct gz {
	int fd;
	z_stream z;
	int zinit;
	int end; /* the last member ended at EOF */
	const struct split_limits *lim;
	unsigned long long in, out;
	unsigned char ibuf[65536];
};

static int gz_start(struct src *s, struct gz *g)
{
	memset(&g->z, 0, sizeof g->z);
	/* 16 + MAX_WBITS: gzip wrapper only, no raw zlib streams. */
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		snprintf(s->err, sizeof s->err, "gzip: unable to initialise zlib");
		return -1;
	}
	g->zinit = 1;
	return 0;
}

static ssize_t gz_read(struct src *s, char *p, size_t n)
{
	struct gz *g = s->priv;
	if (g->end)
		return 0;
	g->z.next_out = (unsigned char *)p;
	g->z.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
	while (g->z.next_out == (unsigned char *)p && !g->end) {
		if (g->z.avail_in == 0) {
			ssize_t r = read(g->fd, g->ibuf, sizeof g->ibuf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				snprintf(s->err, sizeof s->err, "read error: %s", strerror(errno));
				return -1;
			}
			if (r == 0) {
				snprintf(s->err, sizeof s->err,
					 "gzip: truncated (compressed byte %llu, decompressed byte %llu)",
					 g->in, g->out);
				return -1;
			}
			g->in += (unsigned long long)r;
			g->z.next_in = g->ibuf;
			g->z.avail_in = (uInt)r;
		}
		int zr = inflate(&g->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			/* Another member may follow (RFC 1952 allows several). */
			unsigned char *rest = g->z.next_in;
			uInt left = g->z.avail_in;
			if (left == 0) {
				ssize_t r;
				do
					r = read(g->fd, g->ibuf, sizeof g->ibuf);
				while (r < 0 && errno == EINTR);
				if (r < 0) {
					snprintf(s->err, sizeof s->err, "read error: %s", strerror(errno));
					return -1;
				}
				g->in += (unsigned long long)(r > 0 ? r : 0);
				rest = g->ibuf;
				left = (uInt)(r > 0 ? r : 0);
			}
			if (left == 0) {
				g->end = 1;
				break;
			}
			if (inflateReset(&g->z) != Z_OK) {
				snprintf(s->err, sizeof s->err, "gzip: zlib reset failed");
				return -1;
			}
			g->z.next_in = rest;
			g->z.avail_in = left;
			continue;
		}
		if (zr == Z_BUF_ERROR && g->z.avail_in == 0)
			continue;
		if (zr != Z_OK) {
			snprintf(s->err, sizeof s->err, "gzip: corrupt data at compressed byte %llu: %s",
				 g->in - g->z.avail_in, g->z.msg != NULL ? g->z.msg : "inflate error");
			return -1;
		}
	}
	size_t got = (size_t)(g->z.next_out - (unsigned char *)p);
	g->out += got;
	if (g->out > g->lim->expand_max) {
		snprintf(s->err, sizeof s->err,
			 "gzip: decompression bomb: more than %llu bytes decompressed", g->lim->expand_max);
		return -1;
	}
	if (g->out > g->lim->ratio_floor && g->out / (g->in ? g->in : 1) > g->lim->ratio_max) {
		snprintf(s->err, sizeof s->err,
			 "gzip: decompression bomb: %llu bytes out of %llu (ratio above %llu)", g->out,
			 g->in, g->lim->ratio_max);
		return -1;
	}
	s->pos += got;
	return (ssize_t)got;
}

static int gz_rewind(struct src *s)
{
	struct gz *g = s->priv;
	if (lseek(g->fd, 0, SEEK_SET) < 0) {
		snprintf(s->err, sizeof s->err, "seek error: %s", strerror(errno));
		return -1;
	}
	if (g->zinit)
		inflateEnd(&g->z);
	g->zinit = 0;
	g->in = g->out = 0;
	g->end = 0;
	s->pos = 0;
	return gz_start(s, g);
}

int src_gz_open(struct src *s, int fd, const struct split_limits *lim)
{
	memset(s, 0, sizeof *s);
	struct gz *g = calloc(1, sizeof *g);
	if (g == NULL) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	g->fd = fd;
	g->lim = lim;
	s->priv = g;
	s->read = gz_read;
	s->rewind = gz_rewind;
	return gz_start(s, g);
}

void src_gz_close(struct src *s)
{
	struct gz *g = s->priv;
	if (g == NULL)
		return;
	if (g->zinit)
		inflateEnd(&g->z);
	free(g);
	s->priv = NULL;
}
