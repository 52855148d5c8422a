#include "procstat.h"

#include <errno.h>
#include <string.h>

int procstat_starttime(const char *text, size_t len, uint64_t *ticks)
{
	const char *p = NULL;

	for (size_t i = len; i > 0; i--)
		if (text[i - 1] == ')') {
			p = text + i;
			break;
		}
	if (!p)
		return -EINVAL;
	const char *end = text + len;
	/* After ") " comes field 3 (state); starttime is field 22. */
	for (int field = 3; field <= 22; field++) {
		if (p == end || *p != ' ')
			return -EINVAL;
		p++;
		const char *w = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == w)
			return -EINVAL;
		if (field < 22)
			continue;
		uint64_t v = 0;
		for (const char *c = w; c < p; c++) {
			if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
				return -EINVAL;
			v = v * 10 + (uint64_t)(*c - '0');
		}
		*ticks = v;
		return 0;
	}
	return -EINVAL;
}
