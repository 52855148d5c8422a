/* Capped exponential backoff: the first wait is min_ms, each following one
 * twice the last, up to max_ms, until a success resets it. Pure. */
#ifndef MEMLOG_BACKOFF_H
#define MEMLOG_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint32_t min_ms; /* first delay */
	uint32_t max_ms; /* cap */
	uint32_t next_ms;/* the delay the next failure waits */
};

static inline void backoff_init(struct backoff *b, uint32_t min_ms,
				uint32_t max_ms)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms;
	b->next_ms = min_ms;
}

/* The delay to wait after a failure; doubles the following one. */
static inline uint32_t backoff_next(struct backoff *b)
{
	uint32_t d = b->next_ms;

	b->next_ms = d >= b->max_ms / 2 ? b->max_ms : 2 * d;
	return d;
}

static inline void backoff_reset(struct backoff *b)
{
	b->next_ms = b->min_ms;
}

#endif
