#include "procwatch.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The proc connector's wire format (Linux's uapi connector.h and
 * cn_proc.h, a stable ABI), written out: musl's static build has no
 * <linux/...> headers. */
#ifndef AF_NETLINK
#define AF_NETLINK 16
#endif
#define NETLINK_CONNECTOR 11
#define CN_IDX_PROC 1
#define CN_VAL_PROC 1
#define PROC_CN_MCAST_LISTEN 1
#define PROC_EVENT_FORK 0x00000001u
#define PROC_EVENT_EXIT 0x80000000u
#define NLMSG_DONE 3

struct nl_hdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};

struct cn_hdr {
	uint32_t idx, val;
	uint32_t seq, ack;
	uint16_t len, flags;
};

struct nl_addr {
	uint16_t family, pad;
	uint32_t pid, groups;
};

#define EV_OFF (sizeof(struct nl_hdr) + sizeof(struct cn_hdr))

static uint32_t slot_of(const struct procwatch *w, int32_t pid)
{
	uint32_t i = ((uint32_t)pid * 2654435761u) & w->mask;

	while (w->t[i].pid && w->t[i].pid != pid)
		i = (i + 1) & w->mask;
	return i;
}

/* Removes slot i, moving later entries of its run back (linear probing
 * without tombstones). */
static void del_at(struct procwatch *w, uint32_t i)
{
	w->t[i].pid = 0;
	w->n--;
	for (uint32_t j = (i + 1) & w->mask; w->t[j].pid; j = (j + 1) & w->mask) {
		struct pw_task x = w->t[j];
		w->t[j].pid = 0;
		w->t[slot_of(w, x.pid)] = x;
	}
}

static void put(struct procwatch *w, int32_t pid, uint32_t key, uint64_t born)
{
	uint32_t i = slot_of(w, pid);

	if (!w->t[i].pid) {
		/* Keep the table at most half full. */
		if (w->n >= PROCWATCH_MAX || w->n + 1 > (w->mask + 1) / 2) {
			w->full++;
			return;
		}
		w->n++;
	}
	w->t[i] = (struct pw_task){ pid, key, born, 0 };
}

static void forget_ended(struct procwatch *w, uint64_t older_than_ms)
{
	for (uint32_t i = 0; i <= w->mask;) {
		struct pw_task *x = &w->t[i];
		if (x->pid && x->ended_ms && x->ended_ms <= older_than_ms) {
			del_at(w, i); /* another entry may have moved here */
			continue;
		}
		i++;
	}
}

static void event(struct procwatch *w, const char *p, size_t len)
{
	uint32_t what;
	uint64_t ts;
	int32_t f[4];

	if (len < 16 + 16)
		return;
	memcpy(&what, p, 4);
	memcpy(&ts, p + 8, 8);
	memcpy(f, p + 16, 16);
	if (what == PROC_EVENT_FORK) {
		/* parent pid, parent tgid, child pid, child tgid */
		uint32_t i = slot_of(w, f[0]);
		uint32_t key = w->t[i].pid && !w->t[i].ended_ms ? w->t[i].ctr : 0;
		uint32_t c = slot_of(w, f[2]);
		if (w->t[c].pid)
			del_at(w, c); /* the pid was handed out again */
		if (key)
			put(w, f[2], key, ts);
	} else if (what == PROC_EVENT_EXIT) {
		uint32_t i = slot_of(w, f[0]);
		if (w->t[i].pid && !w->t[i].ended_ms)
			w->t[i].ended_ms = w->loop->now_ms ? w->loop->now_ms : 1;
	}
}

static void readable(struct ev *ev, uint32_t events)
{
	struct procwatch *w = container_of(ev, struct procwatch, ev);
	union {
		char buf[8192];
		struct nl_hdr align;
	} m;

	for (int turn = 0; turn < 256; turn++) {
		ssize_t n = recv(ev->fd, m.buf, sizeof(m.buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			/* Events were lost: a task may have ended and its pid
			 * been handed out again unseen, so no entry can be
			 * trusted. Everything is forgotten; the registry
			 * seeds the containers' tasks again (reseed). */
			w->lost++;
			memset(w->t, 0, (size_t)(w->mask + 1) * sizeof(*w->t));
			w->n = 0;
			w->reseed = true;
			continue;
		}
		if (n <= 0)
			return;
		for (size_t off = 0; off + sizeof(struct nl_hdr) <= (size_t)n;) {
			struct nl_hdr h;
			memcpy(&h, m.buf + off, sizeof(h));
			if (h.len < sizeof(h) || off + h.len > (size_t)n)
				break;
			if (h.len >= EV_OFF)
				event(w, m.buf + off + EV_OFF, h.len - EV_OFF);
			off += (h.len + 3u) & ~3u;
		}
	}
}

struct procwatch *procwatch_open(struct loop *loop)
{
	struct procwatch *w = calloc(1, sizeof(*w));
	struct nl_addr a = { AF_NETLINK, 0, (uint32_t)getpid(), CN_IDX_PROC };
	struct {
		struct nl_hdr h;
		struct cn_hdr c;
		uint32_t op;
	} req;
	int fd = -1, size = 4 << 20;

	if (!w)
		return NULL;
	w->mask = 2 * PROCWATCH_MAX - 1;
	w->t = calloc(w->mask + 1, sizeof(*w->t));
	w->loop = loop;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_CONNECTOR);
	if (!w->t || fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	/* Room for a burst of forks; SO_RCVBUFFORCE as root. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		IGNORE_RESULT(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
					 sizeof(size)));
	memset(&req, 0, sizeof(req));
	req.h.len = sizeof(req);
	req.h.type = NLMSG_DONE;
	req.h.pid = (uint32_t)getpid();
	req.c.idx = CN_IDX_PROC;
	req.c.val = CN_VAL_PROC;
	req.c.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof(req), 0) < 0)
		goto fail;
	w->ev = (struct ev){ .fd = fd, .cb = readable };
	if (loop_watch(loop, &w->ev, EPOLLIN) < 0)
		goto fail;
	return w;
fail:
	if (fd >= 0)
		close(fd);
	free(w->t);
	free(w);
	return NULL;
}

void procwatch_add(struct procwatch *w, int32_t pid, uint32_t key)
{
	if (w && pid > 0 && key)
		put(w, pid, key, 0);
}

uint32_t procwatch_task(struct procwatch *w, int32_t pid, uint64_t mono_us)
{
	if (!w || pid <= 0)
		return 0;
	/* The events still queued first: the task's fork or end may be
	 * among them. */
	readable(&w->ev, EPOLLIN);
	const struct pw_task *x = &w->t[slot_of(w, pid)];
	if (!x->pid)
		return 0;
	/* Born after the record: another task of that pid. */
	if (x->born_ns && x->born_ns / 1000 > mono_us)
		return 0;
	return x->ctr;
}

void procwatch_tick(struct procwatch *w)
{
	if (w && w->loop->now_ms > PROCWATCH_LINGER_MS)
		forget_ended(w, w->loop->now_ms - PROCWATCH_LINGER_MS);
}

void procwatch_close(struct procwatch *w)
{
	if (!w)
		return;
	loop_unwatch(w->loop, &w->ev);
	close(w->ev.fd);
	free(w->t);
	free(w);
}
