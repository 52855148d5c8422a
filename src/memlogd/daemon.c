#include "daemon.h"
#include "hostroot.h"
#include "listen.h"
#include "view.h"
#include "diag.h"
#include "fileio.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <stdio.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_PER_TURN 64
#define TICK_MS 1000
#define SWEEP_PER_TICK 4096 /* source table slots looked at per tick */

/* The socket an earlier memlogd had for c's view, or -1. Matched by the
 * path it is bound to, not by its key alone (keys are hashes). */
static int view_held(struct daemon *d, const struct ctr *c)
{
	char want[108], bound[108];

	if (view_path(want, sizeof(want), d->cfg->view_dir, c->m.id) < 0)
		return -1;
	for (int i = 0; i < d->nviews_held; i++) {
		int fd = d->views_held[i].fd;
		if (fd >= 0 && listen_bound_path(fd, bound, sizeof(bound)) == 0 &&
		    !strcmp(bound, want)) {
			d->views_held[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

/* A registered container's view follows its registry entry (view.h). */
static void view_added(void *arg, struct ctr *c)
{
	struct daemon *d = arg;

	if (!c->view)
		c->view = view_open(&d->loop, &d->readers, &d->store,
				    d->keeping ? &d->keeper : NULL,
				    d->cfg->view_dir, c, d->cfg->view_readers,
				    view_held(d, c));
}

static void view_removed(void *arg, struct ctr *c)
{
	(void)arg;
	view_close(c->view);
	c->view = NULL;
}

/* memlogd ends and the next one takes the views over (daemon_destroy). */
static void view_left(void *arg, struct ctr *c)
{
	(void)arg;
	view_leave(c->view);
	c->view = NULL;
}

/* Views' sockets from an earlier memlogd: out of kept[] and the handover
 * into d->views_held, before what nothing claims in kept[] is closed. */
static int hold_views(struct daemon *d, struct kept_fd *kept, int nkept,
		      const struct handover *ho)
{
	int n = ho ? (int)ho->nviews : 0;

	for (int i = 0; i < nkept; i++)
		n += kept[i].fd >= 0 && view_key_is(kept[i].key);
	if (!n)
		return 0;
	if (!(d->views_held = calloc((size_t)n, sizeof(*d->views_held))))
		return -ENOMEM;
	for (int i = 0; i < nkept; i++) {
		if (kept[i].fd >= 0 && view_key_is(kept[i].key)) {
			d->views_held[d->nviews_held++] = kept[i];
			kept[i].fd = -1;
		}
	}
	/* Handed over: the keeper has them under the same keys already. */
	for (uint32_t i = 0; ho && i < ho->nviews; i++)
		d->views_held[d->nviews_held++] =
			(struct kept_fd){ 0, ho->views[i] };
	return 0;
}

/* Those no container took back (it was dropped meanwhile, or views are
 * off now): closed, and out of the keeper. The socket file is left where
 * it is: the next view of that id replaces it. */
static void views_held_done(struct daemon *d)
{
	for (int i = 0; i < d->nviews_held; i++) {
		struct kept_fd *k = &d->views_held[i];
		if (k->fd < 0)
			continue;
		char bound[108];
		if (!k->key && listen_bound_path(k->fd, bound, sizeof(bound)) == 0) {
			/* Handed over: its key from the id in its name. */
			char *base = strrchr(bound, '/');
			size_t l = base ? strlen(++base) : 0;
			if (l > 5 && !strcmp(base + l - 5, ".sock")) {
				base[l - 5] = '\0';
				k->key = view_key(base);
			}
		}
		if (d->keeping && k->key)
			d->keeper.drop(d->keeper.arg, k->key);
		close(k->fd);
	}
	free(d->views_held);
	d->views_held = NULL;
	d->nviews_held = 0;
}

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* Does the client on fd read everything: root, or a member of
 * --readers-group (its groups as they were when it connected)? Else
 * *uid is its uid. Credentials that cannot be had read nothing. */
static bool reads_all(const struct daemon *d, int fd, uint32_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];

	*uid = UINT32_MAX;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	*uid = cr.uid;
	if (cr.uid == 0)
		return true;
	uint64_t want = d->cfg->readers_gid;
	if (want == UINT64_MAX)
		return false;
	if (cr.gid == want)
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false; /* ERANGE: more than 256 groups; not looked at */
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == want)
			return true;
	return false;
}

static void query_event(struct ev *ev, uint32_t events)
{
	struct daemon *d = container_of(ev, struct daemon, query_ev);

	for (int i = 0; i < ACCEPT_PER_TURN; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			uint32_t uid;
			if (d->cfg->views && !reads_all(d, fd, &uid))
				readers_accept_uid(&d->readers, fd, uid);
			else
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
		if (si.ssi_signo == SIGUSR2)
			d->upgrade_asked = true;
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
		.pid = getpid(),
		.holder = d->hold ? (d->hold->ev.fd >= 0) : -1,
		.holder_put_failed = d->hold ? hold_put_failed(d->hold) : 0,
		.holder_respawns = d->hold ? d->hold->respawns : 0,
		.holder_waiting = d->hold ? d->hold->q.n : 0,
		.holder_pid = d->hold ? hold_pid(d->hold) : 0,
		.fd_store = d->fdstore.ev.fd >= 0,
		.fd_store_waiting = d->fdstore.q.n,
		.fd_store_failed = d->fdstore.q.failed,
		.max_line_len = d->cfg->max_line_len,
		.max_readers = d->cfg->max_readers,
		.ctrs = &d->ctrs,
		.now_ms = d->loop.now_ms,
		.kmsg = d->kmsg != NULL,
		.kmsg_relays = d->kmsg_relays,
	};
	v.kmsg_clock_known = kernlog_clock_offset(d->kmsg,
						   &v.kmsg_clock_offset_us);

	return stats_encode(&v, out);
}

/* Sources are limited by fds: keep room for readers, our own, and the
 * duplicates of fds waiting for the fd holder (*waiting_max of them). */
static uint32_t max_sources(const struct memlogd_config *cfg,
			    uint32_t *waiting_max)
{
	struct rlimit rl;
	uint64_t lim = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)1 << 20);
			IGNORE_RESULT(setrlimit(RLIMIT_NOFILE, &rl));
			IGNORE_RESULT(getrlimit(RLIMIT_NOFILE, &rl));
		}
		lim = rl.rlim_cur;
	}
	*waiting_max = (uint32_t)MIN(lim / 16, (uint64_t)HOLD_WAITING_MAX);
	if (cfg->max_sources)
		return cfg->max_sources;
	uint64_t spare = (uint64_t)cfg->max_readers + 32 + *waiting_max;
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
	if (d->hold)
		hold_tick(d->hold);
	if (d->query_paused) {
		if (d->reserve_fd < 0)
			d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (loop_watch(&d->loop, &d->query_ev, EPOLLIN) == 0)
			d->query_paused = false;
	}
	/* Names that never come back (made-up syslog tags, ended
	 * containers) give their slots back a little at a time. */
	srctab_sweep(&st->srcs, store_oldest(st), SWEEP_PER_TICK);
	ctrreg_tick(&d->ctrs, d->loop.now_ms);
	kernlog_tick(d->kmsg);
	procwatch_tick(d->pw);
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
	/* Between turns: nothing is half done. */
	if (d->upgrade_asked) {
		d->upgrade_asked = false;
		daemon_upgrade(d);
	}
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
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_ev.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_ev.fd < 0)
		return -errno;
	d->sig_ev.cb = signal_event;
	return loop_watch(&d->loop, &d->sig_ev, EPOLLIN);
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

