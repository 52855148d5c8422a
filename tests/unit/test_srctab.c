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

/* The slot's name, exactly: length, bytes, terminator, inside the arena. */
static void assert_name(struct srctab *t, int i, const char *name,
			size_t len, enum stream stream)
{
	assert_true(i >= 0 && (uint32_t)i < t->nslots);
	const struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_true(s->used);
	assert_int_equal(s->stream, stream);
	assert_int_equal(s->name_len, len);
	assert_true((uint64_t)s->name_off + s->name_len < t->names_len);
	assert_true(t->names_len <= t->names_cap);
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
	assert_int_equal(s->uid, 0);
	assert_true(s->lines == 0);
	assert_true(s->bytes == 0);
	assert_true(s->dropped == 0);
	assert_true(s->partial == 0);
	assert_true(s->rl.window_start_ms == 0);
	assert_int_equal(s->rl.count, 0);
	assert_true(s->rl.suppressed == 0);
}

static void assert_self(struct srctab *t)
{
	const struct srcinfo *s = srctab_at(t, SRCTAB_SELF);
	assert_name(t, SRCTAB_SELF, "memlogd", 7, STREAM_NONE);
	assert_int_equal(s->fds, 1);
}

/* Marks a slot's counters and credentials (not fds, not last_seq) so that
 * a reset, or a move, would show. */
static void dirty(struct srctab *t, int i, uint64_t v)
{
	struct srcinfo *s = srctab_at(t, (uint32_t)i);
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

static void assert_dirty(struct srctab *t, int i, uint64_t v)
{
	const struct srcinfo *s = srctab_at(t, (uint32_t)i);
	assert_int_equal(s->pid, 1234);
	assert_int_equal(s->uid, 1000);
	assert_true(s->lines == v);
	assert_true(s->bytes == v * 10);
	assert_true(s->dropped == v + 1);
	assert_true(s->partial == v + 2);
	assert_true(s->rl.window_start_ms == v + 3);
	assert_int_equal(s->rl.count, 9);
	assert_true(s->rl.suppressed == v + 4);
}

/* Every name byte in the arena is a used slot's name or counted dead. */
static void assert_arena_accounted(struct srctab *t)
{
	uint64_t used = 0;

	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct srcinfo *s = srctab_at(t, i);
		if (s->used)
			used += s->name_len + 1u;
	}
	assert_true(used + t->names_dead == t->names_len);
	assert_true(t->names_len <= t->names_cap);
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
	assert_non_null(t.names);
	assert_int_equal(t.names_len, 8);
	assert_int_equal(t.names_cap, 4096);
	assert_int_equal(t.names_dead, 0);
	assert_memory_equal(t.names, "memlogd", 8);
	assert_int_equal(SRCTAB_SELF, 0);
	assert_self(&t);
	assert_int_equal(srctab_at(&t, 0)->name_off, 0);
	assert_true(srctab_at(&t, 0)->last_seq == 0);
	assert_int_equal(srctab_at(&t, 0)->pid, -1);
	assert_int_equal(srctab_at(&t, 0)->uid, 0);
	assert_true(srctab_at(&t, 0)->lines == 0);
	assert_true(srctab_at(&t, 0)->rl.window_start_ms == 0);
	srctab_free(&t);
	assert_null(t.slots);
	assert_null(t.names);
	assert_int_equal(t.nslots, 0);
	assert_int_equal(t.cap, 0);
	assert_int_equal(t.max, 0);
	assert_int_equal(t.names_len, 0);
	assert_int_equal(t.names_cap, 0);
	assert_int_equal(t.names_dead, 0);

	/* The cap never leaves less than the daemon's slot and one more. */
	assert_int_equal(srctab_init(&t, 0), 0);
	assert_int_equal(t.max, 2);
	assert_int_equal(t.cap, 2);
	int a = GET(&t, "a", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	hold(&t, a);
	assert_int_equal(GET(&t, "b", STREAM_STDOUT, 1), -ENOSPC);
	srctab_free(&t);
	assert_int_equal(srctab_init(&t, 1), 0);
	assert_int_equal(t.max, 2);
	srctab_free(&t);
}

static void test_self_slot(void **state)
{
	static const uint64_t oldest[] = { 0, 1, 2, 1000, UINT64_MAX };
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	dirty(&t, SRCTAB_SELF, 7);
	/* Whatever the ring holds, the daemon's slot stays, untouched, and
	 * new names never land in it. */
	for (size_t k = 0; k < sizeof(oldest) / sizeof(oldest[0]); k++) {
		char name[16];
		snprintf(name, sizeof(name), "n%zu", k);
		assert_true(srctab_live(srctab_at(&t, SRCTAB_SELF), oldest[k]));
		int i = GET(&t, name, STREAM_STDOUT, oldest[k]);
		/* The unheld slot of the previous round is reclaimed: 1 again. */
		assert_int_equal(i, 1);
		assert_fresh(&t, i, name, STREAM_STDOUT);
		assert_self(&t);
		assert_dirty(&t, SRCTAB_SELF, 7);
		assert_int_equal(GET(&t, "memlogd", STREAM_NONE, oldest[k]), 0);
		assert_self(&t);
		assert_dirty(&t, SRCTAB_SELF, 7);
	}
	/* Also once it has stored entries that the ring has since lost. */
	store(&t, SRCTAB_SELF, 5);
	assert_int_equal(GET(&t, "x", STREAM_STDERR, 6), 1);
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE, UINT64_MAX), 0);
	assert_true(srctab_at(&t, 0)->last_seq == 5);
	assert_self(&t);
	assert_dirty(&t, SRCTAB_SELF, 7);
	/* Its name under a real stream is another source. */
	int o = GET(&t, "memlogd", STREAM_STDOUT, 6);
	assert_int_equal(o, 1);
	assert_fresh(&t, o, "memlogd", STREAM_STDOUT);
	assert_int_equal(t.nslots, 2);
	assert_arena_accounted(&t);
	srctab_free(&t);
}

