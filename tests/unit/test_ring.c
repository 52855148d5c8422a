#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

static size_t page;

/* The byte at index i of the message of entry seq: every entry's content
 * is known without keeping a copy. */
static char fill_byte(uint64_t seq, size_t i)
{
	return (char)(seq * 31 + i * 7 + (i >> 8));
}

/* One entry, as the daemon's store writes them: reserve, copy, commit. */
static uint64_t ring_put(struct ring *r, uint64_t time_ns, uint32_t source,
			 uint32_t flags, const void *msg, uint32_t len)
{
	char *dst = ring_reserve(r, len);

	memcpy(dst, msg, len);
	return ring_commit(r, time_ns, source, flags, RING_NO_PRIORITY,
			   RING_NO_PRIORITY, len);
}

struct evictions;
static void observe(struct ring *r);

static uint64_t append_n(struct ring *r, uint64_t seq_hint, uint32_t len)
{
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = fill_byte(seq_hint, i);
	uint64_t seq = ring_put(r, seq_hint * 1000, (uint32_t)(seq_hint % 100),
				   0, buf, len);
	free(buf);
	assert_true(seq == seq_hint);
	observe(r);
	/* Offsets always name a place in the first copy of the data. */
	assert_true(r->meta->head < r->meta->size);
	assert_true(r->meta->tail < r->meta->size);
	return seq;
}

static void check_entry(const struct ring_entry *e, uint64_t seq, uint32_t len)
{
	assert_true(e->seq == seq);
	assert_int_equal(e->len, len);
	assert_true(e->time_ns == seq * 1000);
	assert_int_equal(e->source, seq % 100);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->priority, RING_NO_PRIORITY);
	assert_int_equal(e->facility, RING_NO_PRIORITY);
	for (size_t i = 0; i < len; i++)
		if (e->msg[i] != fill_byte(seq, i))
			fail_msg("entry %llu byte %zu differs",
				 (unsigned long long)seq, i);
}

static int setup(void **state)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static void test_init(void **state)
{
	struct ring r;
	struct ring_entry e;

	assert_int_equal(ring_init(&r, 0, 0, 0x1234), 0);
	/* At least two pages, whole pages. */
	assert_int_equal(r.meta->size, 2 * page);
	assert_int_equal(r.meta->instance, 0x1234);
	assert_int_equal(r.meta->max_entries, 0);
	assert_int_equal(ring_msg_max(&r), 2 * page - RING_HDR);
	assert_int_equal(ring_count(&r), 0);
	assert_true(r.meta->next_seq == 1);
	assert_true(r.meta->oldest_seq == 1);
	assert_true(r.memfd >= 0);
	assert_true(fcntl(r.memfd, F_GETFD) & FD_CLOEXEC);

	struct ring_pos o = ring_oldest(&r), end = ring_end(&r);
	assert_true(o.seq == 1 && end.seq == 1);
	assert_true(o.off == end.off);
	assert_int_equal(ring_get(&r, &o, &e), 0);
	ring_destroy(&r);
	assert_null(r.meta);
	assert_int_equal(r.memfd, -1);
	ring_destroy(&r); /* twice is harmless */

	assert_int_equal(ring_init(&r, 3 * page + 1, 7, 0), 0);
	assert_int_equal(r.meta->size, 4 * page);
	assert_int_equal(r.meta->max_entries, 7);
	ring_destroy(&r);
}

static void test_double_mapping(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	size_t size = r.meta->size;
	r.data[0] = 'A';
	r.data[size - 1] = 'Z';
	assert_int_equal(r.data[size], 'A');
	r.data[size + 5] = 'Q';
	assert_int_equal(r.data[5], 'Q');
	assert_int_equal(r.data[2 * size - 1], 'Z');
	ring_destroy(&r);
}

static void test_append_read(void **state)
{
	struct ring r;
	struct ring_entry e;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	assert_true(ring_put(&r, 111, 5, RING_F_PARTIAL, "hello", 5) == 1);
	assert_true(ring_put(&r, 222, 6, 0, "", 0) == 2);
	assert_true(ring_put(&r, 333, 7, RING_F_NOEOL | RING_F_MARKER,
				"a\0b", 3) == 3);
	assert_int_equal(ring_count(&r), 3);
	assert_int_equal(r.meta->used, 3 * RING_HDR + 8);

	struct ring_pos p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 1 && e.time_ns == 111);
	assert_int_equal(e.source, 5);
	assert_int_equal(e.flags, RING_F_PARTIAL);
	assert_int_equal(e.len, 5);
	assert_memory_equal(e.msg, "hello", 5);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 2 && e.time_ns == 222);
	assert_int_equal(e.len, 0);
	assert_int_equal(e.flags, 0);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 3);
	assert_int_equal(e.flags, RING_F_NOEOL | RING_F_MARKER);
	assert_memory_equal(e.msg, "a\0b", 3);
	ring_next(&r, &p, &e);
	/* At the end, equal to ring_end(). */
	assert_int_equal(ring_get(&r, &p, &e), 0);
	struct ring_pos end = ring_end(&r);
	assert_true(p.seq == end.seq && p.off == end.off);
	ring_destroy(&r);
}

