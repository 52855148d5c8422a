#include "daemon.h"
#include "jsonenc.h"
#include "kernlog.h"
#include "syslogd.h"
#include "reader.h"
#include "record.h"
#include "regmsg.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READBUF_SIZE (128u << 10)
#define REG_FDS_MAX 8        /* fds kept from one registration datagram */
#define REG_PER_TURN 64      /* datagrams read per wake-up */
#define ACCEPT_PER_TURN 64
#define TICK_MS 1000
/* A turn that read less than this from sources is a trickle (see run). */
#define BATCH_BYTES (32u << 10)
/* The daemon's own notices: at most this many per second. */
#define NOTICE_RATE 100

int daemon_watch(struct daemon *d, struct ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev->fd, &e) < 0)
		return -errno;
	return 0;
}

int daemon_rewatch(struct daemon *d, struct ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, ev->fd, &e) < 0)
		return -errno;
	return 0;
}

void daemon_unwatch(struct daemon *d, struct ev *ev)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

void daemon_store_full(struct daemon *d, uint32_t slot, uint64_t time_ns,
		       uint32_t flags, int priority, int facility,
		       const char *msg, size_t len, const char *attrs,
		       size_t attrs_len)
{
	struct srcinfo *si = srctab_at(&d->srcs, slot);
	uint32_t ml = (uint32_t)len;
	size_t size = attrs_len ? 4 + len + attrs_len : len;
	char *dst = ring_reserve(&d->ring, (uint32_t)size);

	if (attrs_len) {
		memcpy(dst, &ml, 4);
		memcpy(dst + 4, msg, len);
		memcpy(dst + 4 + len, attrs, attrs_len);
		flags |= RING_F_ATTRS;
	} else {
		memcpy(dst, msg, len);
	}
	/* The slot lives as long as an entry names it (srctab_live). */
	si->last_seq = ring_commit(&d->ring, time_ns, slot, flags, priority,
				   facility, (uint32_t)size);
	si->lines++;
	si->bytes += len;
	if (flags & RING_F_PARTIAL)
		si->partial++;
}

void daemon_store_message(struct daemon *d, uint32_t slot, uint64_t time_ns,
			  int priority, int facility, const char *msg,
			  size_t len, const char *attrs, size_t attrs_len)
{
	size_t max = d->cfg->max_line_len;

	do {
		size_t n = len;
		uint32_t flags = 0;
		if (n > max) {
			n = utf8_complete_prefix(msg, max);
			if (n == 0)
				n = max;
			flags = RING_F_PARTIAL;
		}
		daemon_store_full(d, slot, time_ns, flags, priority, facility,
				  msg, n, attrs, attrs_len);
		attrs_len = 0;
		msg += n;
		len -= n;
	} while (len > 0);
}

void daemon_store(struct daemon *d, uint32_t slot, uint64_t time_ns,
		  uint32_t flags, const char *msg, size_t len)
{
	daemon_store_full(d, slot, time_ns, flags, RING_NO_PRIORITY,
			  RING_NO_PRIORITY, msg, len, NULL, 0);
}

void daemon_notice(struct daemon *d, bool marker, const char *fmt, ...)
{
	struct srcinfo *self = srctab_at(&d->srcs, SRCTAB_SELF);
	char msg[1024];
	uint64_t report;
	va_list ap;

	if (!ratelimit_pass(&self->rl, NOTICE_RATE, 1, d->now_ms, &report)) {
		self->dropped++;
		return;
	}
	if (report) {
		int n = snprintf(msg, sizeof(msg),
				 "rate limit: suppressed %llu notices of memlogd",
				 (unsigned long long)report);
		daemon_store(d, SRCTAB_SELF, now_realtime_ns(), RING_F_MARKER,
			     msg, (size_t)n);
	}
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	daemon_store(d, SRCTAB_SELF, now_realtime_ns(),
		     marker ? RING_F_MARKER : 0, msg,
		     MIN((size_t)n, sizeof(msg) - 1));
}

static const char *refusal(int r, bool tee)
{
	switch (r) {
	case -EMFILE: return "too many sources";
	case -ENOSPC: return "source table full";
	case -EBADF:
		return tee ? "the fds are not open for reading and writing"
			   : "the fd is not open for reading";
	case -EINVAL:
		return "the fd cannot carry a log stream (listening socket, "
		       "eventfd or the like)";
	case -ENOTSUP: return "a tee source must be a pipe or socket";
	default: return strerror(-r);
	}
}

/* One fd of a registration (with its tee destination, or -1). Returns
 * NULL, or why it was refused. */
