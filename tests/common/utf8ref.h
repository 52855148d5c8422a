/* An independent UTF-8 decoder for tests and fuzz targets, written apart
 * from the library's so that the two check each other. Header-only. */
#ifndef MEMLOG_TEST_UTF8REF_H
#define MEMLOG_TEST_UTF8REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0; its code
 * point in *cp. Overlong forms, surrogates and values past U+10FFFF are
 * invalid. */
static inline size_t utf8ref_seq(const unsigned char *s, size_t n,
				 uint32_t *cp)
{
	uint32_t v;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
	    (len == 4 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v < 0xe000))
		return 0;
	*cp = v;
	return len;
}

static inline bool utf8ref_valid(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t l = utf8ref_seq((const unsigned char *)s + i, n - i, &cp);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

#endif
