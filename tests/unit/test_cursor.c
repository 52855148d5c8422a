#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cursor.h"

static int parse_str(const char *s, struct cursor *c)
{
	return cursor_parse(s, strlen(s), c);
}

static void test_format(void **state)
{
	char out[CURSOR_LEN + 1];

	memset(out, 'X', sizeof(out));
	cursor_format(out, (struct cursor){ 0, 0 });
	assert_string_equal(out, "m1-0000000000000000-0000000000000000");

	cursor_format(out, (struct cursor){ 0x0123456789abcdefull,
					    0xfedcba9876543210ull });
	assert_string_equal(out, "m1-0123456789abcdef-fedcba9876543210");

	cursor_format(out, (struct cursor){ UINT64_MAX, 1 });
	assert_string_equal(out, "m1-ffffffffffffffff-0000000000000001");
	assert_int_equal(strlen(out), CURSOR_LEN);
}

static void test_parse(void **state)
{
	struct cursor c;

	assert_int_equal(parse_str("m1-0123456789abcdef-fedcba9876543210", &c), 0);
	assert_true(c.instance == 0x0123456789abcdefull);
	assert_true(c.seq == 0xfedcba9876543210ull);

	assert_int_equal(parse_str("m1-ffffffffffffffff-0000000000000000", &c), 0);
	assert_true(c.instance == UINT64_MAX);
	assert_true(c.seq == 0);

	/* The length given counts, not a NUL: a longer buffer is fine. */
	const char *s = "m1-00000000000000aa-00000000000000bbTRAILING";
	assert_int_equal(cursor_parse(s, CURSOR_LEN, &c), 0);
	assert_true(c.instance == 0xaa);
	assert_true(c.seq == 0xbb);
}

static void test_round_trip(void **state)
{
	static const uint64_t vals[] = {
		0, 1, 0xf, 0x10, 0xdeadbeef, 0x8000000000000000ull,
		0x7fffffffffffffffull, UINT64_MAX,
	};
	char out[CURSOR_LEN + 1];
	struct cursor c;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			cursor_format(out, (struct cursor){ vals[i], vals[j] });
			assert_int_equal(cursor_parse(out, CURSOR_LEN, &c), 0);
			assert_true(c.instance == vals[i]);
			assert_true(c.seq == vals[j]);
		}
	}
}

static void test_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"m1",
		"m1-0123456789abcdef-fedcba987654321",   /* 35 bytes */
		"m1-0123456789abcdef-fedcba98765432100", /* 37 bytes */
		"M1-0123456789abcdef-fedcba9876543210",
		"m2-0123456789abcdef-fedcba9876543210",
		"m1_0123456789abcdef-fedcba9876543210",
		"m1-0123456789abcdef_fedcba9876543210",
		"m1-0123456789ABCDEF-fedcba9876543210",  /* uppercase hex */
		"m1-0123456789abcdef-FEDCBA9876543210",
		"m1-0123456789abcdeg-fedcba9876543210",
		"m1-0123456789abcdef-fedcba987654321g",
		"m1- 123456789abcdef-fedcba9876543210",
		"m1-0123456789abcdef--edcba9876543210",
		"m1-0x23456789abcdef-fedcba9876543210",
		"m1-0123456789abcdef0fedcba9876543210",
	};
	struct cursor c = { 11, 22 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(bad[i], &c), -EINVAL);
		/* Output parameters are written only on success. */
		assert_true(c.instance == 11 && c.seq == 22);
	}

	/* A NUL inside the 36 bytes. */
	char nul[] = "m1-0123456789abcdef-fedcba9876543210";
	nul[10] = '\0';
	assert_int_equal(cursor_parse(nul, CURSOR_LEN, &c), -EINVAL);
	assert_true(c.instance == 11 && c.seq == 22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