static void test_header_fields(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct ring_pos p;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	for (int prio = -1; prio <= 7; prio++) {
		for (int fac = -1; fac <= 23; fac++) {
			char *dst = ring_reserve(&r, 2);
			memcpy(dst, "pf", 2);
			uint64_t seq = ring_commit(&r, UINT64_MAX, RING_SOURCE_MAX,
						   RING_F_MASK, prio, fac, 2);
			assert_int_equal(ring_seek(&r, seq, &p), 0);
			assert_int_equal(ring_get(&r, &p, &e), 1);
			assert_int_equal(e.priority, prio);
			assert_int_equal(e.facility, fac);
			assert_int_equal(e.source, RING_SOURCE_MAX);
			assert_int_equal(e.flags, RING_F_MASK);
			assert_true(e.time_ns == UINT64_MAX);
			assert_int_equal(e.len, 2);
			assert_memory_equal(e.msg, "pf", 2);
		}
	}
	/* Out of range priority or facility is "none"; foreign flag bits are
	 * dropped. (A source above RING_SOURCE_MAX is a broken precondition,
	 * asserted: the source table is smaller.) */
	ring_reserve(&r, 0);
	uint64_t seq = ring_commit(&r, 1, 1, RING_F_PARTIAL | 1u | (1u << 30),
				   8, 24, 0);
	assert_int_equal(ring_seek(&r, seq, &p), 0);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.priority, RING_NO_PRIORITY);
	assert_int_equal(e.facility, RING_NO_PRIORITY);
	assert_int_equal(e.flags, RING_F_PARTIAL);
	assert_int_equal(e.source, 1);
	assert_int_equal(e.len, 0);
	ring_reserve(&r, 0);
	seq = ring_commit(&r, 1, 0, 0, -5, -5, 0);
	assert_int_equal(ring_seek(&r, seq, &p), 0);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.priority, RING_NO_PRIORITY);
	assert_int_equal(e.facility, RING_NO_PRIORITY);
	ring_destroy(&r);
}

struct evictions {
	uint64_t next;   /* seq the next eviction must have */
	uint64_t count;
	uint32_t len;    /* expected length, or UINT32_MAX for any */
	bool attrs;      /* entries of test_attrs_wrap */
};

/* The ring tells nobody what it evicts: the test watches oldest_seq move
 * after each append, and checks the entry that is oldest now is intact
 * (every entry is checked as the oldest before it goes). */
static struct ring *watched;
static struct evictions *watched_ev;

static void check_attrs_entry(const struct ring_entry *e, uint64_t seq);

static void observe_evictions(struct ring *r, struct evictions *ev)
{
	watched = r;
	watched_ev = ev;
}

/* After every test: a later test's ring may sit at the same address. */
static int stop_observing(void **state)
{
	observe_evictions(NULL, NULL);
	return 0;
}

static void observe(struct ring *r)
{
	struct evictions *ev = watched_ev;
	struct ring_entry e;

	if (r != watched)
		return;
	ev->count += r->meta->oldest_seq - ev->next;
	ev->next = r->meta->oldest_seq;
	struct ring_pos p = ring_oldest(r);
	if (ring_get(r, &p, &e) != 1)
		return;
	assert_true(e.seq == ev->next);
	if (ev->attrs) {
		check_attrs_entry(&e, e.seq);
		return;
	}
	if (ev->len != UINT32_MAX)
		assert_int_equal(e.len, ev->len);
	for (size_t i = 0; i < e.len; i++)
		assert_int_equal(e.msg[i], fill_byte(e.seq, i));
}

static void test_eviction_by_bytes(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct evictions ev = { 1, 0, 100, false };

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	observe_evictions(&r, &ev);
	uint64_t size = r.meta->size;
	uint64_t fit = size / (RING_HDR + 100); /* whole entries that fit */

	for (uint64_t s = 1; s <= fit; s++)
		append_n(&r, s, 100);
	assert_int_equal(ring_count(&r), fit);
	assert_int_equal(ev.count, 0);

	append_n(&r, fit + 1, 100);
	assert_int_equal(ev.count, 1);
	assert_true(r.meta->oldest_seq == 2);

	for (uint64_t s = fit + 2; s <= 500; s++)
		append_n(&r, s, 100);
	assert_int_equal(ring_count(&r), fit);
	assert_true(r.meta->next_seq == 501);
	assert_true(r.meta->oldest_seq == 501 - fit);
	assert_true(ev.count == 500 - fit);
	assert_true(ev.next == r.meta->oldest_seq);
	assert_int_equal(r.meta->used, fit * (RING_HDR + 100));

	/* Everything that is left reads back. */
	struct ring_pos p = ring_oldest(&r);
	uint64_t s = r.meta->oldest_seq;
	while (ring_get(&r, &p, &e) == 1) {
		check_entry(&e, s++, 100);
		ring_next(&r, &p, &e);
	}
	assert_true(s == 501);

	/* A bigger entry evicts as many as it needs, exactly. */
	uint64_t before = r.meta->oldest_seq;
	uint64_t free_bytes = size - r.meta->used;
	uint32_t big = (uint32_t)(free_bytes + 2 * (RING_HDR + 100) - RING_HDR);
	ev.len = 100;
	append_n(&r, 501, big);
	assert_true(r.meta->oldest_seq == before + 2);
	assert_int_equal(r.meta->used, size);
	ring_destroy(&r);
}