static void test_same_name_and_stream_share(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	assert_fresh(&t, a, "onboot.001-dhcpcd", STREAM_STDOUT);
	hold(&t, a);
	dirty(&t, a, 50);
	store(&t, a, 3);
	uint32_t len = t.names_len;
	/* Found again, and found without taking anything: no fd counted,
	 * nothing reset, no name added. */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT, 1), 1);
		assert_int_equal(GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT, 100), 1);
	}
	const struct srcinfo *s = srctab_at(&t, 1);
	assert_int_equal(s->fds, 1);
	assert_true(s->last_seq == 3);
	assert_dirty(&t, 1, 50);
	assert_name(&t, 1, "onboot.001-dhcpcd", 17, STREAM_STDOUT);
	assert_int_equal(t.nslots, 2);
	assert_int_equal(t.names_len, len);
	assert_int_equal(t.names_dead, 0);
	/* A second fd under the same source is the caller's count. */
	hold(&t, a);
	assert_int_equal(GET(&t, "onboot.001-dhcpcd", STREAM_STDOUT, 100), 1);
	assert_int_equal(s->fds, 2);
	srctab_free(&t);
}

static void test_distinct_keys(void **state)
{
	static const struct {
		const char *name;
		enum stream stream;
	} keys[] = {
		{ "sshd", STREAM_STDOUT },
		{ "sshd", STREAM_STDERR },      /* another stream */
		{ "sshd", STREAM_UNKNOWN },
		{ "sshd", STREAM_NONE },
		{ "sshd2", STREAM_STDOUT },     /* longer */
		{ "ssh", STREAM_STDOUT },       /* shorter */
		{ "SSHD", STREAM_STDOUT },      /* case */
		{ "sshe", STREAM_STDOUT },      /* last byte */
		{ "", STREAM_STDOUT },
		{ "", STREAM_STDERR },
		{ "memlogd", STREAM_UNKNOWN },
	};
	const int n = (int)(sizeof(keys) / sizeof(keys[0]));
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	for (int k = 0; k < n; k++) {
		int i = GET(&t, keys[k].name, keys[k].stream, 1);
		assert_int_equal(i, k + 1);
		hold(&t, i);
	}
	assert_int_equal(t.nslots, n + 1);
	/* Each is found again as itself. */
	for (int k = n - 1; k >= 0; k--)
		assert_int_equal(GET(&t, keys[k].name, keys[k].stream, 1), k + 1);
	assert_int_equal(t.nslots, n + 1);
	for (int k = 0; k < n; k++)
		assert_name(&t, k + 1, keys[k].name, strlen(keys[k].name),
			    keys[k].stream);
	assert_self(&t);
	assert_arena_accounted(&t);
	assert_int_equal(t.names_dead, 0);
	srctab_free(&t);
}

