/* keepq: what a keeper's socket has no room for waits, in order, and goes
 * in batches; a DROP takes back its waiting PUT; limits and a keeper that
 * is gone. The "socket" here is a fake that takes `room` messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepq.h"

#define LOG_MAX 4096

struct fake {
	int room;                /* messages it takes before -EAGAIN */
	int fail;                /* returned instead of 0 when nonzero */
	int msgs;                /* messages taken */
	int flags_seen;
	uint32_t max_n;          /* largest batch */
	uint32_t n;              /* ops taken, in order */
	uint64_t key[LOG_MAX];
	bool put[LOG_MAX];
	ino_t ino[LOG_MAX];      /* which file a PUT's fd was */
};

static int fake_send(void *arg, const struct keepq_op *ops, uint32_t n,
		     bool put, int flags)
{
	struct fake *f = arg;

	f->flags_seen |= flags;
	if (f->fail)
		return f->fail;
	if (f->room == 0)
		return -EAGAIN;
	f->room--;
	f->msgs++;
	if (n > f->max_n)
		f->max_n = n;
	for (uint32_t i = 0; i < n; i++) {
		struct stat st;
		assert_true(f->n < LOG_MAX);
		assert_int_equal(ops[i].fd >= 0, put);
		f->key[f->n] = ops[i].key;
		f->put[f->n] = put;
		f->ino[f->n] = put && fstat(ops[i].fd, &st) == 0 ? st.st_ino : 0;
		f->n++;
	}
	return 0;
}

static int count_open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* With room, each op goes at once, nothing waits, no fd is duplicated. */
static void test_direct(void **state)
{
	struct fake f = { .room = 100 };
	struct keepq q;
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	keepq_init(&q, fake_send, &f, 8, 16);
	int before = count_open_fds();
	assert_int_equal(keepq_put(&q, 1, p[0]), 0);
	keepq_drop(&q, 1);
	assert_false(keepq_waiting(&q));
	assert_int_equal(count_open_fds(), before);
	assert_int_equal(f.n, 2);
	assert_true(f.put[0] && !f.put[1]);
	assert_int_equal(f.flags_seen, MSG_DONTWAIT);
	keepq_destroy(&q);
	close(p[0]);
	close(p[1]);
}

/* A full socket: ops wait in order, the PUT's fd survives the caller's
 * close, and the flush sends runs of one kind in batches. */
static void test_waits_in_order_and_batches(void **state)
{
	struct fake f = { .room = 0 };
	struct keepq q;
	int p[2];
	struct stat st;
	(void)state;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fstat(p[0], &st), 0);
	keepq_init(&q, fake_send, &f, 3, 100);
	for (uint64_t k = 10; k < 17; k++) {
		int d = dup(p[0]);
		assert_int_equal(keepq_put(&q, k, d), 0);
		close(d); /* the caller lets go: the queue holds its own */
	}
	keepq_drop(&q, 100); /* a DROP of a key sent long ago */
	assert_int_equal(keepq_put(&q, 17, p[0]), 0);
	assert_true(keepq_waiting(&q));
	assert_int_equal(q.n, 9);
	assert_int_equal(q.puts, 8);

	f.room = 2;
	assert_int_equal(keepq_flush(&q, MSG_DONTWAIT), -EAGAIN);
	assert_int_equal(f.n, 6);
	f.room = 100;
	assert_int_equal(keepq_flush(&q, 0), 0);
	assert_false(keepq_waiting(&q));
	/* 10..12, 13..15, 16, DROP 100, 17 */
	assert_int_equal(f.msgs, 5);
	assert_int_equal(f.max_n, 3);
	uint64_t want[] = { 10, 11, 12, 13, 14, 15, 16, 100, 17 };
	assert_int_equal(f.n, 9);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(f.key[i], want[i]);
		assert_int_equal(f.put[i], want[i] != 100);
		if (f.put[i])
			assert_int_equal(f.ino[i], st.st_ino);
	}
	keepq_destroy(&q);
	close(p[0]);
	close(p[1]);
}

/* A DROP of a key whose PUT waits: the PUT is never sent (its duplicate
 * closed); the DROP still goes, after what was before it. */
static void test_drop_takes_back(void **state)
{
	struct fake f = { .room = 0 };
	struct keepq q;
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	keepq_init(&q, fake_send, &f, 8, 100);
	int before = count_open_fds();
	assert_int_equal(keepq_put(&q, 1, p[0]), 0);
	assert_int_equal(keepq_put(&q, 2, p[0]), 0);
	assert_int_equal(count_open_fds(), before + 2);
	keepq_drop(&q, 2);
	assert_int_equal(count_open_fds(), before + 1);
	assert_int_equal(q.puts, 1);
	f.room = 100;
	assert_int_equal(keepq_flush(&q, MSG_DONTWAIT), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.key[0], 1);
	assert_true(f.put[0]);
	assert_int_equal(f.key[1], 2);
	assert_false(f.put[1]);
	assert_int_equal(count_open_fds(), before);
	keepq_destroy(&q);
	close(p[0]);
	close(p[1]);
}

/* PUTs wait up to max_puts, then are refused and counted; DROPs always
 * wait. */
static void test_limits(void **state)
{
	struct fake f = { .room = 0 };
	struct keepq q;
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	keepq_init(&q, fake_send, &f, 8, 2);
	assert_int_equal(keepq_put(&q, 1, p[0]), 0);
	assert_int_equal(keepq_put(&q, 2, p[0]), 0);
	assert_int_equal(keepq_put(&q, 3, p[0]), -ENOBUFS);
	assert_int_equal(q.failed, 1);
	for (uint64_t k = 50; k < 60; k++)
		keepq_drop(&q, k);
	assert_int_equal(q.n, 12);
	keepq_destroy(&q);
	close(p[0]);
	close(p[1]);
}

/* The keeper refuses a batch: dropped from the queue, its PUTs counted;
 * the keeper is gone: everything forgotten and counted. */
static void test_refused_and_gone(void **state)
{
	struct fake f = { .room = 0 };
	struct keepq q;
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	keepq_init(&q, fake_send, &f, 2, 100);
	int before = count_open_fds();
	for (uint64_t k = 1; k <= 4; k++)
		assert_int_equal(keepq_put(&q, k, p[0]), 0);
	f.fail = -EMFILE;
	assert_int_equal(keepq_flush(&q, MSG_DONTWAIT), 0);
	assert_false(keepq_waiting(&q));
	assert_int_equal(q.failed, 4);
	assert_int_equal(count_open_fds(), before);

	f.fail = 0;
	for (uint64_t k = 1; k <= 3; k++)
		assert_int_equal(keepq_put(&q, k, p[0]), 0);
	keepq_drop(&q, 9);
	f.fail = -EPIPE;
	assert_int_equal(keepq_flush(&q, MSG_DONTWAIT), -EPIPE);
	assert_false(keepq_waiting(&q));
	assert_int_equal(q.failed, 7);
	assert_int_equal(count_open_fds(), before);
	/* A refused direct PUT is counted too. */
	f.fail = -EMFILE;
	assert_int_equal(keepq_put(&q, 5, p[0]), -EMFILE);
	assert_int_equal(q.failed, 8);
	keepq_destroy(&q);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_waits_in_order_and_batches),
		cmocka_unit_test(test_drop_takes_back),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused_and_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