static void test_max_entries(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct evictions ev = { 1, 0, 10, false };

	assert_int_equal(ring_init(&r, 0, 5, 0), 0);
	observe_evictions(&r, &ev);
	for (uint64_t s = 1; s <= 5; s++)
		append_n(&r, s, 10);
	assert_int_equal(ring_count(&r), 5);
	assert_int_equal(ev.count, 0);
	for (uint64_t s = 6; s <= 12; s++)
		append_n(&r, s, 10);
	assert_int_equal(ring_count(&r), 5);
	assert_true(r.meta->oldest_seq == 8);
	assert_true(r.meta->next_seq == 13);
	assert_int_equal(ev.count, 7);

	struct ring_pos p = ring_oldest(&r);
	for (uint64_t s = 8; s <= 12; s++) {
		assert_int_equal(ring_get(&r, &p, &e), 1);
		check_entry(&e, s, 10);
		ring_next(&r, &p, &e);
	}
	assert_int_equal(ring_get(&r, &p, &e), 0);
	ring_destroy(&r);

	/* A cap of one. */
	observe_evictions(NULL, NULL);
	assert_int_equal(ring_init(&r, 0, 1, 0), 0);
	append_n(&r, 1, 3);
	append_n(&r, 2, 3);
	assert_int_equal(ring_count(&r), 1);
	assert_true(r.meta->oldest_seq == 2);
	ring_destroy(&r);
}

static void test_stale_position(void **state)
{
	struct ring r;
	struct ring_entry e;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	append_n(&r, 1, 1000);
	struct ring_pos reader = ring_oldest(&r);
	struct ring_pos tail = ring_end(&r);
	uint64_t s = 2;

	while (r.meta->oldest_seq == 1)
		append_n(&r, s++, 1000);
	assert_int_equal(ring_get(&r, &reader, &e), -ESTALE);
	/* The reader knows exactly how much it lost. */
	assert_true(ring_oldest(&r).seq - reader.seq == 1);

	/* A reader at the old end position is still valid while its seq is. */
	assert_true(tail.seq == 2);
	if (r.meta->oldest_seq <= 2) {
		assert_int_equal(ring_get(&r, &tail, &e), 1);
		check_entry(&e, 2, 1000);
	}
	for (int i = 0; i < 50; i++)
		append_n(&r, s++, 1000);
	assert_int_equal(ring_get(&r, &tail, &e), -ESTALE);
	assert_true(ring_oldest(&r).seq - tail.seq == r.meta->oldest_seq - 2);
	ring_destroy(&r);
}

static void test_seek(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct ring_pos p, it;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	/* Empty ring: seq 1 is the end. */
	assert_int_equal(ring_seek(&r, 1, &p), 0);
	assert_true(p.seq == 1);
	assert_int_equal(ring_get(&r, &p, &e), 0);
	assert_int_equal(ring_seek(&r, 0, &p), -ESTALE);
	assert_int_equal(ring_seek(&r, 2, &p), -ERANGE);

	/* Varied sizes, so entries wrap and positions are uneven. */
	for (uint64_t s = 1; s <= 300; s++)
		append_n(&r, s, (uint32_t)(s * 37 % 301));
	uint64_t oldest = r.meta->oldest_seq;
	assert_true(oldest > 1);

	it = ring_oldest(&r);
	for (uint64_t s = oldest; s <= 300; s++) {
		assert_int_equal(ring_seek(&r, s, &p), 0);
		assert_true(p.seq == it.seq && p.off == it.off);
		assert_int_equal(ring_get(&r, &p, &e), 1);
		check_entry(&e, s, (uint32_t)(s * 37 % 301));
		ring_next(&r, &it, &e);
	}
	assert_int_equal(ring_seek(&r, 301, &p), 0);
	struct ring_pos end = ring_end(&r);
	assert_true(p.seq == end.seq && p.off == end.off);
	assert_int_equal(ring_get(&r, &p, &e), 0);

	struct ring_pos untouched = { 77, 77 };
	p = untouched;
	assert_int_equal(ring_seek(&r, oldest - 1, &p), -ESTALE);
	assert_int_equal(ring_seek(&r, 1, &p), -ESTALE);
	assert_int_equal(ring_seek(&r, 302, &p), -ERANGE);
	assert_int_equal(ring_seek(&r, UINT64_MAX, &p), -ERANGE);
	assert_true(p.seq == 77 && p.off == 77);
	ring_destroy(&r);
}

static void test_straddle_wrap(void **state)
{
	struct ring r;
	struct ring_entry e;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	uint64_t size = r.meta->size;
	unsigned hdr_straddles = 0, msg_straddles = 0;

	/* Sizes chosen so that, over the loop, both the header and the
	 * message of some entries cross the end of the data area. */
	for (uint64_t s = 1; s <= 2000; s++) {
		uint32_t len = (uint32_t)(s * 13 % 211);
		uint64_t head = r.meta->head;
		append_n(&r, s, len);
		/* Wherever it was written, it reads back whole. */
		struct ring_pos p;
		assert_int_equal(ring_seek(&r, s, &p), 0);
		assert_true(p.off == head);
		assert_int_equal(ring_get(&r, &p, &e), 1);
		check_entry(&e, s, len);
		if (head < size && head + RING_HDR > size)
			hdr_straddles++;
		else if (head + RING_HDR < size && head + RING_HDR + len > size)
			msg_straddles++;
		/* Offsets stay inside the first copy. */
		assert_true(r.meta->head < size);
		assert_true(r.meta->tail < size);
	}
	assert_true(hdr_straddles > 0);
	assert_true(msg_straddles > 0);

	/* The straddling bytes really are at both ends of the memfd. */
	struct ring_pos p = ring_oldest(&r);
	bool found = false;
	while (!found && ring_get(&r, &p, &e) == 1) {
		size_t off = (size_t)(e.msg - r.data);
		if (off < size && off + e.len > size) {
			size_t first = size - off;
			assert_int_equal(r.data[0], e.msg[first]);
			char tmp;
			assert_int_equal(pread(r.memfd, &tmp, 1,
					       (off_t)(page + size - 1)), 1);
			assert_int_equal(tmp, e.msg[first - 1]);
			assert_int_equal(pread(r.memfd, &tmp, 1, (off_t)page), 1);
			assert_int_equal(tmp, e.msg[first]);
			found = true;
		}
		ring_next(&r, &p, &e);
	}
	assert_true(found);
	ring_destroy(&r);
}

