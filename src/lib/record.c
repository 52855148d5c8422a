#include "record.h"
#include "cursor.h"
#include "put.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t record_legacy(char *out, uint64_t time_ns, const char *name,
		     size_t name_len, const char *msg, size_t msg_len)
{
	char *p = out;

	p = put_str(p, "{\"time\":\"");
	p += time_format_rfc3339nano(p, time_ns);
	p = put_str(p, "\",\"source\":\"");
	p += json_escape(p, name, name_len);
	p = put_str(p, "\",\"msg\":\"");
	p += json_escape(p, msg, msg_len);
	p = put_str(p, "\"}\n");
	return (size_t)(p - out);
}

size_t record_v2(char *out, const struct ring_entry *e, uint64_t instance,
		 const struct record_source *src)
{
	char *p = out;
	char cur[CURSOR_LEN + 1];

	cursor_format(cur, (struct cursor){ instance, e->seq });
	p = put_str(p, "{\"seq\":");
	p = put_u64(p, e->seq);
	p = put_str(p, ",\"cursor\":\"");
	p = put_str(p, cur);
	p = put_str(p, "\",\"time\":\"");
	p += time_format_rfc3339nano(p, e->time_ns);
	p = put_str(p, "\",\"source\":\"");
	p += json_escape(p, src->name, src->name_len);
	p = put_str(p, "\",\"stream\":\"");
	p = put_str(p, stream_name(src->stream));
	p = put_str(p, "\",\"msg\":\"");
	p += json_escape(p, e->msg, e->len);
	p = put_str(p, (e->flags & RING_F_PARTIAL) ? "\",\"partial\":true"
					       : "\",\"partial\":false");
	if (e->priority >= 0) {
		p = put_str(p, ",\"priority\":");
		p = put_u64(p, (uint64_t)e->priority);
	}
	if (e->facility >= 0) {
		p = put_str(p, ",\"facility\":");
		p = put_u64(p, (uint64_t)e->facility);
	}
	if (e->attrs_len) {
		/* "KEY=VALUE\0KEY=VALUE": an object, keys in stored order. */
		const char *a = e->attrs, *end = e->attrs + e->attrs_len;
		bool first = true;
		p = put_str(p, ",\"attrs\":{");
		while (a < end) {
			const char *z = memchr(a, '\0', (size_t)(end - a));
			size_t l = z ? (size_t)(z - a) : (size_t)(end - a);
			const char *eq = memchr(a, '=', l);
			if (eq && eq > a) {
				if (!first)
					*p++ = ',';
				first = false;
				*p++ = '"';
				p += json_escape(p, a, (size_t)(eq - a));
				p = put_str(p, "\":\"");
				p += json_escape(p, eq + 1, l - (size_t)(eq - a) - 1);
				*p++ = '"';
			}
			a += l + 1;
		}
		*p++ = '}';
	}
	if (e->flags & RING_F_NOEOL)
		p = put_str(p, ",\"eof\":true");
	if (e->flags & RING_F_MARKER)
		p = put_str(p, ",\"marker\":true");
	p = put_str(p, "}\n");
	return (size_t)(p - out);
}

/* The escaped message gets the room the bound leaves, cut between
 * characters if it does not fit. */
static char *marker_msg(char *p, size_t room, const char *msg)
{
	char esc[JSON_ESCAPE_BOUND(256)];
	size_t n = strnlen(msg, 256);
	size_t len = json_escape(esc, msg, n);

	while (len > room) {
		n = utf8_complete_prefix(msg, n - 1);
		len = json_escape(esc, msg, n);
	}
	memcpy(p, esc, len);
	return p + len;
}

size_t record_marker_v2(char *out, uint64_t time_ns, uint64_t instance,
			const char *reason, int64_t missed, uint64_t first_seq,
			uint64_t last_seq, const char *msg)
{
	char *p = out;
	char cur[CURSOR_LEN + 1];

	cursor_format(cur, (struct cursor){ instance, last_seq });
	p = put_str(p, "{\"marker\":\"");
	p = put_str(p, reason);
	p = put_str(p, "\"");
	if (missed >= 0) {
		p = put_str(p, ",\"missed\":");
		p = put_u64(p, (uint64_t)missed);
		p = put_str(p, ",\"first_seq\":");
		p = put_u64(p, first_seq);
		p = put_str(p, ",\"last_seq\":");
		p = put_u64(p, last_seq);
	}
	p = put_str(p, ",\"cursor\":\"");
	p = put_str(p, cur);
	p = put_str(p, "\",\"time\":\"");
	p += time_format_rfc3339nano(p, time_ns);
	p = put_str(p, "\",\"source\":\"memlogd\",\"stream\":\"none\",\"msg\":\"");
	static const char tail[] = "\",\"partial\":false}\n";
	p = marker_msg(p, RECORD_MARKER_BOUND - (size_t)(p - out) -
			  (sizeof(tail) - 1), msg);
	p = put_str(p, tail);
	return (size_t)(p - out);
}

static char *text_escape(char *p, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hexd[c >> 4];
			*p++ = hexd[c & 0xf];
		} else {
			*p++ = (char)c;
		}
	}
	return p;
}

size_t record_text(char *out, uint64_t time_ns, const char *name,
		   size_t name_len, const char *msg, size_t msg_len)
{
	char *p = out;

	p += time_format_rfc3339nano(p, time_ns);
	*p++ = ';';
	p = text_escape(p, name, name_len);
	*p++ = ';';
	p = text_escape(p, msg, msg_len);
	*p++ = '\n';
	return (size_t)(p - out);
}
