/* The source table: names to slots through a hash index, slots kept in
 * the caller's storage and taken over by a later memlogd (srctab_adopt),
 * dead slots reclaimed by name, by sweep or when the table is full. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srctab.h"

#define GET(t, s, stream, oldest) \
	srctab_get((t), (s), strlen(s), (stream), (oldest))
#define FIND(t, s, stream, oldest) \
	srctab_find((t), (s), strlen(s), (stream), (oldest))

/* A table over fresh storage, the way memlogd's store makes one. */
static struct srcinfo *new_table(struct srctab *t, uint32_t max)
{
	struct srcinfo *slots = calloc(max < 2 ? 2 : max, sizeof(*slots));

	assert_non_null(slots);
	assert_int_equal(srctab_init(t, slots, max), 0);
	return slots;
}

static void free_table(struct srctab *t, struct srcinfo *slots)
{
	srctab_free(t);
	free(slots);
}

/* What a source registration does after srctab_get: hold the slot by an fd. */
static void hold(struct srctab *t, int i)
{
	assert_true(i >= 0 && (uint32_t)i < t->nslots);
	srctab_at(t, (uint32_t)i)->fds++;
}

static void release(struct srctab *t, int i)
{
	struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_true(s->fds > 0);
	s->fds--;
}

/* What storing an entry does: the slot remembers its newest seq. */
static void store(struct srctab *t, int i, uint64_t seq)
{
	srctab_at(t, (uint32_t)i)->last_seq = seq;
}

static void assert_name(struct srctab *t, int i, const char *name,
			size_t len, enum stream stream)
{
	assert_true(i >= 0 && (uint32_t)i < t->nslots);
	const struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_true(s->used);
	assert_int_equal(s->stream, stream);
	assert_int_equal(s->name_len, len);
	assert_memory_equal(srctab_name(t, s), name, len);
	assert_int_equal(srctab_name(t, s)[len], '\0');
}

/* A slot as srctab_get leaves a new one: nothing held, nothing stored. */
static void assert_fresh(struct srctab *t, int i, const char *name,
			 enum stream stream)
{
	assert_name(t, i, name, strlen(name), stream);
	const struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_int_equal(s->fds, 0);
	assert_true(s->last_seq == 0);
	assert_int_equal(s->pid, -1);
	assert_true(s->lines == 0 && s->bytes == 0 && s->dropped == 0 &&
		    s->partial == 0 && s->copied == 0 && s->copy_waits == 0);
	assert_true(s->rl.window_start_ms == 0 && s->rl.count == 0 &&
		    s->rl.suppressed == 0);
}

static void assert_self(struct srctab *t)
{
	assert_name(t, SRCTAB_SELF, "memlogd", 7, STREAM_NONE);
	assert_int_equal(srctab_at(t, SRCTAB_SELF)->fds, 1);
}

static void test_init(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 100);

	assert_self(&t);
	assert_int_equal(t.nslots, 1);
	assert_int_equal(t.nused, 1);
	assert_int_equal(t.max, 100);
	free_table(&t, m);
	/* A table smaller than two is two: the daemon's slot and one. */
	m = new_table(&t, 0);
	assert_int_equal(t.max, 2);
	int a = GET(&t, "a", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	hold(&t, a);
	assert_int_equal(GET(&t, "b", STREAM_STDOUT, 1), -ENOSPC);
	free_table(&t, m);
}

static void test_self_slot(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 100);

	/* The daemon's name under its stream is the daemon's slot... */
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE, 1), SRCTAB_SELF);
	/* ...and never goes away, whatever the ring's oldest seq. */
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE, UINT64_MAX), SRCTAB_SELF);
	srctab_sweep(&t, UINT64_MAX, 1000);
	assert_self(&t);
	/* A source that calls itself memlogd is another slot. */
	int o = GET(&t, "memlogd", STREAM_STDOUT, 1);
	assert_int_equal(o, 1);
	assert_fresh(&t, o, "memlogd", STREAM_STDOUT);
	free_table(&t, m);
}

