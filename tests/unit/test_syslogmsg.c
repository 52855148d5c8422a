#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syslogmsg.h"

/* Parses a string literal, embedded NULs included. */
#define PARSE(lit, m) syslog_parse(lit, sizeof(lit) - 1, m)

/* want NULL: absent (s NULL, len 0); else exactly those bytes, pointing
 * into the input buffer [buf, buf + len). */
static void check_str_at(const char *what, struct syslog_str got,
			 const char *want, const char *buf, size_t len)
{
	if (!want) {
		if (got.s || got.len)
			fail_msg("%s: \"%.*s\", want absent", what, (int)got.len,
				 got.s ? got.s : "");
		return;
	}
	if (!got.s)
		fail_msg("%s: absent, want \"%s\"", what, want);
	if (got.len != strlen(want) || memcmp(got.s, want, got.len) != 0)
		fail_msg("%s: \"%.*s\", want \"%s\"", what, (int)got.len, got.s,
			 want);
	if (buf && (got.s < buf || got.s + got.len > buf + len))
		fail_msg("%s: outside the input", what);
}

#define CHECK_STR(what, got, want) check_str_at(what, got, want, NULL, 0)

struct want {
	int priority, facility, version;
	const char *timestamp, *hostname, *tag, *procid, *msgid, *sd, *msg;
};

static void parse_ok(const char *buf, size_t len, const struct want *w)
{
	struct syslog_msg m;

	memset(&m, 0x5a, sizeof(m));
	int r = syslog_parse(buf, len, &m);
	if (r != 0)
		fail_msg("\"%.*s\" refused (%d)", (int)len, buf, r);
	assert_int_equal(m.priority, w->priority);
	assert_int_equal(m.facility, w->facility);
	assert_int_equal(m.version, w->version);
	check_str_at("timestamp", m.timestamp, w->timestamp, buf, len);
	check_str_at("hostname", m.hostname, w->hostname, buf, len);
	check_str_at("tag", m.tag, w->tag, buf, len);
	check_str_at("procid", m.procid, w->procid, buf, len);
	check_str_at("msgid", m.msgid, w->msgid, buf, len);
	check_str_at("sd", m.sd, w->sd, buf, len);
	check_str_at("msg", m.msg, w->msg, buf, len);
}

#define OK(lit, ...) parse_ok(lit, sizeof(lit) - 1, &(struct want){ __VA_ARGS__ })

static void parse_bad(const char *buf, size_t len)
{
	struct syslog_msg m;

	if (syslog_parse(buf, len, &m) != -EINVAL)
		fail_msg("\"%.*s\" accepted", (int)len, buf);
}

#define BAD(lit) parse_bad(lit, sizeof(lit) - 1)

static void test_3164_glibc(void **state)
{
	/* glibc's syslog(3): LOG_USER|LOG_NOTICE, a time, tag[pid]: msg. */
	OK("<13>Nov 22 05:00:00 tag[123]: msg",
	   .priority = 5, .facility = 1, .timestamp = "Nov 22 05:00:00",
	   .tag = "tag", .procid = "123", .msg = "msg");
	/* The day padded with a space. */
	OK("<13>Nov  2 05:00:00 tag[123]: msg",
	   .priority = 5, .facility = 1, .timestamp = "Nov  2 05:00:00",
	   .tag = "tag", .procid = "123", .msg = "msg");
	/* Without a pid (logger -t x); LOG_AUTHPRIV|LOG_INFO. */
	OK("<86>Jan 10 23:59:59 sshd: Accepted publickey for root",
	   .priority = 6, .facility = 10, .timestamp = "Jan 10 23:59:59",
	   .tag = "sshd", .msg = "Accepted publickey for root");
	/* Without a time stamp (musl, some embedded clients). */
	OK("<30>dhcpcd[321]: eth0: leased 10.0.0.2",
	   .priority = 6, .facility = 3, .tag = "dhcpcd", .procid = "321",
	   .msg = "eth0: leased 10.0.0.2");
	OK("<14>tag: x", .priority = 6, .facility = 1, .tag = "tag", .msg = "x");
	/* No space after the colon; two spaces keep the second. */
	OK("<14>tag:x", .priority = 6, .facility = 1, .tag = "tag", .msg = "x");
	OK("<14>tag:  x", .priority = 6, .facility = 1, .tag = "tag", .msg = " x");
	/* An empty message; an empty pid. */
	OK("<14>tag:", .priority = 6, .facility = 1, .tag = "tag", .msg = "");
	OK("<14>tag[]: m", .priority = 6, .facility = 1, .tag = "tag",
	   .procid = "", .msg = "m");
	/* A tag of punctuation and dots. */
	OK("<14>org.example.App-2_x/y[9]: m", .priority = 6, .facility = 1,
	   .tag = "org.example.App-2_x/y", .procid = "9", .msg = "m");
	/* Every month. */
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					      "Jun", "Jul", "Aug", "Sep", "Oct",
					      "Nov", "Dec" };
	for (int i = 0; i < 12; i++) {
		char buf[64], ts[16];
		memcpy(buf, "<13>", 4);
		memcpy(buf + 4, months[i], 3);
		memcpy(buf + 7, " 31 12:34:56 t: m", 17);
		memcpy(ts, buf + 4, 15);
		ts[15] = '\0';
		parse_ok(buf, 24, &(struct want){ .priority = 5, .facility = 1,
			 .timestamp = ts, .tag = "t", .msg = "m" });
	}
}

