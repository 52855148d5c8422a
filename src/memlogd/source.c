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
#define READBUF_SIZE (128u << 10)

static struct srcinfo *info(const struct source *s)
{
	return srctab_at(&s->set->store->srcs, s->slot);
}

static const char *name_of(const struct source *s)
{
	return srctab_name(&s->set->store->srcs, info(s));
}

static const char *stream_of(const struct source *s)
{
	return stream_name((enum stream)info(s)->stream);
}

int sources_init(struct sources *ss, struct loop *loop, struct store *store,
		 struct fdstore *fdstore, uint32_t max)
{
	memset(ss, 0, sizeof(*ss));
	ss->loop = loop;
	ss->store = store;
	ss->fdstore = fdstore;
	ss->max = max;
	list_init(&ss->all);
	list_init(&ss->busy);
	ss->readbuf_size = READBUF_SIZE;
	ss->readbuf = malloc(ss->readbuf_size);
	return ss->readbuf ? 0 : -ENOMEM;
}

static void source_emit(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct source *s = arg;
	struct store *st = s->set->store;
	uint32_t rf = 0;

	/* The rate limit decides once per line, so a split line is kept or
	 * dropped whole and readers never see a piece without its start. */
	if (!s->in_line)
		s->dropping = !store_rate_pass(st, s->slot, s->set->loop->now_ms);
	s->in_line = flags & LINE_PARTIAL;
	if (s->dropping) {
		if (!(flags & LINE_PARTIAL))
			info(s)->dropped++;
		return;
	}
	if (flags & LINE_PARTIAL)
		rf |= RING_F_PARTIAL;
	if (flags & LINE_NOEOL)
		rf |= RING_F_NOEOL;
	store_line(st, s->slot, s->read_ns, rf, msg, len);
}

static void source_service(struct source *s);

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

/* The one destructor: out of every list and the epoll set, fds closed,
 * counts given back. NULL-safe. Stores nothing (see source_end). */
static void source_free(struct source *s)
{
	if (!s)
		return;
	struct sources *ss = s->set;
	if (s->has_tee) {
		if (s->tee.watched)
			loop_unwatch(ss->loop, &s->tee.ev);
		tee_close(&s->tee);
		ss->ntees--;
	}
	list_del(&s->link);
	list_del(&s->busy_link);
	if (s->watched)
		loop_unwatch(ss->loop, &s->ev);
	close(s->ev.fd);
	linebuf_free(&s->lb);
	info(s)->fds--;
	ss->n--;
	free(s);
}

static void tee_event(struct ev *ev, uint32_t events);

/* Puts a new source in the fd store, when there is one. */
static void keep(struct source *s)
{
	struct sources *ss = s->set;
	const struct srcinfo *si = info(s);
	int64_t id = fdstore_put(ss->fdstore, si->stream, name_of(s),
				 si->name_len, s->ev.fd,
				 s->has_tee ? s->tee.ev.fd : -1);

	if (id > 0)
		s->store_id = (uint64_t)id;
	else if (id == -ENAMETOOLONG)
		store_notice(ss->store, false, "source %s: name too long for the "
			     "fd store; it does not outlive memlogd", name_of(s));
	else
		store_notice(ss->store, false, "fd store: cannot tell the service "
			     "manager: %s", strerror((int)-id));
}

/* Takes s (or only its tee destination) out of the fd store. */
static void unkeep(struct source *s, bool dest_only)
{
	const struct srcinfo *si = info(s);

	if (!s->store_id || !s->set->fdstore)
		return;
	fdstore_drop(s->set->fdstore, s->store_id, si->stream, name_of(s),
		     si->name_len, s->has_tee, dest_only);
	if (!dest_only)
		s->store_id = 0;
}

