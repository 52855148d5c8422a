/* timecache: exactly time_format_rfc3339nano's text, whatever the order of
 * the times (same second, next second, back in time, fractions with
 * trailing zeros, none). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "timecache.h"

static void same(struct timecache *c, uint64_t ns)
{
	char a[TIMEFMT_MAX], b[TIMEFMT_MAX];
	size_t na = timecache_format(c, a, ns);
	size_t nb = time_format_rfc3339nano(b, ns);

	if (na != nb || memcmp(a, b, na) != 0)
		fail_msg("%llu: %.*s, want %.*s", (unsigned long long)ns,
			 (int)na, a, (int)nb, b);
}

static void test_matches_timefmt(void **state)
{
	(void)state;
	struct timecache c;
	static const uint64_t fixed[] = {
		0, 1, 999999999, 1000000000, 1795328733500000000ull,
		1795328733500000001ull, 1795328733000000000ull,
		1795328734000000010ull, 1795328733999999999ull,
		951782400123456789ull, /* 2000-02-29 */
		UINT64_MAX,
	};

	timecache_init(&c);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		same(&c, fixed[i]);
	srand(7);
	uint64_t t = 1795328733000000000ull;
	for (int i = 0; i < 200000; i++) {
		/* Mostly forward within the second, sometimes a jump. */
		if (rand() % 50 == 0)
			t += (uint64_t)rand() * 1000003ull;
		else if (rand() % 100 == 0)
			t -= (uint64_t)(rand() % 5000) * 1000000ull;
		else
			t += (uint64_t)(rand() % 100000);
		if (rand() % 10 == 0)
			t -= t % 1000; /* trailing zeros */
		same(&c, t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_timefmt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