static void test_msg_max(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct ring_pos p;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	uint32_t max = ring_msg_max(&r);
	assert_int_equal(max, r.meta->size - RING_HDR);

	for (uint64_t s = 1; s <= 10; s++)
		append_n(&r, s, 50);
	/* The largest message takes the whole ring, wherever head is. */
	append_n(&r, 11, max);
	assert_int_equal(ring_count(&r), 1);
	assert_int_equal(r.meta->used, r.meta->size);
	assert_true(r.meta->head == r.meta->tail);
	p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	check_entry(&e, 11, max);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 0);

	/* Twice in a row, then an empty one pushes it out. */
	append_n(&r, 12, max);
	assert_int_equal(ring_count(&r), 1);
	p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	check_entry(&e, 12, max);
	append_n(&r, 13, 0);
	assert_int_equal(ring_count(&r), 1);
	assert_true(r.meta->oldest_seq == 13);
	assert_int_equal(r.meta->used, RING_HDR);
	ring_destroy(&r);
}

static void test_msg_max_capped(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct ring_pos p;

	/* A ring larger than 2 MiB: the 21-bit length field is the limit. */
	assert_int_equal(ring_init(&r, 4u << 20, 0, 0), 0);
	assert_int_equal(ring_msg_max(&r), RING_MSG_MAX);
	append_n(&r, 1, 10);
	char *dst = ring_reserve(&r, RING_MSG_MAX);
	memset(dst, 'M', RING_MSG_MAX);
	uint64_t seq = ring_commit(&r, 5, 9, RING_F_PARTIAL | RING_F_NOEOL, 6, 22,
				   RING_MSG_MAX);
	assert_true(seq == 2);
	assert_int_equal(ring_seek(&r, 2, &p), 0);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.len, RING_MSG_MAX);
	assert_int_equal(e.flags, RING_F_PARTIAL | RING_F_NOEOL);
	assert_int_equal(e.priority, 6);
	assert_int_equal(e.facility, 22);
	assert_int_equal(e.source, 9);
	assert_int_equal(e.msg[0], 'M');
	assert_int_equal(e.msg[RING_MSG_MAX - 1], 'M');
	/* The entry before it is intact and the next goes right after. */
	p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	check_entry(&e, 1, 10);
	append_n(&r, 3, 10);
	assert_int_equal(ring_count(&r), 3);
	ring_destroy(&r);
}

static void test_random_against_model(void **state)
{
	static uint32_t lens[20001];
	uint64_t rng = 0x853c49e6748fea9bull;
	struct ring r;
	struct ring_entry e;

	for (int round = 0; round < 3; round++) {
		uint64_t cap = round == 0 ? 0 : round == 1 ? 40 : 7;
		struct evictions ev = { 1, 0, UINT32_MAX, false };

		assert_int_equal(ring_init(&r, round == 2 ? 5 * page : 0, cap, 0), 0);
		observe_evictions(&r, &ev);
		uint64_t size = r.meta->size;
		struct ring_pos reader = ring_oldest(&r);

		for (uint64_t s = 1; s <= 20000; s++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			uint32_t len = (uint32_t)(rng % 8 == 0 ? rng % 2000 : rng % 120);
			lens[s] = len;
			append_n(&r, s, len);

			/* The ring holds the longest suffix that fits. */
			uint64_t want = 0, bytes = 0;
			for (uint64_t k = s; k >= 1; k--) {
				if (bytes + RING_HDR + lens[k] > size ||
				    (cap && want == cap))
					break;
				bytes += RING_HDR + lens[k];
				want++;
			}
			assert_true(ring_count(&r) == want);
			assert_true(r.meta->used == bytes);
			assert_true(r.meta->oldest_seq == s + 1 - want);
			assert_true(ev.next == r.meta->oldest_seq);

			/* A reader that keeps up sees every entry once. */
			if (s % 3 == 0) {
				int rc;
				while ((rc = ring_get(&r, &reader, &e)) == 1) {
					check_entry(&e, reader.seq, lens[reader.seq]);
					ring_next(&r, &reader, &e);
				}
				if (rc == -ESTALE) {
					assert_true(reader.seq < r.meta->oldest_seq);
					reader = ring_oldest(&r);
				} else {
					assert_int_equal(rc, 0);
					assert_true(reader.seq == s + 1);
				}
			}
		}
		ring_destroy(&r);
	}
}

/* ring_seek_last's filter in these tests: sources that are d-1 modulo d
 * (d = *arg): every entry for 1, none for d > 100 (sources are 0-99). */
static bool source_mod(const struct ring_entry *e, void *arg)
{
	uint32_t d = *(const uint32_t *)arg;
	return e->source % d == d - 1;
}

/* ring_seek_last against the obvious answer (the list of every match),
 * for counts below, at and above the marks and the matches, and marks of
 * every stride: the walk from a mark must land on the same entry as an
 * exact list. */
