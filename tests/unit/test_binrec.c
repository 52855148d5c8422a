/* binrec: memlog's binary records, encoded and decoded back, split at
 * every byte, and malformed ones refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "binrec.h"

static void test_round_trip(void **state)
{
	char buf[4096];
	size_t o = 0, used;
	struct binrec r;

	o += binrec_hello(buf + o, 0x0123456789abcdefull);
	o += binrec_source(buf + o, 7, 2, "web\0x", 5);
	o += binrec_entry(buf + o, 42, 1700000000123456789ull, 7,
			  BINREC_PARTIAL | BINREC_NOEOL, 3, 23, "a\nb\0c", 5,
			  "k=v\0pid=1", 9);
	o += binrec_entry(buf + o, 43, 5, 7, 0, -1, -1, "", 0, NULL, 0);
	o += binrec_marker(buf + o, 99, 12, 30, 41, "lagged", "lost 12");
	o += binrec_error(buf + o, "bad", 3);

	size_t at = 0;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.type, BINREC_HELLO);
	assert_int_equal(used, BINREC_HELLO_LEN);
	assert_int_equal(r.version, BINREC_VERSION);
	assert_true(r.instance == 0x0123456789abcdefull);
	at += used;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.type, BINREC_SOURCE);
	assert_int_equal(r.sid, 7);
	assert_int_equal(r.stream, 2);
	assert_int_equal(r.name_len, 5);
	assert_memory_equal(r.name, "web\0x", 5);
	at += used;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.type, BINREC_ENTRY);
	assert_true(r.seq == 42 && r.time_ns == 1700000000123456789ull);
	assert_int_equal(r.sid, 7);
	assert_int_equal(r.flags, BINREC_PARTIAL | BINREC_NOEOL);
	assert_int_equal(r.priority, 3);
	assert_int_equal(r.facility, 23);
	assert_int_equal(r.msg_len, 5);
	assert_memory_equal(r.msg, "a\nb\0c", 5);
	assert_int_equal(r.attrs_len, 9);
	assert_memory_equal(r.attrs, "k=v\0pid=1", 9);
	at += used;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.priority, -1);
	assert_int_equal(r.facility, -1);
	assert_int_equal(r.msg_len, 0);
	assert_int_equal(r.attrs_len, 0);
	at += used;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.type, BINREC_MARKER);
	assert_true(r.missed == 12 && r.first == 30 && r.last == 41 &&
		    r.time_ns == 99);
	assert_int_equal(r.reason_len, 6);
	assert_memory_equal(r.reason, "lagged", 6);
	assert_int_equal(r.msg_len, 7);
	assert_memory_equal(r.msg, "lost 12", 7);
	at += used;
	assert_int_equal(binrec_next(buf + at, o - at, &r, &used), 1);
	assert_int_equal(r.type, BINREC_ERROR);
	assert_memory_equal(r.msg, "bad", 3);
	at += used;
	assert_int_equal(at, o);

	/* Every prefix of a record asks for more, never reads past. */
	for (size_t k = 0; k < BINREC_HELLO_LEN; k++)
		assert_int_equal(binrec_next(buf, k, &r, &used), 0);
}

static void test_refused(void **state)
{
	char buf[256];
	struct binrec r;
	size_t used, n;

	/* Unknown type. */
	n = binrec_error(buf, "x", 1);
	buf[4] = 9;
	assert_int_equal(binrec_next(buf, n, &r, &used), -EBADMSG);
	/* A length of 0, or beyond the limit. */
	memset(buf, 0, 8);
	assert_int_equal(binrec_next(buf, 8, &r, &used), -EBADMSG);
	buf[0] = (char)0xff; buf[1] = (char)0xff; buf[2] = (char)0xff; buf[3] = 0x7f;
	assert_int_equal(binrec_next(buf, 8, &r, &used), -EBADMSG);
	/* A HELLO of the wrong size. */
	n = binrec_hello(buf, 1);
	buf[0]++;
	assert_int_equal(binrec_next(buf, n + 1, &r, &used), -EBADMSG);
	/* A source name longer than its record. */
	n = binrec_source(buf, 1, 1, "abc", 3);
	buf[10] = 9;
	assert_int_equal(binrec_next(buf, n, &r, &used), -EBADMSG);
	/* An entry's message longer than its record; unknown flags; a
	 * priority or facility out of range; the reserved byte set. */
	size_t m = binrec_entry(buf, 1, 1, 1, 0, 1, 1, "abc", 3, NULL, 0);
	assert_int_equal(binrec_next(buf, m, &r, &used), 1);
	buf[29] = 4;
	assert_int_equal(binrec_next(buf, m, &r, &used), -EBADMSG);
	buf[29] = 3;
	buf[25] = 8;
	assert_int_equal(binrec_next(buf, m, &r, &used), -EBADMSG);
	buf[25] = 0;
	buf[26] = 8;
	assert_int_equal(binrec_next(buf, m, &r, &used), -EBADMSG);
	buf[26] = 1;
	buf[27] = 24;
	assert_int_equal(binrec_next(buf, m, &r, &used), -EBADMSG);
	buf[27] = 1;
	buf[28] = 1;
	assert_int_equal(binrec_next(buf, m, &r, &used), -EBADMSG);
	buf[28] = 0;
	assert_int_equal(binrec_next(buf, m, &r, &used), 1);
	/* A marker's reason longer than its record. */
	n = binrec_marker(buf, 1, 1, 1, 1, "r", "t");
	buf[37] = 50;
	assert_int_equal(binrec_next(buf, n, &r, &used), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
