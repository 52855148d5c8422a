/* logwrite's line formats (format.c) and the parser of memlogd's v2 lines
 * that feeds them (entry.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "format.h"
#include "notice.h"

#define F(s) ((struct lw_field){ s, sizeof(s) - 1 })
#define CUR "m1-00000000000000aa-0000000000000001" /* a valid cursor */

static char *fmt(enum lw_format f, const struct lw_entry *e, size_t *len)
{
	size_t bound = format_bound(f, e);
	char *out = malloc(bound + 1);

	assert_non_null(out);
	*len = format_entry(f, e, out);
	assert_true(*len <= bound);
	out[*len] = '\0';
	return out;
}

static struct lw_entry sample(void)
{
	struct lw_entry e = {
		.line = F("{\"seq\":3,\"cursor\":\"m1-00000000000000aa-0000000000000003\","
			  "\"msg\":\"hi\"}"),
		.cursor = F("m1-00000000000000aa-0000000000000003"),
		.time = F("2026-11-22T05:07:16.484369273Z"),
		.source = F("web.out"),
		.msg = F("hello world"),
	};
	return e;
}

static void test_text(void **state)
{
	struct lw_entry e = sample();
	size_t len;
	char *s = fmt(LW_FORMAT_TEXT, &e, &len);

	assert_string_equal(s, "2026-11-22T05:07:16.484369273Z web.out hello world\n");
	free(s);
	/* Control characters other than tab can never break the line. */
	e.source = F("a\nb");
	e.msg = F("x\ty\r\x1b[31m\0z\x7f");
	s = fmt(LW_FORMAT_TEXT, &e, &len);
	assert_int_equal(len, strlen(s));
	assert_string_equal(s, "2026-11-22T05:07:16.484369273Z a\\x0ab "
			    "x\ty\\x0d\\x1b[31m\\x00z\\x7f\n");
	free(s);
	/* A part of a split line is a line of its own. */
	e = sample();
	e.partial = true;
	s = fmt(LW_FORMAT_TEXT, &e, &len);
	assert_string_equal(s, "2026-11-22T05:07:16.484369273Z web.out hello world\n");
	free(s);
	/* Empty message. */
	e.msg = F("");
	s = fmt(LW_FORMAT_TEXT, &e, &len);
	assert_string_equal(s, "2026-11-22T05:07:16.484369273Z web.out \n");
	free(s);
}

static void test_json(void **state)
{
	struct lw_entry e = sample();
	size_t len;
	char *s = fmt(LW_FORMAT_JSON, &e, &len);

	assert_int_equal(len, e.line.len + 1);
	assert_memory_equal(s, e.line.ptr, e.line.len);
	assert_int_equal(s[len - 1], '\n');
	free(s);
}

