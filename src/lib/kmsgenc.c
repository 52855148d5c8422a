#include "kmsgenc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool must_escape(unsigned char c)
{
	return c < ' ' || c == 127;
}

/* Appends s[0..len) escaped to out[*n..cap); stops before a byte whose
 * escaped form no longer fits. Returns the bytes of s taken. */
static size_t put_escaped(char *out, size_t cap, size_t *n, const char *s,
			  size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (must_escape(c)) {
			if (*n + 4 > cap)
				break;
			out[(*n)++] = '\\';
			out[(*n)++] = 'x';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		} else {
			if (*n + 1 > cap)
				break;
			out[(*n)++] = (char)c;
		}
	}
	return i;
}

static size_t escaped_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += must_escape((unsigned char)s[i]) ? 4 : 1;
	return n;
}

size_t kmsgenc_record(char *out, uint64_t seq, uint64_t usec, int priority,
		      int facility, const char *msg, size_t msg_len,
		      const char *attrs, size_t attrs_len)
{
	if (priority < 0 || priority > 7)
		priority = 6;
	if (facility < 0 || facility > 23)
		facility = 0;
	int h = snprintf(out, KMSGENC_MAX, "%d,%llu,%llu,-;",
			 facility * 8 + priority, (unsigned long long)seq,
			 (unsigned long long)usec);
	size_t n = (size_t)h;

	/* The message, leaving room for its newline. */
	put_escaped(out, KMSGENC_MAX - 1, &n, msg, msg_len);
	out[n++] = '\n';

	size_t pos = 0;
	while (pos < attrs_len) {
		const char *kv = attrs + pos;
		const char *end = memchr(kv, '\0', attrs_len - pos);
		size_t kvl = end ? (size_t)(end - kv) : attrs_len - pos;
		pos += kvl + 1;
		const char *eq = memchr(kv, '=', kvl);
		if (!eq || eq == kv)
			continue;
		/* " KEY=VALUE\n" whole or not at all. */
		if (n + 2 + escaped_len(kv, kvl) > KMSGENC_MAX)
			continue;
		out[n++] = ' ';
		put_escaped(out, KMSGENC_MAX, &n, kv, kvl);
		out[n++] = '\n';
	}
	return n;
}

uint64_t kmsgenc_usec(uint64_t time_ns, uint64_t boot_ns)
{
	return time_ns > boot_ns ? (time_ns - boot_ns) / 1000 : 0;
}
