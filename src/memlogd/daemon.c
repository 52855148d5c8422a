#include "daemon.h"
#include "diag.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_PER_TURN 64
#define TICK_MS 1000
#define SWEEP_PER_TICK 4096 /* source table slots looked at per tick */

static void query_event(struct ev *ev, uint32_t events)
{
	struct daemon *d = container_of(ev, struct daemon, query_ev);

	for (int i = 0; i < ACCEPT_PER_TURN; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			readers_accept(&d->readers, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && d->reserve_fd >= 0) {
			/* Out of fds: the pending client would wake us forever.
			 * Spend the spare fd to take it off the queue and refuse
			 * it, then take the spare back. */
			close(d->reserve_fd);
			fd = accept4(ev->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			d->readers.refused++;
			d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of fds with no spare to refuse with: the
			 * pending client would wake us at once, forever.
			 * Stop listening until the next tick. */
			loop_unwatch(&d->loop, ev);
			d->query_paused = true;
			d->readers.refused++;
		}
		return; /* EAGAIN, or an error we cannot do anything about */
	}
}

static void signal_event(struct ev *ev, uint32_t events)
{
	struct daemon *d = container_of(ev, struct daemon, sig_ev);
	struct signalfd_siginfo si;

	while (read(ev->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			d->loop.stopping = true;
	}
}

static size_t stats_reply(void *arg, char **out)
{
	struct daemon *d = arg;
	struct stats_view v = {
		.store = &d->store,
		.sources = &d->sources,
		.readers = &d->readers,
		.reg = &d->reg.c,
		.uptime_ms = d->loop.now_ms - d->start_ms,
		.max_line_len = d->cfg->max_line_len,
		.max_readers = d->cfg->max_readers,
	};

	return stats_encode(&v, out);
}

/* Sources are limited by fds: keep room for readers and our own. */
static uint32_t max_sources(const struct memlogd_config *cfg)
{
	struct rlimit rl;
	uint64_t lim = 1024;

	if (cfg->max_sources)
		return cfg->max_sources;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)1 << 20);
			IGNORE_RESULT(setrlimit(RLIMIT_NOFILE, &rl));
			IGNORE_RESULT(getrlimit(RLIMIT_NOFILE, &rl));
		}
		lim = rl.rlim_cur;
	}
	uint64_t spare = (uint64_t)cfg->max_readers + 32;
	return lim > spare + 16 ? (uint32_t)MIN(lim - spare, 1u << 20) : 16;
}

/* Housekeeping: request time-outs, rate-limit notices, a paused query
 * socket. */
static void tick(struct daemon *d)
{
	struct store *st = &d->store;
	uint64_t next = d->loop.now_ms + TICK_MS;

	next = MIN(next, readers_tick(&d->readers));
	if (d->query_paused) {
		if (d->reserve_fd < 0)
			d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (loop_watch(&d->loop, &d->query_ev, EPOLLIN) == 0)
			d->query_paused = false;
	}
	/* Names that never come back (made-up syslog tags, ended
	 * containers) give their slots back a little at a time. */
	srctab_sweep(&st->srcs, store_oldest(st), SWEEP_PER_TICK);
	if (st->rate_lines) {
		for (uint32_t i = 1; i < st->srcs.nslots; i++)
			if (srctab_live(srctab_at(&st->srcs, i), store_oldest(st)))
				store_rate_flush(st, i, d->loop.now_ms, false);
	}
	d->next_tick_ms = next;
}

static int before_wait(struct loop *l)
{
	struct daemon *d = container_of(l, struct daemon, loop);
	uint64_t due = MIN(d->next_tick_ms, d->readers.next_deadline_ms);

	if (sources_busy(&d->sources) || readers_busy(&d->readers) ||
	    (d->kmsg && kernlog_busy(d->kmsg)))
		return 0;
	return due > l->now_ms ? (int)MIN(due - l->now_ms, (uint64_t)TICK_MS) : 0;
}

static void after_events(struct loop *l)
{
	struct daemon *d = container_of(l, struct daemon, loop);

	sources_service_busy(&d->sources);
	if (d->kmsg && kernlog_busy(d->kmsg))
		kernlog_service(d->kmsg);
	readers_pump(&d->readers);
	if (l->now_ms >= MIN(d->next_tick_ms, d->readers.next_deadline_ms))
		tick(d);
}

