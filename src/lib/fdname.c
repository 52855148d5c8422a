#include "fdname.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "memlog."

static int plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != ':';
}

int fdname_encode(char *out, uint64_t id, enum fdname_kind kind, int stream,
		  const char *name, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int n;

	if (kind == FDNAME_KEY)
		return snprintf(out, FDNAME_MAX + 1, PREFIX "k.%llu",
				(unsigned long long)id);
	if (kind == FDNAME_DEST)
		n = snprintf(out, FDNAME_MAX + 1, PREFIX "%llu.d",
			     (unsigned long long)id);
	else
		n = snprintf(out, FDNAME_MAX + 1, PREFIX "%llu.s.%d.",
			     (unsigned long long)id, stream);
	if (n < 0 || n > FDNAME_MAX)
		return -ENAMETOOLONG;
	if (kind == FDNAME_DEST)
		return n;
	size_t o = (size_t)n;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		size_t need = plain(c) ? 1 : 3;
		if (o + need > FDNAME_MAX)
			return -ENAMETOOLONG;
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* A decimal number without leading zeros (but "0"), up to '.'. */
static int number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s >= end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end &&
						   s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = x;
	return 0;
}

int fdname_decode(const char *s, size_t len, struct fdname *out)
{
	const char *p = s, *end = s + len;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (len > FDNAME_MAX || len < sizeof(PREFIX) - 1 ||
	    memcmp(s, PREFIX, sizeof(PREFIX) - 1))
		return -EINVAL;
	p += sizeof(PREFIX) - 1;
	if (end - p > 2 && p[0] == 'k' && p[1] == '.') {
		p += 2;
		out->kind = FDNAME_KEY;
		return number(&p, end, &out->id) < 0 || p != end ? -EINVAL : 0;
	}
	if (number(&p, end, &out->id) < 0 || p >= end || *p++ != '.' || p >= end)
		return -EINVAL;
	if (*p == 'd') {
		out->kind = FDNAME_DEST;
		return p + 1 == end ? 0 : -EINVAL;
	}
	if (*p++ != 's' || p >= end || *p++ != '.')
		return -EINVAL;
	if (number(&p, end, &v) < 0 || v > 255 || p >= end || *p++ != '.')
		return -EINVAL;
	out->kind = FDNAME_SOURCE;
	out->stream = (int)v;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			int h = end - p < 3 ? -1 : hex_digit(p[1], true);
			int l = end - p < 3 ? -1 : hex_digit(p[2], true);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (unsigned char)(h << 4 | l);
			if (plain(c))
				return -EINVAL; /* not how encode writes it */
			p += 3;
		} else if (plain(c)) {
			p++;
		} else {
			return -EINVAL;
		}
		out->name[out->name_len++] = (char)c;
	}
	return 0;
}
