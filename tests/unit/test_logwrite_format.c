/* logwrite's line formats (format.c) and the entries made of memlogd's
 * binary records that feed them (entry.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "entry.h"
#include "regmsg.h"
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

/* Text escaping, checked 8 bytes at a time: every control byte at every
 * position of a long message is found, as a byte-wise reference does. */
static void test_text_every_position(void **state)
{
	(void)state;
	static const unsigned char specials[] = { 0x00, 0x01, 0x09, 0x0a, 0x1f,
						  0x20, 0x7e, 0x7f, 0x80, 0xff };
	char msg[40], want[200];
	struct lw_entry e = sample();

	for (size_t k = 0; k < sizeof(specials); k++) {
		for (size_t at = 0; at < sizeof(msg); at++) {
			memset(msg, 'a', sizeof(msg));
			msg[at] = (char)specials[k];
			e.msg = (struct lw_field){ msg, sizeof(msg) };
			/* The reference: byte by byte. */
			char *w = want;
			w += sprintf(w, "2026-11-22T05:07:16.484369273Z web.out ");
			for (size_t i = 0; i < sizeof(msg); i++) {
				unsigned char c = (unsigned char)msg[i];
				if ((c < 0x20 && c != '\t') || c == 0x7f)
					w += sprintf(w, "\\x%02x", c);
				else
					*w++ = (char)c;
			}
			*w++ = '\n';
			size_t len;
			char *got = fmt(LW_FORMAT_TEXT, &e, &len);
			if (len != (size_t)(w - want) || memcmp(got, want, len))
				fail_msg("byte 0x%02x at %zu: %s", specials[k], at, got);
			free(got);
		}
	}
}

/* Entries made of memlogd's binary records. */
static struct binstream bs;
static struct entry_builder eb;
static char rec[4096];

static int from(const char *buf, size_t n, enum lw_format f, struct lw_entry *e)
{
	struct binstream_item it;
	size_t at = 0, used;
	int k;

	for (;;) {
		k = binstream_next(&bs, buf + at, n - at, &it, &used);
		assert_int_equal(k, 1);
		at += used;
		if (it.type != BINREC_HELLO && it.type != BINREC_SOURCE)
			break;
	}
	assert_int_equal(at, n);
	return entry_from_record(&eb, f, &bs, &it, e);
}

static void test_entry_from_record(void **state)
{
	(void)state;
	struct lw_entry e;
	size_t n = 0;

	binstream_init(&bs);
	entry_builder_init(&eb);
	n += binrec_hello(rec + n, 0x90a8240469430d14ull);
	n += binrec_source(rec + n, 5, STREAM_STDOUT, "hello.out", 9);
	n += binrec_entry(rec + n, 12, 1795328733484369273ull, 5, BINREC_PARTIAL,
			  -1, -1, "a\0b\n", 4, NULL, 0);
	assert_int_equal(from(rec, n, LW_FORMAT_JSON, &e), ENTRY_OK);
	assert_true(e.has_cur);
	assert_true(e.cur.instance == 0x90a8240469430d14ull && e.cur.seq == 12);
	assert_int_equal(e.msg.len, 4);
	assert_memory_equal(e.msg.ptr, "a\0b\n", 4);
	assert_int_equal(e.source.len, 9);
	assert_memory_equal(e.stream.ptr, "stdout", 6);
	assert_true(e.partial);
	assert_false(e.marker);
	/* json: memlogd's own line. */
	static const char line[] =
		"{\"seq\":12,\"cursor\":\"m1-90a8240469430d14-000000000000000c\","
		"\"time\":\"2026-11-22T06:25:33.484369273Z\",\"source\":\"hello.out\","
		"\"stream\":\"stdout\",\"msg\":\"a\\u0000b\\n\",\"partial\":true}";
	assert_int_equal(e.line.len, strlen(line));
	assert_memory_equal(e.line.ptr, line, e.line.len);
	/* text: the time as memlogd writes it. */
	n = binrec_entry(rec, 13, 1795328733484369273ull, 5, BINREC_NOTICE,
			 3, 1, "m", 1, "k=v", 3);
	assert_int_equal(from(rec, n, LW_FORMAT_TEXT, &e), ENTRY_OK);
	assert_int_equal(e.time.len, 30);
	assert_memory_equal(e.time.ptr, "2026-11-22T06:25:33.484369273Z", 30);
	assert_true(e.marker);
	assert_false(e.partial);
	entry_builder_free(&eb);
	binstream_free(&bs);
}

static void test_entry_marker(void **state)
{
	(void)state;
	struct lw_entry e;
	size_t n = 0;

	binstream_init(&bs);
	entry_builder_init(&eb);
	n += binrec_hello(rec + n, 0x90a8240469430d14ull);
	n += binrec_marker(rec + n, 1795328733000000000ull, 5731, 1201, 6931,
			   "lagged", "memlogd: 5731 entries were overwritten");
	assert_int_equal(from(rec, n, LW_FORMAT_JSON, &e), ENTRY_OK);
	assert_true(e.marker);
	assert_int_equal(e.source.len, 7);
	assert_memory_equal(e.source.ptr, "memlogd", 7);
	assert_true(e.has_cur && e.cur.seq == 6931); /* the last missed */
	static const char line[] =
		"{\"marker\":\"lagged\",\"missed\":5731,\"first_seq\":1201,"
		"\"last_seq\":6931,\"cursor\":\"m1-90a8240469430d14-0000000000001b13\","
		"\"time\":\"2026-11-22T06:25:33Z\",\"source\":\"memlogd\","
		"\"stream\":\"none\",\"msg\":\"memlogd: 5731 entries were overwritten\","
		"\"partial\":false}";
	assert_int_equal(e.line.len, strlen(line));
	assert_memory_equal(e.line.ptr, line, e.line.len);
	/* The server's error. */
	n = binrec_error(rec, "cursor is newer than the newest entry", 37);
	assert_int_equal(from(rec, n, LW_FORMAT_TEXT, &e), ENTRY_SERVER_ERROR);
	assert_int_equal(e.msg.len, 37);
	entry_builder_free(&eb);
	binstream_free(&bs);
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
		cmocka_unit_test(test_text_every_position),
		cmocka_unit_test(test_entry_from_record),
		cmocka_unit_test(test_entry_marker),
		cmocka_unit_test(test_notice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
