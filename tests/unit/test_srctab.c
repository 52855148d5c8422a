#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "srctab.h"

#define GET(t, s, stream) srctab_get((t), (s), strlen(s), (stream))

/* A slot as srctab_get leaves a fresh one. */
static void assert_fresh(struct srctab *t, int i, const char *name,
			 enum stream stream, uint32_t refs)
{
	assert_true(i >= 0 && (uint32_t)i < t->nslots);
	const struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_int_equal(s->refs, refs);
	assert_int_equal(s->fds, 0);
	assert_int_equal(s->stream, stream);
	assert_int_equal(s->name_len, strlen(name));
	assert_string_equal(s->name, name);
	assert_int_equal(s->pid, -1);
	assert_int_equal(s->uid, 0);
	assert_true(s->lines == 0);
	assert_true(s->bytes == 0);
	assert_true(s->dropped == 0);
	assert_true(s->partial == 0);
	assert_true(s->rl.window_start_ms == 0);
	assert_int_equal(s->rl.count, 0);
	assert_true(s->rl.suppressed == 0);
}

static void assert_self(struct srctab *t, uint32_t refs)
{
	const struct srcinfo *s = srctab_at(t, SRCTAB_SELF);
	assert_int_equal(s->refs, refs);
	assert_int_equal(s->fds, 1);
	assert_int_equal(s->stream, STREAM_NONE);
	assert_int_equal(s->name_len, 7);
	assert_string_equal(s->name, "memlogd");
	assert_int_equal(s->pid, -1);
}

/* Marks a slot's counters so that a reset (or a move) would show. */
static void dirty(struct srctab *t, int i, uint64_t v)
{
	struct srcinfo *s = srctab_at(t, (uint32_t)i);
	s->fds = 2;
	s->pid = 1234;
	s->uid = 1000;
	s->lines = v;
	s->bytes = v * 10;
	s->dropped = v + 1;
	s->partial = v + 2;
	s->rl.window_start_ms = v + 3;
	s->rl.count = 9;
	s->rl.suppressed = v + 4;
}

static void test_init(void **state)
{
	struct srctab t;

	memset(&t, 0x5a, sizeof(t));
	assert_int_equal(srctab_init(&t, 100), 0);
	assert_non_null(t.slots);
	assert_int_equal(t.nslots, 1);
	assert_int_equal(t.cap, 64);
	assert_int_equal(t.max, 100);
	assert_int_equal(SRCTAB_SELF, 0);
	assert_self(&t, 1);
	assert_int_equal(srctab_at(&t, 0)->uid, 0);
	assert_true(srctab_at(&t, 0)->lines == 0);
	assert_true(srctab_at(&t, 0)->rl.window_start_ms == 0);
	srctab_free(&t);
	assert_null(t.slots);
	assert_int_equal(t.nslots, 0);
	assert_int_equal(t.cap, 0);
	assert_int_equal(t.max, 0);

	/* The cap never leaves less than the daemon's slot and one more. */
	assert_int_equal(srctab_init(&t, 0), 0);
	assert_int_equal(t.max, 2);
	assert_int_equal(t.cap, 2);
	assert_int_equal(GET(&t, "a", STREAM_STDOUT), 1);
	assert_int_equal(GET(&t, "b", STREAM_STDOUT), -ENOSPC);
	srctab_free(&t);
	assert_int_equal(srctab_init(&t, 1), 0);
	assert_int_equal(t.max, 2);
	srctab_free(&t);
}

static void test_self_slot(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	/* Entries the daemon stores reference it and their eviction lets go. */
	for (int i = 0; i < 10; i++)
		srctab_ref(&t, SRCTAB_SELF);
	assert_self(&t, 11);
	for (int i = 0; i < 10; i++)
		srctab_unref(&t, SRCTAB_SELF);
	/* The table's own reference stays: the slot is never free... */
	assert_self(&t, 1);
	/* ...so new names never land in it. */
	int a = GET(&t, "a", STREAM_STDOUT);
	assert_int_equal(a, 1);
	srctab_unref(&t, (uint32_t)a);
	assert_int_equal(GET(&t, "b", STREAM_STDERR), 1);
	assert_self(&t, 1);
	/* A lookup of the very same name and stream finds it. */
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE), 0);
	assert_self(&t, 2);
	/* Its name under a real stream is another source. */
	int o = GET(&t, "memlogd", STREAM_STDOUT);
	assert_int_equal(o, 2);
	assert_fresh(&t, o, "memlogd", STREAM_STDOUT, 1);
	srctab_free(&t);
}

