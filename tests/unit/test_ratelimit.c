#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ratelimit.h"

#define NOT_SET 0xdeadbeefull

/* One line at now: does it pass, and what is reported? */
static bool pass(struct ratelimit *rl, uint32_t lines, uint32_t seconds,
		 uint64_t now, uint64_t *report)
{
	*report = NOT_SET;
	return ratelimit_pass(rl, lines, seconds, now, report);
}

static void assert_state(const struct ratelimit *rl, uint64_t start,
			 uint32_t count, uint64_t suppressed)
{
	assert_true(rl->window_start_ms == start);
	assert_int_equal(rl->count, count);
	assert_true(rl->suppressed == suppressed);
}

static void test_first_line_opens_window(void **state)
{
	struct ratelimit rl;
	uint64_t rep;

	memset(&rl, 0, sizeof(rl));
	assert_true(pass(&rl, 3, 1, 5000, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 5000, 1, 0);
}

static void test_limit_within_window(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	/* 3 lines per second: the window is [5000, 6000). */
	assert_true(pass(&rl, 3, 1, 5000, &rep));
	assert_true(rep == 0);
	assert_true(pass(&rl, 3, 1, 5100, &rep));
	assert_true(rep == 0);
	assert_true(pass(&rl, 3, 1, 5200, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 5000, 3, 0);
	for (uint64_t t = 5300; t < 6000; t += 100) {
		assert_false(pass(&rl, 3, 1, t, &rep));
		assert_true(rep == 0);
	}
	assert_false(pass(&rl, 3, 1, 5999, &rep));
	assert_true(rep == 0);
	/* 5300..5900 is 7 lines, plus the one at 5999. */
	assert_state(&rl, 5000, 3, 8);
}

static void test_report_at_next_window_once(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 2, 1, 10000, &rep));
	assert_true(pass(&rl, 2, 1, 10001, &rep));
	for (int i = 0; i < 5; i++)
		assert_false(pass(&rl, 2, 1, 10500, &rep));
	assert_state(&rl, 10000, 2, 5);

	/* Exactly seconds * 1000 later a new window starts with this line,
	 * which passes and carries the report of the old one. */
	assert_true(pass(&rl, 2, 1, 11000, &rep));
	assert_true(rep == 5);
	assert_state(&rl, 11000, 1, 0);
	/* Reported once: not again in this window... */
	assert_true(pass(&rl, 2, 1, 11001, &rep));
	assert_true(rep == 0);
	assert_false(pass(&rl, 2, 1, 11002, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 11000, 2, 1);
	/* ...and the next window reports only what this one dropped. */
	assert_true(pass(&rl, 2, 1, 12000, &rep));
	assert_true(rep == 1);
	assert_state(&rl, 12000, 1, 0);
	assert_true(pass(&rl, 2, 1, 13000, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 13000, 1, 0);
}

static void test_window_anchored_at_first_line(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 1, 1, 6000, &rep));
	assert_false(pass(&rl, 1, 1, 6999, &rep));
	/* After a quiet spell the window starts at the next line, not at a
	 * multiple of the period. */
	assert_true(pass(&rl, 1, 1, 9500, &rep));
	assert_true(rep == 1);
	assert_state(&rl, 9500, 1, 0);
	assert_false(pass(&rl, 1, 1, 10000, &rep));
	assert_false(pass(&rl, 1, 1, 10499, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 9500, 1, 2);
	assert_true(pass(&rl, 1, 1, 10500, &rep));
	assert_true(rep == 2);
	assert_state(&rl, 10500, 1, 0);
}

static void test_multi_second_window(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	/* 2 lines per 60 s. */
	assert_true(pass(&rl, 2, 60, 100000, &rep));
	assert_true(pass(&rl, 2, 60, 100500, &rep));
	assert_false(pass(&rl, 2, 60, 101000, &rep));
	assert_false(pass(&rl, 2, 60, 159999, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 100000, 2, 2);
	assert_true(pass(&rl, 2, 60, 160000, &rep));
	assert_true(rep == 2);
	assert_state(&rl, 160000, 1, 0);

	/* The largest period the options allow, 86400 s. */
	memset(&rl, 0, sizeof(rl));
	assert_true(pass(&rl, 1, 86400, 1000, &rep));
	assert_false(pass(&rl, 1, 86400, 1000 + 86400000ull - 1, &rep));
	assert_true(pass(&rl, 1, 86400, 1000 + 86400000ull, &rep));
	assert_true(rep == 1);
}

static void test_large_counts(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	for (int i = 0; i < 1000; i++)
		assert_true(pass(&rl, 1000, 1, 50000 + (uint64_t)i, &rep));
	for (int i = 0; i < 123456; i++)
		assert_false(pass(&rl, 1000, 1, 50999, &rep));
	assert_state(&rl, 50000, 1000, 123456);
	assert_true(pass(&rl, 1000, 1, 51000, &rep));
	assert_true(rep == 123456);
}

static void test_report_always_written(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	/* *report is cleared on every call, pass or not. */
	assert_true(pass(&rl, 1, 1, 2000, &rep));
	assert_true(rep == 0);
	assert_false(pass(&rl, 1, 1, 2001, &rep));
	assert_true(rep == 0);
}

/* window_start_ms == 0 means "no window yet": the first line opens one at
 * its own time, even if that time is within seconds * 1000 of 0. */
static void test_window_start_zero(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 1, 1, 10, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 10, 1, 0);
	assert_false(pass(&rl, 1, 1, 1009, &rep));
	assert_state(&rl, 10, 1, 1);
	assert_true(pass(&rl, 1, 1, 1010, &rep));
	assert_true(rep == 1);
	assert_state(&rl, 1010, 1, 0);

	/* A line at time 0 must not leave 0 behind (that would mean "no
	 * window"): the window is recorded as starting at 1. */
	memset(&rl, 0, sizeof(rl));
	assert_true(pass(&rl, 1, 1, 0, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 1, 1, 0);
	assert_false(pass(&rl, 1, 1, 1, &rep));
	assert_false(pass(&rl, 1, 1, 1000, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 1, 1, 2);
	assert_true(pass(&rl, 1, 1, 1001, &rep));
	assert_true(rep == 2);
	assert_state(&rl, 1001, 1, 0);
}

static void test_zero_lines_drops_all(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_false(pass(&rl, 0, 1, 3000, &rep));
	assert_false(pass(&rl, 0, 1, 3500, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 3000, 0, 2);
	assert_false(pass(&rl, 0, 1, 4000, &rep));
	assert_true(rep == 2);
	assert_state(&rl, 4000, 0, 1);
}

static void test_flush_nothing(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	/* A fresh limiter has nothing to report, forced or not. */
	assert_true(ratelimit_flush(&rl, 1, 5000, false) == 0);
	assert_true(ratelimit_flush(&rl, 1, 5000, true) == 0);
	assert_true(ratelimit_flush(&rl, 1, 0, true) == 0);
	assert_state(&rl, 0, 0, 0);

	/* Lines let through but none dropped: still nothing. */
	assert_true(pass(&rl, 5, 1, 7000, &rep));
	assert_true(pass(&rl, 5, 1, 7100, &rep));
	assert_true(ratelimit_flush(&rl, 1, 7200, true) == 0);
	assert_true(ratelimit_flush(&rl, 1, 9000, false) == 0);
	assert_state(&rl, 7000, 2, 0);
}

static void test_flush_unforced(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 1, 2, 20000, &rep));
	assert_false(pass(&rl, 1, 2, 20100, &rep));
	assert_false(pass(&rl, 1, 2, 20200, &rep));
	assert_false(pass(&rl, 1, 2, 20300, &rep));
	/* Inside the window an unforced flush reports nothing, and keeps the
	 * count for later. */
	assert_true(ratelimit_flush(&rl, 2, 20300, false) == 0);
	assert_true(ratelimit_flush(&rl, 2, 21999, false) == 0);
	assert_state(&rl, 20000, 1, 3);
	/* Once the window is over, the count is reported, once. */
	assert_true(ratelimit_flush(&rl, 2, 22000, false) == 3);
	assert_state(&rl, 20000, 1, 0);
	assert_true(ratelimit_flush(&rl, 2, 22000, false) == 0);
	assert_true(ratelimit_flush(&rl, 2, 30000, true) == 0);
	/* The next line opens a window with nothing left to report. */
	assert_true(pass(&rl, 1, 2, 22500, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 22500, 1, 0);
}

static void test_flush_forced(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 2, 1, 40000, &rep));
	assert_true(pass(&rl, 2, 1, 40001, &rep));
	assert_false(pass(&rl, 2, 1, 40002, &rep));
	assert_false(pass(&rl, 2, 1, 40003, &rep));
	/* Forced (the last fd of the source closes): reported now, inside the
	 * window. The window and its count are kept. */
	assert_true(ratelimit_flush(&rl, 1, 40004, true) == 2);
	assert_state(&rl, 40000, 2, 0);
	assert_true(ratelimit_flush(&rl, 1, 40004, true) == 0);
	/* The window is still full: more lines are dropped and counted anew. */
	assert_false(pass(&rl, 2, 1, 40500, &rep));
	assert_true(rep == 0);
	assert_state(&rl, 40000, 2, 1);
	/* The next window reports only those, not the flushed ones again. */
	assert_true(pass(&rl, 2, 1, 41000, &rep));
	assert_true(rep == 1);
	assert_state(&rl, 41000, 1, 0);
}

static void test_flush_boundary(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t rep;

	assert_true(pass(&rl, 1, 1, 1000, &rep));
	assert_false(pass(&rl, 1, 1, 1500, &rep));
	assert_true(ratelimit_flush(&rl, 1, 1999, false) == 0);
	assert_true(ratelimit_flush(&rl, 1, 2000, false) == 1);
	assert_state(&rl, 1000, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line_opens_window),
		cmocka_unit_test(test_limit_within_window),
		cmocka_unit_test(test_report_at_next_window_once),
		cmocka_unit_test(test_window_anchored_at_first_line),
		cmocka_unit_test(test_multi_second_window),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_report_always_written),
		cmocka_unit_test(test_window_start_zero),
		cmocka_unit_test(test_zero_lines_drops_all),
		cmocka_unit_test(test_flush_nothing),
		cmocka_unit_test(test_flush_unforced),
		cmocka_unit_test(test_flush_forced),
		cmocka_unit_test(test_flush_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
