#include "jsonenc.h"
#include "util.h"

#include <stdint.h>

static const char hex[] = "0123456789abcdef";

size_t json_escape(char *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	char *p = out;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		/* Fast path: the printable ASCII that needs no escape. */
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' &&
		    c != '>' && c != '&') {
			*p++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			*p++ = '\\';
			switch (c) {
			case '"': *p++ = '"'; break;
			case '\\': *p++ = '\\'; break;
			case '\n': *p++ = 'n'; break;
			case '\r': *p++ = 'r'; break;
			case '\t': *p++ = 't'; break;
			case '\b': *p++ = 'b'; break;
			case '\f': *p++ = 'f'; break;
			default:
				*p++ = 'u'; *p++ = '0'; *p++ = '0';
				*p++ = hex[c >> 4];
				*p++ = hex[c & 0xf];
			}
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			/* Go replaces each invalid byte on its own. */
			const char *r = "\\ufffd";
			for (int k = 0; k < 6; k++)
				*p++ = r[k];
			i++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029) {
			/* Valid JSON, but not valid JavaScript: Go escapes them. */
			*p++ = '\\'; *p++ = 'u'; *p++ = '2'; *p++ = '0'; *p++ = '2';
			*p++ = cp == 0x2028 ? '8' : '9';
			i += n;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			*p++ = (char)s[i + k];
		i += n;
	}
	return (size_t)(p - out);
}

size_t utf8_complete_prefix(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;

	/* Look back at most 3 bytes for the lead byte of a final sequence. */
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = s[len - back];
		if ((c & 0xc0) == 0x80)
			continue; /* continuation byte: keep looking */
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (need > back) {
			/* Unfinished: cut before it only if what is there so far
			 * could still become valid; garbage is kept as is. */
			static const unsigned char fill[2] = { 0x80, 0xbf };
			for (int f = 0; f < 2; f++) {
				uint32_t cp;
				unsigned char tmp[4];
				for (size_t k = 0; k < 4; k++)
					tmp[k] = k < back ? s[len - back + k] : fill[f];
				if (utf8_decode(tmp, need, &cp) == need)
					return len - back;
			}
		}
		return len;
	}
	return len;
}