static void test_same_name_and_stream_share(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT);
	assert_int_equal(a, 1);
	assert_fresh(&t, a, "onboot.001-dhcpcd", STREAM_STDOUT, 1);
	dirty(&t, a, 50);
	assert_int_equal(GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT), 1);
	assert_int_equal(GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT), 1);
	/* Sharing takes a reference and keeps everything else. */
	const struct srcinfo *s = srctab_at(&t, 1);
	assert_int_equal(s->refs, 3);
	assert_int_equal(s->fds, 2);
	assert_int_equal(s->pid, 1234);
	assert_true(s->lines == 50);
	assert_true(s->rl.suppressed == 54);
	srctab_ref(&t, 1);
	assert_int_equal(s->refs, 4);
	srctab_unref(&t, 1);
	assert_int_equal(s->refs, 3);
	assert_int_equal(t.nslots, 2);
	srctab_free(&t);
}

static void test_distinct_keys(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	assert_int_equal(GET(&t, "sshd", STREAM_STDOUT), 1);
	/* Another stream is another slot. */
	assert_int_equal(GET(&t, "sshd", STREAM_STDERR), 2);
	assert_int_equal(GET(&t, "sshd", STREAM_UNKNOWN), 3);
	assert_int_equal(GET(&t, "sshd", STREAM_NONE), 4);
	/* Names match on every byte and on length. */
	assert_int_equal(GET(&t, "sshd2", STREAM_STDOUT), 5);
	assert_int_equal(GET(&t, "ssh", STREAM_STDOUT), 6);
	assert_int_equal(GET(&t, "SSHD", STREAM_STDOUT), 7);
	assert_int_equal(GET(&t, "", STREAM_STDOUT), 8);
	assert_int_equal(GET(&t, "", STREAM_STDERR), 9);
	assert_int_equal(GET(&t, "", STREAM_STDOUT), 8);
	assert_int_equal(GET(&t, "sshd", STREAM_STDERR), 2);
	assert_int_equal(t.nslots, 10);

	assert_fresh(&t, 1, "sshd", STREAM_STDOUT, 1);
	assert_fresh(&t, 2, "sshd", STREAM_STDERR, 2);
	assert_fresh(&t, 3, "sshd", STREAM_UNKNOWN, 1);
	assert_fresh(&t, 4, "sshd", STREAM_NONE, 1);
	assert_fresh(&t, 5, "sshd2", STREAM_STDOUT, 1);
	assert_fresh(&t, 6, "ssh", STREAM_STDOUT, 1);
	assert_fresh(&t, 7, "SSHD", STREAM_STDOUT, 1);
	assert_fresh(&t, 8, "", STREAM_STDOUT, 2);
	assert_fresh(&t, 9, "", STREAM_STDERR, 1);
	srctab_free(&t);
}

static void test_name_taken_by_length(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	/* The name is len bytes, not up to a NUL, and is stored terminated. */
	assert_int_equal(srctab_get(&t, "abcdef", 3, STREAM_STDOUT), 1);
	assert_fresh(&t, 1, "abc", STREAM_STDOUT, 1);
	assert_int_equal(srctab_get(&t, "abcxyz", 3, STREAM_STDOUT), 1);
	assert_int_equal(srctab_get(&t, "abcdef", 4, STREAM_STDOUT), 2);
	assert_fresh(&t, 2, "abcd", STREAM_STDOUT, 1);
	srctab_free(&t);
}

