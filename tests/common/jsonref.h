/* An independent JSON string decoder for tests and fuzz targets, written
 * apart from the library's encoder (jsonenc) so that the two check each
 * other: what the encoder writes must decode, as a strict parser would
 * decode it, to what Go's encoder means the string to be. Header-only;
 * UTF-8 through utf8ref.h. */
#ifndef MEMLOG_TEST_JSONREF_H
#define MEMLOG_TEST_JSONREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8ref.h"

/* Writes code point cp (below U+110000, no surrogate) as UTF-8; returns
 * its length. */
static inline size_t jsonref_put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Lowercase only: Go writes lowercase hex, and so must we. */
static inline int jsonref_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a JSON string body (what stands between the quotes) as a strict
 * parser would, into out (room for n bytes). False when it is not one:
 * a raw control character or quote, a bad or uppercase escape, invalid
 * UTF-8, or a \u escape of a surrogate (Go never needs a pair: it writes
 * characters above U+FFFF raw). */
static inline bool jsonref_unescape(const char *in, size_t n, char *out,
				    size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == '"')
			return false;
		if (s[i] != '\\') {
			size_t l = utf8ref_seq(s + i, n - i, &cp);
			if (l == 0)
				return false;
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		if (i + 1 >= n)
			return false;
		switch (s[i + 1]) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case '/': out[o++] = '/'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			if (i + 6 > n)
				return false;
			cp = 0;
			for (int k = 2; k < 6; k++) {
				int h = jsonref_hexval(in[i + k]);
				if (h < 0)
					return false;
				cp = cp << 4 | (uint32_t)h;
			}
			if (cp >= 0xd800 && cp < 0xe000)
				return false;
			o += jsonref_put_utf8(out + o, cp);
			i += 4;
			break;
		default:
			return false;
		}
		i += 2;
	}
	*outlen = o;
	return true;
}

/* What Go's encoder means bytes to be: each byte that does not start a
 * valid UTF-8 sequence becomes U+FFFD. Writes at most 3 * n bytes to out;
 * returns the length. */
static inline size_t jsonref_sanitize(const char *in, size_t n, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < n) {
		size_t l = utf8ref_seq(s + i, n - i, &cp);
		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		}
	}
	return o;
}

#endif
