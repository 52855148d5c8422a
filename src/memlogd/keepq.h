/* What a keeper (the fd holder, the service manager's fd store) has no room
 * for yet: PUTs and DROPs that wait, in order, for a keeper that reads
 * slower than memlogd registers sources. Both keepers are reached over a
 * unix socket whose queue holds only a few messages
 * (net.unix.max_dgram_qlen, 10 by default), so a burst of registrations
 * fills it long before the keeper falls behind; refusing the PUT there
 * would leave the source to die with the next crash of memlogd, waiting
 * for room would stall the loop.
 *
 * A waiting PUT holds memlogd's own duplicate of the fd (the caller may
 * close its fd before the PUT is sent). A DROP of a key whose PUT still
 * waits takes the PUT back. PUTs wait up to a limit; DROPs always wait (a
 * DROP lost would keep a writer's pipe open in the keeper).
 *
 * A leaf: the keeper's client gives it a send function and says when the
 * socket has room (EPOLLOUT). */
#ifndef MEMLOGD_KEEPQ_H
#define MEMLOGD_KEEPQ_H

#include <stdbool.h>
#include <stdint.h>

struct keepq_op {
	uint64_t key;
	int fd;                  /* a PUT's duplicate; -1: a DROP */
};

/* Sends ops[0..n) (all PUTs or all DROPs, n at most q->batch) with flags
 * (0 or MSG_DONTWAIT). Returns 0 (sent), -EAGAIN (no room: nothing was
 * sent), -EPIPE (the keeper is gone) or another negative errno (refused:
 * dropped from the queue, PUTs counted in failed). Does not close fds. */
typedef int (*keepq_send_fn)(void *arg, const struct keepq_op *ops,
			     uint32_t n, bool put, int flags);

struct keepq {
	struct keepq_op *ops;
	uint32_t n, cap;
	uint32_t puts;           /* PUTs among ops */
	uint32_t max_puts;       /* PUTs that may wait */
	uint32_t batch;          /* ops per send, at least 1 */
	uint64_t failed;         /* PUTs refused or not sent */
	keepq_send_fn send;
	void *arg;
};

void keepq_init(struct keepq *q, keepq_send_fn send, void *arg,
		uint32_t batch, uint32_t max_puts);

/* A PUT: sent now if nothing waits and the socket has room, else queued.
 * Returns 0 (sent or queued), -ENOBUFS (max_puts wait already) or another
 * negative errno (refused); failures are counted in failed. */
int keepq_put(struct keepq *q, uint64_t key, int fd);

/* A DROP: takes back a waiting PUT of key, else sent or queued. */
void keepq_drop(struct keepq *q, uint64_t key);

/* Sends what waits, in order, until it is all sent or the socket is full.
 * Returns 0, -EAGAIN (some still wait) or -EPIPE (the keeper is gone: the
 * queue was emptied, its PUTs counted in failed). */
int keepq_flush(struct keepq *q, int flags);

static inline bool keepq_waiting(const struct keepq *q)
{
	return q->n > 0;
}

/* Forgets everything that waits (its duplicates closed, not counted). */
void keepq_clear(struct keepq *q);

/* keepq_clear, and the queue's memory freed. */
void keepq_destroy(struct keepq *q);

#endif
