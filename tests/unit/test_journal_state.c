/* The records memlog-journal keeps its position in (staterec.c: the commit
 * slots, the WAL header, the saved file), the journal's cursors
 * (jcursor.c) and PID 1's start time in /proc/1/stat (procstat.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jcursor.h"
#include "procstat.h"
#include "staterec.h"

#define CUR "s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210" \
	    "fedcba9876543210;m=4d2;t=6460e6a7a1e00;x=9"

static struct jstate sample(uint64_t gen)
{
	struct jstate s = { .gen = gen, .wal_id = 0x1122334455667788ull,
			    .wal_end = 4096 + gen * 100, .entries = gen * 3 };
	strcpy(s.cursor, CUR);
	return s;
}

static void test_slot_round_trip(void **state)
{
	unsigned char slot[JSTATE_SLOT_SIZE];
	struct jstate s = sample(7), t;
	(void)state;

	assert_int_equal(jstate_encode(slot, &s), JSTATE_SLOT_SIZE);
	assert_int_equal(jstate_decode(slot, sizeof(slot), &t), 0);
	assert_true(t.gen == s.gen && t.wal_id == s.wal_id &&
		    t.wal_end == s.wal_end && t.entries == s.entries);
	assert_string_equal(t.cursor, s.cursor);
	/* The empty cursor of a first commit. */
	s.cursor[0] = '\0';
	assert_int_equal(jstate_encode(slot, &s), JSTATE_SLOT_SIZE);
	assert_int_equal(jstate_decode(slot, sizeof(slot), &t), 0);
	assert_string_equal(t.cursor, "");
}

/* Any byte changed (a torn write) makes the slot invalid. */
static void test_slot_torn(void **state)
{
	unsigned char slot[JSTATE_SLOT_SIZE];
	struct jstate s = sample(3), t;
	(void)state;

	jstate_encode(slot, &s);
	for (size_t i = 0; i < JSTATE_HDR + strlen(CUR) + 8; i++) {
		unsigned char c = slot[i];
		slot[i] ^= 0x40;
		int r = jstate_decode(slot, sizeof(slot), &t);
		assert_true(r == -EBADMSG || (i >= 4 && i < 6 && r == -EPROTONOSUPPORT));
		slot[i] = c;
	}
	assert_int_equal(jstate_decode(slot, sizeof(slot) - 1, &t), -EBADMSG);
	/* Zeros (never written) are no slot. */
	memset(slot, 0, sizeof(slot));
	assert_int_equal(jstate_decode(slot, sizeof(slot), &t), -EBADMSG);
	/* A cursor too long is refused by the encoder. */
	memset(s.cursor, 'a', JCURSOR_MAX);
	s.cursor[JCURSOR_MAX] = '\0';
	assert_int_equal(jstate_encode(slot, &s), JSTATE_SLOT_SIZE);
}

static void test_pick(void **state)
{
	unsigned char area[2 * JSTATE_SLOT_SIZE];
	struct jstate a = sample(4), b = sample(5), t;
	(void)state;

	memset(area, 0, sizeof(area));
	assert_int_equal(jstate_pick(area, sizeof(area), &t), -ENOENT);
	jstate_encode(area, &a);
	assert_int_equal(jstate_pick(area, sizeof(area), &t), 0);
	assert_true(t.gen == 4);
	jstate_encode(area + JSTATE_SLOT_SIZE, &b);
	assert_int_equal(jstate_pick(area, sizeof(area), &t), 1);
	assert_true(t.gen == 5);
	/* The newer one torn: the older one counts. */
	area[JSTATE_SLOT_SIZE + 20] ^= 1;
	assert_int_equal(jstate_pick(area, sizeof(area), &t), 0);
	assert_true(t.gen == 4);
	/* Only one slot's bytes there. */
	assert_int_equal(jstate_pick(area, JSTATE_SLOT_SIZE, &t), 0);
}

static void test_wal_header(void **state)
{
	unsigned char h[16];
	uint64_t id;
	(void)state;

	jwal_header(h, 0xdeadbeefcafef00dull);
	assert_int_equal(jwal_header_id(h, sizeof(h), &id), 0);
	assert_true(id == 0xdeadbeefcafef00dull);
	assert_int_equal(jwal_header_id(h, 15, &id), -EBADMSG);
	h[0] = 'X';
	assert_int_equal(jwal_header_id(h, sizeof(h), &id), -EBADMSG);
}

