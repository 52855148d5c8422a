/* A fixed-window line counter: at most `lines` per `seconds`. Pure. */
#ifndef MEMLOGD_RATELIMIT_H
#define MEMLOGD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t window_start_ms; /* monotonic start of the current window */
	uint32_t count;           /* lines let through in this window */
	uint64_t suppressed;      /* lines dropped and not yet reported */
};

/* Does a line at now_ms pass a limit of lines per seconds? When a new
 * window starts with lines still unreported, *report is set to how many were
 * suppressed (and the count is reset); the caller writes the notice. */
bool ratelimit_pass(struct ratelimit *rl, uint32_t lines, uint32_t seconds,
		    uint64_t now_ms, uint64_t *report);

/* At a timer tick or when a source closes: the count to report if the
 * window is over (or force), else 0. */
uint64_t ratelimit_flush(struct ratelimit *rl, uint32_t seconds,
			 uint64_t now_ms, bool force);

#endif