static void test_unref_frees_for_reuse(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "a-much-longer-name", STREAM_STDOUT);
	int b = GET(&t, "b", STREAM_STDOUT);
	int c = GET(&t, "c", STREAM_STDERR);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);
	assert_int_equal(GET(&t, "a-much-longer-name", STREAM_STDOUT), 1);
	dirty(&t, a, 70);

	/* Not free until the last reference goes. */
	srctab_unref(&t, 1);
	assert_int_equal(srctab_at(&t, 1)->refs, 1);
	assert_int_equal(GET(&t, "d", STREAM_STDOUT), 4);
	srctab_unref(&t, 1);
	assert_int_equal(srctab_at(&t, 1)->refs, 0);
	assert_int_equal(t.nslots, 5);

	/* A lookup looks past the free slot for the name... */
	assert_int_equal(GET(&t, "c", STREAM_STDERR), 3);
	assert_int_equal(srctab_at(&t, 3)->refs, 2);
	assert_int_equal(t.nslots, 5);
	/* ...and a new name takes the free slot, reset, with a shorter name
	 * terminated where it ends. */
	assert_int_equal(GET(&t, "e", STREAM_STDERR), 1);
	assert_fresh(&t, 1, "e", STREAM_STDERR, 1);
	assert_int_equal(t.nslots, 5);
	/* The freed name does not match a free slot: it comes back fresh. */
	srctab_unref(&t, 2);
	assert_int_equal(GET(&t, "f", STREAM_STDOUT), 2);
	dirty(&t, 2, 5);
	srctab_unref(&t, 2);
	assert_int_equal(GET(&t, "f", STREAM_STDOUT), 2);
	assert_fresh(&t, 2, "f", STREAM_STDOUT, 1);

	/* The lowest free slot is used first. */
	srctab_unref(&t, 4);
	srctab_unref(&t, 2);
	assert_int_equal(GET(&t, "g", STREAM_STDOUT), 2);
	assert_int_equal(GET(&t, "h", STREAM_STDOUT), 4);
	assert_int_equal(GET(&t, "i", STREAM_STDOUT), 5);
	assert_int_equal(t.nslots, 6);
	assert_self(&t, 1);
	srctab_free(&t);
}

static void test_long_names_cut(void **state)
{
	struct srctab t;
	char n600[600], m600[600], n513[513], n512[512];

	assert_int_equal(REG_NAME_MAX, 512);
	memset(n600, 'x', sizeof(n600));
	memcpy(m600, n600, sizeof(m600));
	m600[599] = 'y';          /* differs only past the cut */
	memset(n513, 'x', sizeof(n513));
	memset(n512, 'x', sizeof(n512));

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = srctab_get(&t, n600, sizeof(n600), STREAM_STDOUT);
	assert_int_equal(a, 1);
	const struct srcinfo *s = srctab_at(&t, 1);
	assert_int_equal(s->name_len, 512);
	assert_memory_equal(s->name, n600, 512);
	assert_int_equal(s->name[512], '\0');
	assert_int_equal(strlen(s->name), 512);
	/* Names equal up to the cut are one source. */
	assert_int_equal(srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT), 1);
	assert_int_equal(srctab_get(&t, n513, sizeof(n513), STREAM_STDOUT), 1);
	assert_int_equal(srctab_get(&t, n512, sizeof(n512), STREAM_STDOUT), 1);
	assert_int_equal(s->refs, 4);
	/* A difference inside the first 512 bytes is another. */
	m600[511] = 'y';
	assert_int_equal(srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT), 2);
	assert_int_equal(srctab_at(&t, 2)->name_len, 512);
	assert_int_equal(srctab_at(&t, 2)->name[511], 'y');
	assert_int_equal(srctab_at(&t, 2)->name[512], '\0');
	/* 511 bytes is not cut, and not the same as 512. */
	assert_int_equal(srctab_get(&t, n512, 511, STREAM_STDOUT), 3);
	assert_int_equal(srctab_at(&t, 3)->name_len, 511);
	assert_int_equal(strlen(srctab_at(&t, 3)->name), 511);
	srctab_free(&t);
}

