/* memlog-forward's pure parts: the RFC 5424 encoder (PRI, timestamp,
 * APP-NAME, SD escaping, MSG escaping, framing), priorities, the target
 * URL, the state file, the delivery queue and the options. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binrec.h"
#include "entry.h"
#include "fstate.h"
#include "regmsg.h"
#include "timefmt.h"
#include "options.h"
#include "pending.h"
#include "pri.h"
#include "rfc5424.h"
#include "url.h"

#define F(s) ((struct reply_field){ (s), sizeof(s) - 1 })

static const struct rfc5424_cfg cfg = {
	.hostname = "host1", .stdout_pri = 14, .stderr_pri = 11, .daemon_pri = 44,
	.facility = 1,
};

static struct fwd_entry entry(void)
{
	struct fwd_entry e = { 0 };

	e.time = F("2026-11-22T05:07:16.484369273Z");
	e.source = F("hello.out");
	e.msg = F("line one");
	e.stream = F("stdout");
	e.cursor = F("m1-90a8240469430d14-000000000000000c");
	e.seq = 12;
	e.has_seq = true;
	e.priority = e.facility = -1;
	e.missed = -1;
	return e;
}

static char *encode(const struct fwd_entry *e)
{
	struct strbuf b = { 0 };

	assert_int_equal(rfc5424_encode(&cfg, e, &b), 0);
	strbuf_addc(&b, '\0');
	return b.p;
}

static void test_whole_message(void **state)
{
	struct fwd_entry e = entry();
	char *m = encode(&e);

	assert_string_equal(m, "<14>1 2026-11-22T05:07:16.484369Z host1 hello.out - stdout "
			    "[memlog@32473 cursor=\"m1-90a8240469430d14-000000000000000c\" "
			    "seq=\"12\" source=\"hello.out\" stream=\"stdout\" "
			    "partial=\"false\"] line one");
	free(m);
}

static void test_pri(void **state)
{
	struct fwd_entry e = entry();

	assert_int_equal(rfc5424_pri(&cfg, &e), 14);
	e.stream = F("stderr");
	assert_int_equal(rfc5424_pri(&cfg, &e), 11);
	e.stream = F("none");
	assert_int_equal(rfc5424_pri(&cfg, &e), 44);
	e.stream = F("kernel");
	e.priority = 3;
	e.facility = 0;
	assert_int_equal(rfc5424_pri(&cfg, &e), 3);
	e.facility = -1; /* a priority without a facility: cfg's facility */
	assert_int_equal(rfc5424_pri(&cfg, &e), 8 + 3);
	e.priority = -1;
	e.stream = F("stdout");
	e.marker = F("lagged");
	assert_int_equal(rfc5424_pri(&cfg, &e), 44);
}

static void test_time(void **state)
{
	char out[RFC5424_TIME_LEN + 1];

	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16.484369273Z", 30), 27);
	assert_string_equal(out, "2026-11-22T05:07:16.484369Z"); /* cut, not rounded */
	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16.999999999Z", 30), 27);
	assert_string_equal(out, "2026-11-22T05:07:16.999999Z");
	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16Z", 20), 27);
	assert_string_equal(out, "2026-11-22T05:07:16.000000Z");
	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16.5Z", 22), 27);
	assert_string_equal(out, "2026-11-22T05:07:16.500000Z");
	assert_int_equal(rfc5424_time(out, "2026-11-22 05:07:16Z", 20), 0);
	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16.Z", 21), 0);
	assert_int_equal(rfc5424_time(out, "2026-11-22T05:07:16.1234567890Z", 31), 0);
	assert_int_equal(rfc5424_time(out, "", 0), 0);
}

/* From the binary record's nanoseconds: the same text as from memlogd's
 * RFC 3339 time. */
