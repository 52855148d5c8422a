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
		/* Ctrl-C, a person at a terminal: the end, not a restart. */
		if (si.ssi_signo == SIGINT)
			d->release = true;
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
	sources_tick(&d->sources);
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

static int fdstore_keep(void *arg, uint64_t key, int fd)
{
	return fdstore_put(key, fd);
}

static void fdstore_unkeep(void *arg, uint64_t key)
{
	fdstore_drop(key);
}

static int take_kept(struct kept_fd *kept, int nkept, uint64_t key)
{
	for (int i = 0; i < nkept; i++) {
		if (kept[i].key == key && kept[i].fd >= 0) {
			int fd = kept[i].fd;
			kept[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

/* The ring and state: taken over from what was kept, else made anew. */
static int open_store(struct daemon *d, const struct store_config *sc,
		      struct kept_fd *kept, int nkept, bool *adopted)
{
	int ring_fd = take_kept(kept, nkept, KEY_RING);
	int state_fd = take_kept(kept, nkept, KEY_STATE);
	const char *rwhy = NULL, *swhy = NULL;

	*adopted = false;
	if (ring_fd >= 0 || state_fd >= 0) {
		int r = store_adopt(&d->store, sc, ring_fd, state_fd, &rwhy, &swhy);
		if (r == 0) {
			*adopted = true;
			if (rwhy)
				store_notice(&d->store, true, "the ring of the "
					     "last memlogd was not taken over: "
					     "%s; its entries are lost", rwhy);
			if (swhy)
				store_notice(&d->store, true, "the state of the "
					     "last memlogd was not taken over: "
					     "%s; its sources start again",
					     swhy);
			if (!rwhy && !swhy)
				store_notice(&d->store, false, "took over the "
					     "ring (%llu entries) and the state "
					     "of the last memlogd",
					     (unsigned long long)
					     ring_count(&d->store.ring));
			return 0;
		}
		diag_warn("cannot take over the last memlogd's ring or state: "
			  "%s%s%s; starting afresh", rwhy ? rwhy : "",
			  rwhy && swhy ? "; " : "", swhy ? swhy : "");
	}
	return store_init(&d->store, sc);
}

/* The keeper keeps a copy of fd under key (the daemon's own fds). */
static void keep_own(struct daemon *d, uint64_t key, int fd)
{
	if (d->keeping && fd >= 0 &&
	    d->keeper.put(d->keeper.arg, key, fd) < 0)
		store_notice(&d->store, true, "cannot keep memlogd's fd %llu "
			     "for a restart", (unsigned long long)key);
}

/* Sources under the keys kept: every record whose fd came back. */
static void adopt_sources(struct daemon *d, struct kept_fd *kept, int nkept)
{
	struct state *st = &d->store.state;
	int taken = 0, lost = 0;

	for (int i = 0; i < nkept; i++) {
		uint64_t k = kept[i].key;
		if (kept[i].fd < 0 || !(k & SOURCE_KEY_BIT) ||
		    (k & 15) != SOURCE_KEY_FD)
			continue;
		uint32_t rec = (uint32_t)(k >> 4) & 0xffffff;
		uint32_t gen = (uint32_t)(k >> 28);
		if (rec >= st->hdr->max_recs || st->recs[rec].gen != gen)
			continue;
		int fd = kept[i].fd;
		kept[i].fd = -1;
		int dest = take_kept(kept, nkept, source_key(rec, gen,
							     SOURCE_KEY_DEST));
		if (sources_adopt(&d->sources, rec, fd, dest) == 0)
			taken++;
		else
			lost++;
	}
	sources_adopt_done(&d->sources);
	/* Kept fds nothing claims (of sources that had ended): out of the
	 * keeper. */
	for (int i = 0; i < nkept; i++) {
		if (kept[i].fd < 0)
			continue;
		if (d->keeping)
			d->keeper.drop(d->keeper.arg, kept[i].key);
		close(kept[i].fd);
		kept[i].fd = -1;
	}
	if (taken || lost)
		store_notice(&d->store, lost > 0, "took back %d sources of the "
			     "last memlogd%s", taken,
			     lost ? " (some could not be)" : "");
}

/* A new holder (the last one died): everything is handed to it again. */
static void holder_lost(struct hold *h)
{
	struct daemon *d = h->owner;

	keep_own(d, KEY_RING, d->store.ring.memfd);
	keep_own(d, KEY_STATE, d->store.state.fd);
	keep_own(d, KEY_BOUNCE_R, d->bounce[0]);
	keep_own(d, KEY_BOUNCE_W, d->bounce[1]);
	if (d->own_sockets) {
		keep_own(d, KEY_REG, d->log_fd);
		keep_own(d, KEY_QUERY, d->query_fd);
	}
	sources_keep_all(&d->sources);
	store_notice(&d->store, true, "the fd holder died; a new one (pid %d) "
		     "holds everything again", (int)h->pid);
}

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd, bool own_sockets, struct hold *hold,
		struct kept_fd *kept, int nkept)
{
	uint32_t maxsrc = max_sources(cfg);
	uint64_t lag = MAX((uint64_t)cfg->max_line_len + 1, 64u << 10);
	struct store_config sc = {
		.buffer_size = cfg->buffer_size,
		.max_lines = cfg->max_lines,
		.max_line_len = cfg->max_line_len,
		.max_slots = maxsrc * 2 + 64,
		.max_recs = maxsrc,
		/* Room for an unfinished line (or bytes waiting for a tee)
		 * twice over, one more read and a page: the live bytes can
		 * always be moved to the start without overwriting
		 * themselves or a page a tee's pipe still holds (source.c). */
		.region_size = 2 * lag + (64u << 10) + 4096,
		.rate_lines = cfg->rate_lines,
		.rate_seconds = cfg->rate_seconds,
	};
	struct readers_config rc = {
		.max_readers = cfg->max_readers,
		.reader_buffer = cfg->reader_buffer,
		.request_timeout_ms = cfg->request_timeout_ms,
	};
	bool adopted;
	int r;

	/* Every part is safe to destroy from here on, made or not. */
	memset(d, 0, sizeof(*d));
	d->loop.epfd = -1;
	d->store.ring.memfd = -1;
	d->store.state.fd = -1;
	d->bounce[0] = d->bounce[1] = -1;
	d->cfg = cfg;
	d->reserve_fd = -1;
	d->sig_ev.fd = -1;
	d->reg.ev.fd = -1;
	/* Without a service manager to tell (no NOTIFY_SOCKET), there is
	 * no store: memlogd runs as if it had not been asked for one. */
	d->log_fd = log_fd;
	d->query_fd = query_fd;
	d->own_sockets = own_sockets;
	if (cfg->fd_store && getenv("NOTIFY_SOCKET")) {
		d->keeper = (struct keeper){ fdstore_keep, fdstore_unkeep, d };
		d->keeping = true;
	} else if (hold) {
		d->hold = hold;
		hold->owner = d;
		hold->lost = holder_lost;
		d->keeper = (struct keeper){ hold_put, hold_drop, hold };
		d->keeping = true;
	}
	if ((r = loop_init(&d->loop, &hooks, cfg->batch_delay_us)) < 0 ||
	    (r = open_store(d, &sc, kept, nkept, &adopted)) < 0)
		return r;
	if (d->hold && (r = hold_watch(d->hold, &d->loop)) < 0)
		return r;
	d->bounce[0] = take_kept(kept, nkept, KEY_BOUNCE_R);
	d->bounce[1] = take_kept(kept, nkept, KEY_BOUNCE_W);
	if (d->bounce[0] < 0 || d->bounce[1] < 0) {
		if (d->bounce[0] >= 0)
			close(d->bounce[0]);
		if (d->bounce[1] >= 0)
			close(d->bounce[1]);
		if (pipe2(d->bounce, O_CLOEXEC | O_NONBLOCK) < 0)
			return -errno;
		keep_own(d, KEY_BOUNCE_R, d->bounce[0]);
		keep_own(d, KEY_BOUNCE_W, d->bounce[1]);
	}
	if ((r = sources_init(&d->sources, &d->loop, &d->store,
			      d->keeping ? &d->keeper : NULL, maxsrc,
			      d->bounce[0], d->bounce[1])) < 0 ||
	    (r = readers_init(&d->readers, &d->loop, &d->store, &rc,
			      stats_reply, d)) < 0)
		return r;
	d->start_ms = d->loop.now_ms;
	d->next_tick_ms = d->loop.now_ms + TICK_MS;
	if (!adopted) {
		keep_own(d, KEY_RING, d->store.ring.memfd);
		keep_own(d, KEY_STATE, d->store.state.fd);
	}
	if (own_sockets) {
		keep_own(d, KEY_REG, log_fd);
		keep_own(d, KEY_QUERY, query_fd);
	}
	if (adopted)
		adopt_sources(d, kept, nkept);
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

int daemon_adopt_legacy(struct daemon *d, const struct fdstore_legacy *e)
{
	int r = sources_add(&d->sources, e->fd, e->dest_fd, e->name,
			    e->name_len, (enum stream)e->stream, -1, 0);

	if (r < 0)
		store_notice(&d->store, true, "fd store: source %.*s not taken "
			     "back: %s", (int)e->name_len, e->name, strerror(-r));
	return r;
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
	if (d->hold)
		hold_close(d->hold, &d->loop);
	sources_destroy(&d->sources);
	for (int i = 0; i < 2; i++)
		if (d->bounce[i] >= 0)
			close(d->bounce[i]);
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
