/* The per-slot seqs of reader.h's uid and view readers, kept in a memfd
 * across memlogd's restarts: a new one starts every slot at the first seq;
 * the same memfd is taken over, with what was written into it, only for
 * the same ring instance and number of slots; anything else is made
 * afresh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uidsince.h"

static void test_fresh_then_adopted(void **state)
{
	struct uidsince u, v;
	bool adopted;
	(void)state;

	assert_int_equal(uidsince_open(&u, -1, 100, 77, 5000, &adopted), 0);
	assert_false(adopted);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(u.seq[i], 5000);
	u.seq[42] = 6001;
	/* What the holder keeps: a copy of the fd. */
	int kept = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);
	assert_true(kept >= 0);
	uidsince_close(&u);
	assert_int_equal(uidsince_open(&v, kept, 100, 77, 9999, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(v.fd, kept);
	assert_int_equal(v.seq[42], 6001);
	assert_int_equal(v.seq[41], 5000);
	uidsince_close(&v);
}

static void test_other_ring_or_geometry(void **state)
{
	struct uidsince u, v;
	bool adopted;
	(void)state;

	assert_int_equal(uidsince_open(&u, -1, 10, 1, 3, &adopted), 0);
	u.seq[0] = 4;
	/* Another ring instance: its seqs mean nothing here. */
	int kept = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);
	assert_int_equal(uidsince_open(&v, kept, 10, 2, 8, &adopted), 0);
	assert_false(adopted);
	assert_int_equal(v.seq[0], 8);
	assert_int_equal(u.seq[0], 4); /* the other one untouched */
	uidsince_close(&v);
	/* Another number of slots. */
	kept = fcntl(u.fd, F_DUPFD_CLOEXEC, 0);
	assert_int_equal(uidsince_open(&v, kept, 11, 1, 8, &adopted), 0);
	assert_false(adopted);
	assert_int_equal(v.seq[0], 8);
	uidsince_close(&v);
	/* Not one at all (an empty memfd). */
	int other = memfd_create("x", MFD_CLOEXEC);
	assert_int_equal(uidsince_open(&v, other, 10, 1, 9, &adopted), 0);
	assert_false(adopted);
	assert_int_equal(v.seq[9], 9);
	uidsince_close(&v);
	uidsince_close(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_then_adopted),
		cmocka_unit_test(test_other_ring_or_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
