#include "export.h"
#include "cursor.h"
#include "util.h"

#include <stdbool.h>
#include <string.h>

static char *lit(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* The text form NAME=VALUE is for values that are one line of printable
 * UTF-8; anything else (a newline, a control byte, invalid UTF-8) goes
 * in the binary-safe form, which every reader of the format takes. */
static bool plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t k = utf8_decode(s + i, n - i, NULL);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* NAME=VALUE\n, or NAME\n, u64 length, VALUE, \n. */
static char *field(char *p, const char *name, size_t nlen, const char *v,
		   size_t vlen)
{
	memcpy(p, name, nlen);
	p += nlen;
	if (plain(v, vlen)) {
		*p++ = '=';
	} else {
		*p++ = '\n';
		for (int i = 0; i < 8; i++)
			*p++ = (char)((uint64_t)vlen >> (8 * i));
	}
	if (vlen)
		memcpy(p, v, vlen);
	p += vlen;
	*p++ = '\n';
	return p;
}

static char *field_s(char *p, const char *name, const char *v, size_t vlen)
{
	return field(p, name, strlen(name), v, vlen);
}

static char *field_u(char *p, const char *name, uint64_t v)
{
	p = lit(p, name);
	*p++ = '=';
	p = u64(p, v);
	*p++ = '\n';
	return p;
}

static const char *transport(enum stream s)
{
	switch (s) {
	case STREAM_SYSLOG: return "syslog";
	case STREAM_KERNEL: return "kernel";
	case STREAM_NONE: return "driver";
	default: return "stdout";
	}
}

/* An attribute KEY=VALUE as its journal field. Names are at most 64
 * bytes of [A-Z0-9_], not starting with a digit. */
#define NAME_MAX_LEN 64
static char *attr(char *p, const char *a, size_t l, enum stream stream)
{
	const char *eq = memchr(a, '=', l);
	char name[NAME_MAX_LEN + 16];
	size_t n = 0;

	if (!eq || eq == a)
		return p;
	size_t kl = (size_t)(eq - a);
	const char *v = eq + 1;
	size_t vl = l - kl - 1;
	if (kl == 4 && !memcmp(a, "_pid", 4))
		return field_s(p, "_PID", v, vl);
	if (kl == 4 && !memcmp(a, "_uid", 4))
		return field_s(p, "_UID", v, vl);
	if (stream == STREAM_SYSLOG && kl == 3 && !memcmp(a, "pid", 3))
		return field_s(p, "SYSLOG_PID", v, vl);
	const char *prefix = stream == STREAM_KERNEL ? "_KERNEL_" : "MEMLOG_";
	n = strlen(prefix);
	memcpy(name, prefix, n);
	for (size_t i = 0; i < kl && n < NAME_MAX_LEN; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		name[n++] = (char)c;
	}
	return field(p, name, n, v, vl);
}

size_t export_entry(char *out, const struct ring_entry *e, uint64_t instance,
		    const struct record_source *src)
{
	char *p = out;
	char cur[CURSOR_LEN + 1];

	cursor_format(cur, (struct cursor){ instance, e->seq });
	p = field_u(p, "__REALTIME_TIMESTAMP", e->time_ns / 1000);
	p = field_s(p, "MESSAGE", e->msg, e->len);
	p = field_s(p, "SYSLOG_IDENTIFIER", src->name, src->name_len);
	if (e->priority >= 0)
		p = field_u(p, "PRIORITY", (uint64_t)e->priority);
	if (e->facility >= 0)
		p = field_u(p, "SYSLOG_FACILITY", (uint64_t)e->facility);
	p = lit(p, "_TRANSPORT=");
	p = lit(p, transport(src->stream));
	*p++ = '\n';
	if (e->attrs_len) {
		const char *a = e->attrs, *end = e->attrs + e->attrs_len;
		while (a < end) {
			const char *z = memchr(a, '\0', (size_t)(end - a));
			size_t l = z ? (size_t)(z - a) : (size_t)(end - a);
			p = attr(p, a, l, src->stream);
			a += l + 1;
		}
	}
	p = field_u(p, "MEMLOG_SEQ", e->seq);
	p = lit(p, "MEMLOG_CURSOR=");
	p = lit(p, cur);
	p = lit(p, "\nMEMLOG_STREAM=");
	p = lit(p, stream_name(src->stream));
	p = lit(p, (e->flags & RING_F_PARTIAL) ? "\nMEMLOG_PARTIAL=true\n"
					       : "\nMEMLOG_PARTIAL=false\n");
	if (e->flags & RING_F_NOEOL)
		p = lit(p, "MEMLOG_EOF=true\n");
	if (e->flags & RING_F_MARKER)
		p = lit(p, "MEMLOG_NOTICE=true\n");
	*p++ = '\n';
	return (size_t)(p - out);
}

size_t export_marker(char *out, uint64_t time_ns, uint64_t instance,
		     const char *reason, int64_t missed, uint64_t first_seq,
		     uint64_t last_seq, const char *msg)
{
	char *p = out;
	char cur[CURSOR_LEN + 1];

	cursor_format(cur, (struct cursor){ instance, last_seq });
	p = field_u(p, "__REALTIME_TIMESTAMP", time_ns / 1000);
	p = field_s(p, "MESSAGE", msg, strnlen(msg, 256));
	p = lit(p, "SYSLOG_IDENTIFIER=memlogd\nPRIORITY=4\n_TRANSPORT=driver\n");
	p = field_s(p, "MEMLOG_MARKER", reason, strnlen(reason, 64));
	if (missed >= 0) {
		p = field_u(p, "MEMLOG_MISSED", (uint64_t)missed);
		p = field_u(p, "MEMLOG_FIRST_SEQ", first_seq);
		p = field_u(p, "MEMLOG_LAST_SEQ", last_seq);
	}
	p = lit(p, "MEMLOG_CURSOR=");
	p = lit(p, cur);
	p = lit(p, "\nMEMLOG_STREAM=none\nMEMLOG_PARTIAL=false\n\n");
	return (size_t)(p - out);
}
