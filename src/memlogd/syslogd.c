#include "syslogd.h"
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
	struct daemon *d;
	uint32_t generic;        /* source "syslog": untagged and malformed */
	char *buf;
	char path[108];
};

/* Appends KEY=VALUE (NUL-separated) if it fits. */
static void attr(char *a, size_t *alen, const char *k, size_t kl,
		 const char *v, size_t vl)
{
	size_t need = (*alen ? 1 : 0) + kl + 1 + vl;

	if (*alen + need > RECORD_ATTRS_MAX)
		return;
	if (*alen)
		a[(*alen)++] = '\0';
	memcpy(a + *alen, k, kl);
	*alen += kl;
	a[(*alen)++] = '=';
	memcpy(a + *alen, v, vl);
	*alen += vl;
}

static void attr_str(char *a, size_t *alen, const char *k,
		     struct syslog_str v)
{
	if (v.s)
		attr(a, alen, k, strlen(k), v.s, v.len);
}

static uint32_t slot_for(struct syslog_listener *l, const struct syslog_msg *m)
{
	struct daemon *d = l->d;

	if (!m || !m->tag.s)
		return l->generic;
	/* Tags are chosen by any local program: they may take new slots only
	 * while the table is less than half full, so that a flood of made-up
	 * tags cannot crowd out fd registrations. Past that, known tags keep
	 * their slot and new ones go to "syslog", with the tag kept as the
	 * attribute "tag". */
	uint64_t oldest = d->ring.meta->oldest_seq;
	int r = d->srcs.nused < d->srcs.max / 2
		? srctab_get(&d->srcs, m->tag.s, m->tag.len, STREAM_SYSLOG, oldest)
		: srctab_find(&d->srcs, m->tag.s, m->tag.len, STREAM_SYSLOG, oldest);
	/* A full table does not lose the message: it goes to "syslog". */
	return r < 0 ? l->generic : (uint32_t)r;
}

static void message(struct syslog_listener *l, const char *buf, size_t n,
		    pid_t pid, uid_t uid, bool have_creds)
{
	struct daemon *d = l->d;
	struct syslog_msg m;
	char attrs[RECORD_ATTRS_MAX];
	size_t alen = 0;
	int prio = RING_NO_PRIORITY, fac = RING_NO_PRIORITY;
	const char *msg = buf;
	size_t len = n;
	bool ok = syslog_parse(buf, n, &m) == 0;

	uint32_t slot = slot_for(l, ok ? &m : NULL);
	struct srcinfo *si = srctab_at(&d->srcs, slot);
	if (have_creds) {
		si->pid = (int32_t)pid;
		si->uid = (uint32_t)uid;
	}
	if (d->cfg->rate_lines) {
		uint64_t report;
		bool pass = ratelimit_pass(&si->rl, d->cfg->rate_lines,
					   d->cfg->rate_seconds, d->now_ms,
					   &report);
		if (report)
			daemon_notice(d, true, "rate limit: suppressed %llu "
				      "lines from %s (syslog)",
				      (unsigned long long)report,
				      srctab_name(&d->srcs, si));
		if (!pass) {
			si->dropped++;
			return;
		}
	}
	if (ok) {
		struct syslog_sd_iter it = { 0 };
		struct syslog_str id, name, value;
		prio = m.priority;
		fac = m.facility;
		msg = m.msg.s ? m.msg.s : "";
		len = m.msg.len;
		if (slot == l->generic && m.tag.s)
			attr_str(attrs, &alen, "tag", m.tag);
		attr_str(attrs, &alen, "pid", m.procid);
		attr_str(attrs, &alen, "hostname", m.hostname);
		attr_str(attrs, &alen, "msgid", m.msgid);
		while (syslog_sd_next(&m, &it, &id, &name, &value)) {
			char key[96], val[512];
			int kl = snprintf(key, sizeof(key), "%.*s.%.*s",
					  (int)MIN(id.len, 47), id.s,
					  (int)MIN(name.len, 32), name.s);
			size_t vl = syslog_sd_unescape(val, value.s,
						       MIN(value.len, sizeof(val)));
			attr(attrs, &alen, key, (size_t)kl, val, vl);
		}
	} else {
		while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\0'))
			len--;
	}
	if (have_creds) {
		char v[24];
		int vl = snprintf(v, sizeof(v), "%d", (int)pid);
		attr(attrs, &alen, "_pid", 4, v, (size_t)vl);
		vl = snprintf(v, sizeof(v), "%u", (unsigned)uid);
		attr(attrs, &alen, "_uid", 4, v, (size_t)vl);
	}
	daemon_store_message(d, slot, now_realtime_ns(), prio, fac, msg, len,
			     attrs, alen);
}

static void syslog_event(struct ev *ev, uint32_t events)
{
	struct syslog_listener *l = container_of(ev, struct syslog_listener, ev);

	for (int i = 0; i < SYSLOG_PER_TURN; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct ucred)) +
				 CMSG_SPACE(8 * sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { l->buf, SYSLOG_DGRAM_MAX };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct ucred uc = { 0 };
		bool creds = false;

		/* MSG_TRUNC: n is the datagram's real length, even if it
		 * did not fit. */
		ssize_t n = recvmsg(ev->fd, &mh,
				    MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if ((size_t)n > SYSLOG_DGRAM_MAX) {
			daemon_notice(l->d, true, "syslog: a message of %zd bytes "
				      "was cut to its first %u bytes", n,
				      SYSLOG_DGRAM_MAX);
			n = SYSLOG_DGRAM_MAX;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS) {
				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				creds = true;
			} else if (c->cmsg_type == SCM_RIGHTS) {
				/* syslog carries no fds: close any sent */
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t j = 0; j < k; j++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + j * sizeof(int),
					       sizeof(int));
					close(fd);
				}
			}
		}
		message(l, l->buf, (size_t)n, uc.pid, uc.uid, creds);
	}
}

struct syslog_listener *syslogd_open(struct daemon *d, const char *path)
{
	struct syslog_listener *l = calloc(1, sizeof(*l));
	int fd = -1, one = 1;

	if (!l || strlen(path) >= sizeof(l->path))
		goto fail_quiet;
	fd = listen_unix(path, SOCK_DGRAM, 0666);
	if (fd < 0) {
		const char *why = fd == -EADDRINUSE
			? "another syslog daemon serves it"
			: strerror(-fd);
		fprintf(stderr, "memlogd: syslog socket %s: %s; going on "
			"without it\n", path, why);
		daemon_notice(d, false, "syslog socket %s: %s; going on without it",
			      path, why);
		free(l);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	l->d = d;
	l->ev.fd = fd;
	l->ev.cb = syslog_event;
	strcpy(l->path, path);
	l->buf = malloc(SYSLOG_DGRAM_MAX);
	int slot = srctab_get(&d->srcs, "syslog", 6, STREAM_SYSLOG,
			      d->ring.meta->oldest_seq);
	if (!l->buf || slot < 0 || daemon_watch(d, &l->ev, EPOLLIN) < 0)
		goto fail;
	l->generic = (uint32_t)slot;
	/* Kept alive for good, like the daemon's own source. */
	srctab_at(&d->srcs, l->generic)->fds++;
	return l;
fail:
	unlink(path);
	close(fd);
	free(l->buf);
fail_quiet:
	free(l);
	return NULL;
}

void syslogd_close(struct syslog_listener *l)
{
	if (!l)
		return;
	close(l->ev.fd);
	unlink(l->path);
	free(l->buf);
	free(l);
}
