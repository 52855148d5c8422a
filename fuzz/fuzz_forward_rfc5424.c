/* libFuzzer target: the RFC 5424 encoder and octet-counting framing on
 * entries made of arbitrary bytes. The input is split at NUL bytes into
 * source, msg, time, pid and stream; the message must then parse back:
 * PRI 0-191, VERSION 1, header fields of printable US-ASCII within their
 * RFC 5424 lengths (APP-NAME <= 48), one SD element whose param values
 * unescape to exactly the source given, a MSG of valid UTF-8 without
 * control characters other than tab, and a frame whose length prefix is
 * the message's length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/forward/rfc5424.c"
#include "../tests/common/utf8ref.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next space-terminated header field; checks its bytes. */
static const char *field(const char *p, const char *end, size_t max)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	CHECK(sp && sp > p && (size_t)(sp - p) <= max);
	for (const char *q = p; q < sp; q++)
		CHECK(*q >= 33 && *q <= 126);
	return sp + 1;
}

static int valid_utf8_no_controls(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		/* An independent decoder: the encoder's own would agree with
		 * itself whatever it got wrong. */
		size_t n = utf8ref_seq((const unsigned char *)s + i, len - i, &cp);

		if (n == 0 || (n == 1 && ((c < 0x20 && c != '\t') || c == 0x7f)))
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_field parts[5] = { { 0 } };
	const char *p = (const char *)data, *end = p + size, *q, *sd;
	struct rfc5424_cfg cfg = { .hostname = "h o\nst", .stdout_pri = 14,
				   .stderr_pri = 11, .daemon_pri = 44, .facility = 1 };
	struct fwd_entry e = { 0 };
	struct strbuf m = { 0 }, fr = { 0 }, src = { 0 };
	int k = 0, pri;
	char *lenend;

	for (k = 0; k < 5; k++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		parts[k].ptr = p;
		parts[k].len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		p = nul ? nul + 1 : end;
	}
	e.source = parts[0];
	e.msg = parts[1];
	e.time = parts[2];
	e.pid = parts[3];
	e.stream = parts[4];
	e.cursor = (struct reply_field){ "m1-1-2", 6 };
	e.priority = size ? (int)(data[0] % 9) - 1 : -1;
	e.facility = size > 1 ? (int)(data[1] % 25) - 1 : -1;
	e.missed = -1;
	e.has_seq = true;
	e.seq = size;
	if (rfc5424_encode(&cfg, &e, &m) < 0)
		return 0;
	/* NUL-terminated for strtol and strstr; not part of the message. */
	strbuf_addc(&m, '\0');
	CHECK(!m.nomem);
	m.len--;
	CHECK(memchr(m.p, '\0', m.len) == NULL);

	/* PRI and VERSION */
	CHECK(m.len > 4 && m.p[0] == '<');
	pri = (int)strtol(m.p + 1, &lenend, 10);
	CHECK(pri >= 0 && pri <= 191 && *lenend == '>');
	CHECK(!strncmp(lenend, ">1 ", 3));
	p = lenend + 3;
	end = m.p + m.len;
	p = field(p, end, RFC5424_TIME_LEN);       /* TIMESTAMP */
	p = field(p, end, RFC5424_HOSTNAME_MAX);
	p = field(p, end, RFC5424_APP_NAME_MAX);
	p = field(p, end, RFC5424_PROCID_MAX);
	p = field(p, end, RFC5424_MSGID_MAX);
	/* One SD element: walk it, unescaping, until the unescaped ']'. */
	CHECK(*p == '[');
	sd = strstr(p, " source=\"");
	CHECK(sd);
	for (q = sd + 9; q < end && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < end && (q[1] == '"' || q[1] == '\\' || q[1] == ']'))
			q++;
		else
			CHECK(*q != ']');
		strbuf_addc(&src, *q);
	}
	CHECK(q < end);
	/* The unescaped value is the source made valid text. */
	{
		struct strbuf want = { 0 };

		rfc5424_text(&want, e.source.ptr, e.source.len, 0);
		CHECK(want.len == src.len && (!want.len || !memcmp(want.p, src.p, src.len)));
		strbuf_free(&want);
	}
	for (; q < end; q++) {
		if (*q == '\\') {
			q++;
			continue;
		}
		if (*q == ']')
			break;
	}
	CHECK(q < end);
	q++;
	if (q < end) {
		CHECK(*q == ' ');
		CHECK(valid_utf8_no_controls(q + 1, (size_t)(end - q - 1)));
	} else {
		CHECK(e.msg.len == 0);
	}
	/* Framing: "LEN SP" then exactly LEN bytes. */
	CHECK(rfc5424_frame(&fr, m.p, m.len) == 0);
	strbuf_addc(&fr, '\0');
	CHECK(!fr.nomem);
	fr.len--;
	CHECK(strtoull(fr.p, &lenend, 10) == m.len && *lenend == ' ');
	CHECK((size_t)(lenend + 1 - fr.p) + m.len == fr.len);
	CHECK(!memcmp(lenend + 1, m.p, m.len));
	strbuf_free(&m);
	strbuf_free(&fr);
	strbuf_free(&src);
	return 0;
}
