/* logwrite's ledger of the files it made (ledger.c): bases, their sets
 * of inodes, the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ledger.h"

static void test_add_has_del(void **state)
{
	struct ledger l;
	bool full;

	assert_int_equal(ledger_init(&l), 0);
	assert_null(ledger_get(&l, "web"));
	struct owned *o = ledger_add(&l, "web", &full);
	assert_non_null(o);
	assert_false(full);
	assert_ptr_equal(ledger_add(&l, "web", &full), o);
	assert_ptr_equal(ledger_get(&l, "web"), o);
	assert_int_equal(owned_add(&l, o, 7), 0);
	assert_int_equal(owned_add(&l, o, 7), 0); /* once */
	assert_int_equal(owned_add(&l, o, 9), 0);
	assert_int_equal(o->n, 2);
	assert_int_equal(l.ninos, 2);
	assert_true(owned_has(o, 7));
	assert_false(owned_has(o, 8));
	owned_del(&l, o, 7);
	owned_del(&l, o, 8); /* not there: nothing */
	assert_false(owned_has(o, 7));
	assert_int_equal(l.ninos, 1);
	/* Empty bases go at a prune, unless a file is being made. */
	struct owned *p = ledger_add(&l, "new", &full);
	p->creating = true;
	ledger_add(&l, "empty", &full);
	ledger_prune(&l);
	assert_int_equal(l.n, 2);
	assert_non_null(ledger_get(&l, "web"));
	assert_non_null(ledger_get(&l, "new"));
	assert_null(ledger_get(&l, "empty"));
	ledger_clear(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.ninos, 0);
	assert_null(ledger_get(&l, "web"));
	ledger_free(&l);
}

/* Many bases (the hash grows) and the limits on bases and files. */
static void test_limits(void **state)
{
	struct ledger l;
	char base[32];
	bool full;

	assert_int_equal(ledger_init(&l), 0);
	for (unsigned i = 0; i < LEDGER_BASES_MAX; i++) {
		snprintf(base, sizeof(base), "s%u", i);
		struct owned *o = ledger_add(&l, base, &full);
		assert_non_null(o);
		for (unsigned k = 0; k < LEDGER_FILES_MAX / LEDGER_BASES_MAX; k++)
			assert_int_equal(owned_add(&l, o, (uint64_t)i * 100 + k + 1),
					 0);
	}
	assert_null(ledger_add(&l, "one more", &full));
	assert_true(full);
	assert_int_equal(l.ninos, LEDGER_FILES_MAX);
	assert_false(ledger_room(&l, 1));
	struct owned *o = ledger_get(&l, "s77");
	assert_non_null(o);
	assert_int_equal(owned_add(&l, o, 999999999), -ENOSPC);
	owned_del(&l, o, 7701);
	assert_true(ledger_room(&l, 1));
	assert_int_equal(owned_add(&l, o, 999999999), 0);
	for (unsigned i = 0; i < LEDGER_BASES_MAX; i += 997) {
		snprintf(base, sizeof(base), "s%u", i);
		assert_non_null(ledger_get(&l, base));
	}
	ledger_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has_del),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
