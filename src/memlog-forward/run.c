#include "run.h"
#include "put.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "entry.h"
#include "fstate.h"
#include "util.h"

void run_print_stats(const struct forwarder *f)
{
	diag_warn("sent %" PRIu64 " acknowledged %" PRIu64
		" retried %" PRIu64 " dropped %" PRIu64 " filtered %" PRIu64
		" reconnects %" PRIu64 " unacknowledged %zu",
		f->st.sent, f->st.acknowledged, f->st.retried, f->st.dropped,
		f->st.filtered, f->st.reconnects,
		f->is_relp ? relp_unacked(&f->relp) : f->stream.pending.count);
	if (f->is_udp)
		diag_warn("udp truncated %" PRIu64 " unsent %" PRIu64, f->udp.truncated,
			  f->udp.unsent);
}

/* ---- signals during librelp's blocking calls ----
 *
 * librelp's calls block in poll() for up to --relp-timeout (the window is
 * full, the receiver hangs), while the signals wait in the signalfd. So
 * for the time of such a call they are unblocked, with handlers: a stop
 * sets the flag librelp's loops check (relpEngineSetShutdownImmdtPtr)
 * and interrupts its poll(), so the call returns with the session broken.
 * Sending runs a whole batch of messages between one unblock and one
 * block (two sigprocmask calls per message were a quarter of the
 * forwarder's time): SIGUSR1 prints the counters from the handler only
 * while librelp itself runs (relp_in_lib), when the loop, which alone
 * changes them, is inside librelp; else they are printed when the batch
 * ends. SIGALRM bounds the polite close at a stop. Signal handlers need
 * globals: these. */
static struct forwarder *relp_forwarder; /* the one whose call is running */
static int relp_shutdown;                /* read by librelp */
static volatile sig_atomic_t relp_stop_seen;
static volatile sig_atomic_t relp_in_lib;   /* librelp's code runs */
static volatile sig_atomic_t relp_stats_asked; /* SIGUSR1 outside it */

/* run_print_stats() without stdio, for a signal handler. */
static void print_stats_signal_safe(const struct forwarder *f)
{
	char b[400], *p = b;
	ssize_t unused;

	p = put_str(p, diag_prog);
	p = put_str(p, ": sent ");
	p = put_u64(p, f->st.sent);
	p = put_str(p, " acknowledged ");
	p = put_u64(p, f->st.acknowledged);
	p = put_str(p, " retried ");
	p = put_u64(p, f->st.retried);
	p = put_str(p, " dropped ");
	p = put_u64(p, f->st.dropped);
	p = put_str(p, " filtered ");
	p = put_u64(p, f->st.filtered);
	p = put_str(p, " reconnects ");
	p = put_u64(p, f->st.reconnects);
	p = put_str(p, " unacknowledged ");
	p = put_u64(p, relp_unacked(&f->relp));
	*p++ = '\n';
	unused = write(STDERR_FILENO, b, (size_t)(p - b));
	(void)unused;
}

static void on_signal_in_relp(int sig)
{
	int saved = errno;

	if (sig == SIGUSR1) {
		if (relp_forwarder && relp_in_lib)
			print_stats_signal_safe(relp_forwarder);
		else
			relp_stats_asked = 1;
	} else {
		/* A stop while our own code runs ends the batch before the
		 * next message (take_records), and the session is closed
		 * politely; only librelp's own wait is cut short. */
		if (sig != SIGALRM)
			relp_stop_seen = 1;
		if (relp_in_lib)
			relp_shutdown = 1;
	}
	errno = saved;
}

static const int relp_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM };

static void relp_signals_init(struct forwarder *f)
{
	struct sigaction sa = { .sa_handler = on_signal_in_relp }; /* no SA_RESTART */

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(relp_signals) / sizeof(relp_signals[0]); i++)
		sigaction(relp_signals[i], &sa, NULL);
	relpEngineSetShutdownImmdtPtr(f->relp.engine, &relp_shutdown);
}

