/* buf.h: a growable byte buffer with a hard ceiling.
 *
 * Every buffer that holds input has a limit, so memory stays bounded
 * whatever a peer sends: an append past the limit fails with E2BIG.
 */
#ifndef MCSPOOL_BUF_H
#define MCSPOOL_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Keep a NUL after the data (not counted in len). 0 or -1 (E2BIG/ENOMEM). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...);
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
