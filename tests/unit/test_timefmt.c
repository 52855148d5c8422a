#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "timefmt.h"

#define NS 1000000000ull

static void check_nano(uint64_t ns, const char *want)
{
	char out[TIMEFMT_MAX + 8];

	memset(out, 'X', sizeof(out));
	size_t n = time_format_rfc3339nano(out, ns);
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("%llu: got \"%.*s\", want \"%s\"", (unsigned long long)ns,
			 (int)n, out, want);
	assert_true(n <= TIMEFMT_MAX);
	assert_int_equal(out[n], 'X'); /* no NUL, nothing past the end */
}

static void check_secs(uint64_t ns, const char *want)
{
	char out[TIMEFMT_MAX + 8];

	memset(out, 'X', sizeof(out));
	size_t n = time_format_rfc3339(out, ns);
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("%llu: got \"%.*s\", want \"%s\"", (unsigned long long)ns,
			 (int)n, out, want);
	assert_int_equal(out[n], 'X');
}

static int parse(const char *s, uint64_t *ns)
{
	return time_parse_rfc3339(s, strlen(s), ns);
}

static void test_format_known(void **state)
{
	check_nano(0, "1970-01-01T00:00:00Z");
	check_nano(1550851463849452360ull, "2019-02-22T16:04:23.84945236Z");
	check_nano(1550851463000000000ull, "2019-02-22T16:04:23Z");
	check_nano(1550851463100000000ull, "2019-02-22T16:04:23.1Z");
	check_nano(1550851463000000001ull, "2019-02-22T16:04:23.000000001Z");
	check_nano(1550851463000001000ull, "2019-02-22T16:04:23.000001Z");
	check_nano(1550851463999999999ull, "2019-02-22T16:04:23.999999999Z");
	check_nano(1, "1970-01-01T00:00:00.000000001Z");
	check_nano(946684799 * NS, "1999-12-31T23:59:59Z");
	check_nano(2147483648ull * NS, "2038-01-19T03:14:08Z");
	check_nano(UINT64_MAX, "2554-07-21T23:34:33.709551615Z");
}

static void test_format_leap_years(void **state)
{
	check_nano(951825600 * NS, "2000-02-29T12:00:00Z");
	check_nano(1582934400 * NS, "2020-02-29T00:00:00Z");
	check_nano((1582934400 - 1) * NS, "2020-02-28T23:59:59Z");
	check_nano(4107542400ull * NS, "2100-03-01T00:00:00Z");
	check_nano((4107542400ull - 1) * NS, "2100-02-28T23:59:59Z");
	check_nano(13574649599ull * NS, "2400-02-29T23:59:59Z");
}

static void test_format_whole_seconds(void **state)
{
	check_secs(0, "1970-01-01T00:00:00Z");
	check_secs(1550851463849452360ull, "2019-02-22T16:04:23Z");
	check_secs(1550851463999999999ull, "2019-02-22T16:04:23Z");
	check_secs(UINT64_MAX, "2554-07-21T23:34:33Z");
}