static void test_name_taken_by_length(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	/* The name is len bytes, not up to a NUL, and is stored terminated. */
	int a = srctab_get(&t, "abcdef", 3, STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	assert_fresh(&t, 1, "abc", STREAM_STDOUT);
	hold(&t, a);
	assert_int_equal(t.names_len, 8 + 4);
	assert_int_equal(srctab_get(&t, "abcxyz", 3, STREAM_STDOUT, 1), 1);
	int b = srctab_get(&t, "abcdef", 4, STREAM_STDOUT, 1);
	assert_int_equal(b, 2);
	hold(&t, b);
	assert_name(&t, 2, "abcd", 4, STREAM_STDOUT);
	/* A NUL inside the name is a byte like any other. */
	int c = srctab_get(&t, "ab\0d", 4, STREAM_STDOUT, 1);
	assert_int_equal(c, 3);
	hold(&t, c);
	assert_name(&t, 3, "ab\0d", 4, STREAM_STDOUT);
	assert_int_equal(srctab_get(&t, "ab\0d", 4, STREAM_STDOUT, 1), 3);
	assert_int_equal(t.names_len, 8 + 4 + 5 + 5);
	srctab_free(&t);
}

static void test_never_stored_reclaimed(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "a-much-longer-name", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	/* Not held yet, but not reclaimed until the next lookup either. */
	dirty(&t, a, 70);
	assert_true(srctab_at(&t, 1)->used);
	assert_false(srctab_live(srctab_at(&t, 1), 1));
	assert_int_equal(t.names_dead, 0);

	/* The next lookup of another name reclaims it and takes it, reset,
	 * with its shorter name terminated where it ends. */
	int b = GET(&t, "b", STREAM_STDERR, 1);
	assert_int_equal(b, 1);
	assert_fresh(&t, b, "b", STREAM_STDERR);
	assert_int_equal(t.nslots, 2);
	assert_int_equal(t.names_dead, 19);
	assert_int_equal(t.names_len, 8 + 19 + 2);
	assert_arena_accounted(&t);
	hold(&t, b);

	/* A never-held slot found again by its own name comes back reset. */
	int c = GET(&t, "c", STREAM_STDOUT, 1);
	assert_int_equal(c, 2);
	dirty(&t, c, 5);
	assert_int_equal(GET(&t, "c", STREAM_STDOUT, 1), 2);
	assert_fresh(&t, 2, "c", STREAM_STDOUT);
	assert_int_equal(t.names_dead, 19 + 2);
	hold(&t, c);

	/* Dead slots are reclaimed lowest index first; the table only grows
	 * when none is free. */
	for (int i = 3; i <= 6; i++) {
		char name[8];
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), i);
		hold(&t, i);
	}
	assert_int_equal(t.nslots, 7);
	release(&t, 5);
	release(&t, 3);
	release(&t, 2);
	/* Still there until a lookup passes them. */
	assert_name(&t, 3, "s3", 2, STREAM_STDOUT);
	assert_name(&t, 5, "s5", 2, STREAM_STDOUT);
	uint32_t dead = t.names_dead;
	assert_int_equal(GET(&t, "g", STREAM_STDOUT, 1), 2);
	/* All three were reclaimed on the way, the other two left free. */
	assert_int_equal(t.names_dead, dead + 2 + 3 + 3);
	assert_false(srctab_at(&t, 3)->used);
	assert_false(srctab_at(&t, 5)->used);
	assert_false(srctab_live(srctab_at(&t, 3), 0));
	hold(&t, 2);
	assert_int_equal(GET(&t, "h", STREAM_STDOUT, 1), 3);
	hold(&t, 3);
	/* A freed name is not found: it comes back as a new slot. */
	assert_int_equal(GET(&t, "s5", STREAM_STDOUT, 1), 5);
	assert_fresh(&t, 5, "s5", STREAM_STDOUT);
	hold(&t, 5);
	assert_int_equal(GET(&t, "i", STREAM_STDOUT, 1), 7);
	hold(&t, 7);
	assert_int_equal(t.nslots, 8);
	assert_name(&t, 1, "b", 1, STREAM_STDERR);
	assert_name(&t, 4, "s4", 2, STREAM_STDOUT);
	assert_name(&t, 6, "s6", 2, STREAM_STDOUT);
	assert_self(&t);
	assert_arena_accounted(&t);
	srctab_free(&t);
}

