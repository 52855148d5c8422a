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

#define HOLDER_NAME "memlog-fdholder"

int hold_path(char *out, size_t cap, const char *socket_log)
{
	int n = snprintf(out, cap, "%s.holder", socket_log);

	return n < 0 || (size_t)n >= cap || (size_t)n >= 108 ? -ENAMETOOLONG : 0;
}

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

int hold_find_binary(const char *given, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n;

	if (given) {
		snprintf(out, cap, "%s", given);
		return executable(out) ? 0 : -ENOENT;
	}
	/* Next to memlogd: the two are installed (and built) together. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, cap, "%s/" HOLDER_NAME, self);
			if (executable(out))
				return 0;
		}
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		if (l && snprintf(out, cap, "%.*s/" HOLDER_NAME, (int)l, path) > 0 &&
		    executable(out))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
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
	bool want = h->qn > 0;

	if (want == h->wants_out || h->ev.fd < 0 || !h->loop)
		return;
	if (loop_rewatch(h->loop, &h->ev, EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		h->wants_out = want;
}

/* Forgets what waits (the session is gone: a new holder is handed
 * everything anew). */
static void queue_clear(struct hold *h)
{
	for (uint32_t i = 0; i < h->qn; i++)
		if (h->q[i].fd >= 0)
			close(h->q[i].fd);
	h->qn = 0;
}

/* Sends the longest run of one kind at the queue's head (one message).
 * Returns 0 (sent, or refused and counted), -EAGAIN, or another negative
 * errno when the session itself failed. */
static int send_head(struct hold *h, int flags)
{
	uint64_t keys[FDHOLD_KEYS_MAX];
	int fds[FDHOLD_KEYS_MAX];
	bool put = h->q[0].fd >= 0;
	uint32_t n = 0;
	int r;

	while (n < h->qn && n < FDHOLD_KEYS_MAX && (h->q[n].fd >= 0) == put) {
		keys[n] = h->q[n].key;
		fds[n] = h->q[n].fd;
		n++;
	}
	r = put ? fdhold_put(h->ev.fd, keys, fds, n, flags)
		: fdhold_drop(h->ev.fd, keys, n, flags);
	if (r == -EAGAIN)
		return r;
	if (r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN)
		return r;
	if (r < 0 && put)
		h->put_failed += n;
	for (uint32_t i = 0; put && i < n; i++)
		close(fds[i]);
	h->qn -= n;
	memmove(h->q, h->q + n, h->qn * sizeof(*h->q));
	return 0;
}

static int flush(struct hold *h, int flags)
{
	int r = 0;

	while (h->qn > 0 && h->ev.fd >= 0 && (r = send_head(h, flags)) == 0)
		;
	if (r < 0 && r != -EAGAIN) {
		/* The session is gone: what waits is lost with it (the holder
		 * that replaces this one is handed everything again). */
		for (uint32_t i = 0; i < h->qn; i++)
			h->put_failed += h->q[i].fd >= 0;
		queue_clear(h);
	}
	want_out(h);
	return r;
}

static int enqueue(struct hold *h, uint64_t key, int fd)
{
	if (h->qn == h->qcap) {
		uint32_t cap = h->qcap ? h->qcap * 2 : 64;
		struct hold_op *q = realloc(h->q, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		h->q = q;
		h->qcap = cap;
	}
	h->q[h->qn++] = (struct hold_op){ key, fd };
	want_out(h);
	return 0;
}

int hold_put(void *arg, uint64_t key, int fd)
{
	struct hold *h = arg;
	uint32_t puts = 0;
	int r;

	if (h->ev.fd < 0)
		return -ENOTCONN;
	/* Never waiting: a holder that stopped reading costs this fd its
	 * keeping, not the daemon its loop. */
	if (h->qn == 0) {
		r = fdhold_put(h->ev.fd, &key, &fd, 1, MSG_DONTWAIT);
		if (r != -EAGAIN) {
			if (r < 0)
				h->put_failed++;
			return r;
		}
	}
	for (uint32_t i = 0; i < h->qn; i++)
		puts += h->q[i].fd >= 0;
	if (puts >= (h->waiting_max ? h->waiting_max : HOLD_WAITING_MAX)) {
		h->put_failed++;
		return -ENOBUFS;
	}
	/* Our own reference: the caller may close fd before it is sent. */
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0 || (r = enqueue(h, key, dup)) < 0) {
		r = dup < 0 ? -errno : r;
		if (dup >= 0)
			close(dup);
		h->put_failed++;
		return r;
	}
	return 0;
}

void hold_drop(void *arg, uint64_t key)
{
	struct hold *h = arg;

	if (h->ev.fd < 0)
		return;
	/* Its PUT has not left yet: taken back, the holder never sees it. */
	for (uint32_t i = h->qn; i-- > 0;) {
		if (h->q[i].key != key)
			continue;
		if (h->q[i].fd < 0)
			break;
		close(h->q[i].fd);
		memmove(h->q + i, h->q + i + 1, (h->qn - i - 1) * sizeof(*h->q));
		h->qn--;
		want_out(h);
		return;
	}
	if (h->qn == 0 &&
	    fdhold_drop(h->ev.fd, &key, 1, MSG_DONTWAIT) != -EAGAIN)
		return;
	/* Kept in order behind what waits; if even that fails the holder
	 * keeps the fd until the next memlogd finds no source for its key
	 * and drops it. */
	IGNORE_RESULT(enqueue(h, key, -1));
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
	return h->qn ? flush(h, 0) : 0;
}

/* The holder is gone (its session ended): a new one, handed everything. */
static void replace(struct hold *h, struct loop *loop)
{
	int sock;

	queue_clear(h);
	loop_unwatch(loop, &h->ev);
	close(h->ev.fd);
	h->ev.fd = -1;
	h->wants_out = false;
	if (h->pid > 0)
		waitpid(h->pid, NULL, WNOHANG);
	h->pid = 0;
	if (fdhold_spawn(h->path, h->binary, &sock, &h->pid) < 0)
		return; /* said by the caller (put_failed grows) */
	h->ev.fd = sock;
	h->respawns++;
	if (loop_watch(loop, &h->ev, EPOLLIN) < 0) {
		close(sock);
		h->ev.fd = -1;
		return;
	}
	if (h->lost)
		h->lost(h);
}

static void hold_event(struct ev *ev, uint32_t events)
{
	struct hold *h = container_of(ev, struct hold, ev);
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];

	/* A failed session is found by the reading below. */
	if (events & EPOLLOUT)
		IGNORE_RESULT(flush(h, MSG_DONTWAIT));
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
		IGNORE_RESULT(hold_flush(h));
	queue_clear(h);
	free(h->q);
	h->q = NULL;
	h->qcap = 0;
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
