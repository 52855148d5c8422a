/* memlogd's side of the fd holder (memlog-fdholder, docs/fdholder.md):
 * under any init, every fd memlogd must not lose (sources, tee
 * destinations, the ring, the state, its sockets) is also handed to a
 * holder process memlogd starts itself, which keeps them while memlogd is
 * down. The next memlogd, started with the same command line, finds the
 * holder by its socket (next to the registration socket: SOCKET_LOG.holder)
 * and takes everything back. If the holder dies, memlogd starts a new one
 * and hands it everything again. */
#ifndef MEMLOGD_HOLD_H
#define MEMLOGD_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "keepq.h"
#include "loop.h"

/* PUTs waiting at most (each holds a duplicate fd, which memlogd's fd
 * budget leaves room for: hold_set_waiting_max, at most this). */
#define HOLD_WAITING_MAX 8192

struct hold {
	struct ev ev;            /* the session with the holder */
	pid_t pid;               /* the holder, when memlogd started it */
	char path[256];          /* its socket */
	char binary[4096];       /* memlog-fdholder, to start it */
	uint64_t put_failed;     /* fds the holder refused (its ERRs) */
	uint64_t respawns;       /* holders started after one died */
	struct keepq q;          /* what the session's socket has no room
				  * for yet (keepq.h) */
	bool wants_out;          /* EPOLLOUT is in ev's mask */
	struct loop *loop;       /* where ev is watched */
	uint32_t respawn_failed; /* new holders that could not be started
				  * since the last one died (0: none) */
	void *owner;             /* the daemon, for lost() */
	/* The holder died: err 0, a new one was started (hand it
	 * everything); else no new one could be (said once; hold_tick tries
	 * again). */
	void (*lost)(struct hold *h, int err);
};

/* An empty hold, no session. */
void hold_init(struct hold *h);

/* PUTs that may wait for room (the duplicates come out of memlogd's fd
 * budget). */
void hold_set_waiting_max(struct hold *h, uint32_t n);

/* Fds the holder refused or that could not be sent. */
uint64_t hold_put_failed(const struct hold *h);

/* The holder's socket for a registration socket path. Returns 0, or
 * -ENAMETOOLONG. */
int hold_path(char *out, size_t cap, const char *socket_log);

/* One fd a holder gave back. */
struct hold_fd {
	uint64_t key;
	int fd;
};

/* Connects to the holder at h->path and takes back everything it holds
 * into fds[0..max) (*n of them); if there is none, starts one (empty).
 * Returns 1 (an existing holder: its fds taken back), 0 (a new holder) or
 * negative errno (no holder: memlogd goes on without). */
int hold_open(struct hold *h, struct hold_fd *fds, int max, int *n);

/* The keeper's calls (source.h, struct keeper). Never wait: what the
 * socket has no room for waits in h->q (keepq.h). */
int hold_put(void *h, uint64_t key, int fd);
void hold_drop(void *h, uint64_t key);

/* Sends what waits, waiting for the holder up to its send deadline (before
 * an upgrade's exec: the next memlogd does not know the queue). Returns 0
 * or negative errno (what was not sent is counted in put_failed). */
int hold_flush(struct hold *h);

/* Watches the session in loop: refusals are counted, a holder that dies
 * is replaced (h->lost is called). */
int hold_watch(struct hold *h, struct loop *loop);

/* The holder's pid (by the session's peer credentials), 0 if none. */
int hold_pid(const struct hold *h);

/* Housekeeping (each second): a holder that could not be started when
 * the last one died is tried again. */
void hold_tick(struct hold *h);

/* Sends what waits (hold_flush) and closes the session (the holder keeps
 * everything for the next memlogd). */
void hold_close(struct hold *h, struct loop *loop);

/* Tells the holder at path to let everything go and exit. Returns 0,
 * -ENOENT (none there) or negative errno. */
int hold_release(const char *path);

#endif
