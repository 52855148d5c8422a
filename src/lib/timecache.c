#include "timecache.h"
#include "put.h"

#include <string.h>

size_t timecache_format(struct timecache *c, char out[TIMEFMT_MAX],
			uint64_t ns)
{
	uint64_t sec = ns / 1000000000ull;
	unsigned nsec = (unsigned)(ns % 1000000000ull);

	if (!c->valid || c->sec != sec) {
		/* The whole second: timefmt's own text without its 'Z'. */
		c->prefix_len = time_format_rfc3339nano(c->prefix,
							sec * 1000000000ull) - 1;
		c->sec = sec;
		c->valid = true;
	}
	memcpy(out, c->prefix, c->prefix_len);
	char *p = out + c->prefix_len;
	p = put_frac_ns(p, (uint32_t)nsec);
	*p++ = 'Z';
	return (size_t)(p - out);
}