static void test_share_and_distinct(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 100);
	int a = GET(&t, "web", STREAM_STDOUT, 1);
	assert_fresh(&t, a, "web", STREAM_STDOUT);
	hold(&t, a);
	/* Same name and stream: the same slot, for every fd. */
	assert_int_equal(GET(&t, "web", STREAM_STDOUT, 1), a);
	hold(&t, a);
	assert_int_equal(srctab_at(&t, (uint32_t)a)->fds, 2);
	/* Another stream, another name, a prefix, a longer name. */
	int b = GET(&t, "web", STREAM_STDERR, 1);
	int c = GET(&t, "web2", STREAM_STDOUT, 1);
	int d = GET(&t, "we", STREAM_STDOUT, 1);
	int e = srctab_get(&t, "web\0x", 5, STREAM_STDOUT, 1);
	int f = srctab_get(&t, "", 0, STREAM_STDOUT, 1);
	int all[] = { a, b, c, d, e, f };
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			assert_int_not_equal(all[i], all[j]);
	assert_name(&t, e, "web\0x", 5, STREAM_STDOUT);
	assert_name(&t, f, "", 0, STREAM_STDOUT);
	assert_int_equal(t.nused, 7);
	free_table(&t, m);
}

static void test_reclaim_rules(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 100);

	/* Held, never stored: dead once released; its name comes back as
	 * a fresh slot. */
	int a = GET(&t, "a", STREAM_STDOUT, 1);
	hold(&t, a);
	srctab_at(&t, (uint32_t)a)->lines = 5;
	release(&t, a);
	assert_int_equal(FIND(&t, "a", STREAM_STDOUT, 1), -ENOENT);
	assert_int_equal(t.nused, 1);
	int a2 = GET(&t, "a", STREAM_STDOUT, 1);
	assert_fresh(&t, a2, "a", STREAM_STDOUT);

	/* Stored: outlives its fds while the ring holds its newest entry. */
	int b = GET(&t, "b", STREAM_STDERR, 1);
	hold(&t, b);
	store(&t, b, 10);
	srctab_at(&t, (uint32_t)b)->lines = 7;
	release(&t, b);
	assert_int_equal(FIND(&t, "b", STREAM_STDERR, 10), b);
	assert_int_equal(GET(&t, "b", STREAM_STDERR, 10), b);
	assert_true(srctab_at(&t, (uint32_t)b)->lines == 7);
	/* Once evicted (oldest past 10), it is made afresh. */
	int b2 = GET(&t, "b", STREAM_STDERR, 11);
	assert_fresh(&t, b2, "b", STREAM_STDERR);

	/* An open fd keeps it, however old its entries. */
	int c = GET(&t, "c", STREAM_STDOUT, 1);
	hold(&t, c);
	store(&t, c, 3);
	assert_int_equal(GET(&t, "c", STREAM_STDOUT, UINT64_MAX), c);
	srctab_sweep(&t, UINT64_MAX, 1000);
	assert_int_equal(FIND(&t, "c", STREAM_STDOUT, UINT64_MAX), c);
	free_table(&t, m);
}

static void test_long_names_cut(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 100);
	char n600[600], m600[600], n512[512];

	assert_int_equal(REG_NAME_MAX, 512);
	memset(n600, 'x', sizeof(n600));
	memcpy(m600, n600, sizeof(m600));
	m600[599] = 'y';          /* differs only past the cut */
	memset(n512, 'x', sizeof(n512));
	int a = srctab_get(&t, n600, sizeof(n600), STREAM_STDOUT, 1);
	hold(&t, a);
	assert_name(&t, a, n600, 512, STREAM_STDOUT);
	/* Names equal up to the cut are one source. */
	assert_int_equal(srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT, 1), a);
	assert_int_equal(srctab_get(&t, n512, sizeof(n512), STREAM_STDOUT, 1), a);
	/* A difference inside the first 512 bytes is another. */
	m600[511] = 'y';
	int b = srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT, 1);
	assert_int_not_equal(a, b);
	/* 511 bytes is not cut, and not the same as 512. */
	int c = srctab_get(&t, n512, 511, STREAM_STDOUT, 1);
	assert_int_not_equal(c, a);
	assert_int_equal(strlen(srctab_name(&t, srctab_at(&t, (uint32_t)c))), 511);
	free_table(&t, m);
}

