/* libFuzzer target: the RFC 5424 encoder and octet-counting framing on
 * entries made of arbitrary bytes. The input is split at NUL bytes into
 * source, msg, time, pid and stream; the message must then parse back:
 * PRI 0-191, VERSION 1, TIMESTAMP "-" or exactly YYYY-MM-DDTHH:MM:SS.ffffffZ,
 * header fields of printable US-ASCII within their RFC 5424 lengths
 * (HOSTNAME <= 255, APP-NAME <= 48, PROCID <= 128, MSGID <= 32), one SD
 * element "memlog@32473" whose PARAM-NAMEs are SD-NAMEs (1-32 printable
 * US-ASCII other than '=', ' ', ']', '"') and whose PARAM-VALUEs escape
 * exactly '"', '\' and ']' (any other '\' is the encoder's documented
 * \xNN for a control character, lower-case hex) and are valid UTF-8
 * without controls, the source value unescaping to exactly the source
 * given, a MSG of valid UTF-8 without control characters other than tab,
 * and a frame whose length prefix is the message's length. The
 * hostname comes from the input too (a sixth NUL-separated part). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-forward/rfc5424.c"
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

static int valid_utf8_no_controls(const char *s, size_t len);

/* TIMESTAMP: "-", or exactly YYYY-MM-DDTHH:MM:SS.ffffffZ. */
static void check_time(const char *p, const char *end)
{
	static const char layout[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	CHECK(sp);
	if (sp - p == 1 && *p == '-')
		return;
	CHECK(sp - p == RFC5424_TIME_LEN && sizeof(layout) - 1 == RFC5424_TIME_LEN);
	for (size_t i = 0; i < RFC5424_TIME_LEN; i++)
		CHECK(layout[i] == 'd' ? (p[i] >= '0' && p[i] <= '9') : p[i] == layout[i]);
}

/* SD-NAME (RFC 5424 6.3.3): 1-32 of PRINTUSASCII except '=' SP ']' '"'. */
static const char *sd_name(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p >= 33 && *p <= 126 && *p != '=' && *p != ']' && *p != '"')
		p++;
	CHECK(p > s && p - s <= 32);
	return p;
}

/* One PARAM-VALUE after its opening '"': only '"', '\' and ']' are
 * escaped; any other '\' starts the encoder's \xNN for a control
 * character (lower-case hex); no unescaped '"' or ']' inside;
 * the unescaped value is valid UTF-8 without controls (tab aside). Appends
 * it to out; returns the position after the closing '"'. */
static const char *sd_value(const char *q, const char *end, struct strbuf *out)
{
	size_t start = out->len;

	for (; q < end && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < end && q[1] == 'x') {
			/* The encoder's \xNN for a control character (the
			 * documented rule, MSG and SD alike): for RFC 5424 a
			 * backslash before anything else is a plain one, kept. */
			static const char hex[] = "0123456789abcdef";
			const char *h1, *h2;
			int c;

			CHECK(q + 3 < end && q[2] && q[3]);
			h1 = strchr(hex, q[2]);
			h2 = strchr(hex, q[3]);
			CHECK(h1 && h2);
			c = (int)(h1 - hex) * 16 + (int)(h2 - hex);
			CHECK((c < 0x20 && c != '\t') || c == 0x7f);
		} else if (*q == '\\') {
			CHECK(q + 1 < end && (q[1] == '"' || q[1] == '\\' || q[1] == ']'));
			q++;
		} else {
			CHECK(*q != ']');
		}
		strbuf_addc(out, *q);
	}
	CHECK(q < end);
	CHECK(!out->nomem);
	CHECK(out->len == start || valid_utf8_no_controls(out->p + start, out->len - start));
	return q + 1;
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
	struct reply_field parts[6] = { { 0 } };
	char host[300];
	const char *p = (const char *)data, *end = p + size, *q, *sd;
	struct rfc5424_cfg cfg = { .hostname = "h o\nst", .stdout_pri = 14,
				   .stderr_pri = 11, .daemon_pri = 44, .facility = 1 };
	struct fwd_entry e = { 0 };
	struct strbuf m = { 0 }, fr = { 0 }, src = { 0 };
	int k = 0, pri;
	char *lenend;

	for (k = 0; k < 6; k++) {
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
	if (parts[5].len) {
		size_t hl = parts[5].len < sizeof(host) - 1 ? parts[5].len : sizeof(host) - 1;

		memcpy(host, parts[5].ptr, hl);
		host[hl] = '\0';
		cfg.hostname = host;
	}
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
	check_time(p, end);
	p = field(p, end, RFC5424_TIME_LEN);       /* TIMESTAMP */
	p = field(p, end, RFC5424_HOSTNAME_MAX);
	p = field(p, end, RFC5424_APP_NAME_MAX);
	p = field(p, end, RFC5424_PROCID_MAX);
	p = field(p, end, RFC5424_MSGID_MAX);
	/* One SD element: SD-ID, then SP PARAM-NAME="PARAM-VALUE"... ']'. */
	CHECK(*p == '[');
	CHECK((size_t)(end - p) > sizeof(RFC5424_SD_ID) &&
	      !memcmp(p + 1, RFC5424_SD_ID, sizeof(RFC5424_SD_ID) - 1));
	q = p + sizeof(RFC5424_SD_ID);
	sd = NULL;
	while (q < end && *q == ' ') {
		const char *name = q + 1, *ne = sd_name(name, end);
		struct strbuf *into = &src, other = { 0 };
		bool is_source = ne - name == 6 && !memcmp(name, "source", 6);

		CHECK(ne + 1 < end && ne[0] == '=' && ne[1] == '"');
		if (is_source) {
			CHECK(!sd); /* once */
			sd = name;
		} else {
			into = &other;
		}
		q = sd_value(ne + 2, end, into);
		strbuf_free(&other);
	}
	CHECK(sd && q < end && *q == ']');
	/* The unescaped value is the source made valid text. */
	{
		struct strbuf want = { 0 };

		rfc5424_text(&want, e.source.ptr, e.source.len, 0);
		CHECK(want.len == src.len && (!want.len || !memcmp(want.p, src.p, src.len)));
		strbuf_free(&want);
	}
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
