/* time_format_rfc3339nano (timefmt.h) for a stream of entries: the date
 * and time of day are worked out once per second and kept, so an entry of
 * the same second as the one before costs only its fraction. The output
 * is exactly time_format_rfc3339nano's. Pure. */
#ifndef MEMLOG_TIMECACHE_H
#define MEMLOG_TIMECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timefmt.h"

struct timecache {
	bool valid;
	uint64_t sec;         /* the second prefix is of */
	char prefix[TIMEFMT_MAX];
	size_t prefix_len;    /* "YYYY-MM-DDTHH:MM:SS" */
};

static inline void timecache_init(struct timecache *c)
{
	c->valid = false;
}

size_t timecache_format(struct timecache *c, char out[TIMEFMT_MAX],
			uint64_t ns);

#endif