static void test_saved_file(void **state)
{
	char buf[512];
	struct jsave s;
	(void)state;

	int n = jsave_encode(buf, sizeof(buf), CUR, strlen(CUR), "a\nb\n", 4);
	assert_int_equal(n, (int)jsave_size(strlen(CUR), 4));
	assert_int_equal(jsave_decode(buf, (size_t)n, &s), 0);
	assert_int_equal(s.cursor_len, strlen(CUR));
	assert_memory_equal(s.cursor, CUR, strlen(CUR));
	assert_int_equal(s.pending_len, 4);
	assert_memory_equal(s.pending, "a\nb\n", 4);
	/* Nothing pending. */
	n = jsave_encode(buf, sizeof(buf), CUR, strlen(CUR), NULL, 0);
	assert_int_equal(jsave_decode(buf, (size_t)n, &s), 0);
	assert_int_equal(s.pending_len, 0);
	/* Cut short, one byte more, a byte changed, another version. */
	assert_int_equal(jsave_decode(buf, (size_t)n - 1, &s), -EBADMSG);
	buf[n] = 'x';
	assert_int_equal(jsave_decode(buf, (size_t)n + 1, &s), -EBADMSG);
	buf[30] ^= 1;
	assert_int_equal(jsave_decode(buf, (size_t)n, &s), -EBADMSG);
	buf[30] ^= 1;
	buf[4] = 2;
	assert_int_equal(jsave_decode(buf, (size_t)n, &s), -EPROTONOSUPPORT);
	/* The encoder's limits. */
	assert_int_equal(jsave_encode(buf, sizeof(buf), "", 0, NULL, 0), -EINVAL);
	assert_int_equal(jsave_encode(buf, 10, CUR, strlen(CUR), NULL, 0), -ENOSPC);
	assert_int_equal(jsave_encode(buf, sizeof(buf), "a\0b", 3, NULL, 0), -EINVAL);
}

static void test_cursor_parse(void **state)
{
	struct jcursor c;
	(void)state;

	assert_int_equal(jcursor_parse(CUR, strlen(CUR), &c), 0);
	assert_int_equal(c.has, JCURSOR_HAS_SEQNUM | JCURSOR_HAS_BOOT |
				JCURSOR_HAS_REALTIME);
	assert_string_equal(c.seqnum_id, "0123456789abcdef0123456789abcdef");
	assert_true(c.seqnum == 0x1f);
	assert_string_equal(c.boot_id, "fedcba9876543210fedcba9876543210");
	assert_true(c.monotonic_us == 0x4d2);
	assert_true(c.realtime_us == 0x6460e6a7a1e00ull);
	/* Upper case ids become lower case; unknown keys are skipped. */
	static const char up[] = "s=0123456789ABCDEF0123456789ABCDEF;i=2;z=what";
	assert_int_equal(jcursor_parse(up, strlen(up), &c), 0);
	assert_string_equal(c.seqnum_id, "0123456789abcdef0123456789abcdef");
	assert_int_equal(c.has, JCURSOR_HAS_SEQNUM);
	static const char *const bad[] = {
		"", "s=1;i=2", "i=zz", "t=", "t=12345678901234567", "x",
		"i=1;i=2", "t=1;", ";t=1", "q=1", "s=0123456789abcdef0123456789abcdef",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(jcursor_parse(bad[i], strlen(bad[i]), &c), -EINVAL);
	char longc[JCURSOR_MAX + 2];
	memset(longc, 'a', sizeof(longc));
	memcpy(longc, "t=1;", 4);
	assert_int_equal(jcursor_parse(longc, sizeof(longc), &c), -EINVAL);
}

static void test_cursor_between(void **state)
{
	struct jcursor a, b;
	(void)state;
	static const char s1[] = "s=0123456789abcdef0123456789abcdef;i=10";
	static const char s2[] = "s=0123456789abcdef0123456789abcdef;i=1a";
	static const char s3[] = "s=1123456789abcdef0123456789abcdef;i=1a";
	static const char t1[] = "t=1";

	jcursor_parse(s1, strlen(s1), &a);
	jcursor_parse(s2, strlen(s2), &b);
	assert_int_equal(jcursor_between(&a, &b), 9);
	assert_int_equal(jcursor_between(&b, &a), -1);
	assert_int_equal(jcursor_between(&a, &a), -1);
	jcursor_parse(s3, strlen(s3), &b);
	assert_int_equal(jcursor_between(&a, &b), -1);
	jcursor_parse(t1, strlen(t1), &b);
	assert_int_equal(jcursor_between(&a, &b), -1);
	b = a;
	b.seqnum = a.seqnum + 1;
	assert_int_equal(jcursor_between(&a, &b), 0);
}

static void test_procstat(void **state)
{
	uint64_t t;
	(void)state;
	static const char ok[] =
		"1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 "
		"123456 2 3\n";
	assert_int_equal(procstat_starttime(ok, strlen(ok), &t), 0);
	assert_true(t == 123456);
	/* A name with spaces and parentheses. */
	static const char odd[] =
		"7 (a) b) (c) R 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 99 2\n";
	assert_int_equal(procstat_starttime(odd, strlen(odd), &t), 0);
	assert_true(t == 99);
	static const char *const bad[] = {
		"", "1 (x", "1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0",
		"1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 12a 2",
		"1 (x)  S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 1 2",
		"1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 99999999999999999999 2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(procstat_starttime(bad[i], strlen(bad[i]), &t),
				 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_round_trip),
		cmocka_unit_test(test_slot_torn),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_wal_header),
		cmocka_unit_test(test_saved_file),
		cmocka_unit_test(test_cursor_parse),
		cmocka_unit_test(test_cursor_between),
		cmocka_unit_test(test_procstat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
