#include "format.h"

#include <errno.h>
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

/* Copies s, writing control characters other than tab as \xNN. */
static char *put_text(char *p, struct lw_field s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i = 0;

	while (i < s.len) {
		size_t run = i;
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