static void test_seek_last(void **state)
{
	static const uint32_t divisors[] = { 1, 3, 7, 50, 100, 1000 };
	static const size_t nmarks[] = { 2, 3, 5, 16, 1024 };
	static uint64_t matches[4000];
	struct ring_pos marks[1024], p, end;
	struct ring r;
	struct ring_entry e;

	assert_int_equal(ring_init(&r, 16 * page, 0, 0), 0);
	/* Empty: the end, whatever is asked. */
	uint32_t one = 1;
	ring_seek_last(&r, 5, source_mod, &one, marks, 2, &p);
	assert_true(p.seq == 1);
	/* Enough entries to wrap and evict: the search starts at the oldest
	 * entry still there, not at seq 1. */
	for (uint64_t s = 1; s <= 3000; s++)
		append_n(&r, s, (uint32_t)(s * 37 % 61));
	assert_true(r.meta->oldest_seq > 1);
	end = ring_end(&r);
	for (size_t d = 0; d < sizeof(divisors) / sizeof(divisors[0]); d++) {
		uint32_t div = divisors[d];
		size_t m = 0;
		for (p = ring_oldest(&r); ring_get(&r, &p, &e) == 1;
		     ring_next(&r, &p, &e))
			if (e.source % div == div - 1)
				matches[m++] = e.seq;
		uint64_t counts[] = { 0, 1, 2, 3, 4, 15, 16, 17, 100, 1023, 1024,
				      1025, m - 1, m, m + 1, UINT64_MAX };
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			uint64_t n = counts[c];
			uint64_t want = n == 0 || m == 0 ? end.seq
					: n >= m ? matches[0] : matches[m - n];
			for (size_t k = 0; k < sizeof(nmarks) / sizeof(nmarks[0]); k++) {
				ring_seek_last(&r, n, source_mod, &div, marks,
					       nmarks[k], &p);
				if (p.seq != want)
					fail_msg("divisor %u, n %llu, %zu marks: seq "
						 "%llu, want %llu", div,
						 (unsigned long long)n, nmarks[k],
						 (unsigned long long)p.seq,
						 (unsigned long long)want);
				/* A position to read from, not only a seq. */
				struct ring_pos q;
				assert_int_equal(ring_seek(&r, want, &q), 0);
				assert_true(p.off == q.off);
			}
		}
	}
	ring_destroy(&r);
}

/* An entry as the daemon stores one with attributes: u32 message length,
 * the message, then "KEY=VALUE\0KEY=VALUE". */
static uint64_t append_attrs(struct ring *r, uint64_t time_ns, uint32_t source,
			     int prio, int fac, const char *msg, uint32_t ml,
			     const char *attrs, uint32_t al)
{
	uint32_t size = 4 + ml + al;
	char *dst = ring_reserve(r, size);

	memcpy(dst, &ml, 4);
	memcpy(dst + 4, msg, ml);
	memcpy(dst + 4 + ml, attrs, al);
	uint64_t seq = ring_commit(r, time_ns, source, RING_F_ATTRS, prio, fac,
				   size);
	observe(r);
	return seq;
}

static void test_attrs_decode(void **state)
{
	static const char attrs[] = "SUBSYSTEM=net\0DEVICE=+net:eth0";
	struct ring r;
	struct ring_entry e;
	struct ring_pos p;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	assert_true(append_attrs(&r, 10, 4, 6, 0, "link up", 7, attrs,
				 sizeof(attrs) - 1) == 1);
	assert_true(ring_put(&r, 20, 5, 0, "plain", 5) == 2);
	/* An empty message with attributes; a message with the flag but
	 * no attributes. */
	assert_true(append_attrs(&r, 30, 6, 3, 23, "", 0, "k=v", 3) == 3);
	assert_true(append_attrs(&r, 40, 7, RING_NO_PRIORITY, RING_NO_PRIORITY,
				 "only msg", 8, "", 0) == 4);
	assert_int_equal(r.meta->used,
			 4 * RING_HDR + (4 + 7 + 30) + 5 + (4 + 0 + 3) + (4 + 8));

	p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 1 && e.time_ns == 10);
	assert_int_equal(e.source, 4);
	assert_int_equal(e.flags, RING_F_ATTRS);
	assert_int_equal(e.priority, 6);
	assert_int_equal(e.facility, 0);
	assert_int_equal(e.len, 7);
	assert_int_equal(e.size, 4 + 7 + 30);
	assert_ptr_equal(e.msg, r.data + p.off + RING_HDR + 4);
	assert_memory_equal(e.msg, "link up", 7);
	assert_ptr_equal(e.attrs, e.msg + 7);
	assert_int_equal(e.attrs_len, 30);
	assert_memory_equal(e.attrs, attrs, 30);
	ring_next(&r, &p, &e);
	assert_true(p.off == RING_HDR + 4 + 7 + 30);

	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 2 && e.time_ns == 20);
	assert_int_equal(e.flags, 0);
	assert_int_equal(e.len, 5);
	assert_int_equal(e.size, 5);
	assert_ptr_equal(e.msg, r.data + p.off + RING_HDR);
	assert_memory_equal(e.msg, "plain", 5);
	assert_null(e.attrs);
	assert_int_equal(e.attrs_len, 0);
	ring_next(&r, &p, &e);

	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 3);
	assert_int_equal(e.priority, 3);
	assert_int_equal(e.facility, 23);
	assert_int_equal(e.len, 0);
	assert_int_equal(e.size, 7);
	assert_ptr_equal(e.attrs, e.msg);
	assert_int_equal(e.attrs_len, 3);
	assert_memory_equal(e.attrs, "k=v", 3);
	ring_next(&r, &p, &e);

	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 4);
	assert_int_equal(e.priority, RING_NO_PRIORITY);
	assert_int_equal(e.facility, RING_NO_PRIORITY);
	assert_int_equal(e.len, 8);
	assert_int_equal(e.size, 12);
	assert_memory_equal(e.msg, "only msg", 8);
	assert_ptr_equal(e.attrs, e.msg + 8);
	assert_int_equal(e.attrs_len, 0);
	ring_next(&r, &p, &e);

	assert_int_equal(ring_get(&r, &p, &e), 0);
	struct ring_pos end = ring_end(&r);
	assert_true(p.seq == end.seq && p.off == end.off);

	/* ring_seek walks over them by their stored size too. */
	for (uint64_t s = 1; s <= 5; s++) {
		assert_int_equal(ring_seek(&r, s, &p), 0);
		assert_true(p.seq == s);
	}
	assert_int_equal(ring_seek(&r, 3, &p), 0);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_memory_equal(e.attrs, "k=v", 3);
	assert_int_equal(ring_seek(&r, 5, &p), 0);
	assert_true(p.off == end.off);
	ring_destroy(&r);
}