static const char *register_fd(struct daemon *d, const struct reg_msg *m,
			       int fd, int tee_fd, pid_t pid, uid_t uid)
{
	int r = source_add(d, fd, tee_fd, m->name, m->name_len, m->stream,
			   pid, uid, 0);

	if (r >= 0) {
		d->reg.accepted++;
		return NULL;
	}
	d->reg.refused += tee_fd >= 0 ? 2 : 1;
	const char *why = refusal(r, tee_fd >= 0);
	daemon_notice(d, true, "registration of %.*s refused: %s",
		      (int)m->name_len, m->name, why);
	return why;
}

/* ack=1: the sender learns the outcome, one line on the last fd it sent
 * ("ok" or "refused: WHY"), then end of file. Only a pipe or socket, and
 * never waiting: a sender that hands over a full pipe gets nothing. */
static void send_ack(int fd, const char *why)
{
	struct stat st;
	char line[256];

	if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    fd_set_nonblock(fd) == 0) {
		int n = why ? snprintf(line, sizeof(line), "refused: %s\n", why)
			    : snprintf(line, sizeof(line), "ok\n");
		ssize_t w = send(fd, line, (size_t)MIN(n, (int)sizeof(line) - 1),
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, line, (size_t)MIN(n, (int)sizeof(line) - 1));
		(void)w;
	}
	close(fd);
}

/* One registration datagram: the name (and attributes) and its fds.
 * Returns false when there was none to read. */
static bool registration(struct daemon *d)
{
	char buf[REG_DGRAM_MAX];
	/* Room for the most fds the kernel passes in one message (253), so
	 * that every fd sent reaches us and is closed or kept, never leaked
	 * in limbo. */
	union {
		char buf[CMSG_SPACE(253 * sizeof(int)) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int fds[253];
	int nfds = 0;
	pid_t pid = -1;
	uid_t uid = 0;

	ssize_t n = recvmsg(d->reg_ev.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EINTR)
			return true;
		if (errno != EAGAIN)
			daemon_notice(d, false, "registration socket: %s",
				      strerror(errno));
		return false;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k && nfds < 253; i++)
				memcpy(&fds[nfds++],
				       CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			pid = uc.pid;
			uid = uc.uid;
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		/* The kernel could not give us every fd (we are out of fds):
		 * those are closed by the kernel, the sender is not told. */
		d->reg.lost_fds++;
		daemon_notice(d, true, "registration: file descriptors lost "
			      "(memlogd is out of file descriptors)");
	}
	if (nfds == 0) {
		/* LinuxKit ignores these too. Those whose fds the kernel
		 * dropped are counted above, not here. */
		if (!(mh.msg_flags & MSG_CTRUNC))
			d->reg.no_fd++;
		return true;
	}

	struct reg_msg m;
	reg_parse(buf, (size_t)n, &m);
	if (m.name_truncated || (mh.msg_flags & MSG_TRUNC))
		d->reg.names_truncated++;
	d->reg.bad_attrs += m.bad_attrs;

	/* ack=1: the last fd is for the answer, not a source. */
	int ack_fd = -1;
	const char *why = NULL;
	if (m.ack) {
		if (nfds < 2) {
			close(fds[0]);
			d->reg.refused++;
			daemon_notice(d, true, "registration of %.*s refused: ack=1 "
				      "needs a source and an answer fd",
				      (int)m.name_len, m.name);
			return true;
		}
		ack_fd = fds[--nfds];
	}
	if (m.tee) {
		/* memlog's tee registration: exactly a source and where its
		 * bytes go on to. Anything else is refused whole: reading a
		 * source without its copy would starve whoever waits for it. */
		if (nfds != 2) {
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			d->reg.refused += (uint64_t)nfds;
			why = "tee=1 needs 2 file descriptors";
			daemon_notice(d, true, "registration of %.*s refused: tee=1 "
				      "needs 2 file descriptors, got %d",
				      (int)m.name_len, m.name, nfds);
		} else {
			why = register_fd(d, &m, fds[0], fds[1], pid, uid);
		}
		if (ack_fd >= 0)
			send_ack(ack_fd, why);
		return true;
	}
	for (int i = 0; i < nfds; i++) {
		if (i >= REG_FDS_MAX) {
			close(fds[i]);
			d->reg.refused++;
			why = "too many fds in one datagram";
			if (i == nfds - 1)
				daemon_notice(d, true, "registration of %.*s: %d "
					      "file descriptors refused (at most %d "
					      "per datagram)", (int)m.name_len,
					      m.name, nfds - REG_FDS_MAX,
					      REG_FDS_MAX);
			continue;
		}
		const char *w = register_fd(d, &m, fds[i], -1, pid, uid);
		if (w && !why)
			why = w;
	}
	if (ack_fd >= 0)
		send_ack(ack_fd, why);
	return true;
}

static void reg_event(struct ev *ev, uint32_t events)
{
	struct daemon *d = container_of(ev, struct daemon, reg_ev);

	for (int i = 0; i < REG_PER_TURN && registration(d); i++)
		;
}

static void query_event(struct ev *ev, uint32_t events)
{
	struct daemon *d = container_of(ev, struct daemon, query_ev);

	for (int i = 0; i < ACCEPT_PER_TURN; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			reader_accept(d, fd);
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
			d->readers_refused++;
			d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of fds with no spare to refuse with: the
			 * pending client would wake us at once, forever.
			 * Stop listening until the next tick. */
			daemon_unwatch(d, ev);
			d->query_paused = true;
			d->readers_refused++;
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
			d->stopping = true;
	}
}

static uint64_t random_instance(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
		/* Early boot without entropy yet: time and pid still tell
		 * one start from another. */
		v = now_realtime_ns() ^ ((uint64_t)getpid() << 32);
	}
	return v ? v : 1;
}

