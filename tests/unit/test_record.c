#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "record.h"

#define T1 1550851463849452360ull /* 2019-02-22T16:04:23.84945236Z */
#define T2 1550851463000000000ull /* 2019-02-22T16:04:23Z */
#define CANARY 0xa5

/* A buffer of exactly bound bytes and a canary tail to catch overruns. */
static char *outbuf(size_t bound)
{
	char *b = malloc(bound + 64);

	assert_non_null(b);
	memset(b, CANARY, bound + 64);
	return b;
}

static void check_out(char *b, size_t bound, size_t n, const char *want)
{
	if (want && (n != strlen(want) || memcmp(b, want, n) != 0))
		fail_msg("got  %.*s\nwant %s", (int)n, b, want);
	assert_true(n <= bound);
	for (size_t i = n; i < bound + 64; i++)
		if ((unsigned char)b[i] != CANARY)
			fail_msg("byte %zu past the output (bound %zu) written", i,
				 bound);
	free(b);
}

static void legacy(uint64_t t, const char *name, size_t nl, const char *msg,
		   size_t ml, const char *want)
{
	size_t bound = RECORD_LEGACY_BOUND(nl, ml);
	char *b = outbuf(bound);

	check_out(b, bound, record_legacy(b, t, name, nl, msg, ml), want);
}

#define LEGACY(t, name, msg, want) \
	legacy(t, name, sizeof(name) - 1, msg, sizeof(msg) - 1, want)

static void test_legacy(void **state)
{
	LEGACY(T1, "docker", "hello",
	       "{\"time\":\"2019-02-22T16:04:23.84945236Z\",\"source\":\"docker\","
	       "\"msg\":\"hello\"}\n");
	LEGACY(T2, "onboot.001-dhcpcd.out", "",
	       "{\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"onboot.001-dhcpcd.out\","
	       "\"msg\":\"\"}\n");
	LEGACY(0, "", "x",
	       "{\"time\":\"1970-01-01T00:00:00Z\",\"source\":\"\",\"msg\":\"x\"}\n");
	/* Go's escaping in both strings. */
	LEGACY(T1, "a\"b<c>", "<a&b> \"q\"\t\x01\xff\xe2\x80\xa8 caf\xc3\xa9\\",
	       "{\"time\":\"2019-02-22T16:04:23.84945236Z\",\"source\":\"a\\\"b\\u003cc\\u003e\","
	       "\"msg\":\"\\u003ca\\u0026b\\u003e \\\"q\\\"\\t\\u0001\\ufffd\\u2028 "
	       "caf\xc3\xa9\\\\\"}\n");
	LEGACY(T2, "n", "nul\0byte",
	       "{\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"n\","
	       "\"msg\":\"nul\\u0000byte\"}\n");
}

static void test_legacy_bound(void **state)
{
	/* Worst case: every byte a six-byte escape, the longest time. */
	char name[REG_NAME_MAX], msg[3000];

	memset(name, '<', sizeof(name));
	memset(msg, 0xff, sizeof(msg));
	legacy(UINT64_MAX, name, sizeof(name), msg, sizeof(msg), NULL);
	legacy(UINT64_MAX, name, 0, msg, 0, NULL);
}

static void v2(const struct ring_entry *e, uint64_t inst,
	       const struct record_source *src, const char *want)
{
	size_t bound = RECORD_V2_BOUND(src->name_len, e->len);
	char *b = outbuf(bound);

	check_out(b, bound, record_v2(b, e, inst, src), want);
}

