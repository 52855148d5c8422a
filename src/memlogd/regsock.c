#include "regsock.h"
#include "cmsg.h"
#include "regmsg.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define REG_FDS_MAX 8        /* fds kept from one registration datagram */
#define REG_PER_TURN 64      /* datagrams read per wake-up */

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
		       "eventfd, a device that never ends or the like)";
	case -ENOTSUP: return "a tee source must be a pipe or socket";
	case -ELOOP:
		return "it would never end (memlogd's own socket, a FIFO also "
		       "open for writing, or a tee onto its own source)";
	default: return strerror(-r);
	}
}

/* One fd of a registration (with its tee destination, or -1). Returns
 * NULL, or why it was refused. */
static const char *register_fd(struct regsock *rg, const struct reg_msg *m,
			       int fd, int tee_fd, const struct cmsg_info *ci)
{
	struct srctab *t = &rg->store->srcs;
	int old = srctab_find(t, m->name, m->name_len, m->stream,
			      store_oldest(rg->store));
	int32_t old_pid = old >= 0 ? srctab_at(t, (uint32_t)old)->pid : -1;
	uint32_t old_uid = old >= 0 ? srctab_at(t, (uint32_t)old)->uid : 0;
	int r = sources_add(rg->sources, fd, tee_fd, m->name, m->name_len,
			    m->stream, ci->has_cred ? ci->cred.pid : -1,
			    ci->has_cred ? ci->cred.uid : 0);

	if (r >= 0) {
		rg->c.accepted++;
		/* A name another uid had (or a new one): its new uid sees
		 * it from here on only. */
		int slot = rg->uid_since ? srctab_find(t, m->name, m->name_len,
						       m->stream,
						       store_oldest(rg->store))
					 : -1;
		if (slot >= 0 && (slot != old || old_pid < 0 ||
				  old_uid != srctab_at(t, (uint32_t)slot)->uid))
			rg->uid_since[slot] = rg->store->ring.meta->next_seq;
		return NULL;
	}
	rg->c.refused += tee_fd >= 0 ? 2 : 1;
	const char *why = refusal(r, tee_fd >= 0);
	store_notice(rg->store, true, "registration of %.*s refused: %s",
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
		size_t len = (size_t)MIN(n, (int)sizeof(line) - 1);
		ssize_t w = send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, line, len);
		IGNORE_RESULT(w); /* the answer is best effort */
	}
	fd_close_nowait(fd);
}

/* A datagram with tee=1: exactly a source and where its bytes go on to.
 * Anything else is refused whole: reading a source without its copy would
 * starve whoever waits for it. */
static const char *register_tee(struct regsock *rg, const struct reg_msg *m,
				struct cmsg_info *ci)
{
	if (ci->nfds != 2) {
		rg->c.refused += (uint64_t)ci->nfds;
		store_notice(rg->store, true, "registration of %.*s refused: "
			     "tee=1 needs 2 file descriptors, got %d",
			     (int)m->name_len, m->name, ci->nfds);
		cmsg_close_fds(ci);
		return "tee=1 needs 2 file descriptors";
	}
	return register_fd(rg, m, ci->fds[0], ci->fds[1], ci);
}

/* Plain registration: every fd (up to REG_FDS_MAX) a source of the name.
 * Returns the first refusal, or NULL. */
static const char *register_all(struct regsock *rg, const struct reg_msg *m,
				struct cmsg_info *ci)
{
	const char *why = NULL;

	for (int i = 0; i < ci->nfds; i++) {
		if (i >= REG_FDS_MAX) {
			fd_close_nowait(ci->fds[i]);
			rg->c.refused++;
			why = "too many fds in one datagram";
			continue;
		}
		const char *w = register_fd(rg, m, ci->fds[i], -1, ci);
		if (w && !why)
			why = w;
	}
	if (ci->nfds > REG_FDS_MAX)
		store_notice(rg->store, true, "registration of %.*s: %d file "
			     "descriptors refused (at most %d per datagram)",
			     (int)m->name_len, m->name, ci->nfds - REG_FDS_MAX,
			     REG_FDS_MAX);
	return why;
}

/* A container registration (container=ID, docs/protocol.md): no source;
 * with ack=1 its one fd takes the answer. */
static void container(struct regsock *rg, const struct reg_msg *m,
		      struct cmsg_info *ci)
{
	int ack_fd = m->ack && ci->nfds > 0 ? ci->fds[--ci->nfds] : -1;
	const char *why = "this memlogd keeps no containers";

