#include "syslogd.h"
#include "cmsg.h"
#include "diag.h"
#include "jsonenc.h"
#include "listen.h"
#include "record.h"
#include "syslogmsg.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Larger than any datagram a sender's default socket buffer lets through
 * (about 208 KiB); a bigger one is cut, and that is said (see below). */
#define SYSLOG_DGRAM_MAX (256u << 10)
#define SYSLOG_PER_TURN 64

struct syslog_listener {
	struct ev ev;
	struct loop *loop;
	struct store *store;
	uint32_t generic;        /* source "syslog": untagged and malformed */
	uint64_t sweep_after;    /* srctab.made at which a full sweep may run */
	uint64_t sweep_ms;       /* when one ran last */
	char *buf;
	char path[108];
};

/* The attributes of one entry being built: KEY=VALUE, NUL-separated, at
 * most limit bytes. */
struct attrs {
	char a[RECORD_ATTRS_MAX];
	size_t len;
	size_t limit;
};

/* Copies n bytes to dst with every NUL written as U+FFFD: NUL separates
 * attributes, and one inside a sender's value would make up attributes
 * of its choosing (a forged _pid, say). Returns the bytes written. */
static size_t copy_nul_free(char *dst, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i]) {
			dst[o++] = src[i];
			continue;
		}
		memcpy(dst + o, "\xef\xbf\xbd", 3);
		o += 3;
	}
	return o;
}

static size_t nul_free_len(const char *s, size_t n)
{
	size_t l = n;

	for (size_t i = 0; i < n; i++)
		l += s[i] ? 0 : 2;
	return l;
}

/* Appends KEY=VALUE if it fits. */
static void attr(struct attrs *at, const char *k, size_t kl, const char *v,
		 size_t vl)
{
	char *a = at->a;
	size_t *alen = &at->len;
	size_t need = (*alen ? 1 : 0) + nul_free_len(k, kl) + 1 +
		      nul_free_len(v, vl);

	if (*alen + need > at->limit)
		return;
	if (*alen)
		a[(*alen)++] = '\0';
	*alen += copy_nul_free(a + *alen, k, kl);
	a[(*alen)++] = '=';
	*alen += copy_nul_free(a + *alen, v, vl);
}

static void attr_str(struct attrs *at, const char *k, struct syslog_str v)
{
	if (v.s)
		attr(at, k, strlen(k), v.s, v.len);
}

static uint32_t slot_for(struct syslog_listener *l, const struct syslog_msg *m)
{
	struct srctab *t = &l->store->srcs;

	if (!m || !m->tag.s)
		return l->generic;
	/* Tags are chosen by any local program: they may take new slots only
	 * while the table is less than half full, so that a flood of made-up
	 * tags cannot crowd out fd registrations. Past that, known tags keep
	 * their slot and new ones go to "syslog", with the tag kept as the
	 * attribute "tag". */
	uint64_t oldest = store_oldest(l->store);
	if (t->nused >= t->max / 2 && t->made >= l->sweep_after &&
	    l->loop->now_ms >= l->sweep_ms + (l->sweep_after ? 0 : 1000)) {
		/* Half full, perhaps of dead tags: a full sweep. Its cost is
		 * paid for by the slots it frees: the next one waits until
		 * half of them are used again (or a second, if it freed
		 * none). */
		uint32_t got = srctab_sweep(t, oldest, t->nslots);
		l->sweep_after = got ? t->made + got / 2 + 1 : 0;
		l->sweep_ms = l->loop->now_ms;
	}
	int r = t->nused < t->max / 2
		? srctab_get(t, m->tag.s, m->tag.len, STREAM_SYSLOG, oldest)
		: srctab_find(t, m->tag.s, m->tag.len, STREAM_SYSLOG, oldest);
	/* A full table does not lose the message: it goes to "syslog". */
	return r < 0 ? l->generic : (uint32_t)r;
}

