/* A source: one registered file descriptor, read into lines. */
#ifndef MEMLOGD_SOURCE_H
#define MEMLOGD_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon.h"
#include "linebuf.h"
#include "list.h"
#include "tee.h"

struct source {
	struct ev ev;
	struct list link;        /* in daemon.sources */
	struct list busy_link;   /* in daemon.busy when epoll cannot watch it */
	struct daemon *d;
	uint32_t slot;           /* srctab slot: name, stream, counters */
	struct linebuf lb;
	uint64_t read_ns;        /* when the bytes being assembled were read */
	bool in_line;            /* pieces of a split line are being emitted */
	bool dropping;           /* the rate limit dropped this line's start */
	bool has_tee;            /* tee=1: bytes are copied on to tee */
	bool paused;             /* out of epoll until the tee has room */
	uint64_t store_id;       /* in the fd store under this id, or 0 */
	struct tee tee;
};

/* Takes ownership of fd (and of tee_fd, unless it is -1): it becomes a
 * source or is closed. With a tee_fd, what is read from fd is also copied
 * on to tee_fd (tee.h). pid < 0 when the sender's credentials are unknown.
 * Returns 0 or negative errno (-ENOTSUP: a tee source that epoll cannot
 * watch). store_id: nonzero for a source taken back from the fd store
 * (fdstore.h) under that id; a new one is stored when --fd-store is on. */
int source_add(struct daemon *d, int fd, int tee_fd, const char *name,
	       size_t name_len, enum stream stream, pid_t pid, uid_t uid,
	       uint64_t store_id);

/* Reads what is there (at most a fair share). */
void source_service(struct source *s);

void source_close(struct source *s, int err);

#endif
