/* libFuzzer target: syslog_parse() on any datagram. Checks that every
 * string it returns is absent or inside the input, that the fields obey
 * their limits, that the structured data iterates to its end (each step
 * moving on, every part inside the SD) and that unescaping never writes
 * more than it reads. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslogmsg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_in(struct syslog_str s, const char *buf, size_t len)
{
	if (!s.s) {
		CHECK(s.len == 0);
		return;
	}
	CHECK(s.s >= buf && s.s <= buf + len);
	CHECK(s.len <= (size_t)(buf + len - s.s));
}

static void check_unescape(const char *v, size_t len)
{
	/* Exactly len bytes: ASan sees any write past them. */
	char *out = malloc(len ? len : 1);

	CHECK(out);
	size_t n = syslog_sd_unescape(out, v, len);
	CHECK(n <= len);
	/* Each escape drops one byte: no more than half can go. */
	CHECK(n >= len - len / 2);
	if (!memchr(v, '\\', len))
		CHECK(n == len && !memcmp(out, v, len));
	free(out);
}

static void check_sd(const struct syslog_msg *m)
{
	struct syslog_sd_iter it = { 0 };
	struct syslog_str id, name, value;
	size_t prev = 0, n = 0;

	while (syslog_sd_next(m, &it, &id, &name, &value)) {
		CHECK(m->sd.s);
		CHECK(it.pos > prev && it.pos <= m->sd.len);
		prev = it.pos;
		check_in(id, m->sd.s, m->sd.len);
		check_in(name, m->sd.s, m->sd.len);
		check_in(value, m->sd.s, m->sd.len);
		CHECK(id.s && id.len > 0 && id.s[-1] == '[');
		CHECK(!memchr(id.s, ' ', id.len) && !memchr(id.s, ']', id.len));
		CHECK(name.s && name.len > 0);
		CHECK(!memchr(name.s, '=', name.len));
		CHECK(!memchr(name.s, ' ', name.len));
		CHECK(!memchr(name.s, ']', name.len));
		CHECK(value.s && value.s[-1] == '"' && value.s[-2] == '=');
		CHECK(value.s + value.len < m->sd.s + m->sd.len);
		CHECK(value.s[value.len] == '"');
		check_unescape(value.s, value.len);
		CHECK(++n <= m->sd.len);
	}
	/* The end stays the end. */
	CHECK(!syslog_sd_next(m, &it, &id, &name, &value));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct syslog_msg m;
	int r = syslog_parse(buf, size, &m);

	check_unescape(buf, size);
	if (r != 0) {
		CHECK(r == -EINVAL);
		return 0;
	}
	CHECK(size >= 3 && buf[0] == '<');
	CHECK(m.priority >= 0 && m.priority <= 7);
	CHECK(m.facility >= 0 && m.facility <= 23);
	CHECK(m.version == 0 || m.version == 1);
	check_in(m.timestamp, buf, size);
	check_in(m.hostname, buf, size);
	check_in(m.tag, buf, size);
	check_in(m.procid, buf, size);
	check_in(m.msgid, buf, size);
	check_in(m.sd, buf, size);
	check_in(m.msg, buf, size);
	CHECK(m.msg.s);
	if (m.msg.len)
		CHECK(m.msg.s[m.msg.len - 1] != '\n' &&
		      m.msg.s[m.msg.len - 1] != '\0');
	if (m.version == 0) {
		CHECK(!m.msgid.s && !m.sd.s);
		CHECK(!m.timestamp.s || m.timestamp.len == 15);
		CHECK(m.tag.len <= SYSLOG_TAG_MAX);
		if (m.tag.s) {
			CHECK(m.tag.len > 0);
			CHECK(!memchr(m.tag.s, ':', m.tag.len));
			CHECK(!memchr(m.tag.s, ' ', m.tag.len));
		}
		if (m.procid.s)
			CHECK(m.tag.s && m.procid.len <= 32);
		if (m.hostname.s)
			CHECK(m.tag.s && m.hostname.len > 0 && m.hostname.len <= 255);
	} else {
		CHECK(m.timestamp.len <= 64 && m.hostname.len <= 255 &&
		      m.tag.len <= 48 && m.procid.len <= 128 &&
		      m.msgid.len <= 32);
		const struct syslog_str f[] = { m.timestamp, m.hostname, m.tag,
						m.procid, m.msgid };
		for (size_t i = 0; i < 5; i++)
			if (f[i].s)
				CHECK(f[i].len > 0 && !memchr(f[i].s, ' ', f[i].len));
		if (m.sd.s)
			CHECK(m.sd.len >= 2 && m.sd.s[0] == '[' &&
			      m.sd.s[m.sd.len - 1] == ']');
		/* The message starts after the header (and its space). */
		const char *hend = m.sd.s ? m.sd.s + m.sd.len : NULL;
		if (hend)
			CHECK(m.msg.s >= hend);
	}
	check_sd(&m);
	return 0;
}