static void test_3164_no_time(void **state)
{
	/* Not a time stamp: a wrong month, a missing space, a short one. */
	OK("<13>Foo 22 05:00:00 tag: m", .priority = 5, .facility = 1,
	   .msg = "Foo 22 05:00:00 tag: m");
	OK("<13>nov 22 05:00:00 tag: m", .priority = 5, .facility = 1,
	   .msg = "nov 22 05:00:00 tag: m");
	OK("<13>Nov 22 05:00:0 tag: m", .priority = 5, .facility = 1,
	   .msg = "Nov 22 05:00:0 tag: m");
	/* Exactly a time stamp and nothing else: no room for its space. */
	OK("<13>Nov 22 05:00:00", .priority = 5, .facility = 1,
	   .msg = "Nov 22 05:00:00");
	/* Time stamp and space, then nothing. */
	OK("<13>Nov 22 05:00:00 ", .priority = 5, .facility = 1,
	   .timestamp = "Nov 22 05:00:00", .msg = "");
}

static void test_3164_no_tag(void **state)
{
	/* No colon: no tag, the whole text is the message. */
	OK("<13>hello world", .priority = 5, .facility = 1, .msg = "hello world");
	OK("<13>Nov 22 05:00:00 just text here", .priority = 5, .facility = 1,
	   .timestamp = "Nov 22 05:00:00", .msg = "just text here");
	OK("<13>single", .priority = 5, .facility = 1, .msg = "single");
	/* An unclosed or overlong pid is no tag. */
	OK("<13>tag[12: m", .priority = 5, .facility = 1, .msg = "tag[12: m");
	OK("<13>tag[123456789012345678901234567890123]: m", .priority = 5,
	   .facility = 1, .msg = "tag[123456789012345678901234567890123]: m");
	/* Something after the pid other than ':'. */
	OK("<13>tag[1] m", .priority = 5, .facility = 1, .msg = "tag[1] m");
	/* A colon first: no tag. */
	OK("<13>: m", .priority = 5, .facility = 1, .msg = ": m");
	/* Nothing at all after the PRI. */
	OK("<13>", .priority = 5, .facility = 1, .msg = "");
}

static void test_3164_host(void **state)
{
	/* A relayed message carries the host before the tag. */
	OK("<13>Nov 22 05:00:00 myhost tag[7]: msg", .priority = 5, .facility = 1,
	   .timestamp = "Nov 22 05:00:00", .hostname = "myhost", .tag = "tag",
	   .procid = "7", .msg = "msg");
	OK("<13>HOST tag: msg", .priority = 5, .facility = 1, .hostname = "HOST",
	   .tag = "tag", .msg = "msg");
	/* A host too long to be one. */
	char buf[400];
	size_t n = 0;
	memcpy(buf, "<13>", 4);
	n = 4;
	memset(buf + n, 'h', 256);
	n += 256;
	memcpy(buf + n, " tag: m", 7);
	n += 7;
	struct syslog_msg m;
	assert_int_equal(syslog_parse(buf, n, &m), 0);
	assert_null(m.hostname.s);
	assert_null(m.tag.s);
	assert_ptr_equal(m.msg.s, buf + 4);
	assert_int_equal(m.msg.len, n - 4);
	/* 255 is a host. */
	memmove(buf + 4 + 255, buf + 4 + 256, 7);
	n--;
	assert_int_equal(syslog_parse(buf, n, &m), 0);
	assert_ptr_equal(m.hostname.s, buf + 4);
	assert_int_equal(m.hostname.len, 255);
	CHECK_STR("tag", m.tag, "tag");
	CHECK_STR("msg", m.msg, "m");
}

