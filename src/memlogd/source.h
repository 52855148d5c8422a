/* Sources: registered file descriptors, read into lines. A source belongs
 * to the set (struct sources) that reads, pauses and ends it; the set is
 * what registration, fd store adoption and the daemon talk to. */
#ifndef MEMLOGD_SOURCE_H
#define MEMLOGD_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fdstore.h"
#include "linebuf.h"
#include "list.h"
#include "loop.h"
#include "regmsg.h"
#include "store.h"
#include "tee.h"

struct sources;

struct source {
	struct ev ev;
	struct list link;        /* in sources.all */
	struct list busy_link;   /* in sources.busy when epoll cannot watch it */
	struct sources *set;
	uint32_t slot;           /* srctab slot: name, stream, counters */
	struct linebuf lb;
	uint64_t read_ns;        /* when the bytes being assembled were read */
	bool in_line;            /* pieces of a split line are being emitted */
	bool dropping;           /* the rate limit dropped this line's start */
	bool has_tee;            /* tee=1: bytes are copied on to tee */
	bool paused;             /* out of epoll until the tee has room */
	bool watched;            /* ev is in the epoll set */
	uint64_t store_id;       /* in the fd store under this id, or 0 */
	struct tee tee;
};

struct sources {
	struct loop *loop;
	struct store *store;
	struct fdstore *fdstore; /* --fd-store, or NULL */
	struct list all;         /* every open source */
	struct list busy;        /* sources epoll cannot watch (files) */
	uint32_t n;              /* open sources */
	uint32_t ntees;          /* sources with a tee (a second fd each) */
	uint32_t max;            /* sources + tees allowed */
	uint64_t tees_broken;    /* tees whose destination failed */
	bool stopping;           /* ending for a restart: stored fds stay */
	char *readbuf;           /* one buffer for every source's read() */
	size_t readbuf_size;
};

int sources_init(struct sources *ss, struct loop *loop, struct store *store,
		 struct fdstore *fdstore, uint32_t max);

/* Takes ownership of fd (and of tee_fd, unless it is -1): it becomes a
 * source or is closed. With a tee_fd, what is read from fd is also copied
 * on to tee_fd (tee.h). pid < 0 when the sender's credentials are unknown.
 * store_id: nonzero for a source taken back from the fd store under that
 * id; a new one is stored when the fd store is on. Returns 0 or negative
 * errno: -EMFILE too many sources, -ENOSPC source table full, -EBADF not
 * readable (or a tee destination not writable), -EISDIR, -EINVAL not a
 * stream (listening socket, eventfd...), -ENOTSUP a tee source epoll cannot
 * watch, -ENOMEM. */
int sources_add(struct sources *ss, int fd, int tee_fd, const char *name,
		size_t name_len, enum stream stream, pid_t pid, uid_t uid,
		uint64_t store_id);

/* Sources epoll cannot watch (regular files) get a turn. */
void sources_service_busy(struct sources *ss);

static inline bool sources_busy(const struct sources *ss)
{
	return !list_empty(&ss->busy);
}

/* At a stop: every source ends, its unfinished line stored; the fd store
 * keeps them for the next memlogd. */
void sources_stop(struct sources *ss);

/* Frees every source (nothing stored) and the set. */
void sources_destroy(struct sources *ss);

#endif