static void test_table_full(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 4);
	int k[3];

	for (int i = 0; i < 3; i++) {
		char n[8];
		snprintf(n, sizeof(n), "s%d", i);
		k[i] = GET(&t, n, STREAM_STDOUT, 1);
		assert_true(k[i] > 0);
		hold(&t, k[i]);
	}
	assert_int_equal(GET(&t, "more", STREAM_STDOUT, 1), -ENOSPC);
	/* Known names are still found. */
	assert_int_equal(GET(&t, "s1", STREAM_STDOUT, 1), k[1]);
	/* A slot that dies makes room, even if its name never comes back:
	 * a full table reclaims every dead slot. */
	release(&t, k[1]);
	int n = GET(&t, "more", STREAM_STDOUT, 1);
	assert_int_equal(n, k[1]);
	assert_fresh(&t, n, "more", STREAM_STDOUT);
	assert_int_equal(FIND(&t, "s1", STREAM_STDOUT, 1), -ENOENT);
	free_table(&t, m);
}

static void test_sweep(void **state)
{
	struct srctab t;
	struct srcinfo *m = new_table(&t, 1000);

	for (int i = 0; i < 500; i++) {
		char n[16];
		snprintf(n, sizeof(n), "tag%d", i);
		int s = GET(&t, n, STREAM_SYSLOG, 1);
		store(&t, s, (uint64_t)i + 1);
	}
	assert_int_equal(t.nused, 501);
	/* The ring moves past the first 100 entries: a sweep with a small
	 * budget reclaims only what it visited; enough turns reclaim all. */
	srctab_sweep(&t, 101, 50);
	assert_true(t.nused > 501 - 100);
	for (int i = 0; i < 20; i++)
		srctab_sweep(&t, 101, 50);
	assert_int_equal(t.nused, 401);
	assert_int_equal(FIND(&t, "tag0", STREAM_SYSLOG, 101), -ENOENT);
	assert_true(FIND(&t, "tag100", STREAM_SYSLOG, 101) > 0);
	assert_self(&t);
	free_table(&t, m);
}

/* Random registrations, stores and evictions against a plain model of
 * which names are live and where: the index never loses or confuses a
 * name (backward-shift deletion, growth, reuse of freed slots). */
static void test_random_against_model(void **state)
{
	enum { NAMES = 3000, MAX = 2048 };
	static int where[NAMES];       /* slot, or -1 */
	static uint64_t stored[NAMES]; /* newest seq, 0 none */
	static uint32_t held[NAMES];
	struct srctab t;
	struct srcinfo *m = new_table(&t, MAX);
	uint64_t rng = 88172645463325252ull, seq = 0, oldest = 1;

	for (int i = 0; i < NAMES; i++)
		where[i] = -1;
	for (int step = 0; step < 200000; step++) {
		rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
		int i = (int)(rng % NAMES);
		char n[24];
		int nl = snprintf(n, sizeof(n), "n%d", i);
		enum stream st = (i & 1) ? STREAM_STDOUT : STREAM_STDERR;
		bool live = where[i] >= 0 &&
			    (held[i] || (stored[i] && stored[i] >= oldest));
		switch ((rng >> 20) % 6) {
		case 0: case 1: { /* register (or look up) */
			int s = srctab_get(&t, n, (size_t)nl, st, oldest);
			if (s == -ENOSPC)
				break;
			assert_true(s > 0);
			if (live)
				assert_int_equal(s, where[i]);
			else
				stored[i] = 0, held[i] = 0;
			where[i] = s;
			hold(&t, s);
			held[i]++;
			break;
		}
		case 2: /* a line stored */
			if (live) {
				store(&t, where[i], ++seq);
				stored[i] = seq;
			}
			break;
		case 3: /* an fd ends */
			if (live && held[i]) {
				release(&t, where[i]);
				held[i]--;
			}
			break;
		case 4: { /* find */
			int s = srctab_find(&t, n, (size_t)nl, st, oldest);
			if (live)
				assert_int_equal(s, where[i]);
			else
				assert_int_equal(s, -ENOENT);
			break;
		}
		default: /* the ring moves on */
			if (oldest + 5 <= seq)
				oldest += 5;
			if (step % 100 == 0)
				srctab_sweep(&t, oldest, 64);
			break;
		}
		if (where[i] >= 0 && !(held[i] || (stored[i] && stored[i] >= oldest)) &&
		    (uint32_t)where[i] < t.nslots && !srctab_at(&t, (uint32_t)where[i])->used)
			where[i] = -1;
	}
	/* Every live name is found where the model says. */
	for (int i = 0; i < NAMES; i++) {
		char n[24];
		int nl = snprintf(n, sizeof(n), "n%d", i);
		enum stream st = (i & 1) ? STREAM_STDOUT : STREAM_STDERR;
		bool live = where[i] >= 0 &&
			    (held[i] || (stored[i] && stored[i] >= oldest));
		if (live)
			assert_int_equal(srctab_find(&t, n, (size_t)nl, st, oldest),
					 where[i]);
	}
	assert_self(&t);
	free_table(&t, m);
}