	cmsg_close_fds(ci);
	if (rg->ctrs)
		why = ctrreg_register(rg->ctrs, m, ci->has_cred ? &ci->cred : NULL,
				      now_mono_ms());
	if (ack_fd >= 0)
		send_ack(ack_fd, why);
}

/* A kernel log relay (relay=kernel): exactly one fd, the stream of
 * records; with ack=1 a second takes the answer. Refusals are counted
 * and said as any source's. */
static void relay(struct regsock *rg, const struct reg_msg *m,
		  struct cmsg_info *ci, bool truncated)
{
	int ack_fd = m->ack && ci->nfds > 1 ? ci->fds[--ci->nfds] : -1;
	const char *why = "this memlogd takes no kernel log relay";

	if (truncated) {
		/* Which of the fds the kernel dropped is not known. */
		why = "memlogd is out of file descriptors";
		cmsg_close_fds(ci);
	} else if (ci->nfds != 1) {
		why = "relay=kernel needs one file descriptor";
		cmsg_close_fds(ci);
	} else if (rg->kernel_relay) {
		why = rg->kernel_relay(rg->relay_arg, ci->fds[0],
				       ci->has_cred ? &ci->cred : NULL);
	} else {
		cmsg_close_fds(ci);
	}
	if (why) {
		rg->c.refused++;
		store_notice(rg->store, true, "kernel log relay refused: %s",
			     why);
	} else {
		rg->c.accepted++;
	}
	if (ack_fd >= 0)
		send_ack(ack_fd, why);
}

/* One registration datagram: the name (and attributes) and its fds.
 * Returns false when there was none to read. */
static bool registration(struct regsock *rg)
{
	char buf[REG_DGRAM_MAX];
	struct cmsg_info ci;
	int flags = 0;

	ssize_t n = cmsg_recv(rg->ev.fd, buf, sizeof(buf), 0, &ci, &flags);
	if (n < 0) {
		if (n != -EAGAIN)
			store_notice(rg->store, false, "registration socket: %s",
				     strerror((int)-n));
		return false;
	}
	struct reg_msg m;
	reg_parse(buf, (size_t)n, &m);
	if (reg_find(&m, "container")) {
		container(rg, &m, &ci);
		return true;
	}
	if (flags & MSG_CTRUNC) {
		/* The kernel could not give us every fd (we are out of fds):
		 * those are closed by the kernel, the sender is not told. */
		rg->c.lost_fds++;
		store_notice(rg->store, true, "registration: file descriptors "
			     "lost (memlogd is out of file descriptors)");
	}
	const struct reg_attr *ra = reg_find(&m, "relay");
	if (ra && ra->val_len == 6 && !memcmp(ra->val, "kernel", 6)) {
		relay(rg, &m, &ci, flags & MSG_CTRUNC);
		return true;
	}
	if (ci.nfds == 0) {
		/* LinuxKit ignores these too. Those whose fds the kernel
		 * dropped are counted above, not here. */
		if (!(flags & MSG_CTRUNC))
			rg->c.no_fd++;
		return true;
	}

	if (m.name_truncated || (flags & MSG_TRUNC))
		rg->c.names_truncated++;
	rg->c.bad_attrs += m.bad_attrs;

	/* ack=1: the last fd is for the answer, not a source. */
	int ack_fd = -1;
	if (m.ack) {
		if (ci.nfds < 2) {
			cmsg_close_fds(&ci);
			rg->c.refused++;
			store_notice(rg->store, true, "registration of %.*s "
				     "refused: ack=1 needs a source and an "
				     "answer fd", (int)m.name_len, m.name);
			return true;
		}
		ack_fd = ci.fds[--ci.nfds];
	}
	const char *why = m.tee ? register_tee(rg, &m, &ci)
				: register_all(rg, &m, &ci);
	if (ack_fd >= 0)
		send_ack(ack_fd, why);
	return true;
}

static void reg_event(struct ev *ev, uint32_t events)
{
	struct regsock *rg = container_of(ev, struct regsock, ev);

	for (int i = 0; i < REG_PER_TURN && registration(rg); i++)
		;
}

int regsock_init(struct regsock *rg, struct loop *loop, int fd,
		 struct sources *sources, struct store *store)
{
	int one = 1;

	memset(rg, 0, sizeof(*rg));
	rg->sources = sources;
	rg->store = store;
	/* Credentials are a bonus, not a requirement. */
	IGNORE_RESULT(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	rg->ev = (struct ev){ .fd = fd, .cb = reg_event };
	return loop_watch(loop, &rg->ev, EPOLLIN);
}
