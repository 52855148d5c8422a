/* memlog-kmsgfs's records and readers' places (src/memlog-kmsgfs/kring.c):
 * /dev/kmsg's read rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kring.h"

static struct kring r;
static char buf[256];
static size_t len;

static int setup(void **state)
{
	kring_init(&r, 64);
	return 0;
}

static int teardown(void **state)
{
	kring_free(&r);
	return 0;
}

static void push(uint64_t seq, const char *text)
{
	assert_int_equal(kring_push(&r, seq, false, text, strlen(text)), 1);
}

static void expect_read(struct kpos *p, const char *want)
{
	assert_int_equal(kring_read(&r, p, buf, sizeof(buf), &len), 1);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
}

/* One record per read, in order, seqs with gaps (a view's); then
 * nothing until a new one. */
static void test_reads_in_order(void **state)
{
	struct kpos p = { kring_begin(&r) };

	assert_int_equal(kring_read(&r, &p, buf, sizeof(buf), &len), 0);
	assert_false(kring_ready(&r, &p));
	push(10, "a\n");
	push(17, "b\n");
	assert_true(kring_ready(&r, &p));
	expect_read(&p, "a\n");
	expect_read(&p, "b\n");
	assert_int_equal(kring_read(&r, &p, buf, sizeof(buf), &len), 0);
	push(30, "c\n");
	expect_read(&p, "c\n");
	/* A new reader starts at the oldest; SEEK_END after the newest. */
	struct kpos q = { kring_begin(&r) };
	expect_read(&q, "a\n");
	q.next = kring_end(&r);
	assert_int_equal(kring_read(&r, &q, buf, sizeof(buf), &len), 0);
}

/* A buffer too small: EINVAL, and the record is still there. */
static void test_small_buffer(void **state)
{
	struct kpos p = { kring_begin(&r) };

	push(1, "hello\n");
	assert_int_equal(kring_read(&r, &p, buf, 3, &len), -EINVAL);
	expect_read(&p, "hello\n");
}

/* Records dropped (the buffer's bound) before a reader read them: EPIPE
 * once, then the oldest kept. A reader that opens later starts there
 * without EPIPE. */
static void test_overwritten_gives_epipe_once(void **state)
{
	struct kpos p = { kring_begin(&r) };
	char t[32];

	for (int i = 1; i <= 10; i++) {
		snprintf(t, sizeof(t), "record-%d-------\n", i); /* 17 bytes */
		push((uint64_t)i, t);
	}
	assert_true(r.bytes <= 64);
	assert_true(kring_ready(&r, &p));
	assert_int_equal(kring_read(&r, &p, buf, sizeof(buf), &len), -EPIPE);
	expect_read(&p, "record-8-------\n");
	struct kpos q = { kring_begin(&r) };
	expect_read(&q, "record-8-------\n");
}

/* A loss marker: EPIPE in its place, once. */
static void test_gap_marker(void **state)
{
	struct kpos p = { kring_begin(&r) };

	push(1, "a\n");
	assert_int_equal(kring_push(&r, 5, true, NULL, 0), 1);
	push(9, "b\n");
	expect_read(&p, "a\n");
	assert_int_equal(kring_read(&r, &p, buf, sizeof(buf), &len), -EPIPE);
	expect_read(&p, "b\n");
}

/* Entries sent again (a reconnection) or too large are not taken. */
static void test_not_newer_refused(void **state)
{
	struct kpos p = { kring_begin(&r) };
	char big[65];

	push(4, "a\n");
	assert_int_equal(kring_push(&r, 4, false, "x\n", 2), -EALREADY);
	assert_int_equal(kring_push(&r, 3, false, "x\n", 2), -EALREADY);
	memset(big, 'b', sizeof(big));
	assert_int_equal(kring_push(&r, 5, false, big, sizeof(big)), -E2BIG);
	expect_read(&p, "a\n");
	assert_int_equal(kring_read(&r, &p, buf, sizeof(buf), &len), 0);
}

/* Many records through a small ring: the circular array wraps and grows
 * without losing order. */
static void test_wraps(void **state)
{
	struct kring big;
	struct kpos p;
	char t[32];

	kring_init(&big, 1000);
	p.next = kring_begin(&big);
	for (int i = 1; i <= 500; i++) {
		snprintf(t, sizeof(t), "%d\n", i);
		assert_int_equal(kring_push(&big, (uint64_t)i * 2, false, t,
					    strlen(t)), 1);
		if (i % 3 == 0 && i <= 150) {
			assert_int_equal(kring_read(&big, &p, buf, sizeof(buf),
						    &len), 1);
		}
	}
	/* p fell behind: EPIPE, then the oldest kept, in order to the end. */
	int r2 = kring_read(&big, &p, buf, sizeof(buf), &len);
	assert_int_equal(r2, -EPIPE);
	int last = 0, n;
	while ((n = kring_read(&big, &p, buf, sizeof(buf), &len)) == 1) {
		int v = atoi(buf);
		assert_true(v > last);
		last = v;
	}
	assert_int_equal(n, 0);
	assert_int_equal(last, 500);
	kring_free(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwritten_gives_epipe_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_newer_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wraps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
