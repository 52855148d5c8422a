#include "ratelimit.h"

bool ratelimit_pass(struct ratelimit *rl, uint32_t lines, uint32_t seconds,
		    uint64_t now_ms, uint64_t *report)
{
	*report = 0;
	if (now_ms - rl->window_start_ms >= (uint64_t)seconds * 1000 ||
	    rl->window_start_ms == 0) {
		*report = rl->suppressed;
		rl->suppressed = 0;
		rl->count = 0;
		rl->window_start_ms = now_ms ? now_ms : 1;
	}
	if (rl->count < lines) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}

uint64_t ratelimit_flush(struct ratelimit *rl, uint32_t seconds,
			 uint64_t now_ms, bool force)
{
	uint64_t n = rl->suppressed;

	if (!n)
		return 0;
	if (!force && now_ms - rl->window_start_ms < (uint64_t)seconds * 1000)
		return 0;
	rl->suppressed = 0;
	return n;
}