int daemon_init(struct daemon *d, const struct memlogd_config *cfg,
		int log_fd, int query_fd)
{
	int r;
	sigset_t mask;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->epfd = -1;
	d->reserve_fd = -1;
	d->sig_ev.fd = -1;
	list_init(&d->sources);
	list_init(&d->busy);
	list_init(&d->active);
	list_init(&d->waiting);
	list_init(&d->idle);
	d->now_ms = d->start_ms = now_mono_ms();
	d->next_tick_ms = d->now_ms + TICK_MS;
	d->instance = random_instance();
	d->store_next = 1;

	r = ring_init(&d->ring, cfg->buffer_size, cfg->max_lines, d->instance);
	if (r < 0)
		return r;

	/* Sources are limited by fds: keep room for readers and our own. */
	d->max_sources = cfg->max_sources;
	if (!d->max_sources) {
		struct rlimit rl;
		uint64_t lim = 1024;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			if (rl.rlim_cur < rl.rlim_max) {
				rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)1 << 20);
				setrlimit(RLIMIT_NOFILE, &rl);
				getrlimit(RLIMIT_NOFILE, &rl);
			}
			lim = rl.rlim_cur;
		}
		uint64_t spare = (uint64_t)cfg->max_readers + 32;
		d->max_sources = lim > spare + 16 ? (uint32_t)MIN(lim - spare, 1u << 20) : 16;
	}
	r = srctab_init(&d->srcs, d->max_sources * 2 + 64);
	if (r < 0)
		return r;

	d->readbuf_size = READBUF_SIZE;
	d->readbuf = malloc(d->readbuf_size);
	d->scratch_size = RECORD_V2_BOUND(REG_NAME_MAX, cfg->max_line_len) +
			  RECORD_ATTR_BYTE * RECORD_ATTRS_MAX + 16;
	d->scratch = malloc(d->scratch_size);
	if (!d->readbuf || !d->scratch)
		return -ENOMEM;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;

	int one = 1;
	if (setsockopt(log_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		/* credentials are a bonus, not a requirement */
	}
	d->reg_ev = (struct ev){ .fd = log_fd, .cb = reg_event };
	d->query_ev = (struct ev){ .fd = query_fd, .cb = query_event };
	if ((r = daemon_watch(d, &d->reg_ev, EPOLLIN)) < 0 ||
	    (r = daemon_watch(d, &d->query_ev, EPOLLIN)) < 0)
		return r;

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
	if ((r = daemon_watch(d, &d->sig_ev, EPOLLIN)) < 0)
		return r;

	d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Both go on without their source if it cannot be had (said in a
	 * notice): the fd sources matter more than either. */
	if (cfg->kmsg)
		d->kmsg = kmsg_open(d, cfg->kmsg, cfg->state_dir);
	if (cfg->syslog)
		d->syslog = syslogd_open(d, cfg->syslog);
	if (cfg->console) {
		d->console = reader_console(d, STDOUT_FILENO);
		if (!d->console)
			return -ENOMEM;
	}
	return 0;
}