/* Sources an earlier memlogd had: every record whose fd came back, by its
 * keys in the keeper, or handed over by a live upgrade. */
static void adopt_sources(struct daemon *d, struct kept_fd *kept, int nkept,
			  const struct handover *ho)
{
	struct state *st = &d->store.state;
	int taken = 0, lost = 0;

	for (uint32_t i = 0; ho && i < ho->nsources; i++) {
		const struct handover_source *hs = &ho->sources[i];
		if (sources_adopt(&d->sources, hs->rec, hs->fd, hs->tee_fd) == 0)
			taken++;
		else
			lost++;
	}
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
	if (!ho && (taken || lost))
		store_notice(&d->store, lost > 0, "took back %d sources of the "
			     "last memlogd%s", taken,
			     lost ? " (some could not be)" : "");
}

/* A new holder (the last one died): everything is handed to it again. */
static void holder_lost(struct hold *h, int err)
{
	struct daemon *d = h->owner;

	if (err < 0) {
		store_notice(&d->store, true, "the fd holder died and no new one "
			     "could be started (%s); trying again each second: "
			     "until then a crash of memlogd would close its "
			     "writers' pipes", strerror(-err));
		diag_warn_err(err, "the fd holder died; no new one could be "
			      "started");
		return;
	}
	keep_own(d, KEY_RING, d->store.ring.memfd);
	keep_own(d, KEY_STATE, d->store.state.fd);
	keep_own(d, KEY_BOUNCE_R, d->bounce[0]);
	keep_own(d, KEY_BOUNCE_W, d->bounce[1]);
	if (d->own_sockets) {
		keep_own(d, KEY_REG, d->log_fd);
		keep_own(d, KEY_QUERY, d->query_fd);
	}
	sources_keep_all(&d->sources);
	keep_own(d, KEY_UID_SINCE, d->since.fd);
	for (uint32_t i = 0; i < d->ctrs.n; i++)
		if (d->ctrs.v[i]->view)
			keep_own(d, view_key(d->ctrs.v[i]->m.id),
				 view_fd(d->ctrs.v[i]->view));
	store_notice(&d->store, true, "the fd holder died; a new one (pid %d) "
		     "holds everything again", (int)h->pid);
}