static void test_stored_slot_outlives_fds(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "kept", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	hold(&t, a);
	dirty(&t, a, 30);
	store(&t, a, 10);
	release(&t, a);
	/* Its fd closed, the ring still holds its entries up to seq 10. */
	for (uint64_t oldest = 0; oldest <= 10; oldest++) {
		assert_true(srctab_live(srctab_at(&t, 1), oldest));
		int o = GET(&t, "other", STREAM_STDOUT, oldest);
		assert_int_equal(o, 2);
		assert_fresh(&t, o, "other", STREAM_STDOUT);
		assert_name(&t, 1, "kept", 4, STREAM_STDOUT);
		assert_string_equal(srctab_name(&t, srctab_at(&t, 1)), "kept");
		assert_dirty(&t, 1, 30);
		assert_true(srctab_at(&t, 1)->last_seq == 10);
		assert_int_equal(srctab_at(&t, 1)->fds, 0);
	}
	/* Found by name, as it is, while it lives. */
	assert_int_equal(GET(&t, "kept", STREAM_STDOUT, 10), 1);
	assert_dirty(&t, 1, 30);
	assert_true(srctab_at(&t, 1)->last_seq == 10);

	/* Once the ring has lost seq 10, the next lookup reclaims it: "x"
	 * takes slot 1 (the dead "other" in slot 2 is reclaimed as well). */
	assert_false(srctab_live(srctab_at(&t, 1), 11));
	uint32_t dead = t.names_dead;
	int x = GET(&t, "x", STREAM_STDERR, 11);
	assert_int_equal(x, 1);
	assert_fresh(&t, x, "x", STREAM_STDERR);
	assert_false(srctab_at(&t, 2)->used);
	assert_int_equal(t.names_dead, dead + 5 + 6);
	assert_int_equal(t.nslots, 3);
	assert_arena_accounted(&t);

	/* The same name after the fact is a new source, reset. */
	hold(&t, x);
	store(&t, x, 20);
	dirty(&t, x, 3);
	release(&t, x);
	assert_int_equal(GET(&t, "x", STREAM_STDERR, 20), 1);
	assert_dirty(&t, 1, 3);
	assert_int_equal(GET(&t, "x", STREAM_STDERR, 21), 1);
	assert_fresh(&t, 1, "x", STREAM_STDERR);
	srctab_free(&t);
}

static void test_open_fd_never_reclaimed(void **state)
{
	struct srctab t;

	assert_int_equal(srctab_init(&t, 100), 0);
	int a = GET(&t, "held", STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	hold(&t, a);
	int b = GET(&t, "held-stored", STREAM_STDOUT, 1);
	assert_int_equal(b, 2);
	hold(&t, b);
	hold(&t, b);
	hold(&t, b);
	store(&t, b, 7);
	dirty(&t, a, 1);
	dirty(&t, b, 2);
	/* An open fd keeps a slot whatever the ring has lost. */
	static const uint64_t oldest[] = { 0, 1, 8, 1u << 20, UINT64_MAX };
	for (size_t k = 0; k < sizeof(oldest) / sizeof(oldest[0]); k++) {
		int o = GET(&t, "tmp", STREAM_STDOUT, oldest[k]);
		assert_int_equal(o, 3);
		assert_name(&t, 1, "held", 4, STREAM_STDOUT);
		assert_name(&t, 2, "held-stored", 11, STREAM_STDOUT);
		assert_int_equal(srctab_at(&t, 1)->fds, 1);
		assert_int_equal(srctab_at(&t, 2)->fds, 3);
		assert_dirty(&t, 1, 1);
		assert_dirty(&t, 2, 2);
	}
	/* Down to its last fd, still kept. */
	release(&t, b);
	release(&t, b);
	assert_int_equal(GET(&t, "tmp", STREAM_STDOUT, 100), 3);
	assert_name(&t, 2, "held-stored", 11, STREAM_STDOUT);
	/* The last fd closed and seq 7 gone: reclaimed by the next lookup. */
	release(&t, b);
	assert_int_equal(GET(&t, "held-stored", STREAM_STDOUT, 7), 2);
	assert_dirty(&t, 2, 2);
	assert_int_equal(GET(&t, "new", STREAM_STDOUT, 8), 2);
	assert_fresh(&t, 2, "new", STREAM_STDOUT);
	assert_name(&t, 1, "held", 4, STREAM_STDOUT);
	assert_self(&t);
	assert_arena_accounted(&t);
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
	int a = srctab_get(&t, n600, sizeof(n600), STREAM_STDOUT, 1);
	assert_int_equal(a, 1);
	hold(&t, a);
	assert_name(&t, 1, n600, 512, STREAM_STDOUT);
	assert_int_equal(strlen(srctab_name(&t, srctab_at(&t, 1))), 512);
	assert_int_equal(t.names_len, 8 + 513);
	/* Names equal up to the cut are one source. */
	assert_int_equal(srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT, 1), 1);
	assert_int_equal(srctab_get(&t, n513, sizeof(n513), STREAM_STDOUT, 1), 1);
	assert_int_equal(srctab_get(&t, n512, sizeof(n512), STREAM_STDOUT, 1), 1);
	assert_int_equal(t.names_len, 8 + 513);
	/* A difference inside the first 512 bytes is another. */
	m600[511] = 'y';
	int b = srctab_get(&t, m600, sizeof(m600), STREAM_STDOUT, 1);
	assert_int_equal(b, 2);
	hold(&t, b);
	assert_name(&t, 2, m600, 512, STREAM_STDOUT);
	assert_int_equal(srctab_name(&t, srctab_at(&t, 2))[511], 'y');
	/* 511 bytes is not cut, and not the same as 512. */
	int c = srctab_get(&t, n512, 511, STREAM_STDOUT, 1);
	assert_int_equal(c, 3);
	hold(&t, c);
	assert_name(&t, 3, n512, 511, STREAM_STDOUT);
	assert_int_equal(strlen(srctab_name(&t, srctab_at(&t, 3))), 511);
	/* Cut names take 513 bytes of arena each; it grows past 4096. */
	for (int i = 4; i <= 10; i++) {
		char n[REG_NAME_MAX + 40];
		memset(n, 'a' + i, sizeof(n));
		int k = srctab_get(&t, n, sizeof(n), STREAM_STDERR, 1);
		assert_int_equal(k, i);
		hold(&t, k);
		assert_name(&t, k, n, 512, STREAM_STDERR);
	}
	assert_int_equal(t.names_len, 8 + 513 * 9 + 512);
	assert_int_equal(t.names_cap, 8192);
	assert_name(&t, 1, n600, 512, STREAM_STDOUT);
	assert_name(&t, 2, m600, 512, STREAM_STDOUT);
	assert_name(&t, 3, n512, 511, STREAM_STDOUT);
	assert_self(&t);
	srctab_free(&t);
}