static void relp_signals_mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relp_signals) / sizeof(relp_signals[0]); i++)
		sigaddset(&set, relp_signals[i]);
	sigprocmask(how, &set, NULL);
}

/* librelp's code runs from here to relp_lib_out: the counters are not
 * changed meanwhile (the fences keep the compiler from moving their
 * updates across). */
static void relp_lib_in(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	relp_in_lib = 1;
	atomic_signal_fence(memory_order_seq_cst);
	/* A stop that came just before: librelp must not wait either. */
	if (relp_stop_seen)
		relp_shutdown = 1;
}

static void relp_lib_out(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	relp_in_lib = 0;
	atomic_signal_fence(memory_order_seq_cst);
}

/* Signals may interrupt from here to relp_batch_end (a batch of sends). */
static void relp_batch_begin(struct forwarder *f)
{
	relp_forwarder = f;
	relp_signals_mask(SIG_UNBLOCK);
}

static void relp_batch_end(struct forwarder *f)
{
	relp_signals_mask(SIG_BLOCK);
	relp_forwarder = NULL;
	if (relp_stop_seen) {
		/* Passed on: the polite close at the stop may wait. */
		relp_stop_seen = 0;
		f->stop = true;
	}
	if (relp_stats_asked) {
		relp_stats_asked = 0;
		run_print_stats(f);
	}
}

/* Around every other librelp call that can block. */
static void relp_call_begin(struct forwarder *f)
{
	relp_batch_begin(f);
	relp_lib_in();
}

static void relp_call_end(struct forwarder *f)
{
	relp_lib_out();
	relp_batch_end(f);
}

/* ---- epoll ---- */

/* Keeps epoll's view of one fd in step; a closed fd left epoll by itself. */
static void watch(struct forwarder *f, int *wfd, uint32_t *wev, int fd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };

	if (fd < 0 || ev == 0) {
		if (*wfd >= 0)
			epoll_ctl(f->epfd, EPOLL_CTL_DEL, *wfd, NULL);
		*wfd = -1;
		*wev = 0;
		return;
	}
	if (*wfd == fd && *wev == ev)
		return;
	if (*wfd >= 0 && *wfd != fd)
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, *wfd, NULL);
	if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &e);
	*wfd = fd;
	*wev = ev;
}

/* ---- delivery and the state file ---- */

static void collect(struct forwarder *f)
{
	char cur[CURSOR_TEXT_MAX + 1];
	size_t nsent = 0;

	if (f->is_udp) /* take_entry() advances delivered itself */
		return;
	if (f->is_relp ? relp_delivered(&f->relp, cur, &nsent)
	    : stream_delivered(&f->stream, cur, &nsent)) {
		memcpy(f->delivered, cur, sizeof(cur));
		f->drain_at = now_mono_ms() + RUN_RELP_DRAIN_MS;
	}
	f->st.acknowledged += nsent;
}

/* Saves the delivered cursor, at most every RUN_SAVE_MS unless forced.
 * When that fails, what was delivered since the last save would be sent
 * again after a restart, and more with every entry sent: so sending
 * stops (run() reads nothing from memlogd while state_failed) until a
 * retry, with backoff, works. */
static void save(struct forwarder *f, bool force)
{
	const char *op;
	uint64_t now = now_mono_ms();
	int r;

	if (!strcmp(f->delivered, f->saved) || (!force && now < f->save_at))
		return;
	r = fstate_save(f->opts->state_file, f->delivered, &op);
	if (r < 0) {
		if (!f->state_failed)
			diag_warn("cannot write the state file %s (%s failed): %s; sending "
				  "stops until it can be written", f->opts->state_file, op,
				  strerror(-r));
		f->state_failed = true;
		f->save_at = now + backoff_next(&f->state_bo);
		return;
	}
	if (f->state_failed)
		diag_warn("the state file %s is written again; sending resumes",
			  f->opts->state_file);
	f->state_failed = false;
	backoff_reset(&f->state_bo);
	f->save_at = now + RUN_SAVE_MS;
	memcpy(f->saved, f->delivered, sizeof(f->saved));
}