static void message(struct syslog_listener *l, const char *buf, size_t n,
		    pid_t pid, uid_t uid, bool have_creds)
{
	struct store *st = l->store;
	struct syslog_msg m;
	struct attrs at = { .len = 0, .limit = RECORD_ATTRS_MAX };
	char cpid[24], cuid[24];
	int cpl = 0, cul = 0;
	int prio = RING_NO_PRIORITY, fac = RING_NO_PRIORITY;
	const char *msg = buf;
	size_t len = n;
	bool ok = syslog_parse(buf, n, &m) == 0;

	uint32_t slot = slot_for(l, ok ? &m : NULL);
	struct srcinfo *si = srctab_at(&st->srcs, slot);
	if (have_creds) {
		si->pid = (int32_t)pid;
		si->uid = (uint32_t)uid;
	}
	if (!store_rate_pass(st, slot, l->loop->now_ms)) {
		si->dropped++;
		return;
	}
	if (have_creds) {
		/* What the kernel vouches for comes last but is never crowded
		 * out by what the sender claims: its room is kept free. */
		cpl = snprintf(cpid, sizeof(cpid), "%d", (int)pid);
		cul = snprintf(cuid, sizeof(cuid), "%u", (unsigned)uid);
		at.limit -= (size_t)(1 + 5 + cpl + 1 + 5 + cul);
	}
	if (ok) {
		struct syslog_sd_iter it = { 0 };
		struct syslog_str id, name, value;
		prio = m.priority;
		fac = m.facility;
		msg = m.msg.s ? m.msg.s : "";
		len = m.msg.len;
		if (slot == l->generic && m.tag.s)
			attr_str(&at, "tag", m.tag);
		attr_str(&at, "pid", m.procid);
		attr_str(&at, "hostname", m.hostname);
		attr_str(&at, "msgid", m.msgid);
		while (syslog_sd_next(&m, &it, &id, &name, &value)) {
			char key[96], val[512];
			int kl = snprintf(key, sizeof(key), "%.*s.%.*s",
					  (int)MIN(id.len, 47), id.s,
					  (int)MIN(name.len, 32), name.s);
			size_t vl = syslog_sd_unescape(val, value.s,
						       MIN(value.len, sizeof(val)));
			attr(&at, key, (size_t)kl, val, vl);
		}
	} else {
		while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\0'))
			len--;
	}
	if (have_creds) {
		at.limit = RECORD_ATTRS_MAX;
		attr(&at, "_pid", 4, cpid, (size_t)cpl);
		attr(&at, "_uid", 4, cuid, (size_t)cul);
	}
	store_message(st, slot, now_realtime_ns(), prio, fac, msg, len, at.a,
		      at.len);
}

static void syslog_event(struct ev *ev, uint32_t events)
{
	struct syslog_listener *l = container_of(ev, struct syslog_listener, ev);

	for (int i = 0; i < SYSLOG_PER_TURN; i++) {
		/* Room for every fd a sender can pass (syslog carries none):
		 * fds the kernel drops for want of room would be closed in
		 * our context, where a lingering socket could block us. */
		union {
			char buf[CMSG_SPACE(sizeof(struct ucred)) +
				 CMSG_SPACE(CMSG_FDS_MAX * sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { l->buf, SYSLOG_DGRAM_MAX };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct cmsg_info ci;

		/* MSG_TRUNC: n is the datagram's real length, even if it
		 * did not fit. */
		ssize_t n = recvmsg(ev->fd, &mh,
				    MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		cmsg_collect(&mh, &ci);
		for (int j = 0; j < ci.nfds; j++)
			fd_close_nowait(ci.fds[j]);
		if ((size_t)n > SYSLOG_DGRAM_MAX) {
			store_notice(l->store, true, "syslog: a message of %zd "
				     "bytes was cut to its first %u bytes", n,
				     SYSLOG_DGRAM_MAX);
			n = SYSLOG_DGRAM_MAX;
		}
		message(l, l->buf, (size_t)n, ci.cred.pid, ci.cred.uid,
			ci.has_cred);
	}
}

/* Serves fd (bound at path). Takes fd. */
static struct syslog_listener *serve(struct loop *loop, struct store *store,
				     const char *path, int fd)
{
	struct syslog_listener *l = calloc(1, sizeof(*l));
	int one = 1;

	if (!l || strlen(path) >= sizeof(l->path))
		goto fail;
	IGNORE_RESULT(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	l->loop = loop;
	l->store = store;
	l->ev.fd = fd;
	l->ev.cb = syslog_event;
	strcpy(l->path, path);
	l->buf = malloc(SYSLOG_DGRAM_MAX);
	int slot = srctab_get(&store->srcs, "syslog", 6, STREAM_SYSLOG,
			      store_oldest(store));
	if (!l->buf || slot < 0 || loop_watch(loop, &l->ev, EPOLLIN) < 0)
		goto fail;
	l->generic = (uint32_t)slot;
	/* Kept alive for good, like the daemon's own source. */
	srctab_at(&store->srcs, l->generic)->fds++;
	return l;
fail:
	close(fd);
	if (l)
		free(l->buf);
	free(l);
	return NULL;
}

struct syslog_listener *syslogd_open(struct loop *loop, struct store *store,
				     const char *path)
{
	int fd = listen_unix(path, SOCK_DGRAM, 0666);

	if (fd < 0) {
		const char *why = fd == -EADDRINUSE
			? "another syslog daemon serves it"
			: strerror(-fd);
		diag_warn("syslog socket %s: %s; going on without it", path, why);
		store_notice(store, false, "syslog socket %s: %s; going on "
			     "without it", path, why);
		return NULL;
	}
	struct syslog_listener *l = serve(loop, store, path, fd);
	if (!l)
		unlink(path);
	return l;
}

struct syslog_listener *syslogd_adopt(struct loop *loop, struct store *store,
				      const char *path, int fd)
{
	return serve(loop, store, path, fd);
}

int syslogd_fd(const struct syslog_listener *l)
{
	return l->ev.fd;
}

void syslogd_close(struct syslog_listener *l)
{
	if (!l)
		return;
	loop_unwatch(l->loop, &l->ev);
	close(l->ev.fd);
	unlink(l->path);
	free(l->buf);
	free(l);
}