/* The table, its slots and its arena, as they are. */
struct snapshot {
	struct srctab t;
	struct srcinfo *slots;
	char *names;
};

static void snap(struct snapshot *sn, const struct srctab *t)
{
	memcpy(&sn->t, t, sizeof(*t));
	sn->slots = malloc(t->nslots * sizeof(*t->slots));
	sn->names = malloc(t->names_len);
	assert_non_null(sn->slots);
	assert_non_null(sn->names);
	memcpy(sn->slots, t->slots, t->nslots * sizeof(*t->slots));
	memcpy(sn->names, t->names, t->names_len);
}

static void assert_unchanged(const struct snapshot *sn, const struct srctab *t)
{
	assert_memory_equal(&sn->t, t, sizeof(*t));
	assert_memory_equal(sn->slots, t->slots, t->nslots * sizeof(*t->slots));
	assert_memory_equal(sn->names, t->names, t->names_len);
}

static void snap_free(struct snapshot *sn)
{
	free(sn->slots);
	free(sn->names);
}

static void test_table_full(void **state)
{
	struct srctab t;
	struct snapshot sn;

	assert_int_equal(srctab_init(&t, 4), 0);
	assert_int_equal(t.cap, 4);
	for (int i = 1; i <= 3; i++) {
		char name[2] = { (char)('a' + i - 1), '\0' };
		assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), i);
		hold(&t, i);
		dirty(&t, i, (uint64_t)i);
	}
	/* c is only kept by its entries up to seq 5. */
	store(&t, 3, 5);
	release(&t, 3);

	snap(&sn, &t);
	assert_int_equal(GET(&t, "d", STREAM_STDOUT, 1), -ENOSPC);
	assert_int_equal(GET(&t, "a", STREAM_STDERR, 5), -ENOSPC);
	assert_int_equal(srctab_get(&t, "bb", 1, STREAM_STDERR, 0), -ENOSPC);
	/* The failures changed nothing: not a slot, not a byte of names. */
	assert_unchanged(&sn, &t);
	snap_free(&sn);
	assert_int_equal(t.nslots, 4);
	assert_int_equal(t.cap, 4);
	/* A known source is still found when the table is full. */
	assert_int_equal(GET(&t, "b", STREAM_STDOUT, 5), 2);
	assert_int_equal(GET(&t, "c", STREAM_STDOUT, 5), 3);
	assert_int_equal(GET(&t, "memlogd", STREAM_NONE, 5), 0);

	/* Once the ring loses seq 5, c's slot makes room for exactly one. */
	assert_int_equal(GET(&t, "d", STREAM_STDOUT, 6), 3);
	assert_fresh(&t, 3, "d", STREAM_STDOUT);
	hold(&t, 3);
	snap(&sn, &t);
	assert_int_equal(GET(&t, "e", STREAM_STDOUT, UINT64_MAX), -ENOSPC);
	assert_unchanged(&sn, &t);
	snap_free(&sn);
	assert_name(&t, 1, "a", 1, STREAM_STDOUT);
	assert_dirty(&t, 1, 1);
	assert_name(&t, 2, "b", 1, STREAM_STDOUT);
	assert_dirty(&t, 2, 2);
	assert_self(&t);
	assert_arena_accounted(&t);
	srctab_free(&t);
}