/* A kernel log relay (regsock.h): records only host root may vouch for
 * (facility 0 is the kernel's word), and only while memlogd does not
 * read the kernel log itself. */
static const char *kernel_relay(void *arg, int fd, const struct ucred *cred)
{
	struct daemon *d = arg;
	struct stat st;
	const char *why = host_root_why(cred, "only root may relay the "
					      "kernel log");

	if (!why && d->cfg->kmsg)
		why = "memlogd reads the kernel log itself (--kmsg)";
	if (!why && d->kmsg && kernlog_relay_live(d->kmsg))
		why = "another relay is running (one at a time)";
	if (!why && (fstat(fd, &st) < 0 ||
		     !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))))
		why = "the fd is not a pipe or socket";
	if (!why && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY)
		why = "the fd is not open for reading";
	if (!why && fd_set_nonblock(fd) < 0)
		why = "the fd cannot be made non-blocking";
	if (why) {
		close(fd);
		return why;
	}
	if (!d->pw) {
		d->pw = procwatch_open(&d->loop);
		ctrreg_watch(&d->ctrs, d->pw);
	}
	struct kernlog *k = kernlog_relay(d->kmsg, &d->loop, &d->store, fd,
					  d->cfg->state_dir, &d->ctrs);
	if (!k)
		return "out of memory";
	d->kmsg = k;
	d->kmsg_relays++;
	return NULL;
}

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd, unsigned sockets, struct hold *hold,
		struct kept_fd *kept, int nkept, const struct handover *ho)
{
	uint32_t waiting_max;
	uint32_t maxsrc = max_sources(cfg, &waiting_max);
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
	d->since.fd = -1;
	d->reg.ev.fd = -1;
	/* Without a service manager to tell (no NOTIFY_SOCKET), there is
	 * no store: memlogd runs as if it had not been asked for one. */
	d->log_fd = log_fd;
	d->query_fd = query_fd;
	d->own_sockets = sockets & DAEMON_SOCKETS_OWN;
	d->fdstore.ev.fd = -1;
	if (cfg->fd_store && getenv("NOTIFY_SOCKET")) {
		r = fdstore_open(&d->fdstore, &d->loop, waiting_max);
		if (r < 0)
			diag_warn_err(r, "cannot reach the service manager's fd "
				      "store (NOTIFY_SOCKET); a crash or restart "
				      "of memlogd will close its writers' pipes");
		d->keeper = (struct keeper){ fdstore_put, fdstore_drop,
					     &d->fdstore };
		d->keeping = r == 0;
	} else if (hold) {
		d->hold = hold;
		hold->owner = d;
		hold->lost = holder_lost;
		hold_set_waiting_max(hold, waiting_max);
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
	if ((sockets & DAEMON_SOCKETS_FRESH) && !ho) {
		keep_own(d, KEY_REG, log_fd);
		keep_own(d, KEY_QUERY, query_fd);
	}
	if (ho)
		d->own_sockets = ho->own_sockets;
	if ((r = hold_views(d, kept, nkept, ho)) < 0)
		return r;
	/* uidsince.h's memfd, before kept fds nobody claims are closed. */
	int since_fd = take_kept(kept, nkept, KEY_UID_SINCE);
	if (ho && ho->uid_since_fd >= 0) {
		if (since_fd >= 0)
			close(since_fd);
		since_fd = ho->uid_since_fd;
	}
	if (adopted) {
		adopt_sources(d, kept, nkept, ho);
		if (!ho)
			d->store.state.hdr->takeovers++;
	}
	if ((r = ctrreg_init(&d->ctrs, &d->store, cfg->max_containers,
			     cfg->container_linger_s, cfg->state_dir,
			     d->loop.now_ms)) < 0 ||
	    (r = regsock_init(&d->reg, &d->loop, log_fd, &d->sources,
			      &d->store)) < 0)
		return r;
	d->reg.ctrs = &d->ctrs;
	d->reg.kernel_relay = kernel_relay;
	d->reg.relay_arg = d;
	if (cfg->views) {
		/* Taken over from an earlier memlogd with the ring; else
		 * sources from before this start are seen by their uid from
		 * now on only: who registered them first is not known. */
		bool had;
		int fd = since_fd;
		since_fd = -1;
		if ((r = uidsince_open(&d->since, fd, d->store.srcs.max,
				       d->store.ring.meta->instance,
				       d->store.ring.meta->next_seq, &had)) < 0)
			return r;
		if (!had)
			keep_own(d, KEY_UID_SINCE, d->since.fd);
		d->reg.uid_since = d->since.seq;
		d->readers.uid_since = d->since.seq;
		/* Each container's view. */
		d->ctrs.added = view_added;
		d->ctrs.removed = view_removed;
		d->ctrs.hook_arg = d;
		/* Those kept from before a restart get theirs again. */
		for (uint32_t i = 0; i < d->ctrs.n; i++)
			if (!d->ctrs.v[i]->recognized)
				view_added(d, d->ctrs.v[i]);
	}
	views_held_done(d);
	if (since_fd >= 0) {
		/* Views are off now: nobody needs it. */
		if (d->keeping)
			d->keeper.drop(d->keeper.arg, KEY_UID_SINCE);
		close(since_fd);
	}
	d->query_ev = (struct ev){ .fd = query_fd, .cb = query_event };
	if ((r = loop_watch(&d->loop, &d->query_ev, EPOLLIN)) < 0 ||
	    (r = watch_signals(d)) < 0)
		return r;
	d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char own[108];
	if (listen_bound_path(query_fd, own, sizeof(own)) == 0)
		sources_own_socket(&d->sources, own);
	if (listen_bound_path(log_fd, own, sizeof(own)) == 0)
		sources_own_socket(&d->sources, own);
	if (cfg->syslog)
		sources_own_socket(&d->sources, cfg->syslog);
	/* Both go on without their source if it cannot be had (said in a
	 * notice): the fd sources matter more than either. */
	if (cfg->kmsg) {
		d->pw = procwatch_open(&d->loop);
		ctrreg_watch(&d->ctrs, d->pw);
		d->kmsg = kernlog_open(&d->loop, &d->store, cfg->kmsg,
				       cfg->state_dir, &d->ctrs);
	}
	if (cfg->syslog && ho && ho->fds[HO_SYSLOG] >= 0)
		d->syslog = syslogd_adopt(&d->loop, &d->store, cfg->syslog,
					  ho->fds[HO_SYSLOG]);
	else if (cfg->syslog)
		d->syslog = syslogd_open(&d->loop, &d->store, cfg->syslog);
	bool handed_console = false;
	for (uint32_t i = 0; ho && i < ho->nreaders; i++)
		handed_console |= ho->readers[i].is_console;
	if (cfg->console && !handed_console &&
	    (r = readers_console(&d->readers, STDOUT_FILENO)) < 0)
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
/* "memlogd-upgrade-ok OLDEST NEWEST": the handover versions the new binary
 * takes (parsed by hand: sscanf would add 13 KB to the static binary). */
static int upgrade_answer(const char *out, unsigned *oldest, unsigned *newest)
{
	static const char tag[] = "memlogd-upgrade-ok ";
	char *end;

	if (strncmp(out, tag, sizeof(tag) - 1))
		return -EPROTO;
	const char *p = out + sizeof(tag) - 1;
	if (*p < '0' || *p > '9')
		return -EPROTO;
	unsigned long a = strtoul(p, &end, 10);
	if (*end != ' ' || end[1] < '0' || end[1] > '9')
		return -EPROTO;
	unsigned long b = strtoul(end + 1, &end, 10);
	if ((*end != '\n' && *end != '\0') || a > UINT_MAX || b > UINT_MAX)
		return -EPROTO;
	*oldest = (unsigned)a;
	*newest = (unsigned)b;
	return 0;
}


/* --upgrade-check: the new binary says it can take this handover. Returns
 * 0 when it said so within a few seconds and exited 0. */
static int preflight(struct daemon *d, char *why, size_t whylen)
{
	int p[2];
	int argc = 0;

	while (d->argv[argc])
		argc++;
	char **av = calloc((size_t)argc + 2, sizeof(char *));
	if (!av || pipe2(p, O_CLOEXEC) < 0) {
		free(av);
		snprintf(why, whylen, "out of memory or fds");
		return -ENOMEM;
	}
	memcpy(av, d->argv, (size_t)argc * sizeof(char *));
	av[argc] = "--upgrade-check";
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(d->exe, av);
		_exit(127);
	}
	free(av);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -errno;
	}
	char out[256];
	size_t n = 0;
	uint64_t end = now_mono_ms() + 5000;
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		uint64_t now = now_mono_ms();
		if (now >= end || poll(&pf, 1, (int)(end - now)) <= 0)
			break;
		ssize_t k = read(p[0], out + n, sizeof(out) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n == sizeof(out) - 1)
			break;
	}
	out[n] = '\0';
	close(p[0]);
	int st = 0;
	for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) == 0; i++) {
		sleep_ms(10);
	}
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	unsigned oldest = 0, newest = 0;
	if (upgrade_answer(out, &oldest, &newest) < 0) {
		snprintf(why, whylen, "%.300s did not say it can take over (exit "
			 "status %d)", d->exe,
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -EPROTO;
	}
	if (HANDOVER_VERSION < oldest || HANDOVER_VERSION > newest) {
		snprintf(why, whylen, "%.300s takes handovers %u to %u, not %u",
			 d->exe, oldest, newest, HANDOVER_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "%.300s --upgrade-check failed", d->exe);
		return -EPROTO;
	}
	return 0;
}

