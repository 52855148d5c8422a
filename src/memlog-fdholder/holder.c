/* Sessions: the client that connects last is the live one (after a crash
 * the old connection is gone anyway). But a new connection does not cut
 * the session at once: it is a candidate until it sends its first request.
 * Checking whether a socket path is live means connecting to it (the next
 * holder started on the same path does that, and so may any client), and
 * such a probe must not end the session of the client that is alive. */
#include "holder.h"
#include "cmsg.h"
#include "diag.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* epoll tags: which of the holder's fds an event is for. */
enum { TAG_LISTEN, TAG_SIGNAL, TAG_SESSION, TAG_CAND /* + index */ };

/* What one received record turned out to be. */
enum rx { RX_NONE, RX_MSG, RX_EOF, RX_BAD };

/* Warnings a peer can cause come at counts 1, 2, 4, 8, ...: every kind of
 * problem is seen with its count, and a flood cannot flood stderr. */
static bool worth_saying(uint64_t n)
{
	return (n & (n - 1)) == 0;
}

static int watch(struct holder *h, int op, int fd, uint32_t events,
		 uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(h->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static void conn_close(struct holder_conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set: the only copy */
	c->fd = -1;
}

static void session_close(struct holder *h)
{
	conn_close(&h->session);
	h->out_len = 0;
	h->out_nfds = 0;
	h->taking = false;
}

static void session_watch(struct holder *h, uint32_t events)
{
	if (h->session.fd < 0 || events == h->session_events)
		return;
	if (watch(h, EPOLL_CTL_MOD, h->session.fd, events, TAG_SESSION) < 0) {
		diag_warn_err(errno, "epoll_ctl");
		session_close(h);
		return;
	}
	h->session_events = events;
}

/* Puts the next answer to TAKE in the output: up to FDHOLD_KEYS_MAX held
 * fds, or END once all were sent. The fds stay the table's: sending them
 * gives the client new fds for the same files and we keep ours. */
static void take_next(struct holder *h)
{
	uint64_t keys[FDHOLD_KEYS_MAX];
	uint64_t key;
	int n = 0, fd, len;

	while (n < FDHOLD_KEYS_MAX &&
	       fdtable_next(&h->table, &h->take_pos, &key, &fd)) {
		keys[n] = key;
		h->out_fds[n++] = fd;
	}
	if (n > 0) {
		len = fdhold_encode_fds(h->out, sizeof(h->out), keys, (size_t)n);
		h->take_sent += (uint32_t)n;
	} else {
		len = fdhold_encode_end(h->out, sizeof(h->out), h->take_sent);
		h->taking = false;
	}
	h->out_len = (size_t)len; /* cannot fail: out has room for the most */
	h->out_nfds = n;
}

/* Sends what waits for the session, as far as its socket takes it; then
 * watches it for the next request, or for room when something still
 * waits. */
static void session_flush(struct holder *h)
{
	while (h->session.fd >= 0) {
		if (h->out_len) {
			int r = fdhold_send(h->session.fd, h->out, h->out_len,
					    h->out_fds, h->out_nfds, MSG_DONTWAIT);
			if (r == -EAGAIN) {
				session_watch(h, EPOLLOUT);
				return;
			}
			if (r < 0) {
				if (r != -EPIPE && r != -ECONNRESET)
					diag_warn_err(r, "sending to the "
						      "session of pid %d",
						      (int)h->session.pid);
				session_close(h);
				return;
			}
			h->out_len = 0;
			h->out_nfds = 0;
		}
		if (!h->taking)
			break;
		take_next(h);
	}
	session_watch(h, EPOLLIN);
}

static void session_queue(struct holder *h, const void *msg, int len)
{
	memcpy(h->out, msg, (size_t)len);
	h->out_len = (size_t)len;
	h->out_nfds = 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Receives one request from fd, its fds into ci. *lost is set when its fds
 * did not reach us (MSG_CTRUNC): the kernel passes at most CMSG_FDS_MAX
 * per message, which the control buffer has room for, so that means we
 * had no free fd slot for them. *why says what was wrong with a bad
 * one. */
static enum rx receive(int fd, struct fdhold_msg *m, struct cmsg_info *ci,
		       bool *lost, const char **why)
{
	uint8_t buf[FDHOLD_MSG_MAX];
	union {
		char buf[CMSG_SPACE(CMSG_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? RX_NONE : RX_EOF;
	cmsg_collect(&mh, ci);
	*lost = false;
	if (n == 0) { /* the end of the session (no request is empty) */
		cmsg_close_fds(ci);
		return RX_EOF;
	}
	int nfds = ci->nfds;
	if (mh.msg_flags & MSG_CTRUNC) {
		/* Judge the request as if its fds had come: a PUT is then
		 * refused as a whole, anything else is malformed. */
		cmsg_close_fds(ci);
		*lost = true;
		nfds = n >= FDHOLD_HDR_LEN ? (int)MIN(le32(buf + 8), FDHOLD_KEYS_MAX + 1) : 0;
	}
	int r = (mh.msg_flags & MSG_TRUNC) ? -EBADMSG
					   : fdhold_decode(buf, (size_t)n, nfds, m);
	if (r == 0 && !fdhold_op_from_client(m->op))
		*why = "it sent a holder's message";
	else if (r == 0 && *lost && m->op != FDHOLD_PUT)
		*why = "it sent fds with a request that carries none";
	else if (r == -EPROTONOSUPPORT)
		*why = "it speaks another version of the protocol";
	else if (r < 0)
		*why = "it sent a malformed request";
	else
		return RX_MSG;
	cmsg_close_fds(ci);
	return RX_BAD;
}

static void put(struct holder *h, const struct fdhold_msg *m, const int *fds,
		bool lost)
{
	uint64_t refused[FDHOLD_KEYS_MAX];
	size_t nref = 0;
	int err = 0;

	for (uint32_t i = 0; i < m->nkeys; i++) {
		uint64_t key = m->keys[i];
		int e = 0, old = -1;
		if (lost)
			e = EMFILE;
		else if (h->table.count >= h->max_fds &&
			 fdtable_get(&h->table, key) < 0)
			e = EMFILE;
		else
			e = -fdtable_put(&h->table, key, fds[i], &old);
		if (e) {
			if (!lost)
				close(fds[i]);
			refused[nref++] = key;
			if (!err)
				err = e;
			continue;
		}
		/* A key held already: its old fd goes, the new one stays. */
		if (old >= 0)
			close(old);
	}
	if (nref == 0)
		return;
	uint8_t msg[FDHOLD_MSG_MAX];
	int len = fdhold_encode_err(msg, sizeof(msg), err, refused, nref);
	session_queue(h, msg, len);
	h->refused_puts++;
	if (worth_saying(h->refused_puts))
		diag_warn_err(err, "could not hold %zu fds (holding %zu, "
			      "--max-fds %u; %llu requests refused so far)",
			      nref, h->table.count, h->max_fds,
			      (unsigned long long)h->refused_puts);
}

static void drop(struct holder *h, const struct fdhold_msg *m)
{
	for (uint32_t i = 0; i < m->nkeys; i++) {
		int fd = fdtable_del(&h->table, m->keys[i]);
		if (fd >= 0)
			close(fd);
	}
}

/* Carries out one request of the session; an answer is left in the
 * output. */
static void apply(struct holder *h, const struct fdhold_msg *m,
		  const int *fds, bool lost)
{
	switch (m->op) {
	case FDHOLD_PUT:
		put(h, m, fds, lost);
		break;
	case FDHOLD_DROP:
		drop(h, m);
		break;
	case FDHOLD_TAKE:
		h->taking = true;
		h->take_pos = 0;
		h->take_sent = 0;
		break;
	case FDHOLD_RELEASE:
		h->done = true;
		break;
	}
}

static void handle(struct holder *h, const struct fdhold_msg *m,
		   const int *fds, bool lost)
{
	apply(h, m, fds, lost);
	if (!h->done)
		session_flush(h);
}

static void bad_session(struct holder *h, const struct holder_conn *c,
			const char *why)
{
	h->malformed++;
	if (worth_saying(h->malformed))
		diag_warn("closed the session of pid %d: %s (%llu sessions "
			  "closed so far; the fds held are kept)",
			  (int)c->pid, why, (unsigned long long)h->malformed);
}

static void on_session(struct holder *h)
{
	struct fdhold_msg m;
	struct cmsg_info ci;
	const char *why = "";
	bool lost;

	/* While an answer waits, only room for it is watched (and a hangup,
	 * which the send then finds). */
	if (h->out_len || h->taking) {
		session_flush(h);
		return;
	}
	switch (receive(h->session.fd, &m, &ci, &lost, &why)) {
	case RX_NONE:
		return;
	case RX_EOF: /* the client went away: keep everything, wait */
		session_close(h);
		return;
	case RX_BAD:
		bad_session(h, &h->session, why);
		session_close(h);
		return;
	case RX_MSG:
		handle(h, &m, ci.fds, lost);
		return;
	}
}

/* Before a new session replaces it: the requests still queued on the old
 * session were sent before the new client's first one (after a crash, the
 * old client died before the new one started), and the old client took
 * each sendmsg() that succeeded as done. They are carried out first; their
 * answers are dropped with the session. A client still alive that keeps
 * sending could keep this going, so it stops after HOLDER_DRAIN_MAX
 * requests (far more than a socket buffer holds). */
static void session_drain(struct holder *h)
{
	struct fdhold_msg m;
	struct cmsg_info ci;
	const char *why = "";
	bool lost;

	for (int i = 0; h->session.fd >= 0 && !h->done && i < HOLDER_DRAIN_MAX; i++) {
		enum rx rx = receive(h->session.fd, &m, &ci, &lost, &why);
		if (rx == RX_BAD)
			bad_session(h, &h->session, why);
		if (rx != RX_MSG)
			break;
		apply(h, &m, ci.fds, lost);
	}
	session_close(h);
}

/* A candidate's first request makes it the session. */
static void on_candidate(struct holder *h, unsigned i)
{
	struct holder_conn *c = &h->cand[i];
	struct fdhold_msg m;
	struct cmsg_info ci;
	const char *why = "";
	bool lost;

	switch (receive(c->fd, &m, &ci, &lost, &why)) {
	case RX_NONE:
		return;
	case RX_EOF:
		conn_close(c);
		return;
	case RX_BAD:
		bad_session(h, c, why);
		conn_close(c);
		return;
	case RX_MSG:
		break;
	}
	if (watch(h, EPOLL_CTL_MOD, c->fd, EPOLLIN, TAG_SESSION) < 0) {
		diag_warn_err(errno, "epoll_ctl"); /* cannot happen */
		cmsg_close_fds(&ci);
		conn_close(c);
		return;
	}
	session_drain(h);
	h->session = *c;
	h->session_events = EPOLLIN;
	c->fd = -1;
	if (h->done) { /* the old session's last word was RELEASE */
		cmsg_close_fds(&ci);
		return;
	}
	handle(h, &m, ci.fds, lost);
}

static int send_hello(struct holder *h, int fd)
{
	uint8_t msg[FDHOLD_HDR_LEN];
	int len = fdhold_encode_hello(msg, sizeof(msg),
				      (uint32_t)h->table.count,
				      h->session.fd >= 0
					      ? (uint32_t)h->session.pid : 0);

	return fdhold_send(fd, msg, (size_t)len, NULL, 0, MSG_DONTWAIT);
}

/* Only a peer of our own uid: any process of that uid could already ptrace
 * the client and take its fds. Returns 0, or -EPERM (counted, said). */
static int check_peer(struct holder *h, int fd, pid_t *pid)
{
	struct ucred cred;
	socklen_t l = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
		return -errno;
	if (cred.uid != h->uid) {
		h->refused++;
		if (worth_saying(h->refused))
			diag_warn("refused a connection of uid %u (pid %d): "
				  "only uid %u is served (%llu refused so far)",
				  (unsigned)cred.uid, (int)cred.pid,
				  (unsigned)h->uid,
				  (unsigned long long)h->refused);
		return -EPERM;
	}
	*pid = cred.pid;
	return 0;
}

static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
}

static void on_accept(struct holder *h)
{
	int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	pid_t pid;

	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && h->spare_fd >= 0) {
		/* Out of fds: take the connection with the spare and close
		 * it, rather than leave it queued and the listening socket
		 * readable for ever (a busy loop). */
		diag_warn_err(errno, "closing a new connection");
		close(h->spare_fd);
		fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return;
	}
	if (fd < 0)
		return; /* EAGAIN, ECONNABORTED: nothing (more) to take */
	/* A session whose client is gone, its end not read yet (it came in
	 * the same moment as this connection): ended first, its last
	 * requests carried out, so that the HELLO does not name a client
	 * that no longer runs. */
	if (h->session.fd >= 0 && peer_gone(h->session.fd))
		session_drain(h);
	if (check_peer(h, fd, &pid) < 0 || send_hello(h, fd) < 0) {
		close(fd);
		return;
	}
	unsigned slot = 0;
	for (unsigned i = 0; i < HOLDER_CANDIDATES; i++) {
		if (h->cand[i].fd < 0) {
			slot = i;
			break;
		}
		if (h->cand[i].age < h->cand[slot].age)
			slot = i;
	}
	struct holder_conn *c = &h->cand[slot];
	conn_close(c);
	if (watch(h, EPOLL_CTL_ADD, fd, EPOLLIN, TAG_CAND + slot) < 0) {
		diag_warn_err(errno, "epoll_ctl");
		close(fd);
		return;
	}
	*c = (struct holder_conn){ .fd = fd, .pid = pid, .age = ++h->accepts };
}

static void on_signal(struct holder *h)
{
	struct signalfd_siginfo si;

	while (read(h->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM) {
			diag_warn("SIGTERM: closing the %zu fds held and exiting",
				  h->table.count);
			h->done = true;
		}
	}
}

int holder_init(struct holder *h, const char *path, int listen_fd,
		int conn_fd, uint32_t max_fds)
{
	sigset_t term;
	struct stat st;
	int r;

	memset(h, 0, sizeof(*h));
	h->epfd = h->sig_fd = h->spare_fd = h->session.fd = -1;
	for (unsigned i = 0; i < HOLDER_CANDIDATES; i++)
		h->cand[i].fd = -1;
	h->listen_fd = listen_fd;
	h->path = path;
	h->uid = geteuid();
	h->max_fds = max_fds;
	fdtable_init(&h->table);
	/* The file is ours to remove at the end only while it is the one we
	 * started with. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		h->path_dev = st.st_dev;
		h->path_ino = st.st_ino;
		h->path_known = true;
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		diag_warn_err(errno, "epoll_create1");
		return -errno;
	}
	h->sig_fd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
	if (h->sig_fd < 0) {
		diag_warn_err(errno, "signalfd");
		return -errno;
	}
	h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if ((r = watch(h, EPOLL_CTL_ADD, listen_fd, EPOLLIN, TAG_LISTEN)) < 0 ||
	    (r = watch(h, EPOLL_CTL_ADD, h->sig_fd, EPOLLIN, TAG_SIGNAL)) < 0) {
		diag_warn_err(r, "epoll_ctl");
		return r;
	}
	if (conn_fd < 0)
		return 0;
	/* The first session, made by the client that started us. */
	pid_t pid;
	if ((r = check_peer(h, conn_fd, &pid)) < 0 ||
	    (r = fd_set_nonblock(conn_fd)) < 0 ||
	    (r = watch(h, EPOLL_CTL_ADD, conn_fd, EPOLLIN, TAG_SESSION)) < 0) {
		diag_warn_err(r, "--fd-conn %d", conn_fd);
		close(conn_fd);
		return 0; /* the client can still connect by the path */
	}
	h->session = (struct holder_conn){ .fd = conn_fd, .pid = pid };
	h->session_events = EPOLLIN;
	uint8_t msg[FDHOLD_HDR_LEN];
	session_queue(h, msg, fdhold_encode_hello(msg, sizeof(msg), 0, 0));
	session_flush(h);
	return 0;
}

/* The end: the socket file goes first (no new client finds a holder that
 * is leaving), then every held fd, and the session last, so that a client
 * waiting in fdhold_release() sees the end of it only when all is
 * closed. */
static void finish(struct holder *h)
{
	struct stat st;
	size_t pos = 0;
	uint64_t key;
	int fd;

	if (h->path_known && lstat(h->path, &st) == 0 &&
	    st.st_dev == h->path_dev && st.st_ino == h->path_ino)
		unlink(h->path);
	close(h->listen_fd);
	while (fdtable_next(&h->table, &pos, &key, &fd))
		close(fd);
	fdtable_free(&h->table);
	for (unsigned i = 0; i < HOLDER_CANDIDATES; i++)
		conn_close(&h->cand[i]);
	session_close(h);
	if (h->spare_fd >= 0)
		close(h->spare_fd);
	close(h->sig_fd);
	close(h->epfd);
}

int holder_run(struct holder *h)
{
	int status = 0;

	while (!h->done) {
		struct epoll_event ev;
		/* One event per wait: a callback may close another connection
		 * (a candidate's request closes the old session), and an
		 * event already fetched for it would then name a closed or
		 * reused fd. The holder sees few events; this costs nothing. */
		int n = epoll_wait(h->epfd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_warn_err(errno, "epoll_wait");
			status = 1;
			break;
		}
		if (ev.data.u64 == TAG_LISTEN)
			on_accept(h);
		else if (ev.data.u64 == TAG_SIGNAL)
			on_signal(h);
		else if (ev.data.u64 == TAG_SESSION)
			on_session(h);
		else
			on_candidate(h, (unsigned)(ev.data.u64 - TAG_CAND));
	}
	finish(h);
	return status;
}
