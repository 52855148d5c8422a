#include "loop.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A turn that read less than this from sources is a trickle (see
 * loop_run). */
#define BATCH_BYTES (32u << 10)

int loop_init(struct loop *l, const struct loop_hooks *hooks,
	      uint32_t batch_delay_us)
{
	memset(l, 0, sizeof(*l));
	l->hooks = hooks;
	l->batch_delay_us = batch_delay_us;
	l->now_ms = now_mono_ms();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_destroy(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_watch(struct loop *l, struct ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, ev->fd, &e) < 0)
		return -errno;
	return 0;
}

int loop_rewatch(struct loop *l, struct ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, ev->fd, &e) < 0)
		return -errno;
	return 0;
}

void loop_unwatch(struct loop *l, struct ev *ev)
{
	/* Not in the set (never watched, or a file epoll refused): the
	 * error is expected and harmless. */
	IGNORE_RESULT(epoll_ctl(l->epfd, EPOLL_CTL_DEL, ev->fd, NULL));
	/* Its events not yet dispatched in this batch would reach a freed
	 * owner: forget them. */
	for (int i = l->batch_i; i < l->batch_n; i++)
		if (l->batch[i].data.ptr == ev)
			l->batch[i].data.ptr = NULL;
}

/* Woken again and again for a few bytes (line-buffered programs write one
 * line per write()), the loop would pay a wake-up, an epoll_wait and a
 * read() per line. So after a turn that read little, and only when that
 * turn came sooner than the delay after the previous one (the data comes
 * faster than the delay), it sleeps batch_delay_us first: the next wake-up
 * then reads many lines at once. At low rates waiting would batch nothing
 * and only add latency, and a turn that read a lot does not wait either,
 * so bulk throughput is untouched. The price is at most batch_delay_us of
 * latency (docs/architecture.md, "The loop"). */
static void batch_delay(struct loop *l)
{
	uint64_t delay_ns = (uint64_t)l->batch_delay_us * 1000;

	if (delay_ns && l->turn_bytes > 0 && l->turn_bytes < BATCH_BYTES &&
	    l->waited_ns < delay_ns / 2) {
		struct timespec ts = { 0, (long)delay_ns };
		nanosleep(&ts, NULL);
	}
	l->turn_bytes = 0;
}

int loop_run(struct loop *l)
{
	while (!l->stopping) {
		batch_delay(l);
		int timeout = l->hooks->before_wait(l);
		uint64_t t0 = now_mono_ns();
		int n = epoll_wait(l->epfd, l->batch, LOOP_BATCH, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		uint64_t t1 = now_mono_ns();
		l->waited_ns = t1 - t0;
		l->now_ms = t1 / 1000000;
		l->batch_n = n > 0 ? n : 0;
		for (l->batch_i = 0; l->batch_i < l->batch_n;) {
			struct epoll_event *e = &l->batch[l->batch_i++];
			struct ev *ev = e->data.ptr;
			if (ev)
				ev->cb(ev, e->events);
		}
		l->batch_n = l->batch_i = 0;
		l->hooks->after_events(l);
	}
	return 0;
}