static int set_cloexec_all(const int *fds, size_t n, bool on)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0 && fd_set_cloexec(fds[i], on) < 0)
			return -errno;
	return 0;
}

void daemon_upgrade(struct daemon *d)
{
	struct handover ho = { .version = HANDOVER_VERSION };
	struct state_hdr *sh = d->store.state.hdr;
	char why[512] = "";
	int *fds = NULL, hfd = -1, r;
	size_t nfds = 0;

	r = preflight(d, why, sizeof(why));
	if (r < 0)
		goto refused;
	/* What waits for the holder is this memlogd's alone. */
	if (d->hold)
		IGNORE_RESULT(hold_flush(d->hold));
	for (int i = 0; i < HO_NFDS; i++)
		ho.fds[i] = -1;
	ho.fds[HO_RING] = d->store.ring.memfd;
	ho.fds[HO_STATE] = d->store.state.fd;
	ho.fds[HO_BOUNCE_R] = d->bounce[0];
	ho.fds[HO_BOUNCE_W] = d->bounce[1];
	ho.fds[HO_REG] = d->reg.ev.fd;
	ho.fds[HO_QUERY] = d->query_ev.fd;
	ho.fds[HO_HOLDER] = d->hold ? d->hold->ev.fd : -1;
	ho.fds[HO_SYSLOG] = d->syslog ? syslogd_fd(d->syslog) : -1;
	ho.own_sockets = d->own_sockets;
	ho.uid_since_fd = d->since.fd;
	ho.sources = calloc(d->sources.n + 1, sizeof(*ho.sources));
	if (!ho.sources || readers_export(&d->readers, &ho.readers,
					  &ho.nreaders) < 0) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	/* The views' sockets, which containers have bind-mounted. */
	ho.views = calloc(d->ctrs.n + 1, sizeof(*ho.views));
	if (!ho.views) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	for (uint32_t i = 0; i < d->ctrs.n; i++)
		if (d->ctrs.v[i]->view)
			ho.views[ho.nviews++] = view_fd(d->ctrs.v[i]->view);
	struct list *p, *t;
	list_for_each_safe(p, t, &d->sources.all) {
		struct source *s = container_of(p, struct source, link);
		ho.sources[ho.nsources++] = (struct handover_source){
			s->rec, s->ev.fd, s->has_tee ? s->tee.ev.fd : -1 };
	}
	/* Every fd that crosses the exec, the handover's own included. */
	nfds = HO_NFDS + 2 * ho.nsources + ho.nreaders + ho.nviews + 2;
	fds = calloc(nfds, sizeof(int));
	if (!fds) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	size_t k = 0;
	for (int i = 0; i < HO_NFDS; i++)
		fds[k++] = ho.fds[i];
	for (uint32_t i = 0; i < ho.nsources; i++) {
		fds[k++] = ho.sources[i].fd;
		fds[k++] = ho.sources[i].tee_fd;
	}
	for (uint32_t i = 0; i < ho.nreaders; i++)
		fds[k++] = ho.readers[i].fd;
	for (uint32_t i = 0; i < ho.nviews; i++)
		fds[k++] = ho.views[i];
	fds[k++] = ho.uid_since_fd;
	size_t len = handover_size(&ho);
	hfd = memfd_create("memlog-handover", MFD_CLOEXEC);
	char *blob = malloc(len);
	if (hfd < 0 || !blob || ftruncate(hfd, (off_t)len) < 0) {
		free(blob);
		snprintf(why, sizeof(why), "handover memfd: %s", strerror(errno));
		goto refused;
	}
	handover_encode(&ho, blob);
	r = fd_write_all(hfd, blob, len);
	free(blob);
	if (r < 0) {
		snprintf(why, sizeof(why), "handover: %s", strerror(-r));
		goto refused;
	}
	fds[k++] = hfd;
	nfds = k;

	int argc = 0;
	while (d->argv[argc])
		argc++;
	char **av = calloc((size_t)argc + 3, sizeof(char *));
	char from[48];
	snprintf(from, sizeof(from), "--upgrade-from=%d", hfd);
	if (!av) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	memcpy(av, d->argv, (size_t)argc * sizeof(char *));
	/* The new one is already in the background. */
	av[argc] = "--daemonize=false";
	av[argc + 1] = from;
	/* The kernel log position is in a file: saved now, read again. */
	kernlog_close(d->kmsg);
	d->kmsg = NULL;
	sh->upgrades++;
	/* The signals stay blocked across the exec: one that comes now is
	 * pending for the new memlogd's signalfd, not fatal to this one. */
	if (set_cloexec_all(fds, nfds, false) == 0)
		execv(d->exe, av);
	/* Still here: the exec failed. */
	r = -errno;
	sh->upgrades--;
	set_cloexec_all(fds, nfds, true);
	free(av);
	snprintf(why, sizeof(why), "exec %.300s: %s", d->exe, strerror(-r));
	if (d->cfg->kmsg)
		d->kmsg = kernlog_open(&d->loop, &d->store, d->cfg->kmsg,
				       d->cfg->state_dir, &d->ctrs);
refused:
	sh->upgrades_failed++;
	store_notice(&d->store, true, "upgrade refused: %s; this memlogd "
		     "(memlog %s) goes on", why, MEMLOG_VERSION);
	diag_warn("upgrade refused: %s", why);
	if (hfd >= 0)
		close(hfd);
	free(fds);
	free(ho.sources);
	free(ho.readers);
	free(ho.views);
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
	fdstore_close(&d->fdstore);
	sources_destroy(&d->sources);
	for (int i = 0; i < 2; i++)
		if (d->bounce[i] >= 0)
			close(d->bounce[i]);
	kernlog_close(d->kmsg);
	syslogd_close(d->syslog);
	readers_destroy(&d->readers);
	/* The views go on for the next memlogd as the sources do, unless
	 * the holder lets everything go (SIGINT). */
	if (d->keeping && !d->release)
		d->ctrs.removed = view_left;
	ctrreg_destroy(&d->ctrs);
	views_held_done(d);
	procwatch_close(d->pw);
	uidsince_close(&d->since);
	if (d->sig_ev.fd >= 0)
		close(d->sig_ev.fd);
	if (d->reserve_fd >= 0)
		close(d->reserve_fd);
	loop_destroy(&d->loop);
	store_destroy(&d->store);
}