static void test_table_full(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 4), 0);
	assert_int_equal(t.cap, 4);
	assert_int_equal(GET(&t, "a", STREAM_STDOUT), 1);
	assert_int_equal(GET(&t, "b", STREAM_STDOUT), 2);
	assert_int_equal(GET(&t, "c", STREAM_STDOUT), 3);
	assert_int_equal(GET(&t, "d", STREAM_STDOUT), -ENOSPC);
	assert_int_equal(GET(&t, "a", STREAM_STDERR), -ENOSPC);
	assert_int_equal(t.nslots, 4);
	assert_int_equal(t.cap, 4);
	/* A known source is still found when the table is full. */
	assert_int_equal(GET(&t, "b", STREAM_STDOUT), 2);
	assert_int_equal(srctab_at(&t, 2)->refs, 2);
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE), 0);
	/* Freeing one makes room for exactly one. */
	srctab_unref(&t, 3);
	assert_int_equal(GET(&t, "d", STREAM_STDOUT), 3);
	assert_fresh(&t, 3, "d", STREAM_STDOUT, 1);
	assert_int_equal(GET(&t, "e", STREAM_STDOUT), -ENOSPC);
	/* The failures changed nothing. */
	assert_fresh(&t, 1, "a", STREAM_STDOUT, 1);
	assert_fresh(&t, 2, "b", STREAM_STDOUT, 2);
	assert_self(&t, 2);
	srctab_free(&t);
}

static void test_growth_keeps_slots(void **state)
{
	struct srctab t;
	char name[32];

	assert_int_equal(srctab_init(&t, 1000), 0);
	assert_int_equal(t.cap, 64);
	for (int i = 1; i < 64; i++) {
		snprintf(name, sizeof(name), "src-%d", i);
		assert_int_equal(GET(&t, name, i % 2 ? STREAM_STDOUT : STREAM_STDERR), i);
		dirty(&t, i, (uint64_t)i * 1000);
	}
	assert_int_equal(t.nslots, 64);
	assert_int_equal(t.cap, 64);
	srctab_ref(&t, SRCTAB_SELF);

	/* The 65th slot doubles the array... */
	assert_int_equal(GET(&t, "src-64", STREAM_STDOUT), 64);
	assert_int_equal(t.cap, 128);
	assert_int_equal(t.nslots, 65);
	for (int i = 65; i < 200; i++) {
		snprintf(name, sizeof(name), "src-%d", i);
		assert_int_equal(GET(&t, name, STREAM_STDOUT), i);
	}
	assert_int_equal(t.cap, 256);
	assert_int_equal(t.nslots, 200);

	/* ...and every earlier slot is intact, and still found by name. */
	assert_self(&t, 2);
	for (int i = 1; i < 64; i++) {
		const struct srcinfo *s = srctab_at(&t, (uint32_t)i);
		snprintf(name, sizeof(name), "src-%d", i);
		assert_string_equal(s->name, name);
		assert_int_equal(s->name_len, strlen(name));
		assert_int_equal(s->stream, i % 2 ? STREAM_STDOUT : STREAM_STDERR);
		assert_int_equal(s->refs, 1);
		assert_int_equal(s->fds, 2);
		assert_int_equal(s->pid, 1234);
		assert_true(s->lines == (uint64_t)i * 1000);
		assert_true(s->bytes == (uint64_t)i * 10000);
		assert_true(s->rl.suppressed == (uint64_t)i * 1000 + 4);
		assert_int_equal(GET(&t, name, i % 2 ? STREAM_STDOUT : STREAM_STDERR), i);
		assert_int_equal(s->refs, 2);
	}
	for (int i = 64; i < 200; i++) {
		snprintf(name, sizeof(name), "src-%d", i);
		assert_fresh(&t, i, name, STREAM_STDOUT, 1);
	}
	srctab_free(&t);
}

static void test_growth_clamped_to_max(void **state)
{
	struct srctab t;
	char name[32];

	assert_int_equal(srctab_init(&t, 100), 0);
	for (int i = 1; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(GET(&t, name, STREAM_STDERR), i);
	}
	/* Grown from 64 to the cap of 100, not to 128. */
	assert_int_equal(t.cap, 100);
	assert_int_equal(t.nslots, 100);
	assert_int_equal(GET(&t, "one-more", STREAM_STDERR), -ENOSPC);
	for (int i = 1; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_fresh(&t, i, name, STREAM_STDERR, 1);
	}
	assert_self(&t, 1);
	srctab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_self_slot),
		cmocka_unit_test(test_same_name_and_stream_share),
		cmocka_unit_test(test_distinct_keys),
		cmocka_unit_test(test_name_taken_by_length),
		cmocka_unit_test(test_unref_frees_for_reuse),
		cmocka_unit_test(test_long_names_cut),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_growth_keeps_slots),
		cmocka_unit_test(test_growth_clamped_to_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
