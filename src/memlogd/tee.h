/* A tee: where a source's bytes are copied on to after memlogd has read
 * them (the tee=1 registration, docs/protocol.md). memlog-runc uses it so
 * that a container's output reaches both memlogd and the engine's own pipe.
 *
 * The copy never blocks the daemon: the destination is written without
 * blocking, and what does not fit waits in the source's region of the
 * state memfd (state.h) while the source stops being read. So a stalled
 * destination stalls only its own writer, through the source pipe filling
 * up, as if memlogd were not there. Bytes are copied from the memfd with
 * splice(2), which moves the copy offset (in the memfd, where the next
 * memlogd finds it) in the same call that fills the destination: a crash
 * neither copies a byte twice nor skips one. Where splice cannot be used
 * (a socket, whose blocking mode is the sender's; a destination that does
 * not take splice) the bytes are written and the offset moved after. */
#ifndef MEMLOGD_TEE_H
#define MEMLOGD_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/types.h>

#include "loop.h"

enum tee_kind {
	TEE_PIPE,   /* FIFO or pipe, reopened non-blocking */
	TEE_SOCKET, /* written with MSG_DONTWAIT */
	TEE_OTHER,  /* regular file, tty, character device */
};

struct tee {
	struct ev ev;         /* the destination, watched for EPOLLOUT */
	enum tee_kind kind;
	bool watched;         /* ev is in the epoll set */
	bool no_splice;       /* splice refused: written instead */
	uint64_t copied;      /* bytes written to the destination */
};

/* Takes ownership of fd (closed on failure). The destination must be open
 * for writing. A FIFO or terminal is reopened through /proc/self/fd with
 * O_NONBLOCK, so the sender's open file (shared with whoever else holds it)
 * keeps its flags; where that is impossible (no /proc at early boot) the
 * shared file is made non-blocking. Returns 0 or negative errno (-EBADF:
 * not writable; -EINVAL: a directory or the like). */
int tee_open(struct tee *t, int fd);

/* Copies on up to n bytes that are at offset *at in memfd (and at `bytes`
 * in memory) without blocking, and moves *at past them. Returns the bytes
 * copied (0: the destination is full), or negative errno: the destination
 * is broken (-EPIPE when its reader is gone). */
ssize_t tee_copy(struct tee *t, int memfd, loff_t *at, const char *bytes,
		 size_t n);

/* Closes the destination (the caller has taken it out of epoll). */
void tee_close(struct tee *t);

#endif