static void test_attrs_corrupt_length(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct ring_pos p;
	char *dst;
	uint32_t ml;

	assert_int_equal(ring_init(&r, 0, 0, 0), 0);
	/* A message length past the payload: the payload is taken as a
	 * plain message, and nothing is read beyond it. */
	dst = ring_reserve(&r, 10);
	ml = 7;
	memcpy(dst, &ml, 4);
	memcpy(dst + 4, "abcdef", 6);
	ring_commit(&r, 1, 1, RING_F_ATTRS, 2, 2, 10);
	dst = ring_reserve(&r, 10);
	ml = UINT32_MAX;
	memcpy(dst, &ml, 4);
	memcpy(dst + 4, "ghijkl", 6);
	ring_commit(&r, 2, 1, RING_F_ATTRS, 2, 2, 10);
	/* Exactly the payload: a message and no attributes. */
	dst = ring_reserve(&r, 10);
	ml = 6;
	memcpy(dst, &ml, 4);
	memcpy(dst + 4, "mnopqr", 6);
	ring_commit(&r, 3, 1, RING_F_ATTRS, 2, 2, 10);
	/* Too short to hold the length. */
	dst = ring_reserve(&r, 3);
	memcpy(dst, "\0\0\0", 3);
	ring_commit(&r, 4, 1, RING_F_ATTRS, 2, 2, 3);
	dst = ring_reserve(&r, 0);
	ring_commit(&r, 5, 1, RING_F_ATTRS, 2, 2, 0);
	assert_true(ring_put(&r, 6, 1, 0, "after", 5) == 6);

	p = ring_oldest(&r);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.size, 10);
	assert_int_equal(e.len, 10);
	assert_ptr_equal(e.msg, r.data + p.off + RING_HDR);
	assert_memory_equal(e.msg, "\x07\0\0\0abcdef", 10);
	assert_null(e.attrs);
	assert_int_equal(e.attrs_len, 0);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.len, 10);
	assert_null(e.attrs);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_int_equal(e.len, 6);
	assert_memory_equal(e.msg, "mnopqr", 6);
	assert_non_null(e.attrs);
	assert_int_equal(e.attrs_len, 0);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 4);
	assert_int_equal(e.size, 3);
	assert_int_equal(e.len, 3);
	assert_null(e.attrs);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 5);
	assert_int_equal(e.size, 0);
	assert_int_equal(e.len, 0);
	assert_null(e.attrs);
	ring_next(&r, &p, &e);
	assert_int_equal(ring_get(&r, &p, &e), 1);
	assert_true(e.seq == 6);
	assert_int_equal(e.flags, 0);
	assert_memory_equal(e.msg, "after", 5);
	ring_destroy(&r);
}

/* The attributes of entry seq: "kSEQ=" then a value of a length that
 * varies, then maybe a second one. */
static uint32_t make_attrs(uint64_t seq, char *out)
{
	int n = sprintf(out, "k%llu=", (unsigned long long)seq);
	uint32_t vl = (uint32_t)(seq * 11 % 97);

	for (uint32_t i = 0; i < vl; i++)
		out[n++] = fill_byte(seq + 1, i);
	if (seq % 3 == 0) {
		out[n++] = '\0';
		n += sprintf(out + n, "second=%llu", (unsigned long long)seq);
	}
	return (uint32_t)n;
}

static void check_attrs_entry(const struct ring_entry *e, uint64_t seq)
{
	char want[256];
	uint32_t ml = (uint32_t)(seq * 13 % 211);
	uint32_t al = make_attrs(seq, want);

	assert_true(e->seq == seq);
	assert_true(e->time_ns == seq * 1000);
	assert_int_equal(e->flags, RING_F_ATTRS);
	assert_int_equal(e->priority, (int)(seq % 8));
	assert_int_equal(e->facility, (int)(seq % 24));
	assert_int_equal(e->len, ml);
	assert_int_equal(e->attrs_len, al);
	assert_int_equal(e->size, 4 + ml + al);
	for (uint32_t i = 0; i < ml; i++)
		if (e->msg[i] != fill_byte(seq, i))
			fail_msg("entry %llu byte %u differs",
				 (unsigned long long)seq, i);
	assert_ptr_equal(e->attrs, e->msg + ml);
	assert_memory_equal(e->attrs, want, al);
}