static void test_v2(void **state)
{
	struct ring_entry e = {
		.seq = 42, .time_ns = T1, .source = 3, .flags = 0,
		.priority = RING_NO_PRIORITY, .facility = RING_NO_PRIORITY,
		.len = 5, .msg = "hello",
	};
	struct record_source src = { "onboot.x.out", 12, STREAM_STDOUT };

	v2(&e, 0x1122334455667788ull, &src,
	   "{\"seq\":42,\"cursor\":\"m1-1122334455667788-000000000000002a\","
	   "\"time\":\"2019-02-22T16:04:23.84945236Z\",\"source\":\"onboot.x.out\","
	   "\"stream\":\"stdout\",\"msg\":\"hello\",\"partial\":false}\n");

	/* Partial, with priority and facility. */
	e.flags = RING_F_PARTIAL;
	e.priority = 3;
	e.facility = 1;
	e.time_ns = T2;
	src = (struct record_source){ "kmsg", 4, STREAM_STDERR };
	v2(&e, 1, &src,
	   "{\"seq\":42,\"cursor\":\"m1-0000000000000001-000000000000002a\","
	   "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"kmsg\","
	   "\"stream\":\"stderr\",\"msg\":\"hello\",\"partial\":true,"
	   "\"priority\":3,\"facility\":1}\n");

	/* Priority 0 and facility 0 are values, not absence. */
	e.flags = 0;
	e.priority = 0;
	e.facility = 0;
	v2(&e, 1, &src,
	   "{\"seq\":42,\"cursor\":\"m1-0000000000000001-000000000000002a\","
	   "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"kmsg\","
	   "\"stream\":\"stderr\",\"msg\":\"hello\",\"partial\":false,"
	   "\"priority\":0,\"facility\":0}\n");

	/* Only a facility; the end-of-stream flag. */
	e.priority = RING_NO_PRIORITY;
	e.facility = 23;
	e.flags = RING_F_NOEOL;
	v2(&e, 1, &src,
	   "{\"seq\":42,\"cursor\":\"m1-0000000000000001-000000000000002a\","
	   "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"kmsg\","
	   "\"stream\":\"stderr\",\"msg\":\"hello\",\"partial\":false,"
	   "\"facility\":23,\"eof\":true}\n");

	/* The daemon's own marker entry, every flag at once. */
	e.seq = 1;
	e.priority = 7;
	e.facility = RING_NO_PRIORITY;
	e.flags = RING_F_PARTIAL | RING_F_NOEOL | RING_F_MARKER;
	e.msg = "<lost>";
	e.len = 6;
	src = (struct record_source){ "memlogd", 7, STREAM_NONE };
	v2(&e, 0, &src,
	   "{\"seq\":1,\"cursor\":\"m1-0000000000000000-0000000000000001\","
	   "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"memlogd\","
	   "\"stream\":\"none\",\"msg\":\"\\u003clost\\u003e\",\"partial\":true,"
	   "\"priority\":7,\"eof\":true,\"marker\":true}\n");

	/* Escaping of the source; an empty message with a NUL-free length. */
	e = (struct ring_entry){
		.seq = UINT64_MAX, .time_ns = 0, .priority = RING_NO_PRIORITY,
		.facility = RING_NO_PRIORITY, .len = 0, .msg = "",
	};
	src = (struct record_source){ "a&b", 3, STREAM_STDERR };
	v2(&e, UINT64_MAX, &src,
	   "{\"seq\":18446744073709551615,"
	   "\"cursor\":\"m1-ffffffffffffffff-ffffffffffffffff\","
	   "\"time\":\"1970-01-01T00:00:00Z\",\"source\":\"a\\u0026b\","
	   "\"stream\":\"stderr\",\"msg\":\"\",\"partial\":false}\n");
}

static void test_v2_bound(void **state)
{
	static char msg[5000];
	char name[REG_NAME_MAX];
	struct ring_entry e = {
		.seq = UINT64_MAX, .time_ns = UINT64_MAX, .flags = RING_F_MASK,
		.priority = 7, .facility = 23, .len = sizeof(msg), .msg = msg,
	};
	struct record_source src = { name, sizeof(name), STREAM_UNKNOWN };

	memset(name, 0x01, sizeof(name));
	memset(msg, '>', sizeof(msg));
	v2(&e, UINT64_MAX, &src, NULL);
	src.name_len = 0;
	e.len = 0;
	v2(&e, UINT64_MAX, &src, NULL);
}

