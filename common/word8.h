/* word8.h: eight bytes at a time, in portable C. A scanner loads eight bytes
 * into a uint64_t (memcpy: any alignment) and asks whether any of them needs
 * a closer look; only then does it go byte by byte. Each test is exact as a
 * yes/no for the whole word (a borrow only ever follows a byte that hits).
 */
#ifndef MCSPOOL_WORD8_H
#define MCSPOOL_WORD8_H

#include <stdint.h>
#include <string.h>

#define WORD8_ONES UINT64_C(0x0101010101010101)
#define WORD8_HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t word8_load(const void *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* Is a byte of w equal to c? */
static inline int word8_has(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (WORD8_ONES * c);
	return ((x - WORD8_ONES) & ~x & WORD8_HIGHS) != 0;
}

/* Is a byte of w below n (n <= 0x80)? */
static inline int word8_has_below(uint64_t w, unsigned char n)
{
	return ((w - WORD8_ONES * n) & ~w & WORD8_HIGHS) != 0;
}

/* Is a byte of w 0x80 or above (not ASCII)? */
static inline int word8_has_high(uint64_t w) { return (w & WORD8_HIGHS) != 0; }

#endif