static void long_name(char *buf, size_t size, int i)
{
	int n = snprintf(buf, size, "src-%d-", i);
	memset(buf + n, 'a' + i % 26, size - 1 - (size_t)n);
	buf[size - 1] = '\0';
}

static void test_growth_keeps_slots(void **state)
{
	struct srctab t;
	char name[48];

	assert_int_equal(srctab_init(&t, 1000), 0);
	assert_int_equal(t.cap, 64);
	for (int i = 1; i < 64; i++) {
		long_name(name, sizeof(name), i);
		int k = GET(&t, name, i % 2 ? STREAM_STDOUT : STREAM_STDERR, 1);
		assert_int_equal(k, i);
		hold(&t, k);
		dirty(&t, i, (uint64_t)i * 1000);
		store(&t, i, (uint64_t)i);
	}
	assert_int_equal(t.nslots, 64);
	assert_int_equal(t.cap, 64);
	/* 8 + 63 * 48 bytes of names: the arena has grown once already. */
	assert_int_equal(t.names_len, 8 + 63 * 48);
	assert_int_equal(t.names_cap, 4096);

	/* The 65th slot doubles the array... */
	long_name(name, sizeof(name), 64);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), 64);
	hold(&t, 64);
	assert_int_equal(t.cap, 128);
	assert_int_equal(t.nslots, 65);
	for (int i = 65; i < 200; i++) {
		long_name(name, sizeof(name), i);
		assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), i);
		hold(&t, i);
	}
	assert_int_equal(t.cap, 256);
	assert_int_equal(t.nslots, 200);
	assert_int_equal(t.names_len, 8 + 199 * 48);
	assert_int_equal(t.names_cap, 16384);
	assert_int_equal(t.names_dead, 0);

	/* ...and every earlier slot is intact, and still found by name. */
	assert_self(&t);
	for (int i = 1; i < 64; i++) {
		const struct srcinfo *s = srctab_at(&t, (uint32_t)i);
		long_name(name, sizeof(name), i);
		assert_name(&t, i, name, 47, i % 2 ? STREAM_STDOUT : STREAM_STDERR);
		assert_int_equal(s->fds, 1);
		assert_true(s->last_seq == (uint64_t)i);
		assert_dirty(&t, i, (uint64_t)i * 1000);
		assert_int_equal(GET(&t, name, i % 2 ? STREAM_STDOUT : STREAM_STDERR, 1), i);
		assert_int_equal(s->fds, 1);
	}
	for (int i = 64; i < 200; i++) {
		long_name(name, sizeof(name), i);
		assert_name(&t, i, name, 47, STREAM_STDOUT);
		assert_int_equal(srctab_at(&t, (uint32_t)i)->pid, -1);
		assert_true(srctab_at(&t, (uint32_t)i)->lines == 0);
	}
	assert_arena_accounted(&t);
	srctab_free(&t);
}

static void test_growth_clamped_to_max(void **state)
{
	struct srctab t;
	char name[32];

	assert_int_equal(srctab_init(&t, 100), 0);
	for (int i = 1; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(GET(&t, name, STREAM_STDERR, 1), i);
		hold(&t, i);
	}
	/* Grown from 64 to the cap of 100, not to 128. */
	assert_int_equal(t.cap, 100);
	assert_int_equal(t.nslots, 100);
	assert_int_equal(GET(&t, "one-more", STREAM_STDERR, 1), -ENOSPC);
	assert_int_equal(t.cap, 100);
	assert_int_equal(t.nslots, 100);
	for (int i = 1; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_name(&t, i, name, strlen(name), STREAM_STDERR);
		assert_int_equal(srctab_at(&t, (uint32_t)i)->fds, 1);
	}
	assert_self(&t);
	srctab_free(&t);
}

/* 100 bytes, distinct for every i. */
static void name100(char *buf, int i)
{
	int n = snprintf(buf, 101, "name-%08d-", i);
	for (int k = n; k < 100; k++)
		buf[k] = (char)('A' + (i * 7 + k) % 26);
	buf[100] = '\0';
}