static void test_time_ns(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"2026-11-22T05:07:16.484369273Z", "2026-11-22T05:07:16.999999999Z",
		"2026-11-22T05:07:16Z", "2026-11-22T05:07:16.5Z",
		"1970-01-01T00:00:00.000001Z", "2000-02-29T23:59:59.000000999Z",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char a[RFC5424_TIME_LEN + 1], b[RFC5424_TIME_LEN + 1];
		uint64_t ns;
		assert_int_equal(time_parse_rfc3339(texts[i], strlen(texts[i]), &ns), 0);
		assert_int_equal(rfc5424_time_ns(NULL, a, ns), RFC5424_TIME_LEN);
		assert_int_equal(rfc5424_time(b, texts[i], strlen(texts[i])),
				 RFC5424_TIME_LEN);
		assert_string_equal(a, b);
	}
}

/* With one cache over a stream of times (same second, the next, an older
 * one, a date change): the same text as without. */
static void test_time_ns_cached(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"2026-11-22T05:07:16.484369273Z", "2026-11-22T05:07:16.9Z",
		"2026-11-22T05:07:17Z", "2026-11-22T05:07:16.000001Z",
		"2026-11-22T23:59:59.999999Z", "2026-11-23T00:00:00.000002Z",
		"2026-11-23T00:00:00.5Z", "1999-12-31T23:59:59.25Z",
	};
	struct timecache tc;

	timecache_init(&tc);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char a[RFC5424_TIME_LEN + 1], b[RFC5424_TIME_LEN + 1];
		uint64_t ns;
		assert_int_equal(time_parse_rfc3339(texts[i], strlen(texts[i]), &ns), 0);
		assert_int_equal(rfc5424_time_ns(&tc, a, ns), RFC5424_TIME_LEN);
		assert_int_equal(rfc5424_time(b, texts[i], strlen(texts[i])),
				 RFC5424_TIME_LEN);
		assert_string_equal(a, b);
	}
}

/* memlogd's binary records as entries: the same message as from its JSON
 * (test_whole_message), the pid from the attributes, markers and notices
 * as markers. */
static void test_from_record(void **state)
{
	(void)state;
	static char buf[1024];
	char cur[CURSOR_LEN + 1];
	struct binstream bs;
	struct binstream_item it;
	struct fwd_entry e;
	size_t n = 0, at = 0, used;
	uint64_t ns;

	assert_int_equal(time_parse_rfc3339("2026-11-22T05:07:16.484369273Z",
					    30, &ns), 0);
	n += binrec_hello(buf + n, 0x90a8240469430d14ull);
	n += binrec_source(buf + n, 3, STREAM_STDOUT, "hello.out", 9);
	n += binrec_entry(buf + n, 12, ns, 3, 0, -1, -1, "line one", 8, NULL, 0);
	n += binrec_source(buf + n, 4, STREAM_SYSLOG, "app", 3);
	n += binrec_entry(buf + n, 13, ns, 4, BINREC_NOTICE, 3, 4, "s", 1,
			  "pid=9\0_pid=77", 13);
	n += binrec_marker(buf + n, ns, 5, 14, 18, "lagged", "lost 5");
	binstream_init(&bs);
	for (int k = 0; k < 3;) {
		assert_int_equal(binstream_next(&bs, buf + at, n - at, &it, &used), 1);
		at += used;
		if (it.type == BINREC_HELLO || it.type == BINREC_SOURCE)
			continue;
		entry_from_record(&bs, &it, &e, cur);
		char *m = encode(&e);
		if (k == 0)
			assert_string_equal(m, "<14>1 2026-11-22T05:07:16.484369Z host1 "
				"hello.out - stdout [memlog@32473 cursor=\"m1-90a8240469430d14-"
				"000000000000000c\" seq=\"12\" source=\"hello.out\" "
				"stream=\"stdout\" partial=\"false\"] line one");
		if (k == 1) {
			assert_int_equal(e.pid.len, 2);
			assert_memory_equal(e.pid.ptr, "77", 2);
			assert_memory_equal(e.marker.ptr, "notice", 6);
			assert_int_equal(rfc5424_pri(&cfg, &e), 4 * 8 + 3);
		}
		if (k == 2) {
			assert_string_equal(m, "<44>1 2026-11-22T05:07:16.484369Z host1 "
				"memlogd - none [memlog@32473 cursor=\"m1-90a8240469430d14-"
				"0000000000000012\" source=\"memlogd\" stream=\"none\" "
				"partial=\"false\" marker=\"lagged\" missed=\"5\"] lost 5");
		}
		free(m);
		k++;
	}
	binstream_free(&bs);
}

