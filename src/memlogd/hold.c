#include "hold.h"
#include "fdhold.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int hold_path(char *out, size_t cap, const char *socket_log)
{
	int n = snprintf(out, cap, "%s.holder", socket_log);

	return n < 0 || (size_t)n >= cap || (size_t)n >= 108 ? -ENAMETOOLONG : 0;
}

struct taking {
	struct hold_fd *fds;
	int max, n;
	uint64_t refused;
};

static int take_one(void *ctx, uint64_t key, int fd)
{
	struct taking *t = ctx;

	if (fd < 0) {
		t->refused++;
		return 0;
	}
	if (t->n == t->max) {
		close(fd);
		return -ENOSPC;
	}
	t->fds[t->n++] = (struct hold_fd){ key, fd };
	return 0;
}

/* Is pid a process that still runs (not a zombie waiting to be reaped)? */
static bool running(pid_t pid)
{
	char p[64], st[512];
	ssize_t k;
	int fd;

	if (pid <= 0 || pid == getpid())
		return false;
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill(pid, 0) == 0 || errno == EPERM;
	k = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (k <= 0)
		return false;
	st[k] = '\0';
	const char *e = strrchr(st, ')');
	return !(e && e[1] == ' ' && (e[2] == 'Z' || e[2] == 'X'));
}