static void test_compaction_exact(void **state)
{
	struct srctab t;
	char name[101];

	assert_int_equal(srctab_init(&t, 100), 0);
	/* Slot 1 held by an fd. */
	name100(name, 1);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), 1);
	hold(&t, 1);
	/* Names 2..20 pass through slot 2, never held: each is reclaimed by
	 * the next lookup and its bytes left dead in the arena. Name 21 then
	 * stays in slot 2 by an entry at seq 100, and 22..40 pass through
	 * slot 3 the same way. */
	for (int i = 2; i <= 40; i++) {
		name100(name, i);
		int want_dead = i <= 21 ? i - 2 : i - 3;
		assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), i <= 21 ? 2 : 3);
		assert_int_equal(t.names_dead, want_dead * 101);
		if (i == 21)
			store(&t, 2, 100);
	}
	assert_int_equal(t.names_len, 8 + 40 * 101);
	assert_int_equal(t.names_cap, 4096);
	assert_int_equal(srctab_at(&t, 2)->name_off, 8 + 20 * 101);
	assert_int_equal(srctab_at(&t, 3)->name_off, 8 + 39 * 101);

	/* The 41st does not fit; 38 of the 40 names are dead, more than half:
	 * the arena is compacted in place of growing, and name 21 moves. */
	name100(name, 41);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), 3);
	assert_int_equal(t.names_cap, 4096);
	assert_int_equal(t.names_dead, 0);
	assert_int_equal(t.names_len, 8 + 3 * 101);
	assert_int_equal(srctab_at(&t, 0)->name_off, 0);
	assert_int_equal(srctab_at(&t, 1)->name_off, 8);
	assert_int_equal(srctab_at(&t, 2)->name_off, 8 + 101);
	assert_int_equal(srctab_at(&t, 3)->name_off, 8 + 2 * 101);
	assert_self(&t);
	name100(name, 1);
	assert_name(&t, 1, name, 100, STREAM_STDOUT);
	name100(name, 21);
	assert_name(&t, 2, name, 100, STREAM_STDOUT);
	name100(name, 41);
	assert_fresh(&t, 3, name, STREAM_STDOUT);
	assert_arena_accounted(&t);
	/* Both survivors are still found by name, as they were. */
	name100(name, 1);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), 1);
	name100(name, 21);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 100), 2);
	assert_int_equal(srctab_at(&t, 1)->fds, 1);
	assert_true(srctab_at(&t, 2)->last_seq == 100);
	srctab_free(&t);
}

static void test_compaction_grows_when_mostly_live(void **state)
{
	struct srctab t;
	char name[101];

	assert_int_equal(srctab_init(&t, 100), 0);
	/* 40 names, 20 of them dead (never held: slots 21..40 reclaimed). */
	for (int i = 1; i <= 40; i++) {
		name100(name, i);
		assert_int_equal(GET(&t, name, STREAM_STDOUT, 1), i);
		if (i <= 20)
			hold(&t, i);
		else
			store(&t, i, 50);
	}
	assert_int_equal(t.names_len, 8 + 40 * 101);
	/* The ring drops seq 50: 20 names dead, 2020 bytes, under half of
	 * 4048. The arena grows, dead names are left where they are. */
	name100(name, 41);
	assert_int_equal(GET(&t, name, STREAM_STDOUT, 51), 21);
	assert_int_equal(t.names_cap, 8192);
	assert_int_equal(t.names_dead, 20 * 101);
	assert_int_equal(t.names_len, 8 + 41 * 101);
	for (int i = 1; i <= 20; i++) {
		name100(name, i);
		assert_name(&t, i, name, 100, STREAM_STDOUT);
		assert_int_equal(srctab_at(&t, (uint32_t)i)->name_off, 8 + (i - 1) * 101);
	}
	name100(name, 41);
	assert_name(&t, 21, name, 100, STREAM_STDOUT);
	assert_arena_accounted(&t);
	srctab_free(&t);
}

#define CYCLES 10000
#define LIVE 10

