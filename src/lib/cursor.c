#include "cursor.h"

#include <errno.h>

static const char hexd[] = "0123456789abcdef";

static void put_hex(char *p, uint64_t v)
{
	for (int i = 15; i >= 0; i--) {
		p[i] = hexd[v & 0xf];
		v >>= 4;
	}
}

static int get_hex(const char *p, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 16; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		*v = (*v << 4) | d;
	}
	return 0;
}

void cursor_format(char out[CURSOR_LEN + 1], struct cursor c)
{
	out[0] = 'm';
	out[1] = '1';
	out[2] = '-';
	put_hex(out + 3, c.instance);
	out[19] = '-';
	put_hex(out + 20, c.seq);
	out[36] = '\0';
}

bool cursor_text_ok(const char *s, size_t len)
{
	if (len == 0 || len > CURSOR_TEXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '%')
			return false;
	}
	return true;
}

int cursor_parse(const char *s, size_t len, struct cursor *out)
{
	struct cursor c;

	if (len != CURSOR_LEN || s[0] != 'm' || s[1] != '1' || s[2] != '-' ||
	    s[19] != '-')
		return -EINVAL;
	if (get_hex(s + 3, &c.instance) < 0 || get_hex(s + 20, &c.seq) < 0)
		return -EINVAL;
	*out = c;
	return 0;
}