static const struct loop_hooks hooks = {
	.before_wait = before_wait,
	.after_events = after_events,
};

static int watch_signals(struct daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_ev.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_ev.fd < 0)
		return -errno;
	d->sig_ev.cb = signal_event;
	return loop_watch(&d->loop, &d->sig_ev, EPOLLIN);
}

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd)
{
	uint32_t maxsrc = max_sources(cfg);
	struct store_config sc = {
		.buffer_size = cfg->buffer_size,
		.max_lines = cfg->max_lines,
		.max_line_len = cfg->max_line_len,
		.max_slots = maxsrc * 2 + 64,
		.rate_lines = cfg->rate_lines,
		.rate_seconds = cfg->rate_seconds,
	};
	struct readers_config rc = {
		.max_readers = cfg->max_readers,
		.reader_buffer = cfg->reader_buffer,
		.request_timeout_ms = cfg->request_timeout_ms,
	};
	int r;

	/* Every part is safe to destroy from here on, made or not. */
	memset(d, 0, sizeof(*d));
	d->loop.epfd = -1;
	d->store.ring.memfd = -1;
	d->cfg = cfg;
	d->reserve_fd = -1;
	d->sig_ev.fd = -1;
	d->reg.ev.fd = -1;
	fdstore_init(&d->fdstore);
	if ((r = loop_init(&d->loop, &hooks, cfg->batch_delay_us)) < 0 ||
	    (r = store_init(&d->store, &sc)) < 0 ||
	    (r = sources_init(&d->sources, &d->loop, &d->store,
			      cfg->fd_store ? &d->fdstore : NULL, maxsrc)) < 0 ||
	    (r = readers_init(&d->readers, &d->loop, &d->store, &rc,
			      stats_reply, d)) < 0)
		return r;
	d->start_ms = d->loop.now_ms;
	d->next_tick_ms = d->loop.now_ms + TICK_MS;
	if ((r = regsock_init(&d->reg, &d->loop, log_fd, &d->sources,
			      &d->store)) < 0)
		return r;
	d->query_ev = (struct ev){ .fd = query_fd, .cb = query_event };
	if ((r = loop_watch(&d->loop, &d->query_ev, EPOLLIN)) < 0 ||
	    (r = watch_signals(d)) < 0)
		return r;
	d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Both go on without their source if it cannot be had (said in a
	 * notice): the fd sources matter more than either. */
	if (cfg->kmsg)
		d->kmsg = kernlog_open(&d->loop, &d->store, cfg->kmsg,
				       cfg->state_dir);
	if (cfg->syslog)
		d->syslog = syslogd_open(&d->loop, &d->store, cfg->syslog);
	if (cfg->console && (r = readers_console(&d->readers, STDOUT_FILENO)) < 0)
		return r;
	return 0;
}

static int take_stored(void *arg, const struct fdstore_entry *e)
{
	struct daemon *d = arg;
	int r = sources_add(&d->sources, e->fd, e->dest_fd, e->name,
			    e->name_len, (enum stream)e->stream, -1, 0, e->id);

	if (r < 0)
		store_notice(&d->store, true, "fd store: source %.*s not taken "
			     "back: %s", (int)e->name_len, e->name, strerror(-r));
	return r;
}

void daemon_adopt_stored(struct daemon *d, struct stored_fd *fds, int n)
{
	int taken = fdstore_adopt(&d->fdstore, fds, n, take_stored, d);

	if (taken == -ENOMEM)
		store_notice(&d->store, true, "fd store: out of memory; %d "
			     "stored fds not taken back", n);
	else if (taken > 0)
		store_notice(&d->store, false, "fd store: %d sources taken back",
			     taken);
}

int daemon_run(struct daemon *d)
{
	int r = loop_run(&d->loop);

	/* Stopping: the unfinished lines of every source are stored, and
	 * followers get one last turn at what is stored, as far as their
	 * sockets take it without waiting. */
	sources_stop(&d->sources);
	readers_pump(&d->readers);
	return r;
}

void daemon_destroy(struct daemon *d)
{
	sources_destroy(&d->sources);
	kernlog_close(d->kmsg);
	syslogd_close(d->syslog);
	readers_destroy(&d->readers);
	if (d->sig_ev.fd >= 0)
		close(d->sig_ev.fd);
	if (d->reserve_fd >= 0)
		close(d->reserve_fd);
	loop_destroy(&d->loop);
	store_destroy(&d->store);
}