static void test_raw(void **state)
{
	struct lw_entry e = sample();
	size_t len;
	char *s = fmt(LW_FORMAT_RAW, &e, &len);

	assert_string_equal(s, "hello world\n");
	free(s);
	/* Parts of a split line are joined again. */
	e.partial = true;
	e.msg = F("part one, ");
	s = fmt(LW_FORMAT_RAW, &e, &len);
	assert_string_equal(s, "part one, ");
	free(s);
	e.msg = F("\0bytes\x01");
	e.partial = false;
	s = fmt(LW_FORMAT_RAW, &e, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(s, "\0bytes\x01\n", 8);
	free(s);
}

static void test_format_parse(void **state)
{
	enum lw_format f = LW_FORMAT_RAW;

	assert_int_equal(format_parse("text", &f), 0);
	assert_int_equal(f, LW_FORMAT_TEXT);
	assert_int_equal(format_parse("json", &f), 0);
	assert_int_equal(f, LW_FORMAT_JSON);
	assert_int_equal(format_parse("raw", &f), 0);
	assert_int_equal(f, LW_FORMAT_RAW);
	assert_int_equal(format_parse("TEXT", &f), -EINVAL);
	assert_int_equal(format_parse("", &f), -EINVAL);
	assert_int_equal(f, LW_FORMAT_RAW);
}

static struct entry_parser parser;

static int parse(const char *line, struct lw_entry *e)
{
	char err[ENTRY_ERR_MAX];

	return entry_parse(&parser, line, strlen(line), e, err);
}

static void test_entry_parse(void **state)
{
	static const char line[] =
		"{\"seq\":12,\"cursor\":\"m1-90a8240469430d14-000000000000000c\","
		"\"time\":\"2026-11-22T05:07:16.484369273Z\",\"source\":\"hello.out\","
		"\"stream\":\"stdout\",\"msg\":\"a\\u0000b\\n\",\"partial\":true}";
	struct lw_entry e;

	assert_int_equal(parse(line, &e), ENTRY_OK);
	assert_int_equal(e.cursor.len, 36);
	assert_memory_equal(e.cursor.ptr, "m1-90a8240469430d14-000000000000000c", 36);
	assert_int_equal(e.msg.len, 4);
	assert_memory_equal(e.msg.ptr, "a\0b\n", 4);
	assert_int_equal(e.source.len, 9);
	assert_true(e.partial);
	assert_false(e.marker);
	assert_ptr_equal(e.line.ptr, line);
	assert_int_equal(e.line.len, strlen(line));
	/* The same in another layout (jansson reads it). */
	assert_int_equal(parse("{ \"msg\" : \"x\", \"source\":\"s\", \"time\":\"t\", "
			       "\"cursor\":\"" CUR "\", \"partial\":false, \"extra\":[1,{}] }",
			       &e), ENTRY_OK);
	assert_int_equal(e.msg.len, 1);
	assert_false(e.partial);
	entry_parser_free(&parser);
}

static void test_entry_marker(void **state)
{
	static const char line[] =
		"{\"marker\":\"lagged\",\"missed\":5731,\"first_seq\":1201,"
		"\"last_seq\":6931,\"cursor\":\"m1-90a8240469430d14-0000000000001b13\","
		"\"time\":\"2026-11-22T05:07:16Z\",\"source\":\"memlogd\","
		"\"stream\":\"none\",\"msg\":\"memlogd: 5731 entries were overwritten\","
		"\"partial\":false}";
	struct lw_entry e;

	assert_int_equal(parse(line, &e), ENTRY_OK);
	assert_true(e.marker);
	assert_int_equal(e.source.len, 7);
	assert_int_equal(parse("{\"seq\":1,\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":"
			       "\"memlogd\",\"msg\":\"m\",\"marker\":true}", &e),
			 ENTRY_OK);
	assert_true(e.marker);
	entry_parser_free(&parser);
}

static void test_entry_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{}",
		"{\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}", /* legacy: no cursor */
		"{\"cursor\":\"" CUR "\",\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"msg\":\"m\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\"}",
		"{\"cursor\":1,\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"c d\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"c%\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}",
		/* a cursor memlogd would not take back: one digit not hex,
		 * upper case, too short, another scheme */
		"{\"cursor\":\"m1-00000000000000aa-000000000000000g\",\"time\":\"t\","
		"\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"m1-00000000000000AA-0000000000000001\",\"time\":\"t\","
		"\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"m1-00000000000000aa-000000000000001\",\"time\":\"t\","
		"\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"m2-00000000000000aa-0000000000000001\",\"time\":\"t\","
		"\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"c\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\",\"partial\":1}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"\\ud800\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"\xff\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"a\tb\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\"}x",
		/* jansson refuses integers past 64 bits */
		"{\"seq\":99999999999999999999,\"cursor\":\"" CUR "\",\"time\":\"t\","
		"\"source\":\"s\",\"msg\":\"m\"}",
		"{\"cursor\":\"" CUR "\",\"time\":\"t\",\"source\":\"s\",\"msg\":\"m\","
		"\"x\":01}",
	};
	struct lw_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &e) != -EPROTO)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(parse("{\"error\":\"too many query clients\"}", &e),
			 ENTRY_SERVER_ERROR);
	assert_int_equal(e.msg.len, 22);
	char big[CURSOR_TEXT_MAX + 2];
	memset(big, 'c', sizeof(big));
	assert_true(cursor_text_ok(big, CURSOR_TEXT_MAX));
	assert_false(cursor_text_ok(big, CURSOR_TEXT_MAX + 1));
	entry_parser_free(&parser);
}

/* logwrite's own notices in memlogd.log: a line like memlogd's, from
 * source logwrite; in json an object jansson reads back. */
static void test_notice(void **state)
{
	struct notice n;
	size_t len;
	char *s;
	/* 2026-11-22T06:25:33.5Z */
	uint64_t ns = 1795328733500000000ull;

	assert_int_equal(notice_build(&n, LW_FORMAT_TEXT, "logwrite: x y",
				      ns), 0);
	s = fmt(LW_FORMAT_TEXT, &n.e, &len);
	assert_string_equal(s, "2026-11-22T06:25:33.5Z logwrite logwrite: x y\n");
	free(s);
	s = fmt(LW_FORMAT_RAW, &n.e, &len);
	assert_string_equal(s, "logwrite: x y\n");
	free(s);
	notice_free(&n);

	assert_int_equal(notice_build(&n, LW_FORMAT_JSON, "logwrite: \"q\"\n",
				      ns), 0);
	s = fmt(LW_FORMAT_JSON, &n.e, &len);
	assert_int_equal(s[len - 1], '\n');
	assert_null(memchr(s, '\n', len - 1));
	json_error_t je;
	json_t *o = json_loadb(s, len, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "source")),
			    "logwrite");
	assert_string_equal(json_string_value(json_object_get(o, "stream")),
			    "none");
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
			    "logwrite: \"q\"\n");
	assert_string_equal(json_string_value(json_object_get(o, "time")),
			    "2026-11-22T06:25:33.5Z");
	assert_true(json_is_true(json_object_get(o, "marker")));
	json_decref(o);
	free(s);
	notice_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_entry_parse),
		cmocka_unit_test(test_entry_marker),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_notice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
