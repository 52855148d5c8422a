#include "source.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many read() calls per source per loop iteration, so one
 * busy source cannot starve the others. */
#define SOURCE_READS_PER_TURN 4

static void notice_suppressed(struct daemon *d, struct srcinfo *si, uint64_t n)
{
	daemon_notice(d, true, "rate limit: suppressed %llu lines from %s (%s)",
		      (unsigned long long)n, srctab_name(&d->srcs, si),
		      stream_name((enum stream)si->stream));
}

static void source_emit(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct source *s = arg;
	struct daemon *d = s->d;
	struct srcinfo *si = srctab_at(&d->srcs, s->slot);
	uint32_t rf = 0;

	/* The rate limit decides once per line, so a split line is kept or
	 * dropped whole and readers never see a piece without its start. */
	if (d->cfg->rate_lines && !s->in_line) {
		uint64_t report;
		bool pass = ratelimit_pass(&si->rl, d->cfg->rate_lines,
					   d->cfg->rate_seconds, d->now_ms,
					   &report);
		if (report)
			notice_suppressed(d, si, report);
		s->dropping = !pass;
	}
	s->in_line = flags & LINE_PARTIAL;
	if (s->dropping) {
		if (!(flags & LINE_PARTIAL))
			si->dropped++;
		return;
	}
	if (flags & LINE_PARTIAL)
		rf |= RING_F_PARTIAL;
	if (flags & LINE_NOEOL)
		rf |= RING_F_NOEOL;
	daemon_store(d, s->slot, s->read_ns, rf, msg, len);
}

static void source_event(struct ev *ev, uint32_t events)
{
	source_service(container_of(ev, struct source, ev));
}

/* Is fd something a log stream can come from? Pipes, FIFOs, connected
 * sockets, ttys and other character devices, regular files: yes. A
 * directory, a listening socket, a write-only fd, or an eventfd, epoll,
 * timerfd and the like (anonymous inodes): no. */
static int check_fd(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0)
		return -errno;
	if ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH))
		return -EBADF;
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO:
	case S_IFCHR:
	case S_IFREG:
		return 0;
	case S_IFSOCK: {
		int listening = 0;
		socklen_t l = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) == 0 &&
		    listening)
			return -EINVAL;
		return 0;
	}
	case S_IFDIR:
		return -EISDIR;
	default:
		return -EINVAL;
	}
}

int source_add(struct daemon *d, int fd, const char *name, size_t name_len,
	       enum stream stream, pid_t pid, uid_t uid)
{
	struct source *s;
	int r;

	if (d->nsources >= d->max_sources) {
		r = -EMFILE;
		goto fail;
	}
	r = check_fd(fd);
	if (r < 0)
		goto fail;
	r = fd_set_nonblock(fd);
	if (r < 0)
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto fail;
	}
	r = srctab_get(&d->srcs, name, name_len, stream,
		       d->ring.meta->oldest_seq);
	if (r < 0) {
		free(s);
		goto fail;
	}
	s->slot = (uint32_t)r;
	s->d = d;
	s->ev.fd = fd;
	s->ev.cb = source_event;
	linebuf_init(&s->lb, d->cfg->max_line_len);
	list_init(&s->busy_link);
	r = daemon_watch(d, &s->ev, EPOLLIN);
	if (r == -EPERM) {
		/* Regular files and some character devices cannot be polled:
		 * they are always readable, so they are read every turn. */
		list_add_tail(&d->busy, &s->busy_link);
	} else if (r < 0) {
		free(s);
		goto fail;
	}
	struct srcinfo *si = srctab_at(&d->srcs, s->slot);
	si->fds++;
	if (pid >= 0) {
		si->pid = (int32_t)pid;
		si->uid = (uint32_t)uid;
	}
	list_add_tail(&d->sources, &s->link);
	d->nsources++;
	return 0;
fail:
	close(fd);
	return r;
}

void source_close(struct source *s, int err)
{
	struct daemon *d = s->d;
	struct srcinfo *si = srctab_at(&d->srcs, s->slot);

	s->read_ns = now_realtime_ns();
	linebuf_finish(&s->lb, source_emit, s);
	if (d->cfg->rate_lines) {
		uint64_t n = ratelimit_flush(&si->rl, d->cfg->rate_seconds,
					     d->now_ms, si->fds == 1);
		if (n)
			notice_suppressed(d, si, n);
	}
	if (err && err != -EIO && err != -ECONNRESET)
		daemon_notice(d, false, "source %s (%s): read failed: %s; closed",
			      srctab_name(&d->srcs, si),
			      stream_name((enum stream)si->stream),
			      strerror(-err));
	list_del(&s->link);
	list_del(&s->busy_link);
	/* Explicitly: close() leaves the epoll set only when no other process
	 * (a sender that kept its copy of the fd) holds the file open; a
	 * stale entry would then deliver events for freed memory. */
	daemon_unwatch(d, &s->ev);
	close(s->ev.fd);
	si->fds--;
	d->nsources--;
	free(s);
}

void source_service(struct source *s)
{
	struct daemon *d = s->d;

	for (int i = 0; i < SOURCE_READS_PER_TURN; i++) {
		ssize_t n = read(s->ev.fd, d->readbuf, d->readbuf_size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			source_close(s, -errno);
			return;
		}
		if (n == 0) {
			source_close(s, 0);
			return;
		}
		s->read_ns = now_realtime_ns();
		d->turn_bytes += (size_t)n;
		if (linebuf_feed(&s->lb, d->readbuf, (size_t)n, source_emit, s) < 0)
			daemon_notice(d, false,
				      "out of memory assembling a line of %s",
				      srctab_name(&d->srcs,
						  srctab_at(&d->srcs, s->slot)));
		/* A short read means the pipe is empty: skip the EAGAIN read. */
		if ((size_t)n < d->readbuf_size)
			return;
	}
}
