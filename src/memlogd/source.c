#include "source.h"
#include "fdstore.h"
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

static void tee_event(struct ev *ev, uint32_t events);

int source_add(struct daemon *d, int fd, int tee_fd, const char *name,
	       size_t name_len, enum stream stream, pid_t pid, uid_t uid,
	       uint64_t store_id)
{
	struct source *s = NULL;
	int r;

	/* A tee costs a second fd: it counts as a source of its own. */
	if (d->nsources + d->ntees + (tee_fd >= 0) >= d->max_sources) {
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
	s->tee.ev.fd = -1;
	if (tee_fd >= 0) {
		r = tee_open(&s->tee, tee_fd);
		tee_fd = -1; /* tee_open took it */
		if (r < 0)
			goto fail;
		s->has_tee = true;
		s->tee.ev.cb = tee_event;
	}
	r = srctab_get(&d->srcs, name, name_len, stream,
		       d->ring.meta->oldest_seq);
	if (r < 0)
		goto fail;
	s->slot = (uint32_t)r;
	s->d = d;
	s->ev.fd = fd;
	s->ev.cb = source_event;
	linebuf_init(&s->lb, d->cfg->max_line_len);
	list_init(&s->busy_link);
	r = daemon_watch(d, &s->ev, EPOLLIN);
	if (r == -EPERM && s->has_tee) {
		/* Always readable: pausing it for its tee would need a
		 * second kind of waiting; a tee is for pipes and sockets. */
		r = -ENOTSUP;
		goto fail;
	} else if (r == -EPERM) {
		/* Regular files and some character devices cannot be polled:
		 * they are always readable, so they are read every turn. */
		list_add_tail(&d->busy, &s->busy_link);
	} else if (r < 0) {
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
	d->ntees += s->has_tee;
	if (store_id)
		s->store_id = store_id;
	else if (d->cfg->fd_store)
		fdstore_put(d, s);
	return 0;
fail:
	if (s) {
		tee_close(&s->tee);
		free(s);
	}
	if (tee_fd >= 0)
		close(tee_fd);
	close(fd);
	return r;
}

/* The source waits (out of epoll, so that a hang-up of its writer does not
 * wake us in a loop) until the tee has room again. */
static void source_pause(struct source *s)
{
	struct daemon *d = s->d;

	if (s->paused)
		return;
	daemon_unwatch(d, &s->ev);
	s->paused = true;
	srctab_at(&d->srcs, s->slot)->copy_waits++;
	if (!s->tee.watched &&
	    daemon_watch(d, &s->tee.ev, EPOLLOUT) == 0)
		s->tee.watched = true;
}

/* Returns false when the source had to be closed instead. */
static bool source_resume(struct source *s)
{
	struct daemon *d = s->d;

	if (s->tee.watched) {
		daemon_unwatch(d, &s->tee.ev);
		s->tee.watched = false;
	}
	if (!s->paused)
		return true;
	s->paused = false;
	int r = daemon_watch(d, &s->ev, EPOLLIN);
	if (r < 0) {
		source_close(s, r);
		return false;
	}
	return true;
}

/* The destination cannot be written any more (its reader went away): the
 * copy stops, the capture goes on; the writer is not punished for it. */
static void tee_broken(struct source *s, int err)
{
	struct daemon *d = s->d;
	struct srcinfo *si = srctab_at(&d->srcs, s->slot);

	daemon_notice(d, true, "source %s (%s): copying on failed: %s; %zu "
		      "bytes not copied; the source is still read",
		      srctab_name(&d->srcs, si),
		      stream_name((enum stream)si->stream), strerror(-err),
		      tee_pending_len(&s->tee));
	if (s->tee.watched)
		daemon_unwatch(d, &s->tee.ev);
	s->tee.watched = false;
	fdstore_drop(d, s, true);
	tee_close(&s->tee);
	s->has_tee = false;
	d->ntees--;
	d->tees_broken++;
}

/* tee_write or tee_flush (buf NULL), counted in the source's slot. */
static int tee_copy(struct source *s, const char *buf, size_t len)
{
	uint64_t before = s->tee.copied;
	int r = buf ? tee_write(&s->tee, buf, len) : tee_flush(&s->tee);

	srctab_at(&s->d->srcs, s->slot)->copied += s->tee.copied - before;
	return r;
}

static void tee_event(struct ev *ev, uint32_t events)
{
	struct source *s = container_of(ev, struct source, tee.ev);
	int r = tee_copy(s, NULL, 0);

	if (r == 1)
		return; /* still full: EPOLLOUT comes again */
	if (r < 0)
		tee_broken(s, r);
	if (source_resume(s))
		source_service(s);
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
	/* A source that ended leaves the store; at a stop the store keeps
	 * it for the next memlogd. */
	if (!d->stopping)
		fdstore_drop(d, s, false);
	if (s->has_tee) {
		/* Stopping with bytes kept: one last try, then they are
		 * given up, and said so. */
		if (tee_pending(&s->tee) && tee_copy(s, NULL, 0) != 0)
			daemon_notice(d, true, "source %s (%s): %zu bytes not "
				      "copied on at close",
				      srctab_name(&d->srcs, si),
				      stream_name((enum stream)si->stream),
				      tee_pending_len(&s->tee));
		if (s->tee.watched)
			daemon_unwatch(d, &s->tee.ev);
		tee_close(&s->tee);
		d->ntees--;
	}
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

	if (s->paused)
		return;
	for (int i = 0; i < SOURCE_READS_PER_TURN; i++) {
		size_t want = d->readbuf_size;
		if (s->has_tee) {
			/* Read only what can be copied on at once: the rest
			 * waits in the source pipe, where it holds back its
			 * writer exactly as the destination would have. */
			want = tee_room(&s->tee, want);
			if (want == 0) {
				source_pause(s);
				return;
			}
		}
		ssize_t n = read(s->ev.fd, d->readbuf, want);
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
		if (s->has_tee) {
			int r = tee_copy(s, d->readbuf, (size_t)n);
			if (r == 1) {
				source_pause(s);
				return;
			}
			if (r < 0)
				tee_broken(s, r);
		}
		/* A short read means the pipe is empty: skip the EAGAIN read. */
		if ((size_t)n < want)
			return;
	}
}
