#include "timecache.h"

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
	if (nsec) {
		char digits[9];
		int n = 9;
		for (int i = 8; i >= 0; i--) {
			digits[i] = (char)('0' + nsec % 10);
			nsec /= 10;
		}
		while (digits[n - 1] == '0')
			n--;
		*p++ = '.';
		memcpy(p, digits, (size_t)n);
		p += n;
	}
	*p++ = 'Z';
	return (size_t)(p - out);
}
