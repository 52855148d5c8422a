/* The event loop: one epoll set, and event sources that are small structs
 * (struct ev) embedded in their owner, found again with container_of (as
 * libubox's uloop_fd and redis's ae). The loop knows nothing of logs: what
 * happens between waits (sources epoll cannot watch, readers, housekeeping)
 * is its owner's, through two hooks.
 *
 * Callbacks may unwatch, close and free any event source, their own or
 * another's: loop_unwatch() also drops the events of that source still
 * pending in the batch being dispatched. */
#ifndef MEMLOGD_LOOP_H
#define MEMLOGD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev;
typedef void (*ev_fn)(struct ev *ev, uint32_t events);

struct ev {
	int fd;
	ev_fn cb;
};

struct loop;

struct loop_hooks {
	/* Before waiting: at most how many ms to sleep (0: work is
	 * waiting, do not sleep; -1: until an event). */
	int (*before_wait)(struct loop *l);
	/* After the callbacks of one wake-up. */
	void (*after_events)(struct loop *l);
};

#define LOOP_BATCH 64

struct loop {
	int epfd;
	const struct loop_hooks *hooks;
	bool stopping;           /* loop_run returns before the next wait */
	uint64_t now_ms;         /* monotonic, read once per wake-up */
	uint32_t batch_delay_us; /* see loop_run: 0 = never wait to batch */
	size_t turn_bytes;       /* bytes read from sources this turn
				  * (loop_count_bytes) */
	uint64_t waited_ns;      /* how long the last wait blocked */
	struct epoll_event batch[LOOP_BATCH]; /* events being dispatched */
	int batch_n;             /* events in batch */
	int batch_i;             /* next one to dispatch */
};

int loop_init(struct loop *l, const struct loop_hooks *hooks,
	      uint32_t batch_delay_us);
void loop_destroy(struct loop *l);

/* Adds ev (its fd) to the set with the given EPOLL* mask. Returns 0 or
 * negative errno (-EPERM: epoll cannot watch this kind of file). */
int loop_watch(struct loop *l, struct ev *ev, uint32_t events);
/* Changes the mask of a watched ev. */
int loop_rewatch(struct loop *l, struct ev *ev, uint32_t events);
/* Takes ev out of the set, and its pending events out of the batch. Must
 * be called before ev's fd is closed: close() leaves the epoll set only
 * when no other process holds the file, and a stale entry would deliver
 * events for freed memory. */
void loop_unwatch(struct loop *l, struct ev *ev);

/* Sources say how much they read, for the batching decision. */
static inline void loop_count_bytes(struct loop *l, size_t n)
{
	l->turn_bytes += n;
}

/* Runs until l->stopping. Returns 0, or negative errno if epoll failed. */
int loop_run(struct loop *l);

#endif
