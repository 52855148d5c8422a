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

int hold_put(void *arg, uint64_t key, int fd)
{
	struct hold *h = arg;

	if (h->ev.fd < 0)
		return -ENOTCONN;
	/* Never waiting: a holder that stopped reading costs this fd its
	 * keeping, not the daemon its loop. */
	int r = fdhold_put(h->ev.fd, &key, &fd, 1, MSG_DONTWAIT);
	if (r < 0)
		h->put_failed++;
	return r;
}

void hold_drop(void *arg, uint64_t key)
{
	struct hold *h = arg;

	if (h->ev.fd >= 0)
		IGNORE_RESULT(fdhold_drop(h->ev.fd, &key, 1, MSG_DONTWAIT));
}

/* The holder is gone (its session ended): a new one, handed everything. */
static void replace(struct hold *h, struct loop *loop)
{
	int sock;

	loop_unwatch(loop, &h->ev);
	close(h->ev.fd);
	h->ev.fd = -1;
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
