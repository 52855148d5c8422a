/* timearg: journalctl's --since/--until forms, parsed without a clock or
 * a zone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timearg.h"

#define NS 1000000000ull

static struct timearg t;

static void ok(const char *s)
{
	int r = timearg_parse(s, &t);
	if (r != 0)
		fail_msg("\"%s\" refused: %d", s, r);
}

static void bad(const char *s, int want)
{
	int r = timearg_parse(s, &t);
	if (r != want)
		fail_msg("\"%s\": %d, want %d", s, r, want);
}

static void civil(const char *s, bool has_date, int y, int mo, int d, int h,
		  int mi, int sec, uint32_t nsec, bool utc)
{
	ok(s);
	assert_int_equal(t.kind, TIMEARG_CIVIL);
	assert_int_equal(t.has_date, has_date);
	if (has_date) {
		assert_int_equal(t.year, y);
		assert_int_equal(t.mon, mo);
		assert_int_equal(t.day, d);
	}
	assert_int_equal(t.hour, h);
	assert_int_equal(t.min, mi);
	assert_int_equal(t.sec, sec);
	assert_int_equal(t.nsec, nsec);
	assert_int_equal(t.utc, utc);
}

static void test_dates(void **state)
{
	civil("2026-12-03 10:00:00", true, 2026, 12, 3, 10, 0, 0, 0, false);
	civil("2026-12-03T10:00:05.25", true, 2026, 12, 3, 10, 0, 5, 250000000, false);
	civil("2026-12-03 10:07", true, 2026, 12, 3, 10, 7, 0, 0, false);
	civil("2026-12-03", true, 2026, 12, 3, 0, 0, 0, 0, false);
	civil("2026-12-03 23:59:59.999999999 UTC", true, 2026, 12, 3, 23, 59, 59,
	      999999999, true);
	civil("2024-02-29", true, 2024, 2, 29, 0, 0, 0, 0, false);
	civil("10:00", false, 0, 0, 0, 10, 0, 0, 0, false);
	civil("10:00:30", false, 0, 0, 0, 10, 0, 30, 0, false);
	civil("00:00 UTC", false, 0, 0, 0, 0, 0, 0, 0, true);
	civil("today", false, 0, 0, 0, 0, 0, 0, 0, false);
	assert_int_equal(t.day_offset, 0);
	civil("yesterday", false, 0, 0, 0, 0, 0, 0, 0, false);
	assert_int_equal(t.day_offset, -1);
	civil("tomorrow", false, 0, 0, 0, 0, 0, 0, 0, false);
	assert_int_equal(t.day_offset, 1);

	bad("2023-02-29", -EINVAL);
	bad("2026-13-01", -EINVAL);
	bad("2026-00-01", -EINVAL);
	bad("2026-12-32", -EINVAL);
	bad("2026-12-3", -EINVAL);
	bad("2026-12-03 24:00", -EINVAL);
	bad("2026-12-03 10:60", -EINVAL);
	bad("2026-12-03 10:00:60", -EINVAL);
	bad("2026-12-03 10", -EINVAL);
	bad("2026-12-03  10:00", -EINVAL);
	bad("2026-12-03 10:00:00.", -EINVAL);
	bad("2026-12-03 10:00:00.1234567890", -EINVAL);
	bad("2026-12-03 10:00 CET", -EINVAL);
	bad("1:00", -EINVAL);
	bad("10", -EINVAL);
	bad("", -EINVAL);
	bad("Today", -EINVAL);
	bad("1969-12-31", -ERANGE);
	bad("2600-01-01", -ERANGE);
	(void)state;
}

static void rel(const char *s, int64_t want)
{
	ok(s);
	assert_int_equal(t.kind, TIMEARG_REL);
	if (t.rel != want)
		fail_msg("\"%s\": %lld, want %lld", s, (long long)t.rel,
			 (long long)want);
}

static void test_relative(void **state)
{
	rel("now", 0);
	rel("-1h", -3600 * (int64_t)NS);
	rel("-15min", -900 * (int64_t)NS);
	rel("+5s", 5 * (int64_t)NS);
	rel("-1d12h", -(86400 + 43200) * (int64_t)NS);
	rel("-1h 30min", -5400 * (int64_t)NS);
	rel("-2 days", -2 * 86400 * (int64_t)NS);
	rel("2 days ago", -2 * 86400 * (int64_t)NS);
	rel("5min ago", -300 * (int64_t)NS);
	rel("-1w", -604800 * (int64_t)NS);
	rel("-1M", -2629800 * (int64_t)NS);   /* a month: 30.44 days */
	rel("-1m", -60 * (int64_t)NS);        /* m: minutes */
	rel("-1y", -31557600 * (int64_t)NS);
	rel("-250ms", -250000000);
	rel("-7us", -7000);
	rel("-0s", 0);

	bad("-5", -EINVAL);       /* a unit is needed */
	bad("-", -EINVAL);
	bad("-1x", -EINVAL);
	bad("-1hours2", -EINVAL);
	bad("-1 ago", -EINVAL);
	bad("1h", -EINVAL);       /* no sign and no "ago": not a time */
	bad("+1h ago", -EINVAL);
	bad("-300y", -ERANGE);
	bad("-99999999999999999999s", -ERANGE);
	(void)state;
}

static void test_epoch(void **state)
{
	ok("@1764756000");
	assert_int_equal(t.kind, TIMEARG_ABS);
	assert_true(t.ns == 1764756000ull * NS);
	ok("@1764756000.000000001");
	assert_true(t.ns == 1764756000ull * NS + 1);
	ok("@0");
	assert_true(t.ns == 0);
	ok("@18446744073.709551615"); /* the last ns uint64 holds */
	assert_true(t.ns == UINT64_MAX);
	bad("@18446744073.709551616", -ERANGE);
	bad("@18446744074", -ERANGE);
	bad("@", -EINVAL);
	bad("@-1", -EINVAL);
	bad("@1.", -EINVAL);
	bad("@1x", -EINVAL);
	(void)state;
}

static void test_civil_utc(void **state)
{
	uint64_t ns;

	assert_int_equal(timearg_civil_utc(1970, 1, 1, 0, 0, 0, 0, &ns), 0);
	assert_true(ns == 0);
	assert_int_equal(timearg_civil_utc(2026, 12, 3, 10, 0, 0, 5, &ns), 0);
	assert_true(ns == 1796292000ull * NS + 5);
	assert_int_equal(timearg_civil_utc(2000, 2, 29, 12, 0, 0, 0, &ns), 0);
	assert_true(ns == 951825600ull * NS);
	assert_int_equal(timearg_civil_utc(1969, 12, 31, 23, 59, 59, 0, &ns),
			 -ERANGE);
	(void)state;
}

static void test_long(void **state)
{
	char s[TIMEARG_MAX + 2];
	memset(s, ' ', sizeof(s) - 1);
	s[0] = '-';
	s[1] = '1';
	s[sizeof(s) - 2] = 'h';
	s[sizeof(s) - 1] = '\0';
	bad(s, -EINVAL);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_civil_utc),
		cmocka_unit_test(test_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
