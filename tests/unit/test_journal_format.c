/* memlog-journal's output formats (src/memlog-journal/format.c): short,
 * short-iso, cat and json, with journalctl's rules for IDENT and PID, for
 * what is printed as a string or as bytes, and for fields present more than
 * once. (itest_journal_systemd compares json with journalctl's own output
 * for every entry of a real journal.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "format.h"

#define F(k, v) { k, sizeof(k) - 1, v, sizeof(v) - 1, false }

static char *fmt(enum jformat f, const struct jfield *fields, size_t n,
		 const char *cursor)
{
	struct jbuf b = { 0 };
	struct jentry e = {
		.fields = fields, .nfields = n,
		.realtime_us = 1765101759123456ull, .monotonic_us = 42,
		.boot_id = "0123456789abcdef0123456789abcdef", .cursor = cursor,
	};
	int r = jformat_entry(&b, f, &e);
	assert_true(r >= 0);
	assert_int_equal((size_t)r, b.len);
	assert_int_equal(jbuf_add(&b, "", 1), 0);
	return b.p;
}

static void expect(enum jformat f, const struct jfield *fields, size_t n,
		   const char *want)
{
	char *s = fmt(f, fields, n, NULL);
	assert_string_equal(s, want);
	free(s);
}

static void test_parse_names(void **state)
{
	enum jformat f;
	(void)state;
	assert_int_equal(jformat_parse("short", &f), 0);
	assert_int_equal(f, JFORMAT_SHORT);
	assert_int_equal(jformat_parse("short-iso", &f), 0);
	assert_int_equal(f, JFORMAT_SHORT_ISO);
	assert_int_equal(jformat_parse("cat", &f), 0);
	assert_int_equal(jformat_parse("json", &f), 0);
	assert_int_equal(f, JFORMAT_JSON);
	assert_int_equal(jformat_parse("verbose", &f), -EINVAL);
	assert_int_equal(jformat_parse("", &f), -EINVAL);
	assert_string_equal(jformat_name(JFORMAT_SHORT_ISO), "short-iso");
}

static void test_short(void **state)
{
	(void)state;
	const struct jfield a[] = { F("_PID", "812"), F("_COMM", "nginx"),
				    F("SYSLOG_IDENTIFIER", "web"),
				    F("MESSAGE", "GET / 200") };
	expect(JFORMAT_SHORT, a, 4, "web[812]: GET / 200\n");
	/* No identifier: _COMM; SYSLOG_PID when there is no _PID. */
	const struct jfield b[] = { F("SYSLOG_PID", "7"), F("_COMM", "cron"),
				    F("MESSAGE", "x") };
	expect(JFORMAT_SHORT, b, 3, "cron[7]: x\n");
	/* Neither: "unknown", no [PID]. */
	const struct jfield c[] = { F("MESSAGE", "x") };
	expect(JFORMAT_SHORT, c, 1, "unknown: x\n");
	/* An identifier that cannot be shown is passed over, as journalctl
	 * does without --all: no line can be forged through it. */
	const struct jfield d[] = { F("SYSLOG_IDENTIFIER", "a\nb"),
				    F("_COMM", "sh"), F("_PID", "1x"),
				    F("MESSAGE", "m") };
	expect(JFORMAT_SHORT, d, 4, "sh: m\n");
	/* An empty message still is a line. */
	const struct jfield e[] = { F("SYSLOG_IDENTIFIER", "t"), F("MESSAGE", "") };
	expect(JFORMAT_SHORT, e, 2, "t: \n");
}

static void test_short_multiline(void **state)
{
	(void)state;
	const struct jfield a[] = { F("SYSLOG_IDENTIFIER", "app"), F("_PID", "9"),
				    F("MESSAGE", "one\ntwo\n\nfour\n") };
	expect(JFORMAT_SHORT, a, 3,
	       "app[9]: one\n        two\n        \n        four\n");
	expect(JFORMAT_CAT, a, 3, "one\ntwo\n\nfour\n\n");
}

static void test_no_message(void **state)
{
	(void)state;
	const struct jfield a[] = { F("SYSLOG_IDENTIFIER", "app"),
				    F("CODE_LINE", "1") };
	expect(JFORMAT_SHORT, a, 2, "");
	expect(JFORMAT_SHORT_ISO, a, 2, "");
	expect(JFORMAT_CAT, a, 2, "");
	char *j = fmt(JFORMAT_JSON, a, 2, NULL);
	assert_non_null(strstr(j, "\"CODE_LINE\":\"1\""));
	free(j);
}