static void test_parse_known(void **state)
{
	uint64_t ns = 1;

	assert_int_equal(parse("1970-01-01T00:00:00Z", &ns), 0);
	assert_true(ns == 0);
	assert_int_equal(parse("2019-02-22T16:04:23.84945236Z", &ns), 0);
	assert_true(ns == 1550851463849452360ull);
	assert_int_equal(parse("2019-02-22T16:04:23Z", &ns), 0);
	assert_true(ns == 1550851463000000000ull);
	/* Any number of fraction digits from 1 to 9, trailing zeros too. */
	assert_int_equal(parse("2019-02-22T16:04:23.1Z", &ns), 0);
	assert_true(ns == 1550851463100000000ull);
	assert_int_equal(parse("2019-02-22T16:04:23.100Z", &ns), 0);
	assert_true(ns == 1550851463100000000ull);
	assert_int_equal(parse("2019-02-22T16:04:23.000000001Z", &ns), 0);
	assert_true(ns == 1550851463000000001ull);
	assert_int_equal(parse("2019-02-22T16:04:23.000000000Z", &ns), 0);
	assert_true(ns == 1550851463000000000ull);
	assert_int_equal(parse("2000-02-29T12:00:00Z", &ns), 0);
	assert_true(ns == 951825600 * NS);
	assert_int_equal(parse("2400-02-29T23:59:59Z", &ns), 0);
	assert_true(ns == 13574649599ull * NS);
	assert_int_equal(parse("2554-07-21T23:34:33.709551615Z", &ns), 0);
	assert_true(ns == UINT64_MAX);
	assert_int_equal(parse("2554-07-21T23:34:33Z", &ns), 0);
	assert_true(ns == 18446744073ull * NS);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"2019-02-22",
		"2019-02-22T16:04:23",
		"2019-02-22T16:04:23z",
		"2019-02-22t16:04:23Z",
		"2019-02-22 16:04:23Z",
		"2019-02-22T16:04:23+00:00",
		"2019-02-22T16:04:23.Z",
		"2019-02-22T16:04:23.1234567890Z",
		"2019-02-22T16:04:23.12a4Z",
		"2019-02-22T16:04:23ZZ",
		"2019-02-22T16:04:23Z ",
		" 2019-02-22T16:04:23Z",
		"2019/02/22T16:04:23Z",
		"2019-2-22T16:04:23Z",
		"19-02-22T16:04:23Z",
		"+019-02-22T16:04:23Z",
		"2019-02-22T16:04:2aZ",
		"1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z",
		"2019-00-22T16:04:23Z",
		"2019-13-22T16:04:23Z",
		"2019-02-00T16:04:23Z",
		"2019-01-32T16:04:23Z",
		"2019-02-22T24:00:00Z",
		"2019-02-22T16:60:23Z",
		"2019-02-22T16:04:61Z",
		/* Days the month does not have. */
		"2019-02-29T00:00:00Z",
		"2019-02-30T00:00:00Z",
		"2019-02-31T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2019-04-31T00:00:00Z",
		"2019-06-31T00:00:00Z",
		"2019-09-31T00:00:00Z",
		"2019-11-31T00:00:00Z",
	};
	uint64_t ns = 12345;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &ns) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(ns == 12345);
	}
}

static void test_parse_out_of_range(void **state)
{
	uint64_t ns = 12345;

	/* Past what a uint64 of nanoseconds holds. */
	assert_true(parse("2554-07-21T23:34:33.709551616Z", &ns) < 0);
	assert_true(parse("2554-07-21T23:34:34Z", &ns) < 0);
	assert_true(parse("2555-01-01T00:00:00Z", &ns) < 0);
	assert_true(parse("9999-12-31T23:59:59.999999999Z", &ns) < 0);
	assert_true(ns == 12345);
}

static void test_parse_length_counts(void **state)
{
	const char *s = "2019-02-22T16:04:23.5Zjunk";
	uint64_t ns;

	assert_int_equal(time_parse_rfc3339(s, 22, &ns), 0);
	assert_true(ns == 1550851463500000000ull);
	assert_int_equal(time_parse_rfc3339(s, 21, &ns), -EINVAL);
	assert_int_equal(time_parse_rfc3339(s, 23, &ns), -EINVAL);
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void round_trip(uint64_t ns)
{
	char out[TIMEFMT_MAX];
	uint64_t back = 0;
	size_t n = time_format_rfc3339nano(out, ns);

	if (time_parse_rfc3339(out, n, &back) != 0 || back != ns)
		fail_msg("%llu -> \"%.*s\" does not parse back",
			 (unsigned long long)ns, (int)n, out);
	n = time_format_rfc3339(out, ns);
	assert_int_equal(time_parse_rfc3339(out, n, &back), 0);
	assert_true(back == ns - ns % NS);
}

static void test_round_trip(void **state)
{
	round_trip(0);
	round_trip(1);
	round_trip(NS - 1);
	round_trip(UINT64_MAX);
	round_trip(UINT64_MAX - 1);
	round_trip(18446744073ull * NS);
	round_trip(18446744073ull * NS - 1);
	for (int i = 0; i < 100000; i++) {
		uint64_t ns = rnd64();
		round_trip(ns);
		round_trip(ns - ns % NS);
		round_trip(ns % (4102444800ull * NS));
	}
	/* Every day boundary over four centuries, 2000 to 2400 included. */
	for (uint64_t day = 0; day < 160000; day++)
		round_trip(day * 86400 * NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_leap_years),
		cmocka_unit_test(test_format_whole_seconds),
		cmocka_unit_test(test_parse_known),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_out_of_range),
		cmocka_unit_test(test_parse_length_counts),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
