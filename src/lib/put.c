#include "put.h"

#include <string.h>

char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

char *put_frac_ns(char *p, uint32_t nsec)
{
	char digits[9];
	int n = 9;

	if (!nsec)
		return p;
	for (int i = 8; i >= 0; i--) {
		digits[i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	while (digits[n - 1] == '0')
		n--;
	*p++ = '.';
	memcpy(p, digits, (size_t)n);
	return p + n;
}
