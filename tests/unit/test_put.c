/* put: decimal numbers at their edges, fractions with and without
 * trailing zeros, each compared with what snprintf writes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "put.h"

static void test_u64(void **state)
{
	static const uint64_t v[] = { 0, 1, 9, 10, 99, 100, 12345,
				      4294967295u, 4294967296u,
				      18446744073709551615u };
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char got[32], want[32];
		char *e = put_u64(got, v[i]);
		*e = '\0';
		snprintf(want, sizeof(want), "%" PRIu64, v[i]);
		assert_string_equal(got, want);
	}
}

static void test_frac(void **state)
{
	static const struct { uint32_t ns; const char *want; } c[] = {
		{ 0, "" }, { 1, ".000000001" }, { 500000000, ".5" },
		{ 120000, ".00012" }, { 999999999, ".999999999" },
		{ 100000000, ".1" }, { 10, ".00000001" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char got[16];
		char *e = put_frac_ns(got, c[i].ns);
		*e = '\0';
		assert_string_equal(got, c[i].want);
	}
}

static void test_str(void **state)
{
	char b[16];
	(void)state;
	char *e = put_str(put_str(b, "ab"), "");
	e = put_str(e, "cde");
	*e = '\0';
	assert_string_equal(b, "abcde");
	assert_ptr_equal(e, b + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_frac),
		cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