static void test_3164_long_tag(void **state)
{
	char buf[400];
	struct syslog_msg m;

	/* A tag of SYSLOG_TAG_MAX bytes is a tag. */
	memcpy(buf, "<13>", 4);
	memset(buf + 4, 't', SYSLOG_TAG_MAX);
	memcpy(buf + 4 + SYSLOG_TAG_MAX, "[5]: hi", 7);
	size_t n = 4 + SYSLOG_TAG_MAX + 7;
	assert_int_equal(syslog_parse(buf, n, &m), 0);
	assert_ptr_equal(m.tag.s, buf + 4);
	assert_int_equal(m.tag.len, SYSLOG_TAG_MAX);
	CHECK_STR("procid", m.procid, "5");
	CHECK_STR("msg", m.msg, "hi");

	/* One more and it is not: no tag, the whole text is the message. */
	memset(buf + 4, 't', SYSLOG_TAG_MAX + 1);
	memcpy(buf + 4 + SYSLOG_TAG_MAX + 1, "[5]: hi", 7);
	n = 4 + SYSLOG_TAG_MAX + 1 + 7;
	memset(&m, 0x5a, sizeof(m));
	assert_int_equal(syslog_parse(buf, n, &m), 0);
	assert_null(m.tag.s);
	assert_int_equal(m.tag.len, 0);
	assert_null(m.procid.s);
	assert_null(m.hostname.s);
	assert_ptr_equal(m.msg.s, buf + 4);
	assert_int_equal(m.msg.len, n - 4);
	assert_int_equal(m.priority, 5);
	assert_int_equal(m.facility, 1);

	/* The same after a time stamp, and without a pid. */
	memcpy(buf + 4, "Nov 22 05:00:00 ", 16);
	memset(buf + 20, 'u', 200);
	memcpy(buf + 220, ": x", 3);
	n = 223;
	assert_int_equal(syslog_parse(buf, n, &m), 0);
	CHECK_STR("timestamp", m.timestamp, "Nov 22 05:00:00");
	assert_null(m.tag.s);
	assert_ptr_equal(m.msg.s, buf + 20);
	assert_int_equal(m.msg.len, 203);
}

static void test_pri(void **state)
{
	OK("<0>t: m", .priority = 0, .facility = 0, .tag = "t", .msg = "m");
	OK("<7>t: m", .priority = 7, .facility = 0, .tag = "t", .msg = "m");
	OK("<8>t: m", .priority = 0, .facility = 1, .tag = "t", .msg = "m");
	OK("<191>t: m", .priority = 7, .facility = 23, .tag = "t", .msg = "m");
	OK("<184>t: m", .priority = 0, .facility = 23, .tag = "t", .msg = "m");
	OK("<013>t: m", .priority = 5, .facility = 1, .tag = "t", .msg = "m");
	BAD("<192>t: m");
	BAD("<999>t: m");
	BAD("<1000>t: m");
	BAD("<0013>t: m");
	BAD("<>t: m");
	BAD("<>");
	BAD("<");
	BAD("<13");
	BAD("<1a>t: m");
	BAD("<-1>t: m");
	BAD("< 13>t: m");
	BAD("13>t: m");
	BAD("t: m");
	BAD(" <13>t: m");
	BAD("");
	parse_bad("<13>t: m", 3);
	parse_bad("<13>t: m", 0);
}