/* With attributes: the bound grows by RECORD_ATTR_BYTE a byte of them. */
static void v2_attrs(const struct ring_entry *e, uint64_t inst,
		     const struct record_source *src, const char *want)
{
	size_t bound = RECORD_V2_BOUND(src->name_len, e->len) +
		       RECORD_ATTR_BYTE * (size_t)e->attrs_len;
	char *b = outbuf(bound);

	check_out(b, bound, record_v2(b, e, inst, src), want);
}

#define ATTRS(e, lit) ((e).attrs = (lit), (e).attrs_len = sizeof(lit) - 1)

static void test_v2_attrs(void **state)
{
	struct ring_entry e = {
		.seq = 7, .time_ns = T2, .source = 1, .flags = RING_F_ATTRS,
		.priority = 6, .facility = 0, .len = 7, .msg = "link up",
	};
	struct record_source src = { "kmsg", 4, STREAM_KERNEL };

	/* The kernel's dictionary, in stored order, after facility. */
	ATTRS(e, "SUBSYSTEM=net\0DEVICE=+net:eth0");
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"kmsg\","
		 "\"stream\":\"kernel\",\"msg\":\"link up\",\"partial\":false,"
		 "\"priority\":6,\"facility\":0,"
		 "\"attrs\":{\"SUBSYSTEM\":\"net\",\"DEVICE\":\"+net:eth0\"}}\n");

	/* One attribute; before eof and marker; no priority or facility. */
	e.flags = RING_F_ATTRS | RING_F_PARTIAL | RING_F_NOEOL | RING_F_MARKER;
	e.priority = RING_NO_PRIORITY;
	e.facility = RING_NO_PRIORITY;
	ATTRS(e, "pid=42");
	src = (struct record_source){ "sshd", 4, STREAM_SYSLOG };
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"link up\",\"partial\":true,"
		 "\"attrs\":{\"pid\":\"42\"},\"eof\":true,\"marker\":true}\n");

	/* Keys and values are escaped like any JSON string; only the first
	 * '=' splits. */
	e.flags = RING_F_ATTRS;
	e.len = 0;
	e.msg = "";
	ATTRS(e, "k\"<=v\\\n\x01\xff\0a=b=c\0caf\xc3\xa9=\xe2\x80\xa8");
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false,"
		 "\"attrs\":{\"k\\\"\\u003c\":\"v\\\\\\n\\u0001\\ufffd\","
		 "\"a\":\"b=c\",\"caf\xc3\xa9\":\"\\u2028\"}}\n");

	/* Lines without '=' or without a key are left out; an empty value
	 * is kept; empty segments (a NUL at the end, two in a row) are
	 * nothing; the same key twice stays twice, in order. */
	ATTRS(e, "noequals\0=nokey\0k=\0\0x=1\0x=2\0");
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false,"
		 "\"attrs\":{\"k\":\"\",\"x\":\"1\",\"x\":\"2\"}}\n");

	/* Nothing usable: an empty object. */
	ATTRS(e, "junk\0=");
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false,"
		 "\"attrs\":{}}\n");

	/* Only attrs_len bytes are read: what follows is not attributes. */
	e.attrs = "a=1\0b=2";
	e.attrs_len = 5;
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false,"
		 "\"attrs\":{\"a\":\"1\"}}\n");
	e.attrs_len = 6;
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false,"
		 "\"attrs\":{\"a\":\"1\",\"b\":\"\"}}\n");

	/* The flag with no attribute bytes (or none at all): no "attrs". */
	e.attrs = "";
	e.attrs_len = 0;
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false}\n");
	e.attrs = NULL;
	v2_attrs(&e, 1, &src,
		 "{\"seq\":7,\"cursor\":\"m1-0000000000000001-0000000000000007\","
		 "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"sshd\","
		 "\"stream\":\"syslog\",\"msg\":\"\",\"partial\":false}\n");
}