static void test_compaction_churn(void **state)
{
	struct srctab t;
	char names[LIVE][101];          /* the name each of the LIVE holds */
	int slot[LIVE];                 /* its table slot, or -1 */
	int compactions = 0;
	uint32_t max_cap = 0, max_nslots = 0;

	assert_int_equal(srctab_init(&t, 100), 0);
	for (int k = 0; k < LIVE; k++)
		slot[k] = -1;
	/* Name i lives until name i + LIVE comes: the LIVE - 1 names before
	 * it and itself, at most LIVE at a time. Even names are held by an fd
	 * and store nothing; odd ones store seq i + 1 and have no fd, and
	 * live while the ring's oldest seq is at most i + 1. */
	for (int i = 0; i < CYCLES; i++) {
		int k = i % LIVE;
		uint64_t oldest = i - LIVE + 2 > 1 ? (uint64_t)(i - LIVE + 2) : 1;

		if (slot[k] >= 0) {
			if (i % 2 == 0)
				release(&t, slot[k]);
			assert_false(srctab_live(srctab_at(&t, (uint32_t)slot[k]),
						 oldest));
			slot[k] = -1;
		}
		name100(names[k], i);
		uint32_t before = t.names_len;
		int r = srctab_get(&t, names[k], 100, STREAM_STDOUT, oldest);
		assert_true(r > 0);
		assert_fresh(&t, r, names[k], STREAM_STDOUT);
		if (t.names_len < before)
			compactions++;
		slot[k] = r;
		if (i % 2 == 0)
			hold(&t, r);
		else
			store(&t, r, (uint64_t)i + 1);

		/* Every live name is exactly right, in its own slot. */
		for (int j = 0; j < LIVE; j++) {
			if (slot[j] < 0)
				continue;
			assert_true(srctab_live(srctab_at(&t, (uint32_t)slot[j]),
						oldest));
			assert_name(&t, slot[j], names[j], 100, STREAM_STDOUT);
			for (int m = 0; m < j; m++)
				assert_true(slot[m] != slot[j]);
		}
		assert_self(&t);
		assert_arena_accounted(&t);
		if (t.names_cap > max_cap)
			max_cap = t.names_cap;
		if (t.nslots > max_nslots)
			max_nslots = t.nslots;
	}
	/* Every live name is still found as itself, counters untouched. */
	uint64_t oldest = CYCLES - LIVE + 1;
	for (int j = 0; j < LIVE; j++) {
		assert_int_equal(srctab_get(&t, names[j], 100, STREAM_STDOUT, oldest),
				 slot[j]);
		assert_name(&t, slot[j], names[j], 100, STREAM_STDOUT);
	}
	print_message("%d compactions, arena at most %u bytes, %u slots\n",
		      compactions, max_cap, max_nslots);
	assert_true(max_cap <= 64 * 1024);
	/* At most 10 names of 101 bytes live: the first 4096 bytes do. */
	assert_int_equal(max_cap, 4096);
	assert_true(compactions >= CYCLES * 101 / 4096);
	assert_true(max_nslots <= LIVE + 1);
	srctab_free(&t);
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

/* srctab_find never creates; nused counts slots holding a name, through
 * creation and lazy reclaim. */
static void test_find_and_nused(void **state)
{
	struct srctab t;
	(void)state;

	assert_int_equal(srctab_init(&t, 100), 0);
	assert_int_equal(t.nused, 1);
	assert_int_equal(srctab_find(&t, "a", 1, STREAM_STDOUT, 1), -ENOENT);
	assert_int_equal(t.nused, 1);
	int a = srctab_get(&t, "a", 1, STREAM_STDOUT, 1);
	assert_true(a > 0);
	srctab_at(&t, (uint32_t)a)->fds = 1;
	assert_int_equal(t.nused, 2);
	assert_int_equal(srctab_find(&t, "a", 1, STREAM_STDOUT, 1), a);
	assert_int_equal(srctab_find(&t, "a", 1, STREAM_STDERR, 1), -ENOENT);
	/* Closed and never stored: reclaimed by the next lookup. */
	srctab_at(&t, (uint32_t)a)->fds = 0;
	assert_int_equal(srctab_find(&t, "a", 1, STREAM_STDOUT, 1), -ENOENT);
	assert_int_equal(t.nused, 1);
	srctab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_and_nused),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_self_slot),
		cmocka_unit_test(test_same_name_and_stream_share),
		cmocka_unit_test(test_distinct_keys),
		cmocka_unit_test(test_name_taken_by_length),
		cmocka_unit_test(test_never_stored_reclaimed),
		cmocka_unit_test(test_stored_slot_outlives_fds),
		cmocka_unit_test(test_open_fd_never_reclaimed),
		cmocka_unit_test(test_long_names_cut),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_growth_keeps_slots),
		cmocka_unit_test(test_growth_clamped_to_max),
		cmocka_unit_test(test_compaction_exact),
		cmocka_unit_test(test_compaction_grows_when_mostly_live),
		cmocka_unit_test(test_compaction_churn),
		cmocka_unit_test(test_live_truth_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
