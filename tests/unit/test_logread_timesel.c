/* timesel: --since/--until against a fixed "now", in zones given as
 * POSIX TZ strings (no time zone files needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "timesel.h"

#define NS 1000000000ull
/* 2026-12-03T10:00:00Z, a Thursday */
#define NOW (1796292000ull * NS + 123)

static uint64_t resolve(const char *s, bool utc)
{
	struct timearg t;
	uint64_t ns;

	if (timearg_parse(s, &t) != 0)
		fail_msg("\"%s\" refused", s);
	if (timesel_resolve(&t, NOW, utc, &ns) != 0)
		fail_msg("\"%s\" out of range", s);
	return ns;
}

static void zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void test_utc(void **state)
{
	zone("EST5");
	assert_true(resolve("2026-12-03 10:00:00", true) == 1796292000ull * NS);
	assert_true(resolve("10:00", true) == 1796292000ull * NS);
	assert_true(resolve("today", true) == (1796292000ull - 36000) * NS);
	assert_true(resolve("yesterday", true) == (1796292000ull - 36000 - 86400) * NS);
	assert_true(resolve("tomorrow", true) == (1796292000ull - 36000 + 86400) * NS);
	/* " UTC" in the argument: UTC whatever --utc says. */
	assert_true(resolve("2026-12-03 10:00:00 UTC", false) == 1796292000ull * NS);
	(void)state;
}

static void test_local(void **state)
{
	zone("EST5"); /* UTC-5: now is 05:00 local on the 3rd */
	assert_true(resolve("2026-12-03 10:00:00", false) ==
		    (1796292000ull + 5 * 3600) * NS);
	assert_true(resolve("today", false) == (1796292000ull - 5 * 3600) * NS);
	assert_true(resolve("04:00", false) == (1796292000ull - 3600) * NS);
	zone("XYZ-11"); /* UTC+11: now is 21:00 local on the 3rd */
	assert_true(resolve("today", false) == (1796292000ull - 21 * 3600) * NS);
	assert_true(resolve("yesterday", false) ==
		    (1796292000ull - 21 * 3600 - 86400) * NS);
	/* A day with a DST change: 2026-03-29 in central Europe has 23 h. */
	zone("CET-1CEST,M3.5.0,M10.5.0/3");
	uint64_t a = resolve("2026-03-29", false), b = resolve("2026-03-30", false);
	assert_true(b - a == 23 * 3600 * NS);
	assert_true(resolve("2026-03-29 12:00", false) ==
		    resolve("2026-03-29 10:00 UTC", false));
	(void)state;
}

static void test_relative_and_epoch(void **state)
{
	assert_true(resolve("now", false) == NOW);
	assert_true(resolve("-1h", false) == NOW - 3600 * NS);
	assert_true(resolve("+15min", true) == NOW + 900 * NS);
	assert_true(resolve("@5.5", false) == 5 * NS + NS / 2);
	assert_true(resolve("-100y", false) == 0); /* before 1970: the epoch */
	struct timearg t;
	uint64_t ns;
	assert_int_equal(timearg_parse("+200y", &t), 0);
	assert_int_equal(timesel_resolve(&t, UINT64_MAX - 5, false, &ns), -ERANGE);
	/* A civil time past 2554 in the zone. */
	assert_int_equal(timearg_parse("2554-12-31", &t), -ERANGE);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_relative_and_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