static void test_v2_attrs_bound(void **state)
{
	static char msg[5000], attrs[RECORD_ATTRS_MAX];
	char name[REG_NAME_MAX];
	struct ring_entry e = {
		.seq = UINT64_MAX, .time_ns = UINT64_MAX, .flags = RING_F_MASK,
		.priority = 7, .facility = 23, .len = sizeof(msg), .msg = msg,
		.attrs = attrs,
	};
	struct record_source src = { name, sizeof(name), STREAM_UNKNOWN };

	memset(name, 0x01, sizeof(name));
	memset(msg, '>', sizeof(msg));
	/* One long attribute of six-byte escapes. */
	memset(attrs, '<', sizeof(attrs));
	attrs[1] = '=';
	e.attrs_len = sizeof(attrs);
	v2_attrs(&e, UINT64_MAX, &src, NULL);
	/* Many of the shortest: "a=" and "<=<". */
	for (size_t i = 0; i + 3 <= sizeof(attrs); i += 3)
		memcpy(attrs + i, "a=\0", 3);
	v2_attrs(&e, UINT64_MAX, &src, NULL);
	for (size_t i = 0; i + 4 <= sizeof(attrs); i += 4)
		memcpy(attrs + i, "\x01=\xff\0", 4);
	v2_attrs(&e, UINT64_MAX, &src, NULL);
	/* One byte of attributes, none of them usable, beside the longest
	 * everything else. */
	attrs[0] = 'x';
	for (size_t al = 1; al <= 4; al++) {
		e.attrs_len = (uint32_t)al;
		memcpy(attrs, "=\0=\0", 4);
		v2_attrs(&e, UINT64_MAX, &src, NULL);
		memcpy(attrs, "a=\0a", 4);
		v2_attrs(&e, UINT64_MAX, &src, NULL);
	}
	src.name_len = 0;
	e.len = 0;
	e.attrs_len = 1;
	v2_attrs(&e, UINT64_MAX, &src, NULL);
}

static void marker(uint64_t t, uint64_t inst, const char *reason, int64_t missed,
		   uint64_t first, uint64_t last, const char *msg, const char *want)
{
	char *b = outbuf(RECORD_MARKER_BOUND);
	size_t n = record_marker_v2(b, t, inst, reason, missed, first, last, msg);

	check_out(b, RECORD_MARKER_BOUND, n, want);
}

static void test_marker(void **state)
{
	marker(T1, 0xab, "overwritten", 5, 3, 7, "5 entries were overwritten",
	       "{\"marker\":\"overwritten\",\"missed\":5,\"first_seq\":3,"
	       "\"last_seq\":7,\"cursor\":\"m1-00000000000000ab-0000000000000007\","
	       "\"time\":\"2019-02-22T16:04:23.84945236Z\",\"source\":\"memlogd\","
	       "\"stream\":\"none\",\"msg\":\"5 entries were overwritten\","
	       "\"partial\":false}\n");
	/* Unknown count: no counts at all. */
	marker(T2, 1, "foreign-cursor", -1, 0, 9, "<cursor> from elsewhere",
	       "{\"marker\":\"foreign-cursor\",\"cursor\":\"m1-0000000000000001-0000000000000009\","
	       "\"time\":\"2019-02-22T16:04:23Z\",\"source\":\"memlogd\","
	       "\"stream\":\"none\",\"msg\":\"\\u003ccursor\\u003e from elsewhere\","
	       "\"partial\":false}\n");
	marker(0, 0, "lagged", 0, 1, 0, "",
	       "{\"marker\":\"lagged\",\"missed\":0,\"first_seq\":1,\"last_seq\":0,"
	       "\"cursor\":\"m1-0000000000000000-0000000000000000\","
	       "\"time\":\"1970-01-01T00:00:00Z\",\"source\":\"memlogd\","
	       "\"stream\":\"none\",\"msg\":\"\",\"partial\":false}\n");
}