static void test_cat_bytes(void **state)
{
	(void)state;
	const struct jfield a[] = { { "MESSAGE", 7, "a\0b\xff", 4, false } };
	char *s = fmt(JFORMAT_CAT, a, 1, NULL);
	assert_memory_equal(s, "a\0b\xff\n", 5);
	free(s);
}

static void test_short_iso(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	const struct jfield a[] = { F("SYSLOG_IDENTIFIER", "t"), F("MESSAGE", "m") };
	/* 1765101759 = 2025-12-07T10:02:39Z */
	expect(JFORMAT_SHORT_ISO, a, 2, "2025-12-07T10:02:39+0000 t: m\n");
	/* The sender's own time when it has one. */
	const struct jfield b[] = { F("_SOURCE_REALTIME_TIMESTAMP", "1000000"),
				    F("SYSLOG_IDENTIFIER", "t"), F("MESSAGE", "m\nn") };
	expect(JFORMAT_SHORT_ISO, b, 3,
	       "1970-01-01T00:00:01+0000 t: m\n                            n\n");
	setenv("TZ", "CET-1", 1);
	tzset();
	expect(JFORMAT_SHORT_ISO, a, 2, "2025-12-07T11:02:39+0100 t: m\n");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_json(void **state)
{
	(void)state;
	const struct jfield a[] = {
		F("MESSAGE", "say \"hi\"\t<b>\n"),
		F("_BOOT_ID", "ffffffffffffffffffffffffffffffff"),
		F("TAG", "a"), F("BIN", "\x01x"), F("TAG", "b"),
		F("UTF8", "\xc3\xa9t\xc3\xa9"), F("TAG", "\xff"),
	};
	char *s = fmt(JFORMAT_JSON, a, 7,
		      "s=0123456789abcdef0123456789abcdef;i=2a;b=0123456789"
		      "abcdef0123456789abcdef;m=2a;t=6460e6a7a1e00;x=1");
	assert_string_equal(s,
		"{\"__CURSOR\":\"s=0123456789abcdef0123456789abcdef;i=2a;"
		"b=0123456789abcdef0123456789abcdef;m=2a;t=6460e6a7a1e00;x=1\","
		"\"__REALTIME_TIMESTAMP\":\"1765101759123456\","
		"\"__MONOTONIC_TIMESTAMP\":\"42\","
		"\"_BOOT_ID\":\"0123456789abcdef0123456789abcdef\","
		"\"__SEQNUM\":\"42\","
		"\"__SEQNUM_ID\":\"0123456789abcdef0123456789abcdef\","
		"\"MESSAGE\":\"say \\\"hi\\\"\\t\\u003cb\\u003e\\n\","
		"\"TAG\":[\"a\",\"b\",[255]],"
		"\"BIN\":[1,120],"
		"\"UTF8\":\"\xc3\xa9t\xc3\xa9\"}\n");
	free(s);
	/* A marker has no cursor, and so no sequence number. */
	const struct jfield m[] = { F("MESSAGE", "lost") };
	s = fmt(JFORMAT_JSON, m, 1, NULL);
	assert_null(strstr(s, "__CURSOR"));
	assert_null(strstr(s, "__SEQNUM"));
	free(s);
}

static void test_printable(void **state)
{
	(void)state;
	assert_true(jformat_printable("a\tb\nc", 5, true));
	assert_false(jformat_printable("a\nb", 3, false));
	assert_false(jformat_printable("a\rb", 3, true));
	assert_false(jformat_printable("\x7f", 1, true));
	assert_false(jformat_printable("\xc2\x85", 2, true));  /* C1 */
	assert_false(jformat_printable("\xef\xbf\xbe", 3, true)); /* U+FFFE */
	assert_false(jformat_printable("\xef\xb7\x90", 3, true)); /* U+FDD0 */
	assert_false(jformat_printable("\xc0\xaf", 2, true));  /* overlong */
	assert_false(jformat_printable("\xed\xa0\x80", 3, true)); /* surrogate */
	assert_false(jformat_printable("\0", 1, true));
	assert_true(jformat_printable("\xf0\x9f\x98\x80", 4, true));
	assert_true(jformat_printable("", 0, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_short_multiline),
		cmocka_unit_test(test_no_message),
		cmocka_unit_test(test_cat_bytes),
		cmocka_unit_test(test_short_iso),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