/* Housekeeping; returns when it is next due. */
static uint64_t tick(struct daemon *d)
{
	struct list *p, *t;
	uint64_t next = d->now_ms + TICK_MS;

	list_for_each_safe(p, t, &d->idle)
		next = MIN(next, reader_tick(container_of(p, struct reader, link)));
	if (d->query_paused) {
		if (d->reserve_fd < 0)
			d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (daemon_watch(d, &d->query_ev, EPOLLIN) == 0)
			d->query_paused = false;
	}
	if (d->cfg->rate_lines) {
		for (uint32_t i = 1; i < d->srcs.nslots; i++) {
			struct srcinfo *si = srctab_at(&d->srcs, i);
			if (!srctab_live(si, d->ring.meta->oldest_seq))
				continue;
			uint64_t n = ratelimit_flush(&si->rl, d->cfg->rate_seconds,
						     d->now_ms, false);
			if (n)
				daemon_notice(d, true, "rate limit: suppressed %llu "
					      "lines from %s (%s)",
					      (unsigned long long)n,
					      srctab_name(&d->srcs, si),
					      stream_name((enum stream)si->stream));
		}
	}
	return next;
}

static void pump_readers(struct daemon *d)
{
	struct list batch, *p, *t;

	if (d->ring.meta->next_seq != d->seen_seq) {
		/* New entries: every caught-up follower has work again. */
		d->seen_seq = d->ring.meta->next_seq;
		list_for_each_safe(p, t, &d->waiting) {
			struct reader *r = container_of(p, struct reader, link);
			list_del(p);
			r->state = R_ACTIVE;
			list_add_tail(&d->active, p);
		}
	}
	/* Take this turn's batch, so a reader that stays active is pumped
	 * once per turn, not again within it. */
	if (list_empty(&d->active))
		return;
	batch = d->active;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	list_init(&d->active);
	list_for_each_safe(p, t, &batch)
		reader_pump(container_of(p, struct reader, link));
}

int daemon_run(struct daemon *d)
{
	struct epoll_event evs[64];

	while (!d->stopping) {
		int timeout;
		/* Woken again and again for a few bytes (line-buffered
		 * programs write one line per write()): wait a moment so that
		 * the next wake-up reads many lines at once. Only when data
		 * came faster than the delay: at low rates waiting batches
		 * nothing and would only add a wake-up. A turn that read a lot
		 * does not wait either, so bulk throughput is untouched. The
		 * price is at most batch_delay_us of latency. */
		uint64_t delay_ns = (uint64_t)d->cfg->batch_delay_us * 1000;
		if (delay_ns && d->turn_bytes > 0 && d->turn_bytes < BATCH_BYTES &&
		    d->waited_ns < delay_ns / 2) {
			struct timespec ts = { 0, (long)delay_ns };
			nanosleep(&ts, NULL);
		}
		d->turn_bytes = 0;
		if (!list_empty(&d->busy) || !list_empty(&d->active) ||
		    (d->kmsg && kmsg_busy(d->kmsg)))
			timeout = 0;
		else
			timeout = (int)(d->next_tick_ms > d->now_ms
						? d->next_tick_ms - d->now_ms : 0);
		uint64_t t0 = now_mono_ns();
		int n = epoll_wait(d->epfd, evs, (int)ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		uint64_t t1 = now_mono_ns();
		d->waited_ns = t1 - t0;
		d->now_ms = t1 / 1000000;
		for (int i = 0; i < n; i++) {
			struct ev *ev = evs[i].data.ptr;
			ev->cb(ev, evs[i].events);
		}
		struct list *p, *t;
		list_for_each_safe(p, t, &d->busy)
			source_service(container_of(p, struct source, busy_link));
		if (d->kmsg && kmsg_busy(d->kmsg))
			kmsg_service(d->kmsg);
		pump_readers(d);
		if (d->now_ms >= d->next_tick_ms)
			d->next_tick_ms = tick(d);
	}
	/* Stopping: the unfinished lines of every source are stored, and
	 * followers get one last turn at what is stored, as far as their
	 * sockets take it without waiting. */
	struct list *p, *t;
	list_for_each_safe(p, t, &d->sources)
		source_close(container_of(p, struct source, link), 0);
	pump_readers(d);
	return 0;
}

void daemon_destroy(struct daemon *d)
{
	struct list *p, *t;

	list_for_each_safe(p, t, &d->sources) {
		struct source *s = container_of(p, struct source, link);
		list_del(&s->link);
		list_del(&s->busy_link);
		linebuf_free(&s->lb);
		tee_close(&s->tee);
		close(s->ev.fd);
		free(s);
	}
	kmsg_close(d->kmsg);
	syslogd_close(d->syslog);
	struct list *lists[] = { &d->active, &d->waiting, &d->idle };
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_safe(p, t, lists[i])
			reader_close(container_of(p, struct reader, link));
	if (d->sig_ev.fd >= 0)
		close(d->sig_ev.fd);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->reserve_fd >= 0)
		close(d->reserve_fd);
	free(d->readbuf);
	free(d->scratch);
	srctab_free(&d->srcs);
	ring_destroy(&d->ring);
}