static void test_marker_bound(void **state)
{
	/* The longest fields and a message that escapes to six bytes a byte:
	 * whatever the message, the bound holds and the record stays JSON. */
	static const char *const fills[] = { "<", "x", "\x01", "\xff", "\xe2\x82\xac" };
	char msg[400];

	for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
		size_t fl = strlen(fills[f]), n = 0;
		while (n + fl < sizeof(msg)) {
			memcpy(msg + n, fills[f], fl);
			n += fl;
		}
		msg[n] = '\0';
		char *b = outbuf(RECORD_MARKER_BOUND);
		size_t len = record_marker_v2(b, UINT64_MAX, UINT64_MAX,
					      "foreign-cursor", INT64_MAX,
					      UINT64_MAX, UINT64_MAX, msg);
		const char *tail = "\",\"partial\":false}\n";
		assert_true(len > strlen(tail));
		assert_memory_equal(b + len - strlen(tail), tail, strlen(tail));
		/* The message kept is a prefix of the escaped message, cut
		 * between characters. */
		const char *m = memmem(b, len, "\"msg\":\"", 7);
		assert_non_null(m);
		m += 7;
		size_t kept = (size_t)(b + len - strlen(tail) - m);
		char esc[JSON_ESCAPE_BOUND(sizeof(msg))];
		size_t el = json_escape(esc, msg, strnlen(msg, 256));
		assert_true(kept <= el);
		assert_memory_equal(m, esc, kept);
		char one[6 * 4];
		assert_int_equal(kept % json_escape(one, fills[f], fl), 0);
		check_out(b, RECORD_MARKER_BOUND, len, NULL);
	}

	/* A message of a sensible length is kept whole, even beside the
	 * longest values of every other field. */
	memset(msg, 'm', 120);
	msg[120] = '\0';
	char *b = outbuf(RECORD_MARKER_BOUND);
	size_t len = record_marker_v2(b, UINT64_MAX, UINT64_MAX, "foreign-cursor",
				      INT64_MAX, UINT64_MAX, UINT64_MAX, msg);
	const char *m = memmem(b, len, "\"msg\":\"", 7);
	assert_non_null(m);
	assert_memory_equal(m + 7, msg, 120);
	assert_int_equal(m[7 + 120], '"');
	check_out(b, RECORD_MARKER_BOUND, len, NULL);
}

static void text(uint64_t t, const char *name, size_t nl, const char *msg,
		 size_t ml, const char *want)
{
	size_t bound = RECORD_TEXT_BOUND(nl, ml);
	char *b = outbuf(bound);

	check_out(b, bound, record_text(b, t, name, nl, msg, ml), want);
}

#define TEXT(t, name, msg, want) \
	text(t, name, sizeof(name) - 1, msg, sizeof(msg) - 1, want)

static void test_text(void **state)
{
	TEXT(T1, "docker", "hello world",
	     "2019-02-22T16:04:23.84945236Z;docker;hello world\n");
	TEXT(T2, "", "", "2019-02-22T16:04:23Z;;\n");
	/* Tabs pass, other control characters and DEL become \xNN. */
	TEXT(T2, "s", "a\tb\x1b[31mred\r\n\x7f\x01",
	     "2019-02-22T16:04:23Z;s;a\tb\\x1b[31mred\\x0d\\x0a\\x7f\\x01\n");
	TEXT(T2, "s\nx", "nul\0", "2019-02-22T16:04:23Z;s\\x0ax;nul\\x00\n");
	/* Bytes above 0x7f, valid or not, pass as they are; so do the
	 * characters JSON escapes. */
	TEXT(T2, "s", "caf\xc3\xa9 \xff <&> \"\\",
	     "2019-02-22T16:04:23Z;s;caf\xc3\xa9 \xff <&> \"\\\n");
}

static void test_text_bound(void **state)
{
	char name[REG_NAME_MAX], msg[2000];

	memset(name, 0x1b, sizeof(name));
	memset(msg, 0x7f, sizeof(msg));
	text(UINT64_MAX, name, sizeof(name), msg, sizeof(msg), NULL);
	text(UINT64_MAX, name, 0, msg, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_legacy_bound),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_bound),
		cmocka_unit_test(test_v2_attrs),
		cmocka_unit_test(test_v2_attrs_bound),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_marker_bound),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
