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

/* One parse: the text, the limit, what the parser returns (0 or
 * -errno) and, on success, the value. */
struct num_case {
	const char *in;
	uint64_t max;
	int ret;
	uint64_t value;
};

#define NO_VALUE 0x5a5a5a5a5a5a5a5aull

static void check_num(int (*parse)(const char *, uint64_t, uint64_t *),
		      const char *name, const struct num_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++, c++) {
		uint64_t v = NO_VALUE;
		int r = parse(c->in, c->max, &v);

		if (r != c->ret)
			fail_msg("%s(\"%s\", %llu) = %d, want %d", name,
				 c->in ? c->in : "(null)",
				 (unsigned long long)c->max, r, c->ret);
		/* Output parameters are written only on success. */
		if (v != (r == 0 ? c->value : NO_VALUE))
			fail_msg("%s(\"%s\"): value %llu, want %llu", name,
				 c->in ? c->in : "(null)", (unsigned long long)v,
				 (unsigned long long)(r == 0 ? c->value : NO_VALUE));
	}
}

static void test_fmt_u64(void **state)
{
	static const uint64_t v[] = { 0, 9, 10, 191, 1000000, UINT64_MAX };
	static const char *const want[] = { "0", "9", "10", "191", "1000000",
					    "18446744073709551615" };
	char out[21];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		size_t n = fmt_u64(out, v[i]);
		out[n] = '\0';
		assert_string_equal(out, want[i]);
	}
}

static void test_parse_u64(void **state)
{
	static const struct num_case cases[] = {
		{ "0", UINT64_MAX, 0, 0 },
		{ "5000", UINT64_MAX, 0, 5000 },
		{ "007", UINT64_MAX, 0, 7 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "100", 100, 0, 100 },
		{ NULL, UINT64_MAX, -EINVAL, 0 },
		{ "", UINT64_MAX, -EINVAL, 0 },
		{ "-1", UINT64_MAX, -EINVAL, 0 },
		{ "+1", UINT64_MAX, -EINVAL, 0 },
		{ " 1", UINT64_MAX, -EINVAL, 0 },
		{ "1 ", UINT64_MAX, -EINVAL, 0 },
		{ "12a", UINT64_MAX, -EINVAL, 0 },
		{ "0x10", UINT64_MAX, -EINVAL, 0 },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		{ "99999999999999999999999", UINT64_MAX, -ERANGE, 0 },
		{ "101", 100, -ERANGE, 0 },
	};

	check_num(parse_u64, "parse_u64", cases, ARRAY_SIZE(cases));
}

static void test_parse_size(void **state)
{
	static const struct num_case cases[] = {
		{ "0", UINT64_MAX, 0, 0 },
		{ "1234", UINT64_MAX, 0, 1234 },
		{ "4M", UINT64_MAX, 0, 4194304 },
		{ "4m", UINT64_MAX, 0, 4194304 },
		{ "2k", UINT64_MAX, 0, 2048 },
		{ "3G", UINT64_MAX, 0, 3ull << 30 },
		{ "8KB", UINT64_MAX, 0, 8192 },
		{ "8kb", UINT64_MAX, 0, 8192 },
		{ "1MiB", UINT64_MAX, 0, 1048576 },
		{ "1mib", UINT64_MAX, 0, 1048576 },
		{ "512B", UINT64_MAX, 0, 512 },
		{ "512b", UINT64_MAX, 0, 512 },
		{ "1K", 1024, 0, 1024 },
		{ NULL, UINT64_MAX, -EINVAL, 0 },
		{ "", UINT64_MAX, -EINVAL, 0 },
		{ "M", UINT64_MAX, -EINVAL, 0 },
		{ "4T", UINT64_MAX, -EINVAL, 0 },
		{ "4MM", UINT64_MAX, -EINVAL, 0 },
		{ "4Mx", UINT64_MAX, -EINVAL, 0 },
		{ "4iB", UINT64_MAX, -EINVAL, 0 },
		{ "4BiB", UINT64_MAX, -EINVAL, 0 },
		{ "4 M", UINT64_MAX, -EINVAL, 0 },
		{ "-4M", UINT64_MAX, -EINVAL, 0 },
		{ "1.5M", UINT64_MAX, -EINVAL, 0 },
		{ "1025", 1024, -ERANGE, 0 },
		{ "2K", 2047, -ERANGE, 0 },
		{ "18446744073709551615K", UINT64_MAX, -ERANGE, 0 },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
	};

	check_num(parse_size, "parse_size", cases, ARRAY_SIZE(cases));
}

static void test_parse_rate(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint32_t lines, seconds;
	} cases[] = {
		{ "100", 0, 100, 1 },
		{ "1000/30", 0, 1000, 30 },
		{ "4294967295/86400", 0, UINT32_MAX, 86400 },
		{ "", -EINVAL, 0, 0 },
		{ "/5", -EINVAL, 0, 0 },
		{ "10/", -EINVAL, 0, 0 },
		{ "0", -EINVAL, 0, 0 },
		{ "10/0", -EINVAL, 0, 0 },
		{ "x/5", -EINVAL, 0, 0 },
		{ "10/5/2", -EINVAL, 0, 0 },
		{ "4294967296", -ERANGE, 0, 0 },
		{ "10/86401", -ERANGE, 0, 0 },
		{ "123456789012345678901234567890123/1", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t l = 5, s = 5;
		int r = parse_rate(cases[i].in, &l, &s);

		if (r != cases[i].ret)
			fail_msg("parse_rate(\"%s\") = %d, want %d", cases[i].in,
				 r, cases[i].ret);
		/* Written only on success. */
		if (l != (r == 0 ? cases[i].lines : 5) ||
		    s != (r == 0 ? cases[i].seconds : 5))
			fail_msg("parse_rate(\"%s\"): %u/%u", cases[i].in, l, s);
	}
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
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_fmt_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_fd_flags),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
