#include "fdmgr.h"
#include "harness.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void fdmgr_init(struct fdmgr *g, const char *dir)
{
	struct sockaddr_un sa;

	memset(g, 0, sizeof(*g));
	snprintf(g->path, sizeof(g->path), "%s/notify.sock", dir);
	h_sun_path(&sa, g->path);
	g->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(g->sock >= 0);
	assert_int_equal(bind(g->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void store(struct fdmgr *g, const char *name, const int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (g->n == FDMGR_MAX) {
			g->overflow = true;
			close(fds[i]);
			continue;
		}
		snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
		g->fds[g->n++] = fds[i];
	}
}

static void remove_name(struct fdmgr *g, const char *name)
{
	if (g->nremoved < FDMGR_MAX)
		snprintf(g->removed[g->nremoved++], sizeof(g->removed[0]), "%s",
			 name);
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->names[i], name)) {
			close(g->fds[i]);
			if (i != --g->n) {
				g->fds[i] = g->fds[g->n];
				memcpy(g->names[i], g->names[g->n],
				       sizeof(g->names[i]));
			}
			i--;
		}
}

bool fdmgr_poll(struct fdmgr *g, int timeout_ms)
{
	char buf[1024];
	union {
		char b[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct pollfd p = { .fd = g->sock, .events = POLLIN };
	int fds[8], nfds = 0;

	if (timeout_ms > 0 && poll(&p, 1, timeout_ms) <= 0)
		return false;
	ssize_t n = recvmsg(g->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return false;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), (size_t)nfds * sizeof(int));
		}
	const char *name = strstr(buf, "FDNAME=");
	char nm[256] = "";
	if (name)
		snprintf(nm, sizeof(nm), "%.*s", (int)strcspn(name + 7, "\n"),
			 name + 7);
	if (!strncmp(buf, "FDSTORE=1\n", 10)) {
		g->odd += !name || !nfds;
		store(g, nm, fds, nfds);
		return true;
	}
	if (!strncmp(buf, "FDSTOREREMOVE=1\n", 16)) {
		g->odd += !name || nfds;
		remove_name(g, nm);
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return true;
}

void fdmgr_drain(struct fdmgr *g)
{
	while (fdmgr_poll(g, 0))
		;
}

bool fdmgr_wait_held(struct fdmgr *g, int want)
{
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;

	for (;;) {
		fdmgr_drain(g);
		if (g->n == want)
			return true;
		if (h_now_ms() >= end)
			return false;
		fdmgr_poll(g, 5);
	}
}

bool fdmgr_was_removed(struct fdmgr *g, const char *name, int wait_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)wait_ms;

	for (;;) {
		for (int i = 0; i < g->nremoved; i++)
			if (!strcmp(g->removed[i], name))
				return true;
		if (h_now_ms() >= end)
			return false;
		fdmgr_poll(g, 50);
	}
}

void fdmgr_free(struct fdmgr *g)
{
	for (int i = 0; i < g->n; i++)
		close(g->fds[i]);
	g->n = 0;
	if (g->sock >= 0)
		close(g->sock);
	g->sock = -1;
}
