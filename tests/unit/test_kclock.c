#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kclock.h"

#define S 1000000ull

/* Nothing known before a sample: no record gets a monotonic time. */
static void test_unknown(void **state)
{
	struct kclock c = { 0 };
	uint64_t m;

	(void)state;
	assert_false(kclock_mono(&c, 5 * S, &m));
}

/* The least offset seen wins: a record read late (a backlog, a reader
 * that was stopped) does not move the estimate; the monotonic clock
 * 2.36 s ahead of printk's, as on a test VM. */
static void test_least_offset(void **state)
{
	struct kclock c = { 0 };
	uint64_t m;

	(void)state;
	kclock_sample(&c, 1000 * S + 2360000 + 40, 1000 * S);  /* 40 us late */
	kclock_sample(&c, 1010 * S + 2360000 + 9000000, 1010 * S); /* 9 s late */
	assert_true(kclock_mono(&c, 1020 * S, &m));
	assert_int_equal(m, 1020 * S + 2360040);
	kclock_sample(&c, 1030 * S + 2360000 + 10, 1030 * S);  /* 10 us late */
	assert_true(kclock_mono(&c, 1040 * S, &m));
	assert_int_equal(m, 1040 * S + 2360010);
}

/* Drift: a smaller offset is taken at once; a larger one once the window
 * with the smaller has passed (two windows). A negative offset works. */
static void test_drift(void **state)
{
	struct kclock c = { 0 };
	uint64_t m;

	(void)state;
	kclock_sample(&c, 100 * S, 100 * S + 500);             /* -500 us */
	assert_true(kclock_mono(&c, 200 * S, &m));
	assert_int_equal(m, 200 * S - 500);
	kclock_sample(&c, 100 * S + KCLOCK_WINDOW_US, 100 * S + KCLOCK_WINDOW_US - 700);
	assert_true(kclock_mono(&c, 200 * S, &m));
	assert_int_equal(m, 200 * S - 500);                    /* prev still less */
	kclock_sample(&c, 100 * S + 2 * KCLOCK_WINDOW_US,
		      100 * S + 2 * KCLOCK_WINDOW_US - 800);
	assert_true(kclock_mono(&c, 200 * S, &m));
	assert_int_equal(m, 200 * S + 700);                    /* 700 < 800 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_least_offset),
		cmocka_unit_test(test_drift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
