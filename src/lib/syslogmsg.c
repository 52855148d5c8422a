#include "syslogmsg.h"

#include <errno.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* "<PRI>": 1-3 digits, at most 191 (facility 23, level 7). */
static int parse_pri(const char *p, const char *end, int *pri, const char **next)
{
	int v = 0, n = 0;

	if (p == end || *p != '<')
		return -EINVAL;
	p++;
	while (p < end && is_digit(*p) && n < 3) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || p == end || *p != '>' || v > 191)
		return -EINVAL;
	*pri = v;
	*next = p + 1;
	return 0;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "Mmm dd hh:mm:ss " (day space-padded). */
static bool is_3164_time(const char *p, const char *end)
{
	if (end - p < 16)
		return false;
	bool month = false;
	for (int i = 0; i < 12; i++)
		month |= memcmp(p, months[i], 3) == 0;
	return month && p[3] == ' ' && (p[4] == ' ' || is_digit(p[4])) &&
	       is_digit(p[5]) && p[6] == ' ' && is_digit(p[7]) &&
	       is_digit(p[8]) && p[9] == ':' && is_digit(p[10]) &&
	       is_digit(p[11]) && p[12] == ':' && is_digit(p[13]) &&
	       is_digit(p[14]) && p[15] == ' ';
}

static bool tag_char(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f && c != ':' &&
	       c != '[' && c != ']';
}

/* TAG [ "[" PID "]" ] ":" at p: sets tag/procid and the message start. */
static bool parse_tag(const char *p, const char *end, struct syslog_msg *m,
		      const char **msg)
{
	const char *t = p;

	while (p < end && tag_char(*p) && p - t < SYSLOG_TAG_MAX)
		p++;
	if (p == t || p == end)
		return false;
	const char *tend = p;
	const char *pid = NULL, *pend = NULL;
	if (*p == '[') {
		pid = ++p;
		while (p < end && *p != ']' && p - pid < 32)
			p++;
		if (p == end || *p != ']')
			return false;
		pend = p++;
	}
	if (p == end || *p != ':')
		return false;
	p++;
	if (p < end && *p == ' ')
		p++;
	m->tag = (struct syslog_str){ t, (size_t)(tend - t) };
	if (pid)
		m->procid = (struct syslog_str){ pid, (size_t)(pend - pid) };
	*msg = p;
	return true;
}

static void set_msg(struct syslog_msg *m, const char *p, const char *end)
{
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* RFC 5424's BOM */
	while (end > p && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	m->msg = (struct syslog_str){ p, (size_t)(end - p) };
}

/* One 5424 header field up to a space; "-" is absent. */
static int hfield(const char **p, const char *end, size_t max,
		  struct syslog_str *out)
{
	const char *s = *p;
	const char *sp = memchr(s, ' ', (size_t)(end - s));

	if (!sp || sp == s || (size_t)(sp - s) > max)
		return -EINVAL;
	if (sp - s == 1 && *s == '-')
		*out = (struct syslog_str){ NULL, 0 };
	else
		*out = (struct syslog_str){ s, (size_t)(sp - s) };
	*p = sp + 1;
	return 0;
}

/* STRUCTURED-DATA: "-" or one or more "[...]" with escaped values. */
static int parse_sd(const char **pp, const char *end, struct syslog_str *sd)
{
	const char *p = *pp, *s = p;

	if (p < end && *p == '-') {
		*sd = (struct syslog_str){ NULL, 0 };
		*pp = p + 1;
		return 0;
	}
	if (p == end || *p != '[')
		return -EINVAL;
	while (p < end && *p == '[') {
		bool quoted = false;
		p++;
		while (p < end) {
			if (quoted) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '"')
					quoted = false;
			} else if (*p == '"') {
				quoted = true;
			} else if (*p == ']') {
				break;
			}
			p++;
		}
		if (p == end)
			return -EINVAL;
		p++; /* ']' */
	}
	*sd = (struct syslog_str){ s, (size_t)(p - s) };
	*pp = p;
	return 0;
}

int syslog_parse(const char *buf, size_t len, struct syslog_msg *m)
{
	const char *end = buf + len, *p;
	int pri;

	memset(m, 0, sizeof(*m));
	if (parse_pri(buf, end, &pri, &p) < 0)
		return -EINVAL;
	m->priority = pri & 7;
	m->facility = pri >> 3;

	if (end - p >= 2 && p[0] == '1' && p[1] == ' ') {
		m->version = 1;
		p += 2;
		if (hfield(&p, end, 64, &m->timestamp) < 0 ||
		    hfield(&p, end, 255, &m->hostname) < 0 ||
		    hfield(&p, end, 48, &m->tag) < 0 ||
		    hfield(&p, end, 128, &m->procid) < 0 ||
		    hfield(&p, end, 32, &m->msgid) < 0)
			return -EINVAL;
		/* SD may end the message: then no space follows, only the
		 * trailing newlines or NULs that set_msg() drops. */
		if (parse_sd(&p, end, &m->sd) < 0)
			return -EINVAL;
		if (p < end && *p != ' ') {
			const char *q = p;
			while (q < end && (*q == '\n' || *q == '\0'))
				q++;
			if (q != end)
				return -EINVAL;
		}
		set_msg(m, p < end && *p == ' ' ? p + 1 : p, end);
		return 0;
	}

	if (is_3164_time(p, end)) {
		m->timestamp = (struct syslog_str){ p, 15 };
		p += 16;
	}
	const char *msg;
	if (parse_tag(p, end, m, &msg)) {
		set_msg(m, msg, end);
		return 0;
	}
	/* "HOST TAG: msg" (a relayed message)? */
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp && sp > p && sp - p <= 255 && parse_tag(sp + 1, end, m, &msg)) {
		m->hostname = (struct syslog_str){ p, (size_t)(sp - p) };
		set_msg(m, msg, end);
		return 0;
	}
	set_msg(m, p, end);
	return 0;
}

bool syslog_sd_next(const struct syslog_msg *m, struct syslog_sd_iter *it,
		    struct syslog_str *id, struct syslog_str *name,
		    struct syslog_str *value)
{
	const char *s = m->sd.s, *end, *p;

	if (!s)
		return false; /* and no arithmetic on NULL */
	end = s + m->sd.len;
	p = s + it->pos;
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		/* it->pos moves with it->id, so that a call after a false
		 * return finds the two agreeing (and fails the same way). */
		if (p < end && *p == ']') {
			p++;
			it->id.s = NULL;
			it->pos = (size_t)(p - s);
			continue;
		}
		if (p == end)
			return false;
		if (!it->id.s) {
			if (*p != '[')
				return false;
			const char *b = ++p;
			while (p < end && *p != ' ' && *p != ']')
				p++;
			if (p == end || p == b)
				return false;
			it->id = (struct syslog_str){ b, (size_t)(p - b) };
			it->pos = (size_t)(p - s);
			continue;
		}
		const char *n = p;
		while (p < end && *p != '=' && *p != ' ' && *p != ']')
			p++;
		if (p + 1 >= end || *p != '=' || p[1] != '"' || p == n)
			return false;
		*name = (struct syslog_str){ n, (size_t)(p - n) };
		p += 2;
		const char *v = p;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end)
				p++;
			p++;
		}
		if (p == end)
			return false;
		*value = (struct syslog_str){ v, (size_t)(p - v) };
		*id = it->id;
		it->pos = (size_t)(p + 1 - s);
		return true;
	}
}

size_t syslog_sd_unescape(char *out, const char *v, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len &&
		    (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']'))
			i++;
		out[n++] = v[i];
	}
	return n;
}
