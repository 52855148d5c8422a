/* The fd holder's wire format (src/lib/fdhold.c: every op round trips,
 * every malformed shape is refused, the limits hold) and its key table
 * (src/memlog-fdholder/fdtable.c, against a plain model). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fdhold.h"
#include "fdtable.h"

static const uint64_t some_keys[] = {
	0, 1, 0x0123456789abcdefULL, UINT64_MAX, 42,
};
#define NKEYS (sizeof(some_keys) / sizeof(some_keys[0]))

/* A header by hand, to build the shapes the encoders never make. */
static size_t raw(uint8_t *b, const char *magic, uint16_t version,
		  uint16_t op, uint32_t count, uint32_t arg, size_t nkeys)
{
	memcpy(b, magic, 4);
	b[4] = (uint8_t)version;
	b[5] = (uint8_t)(version >> 8);
	b[6] = (uint8_t)op;
	b[7] = (uint8_t)(op >> 8);
	for (int i = 0; i < 4; i++) {
		b[8 + i] = (uint8_t)(count >> (8 * i));
		b[12 + i] = (uint8_t)(arg >> (8 * i));
	}
	memset(b + 16, 0x5a, nkeys * 8);
	return 16 + nkeys * 8;
}

static void check_keys(const struct fdhold_msg *m, const uint64_t *keys,
		       size_t n)
{
	assert_int_equal(m->nkeys, n);
	for (size_t i = 0; i < n; i++)
		assert_true(m->keys[i] == keys[i]);
}