/* ---- the transport ---- */

static void sink_fail(struct forwarder *f, const char *why)
{
	char unused[CURSOR_TEXT_MAX + 1];
	struct cursor c;

	collect(f);
	if (!f->sink_reported)
		diag_warn("%s; reconnecting", why);
	f->sink_reported = true;
	if (!f->is_relp && !f->is_udp && f->stream.proto_err)
		f->sink_distrust = true;
	if (f->is_relp) {
		relp_call_begin(f);
		relp_close(&f->relp, false, unused, NULL);
		relp_call_end(f);
	} else if (f->is_udp) {
		udp_close(&f->udp);
	} else {
		stream_close(&f->stream);
	}
	/* What was handed over and not delivered is asked for again: entries
	 * up to the newest handed over are resends (`retried`). A seq is
	 * only comparable within one memlogd instance: one restarted counts
	 * again from 1. */
	client_close(&f->mem);
	if (cursor_parse(f->queued, strlen(f->queued), &c) == 0 &&
	    (!f->has_resend || c.instance != f->resend_upto.instance ||
	     c.seq > f->resend_upto.seq)) {
		f->resend_upto = c;
		f->has_resend = true;
	}
	memcpy(f->queued, f->delivered, sizeof(f->queued));
	f->sink_up = false;
	f->sink_at = now_mono_ms() + backoff_next(&f->sink_bo);
	save(f, true);
}

static void sink_try(struct forwarder *f)
{
	int r;

	if (f->is_relp) {
		relp_call_begin(f);
		r = relp_connect(&f->relp);
		relp_call_end(f);
	} else if (f->is_udp) {
		r = udp_connect(&f->udp);
	} else {
		r = stream_connect(&f->stream);
	}

	if (r < 0) {
		sink_fail(f, f->is_relp ? f->relp.err : f->is_udp ? f->udp.err : f->stream.err);
		return;
	}
	f->sink_up = true;
	f->sink_up_at = now_mono_ms();
	if (f->sink_ever_up)
		f->st.reconnects++;
	f->sink_ever_up = true;
	/* The connection counts as working once something is delivered
	 * over it (a receiver that accepts and drops us at once would
	 * otherwise be retried at full speed). */
	if ((f->is_relp || f->is_udp) && f->sink_reported) {
		diag_warn("connected to %s", f->opts->target_text);
		f->sink_reported = false;
	}
}

/* RELP: librelp does not say which messages were acknowledged, only that
 * at most --relp-window (W) are not (relp.h). When the stream stops, or
 * runs slower than W messages per RUN_RELP_DRAIN_MS, the last ones would
 * stay unconfirmed, unsaved, and be sent again after a crash. So when the
 * delivered position has not moved for RUN_RELP_DRAIN_MS while messages
 * are in flight, the session is closed politely, which confirms them all
 * (the answer to "close" comes after every other), and opened again. */
static void relp_drain_idle(struct forwarder *f)
{
	char cur[CURSOR_TEXT_MAX + 1];
	size_t n, nsent;
	int r;

	relp_call_begin(f);
	r = relp_drain(&f->relp, cur, &n, &nsent);
	relp_call_end(f);
	if (r < 0) {
		sink_fail(f, f->relp.err);
		return;
	}
	if (n)
		memcpy(f->delivered, cur, sizeof(cur));
	f->st.acknowledged += nsent;
	save(f, true);
	if (f->stop)
		return;
	relp_call_begin(f);
	r = relp_connect(&f->relp);
	relp_call_end(f);
	if (r < 0)
		sink_fail(f, f->relp.err);
}

