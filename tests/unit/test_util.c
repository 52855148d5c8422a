#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void test_parse_u64_ok(void **state)
{
	uint64_t v = 7;

	assert_int_equal(parse_u64("0", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("5000", UINT64_MAX, &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(parse_u64("007", UINT64_MAX, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("100", 100, &v), 0);
	assert_int_equal(v, 100);
}

static void test_parse_u64_errors(void **state)
{
	uint64_t v = 42;

	assert_int_equal(parse_u64(NULL, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("+1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("1 ", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("12a", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("18446744073709551616", UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(parse_u64("101", 100, &v), -ERANGE);
	/* Output parameters are written only on success. */
	assert_int_equal(v, 42);
}

static void test_parse_size(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_size("0", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_size("1234", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse_size("4M", UINT64_MAX, &v), 0);
	assert_int_equal(v, 4194304);
	assert_int_equal(parse_size("4m", UINT64_MAX, &v), 0);
	assert_int_equal(v, 4194304);
	assert_int_equal(parse_size("2k", UINT64_MAX, &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(parse_size("3G", UINT64_MAX, &v), 0);
	assert_int_equal(v, 3ull << 30);
	assert_int_equal(parse_size("8KB", UINT64_MAX, &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(parse_size("8kb", UINT64_MAX, &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(parse_size("1MiB", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(parse_size("1mib", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(parse_size("512B", UINT64_MAX, &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse_size("512b", UINT64_MAX, &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse_size("1K", 1024, &v), 0);
	assert_int_equal(v, 1024);
}

static void test_parse_size_errors(void **state)
{
	uint64_t v = 99;

	assert_int_equal(parse_size(NULL, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("M", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4T", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4MM", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4Mx", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4iB", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4BiB", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("4 M", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("-4M", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1.5M", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1025", 1024, &v), -ERANGE);
	assert_int_equal(parse_size("2K", 2047, &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551615K", UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(parse_size("18446744073709551616", UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(v, 99);
}

static void test_parse_rate(void **state)
{
	uint32_t l = 0, s = 0;

	assert_int_equal(parse_rate("100", &l, &s), 0);
	assert_int_equal(l, 100);
	assert_int_equal(s, 1);
	assert_int_equal(parse_rate("1000/30", &l, &s), 0);
	assert_int_equal(l, 1000);
	assert_int_equal(s, 30);
	assert_int_equal(parse_rate("4294967295/86400", &l, &s), 0);
	assert_int_equal(l, UINT32_MAX);
	assert_int_equal(s, 86400);

	l = s = 5;
	assert_int_equal(parse_rate("", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("/5", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("10/", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("0", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("10/0", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("x/5", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("10/5/2", &l, &s), -EINVAL);
	assert_int_equal(parse_rate("4294967296", &l, &s), -ERANGE);
	assert_int_equal(parse_rate("10/86401", &l, &s), -ERANGE);
	assert_int_equal(parse_rate("123456789012345678901234567890123/1", &l,
				    &s), -EINVAL);
	assert_int_equal(l, 5);
	assert_int_equal(s, 5);
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
	static const char *const bad[] = { "", "yes", "no", "2", "tru", "true ",
					   "on" };
	bool b;

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		b = true;
		assert_int_equal(parse_bool(bad[i], &b), -EINVAL);
		assert_true(b);
	}
}

static void test_fd_flags(void **state)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(p[0]), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(p[0]), 0); /* idempotent */
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);

	assert_false(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fd_set_cloexec(p[1], true), 0);
	assert_true(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fd_set_cloexec(p[1], false), 0);
	assert_false(fcntl(p[1], F_GETFD) & FD_CLOEXEC);

	close(p[0]);
	close(p[1]);
	assert_int_equal(fd_set_nonblock(p[0]), -EBADF);
	assert_int_equal(fd_set_cloexec(p[0], true), -EBADF);
}

static void test_clocks(void **state)
{
	uint64_t r1 = now_realtime_ns(), m1 = now_mono_ms();
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	/* After 2020-01-01 and before 2100. */
	assert_true(r1 > 1577836800ull * 1000000000ull);
	assert_true(r1 < 4102444800ull * 1000000000ull);
	nanosleep(&ts, NULL);
	uint64_t r2 = now_realtime_ns(), m2 = now_mono_ms();
	assert_true(m2 >= m1 + 19);
	assert_true(m2 < m1 + 10000);
	assert_true(r2 > r1);
}

static void test_macros(void **state)
{
	struct outer {
		int a;
		long b;
	} o;
	int arr[7];

	assert_int_equal(ARRAY_SIZE(arr), 7);
	assert_ptr_equal(container_of(&o.b, struct outer, b), &o);
	assert_int_equal(MIN(3, 5), 3);
	assert_int_equal(MAX(3, 5), 5);
	assert_int_equal(MIN(-1, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_ok),
		cmocka_unit_test(test_parse_u64_errors),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_size_errors),
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_fd_flags),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