static void test_app_name(void **state)
{
	char out[RFC5424_APP_NAME_MAX + 1];
	char longname[100];

	assert_int_equal(rfc5424_token(out, 48, "a b\tc\xc3\xa9]", 8), 8);
	assert_string_equal(out, "a_b_c__]");
	assert_int_equal(rfc5424_token(out, 48, "", 0), 1);
	assert_string_equal(out, "-");
	memset(longname, 'x', sizeof(longname));
	assert_int_equal(rfc5424_token(out, 48, longname, sizeof(longname)), 48);
	assert_int_equal(strlen(out), 48);
}

static void test_sd_escaping(void **state)
{
	struct fwd_entry e = entry();
	char *m;

	e.source = F("we\"ird\\na]me");
	m = encode(&e);
	assert_non_null(strstr(m, " we\"ird\\na]me - stdout ")); /* APP-NAME: printable kept */
	assert_non_null(strstr(m, "source=\"we\\\"ird\\\\na\\]me\""));
	free(m);
}

static void test_msg_escaping(void **state)
{
	struct strbuf b = { 0 };

	rfc5424_text(&b, "a\nb\tc\x01\x7f\\\"]", 10, 0);
	strbuf_addc(&b, '\0');
	assert_string_equal(b.p, "a\\x0ab\tc\\x01\\x7f\\\"]");
	strbuf_reset(&b);
	/* invalid UTF-8: each bad byte becomes U+FFFD; valid stays. */
	rfc5424_text(&b, "\xff\xc3\xa9\xc0\xaf\xed\xa0\x80z", 9, 0);
	strbuf_addc(&b, '\0');
	assert_string_equal(b.p, "\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	strbuf_free(&b);
}

/* Each byte that needs a change, at every position of a 27-byte text
 * (so within or after the 8-byte words the encoder skips whole): changed
 * wherever it is, everything else kept. */
static void test_text_every_position(void **state)
{
	static const struct { const char *in; size_t len; const char *msg, *sd; } cases[] = {
		{ "\x01", 1, "\\x01", "\\x01" },
		{ "\n", 1, "\\x0a", "\\x0a" },
		{ "\x7f", 1, "\\x7f", "\\x7f" },
		{ "\t", 1, "\t", "\t" },
		{ "\"", 1, "\"", "\\\"" },
		{ "\\", 1, "\\", "\\\\" },
		{ "]", 1, "]", "\\]" },
		{ "\xc3\xa9", 2, "\xc3\xa9", "\xc3\xa9" },
		{ "\xff", 1, "\xef\xbf\xbd", "\xef\xbf\xbd" },
		{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	const char *fill = "abcdefghijklmnopqrstuvwxyz0";
	struct strbuf b = { 0 };

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t at = 0; at + cases[c].len <= 27; at++) {
			for (int sd = 0; sd <= 1; sd++) {
				char in[27], want[64];
				const char *esc = sd ? cases[c].sd : cases[c].msg;
				size_t tail = 27 - at - cases[c].len;

				memcpy(in, fill, at);
				memcpy(in + at, cases[c].in, cases[c].len);
				memcpy(in + at + cases[c].len, fill + at + cases[c].len, tail);
				snprintf(want, sizeof(want), "%.*s%s%.*s", (int)at, fill, esc,
					 (int)tail, fill + at + cases[c].len);
				strbuf_reset(&b);
				rfc5424_text(&b, in, 27, sd);
				strbuf_addc(&b, '\0');
				assert_string_equal(b.p, want);
			}
		}
	}
	strbuf_free(&b);
}

static void test_marker_and_empty(void **state)
{
	struct fwd_entry e = entry();
	char *m;

	e.source = F("memlogd");
	e.stream = F("none");
	e.msg = F("memlogd: 5731 entries were overwritten");
	e.marker = F("lagged");
	e.missed = 5731;
	e.pid = F("42");
	m = encode(&e);
	assert_non_null(strstr(m, "<44>1 "));
	assert_non_null(strstr(m, " memlogd 42 none "));
	assert_non_null(strstr(m, " marker=\"lagged\" missed=\"5731\"] memlogd: 5731"));
	free(m);
	e = entry();
	e.msg = F("");
	e.time = F("garbage");
	e.partial = true;
	m = encode(&e);
	assert_non_null(strstr(m, "<14>1 - host1 "));
	assert_non_null(strstr(m, "partial=\"true\"]"));
	assert_int_equal(m[strlen(m) - 1], ']'); /* no MSG, no trailing space */
	free(m);
}

static void test_frame(void **state)
{
	struct strbuf b = { 0 };

	assert_int_equal(rfc5424_frame(&b, "<14>1 x", 7), 0);
	assert_int_equal(rfc5424_frame(&b, "", 0), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.p, "7 <14>1 x0 ", 11);
	strbuf_free(&b);
}

static void test_pri_parse(void **state)
{
	assert_int_equal(pri_parse("user.info", 9), 14);
	assert_int_equal(pri_parse("user.err", 8), 11);
	assert_int_equal(pri_parse("LOCAL7.debug", 12), 191);
	assert_int_equal(pri_parse("kern.emerg", 10), 0);
	assert_int_equal(pri_parse("daemon.warn", 11), 28);
	assert_int_equal(pri_parse("191", 3), 191);
	assert_int_equal(pri_parse("192", 3), -EINVAL);
	assert_int_equal(pri_parse("user.", 5), -EINVAL);
	assert_int_equal(pri_parse("usr.info", 8), -EINVAL);
	assert_int_equal(pri_parse("", 0), -EINVAL);
	assert_int_equal(pri_parse_severity("7", 1), 7);
	assert_int_equal(pri_parse_severity("8", 1), -EINVAL);
}

static void test_url(void **state)
{
	struct url u;
	const char *why;

	assert_int_equal(url_parse("tcp://127.0.0.1:514", 19, &u, &why), 0);
	assert_int_equal(u.scheme, URL_TCP);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "514");
	assert_true(u.is_ip);
	assert_int_equal(url_parse("RELP://logs.example.com:2514", 28, &u, &why), 0);
	assert_int_equal(u.scheme, URL_RELP);
	assert_string_equal(u.host, "logs.example.com");
	assert_false(u.is_ip);
	assert_int_equal(url_parse("relps://logs.example.com:2514", 29, &u, &why), 0);
	assert_int_equal(u.scheme, URL_RELPS);
	assert_string_equal(url_scheme_name(u.scheme), "relps");
	assert_int_equal(url_parse("udp://10.0.0.1:514", 18, &u, &why), 0);
	assert_int_equal(u.scheme, URL_UDP);
	assert_string_equal(url_scheme_name(u.scheme), "udp");
	assert_int_equal(url_parse("tls://[::1]:6514", 16, &u, &why), 0);
	assert_int_equal(u.scheme, URL_TLS);
	assert_string_equal(u.host, "::1");
	assert_true(u.is_ip);
	static const char *const bad[] = {
		"tcp://host", "tcp://host:", "tcp://host:0", "tcp://host:65536",
		"tcp://:514", "udpx://host:514", "tcp:/host:514", "host:514",
		"tcp://[::1:514", "tcp://[zz]:514", "tcp://ho st:514", "tcp://a/b:514",
		"tcp://host:51a", "tcp://::1:514",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(url_parse(bad[i], strlen(bad[i]), &u, &why), -EINVAL);
}

static void test_state_parse(void **state)
{
	char cur[CURSOR_TEXT_MAX + 1], text[FSTATE_FORMAT_MAX];
	const char *why;
	int n;

	n = fstate_format(text, "m1-90a8240469430d14-000000000000000c");
	assert_true(n > 0);
	assert_int_equal(fstate_parse(text, (size_t)n, cur, &why), 0);
	assert_string_equal(cur, "m1-90a8240469430d14-000000000000000c");
	n = fstate_format(text, "");
	assert_int_equal(fstate_parse(text, (size_t)n, cur, &why), 0);
	assert_string_equal(cur, "");
	assert_int_equal(fstate_format(text, "bad cursor"), -EINVAL);
	static const char *const bad[] = {
		"", "memlog-forward-state 1\n", "memlog-forward-state 2\nend\n",
		"memlog-forward-state 1\ncursor \nend\n",
		"memlog-forward-state 1\ncursor a b\nend\n",
		"memlog-forward-state 1\nend", "memlog-forward-state 1\nend\nx\n",
		"memlog-forward-state 1\nfile x\nend\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fstate_parse(bad[i], strlen(bad[i]), cur, &why), -EINVAL);
}

/* A cursor damaged in the file (one bad hex digit, cut, upper case) is
 * refused at load, as memlogd would refuse it in "after=": the state is
 * then said to be damaged instead of being sent to memlogd forever. */
static void test_state_damaged_cursor(void **state)
{
	char cur[CURSOR_TEXT_MAX + 1], text[FSTATE_FORMAT_MAX];
	const char *why;
	static const char *const damaged[] = {
		"m1-90a8240469430d1g-000000000000000c", /* g */
		"m1-90a8240469430d14-00000000000000x0",
		"m1-90A8240469430D14-000000000000000C", /* memlogd writes lower case */
		"m1-90a8240469430d14-000000000000000",  /* one digit short */
		"m1-90a8240469430d14-000000000000000c0",
		"m1-90a8240469430d14+000000000000000c",
		"m2-90a8240469430d14-000000000000000c",
		"opaque-but-printable",
	};

	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		int n = snprintf(text, sizeof(text), "memlog-forward-state 1\ncursor %s\nend\n",
				 damaged[i]);

		why = NULL;
		assert_int_equal(fstate_parse(text, (size_t)n, cur, &why), -EINVAL);
		assert_non_null(why);
		assert_int_equal(fstate_format(text, damaged[i]), -EINVAL);
		assert_false(fstate_cursor_ok(damaged[i], strlen(damaged[i])));
	}
	assert_true(fstate_cursor_ok("m1-90a8240469430d14-000000000000000c", 36));
}

static void test_state_save_load(void **state)
{
	char dir[] = "/tmp/fwd-state-XXXXXX", path[64], tmp[80], cur[CURSOR_TEXT_MAX + 1];
	const char *op, *why;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	assert_int_equal(fstate_load(path, cur, &why), 0);
	assert_int_equal(fstate_save(path, "m1-0000000000000001-0000000000000002", &op), 0);
	assert_int_equal(fstate_load(path, cur, &why), 1);
	assert_string_equal(cur, "m1-0000000000000001-0000000000000002");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed away */
	unlink(path);
	rmdir(dir);
}

static void test_pending(void **state)
{
	struct pending p;
	char cur[CURSOR_TEXT_MAX + 1] = "none";
	char c[16];
	size_t ns;

	pending_init(&p);
	assert_int_equal(pending_push(&p, 0, false, "skip0"), 0);
	for (int i = 1; i <= 200; i++) {
		snprintf(c, sizeof(c), "c%d", i);
		assert_int_equal(pending_push(&p, (uint64_t)i * 10, true, c), 0);
	}
	assert_int_equal(pending_push(&p, 2000, false, "skip"), 0);
	assert_int_equal(pending_pop(&p, 0, cur, &ns), 1);
	assert_string_equal(cur, "skip0");
	assert_int_equal(ns, 0);
	assert_int_equal(pending_pop(&p, 9, cur, &ns), 0);
	assert_string_equal(cur, "skip0");
	assert_int_equal(pending_pop(&p, 35, cur, &ns), 3);
	assert_string_equal(cur, "c3");
	assert_int_equal(ns, 3);
	assert_int_equal(pending_pop(&p, 2000, cur, &ns), 198);
	assert_string_equal(cur, "skip");
	assert_int_equal(ns, 197);
	assert_int_equal(p.count, 0);
	pending_free(&p);
}

static int parse(struct fwd_opts *o, char err[OPT_ERR_MAX], ...)
{
	char *argv[32] = { "memlog-forward" };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return options_parse(o, argc, argv, err);
}

static void test_options(void **state)
{
	struct fwd_opts o;
	char err[OPT_ERR_MAX];

	assert_int_equal(parse(&o, err, "-socket", "/q", "--target", "relp://h:1",
			       "--state-file=/s", "--stderr-priority", "daemon.err",
			       "--source", "web*", "--source", "a b%", "--priority", "2..err",
			       NULL), 0);
	assert_string_equal(o.socket, "/q");
	assert_int_equal(o.target.scheme, URL_RELP);
	assert_string_equal(o.state_file, "/s");
	assert_int_equal(o.stderr_pri, 27);
	assert_int_equal(o.stdout_pri, 14);
	assert_string_equal(o.params, " source=web* source=a%20b%25");
	assert_int_equal(o.sev_min, 2);
	assert_int_equal(o.sev_max, 3);
	assert_int_equal(parse(&o, err, "--target", "tcp://h:1", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "tcp://h:1", "--state-file", "s",
			       "--tls-ca", "x", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "tls://h:1", "--state-file", "s",
			       "--tls-cert", "x", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "tcp://h:1", "--state-file", "s",
			       "--priority", "5..2", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "tcp://h:1", "--state-file", "s",
			       "--bogus", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", NULL), -EINVAL);
	/* relps: the --tls options apply; an address needs a name to check. */
	assert_int_equal(parse(&o, err, "--target", "relps://h:1", "--state-file", "s",
			       "--tls-ca", "c", "--tls-cert", "x", "--tls-key", "k", NULL), 0);
	assert_int_equal(o.target.scheme, URL_RELPS);
	assert_int_equal(parse(&o, err, "--target", "relps://127.0.0.1:1", "--state-file",
			       "s", NULL), -EINVAL);
	assert_non_null(strstr(err, "--tls-server-name"));
	assert_int_equal(parse(&o, err, "--target", "relps://127.0.0.1:1", "--state-file",
			       "s", "--tls-server-name", "h", NULL), 0);
	assert_int_equal(parse(&o, err, "--target", "relp://h:1", "--state-file", "s",
			       "--tls-ca", "c", NULL), -EINVAL);
	/* udp: --udp-max 480-65507, default 2048, only with udp://. */
	assert_int_equal(parse(&o, err, "--target", "udp://h:1", "--state-file", "s", NULL), 0);
	assert_int_equal(o.udp_max, 2048);
	assert_int_equal(parse(&o, err, "--target", "udp://h:1", "--state-file", "s",
			       "--udp-max", "480", NULL), 0);
	assert_int_equal(o.udp_max, 480);
	assert_int_equal(parse(&o, err, "--target", "udp://h:1", "--state-file", "s",
			       "--udp-max", "479", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "udp://h:1", "--state-file", "s",
			       "--udp-max", "65508", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "tcp://h:1", "--state-file", "s",
			       "--udp-max", "1000", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--target", "udp://h:1", "--state-file", "s",
			       "--tls-ca", "c", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--help", NULL), 0);
	assert_true(o.help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_message),
		cmocka_unit_test(test_pri),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_ns),
		cmocka_unit_test(test_time_ns_cached),
		cmocka_unit_test(test_from_record),
		cmocka_unit_test(test_app_name),
		cmocka_unit_test(test_sd_escaping),
		cmocka_unit_test(test_msg_escaping),
		cmocka_unit_test(test_text_every_position),
		cmocka_unit_test(test_marker_and_empty),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_pri_parse),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_state_parse),
		cmocka_unit_test(test_state_damaged_cursor),
		cmocka_unit_test(test_state_save_load),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