/* ---- memlogd ---- */

static void mem_try(struct forwarder *f)
{
	int r = client_connect(&f->mem, f->queued);

	if (r < 0) {
		if (reconn_lost(&f->mem_rc))
			diag_warn("cannot connect to %s: %s; retrying", f->opts->socket,
				  strerror(-r));
		f->mem_at = now_mono_ms() + backoff_next(&f->mem_bo);
		return;
	}
	reconn_connected(&f->mem_rc, now_mono_ms());
}

/* memlogd answers again after a loss that was said: say so, once. got:
 * bytes have just arrived. */
static void mem_check_back(struct forwarder *f, bool got)
{
	if (f->mem.fd >= 0 && reconn_back(&f->mem_rc, f->mem.fd, got, now_mono_ms()))
		diag_warn("connected to %s", f->opts->socket);
}

/* protocol: memlogd answered, with an error or something unreadable (said
 * once until an entry is taken); else the connection ended (said once
 * until memlogd answers again). */
static void mem_fail(struct forwarder *f, const char *why, bool protocol)
{
	if (protocol ? !f->mem_reported : reconn_lost(&f->mem_rc))
		diag_warn("%s; reconnecting", why);
	if (protocol)
		f->mem_reported = true;
	client_close(&f->mem);
	f->mem_at = now_mono_ms() + backoff_next(&f->mem_bo);
}

/* One entry: filtered, or encoded and handed to the transport. Returns 0,
 * 1 with why set (memlogd sent something wrong or an error), 2 with why
 * set (memlogd refused the request itself), -1 (transport failed,
 * handled). */
static int take_entry(struct forwarder *f, const struct binstream_item *it,
		      char *why, size_t whylen)
{
	char cur[CURSOR_TEXT_MAX + 1];
	struct fwd_entry e;
	int r, sev;

	if (it->type == BINREC_ERROR) {
		/* "bad request: ..." (a cursor memlogd cannot read, a filter it
		 * refuses) answers the request itself, which a reconnect would
		 * send unchanged; other errors ("busy", out of memory) pass. */
		const char *m = it->rec.msg;
		size_t ml = it->rec.msg_len;
		bool refused = ml >= 12 && !memcmp(m, "bad request:", 12);

		snprintf(why, whylen, "memlogd answered with an error: %.*s",
			 (int)(ml < 200 ? ml : 200), m);
		return refused ? 2 : 1;
	}
	entry_from_record(&f->mem.bs, it, &e, cur);
	if (e.marker.ptr && e.missed > 0)
		f->st.dropped += (uint64_t)e.missed;
	sev = rfc5424_pri(&f->fmt, &e) & 7;
	if (!e.marker.ptr && (sev < f->opts->sev_min || sev > f->opts->sev_max)) {
		f->st.filtered++;
		r = f->is_udp ? 0 : f->is_relp ? relp_skip(&f->relp, cur)
			: stream_skip(&f->stream, cur);
	} else {
		strbuf_reset(&f->msg);
		r = rfc5424_encode(&f->fmt, &e, &f->msg);
		if (r == 0 && f->is_relp) {
			/* Inside pump's relp_batch_begin/end (take_records). */
			relp_lib_in();
			r = relp_send(&f->relp, f->msg.p, f->msg.len, cur);
			relp_lib_out();
			if (r == 0 && f->relp.sent == 1)
				f->drain_at = now_mono_ms() + RUN_RELP_DRAIN_MS;
		} else if (r == 0 && f->is_udp) {
			/* Sent or dropped, the entry is done with: UDP tells
			 * nothing more, and retrying would stall on a full
			 * queue. */
			r = udp_send(&f->udp, f->msg.p, f->msg.len);
			if (r == 0) {
				f->st.acknowledged++;
				backoff_reset(&f->sink_bo);
			}
			if (r >= 0)
				r = 0;
		} else if (r == 0) {
			r = stream_queue(&f->stream, f->msg.p, f->msg.len, cur);
		}
		if (r == 0) {
			struct cursor c;

			f->st.sent++;
			if (f->has_resend && cursor_parse(cur, CURSOR_LEN, &c) == 0 &&
			    c.instance == f->resend_upto.instance &&
			    c.seq <= f->resend_upto.seq)
				f->st.retried++;
		}
	}
	if (r < 0) {
		sink_fail(f, f->is_relp ? f->relp.err : f->is_udp ? f->udp.err
			  : "out of memory queueing a message");
		return -1;
	}
	memcpy(f->queued, cur, sizeof(cur));
	if (f->is_udp)
		memcpy(f->delivered, cur, sizeof(cur));
	return 0;
}