/* A later memlogd takes the table over from the same storage. */
static void test_adopt(void **state)
{
	struct srctab t, u;
	struct srcinfo *m = new_table(&t, 100);

	int a = GET(&t, "a", STREAM_STDOUT, 1);
	hold(&t, a);
	store(&t, a, 5);
	srctab_at(&t, (uint32_t)a)->lines = 42;
	int b = GET(&t, "b", STREAM_STDERR, 1);
	hold(&t, b);
	int c = GET(&t, "gone", STREAM_STDOUT, 1);
	hold(&t, c);
	release(&t, c);
	assert_int_equal(FIND(&t, "gone", STREAM_STDOUT, 1), -ENOENT);
	srctab_free(&t); /* the old memlogd is gone; the storage stays */

	assert_int_equal(srctab_adopt(&u, m, 100), 0);
	assert_self(&u);
	/* Names, counters and newest seqs as they were; fds counted again
	 * by whoever takes the fds back. */
	assert_int_equal(FIND(&u, "a", STREAM_STDOUT, 1), a);
	assert_true(srctab_at(&u, (uint32_t)a)->lines == 42);
	assert_int_equal(srctab_at(&u, (uint32_t)a)->fds, 0);
	assert_int_equal(FIND(&u, "b", STREAM_STDERR, 1), -ENOENT); /* no fd yet */
	assert_int_equal(GET(&u, "a", STREAM_STDOUT, 1), a);
	assert_int_equal(u.nused, 2 + (FIND(&u, "b", STREAM_STDERR, 1) >= 0));
	/* A new name takes a free slot. */
	int d = GET(&u, "d", STREAM_STDOUT, 1);
	assert_true(d > 0 && d != a);
	srctab_free(&u);

	/* Storage that is not a table. */
	memset(m, 0, 100 * sizeof(*m));
	assert_int_equal(srctab_adopt(&u, m, 100), -EUCLEAN);
	new_table(&t, 100);
	free(m);
	m = t.slots;
	m[1].used = 1;
	m[1].name_len = 600;
	assert_int_equal(srctab_adopt(&u, m, 100), -EUCLEAN);
	free_table(&t, m);
}

static void test_live_truth_table(void **state)
{
	static const struct {
		bool used;
		uint32_t fds;
		uint64_t last_seq, oldest;
		bool live;
	} rows[] = {
		/* Not used: never live. */
		{ false, 0, 0, 0, false },
		{ false, 1, 0, 0, false },
		{ false, 5, 9, 1, false },
		{ false, 0, 9, 1, false },
		/* An open fd: always live. */
		{ true, 1, 0, 0, true },
		{ true, 1, 0, UINT64_MAX, true },
		{ true, 3, 5, 6, true },
		{ true, UINT32_MAX, 0, 1, true },
		/* Nothing stored, no fd: dead, whatever oldest. */
		{ true, 0, 0, 0, false },
		{ true, 0, 0, 1, false },
		{ true, 0, 0, UINT64_MAX, false },
		/* Stored, no fd: live while the ring holds last_seq. */
		{ true, 0, 5, 0, true },
		{ true, 0, 5, 1, true },
		{ true, 0, 5, 5, true },
		{ true, 0, 5, 6, false },
		{ true, 0, 5, UINT64_MAX, false },
		{ true, 0, 1, 1, true },
		{ true, 0, 1, 2, false },
		{ true, 0, UINT64_MAX, UINT64_MAX, true },
		{ true, 0, UINT64_MAX - 1, UINT64_MAX, false },
	};

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		struct srcinfo s;
		memset(&s, 0, sizeof(s));
		s.used = rows[k].used;
		s.fds = rows[k].fds;
		s.last_seq = rows[k].last_seq;
		if (srctab_live(&s, rows[k].oldest) != rows[k].live)
			fail_msg("row %zu: used %d fds %u last_seq %llu oldest %llu: "
				 "want %d", k, rows[k].used, rows[k].fds,
				 (unsigned long long)rows[k].last_seq,
				 (unsigned long long)rows[k].oldest, rows[k].live);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_self_slot),
		cmocka_unit_test(test_share_and_distinct),
		cmocka_unit_test(test_reclaim_rules),
		cmocka_unit_test(test_long_names_cut),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_live_truth_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
