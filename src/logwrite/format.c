#include "format.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

int format_parse(const char *s, enum lw_format *out)
{
	static const struct { const char *name; enum lw_format f; } names[] = {
		{ "text", LW_FORMAT_TEXT },
		{ "json", LW_FORMAT_JSON },
		{ "raw", LW_FORMAT_RAW },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

size_t format_bound(enum lw_format f, const struct lw_entry *e)
{
	switch (f) {
	case LW_FORMAT_JSON:
		return e->line.len + 1;
	case LW_FORMAT_RAW:
		return e->msg.len + 1;
	case LW_FORMAT_TEXT:
	default:
		return 4 * e->time.len + 1 + 4 * e->source.len + 1 +
		       4 * e->msg.len + 1;
	}
}

static bool plain(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* No byte of the 8 at p is below 0x20 or 0x7f (tab counts as one: it
 * takes the byte-wise path). The usual word tricks: a byte below 0x20
 * borrows, a byte equal to 0x7f becomes zero after the xor; each test
 * is exact about whether any byte matches. */
static bool word_plain(const char *p)
{
	uint64_t w, x;

	memcpy(&w, p, 8);
	x = w ^ (0x7f * ONES);
	return !(((w - 0x20 * ONES) & ~w & HIGHS) |
		 ((x - ONES) & ~x & HIGHS));
}

/* Copies s, writing control characters other than tab as \xNN. */
static char *put_text(char *p, struct lw_field s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i = 0;

	while (i < s.len) {
		size_t run = i;
		while (run + 8 <= s.len && word_plain(s.ptr + run))
			run += 8;
		while (run < s.len && plain((unsigned char)s.ptr[run]))
			run++;
		if (run > i) {
			memcpy(p, s.ptr + i, run - i);
			p += run - i;
			i = run;
			continue;
		}
		unsigned char c = (unsigned char)s.ptr[i++];
		*p++ = '\\';
		*p++ = 'x';
		*p++ = hexd[c >> 4];
		*p++ = hexd[c & 15];
	}
	return p;
}

static char *put(char *p, struct lw_field s)
{
	if (s.len)
		memcpy(p, s.ptr, s.len);
	return p + s.len;
}

size_t format_entry(enum lw_format f, const struct lw_entry *e, char *out)
{
	char *p = out;

	switch (f) {
	case LW_FORMAT_JSON:
		p = put(p, e->line);
		*p++ = '\n';
		break;
	case LW_FORMAT_RAW:
		p = put(p, e->msg);
		if (!e->partial)
			*p++ = '\n';
		break;
	case LW_FORMAT_TEXT:
	default:
		/* The time comes from memlogd and is plain ASCII; escaping it
		 * anyway keeps a hostile server from breaking the line. */
		p = put_text(p, e->time);
		*p++ = ' ';
		p = put_text(p, e->source);
		*p++ = ' ';
		p = put_text(p, e->msg);
		*p++ = '\n';
		break;
	}
	return (size_t)(p - out);
}