/* memlogd refused the request: stop, with the state file as it is. */
static void refused(struct forwarder *f, const char *why)
{
	if (f->queued[0])
		diag_warn("%s (resuming after %s); stopping, since asking again "
			  "would get the same answer", why, f->queued);
	else
		diag_warn("%s; stopping, since asking again would get the same answer",
			  why);
	client_close(&f->mem);
	f->status = FWD_EXIT_REFUSED;
	f->stop = true;
}

/* Reads what memlogd sent, up to RUN_BATCH_MAX or until the transport's
 * backlog is full. */
/* Every whole record read so far, as take_entry takes them; *r is what
 * client_record said last (0: none left, negative: malformed). Returns
 * take_entry's first non-zero answer, else 0. For RELP it runs between
 * one relp_batch_begin and relp_batch_end. */
static int take_records(struct forwarder *f, char *why, size_t whylen, int *r)
{
	struct binstream_item it;

	*r = 0;
	while (!(f->is_relp && relp_stop_seen) &&
	       (*r = client_record(&f->mem, &it)) == 1) {
		if (it.type == BINREC_HELLO || it.type == BINREC_SOURCE)
			continue;
		int k = take_entry(f, &it, why, whylen);
		if (k)
			return k;
		backoff_reset(&f->mem_bo);
		f->mem_reported = false;
	}
	return 0;
}

static void pump(struct forwarder *f)
{
	char why[300];
	size_t got = 0;

	for (;;) {
		ssize_t n = client_fill(&f->mem);
		int r;

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			snprintf(why, sizeof(why), "cannot read from %s: %s",
				 f->opts->socket, strerror((int)-n));
			mem_fail(f, why, false);
			return;
		}
		if (n > 0)
			mem_check_back(f, true);
		if (f->is_relp)
			relp_batch_begin(f);
		int k = take_records(f, why, sizeof(why), &r);
		if (f->is_relp)
			relp_batch_end(f);
		if (k < 0 || f->stop)
			return;
		if (k == 2) {
			refused(f, why);
			return;
		}
		if (k > 0) {
			mem_fail(f, why, true);
			return;
		}
		if (r < 0) {
			snprintf(why, sizeof(why), "protocol error: memlogd sent %s",
				 f->mem.bs.why ? f->mem.bs.why : "something else");
			mem_fail(f, why, true);
			return;
		}
		if (n == 0) {
			snprintf(why, sizeof(why), "memlogd closed the connection on %s",
				 f->opts->socket);
			mem_fail(f, why, false);
			return;
		}
		got += (size_t)n;
		if (got >= RUN_BATCH_MAX ||
		    (!f->is_relp && stream_backlog(&f->stream) >= RUN_BACKLOG_MAX))
			return;
	}
}

/* ---- signals ---- */