static void test_trailing(void **state)
{
	/* Trailing newlines and NULs go (glibc sends no newline; logger and
	 * some clients do; a NUL from clients that send the C string). */
	OK("<13>t: m\n", .priority = 5, .facility = 1, .tag = "t", .msg = "m");
	OK("<13>t: m\n\n\n", .priority = 5, .facility = 1, .tag = "t", .msg = "m");
	OK("<13>t: m\0", .priority = 5, .facility = 1, .tag = "t", .msg = "m");
	OK("<13>t: m\n\0\n\0", .priority = 5, .facility = 1, .tag = "t",
	   .msg = "m");
	OK("<13>t: \n", .priority = 5, .facility = 1, .tag = "t", .msg = "");
	/* Inside the message they stay; so do other trailing bytes. */
	OK("<13>t: a\nb\tc \r", .priority = 5, .facility = 1, .tag = "t",
	   .msg = "a\nb\tc \r");
	static const char nul[] = "<13>t: a\0b\n\0";
	struct syslog_msg m;
	assert_int_equal(PARSE(nul, &m), 0);
	assert_ptr_equal(m.msg.s, nul + 7);
	assert_int_equal(m.msg.len, 3);
	assert_memory_equal(m.msg.s, "a\0b", 3);
	OK("<13>t: m\r\n", .priority = 5, .facility = 1, .tag = "t", .msg = "m\r");
	/* A UTF-8 BOM at the start of the message goes, in 3164 too. */
	OK("<13>t: \xef\xbb\xbfm\xc3\xa9", .priority = 5, .facility = 1, .tag = "t",
	   .msg = "m\xc3\xa9");
	OK("<13>t: \xef\xbb\xbf\n", .priority = 5, .facility = 1, .tag = "t",
	   .msg = "");
	OK("<13>t: \xef\xbb", .priority = 5, .facility = 1, .tag = "t",
	   .msg = "\xef\xbb");
}

static void test_5424(void **state)
{
	/* RFC 5424's example 1 (no SD), with a BOM. */
	OK("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	   "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
	   .priority = 2, .facility = 4, .version = 1,
	   .timestamp = "2003-10-11T22:14:15.003Z",
	   .hostname = "mymachine.example.com", .tag = "su", .msgid = "ID47",
	   .msg = "'su root' failed for lonvick on /dev/pts/8");
	/* logger --rfc5424 -t app -i. */
	OK("<13>1 2026-11-22T05:00:00.123456+00:00 host app 4242 - "
	   "[timeQuality tzKnown=\"1\" isSynced=\"0\"] hello world\n",
	   .priority = 5, .facility = 1, .version = 1,
	   .timestamp = "2026-11-22T05:00:00.123456+00:00", .hostname = "host",
	   .tag = "app", .procid = "4242",
	   .sd = "[timeQuality tzKnown=\"1\" isSynced=\"0\"]",
	   .msg = "hello world");
	/* Several SD elements, escapes in values. */
	OK("<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 "
	   "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	   "eventID=\"1011\"][examplePriority@32473 class=\"high\"] m",
	   .priority = 5, .facility = 20, .version = 1,
	   .timestamp = "2003-10-11T22:14:15.003Z", .hostname = "h",
	   .tag = "evntslog", .msgid = "ID47",
	   .sd = "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
		 "eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
	   .msg = "m");
	OK("<13>1 - - - - - [a x=\"q\\\"uo\\\\te\\]d ] [x\"] end",
	   .priority = 5, .facility = 1, .version = 1,
	   .sd = "[a x=\"q\\\"uo\\\\te\\]d ] [x\"]", .msg = "end");
	/* SD at the end: no message. */
	OK("<13>1 - - - - - [id a=\"b\"]", .priority = 5, .facility = 1,
	   .version = 1, .sd = "[id a=\"b\"]", .msg = "");
	OK("<13>1 - - - - - [id a=\"b\"]\n", .priority = 5, .facility = 1,
	   .version = 1, .sd = "[id a=\"b\"]", .msg = "");
	/* ... also with the trailing newlines or NULs that are dropped from
	 * any message. */
	OK("<13>1 - - - - - [id a=\"b\"]\0", .priority = 5, .facility = 1,
	   .version = 1, .sd = "[id a=\"b\"]", .msg = "");
	OK("<13>1 - - - - - -\n", .priority = 5, .facility = 1, .version = 1,
	   .msg = "");
	OK("<13>1 - - - - - -\n\0", .priority = 5, .facility = 1, .version = 1,
	   .msg = "");
	/* All nil; nil SD with and without a message. */
	OK("<13>1 - - - - - -", .priority = 5, .facility = 1, .version = 1,
	   .msg = "");
	OK("<13>1 - - - - - - ", .priority = 5, .facility = 1, .version = 1,
	   .msg = "");
	OK("<13>1 - - - - - - msg", .priority = 5, .facility = 1, .version = 1,
	   .msg = "msg");
	OK("<13>1 - - - - - - \xef\xbb\xbf", .priority = 5, .facility = 1,
	   .version = 1, .msg = "");
	OK("<13>1 - - - - - -  two", .priority = 5, .facility = 1, .version = 1,
	   .msg = " two");
	/* A '[' after the SD's space is the message's. */
	OK("<13>1 - - - - - [id] [id2]", .priority = 5, .facility = 1,
	   .version = 1, .sd = "[id]", .msg = "[id2]");
	/* A field of one byte other than '-' is a value. */
	OK("<13>1 t h a p i - m", .priority = 5, .facility = 1, .version = 1,
	   .timestamp = "t", .hostname = "h", .tag = "a", .procid = "p",
	   .msgid = "i", .msg = "m");
	/* "--" is a value, not nil. */
	OK("<13>1 -- - - - - - m", .priority = 5, .facility = 1, .version = 1,
	   .timestamp = "--", .msg = "m");
}

