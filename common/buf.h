/* buf.h: a growable byte buffer with a hard ceiling.
 *
 * Every buffer that holds input has a limit, so memory stays bounded
 * whatever a peer sends: an append past the limit fails with E2BIG.
 */
#ifndef MCSPOOL_BUF_H
#define MCSPOOL_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Keep a NUL after the data (not counted in len). 0 or -1 (E2BIG/ENOMEM). */
int buf_add_grow(struct buf *b, const void *p, size_t n); /* the slow path of buf_add */
int buf_adds(struct buf *b, const char *s);

/* Appends that fit in the room already there are done here, without a
 * call: the splitter appends a few bytes at a time, millions of times.
 * (cap <= max + 1 always, so what fits in cap is within the ceiling.) */
static inline int buf_add(struct buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len) { /* b->cap == 0 (no buffer yet) never passes */
		if (n > 0) /* p may be NULL then */
			memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return 0;
	}
	return buf_add_grow(b, p, n);
}

static inline int buf_addc(struct buf *b, char c) { return buf_add(b, &c, 1); }
int buf_printf(struct buf *b, const char *fmt, ...);
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
