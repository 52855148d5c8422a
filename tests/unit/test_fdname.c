/* fdname: the names of fds in the service manager's store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fdname.h"

static void test_round_trip(void **state)
{
	char out[FDNAME_MAX + 1];
	struct fdname f;

	assert_int_equal(fdname_encode(out, 7, FDNAME_DEST, 0, NULL, 0), 10);
	assert_string_equal(out, "memlog.7.d");
	assert_int_equal(fdname_decode(out, 10, &f), 0);
	assert_int_equal(f.id, 7);
	assert_int_equal(f.kind, FDNAME_DEST);

	const char name[] = "k8s/ns/pod:web \x01%\xc3\xa9";
	int n = fdname_encode(out, 42, FDNAME_SOURCE, 2, name, sizeof(name) - 1);
	assert_string_equal(out, "memlog.42.s.2.k8s/ns/pod%3Aweb%20%01%25%C3%A9");
	assert_int_equal(n, (int)strlen(out));
	assert_int_equal(fdname_decode(out, (size_t)n, &f), 0);
	assert_int_equal(f.id, 42);
	assert_int_equal(f.kind, FDNAME_SOURCE);
	assert_int_equal(f.stream, 2);
	assert_int_equal(f.name_len, sizeof(name) - 1);
	assert_memory_equal(f.name, name, f.name_len);

	/* Keys. */
	n = fdname_encode(out, 9223372036854775813ull, FDNAME_KEY, 0, NULL, 0);
	assert_string_equal(out, "memlog.k.9223372036854775813");
	assert_int_equal(n, (int)strlen(out));
	assert_int_equal(fdname_decode(out, (size_t)n, &f), 0);
	assert_int_equal(f.kind, FDNAME_KEY);
	assert_true(f.id == 9223372036854775813ull);
}

static void test_too_long(void **state)
{
	char out[FDNAME_MAX + 1], name[300];

	memset(name, 'a', sizeof(name));
	/* "memlog.1.s.1." is 13 bytes: 242 plain bytes fit, 243 do not. */
	assert_int_equal(fdname_encode(out, 1, FDNAME_SOURCE, 1, name, 242), 255);
	assert_int_equal(fdname_encode(out, 1, FDNAME_SOURCE, 1, name, 243),
			 -ENAMETOOLONG);
	/* Escapes count three. */
	memset(name, ' ', 81);
	assert_int_equal(fdname_encode(out, 1, FDNAME_SOURCE, 1, name, 81),
			 -ENAMETOOLONG);
	assert_int_equal(fdname_encode(out, 1, FDNAME_SOURCE, 1, name, 80), 253);
}

static void test_rejects(void **state)
{
	struct fdname f;
	const char *bad[] = {
		"", "memlog.", "memlog.1", "memlog.1.", "memlog.1.x",
		"memlog.1.dd", "memlog.01.d", "memlog.-1.d", "memlog.1.s",
		"memlog.1.s.", "memlog.1.s.1", "memlog.1.s.256.x",
		"memlog.1.s.1.a b", "memlog.1.s.1.a:b", "memlog.1.s.1.%4",
		"memlog.1.s.1.%4g", "memlog.1.s.1.%41", /* 'A' is written plain */
		"memlog.1.s.1.%c3", /* lower-case hex is not ours */
		"memlog.18446744073709551616.d", "other.1.d", "MEMLOG.1.d",
		"memlog.k.", "memlog.k.01", "memlog.k.1x", "memlog.k.-1",
		"memlog.k.18446744073709551616", "memlog.k.1.d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fdname_decode(bad[i], strlen(bad[i]), &f) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	/* The largest id, and an empty name, are fine. */
	assert_int_equal(fdname_decode("memlog.18446744073709551615.d", 29, &f), 0);
	assert_true(f.id == UINT64_MAX);
	assert_int_equal(fdname_decode("memlog.1.s.1.", 13, &f), 0);
	assert_int_equal(f.name_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