int sources_add(struct sources *ss, int fd, int tee_fd, const char *name,
		size_t name_len, enum stream stream, pid_t pid, uid_t uid,
		uint64_t store_id)
{
	struct source *s = NULL;
	int r;

	/* A tee costs a second fd: it counts as a source of its own. */
	if (ss->n + ss->ntees + (tee_fd >= 0) >= ss->max) {
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
	r = srctab_get(&ss->store->srcs, name, name_len, stream,
		       store_oldest(ss->store));
	if (r < 0)
		goto fail;
	s->slot = (uint32_t)r;
	s->set = ss;
	s->ev.fd = fd;
	s->ev.cb = source_event;
	linebuf_init(&s->lb, ss->store->max_line_len);
	list_init(&s->busy_link);
	r = loop_watch(ss->loop, &s->ev, EPOLLIN);
	if (r == -EPERM && s->has_tee) {
		/* Always readable: pausing it for its tee would need a
		 * second kind of waiting; a tee is for pipes and sockets. */
		r = -ENOTSUP;
		goto fail;
	} else if (r == -EPERM) {
		/* Regular files and some character devices cannot be polled:
		 * they are always readable, so they are read every turn. */
		list_add_tail(&ss->busy, &s->busy_link);
	} else if (r < 0) {
		goto fail;
	} else {
		s->watched = true;
	}
	/* From here on s is whole: source_free can undo it. */
	struct srcinfo *si = info(s);
	si->fds++;
	if (pid >= 0) {
		si->pid = (int32_t)pid;
		si->uid = (uint32_t)uid;
	}
	list_add_tail(&ss->all, &s->link);
	ss->n++;
	ss->ntees += s->has_tee;
	if (store_id)
		s->store_id = store_id;
	else if (ss->fdstore)
		keep(s);
	return 0;
fail:
	if (s) {
		if (s->has_tee)
			tee_close(&s->tee);
		free(s);
	}
	if (tee_fd >= 0)
		close(tee_fd);
	close(fd);
	return r;
}

/* The destination cannot be written any more (its reader went away, or it
 * cannot be waited for): the copy stops, the capture goes on; the writer
 * is not punished for it. */
static void tee_broken(struct source *s, int err)
{
	struct sources *ss = s->set;

	store_notice(ss->store, true, "source %s (%s): copying on failed: %s; "
		     "%zu bytes not copied; the source is still read",
		     name_of(s), stream_of(s), strerror(-err),
		     tee_pending_len(&s->tee));
	if (s->tee.watched)
		loop_unwatch(ss->loop, &s->tee.ev);
	s->tee.watched = false;
	unkeep(s, true);
	tee_close(&s->tee);
	s->has_tee = false;
	ss->ntees--;
	ss->tees_broken++;
}

/* Returns false when the source had to be closed instead. */
static bool source_resume(struct source *s);

/* The source waits (out of epoll, so that a hang-up of its writer does not
 * wake us in a loop) until the tee has room again. */
static void source_pause(struct source *s)
{
	struct sources *ss = s->set;

	if (s->paused)
		return;
	if (s->watched)
		loop_unwatch(ss->loop, &s->ev);
	s->watched = false;
	s->paused = true;
	info(s)->copy_waits++;
	if (!s->tee.watched) {
		int r = loop_watch(ss->loop, &s->tee.ev, EPOLLOUT);
		if (r < 0) {
			/* Nothing would ever tell us the destination has
			 * room: paused, the source would never be read
			 * again. The copy is given up instead. */
			tee_broken(s, r);
			source_resume(s);
			return;
		}
		s->tee.watched = true;
	}
}

static void source_end(struct source *s, int err);

static bool source_resume(struct source *s)
{
	struct sources *ss = s->set;

	if (s->tee.watched) {
		loop_unwatch(ss->loop, &s->tee.ev);
		s->tee.watched = false;
	}
	if (!s->paused)
		return true;
	s->paused = false;
	int r = loop_watch(ss->loop, &s->ev, EPOLLIN);
	if (r < 0) {
		source_end(s, r);
		return false;
	}
	s->watched = true;
	return true;
}

/* tee_write or tee_flush (buf NULL), counted in the source's slot. */
static int tee_copy(struct source *s, const char *buf, size_t len)
{
	uint64_t before = s->tee.copied;
	int r = buf ? tee_write(&s->tee, buf, len) : tee_flush(&s->tee);

	info(s)->copied += s->tee.copied - before;
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

/* The source ended (end of file, an error, or a stop): its unfinished line
 * is stored, then it is freed. err is 0 or the read error. */
static void source_end(struct source *s, int err)
{
	struct sources *ss = s->set;
	struct srcinfo *si = info(s);

	s->read_ns = now_realtime_ns();
	linebuf_finish(&s->lb, source_emit, s);
	store_rate_flush(ss->store, s->slot, ss->loop->now_ms, si->fds == 1);
	if (err && err != -EIO && err != -ECONNRESET)
		store_notice(ss->store, false, "source %s (%s): read failed: %s; "
			     "closed", name_of(s), stream_of(s), strerror(-err));
	/* A source that ended leaves the store; at a stop the store keeps
	 * it for the next memlogd. */
	if (!ss->stopping)
		unkeep(s, false);
	/* Stopping with bytes kept: one last try, then they are given up,
	 * and said so. */
	if (s->has_tee && tee_pending(&s->tee) && tee_copy(s, NULL, 0) != 0)
		store_notice(ss->store, true, "source %s (%s): %zu bytes not "
			     "copied on at close", name_of(s), stream_of(s),
			     tee_pending_len(&s->tee));
	source_free(s);
}

static void source_service(struct source *s)
{
	struct sources *ss = s->set;

	if (s->paused)
		return;
	for (int i = 0; i < SOURCE_READS_PER_TURN; i++) {
		size_t want = ss->readbuf_size;
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
		ssize_t n = read(s->ev.fd, ss->readbuf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			source_end(s, -errno);
			return;
		}
		if (n == 0) {
			source_end(s, 0);
			return;
		}
		s->read_ns = now_realtime_ns();
		loop_count_bytes(ss->loop, (size_t)n);
		if (linebuf_feed(&s->lb, ss->readbuf, (size_t)n, source_emit, s) < 0)
			store_notice(ss->store, false, "out of memory assembling "
				     "a line of %s", name_of(s));
		if (s->has_tee) {
			int r = tee_copy(s, ss->readbuf, (size_t)n);
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

void sources_service_busy(struct sources *ss)
{
	struct list *p, *t;

	list_for_each_safe(p, t, &ss->busy)
		source_service(container_of(p, struct source, busy_link));
}

void sources_stop(struct sources *ss)
{
	struct list *p, *t;

	ss->stopping = true;
	list_for_each_safe(p, t, &ss->all)
		source_end(container_of(p, struct source, link), 0);
}

void sources_destroy(struct sources *ss)
{
	struct list *p, *t;

	if (!ss->all.next)
		return; /* never initialised */
	list_for_each_safe(p, t, &ss->all)
		source_free(container_of(p, struct source, link));
	free(ss->readbuf);
	ss->readbuf = NULL;
}
