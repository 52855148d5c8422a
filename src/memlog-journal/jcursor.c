#include "jcursor.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 16)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)h;
	}
	*out = v;
	return 0;
}

static int parse_id(const char *s, size_t len, char out[33])
{
	if (len != 32)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -EINVAL;
		out[i] = "0123456789abcdef"[h];
	}
	out[32] = '\0';
	return 0;
}

int jcursor_parse(const char *s, size_t len, struct jcursor *c)
{
	struct jcursor t = { 0 };
	unsigned seen = 0; /* bit per letter s i b m t */

	if (len == 0 || len > JCURSOR_MAX)
		return -EINVAL;
	for (size_t at = 0; at <= len;) {
		const char *semi = memchr(s + at, ';', len - at);
		size_t end = semi ? (size_t)(semi - s) : len;
		const char *w = s + at;
		size_t wl = end - at;
		if (wl < 2 || w[1] != '=')
			return -EINVAL;
		const char *v = w + 2;
		size_t vl = wl - 2;
		int r = 0;
		unsigned bit = 0;
		switch (w[0]) {
		case 's': r = parse_id(v, vl, t.seqnum_id); bit = 1; break;
		case 'i': r = parse_hex64(v, vl, &t.seqnum); bit = 2; break;
		case 'b': r = parse_id(v, vl, t.boot_id); bit = 4; break;
		case 'm': r = parse_hex64(v, vl, &t.monotonic_us); bit = 8; break;
		case 't': r = parse_hex64(v, vl, &t.realtime_us); bit = 16; break;
		case 'x': { uint64_t x; r = parse_hex64(v, vl, &x); break; }
		default: break;
		}
		if (r < 0 || (seen & bit))
			return -EINVAL;
		seen |= bit;
		if (!semi)
			break;
		at = end + 1;
	}
	if ((seen & 3) == 3)
		t.has |= JCURSOR_HAS_SEQNUM;
	if ((seen & 12) == 12)
		t.has |= JCURSOR_HAS_BOOT;
	if (seen & 16)
		t.has |= JCURSOR_HAS_REALTIME;
	if (!t.has)
		return -EINVAL;
	*c = t;
	return 0;
}

int64_t jcursor_between(const struct jcursor *a, const struct jcursor *b)
{
	if (!(a->has & b->has & JCURSOR_HAS_SEQNUM) ||
	    strcmp(a->seqnum_id, b->seqnum_id) != 0 || b->seqnum <= a->seqnum ||
	    b->seqnum - a->seqnum - 1 > INT64_MAX)
		return -1;
	return (int64_t)(b->seqnum - a->seqnum - 1);
}