static void test_attrs_wrap(void **state)
{
	struct ring r;
	struct ring_entry e;
	struct evictions ev = { 1, 0, UINT32_MAX, true };
	char msg[256], attrs[256];

	for (int round = 0; round < 2; round++) {
		ev = (struct evictions){ 1, 0, UINT32_MAX, true };
		assert_int_equal(ring_init(&r, 0, 0, 0), 0);
		/* The first round checks each entry as it becomes the oldest,
		 * the second only reads back. */
		observe_evictions(round == 0 ? &r : NULL, &ev);
		uint64_t size = r.meta->size;
		unsigned straddles = 0;
		struct ring_pos reader = ring_oldest(&r);

		for (uint64_t s = 1; s <= 3000; s++) {
			uint32_t ml = (uint32_t)(s * 13 % 211);
			uint32_t al = make_attrs(s, attrs);
			uint64_t head = r.meta->head;
			for (uint32_t i = 0; i < ml; i++)
				msg[i] = fill_byte(s, i);
			assert_true(append_attrs(&r, s * 1000, 1, (int)(s % 8),
						 (int)(s % 24), msg, ml, attrs,
						 al) == s);
			if (head + RING_HDR + 4 + ml + al > size)
				straddles++;
			struct ring_pos p;
			assert_int_equal(ring_seek(&r, s, &p), 0);
			assert_true(p.off == head);
			assert_int_equal(ring_get(&r, &p, &e), 1);
			check_attrs_entry(&e, s);
			assert_true(r.meta->head < size && r.meta->tail < size);

			/* A reader keeping up sees every entry, in order. */
			if (s % 5 == 0) {
				int rc;
				while ((rc = ring_get(&r, &reader, &e)) == 1) {
					check_attrs_entry(&e, reader.seq);
					ring_next(&r, &reader, &e);
				}
				assert_int_equal(rc, 0);
				assert_true(reader.seq == s + 1);
			}
		}
		assert_true(straddles > 0);
		if (round == 0) {
			assert_true(ev.count > 0);
			assert_true(ev.next == r.meta->oldest_seq);
		}
		/* Everything left reads back from the oldest, to the end. */
		struct ring_pos p = ring_oldest(&r);
		uint64_t s = r.meta->oldest_seq, bytes = 0;
		assert_true(s > 1);
		while (ring_get(&r, &p, &e) == 1) {
			check_attrs_entry(&e, s++);
			bytes += RING_HDR + e.size;
			ring_next(&r, &p, &e);
		}
		assert_true(s == 3001);
		assert_true(bytes == r.meta->used);
		struct ring_pos end = ring_end(&r);
		assert_true(p.off == end.off);
		ring_destroy(&r);
	}
}

/* A second memlogd's view of the same memfd. */
static int adopt_copy(const struct ring *a, struct ring *b, uint64_t max,
		      const char **why)
{
	int fd = dup(a->memfd);

	assert_true(fd >= 0);
	int r = ring_adopt(b, fd, max, why);
	if (r < 0)
		close(fd);
	return r;
}

static void check_all(const struct ring *r, uint64_t first, uint64_t last,
		      uint32_t len)
{
	struct ring_pos p = ring_oldest(r);
	struct ring_entry e;
	uint64_t s = first;

	assert_true(r->meta->oldest_seq == first);
	while (ring_get(r, &p, &e) == 1) {
		check_entry(&e, s++, len);
		ring_next(r, &p, &e);
	}
	assert_true(s == last + 1);
	assert_true(r->meta->next_seq == last + 1);
}

static void test_adopt_whole(void **state)
{
	struct ring a, b;
	const char *why = NULL;

	assert_int_equal(ring_init(&a, 0, 0, 0x1234), 0);
	uint64_t fit = a.meta->size / (RING_HDR + 50);
	for (uint64_t s = 1; s <= fit * 3 + 7; s++)  /* wrapped several times */
		append_n(&a, s, 50);
	assert_int_equal(adopt_copy(&a, &b, 0, &why), 0);
	assert_true(b.meta->instance == 0x1234);
	assert_true(b.meta->used == a.meta->used);
	assert_true(b.meta->head == a.meta->head && b.meta->tail == a.meta->tail);
	check_all(&b, a.meta->oldest_seq, fit * 3 + 7, 50);
	/* The adopted ring goes on where the old one stopped. */
	append_n(&b, fit * 3 + 8, 50);
	check_all(&b, b.meta->oldest_seq, fit * 3 + 8, 50);
	ring_destroy(&b);
	ring_destroy(&a);

	/* Empty. */
	assert_int_equal(ring_init(&a, 0, 0, 7), 0);
	assert_int_equal(adopt_copy(&a, &b, 0, &why), 0);
	assert_true(ring_count(&b) == 0 && b.meta->next_seq == 1);
	append_n(&b, 1, 10);
	check_all(&b, 1, 1, 10);
	ring_destroy(&b);
	ring_destroy(&a);
}

static void test_adopt_torn_append(void **state)
{
	struct ring a, b;
	struct ring_entry e;
	const char *why = NULL;

	assert_int_equal(ring_init(&a, 0, 0, 1), 0);
	for (uint64_t s = 1; s <= 10; s++)
		append_n(&a, s, 30);
	/* A crash in the middle of the eleventh append: bytes and header
	 * written, head and used moved, next_seq not yet. */
	char *dst = ring_reserve(&a, 30);
	memset(dst, 'X', 30);
	uint64_t seq = 11;
	memcpy(a.data + a.meta->head, &seq, 8);
	a.meta->head += RING_HDR + 30;
	a.meta->used += RING_HDR + 30;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), 0);
	check_all(&b, 1, 10, 30);
	/* Never served, and the next append takes its place. */
	struct ring_pos p = ring_end(&b);
	assert_int_equal(ring_get(&b, &p, &e), 0);
	append_n(&b, 11, 30);
	check_all(&b, 1, 11, 30);
	ring_destroy(&b);
	ring_destroy(&a);
}