static void test_round_trips(void **state)
{
	uint8_t b[FDHOLD_MSG_MAX];
	struct fdhold_msg m;
	int len;

	len = fdhold_encode_put(b, sizeof(b), some_keys, NKEYS);
	assert_int_equal(len, 16 + 8 * NKEYS);
	assert_int_equal(fdhold_decode(b, (size_t)len, NKEYS, &m), 0);
	assert_int_equal(m.op, FDHOLD_PUT);
	assert_int_equal(m.count, NKEYS);
	assert_int_equal(m.arg, 0);
	check_keys(&m, some_keys, NKEYS);

	len = fdhold_encode_drop(b, sizeof(b), some_keys, 2);
	assert_int_equal(fdhold_decode(b, (size_t)len, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_DROP);
	check_keys(&m, some_keys, 2);

	len = fdhold_encode_fds(b, sizeof(b), some_keys + 1, 3);
	assert_int_equal(fdhold_decode(b, (size_t)len, 3, &m), 0);
	assert_int_equal(m.op, FDHOLD_FDS);
	check_keys(&m, some_keys + 1, 3);

	len = fdhold_encode_take(b, sizeof(b));
	assert_int_equal(len, 16);
	assert_int_equal(fdhold_decode(b, 16, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_TAKE);
	assert_int_equal(m.nkeys, 0);

	len = fdhold_encode_release(b, sizeof(b));
	assert_int_equal(fdhold_decode(b, (size_t)len, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_RELEASE);

	/* HELLO's count is the number held, not keys: none follow. */
	len = fdhold_encode_hello(b, sizeof(b), 100000, 4321);
	assert_int_equal(len, 16);
	assert_int_equal(fdhold_decode(b, 16, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_HELLO);
	assert_int_equal(m.count, 100000);
	assert_int_equal(m.arg, 4321);
	assert_int_equal(m.nkeys, 0);

	len = fdhold_encode_end(b, sizeof(b), 10000);
	assert_int_equal(fdhold_decode(b, (size_t)len, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_END);
	assert_int_equal(m.arg, 10000);
	len = fdhold_encode_end(b, sizeof(b), 0);
	assert_int_equal(fdhold_decode(b, (size_t)len, 0, &m), 0);

	/* ERR takes an errno of either sign and sends it positive. */
	len = fdhold_encode_err(b, sizeof(b), -EMFILE, some_keys, NKEYS);
	assert_int_equal(fdhold_decode(b, (size_t)len, 0, &m), 0);
	assert_int_equal(m.op, FDHOLD_ERR);
	assert_int_equal(m.arg, EMFILE);
	check_keys(&m, some_keys, NKEYS);
	len = fdhold_encode_err(b, sizeof(b), ENOENT, NULL, 0);
	assert_int_equal(len, 16);
	assert_int_equal(fdhold_decode(b, 16, 0, &m), 0);
	assert_int_equal(m.arg, ENOENT);
	assert_int_equal(m.nkeys, 0);
}

/* The bytes on the wire are fixed: little-endian, magic first. */
static void test_layout(void **state)
{
	uint8_t b[FDHOLD_MSG_MAX];
	const uint64_t key = 0x0807060504030201ULL;
	static const uint8_t want[] = {
		'M', 'L', 'F', 'H', 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8,
	};

	assert_int_equal(fdhold_encode_put(b, sizeof(b), &key, 1), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(fdhold_encode_hello(b, sizeof(b), 0x01020304, 0x0a0b0c0d), 16);
	assert_memory_equal(b + 6, "\x05\x00\x04\x03\x02\x01\x0d\x0c\x0b\x0a", 10);
}

static void test_limits(void **state)
{
	uint64_t keys[FDHOLD_KEYS_MAX + 1] = { 0 };
	uint8_t b[FDHOLD_MSG_MAX + 8];
	struct fdhold_msg m;

	/* The most keys fit exactly in FDHOLD_MSG_MAX. */
	assert_int_equal(fdhold_encode_put(b, FDHOLD_MSG_MAX, keys,
					   FDHOLD_KEYS_MAX), FDHOLD_MSG_MAX);
	assert_int_equal(fdhold_decode(b, FDHOLD_MSG_MAX, FDHOLD_KEYS_MAX, &m), 0);
	assert_int_equal(m.nkeys, FDHOLD_KEYS_MAX);
	assert_int_equal(fdhold_encode_put(b, sizeof(b), keys,
					   FDHOLD_KEYS_MAX + 1), -EINVAL);
	assert_int_equal(fdhold_encode_drop(b, sizeof(b), keys,
					    FDHOLD_KEYS_MAX + 1), -EINVAL);
	assert_int_equal(fdhold_encode_fds(b, sizeof(b), keys,
					   FDHOLD_KEYS_MAX + 1), -EINVAL);
	assert_int_equal(fdhold_encode_err(b, sizeof(b), EIO, keys,
					   FDHOLD_KEYS_MAX + 1), -EINVAL);
	/* No keys where keys are the point. */
	assert_int_equal(fdhold_encode_put(b, sizeof(b), keys, 0), -EINVAL);
	assert_int_equal(fdhold_encode_drop(b, sizeof(b), keys, 0), -EINVAL);
	assert_int_equal(fdhold_encode_fds(b, sizeof(b), keys, 0), -EINVAL);
	/* errno and pid ranges. */
	assert_int_equal(fdhold_encode_err(b, sizeof(b), 0, keys, 1), -EINVAL);
	assert_int_equal(fdhold_encode_err(b, sizeof(b), FDHOLD_ERRNO_MAX + 1,
					   keys, 1), -EINVAL);
	assert_true(fdhold_encode_err(b, sizeof(b), FDHOLD_ERRNO_MAX, keys, 1) > 0);
	assert_int_equal(fdhold_encode_hello(b, sizeof(b), 0, 0), 16); /* no session */
	assert_int_equal(fdhold_encode_hello(b, sizeof(b), 0,
					     (uint32_t)INT_MAX + 1), -EINVAL);
	/* Too small a buffer, by one byte. */
	assert_int_equal(fdhold_encode_put(b, 16 + 8 * 2 - 1, keys, 2), -ENOSPC);
	assert_int_equal(fdhold_encode_put(b, 16 + 8 * 2, keys, 2), 16 + 8 * 2);
	assert_int_equal(fdhold_encode_take(b, 15), -ENOSPC);
	assert_int_equal(fdhold_encode_hello(b, 15, 0, 1), -ENOSPC);
}

static void test_malformed(void **state)
{
	uint8_t b[FDHOLD_MSG_MAX + 64] = { 0 };
	struct fdhold_msg m;
	size_t len;

	/* Short: nothing, a magic, a magic and version, a header less one. */
	assert_int_equal(fdhold_decode(b, 0, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_TAKE, 0, 0, 0);
	for (size_t l = 0; l < len; l++)
		assert_int_equal(fdhold_decode(b, l, 0, &m), -EBADMSG);
	/* Magic and version. */
	len = raw(b, "MLFX", 1, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "mlfh", 1, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 2, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EPROTONOSUPPORT);
	len = raw(b, "MLFH", 0, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EPROTONOSUPPORT);
	/* Another version is told even when its header is shorter. */
	assert_int_equal(fdhold_decode(b, 6, 0, &m), -EPROTONOSUPPORT);
	/* Unknown ops. */
	len = raw(b, "MLFH", 1, 0, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_ERR + 1, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, 0xffff, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);

	/* Keys: count and length must agree. */
	len = raw(b, "MLFH", 1, FDHOLD_DROP, 3, 0, 3);
	assert_int_equal(fdhold_decode(b, len, 0, &m), 0);
	assert_int_equal(fdhold_decode(b, len - 1, 0, &m), -EBADMSG);
	assert_int_equal(fdhold_decode(b, len + 1, 0, &m), -EBADMSG);
	assert_int_equal(fdhold_decode(b, len + 8, 0, &m), -EBADMSG);
	assert_int_equal(fdhold_decode(b, len - 8, 0, &m), -EBADMSG);
	/* More keys than one message can have, even with the bytes there. */
	len = raw(b, "MLFH", 1, FDHOLD_DROP, FDHOLD_KEYS_MAX + 1, 0,
		  FDHOLD_KEYS_MAX + 1);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_DROP, UINT32_MAX, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	/* A count of 0 for ops that are about keys. */
	len = raw(b, "MLFH", 1, FDHOLD_PUT, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_DROP, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_FDS, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);

	/* fds: exactly count with PUT and FDS, none with anything else. */
	len = raw(b, "MLFH", 1, FDHOLD_PUT, 2, 0, 2);
	assert_int_equal(fdhold_decode(b, len, 2, &m), 0);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);
	assert_int_equal(fdhold_decode(b, len, 3, &m), -EBADMSG);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_FDS, 2, 0, 2);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_DROP, 2, 0, 2);
	assert_int_equal(fdhold_decode(b, len, 2, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_ERR, 1, EIO, 1);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);

	/* Reserved fields must be 0. */
	len = raw(b, "MLFH", 1, FDHOLD_PUT, 1, 7, 1);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_DROP, 1, 7, 1);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_FDS, 1, 7, 1);
	assert_int_equal(fdhold_decode(b, len, 1, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_TAKE, 1, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_TAKE, 0, 1, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_RELEASE, 0, 1, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_END, 1, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	/* Ops without keys: no bytes after the header. */
	len = raw(b, "MLFH", 1, FDHOLD_TAKE, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len + 8, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_HELLO, 2, 1, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), 0);
	assert_int_equal(fdhold_decode(b, len + 16, 0, &m), -EBADMSG);
	/* A HELLO's pid (0: no session) and an ERR's errno are in range. */
	len = raw(b, "MLFH", 1, FDHOLD_HELLO, 0, 0, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), 0);
	m.op = 0xdead;
	len = raw(b, "MLFH", 1, FDHOLD_HELLO, 0, (uint32_t)INT_MAX + 1, 0);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_ERR, 1, 0, 1);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	len = raw(b, "MLFH", 1, FDHOLD_ERR, 1, FDHOLD_ERRNO_MAX + 1, 1);
	assert_int_equal(fdhold_decode(b, len, 0, &m), -EBADMSG);
	/* Nothing refused leaves *m as it was. */
	assert_int_equal(m.op, 0xdead);
}

/* Every single-byte change of a valid message is either refused or
 * decodes to something that encodes back to the same bytes. */
static void test_mutations(void **state)
{
	uint8_t b[FDHOLD_MSG_MAX], c[FDHOLD_MSG_MAX], e[FDHOLD_MSG_MAX];
	struct fdhold_msg m;
	int len = fdhold_encode_put(b, sizeof(b), some_keys, 2);

	for (int i = 0; i < len; i++) {
		for (int v = 0; v < 256; v++) {
			memcpy(c, b, (size_t)len);
			c[i] = (uint8_t)v;
			for (int nfds = 0; nfds <= 3; nfds++) {
				if (fdhold_decode(c, (size_t)len, nfds, &m) < 0)
					continue;
				int l2 = -1;
				if (m.op == FDHOLD_PUT)
					l2 = fdhold_encode_put(e, sizeof(e), m.keys, m.nkeys);
				else if (m.op == FDHOLD_DROP)
					l2 = fdhold_encode_drop(e, sizeof(e), m.keys, m.nkeys);
				else if (m.op == FDHOLD_FDS)
					l2 = fdhold_encode_fds(e, sizeof(e), m.keys, m.nkeys);
				else if (m.op == FDHOLD_ERR)
					l2 = fdhold_encode_err(e, sizeof(e), (int)m.arg,
							       m.keys, m.nkeys);
				assert_int_equal(l2, len);
				assert_memory_equal(e, c, (size_t)len);
			}
		}
	}
}

static void test_ops(void **state)
{
	assert_true(fdhold_op_from_client(FDHOLD_PUT));
	assert_true(fdhold_op_from_client(FDHOLD_DROP));
	assert_true(fdhold_op_from_client(FDHOLD_TAKE));
	assert_true(fdhold_op_from_client(FDHOLD_RELEASE));
	assert_false(fdhold_op_from_client(FDHOLD_HELLO));
	assert_false(fdhold_op_from_client(FDHOLD_FDS));
	assert_false(fdhold_op_from_client(FDHOLD_END));
	assert_false(fdhold_op_from_client(FDHOLD_ERR));
	assert_false(fdhold_op_from_client(0));
	assert_false(fdhold_op_from_client(99));
	assert_string_equal(fdhold_op_name(FDHOLD_TAKE), "take");
	assert_string_equal(fdhold_op_name(FDHOLD_ERR), "err");
	assert_string_equal(fdhold_op_name(0), "unknown");
	assert_string_equal(fdhold_op_name(1000), "unknown");
}

/* ---- the table ---- */

static void test_table_basics(void **state)
{
	struct fdtable t;
	int old;

	fdtable_init(&t);
	assert_int_equal(fdtable_get(&t, 5), -1);
	assert_int_equal(fdtable_del(&t, 5), -1);
	assert_int_equal(fdtable_put(&t, 5, 10, &old), 0);
	assert_int_equal(old, -1);
	assert_int_equal(fdtable_put(&t, UINT64_MAX, 11, &old), 0);
	assert_int_equal(fdtable_put(&t, 0, 12, &old), 0);
	assert_int_equal(t.count, 3);
	assert_int_equal(fdtable_get(&t, 5), 10);
	assert_int_equal(fdtable_get(&t, 0), 12);
	/* Replacing gives back the old fd and does not count twice. */
	assert_int_equal(fdtable_put(&t, 5, 20, &old), 0);
	assert_int_equal(old, 10);
	assert_int_equal(t.count, 3);
	assert_int_equal(fdtable_get(&t, 5), 20);
	assert_int_equal(fdtable_del(&t, 5), 20);
	assert_int_equal(fdtable_del(&t, 5), -1);
	assert_int_equal(t.count, 2);

	size_t pos = 0, seen = 0;
	uint64_t key;
	int fd;
	while (fdtable_next(&t, &pos, &key, &fd)) {
		assert_true((key == 0 && fd == 12) || (key == UINT64_MAX && fd == 11));
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_false(fdtable_next(&t, &pos, &key, &fd));
	fdtable_free(&t);
	assert_int_equal(t.count, 0);
	assert_int_equal(fdtable_get(&t, 0), -1);
}

/* Random puts, replacements and deletes against a plain array model; keys
 * from a small range so that probe runs collide, wrap and shift, and the
 * table grows and shrinks many times. */
static void test_table_model(void **state)
{
	enum { RANGE = 20000, OPS = 400000 };
	static int model[RANGE];
	struct fdtable t;
	size_t n = 0;
	uint64_t x = 88172645463325252ULL;

	fdtable_init(&t);
	for (int i = 0; i < RANGE; i++)
		model[i] = -1;
	for (int op = 0; op < OPS; op++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Phases: mostly puts, then mostly deletes, and again. */
		bool grow = (op / 50000) % 2 == 0;
		uint64_t k = (x >> 8) % RANGE;
		int fd = (int)(x % 1000000);
		int old;
		if ((x & 3) != 0 ? grow : !grow) {
			assert_int_equal(fdtable_put(&t, k * 0x100000000ULL, fd, &old), 0);
			assert_int_equal(old, model[k]);
			if (model[k] < 0)
				n++;
			model[k] = fd;
		} else {
			assert_int_equal(fdtable_del(&t, k * 0x100000000ULL), model[k]);
			if (model[k] >= 0)
				n--;
			model[k] = -1;
		}
		assert_int_equal(t.count, n);
		/* The table is never more than 3/4 full. */
		assert_true(t.count * 4 <= t.cap * 3);
		if (op % 1000 == 0) {
			for (uint64_t i = 0; i < RANGE; i++)
				assert_int_equal(fdtable_get(&t, i * 0x100000000ULL),
						 model[i]);
			size_t pos = 0, walked = 0;
			uint64_t key;
			int f;
			while (fdtable_next(&t, &pos, &key, &f)) {
				assert_int_equal(key % 0x100000000ULL, 0);
				assert_int_equal(f, model[key / 0x100000000ULL]);
				walked++;
			}
			assert_int_equal(walked, n);
		}
	}
	fdtable_free(&t);
}

/* 10,000 entries take at most 16,384 slots (the holder's memory budget),
 * and dropping them all gives the memory back. */
static void test_table_size(void **state)
{
	struct fdtable t;
	int old;

	fdtable_init(&t);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(fdtable_put(&t, (uint64_t)i, i, &old), 0);
	assert_int_equal(t.count, 10000);
	assert_true(t.cap <= 16384);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(fdtable_del(&t, (uint64_t)i), i);
	assert_int_equal(t.count, 0);
	assert_true(t.cap <= 128);
	fdtable_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_table_basics),
		cmocka_unit_test(test_table_model),
		cmocka_unit_test(test_table_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
