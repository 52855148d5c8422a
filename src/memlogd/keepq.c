#include "keepq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void keepq_init(struct keepq *q, keepq_send_fn send, void *arg,
		uint32_t batch, uint32_t max_puts)
{
	*q = (struct keepq){
		.send = send, .arg = arg, .batch = batch ? batch : 1,
		.max_puts = max_puts,
	};
}

static void take_out(struct keepq *q, uint32_t at, uint32_t n)
{
	if (n == 0)
		return; /* (ops may be NULL) */
	for (uint32_t i = at; i < at + n; i++) {
		if (q->ops[i].fd >= 0) {
			close(q->ops[i].fd);
			q->puts--;
		}
	}
	memmove(q->ops + at, q->ops + at + n,
		(q->n - at - n) * sizeof(*q->ops));
	q->n -= n;
}

void keepq_clear(struct keepq *q)
{
	take_out(q, 0, q->n);
}

void keepq_destroy(struct keepq *q)
{
	keepq_clear(q);
	free(q->ops);
	q->ops = NULL;
	q->cap = 0;
}

static bool gone(int r)
{
	return r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN ||
	       r == -ECONNREFUSED || r == -ENOENT;
}

int keepq_flush(struct keepq *q, int flags)
{
	while (q->n > 0) {
		bool put = q->ops[0].fd >= 0;
		uint32_t n = 0;
		while (n < q->n && n < q->batch && (q->ops[n].fd >= 0) == put)
			n++;
		int r = q->send(q->arg, q->ops, n, put, flags);
		if (r == -EAGAIN)
			return r;
		if (gone(r)) {
			q->failed += q->puts;
			keepq_clear(q);
			return -EPIPE;
		}
		if (r < 0 && put)
			q->failed += n;
		take_out(q, 0, n);
	}
	return 0;
}

static int push(struct keepq *q, uint64_t key, int fd)
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? 2 * q->cap : 64;
		struct keepq_op *ops = realloc(q->ops, cap * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		q->ops = ops;
		q->cap = cap;
	}
	q->ops[q->n++] = (struct keepq_op){ key, fd };
	q->puts += fd >= 0;
	return 0;
}

int keepq_put(struct keepq *q, uint64_t key, int fd)
{
	int r;

	if (q->n == 0) {
		struct keepq_op op = { key, fd };
		r = q->send(q->arg, &op, 1, true, MSG_DONTWAIT);
		if (r != -EAGAIN) {
			if (r < 0)
				q->failed++;
			return r;
		}
	}
	if (q->puts >= q->max_puts) {
		q->failed++;
		return -ENOBUFS;
	}
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0 || (r = push(q, key, dup)) < 0) {
		r = dup < 0 ? -errno : r;
		if (dup >= 0)
			close(dup);
		q->failed++;
		return r;
	}
	return 0;
}

void keepq_drop(struct keepq *q, uint64_t key)
{
	/* A waiting PUT of key is taken back (never sent); the DROP still
	 * goes, for an fd an earlier PUT of the same key left there. */
	for (uint32_t i = q->n; i-- > 0;) {
		if (q->ops[i].key != key)
			continue;
		if (q->ops[i].fd >= 0)
			take_out(q, i, 1);
		break;
	}
	if (q->n == 0) {
		struct keepq_op op = { key, -1 };
		if (q->send(q->arg, &op, 1, false, MSG_DONTWAIT) != -EAGAIN)
			return;
	}
	/* If even this fails, the keeper keeps the fd until the next memlogd
	 * finds no source for its key and drops it. */
	if (push(q, key, -1) < 0)
		return;
}