static void test_adopt_torn_eviction(void **state)
{
	struct ring a, b;
	const char *why = NULL;

	assert_int_equal(ring_init(&a, 0, 0, 1), 0);
	uint64_t fit = a.meta->size / (RING_HDR + 40);
	for (uint64_t s = 1; s <= fit + 5; s++)
		append_n(&a, s, 40);
	uint64_t oldest = a.meta->oldest_seq;
	/* A crash in an eviction: tail moved past the oldest entry, the
	 * rest of the bookkeeping not done. */
	a.meta->tail = (a.meta->tail + RING_HDR + 40) % a.meta->size;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), 0);
	check_all(&b, oldest + 1, fit + 5, 40);
	ring_destroy(&b);
	ring_destroy(&a);

	/* The same with a single entry: the ring is then empty. */
	assert_int_equal(ring_init(&a, 0, 1, 1), 0);
	append_n(&a, 1, 40);
	a.meta->tail = a.meta->head;
	assert_int_equal(adopt_copy(&a, &b, 1, &why), 0);
	assert_true(ring_count(&b) == 0 && b.meta->oldest_seq == 2);
	append_n(&b, 2, 40);
	check_all(&b, 2, 2, 40);
	ring_destroy(&b);
	ring_destroy(&a);
}

static void test_adopt_refused(void **state)
{
	struct ring a, b;
	const char *why = NULL;
	uint64_t v;

	assert_int_equal(ring_init(&a, 0, 0, 1), 0);
	for (uint64_t s = 1; s <= 20; s++)
		append_n(&a, s, 20);

	v = a.meta->magic;
	a.meta->magic = 42;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EPROTO);
	assert_non_null(strstr(why, "not a memlog ring"));
	a.meta->magic = v;

	a.meta->version = RING_VERSION + 1;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EPROTO);
	assert_non_null(strstr(why, "another memlog version"));
	a.meta->version = 1;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EPROTO);
	a.meta->version = RING_VERSION;

	v = a.meta->size;
	a.meta->size = v * 2;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EUCLEAN);
	assert_non_null(strstr(why, "size"));
	a.meta->size = v;

	v = a.meta->oldest_seq;
	a.meta->oldest_seq = a.meta->next_seq + 1;
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EUCLEAN);
	a.meta->oldest_seq = v;

	/* An entry in the middle with a wrong seq. */
	struct ring_pos p;
	assert_int_equal(ring_seek(&a, 7, &p), 0);
	uint64_t bad = 99;
	memcpy(a.data + p.off, &bad, 8);
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EUCLEAN);
	assert_non_null(strstr(why, "out of sequence"));
	uint64_t good = 7;
	memcpy(a.data + p.off, &good, 8);

	/* A length that runs past the ring. */
	uint32_t w2;
	memcpy(&w2, a.data + p.off + 20, 4);
	uint32_t huge = w2 | 0x1fffffu;
	memcpy(a.data + p.off + 20, &huge, 4);
	assert_int_equal(adopt_copy(&a, &b, 0, &why), -EUCLEAN);
	memcpy(a.data + p.off + 20, &w2, 4);

	/* Not a ring at all. */
	int fd = memfd_create("x", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_int_equal(ring_adopt(&b, fd, 0, &why), -EPROTO);
	close(fd);

	/* Undamaged again: adopted. */
	assert_int_equal(adopt_copy(&a, &b, 0, &why), 0);
	check_all(&b, 1, 20, 20);
	ring_destroy(&b);
	ring_destroy(&a);
}

static void test_adopt_new_max_entries(void **state)
{
	struct ring a, b;
	const char *why = NULL;

	assert_int_equal(ring_init(&a, 0, 0, 1), 0);
	for (uint64_t s = 1; s <= 50; s++)
		append_n(&a, s, 10);
	assert_int_equal(adopt_copy(&a, &b, 20, &why), 0);
	check_all(&b, 31, 50, 10);
	ring_destroy(&b);
	ring_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init, stop_observing),
		cmocka_unit_test_teardown(test_adopt_whole, stop_observing),
		cmocka_unit_test_teardown(test_adopt_torn_append, stop_observing),
		cmocka_unit_test_teardown(test_adopt_torn_eviction, stop_observing),
		cmocka_unit_test_teardown(test_adopt_refused, stop_observing),
		cmocka_unit_test_teardown(test_adopt_new_max_entries, stop_observing),
		cmocka_unit_test_teardown(test_double_mapping, stop_observing),
		cmocka_unit_test_teardown(test_append_read, stop_observing),
		cmocka_unit_test_teardown(test_header_fields, stop_observing),
		cmocka_unit_test_teardown(test_eviction_by_bytes, stop_observing),
		cmocka_unit_test_teardown(test_max_entries, stop_observing),
		cmocka_unit_test_teardown(test_stale_position, stop_observing),
		cmocka_unit_test_teardown(test_seek, stop_observing),
		cmocka_unit_test_teardown(test_straddle_wrap, stop_observing),
		cmocka_unit_test_teardown(test_msg_max, stop_observing),
		cmocka_unit_test_teardown(test_msg_max_capped, stop_observing),
		cmocka_unit_test_teardown(test_random_against_model, stop_observing),
		cmocka_unit_test_teardown(test_seek_last, stop_observing),
		cmocka_unit_test_teardown(test_attrs_decode, stop_observing),
		cmocka_unit_test_teardown(test_attrs_corrupt_length, stop_observing),
		cmocka_unit_test_teardown(test_attrs_wrap, stop_observing),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
