/* A tee: where a source's bytes are copied on to after memlogd has read
 * them (the tee=1 registration, docs/protocol.md). memlog-runc uses it so
 * that a container's output reaches both memlogd and the engine's own pipe.
 *
 * The copy never blocks the daemon: the destination is written without
 * blocking, and what does not fit is kept (at most one read's worth) while
 * the source stops being read. So a stalled destination stalls only its
 * own writer, through the source pipe filling up, as if memlogd were not
 * there. */
#ifndef MEMLOGD_TEE_H
#define MEMLOGD_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

enum tee_kind {
	TEE_PIPE,   /* FIFO or pipe: room is known (capacity - queued) */
	TEE_SOCKET, /* written with MSG_DONTWAIT */
	TEE_OTHER,  /* regular file, tty, character device */
};

struct tee {
	struct ev ev;         /* the destination, watched for EPOLLOUT */
	enum tee_kind kind;
	bool watched;         /* ev is in the epoll set */
	size_t pipe_cap;      /* TEE_PIPE: the pipe's capacity */
	char *pend;           /* bytes read but not yet copied */
	size_t pend_len, pend_off;
	uint64_t copied;      /* bytes written to the destination */
};

/* Takes ownership of fd (closed on failure). The destination must be open
 * for writing. A FIFO or terminal is reopened through /proc/self/fd with
 * O_NONBLOCK, so the sender's open file (shared with whoever else holds it)
 * keeps its flags; where that is impossible (no /proc at early boot) the
 * shared file is made non-blocking. Returns 0 or negative errno (-EBADF:
 * not writable; -EINVAL: a directory or the like). */
int tee_open(struct tee *t, int fd);

/* How many bytes can be read from the source now so that they will most
 * likely be copied at once: 0 means wait for room (EPOLLOUT on the destination). max caps it. */
size_t tee_room(const struct tee *t, size_t max);

/* Copies buf. Returns 0 when all was written, 1 when the rest was kept
 * (the caller waits for room), or negative errno: the destination is
 * broken (-EPIPE when its reader is gone) or memory ran out. */
int tee_write(struct tee *t, const char *buf, size_t len);

/* Writes what was kept. Returns 0 when nothing is left, 1 when some is,
 * negative errno when the destination is broken. */
int tee_flush(struct tee *t);

static inline bool tee_pending(const struct tee *t)
{
	return t->pend_len > t->pend_off;
}

/* Bytes still kept (lost if the tee is closed now). */
static inline size_t tee_pending_len(const struct tee *t)
{
	return t->pend_len - t->pend_off;
}

/* Closes the destination (the caller has taken it out of epoll). */
void tee_close(struct tee *t);

#endif