static void take_signals(struct forwarder *f)
{
	struct signalfd_siginfo si;

	while (read(f->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			run_print_stats(f);
		else
			f->stop = true;
	}
}

/* ---- the loop ---- */

int run_init(struct forwarder *f, const struct fwd_opts *opts, const char *hostname,
	     const char *cursor, int sigfd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = sigfd };
	int r;

	memset(f, 0, sizeof(*f));
	f->opts = opts;
	f->sigfd = sigfd;
	f->mem_watch_fd = f->sink_watch_fd = -1;
	f->fmt = (struct rfc5424_cfg){
		.hostname = hostname, .stdout_pri = opts->stdout_pri,
		.stderr_pri = opts->stderr_pri, .daemon_pri = opts->daemon_pri,
		.facility = 1, /* user, as syslog(3) assumes */
		.times = &f->times,
	};
	timecache_init(&f->times);
	snprintf(f->delivered, sizeof(f->delivered), "%s", cursor);
	memcpy(f->saved, f->delivered, sizeof(f->saved));
	memcpy(f->queued, f->delivered, sizeof(f->queued));
	client_init(&f->mem, opts->socket);
	f->mem.binary = true;
	reconn_init(&f->mem_rc);
	f->mem.params = opts->params[0] ? opts->params : NULL;
	backoff_init(&f->sink_bo, opts->backoff_min_ms, opts->backoff_max_ms);
	backoff_init(&f->mem_bo, opts->backoff_min_ms, opts->backoff_max_ms);
	backoff_init(&f->state_bo, opts->backoff_min_ms, opts->backoff_max_ms);
	f->is_relp = opts->target.scheme == URL_RELP || opts->target.scheme == URL_RELPS;
	f->is_udp = opts->target.scheme == URL_UDP;
	udp_init(&f->udp, opts);
	/* Both are set up so that run_free() can always free both. */
	r = stream_init(&f->stream, opts);
	if (r == 0 && f->is_relp && relp_init(&f->relp, opts) < 0) {
		diag_warn("%s", f->relp.err);
		return -1;
	}
	if (r == 0 && f->is_relp)
		relp_signals_init(f);
	if (r < 0) {
		diag_warn("%s", f->stream.err);
		return -1;
	}
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0 || epoll_ctl(f->epfd, EPOLL_CTL_ADD, sigfd, &e) < 0) {
		diag_warn_err(errno, "cannot set up epoll");
		return -1;
	}
	return 0;
}

void run_free(struct forwarder *f)
{
	client_free(&f->mem);
	stream_free(&f->stream);
	udp_close(&f->udp);
	if (f->is_relp)
		relp_free(&f->relp);
	strbuf_free(&f->msg);
	if (f->epfd > 0)
		close(f->epfd);
}

static int timeout_ms(const struct forwarder *f, uint64_t now)
{
	uint64_t at = UINT64_MAX;

	if (!f->sink_up)
		at = f->sink_at;
	else if (f->mem.fd < 0)
		at = f->mem_at;
	else
		at = reconn_deadline(&f->mem_rc);
	if (strcmp(f->delivered, f->saved))
		at = at < f->save_at ? at : f->save_at;
	if (f->is_relp && f->sink_up && f->relp.sent)
		at = at < f->drain_at ? at : f->drain_at;
	if (at == UINT64_MAX)
		return -1;
	return at <= now ? 0 : (int)(at - now < 60000 ? at - now : 60000);
}

/* At a stop: what is queued for TCP/TLS gets RUN_STOP_FLUSH_MS to be
 * written; a RELP session is closed politely, which tells whether the
 * window was acknowledged. */