static void test_5424_limits(void **state)
{
	char buf[600];
	int n;
	struct syslog_msg m;

	/* HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32. */
	char *p = buf;
	p += sprintf(p, "<13>1 - ");
	memset(p, 'h', 255); p += 255; *p++ = ' ';
	memset(p, 'a', 48); p += 48; *p++ = ' ';
	memset(p, 'p', 128); p += 128; *p++ = ' ';
	memset(p, 'i', 32); p += 32; *p++ = ' ';
	p += sprintf(p, "- m");
	n = (int)(p - buf);
	assert_int_equal(syslog_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(m.hostname.len, 255);
	assert_int_equal(m.tag.len, 48);
	assert_int_equal(m.procid.len, 128);
	assert_int_equal(m.msgid.len, 32);
	CHECK_STR("msg", m.msg, "m");

	/* One more in any of them is refused. */
	static const size_t at[] = { 8, 8 + 256, 8 + 256 + 49, 8 + 256 + 49 + 129 };
	for (size_t k = 0; k < 4; k++) {
		char b2[600];
		memcpy(b2, buf, at[k]);
		b2[at[k]] = 'X';
		memcpy(b2 + at[k] + 1, buf + at[k], (size_t)n - at[k]);
		parse_bad(b2, (size_t)n + 1);
	}
}

static void test_5424_bad(void **state)
{
	/* Missing fields. */
	BAD("<13>1 ");
	BAD("<13>1 -");
	BAD("<13>1 - ");
	BAD("<13>1 - - - -");
	BAD("<13>1 - - - - -");            /* MSGID without its space */
	BAD("<13>1 - - - - - ");           /* no SD */
	BAD("<13>1 2003-10-11T22:14:15.003Z host app - -"); /* no SD */
	BAD("<13>1 2003-10-11T22:14:15.003Z host app - msg"); /* no MSGID, SD */
	/* Empty fields (two spaces). */
	BAD("<13>1  - - - - -");
	BAD("<13>1 - - - -  - -");
	/* SD neither '-' nor '[...]'. */
	BAD("<13>1 - - - - - x");
	BAD("<13>1 - - - - - -x m");
	BAD("<13>1 - - - - - x m");
	BAD("<13>1 - - - - - \"a\" m");
	/* Unterminated or followed by other than a space. */
	BAD("<13>1 - - - - - [id a=\"b\"");
	BAD("<13>1 - - - - - [id a=\"b]\"");
	BAD("<13>1 - - - - - [id a=\"b\\\"]");
	BAD("<13>1 - - - - - [id][");
	BAD("<13>1 - - - - - [id]x");
	BAD("<13>1 - - - - - [id]\n\nx");
	BAD("<13>1 - - - - - -\0x");
}

static void test_5424_not(void **state)
{
	/* "1" not followed by a space is 3164 text. */
	OK("<13>1tag: m", .priority = 5, .facility = 1, .tag = "1tag", .msg = "m");
	OK("<13>12 m", .priority = 5, .facility = 1, .msg = "12 m");
	OK("<13>1", .priority = 5, .facility = 1, .msg = "1");
	OK("<13>2 - - - - - - m", .priority = 5, .facility = 1,
	   .msg = "2 - - - - - - m");
}

/* Collects the SD params as "ID/NAME=VALUE;" (values raw). */
static size_t sd_list(const struct syslog_msg *m, char *out, size_t cap)
{
	struct syslog_sd_iter it = { 0 };
	struct syslog_str id, name, value;
	size_t n = 0, count = 0;

	while (syslog_sd_next(m, &it, &id, &name, &value)) {
		assert_true(id.s >= m->sd.s && id.s + id.len <= m->sd.s + m->sd.len);
		assert_true(name.s >= m->sd.s &&
			    name.s + name.len <= m->sd.s + m->sd.len);
		assert_true(value.s >= m->sd.s &&
			    value.s + value.len <= m->sd.s + m->sd.len);
		assert_true(n + id.len + name.len + value.len + 3 < cap);
		memcpy(out + n, id.s, id.len);
		n += id.len;
		out[n++] = '/';
		memcpy(out + n, name.s, name.len);
		n += name.len;
		out[n++] = '=';
		memcpy(out + n, value.s, value.len);
		n += value.len;
		out[n++] = ';';
		count++;
		assert_true(count < 1000);
	}
	out[n] = '\0';
	/* And it stays at the end. */
	assert_false(syslog_sd_next(m, &it, &id, &name, &value));
	return count;
}

static void sd_case(const char *in, const char *want, size_t want_count)
{
	struct syslog_msg m;
	char out[1024];

	if (syslog_parse(in, strlen(in), &m) != 0)
		fail_msg("\"%s\" refused", in);
	size_t c = sd_list(&m, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\": params \"%s\", want \"%s\"", in, out, want);
	assert_int_equal(c, want_count);
}

static void test_sd_iter(void **state)
{
	sd_case("<13>1 - - - - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] m",
		"timeQuality/tzKnown=1;timeQuality/isSynced=0;", 2);
	sd_case("<13>1 - - - - - [exampleSDID@32473 iut=\"3\" "
		"eventSource=\"Application\" eventID=\"1011\"]"
		"[examplePriority@32473 class=\"high\"]",
		"exampleSDID@32473/iut=3;exampleSDID@32473/eventSource=Application;"
		"exampleSDID@32473/eventID=1011;examplePriority@32473/class=high;", 4);
	/* Escapes stay in the raw value. */
	sd_case("<13>1 - - - - - [a x=\"q\\\"uo\\\\te\\]d ] [x\" y=\"\"] m",
		"a/x=q\\\"uo\\\\te\\]d ] [x;a/y=;", 2);
	/* Elements without params between others. */
	sd_case("<13>1 - - - - - [e1][e2 k=\"v\"][e3][e4 k=\"w\"] m",
		"e2/k=v;e4/k=w;", 2);
	sd_case("<13>1 - - - - - [only]", "", 0);
	/* No SD. */
	sd_case("<13>1 - - - - - - m", "", 0);
	sd_case("<13>t: m", "", 0);
}

/* Iterates a hand-made SD (parse_sd would refuse most of these): what
 * comes before the malformation, then false, and false again. */
static void sd_raw(const char *sd, const char *want, size_t want_count)
{
	struct syslog_msg m;
	char out[1024];

	memset(&m, 0, sizeof(m));
	m.sd = (struct syslog_str){ sd, strlen(sd) };
	size_t c = sd_list(&m, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("sd \"%s\": params \"%s\", want \"%s\"", sd, out, want);
	assert_int_equal(c, want_count);
}

static void test_sd_malformed(void **state)
{
	sd_raw("[id a=\"1\" b=2]", "id/a=1;", 1);          /* unquoted */
	sd_raw("[id a=\"1\" b]", "id/a=1;", 1);            /* no '=' */
	sd_raw("[id a=\"1\" =\"2\"]", "id/a=1;", 1);       /* no name */
	sd_raw("[id a=\"1\" b=\"2]", "id/a=1;", 1);        /* unterminated */
	sd_raw("[id a=\"1\" b=\"2\\\"]", "id/a=1;", 1);
	sd_raw("[id a=\"1\" b=", "id/a=1;", 1);
	sd_raw("[id a=\"1\" b", "id/a=1;", 1);
	sd_raw("[id a=\"1\"][", "id/a=1;", 1);             /* empty id */
	sd_raw("[id a=\"1\"][]", "id/a=1;", 1);
	sd_raw("[id a=\"1\"]x[i b=\"2\"]", "id/a=1;", 1);  /* junk between */
	sd_raw("x", "", 0);
	sd_raw("[", "", 0);
	sd_raw("[id", "", 0);
	sd_raw("[id ", "", 0);
	sd_raw("]]]", "", 0);
	sd_raw("\"", "", 0);
	sd_raw("[id a=\"", "", 0);
	sd_raw("[id a=\"\\", "", 0);
	/* A call after false does not pick up a half-parsed element: here
	 * the id `a="` is followed by a malformed param, and reading again
	 * from before it would give the name "[a". */
	sd_raw("[a=\" - b=\"c\"]", "", 0);
	sd_raw("[id a=\"1\"][a=\" - b=\"c\"]", "id/a=1;", 1);
	/* Lenient where it does not matter: spaces, a missing ']' at the
	 * very end. */
	sd_raw("[id  a=\"1\"  b=\"2\" ]", "id/a=1;id/b=2;", 2);
	sd_raw("[id a=\"1\"", "id/a=1;", 1);
	/* The iterator never reads past the SD's length. */
	static const char longer[] = "[id a=\"1\"][j b=\"2\"]";
	struct syslog_msg m;
	char out[256];
	memset(&m, 0, sizeof(m));
	m.sd = (struct syslog_str){ longer, 10 };
	assert_int_equal(sd_list(&m, out, sizeof(out)), 1);
	assert_string_equal(out, "id/a=1;");
	m.sd = (struct syslog_str){ longer, 8 };
	assert_int_equal(sd_list(&m, out, sizeof(out)), 0);
	m.sd = (struct syslog_str){ NULL, 0 };
	assert_int_equal(sd_list(&m, out, sizeof(out)), 0);
}

static void unescape_case(const char *in, const char *want)
{
	char out[256];
	size_t len = strlen(in);

	memset(out, '#', sizeof(out));
	size_t n = syslog_sd_unescape(out, in, len);
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("unescape \"%s\": \"%.*s\", want \"%s\"", in, (int)n, out,
			 want);
	assert_true(n <= len);
	/* Nothing written past it. */
	for (size_t i = n; i < sizeof(out); i++)
		assert_int_equal(out[i], '#');
}

static void test_unescape(void **state)
{
	unescape_case("", "");
	unescape_case("plain", "plain");
	unescape_case("a\\\"b", "a\"b");
	unescape_case("a\\\\b", "a\\b");
	unescape_case("a\\]b", "a]b");
	unescape_case("\\\"\\\\\\]", "\"\\]");
	/* Other backslashes are kept, as RFC 5424 says. */
	unescape_case("a\\nb", "a\\nb");
	unescape_case("\\x", "\\x");
	unescape_case("\\", "\\");
	unescape_case("ab\\", "ab\\");
	/* An escaped backslash does not escape what follows it. */
	unescape_case("\\\\\\\\", "\\\\");
	unescape_case("\\\\]", "\\]");
	/* Only len bytes: an escape cut by the end is kept. */
	char out[8];
	assert_int_equal(syslog_sd_unescape(out, "a\\\"", 2), 2);
	assert_memory_equal(out, "a\\", 2);
	assert_int_equal(syslog_sd_unescape(out, "x", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3164_glibc),
		cmocka_unit_test(test_3164_no_time),
		cmocka_unit_test(test_3164_no_tag),
		cmocka_unit_test(test_3164_host),
		cmocka_unit_test(test_3164_long_tag),
		cmocka_unit_test(test_pri),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_5424),
		cmocka_unit_test(test_5424_limits),
		cmocka_unit_test(test_5424_bad),
		cmocka_unit_test(test_5424_not),
		cmocka_unit_test(test_sd_iter),
		cmocka_unit_test(test_sd_malformed),
		cmocka_unit_test(test_unescape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