int hold_open(struct hold *h, struct hold_fd *fds, int max, int *n)
{
	struct taking t = { fds, max, 0, 0 };
	struct fdhold_hello hello;
	int sock;

	*n = 0;
	h->ev.fd = -1;
	/* A memlogd whose session is open and that still runs is serving
	 * these sockets: taking its fds would take them from under it. (A
	 * crashed one's session may end a moment after it died: asked
	 * again.) */
	for (int i = 0;; i++) {
		sock = fdhold_connect(h->path, &hello);
		if (sock < 0 || !hello.session_pid || !running(hello.session_pid))
			break;
		close(sock);
		if (i == 5)
			return -EADDRINUSE;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (sock >= 0) {
		int r = fdhold_take(sock, take_one, &t);
		if (r < 0) {
			for (int i = 0; i < t.n; i++)
				close(fds[i].fd);
			close(sock);
			return r;
		}
		h->ev.fd = sock;
		h->pid = 0; /* not our child: an earlier memlogd's */
		*n = t.n;
		return 1;
	}
	if (sock != -ENOENT && sock != -ECONNREFUSED)
		return sock;
	int r = fdhold_spawn(h->path, h->binary, &sock, &h->pid);
	if (r < 0)
		return r;
	h->ev.fd = sock;
	return 0;
}

/* EPOLLOUT in the session's mask exactly while something waits. */
static void want_out(struct hold *h)
{
	bool want = keepq_waiting(&h->q);

	if (want == h->wants_out || h->ev.fd < 0 || !h->loop)
		return;
	if (loop_rewatch(h->loop, &h->ev, EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		h->wants_out = want;
}

static int send_ops(void *arg, const struct keepq_op *ops, uint32_t n,
		    bool put, int flags)
{
	struct hold *h = arg;
	uint64_t keys[FDHOLD_KEYS_MAX];
	int fds[FDHOLD_KEYS_MAX];

	if (h->ev.fd < 0)
		return -ENOTCONN;
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = ops[i].key;
		fds[i] = ops[i].fd;
	}
	return put ? fdhold_put(h->ev.fd, keys, fds, n, flags)
		   : fdhold_drop(h->ev.fd, keys, n, flags);
}

void hold_init(struct hold *h)
{
	*h = (struct hold){ .ev.fd = -1 };
	keepq_init(&h->q, send_ops, h, FDHOLD_KEYS_MAX, HOLD_WAITING_MAX);
}

void hold_set_waiting_max(struct hold *h, uint32_t n)
{
	h->q.max_puts = n;
}

uint64_t hold_put_failed(const struct hold *h)
{
	return h->put_failed + h->q.failed;
}

int hold_put(void *arg, uint64_t key, int fd)
{
	struct hold *h = arg;

	if (h->ev.fd < 0)
		return -ENOTCONN;
	/* Never waiting: what the socket has no room for waits in q. */
	int r = keepq_put(&h->q, key, fd);
	want_out(h);
	return r;
}

void hold_drop(void *arg, uint64_t key)
{
	struct hold *h = arg;

	if (h->ev.fd < 0)
		return;
	keepq_drop(&h->q, key);
	want_out(h);
}

int hold_pid(const struct hold *h)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (h->ev.fd < 0)
		return 0;
	/* A holder we started shares a socketpair with us, whose peer
	 * credentials are our own. */
	if (h->pid > 0)
		return h->pid;
	if (getsockopt(h->ev.fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return 0;
	return uc.pid;
}

int hold_flush(struct hold *h)
{
	int r = keepq_flush(&h->q, 0);

	want_out(h);
	return r;
}

/* Waits (up to 500 ms) until the holder that was behind a session that
 * ended has exited: until then its socket may still take a connection,
 * and a new holder would be refused the path. */
static void wait_gone(pid_t pid, bool ours)
{
	for (int i = 0; i < 250 && pid > 0; i++) {
		if (ours ? waitpid(pid, NULL, WNOHANG) != 0 : !running(pid))
			return;
		struct timespec ts = { 0, 2 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* Starts a new holder and hands it everything (h->lost). */
static void respawn(struct hold *h, struct loop *loop)
{
	int sock;
	int r = fdhold_spawn(h->path, h->binary, &sock, &h->pid);

	if (r == 0) {
		h->ev.fd = sock;
		if ((r = loop_watch(loop, &h->ev, EPOLLIN)) < 0) {
			close(sock);
			h->ev.fd = -1;
		}
	}
	if (r < 0) {
		h->pid = 0;
		h->respawn_failed++;
		if (h->lost && h->respawn_failed == 1)
			h->lost(h, r); /* said once, tried again each tick */
		return;
	}
	h->respawns++;
	h->respawn_failed = 0;
	if (h->lost)
		h->lost(h, 0);
}

/* The holder is gone (its session ended): a new one, handed everything. */
static void replace(struct hold *h, struct loop *loop)
{
	pid_t old = hold_pid(h);
	bool ours = h->pid > 0;

	keepq_clear(&h->q);
	loop_unwatch(loop, &h->ev);
	close(h->ev.fd);
	h->ev.fd = -1;
	h->wants_out = false;
	wait_gone(old, ours);
	h->pid = 0;
	respawn(h, loop);
}

void hold_tick(struct hold *h)
{
	if (h->ev.fd < 0 && h->respawn_failed && h->loop)
		respawn(h, h->loop);
}

static void hold_event(struct ev *ev, uint32_t events)
{
	struct hold *h = container_of(ev, struct hold, ev);
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];

	/* A failed session is found by the reading below. */
	if (events & EPOLLOUT) {
		IGNORE_RESULT(keepq_flush(&h->q, MSG_DONTWAIT));
		want_out(h);
	}
	for (;;) {
		int r = fdhold_recv(ev->fd, &m, fds, 0);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			replace(h, h->loop);
			return;
		}
		if (m.op == FDHOLD_ERR)
			h->put_failed += m.nkeys;
		if (m.op == FDHOLD_FDS)
			for (uint32_t i = 0; i < m.nkeys; i++)
				close(fds[i]);
	}
}

int hold_watch(struct hold *h, struct loop *loop)
{
	h->ev.cb = hold_event;
	h->loop = loop;
	return loop_watch(loop, &h->ev, EPOLLIN);
}

void hold_close(struct hold *h, struct loop *loop)
{
	if (h->ev.fd >= 0)
		IGNORE_RESULT(keepq_flush(&h->q, 0));
	keepq_destroy(&h->q);
	if (h->ev.fd < 0)
		return;
	loop_unwatch(loop, &h->ev);
	close(h->ev.fd);
	h->ev.fd = -1;
}

int hold_release(const char *path)
{
	int sock = fdhold_connect(path, NULL);

	if (sock < 0)
		return sock == -ECONNREFUSED ? -ENOENT : sock;
	int r = fdhold_release(sock);
	close(sock);
	return r;
}
