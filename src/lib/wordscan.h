/* Tests of 8 bytes at a time, for the hot loops that look for the few
 * bytes text needs changed (control characters, quotes, non-ASCII). The
 * usual word tricks; each is exact about whether ANY byte of the word
 * matches (a false hit in a byte above a real one does not matter), so a
 * loop skips words that pass and looks at the rest byte by byte. */
#ifndef MEMLOG_WORDSCAN_H
#define MEMLOG_WORDSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WORD_ONES 0x0101010101010101ull
#define WORD_HIGHS 0x8080808080808080ull

static inline uint64_t word_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Some byte is below n (1 <= n <= 0x80). */
static inline bool word_has_below(uint64_t w, unsigned n)
{
	return ((w - n * WORD_ONES) & ~w & WORD_HIGHS) != 0;
}

/* Some byte is c. */
static inline bool word_has_byte(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (c * WORD_ONES);

	return ((x - WORD_ONES) & ~x & WORD_HIGHS) != 0;
}

/* Some byte is 0x80 or above (not ASCII). */
static inline bool word_has_high(uint64_t w)
{
	return (w & WORD_HIGHS) != 0;
}

#endif