static void finish(struct forwarder *f)
{
	char cur[CURSOR_TEXT_MAX + 1];
	size_t nsent = 0;

	if (f->is_relp) {
		/* The polite close waits for the receiver's answers: at most
		 * RUN_STOP_FLUSH_MS (SIGALRM), as TCP's flush below. */
		struct itimerval t = { .it_value = { RUN_STOP_FLUSH_MS / 1000,
						     RUN_STOP_FLUSH_MS % 1000 * 1000 } };
		struct itimerval off = { 0 };

		relp_call_begin(f);
		setitimer(ITIMER_REAL, &t, NULL);
		if (f->sink_up && relp_close(&f->relp, true, cur, &nsent))
			memcpy(f->delivered, cur, sizeof(cur));
		setitimer(ITIMER_REAL, &off, NULL);
		relp_call_end(f);
		f->st.acknowledged += nsent;
	} else if (f->sink_up && !f->is_udp) {
		uint64_t end = now_mono_ms() + RUN_STOP_FLUSH_MS;

		while (stream_backlog(&f->stream) || f->stream.state != STREAM_UP) {
			struct pollfd p = { .fd = f->stream.fd,
					    .events = (short)stream_events(&f->stream) };
			uint64_t now = now_mono_ms();

			if (now >= end || p.fd < 0)
				break;
			if (poll(&p, 1, (int)(end - now)) < 0 && errno != EINTR)
				break;
			if (stream_io(&f->stream, (uint32_t)p.revents) < 0)
				break;
		}
		collect(f);
	}
	save(f, true);
}

int run(struct forwarder *f)
{
	while (!f->stop) {
		struct epoll_event ev[4];
		uint64_t now = now_mono_ms();
		int n;

		if (!f->sink_up && now >= f->sink_at)
			sink_try(f);
		if (f->sink_up && f->mem.fd < 0 && now >= f->mem_at)
			mem_try(f);
		mem_check_back(f, false);
		watch(f, &f->mem_watch_fd, &f->mem_watch_ev, f->mem.fd,
		      !f->state_failed && (f->is_relp ||
		      stream_backlog(&f->stream) < RUN_BACKLOG_MAX) ? EPOLLIN : 0);
		if (!f->is_relp)
			watch(f, &f->sink_watch_fd, &f->sink_watch_ev, f->stream.fd,
			      stream_events(&f->stream));
		n = epoll_wait(f->epfd, ev, 4, timeout_ms(f, now_mono_ms()));
		if (n < 0 && errno != EINTR) {
			diag_warn_err(errno, "epoll_wait");
			return 1;
		}
		/* The transport first: a write that makes room lets memlogd's
		 * entries in during the same turn. */
		for (int i = 0; i < n; i++) {
			if (!f->is_relp && f->sink_up && ev[i].data.fd == f->stream.fd &&
			    stream_io(&f->stream, ev[i].events) < 0)
				sink_fail(f, f->stream.err);
		}
		for (int i = 0; i < n; i++) {
			if (f->mem.fd >= 0 && ev[i].data.fd == f->mem.fd && f->sink_up &&
			    !f->state_failed)
				pump(f);
			else if (ev[i].data.fd == f->sigfd)
				take_signals(f);
		}
		/* Entries just queued are written at once rather than on the
		 * next EPOLLOUT. */
		if (!f->is_relp && f->sink_up && f->stream.state == STREAM_UP &&
		    stream_backlog(&f->stream) && stream_io(&f->stream, 0) < 0)
			sink_fail(f, f->stream.err);
		if (f->sink_up) {
			uint64_t before = f->st.acknowledged;

			collect(f);
			/* A receiver that broke the protocol (sent data) is
			 * trusted again only once a connection has lasted
			 * --backoff-max: until then each reconnect waits longer
			 * and is not said, though something was written on it. */
			if (f->sink_distrust && now_mono_ms() - f->sink_up_at >=
			    f->opts->backoff_max_ms)
				f->sink_distrust = false;
			if (f->st.acknowledged > before && !f->sink_distrust) {
				backoff_reset(&f->sink_bo);
				if (f->sink_reported && !f->is_relp)
					diag_warn("connected to %s", f->opts->target_text);
				if (!f->is_relp)
					f->sink_reported = false;
			}
		}
		if (f->is_relp && f->sink_up && f->relp.sent && now_mono_ms() >= f->drain_at)
			relp_drain_idle(f);
		save(f, false);
	}
	finish(f);
	return f->status;
}
