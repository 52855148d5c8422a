#include "source.h"
#include "linebuf.h"
#include "sockpeer.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many moves per source per loop iteration, so one busy
 * source cannot starve the others. */
#define SOURCE_READS_PER_TURN 4
/* The most bytes moved from a source in one call: a pipe's worth. */
#define SOURCE_CHUNK (64u << 10)
/* What the regions of all sources may touch at once, about: with many busy
 * sources each moves less per call, so that their regions stay within
 * this (and in cache) instead of a pipe's worth of pages each. */
#define SOURCES_HOT_BYTES (8u << 20)
#define SOURCE_CHUNK_MIN (8u << 10)
/* An unfinished line this short is moved to its region's start at once. */
#define SOURCE_EAGER_MOVE 4096u
/* Bytes that may wait for a tee's destination before the source waits. */
#define SOURCE_TEE_LAG (64u << 10)

static struct src_rec *rec_of(const struct source *s)
{
	return &s->set->store->state.recs[s->rec];
}

static struct srcinfo *info(const struct source *s)
{
	return srctab_at(&s->set->store->srcs, rec_of(s)->slot);
}

static const char *name_of(const struct source *s)
{
	return info(s)->name;
}

static const char *stream_of(const struct source *s)
{
	return stream_name((enum stream)info(s)->stream);
}

static struct state *state_of(const struct source *s)
{
	return &s->set->store->state;
}

static loff_t base_of(const struct source *s)
{
	return state_region(state_of(s), s->rec);
}

static loff_t end_of(const struct source *s)
{
	return base_of(s) + (loff_t)state_of(s)->hdr->region_size;
}

/* Bytes moved from the bounce pipe into rec's region, all of them. */
static int bounce_drain(struct sources *ss, uint32_t rec, size_t n)
{
	struct state *st = &ss->store->state;
	struct src_rec *rc = &st->recs[rec];

	while (n) {
		ssize_t k = splice(ss->bounce[0], NULL, st->fd, &rc->in_at, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		n -= (size_t)k;
	}
	return 0;
}

/* ---- files memlogd reads from and copies to ---- */

static uint32_t ino_slot(const struct inoset *set, uint64_t dev, uint64_t ino)
{
	uint32_t at = (uint32_t)((ino * 0x9e3779b97f4a7c15ull ^ dev) >> 32) &
		      (set->cap - 1);

	while (set->ino[at] && (set->ino[at] != ino || set->dev[at] != dev))
		at = (at + 1) & (set->cap - 1);
	return at;
}

static bool ino_has(const struct inoset *set, uint64_t dev, uint64_t ino)
{
	return set->cap && ino && set->ino[ino_slot(set, dev, ino)] == ino;
}

static int ino_grow(struct inoset *set)
{
	struct inoset n = { .cap = set->cap ? 2 * set->cap : 64 };

	n.dev = calloc(n.cap, sizeof(*n.dev));
	n.ino = calloc(n.cap, sizeof(*n.ino));
	n.count = calloc(n.cap, sizeof(*n.count));
	if (!n.dev || !n.ino || !n.count) {
		free(n.dev);
		free(n.ino);
		free(n.count);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < set->cap; i++) {
		if (!set->ino[i])
			continue;
		uint32_t at = ino_slot(&n, set->dev[i], set->ino[i]);
		n.dev[at] = set->dev[i];
		n.ino[at] = set->ino[i];
		n.count[at] = set->count[i];
		n.n++;
	}
	free(set->dev);
	free(set->ino);
	free(set->count);
	*set = n;
	return 0;
}

static int ino_add(struct inoset *set, uint64_t dev, uint64_t ino)
{
	if (!ino)
		return 0;
	if (2 * (set->n + 1) > set->cap && ino_grow(set) < 0)
		return -ENOMEM;
	uint32_t at = ino_slot(set, dev, ino);
	if (!set->ino[at]) {
		set->dev[at] = dev;
		set->ino[at] = ino;
		set->n++;
	}
	set->count[at]++;
	return 0;
}

/* Removes one count; the entry goes with its last (and the run behind it
 * is put back in place, as linear probing needs). */
static void ino_del(struct inoset *set, uint64_t dev, uint64_t ino)
{
	if (!ino_has(set, dev, ino))
		return;
	uint32_t at = ino_slot(set, dev, ino);
	if (--set->count[at])
		return;
	set->ino[at] = 0;
	set->n--;
	for (uint32_t i = (at + 1) & (set->cap - 1); set->ino[i];
	     i = (i + 1) & (set->cap - 1)) {
		uint64_t d = set->dev[i], in = set->ino[i];
		uint32_t c = set->count[i];
		set->ino[i] = 0;
		uint32_t to = ino_slot(set, d, in);
		set->dev[to] = d;
		set->ino[to] = in;
		set->count[to] = c;
	}
}

static void ino_free(struct inoset *set)
{
	free(set->dev);
	free(set->ino);
	free(set->count);
	memset(set, 0, sizeof(*set));
}

void sources_own_socket(struct sources *ss, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(ss->own); i++) {
		if (!ss->own[i][0]) {
			snprintf(ss->own[i], sizeof(ss->own[i]), "%s", path);
			return;
		}
	}
}

/* Connected to one of memlogd's own sockets (its query socket, say): it
 * would feed on memlogd's own output. By the address it is connected to
 * (the peer's credentials name whoever bound the socket, which after a
 * restart or under -daemonize is not this process). */
static bool connected_to_self(const struct sources *ss, int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct ucred cr;
	socklen_t cl = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 &&
	    cr.pid == getpid())
		return true;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
		return false;
	size_t n = strnlen(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	for (size_t i = 0; i < ARRAY_SIZE(ss->own); i++)
		if (ss->own[i][0] && strlen(ss->own[i]) == n &&
		    !memcmp(ss->own[i], sa.sun_path, n))
			return true;
	return false;
}

int sources_init(struct sources *ss, struct loop *loop, struct store *store,
		 const struct keeper *keeper, uint32_t max, int bounce_r,
		 int bounce_w)
{
	struct state *st = &store->state;

	memset(ss, 0, sizeof(*ss));
	ss->loop = loop;
	ss->store = store;
	ss->keeper = keeper;
	ss->max = max;
	ss->bounce[0] = bounce_r;
	ss->bounce[1] = bounce_w;
	list_init(&ss->all);
	list_init(&ss->busy);
	ss->readbuf = malloc(SOURCE_CHUNK);
	if (!ss->readbuf)
		return -ENOMEM;
	/* A crash between the two splices of a bounce: the bytes are still
	 * in the pipe, and they are the record's. */
	uint32_t b = st->hdr->bounce_rec;
	int queued = 0;
	if (b && b <= st->hdr->max_recs && (st->recs[b - 1].flags & REC_USED) &&
	    ioctl(bounce_r, FIONREAD, &queued) == 0 && queued > 0)
		bounce_drain(ss, b - 1, (size_t)queued);
	st->hdr->bounce_rec = 0;
	return 0;
}

struct scan_ctx {
	struct source *s;
	loff_t from;             /* line_at when the scan began */
	uint64_t time_ns;
};

static void emit(void *arg, const char *msg, size_t len, unsigned lflags,
		 size_t consumed)
{
	struct scan_ctx *c = arg;
	struct source *s = c->s;
	struct store *st = s->set->store;
	struct src_rec *rc = rec_of(s);
	uint32_t f = rc->flags;
	uint32_t ef = 0;

	/* The rate limit decides once per line, so a split line is kept or
	 * dropped whole and readers never see a piece without its start. */
	if (!(f & REC_IN_LINE)) {
		f &= ~REC_DROPPING;
		if (!store_rate_pass(st, rc->slot, s->set->loop->now_ms))
			f |= REC_DROPPING;
	}
	f = (lflags & LINE_PARTIAL) ? f | REC_IN_LINE : f & ~REC_IN_LINE;
	loff_t line_at = c->from + (loff_t)consumed;
	if (f & REC_DROPPING) {
		if (!(lflags & LINE_PARTIAL))
			info(s)->dropped++;
		store_source_skip(st, s->rec, line_at, f);
		return;
	}
	if (lflags & LINE_PARTIAL)
		ef |= RING_F_PARTIAL;
	if (lflags & LINE_NOEOL)
		ef |= RING_F_NOEOL;
	store_source_line(st, s->rec, c->time_ns, ef, msg, len, line_at, f);
}

/* Stores every line the region holds (with eof, the unfinished one too). */
static void scan(struct source *s, bool eof)
{
	struct src_rec *rc = rec_of(s);
	struct scan_ctx c = { s, rc->line_at, rc->read_ns };

	if (!c.time_ns)
		c.time_ns = now_realtime_ns();
	linebuf_scan(state_at(state_of(s), rc->line_at),
		     (size_t)(rc->in_at - rc->line_at),
		     s->set->store->max_line_len, eof, emit, &c);
}

static void forget_tee(struct source *s);

/* The one destructor: out of every list and the epoll set, fds closed,
 * counts given back. NULL-safe. Stores nothing and leaves the record (see
 * source_end). */
static void source_free(struct source *s)
{
	if (!s)
		return;
	struct sources *ss = s->set;
	ino_del(&ss->read_from, s->dev, s->ino);
	forget_tee(s);
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
	fd_close_nowait(s->ev.fd);
	info(s)->fds--;
	ss->n--;
	free(s);
}

static void keep(struct source *s)
{
	const struct keeper *k = s->set->keeper;
	struct src_rec *rc = rec_of(s);

	if (!k)
		return;
	/* The destination first: a source kept without it would come back
	 * as a plain source, its writer's output lost to the engine. */
	if ((s->has_tee &&
	     k->put(k->arg, source_key(s->rec, rc->gen, SOURCE_KEY_DEST),
		    s->tee.ev.fd) < 0) ||
	    k->put(k->arg, source_key(s->rec, rc->gen, SOURCE_KEY_FD),
		   s->ev.fd) < 0) {
		s->set->keep_failed++;
		return;
	}
	s->kept = true;
}

static void unkeep(struct source *s, bool dest_only)
{
	const struct keeper *k = s->set->keeper;
	struct src_rec *rc = rec_of(s);

	if (!k || !s->kept)
		return;
	if (s->has_tee)
		k->drop(k->arg, source_key(s->rec, rc->gen, SOURCE_KEY_DEST));
	if (dest_only)
		return;
	k->drop(k->arg, source_key(s->rec, rc->gen, SOURCE_KEY_FD));
	s->kept = false;
}

static void tee_event(struct ev *ev, uint32_t events);
static void source_service(struct source *s);

static void source_event(struct ev *ev, uint32_t events)
{
	source_service(container_of(ev, struct source, ev));
}

/* Is fd something a log stream can come from, and that ends when its
 * writers are gone? Pipes, FIFOs, connected sockets, ttys, regular files:
 * yes. A directory, a listening socket, a write-only fd, an eventfd, epoll
 * and the like (anonymous inodes): no. Refused as never ending (-ELOOP): a
 * FIFO memlogd would hold open for writing itself, a socket connected to
 * memlogd. */
static int check_fd(const struct sources *ss, int fd, struct stat *st)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, st) < 0)
		return -errno;
	if ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH))
		return -EBADF;
	switch (st->st_mode & S_IFMT) {
	case S_IFIFO:
		/* Open for writing too: memlogd would hold a writer, and the
		 * source would never see its end. */
		return (fl & O_ACCMODE) == O_RDWR ? -ELOOP : 0;
	case S_IFCHR:
		/* A terminal, a serial line: yes. Other devices (/dev/zero,
		 * /dev/random, /dev/kmsg) never end, or have a reader of
		 * their own (--kmsg). */
		return isatty(fd) ? 0 : -EINVAL;
	case S_IFREG:
		return 0;
	case S_IFSOCK: {
		int listening = 0;
		socklen_t l = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) == 0 &&
		    listening)
			return -EINVAL;
		return connected_to_self(ss, fd) ? -ELOOP : 0;
	}
	case S_IFDIR:
		return -EISDIR;
	default:
		return -EINVAL;
	}
}

/* What is common to a new source and an adopted one; takes both fds. */
static struct source *make(struct sources *ss, uint32_t rec, int fd,
			   int tee_fd, const struct stat *st, int *err)
{
	struct source *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		r = -ENOMEM;
		goto fail;
	}
	s->set = ss;
	s->rec = rec;
	s->tee.ev.fd = -1;
	s->ev.fd = fd;
	s->ev.cb = source_event;
	s->mode = S_ISFIFO(st->st_mode) ? SRC_SPLICE : SRC_BOUNCE;
	list_init(&s->busy_link);
	list_init(&s->link);
	if ((r = fd_set_nonblock(fd)) < 0)
		goto fail;
	if (tee_fd >= 0) {
		r = tee_open(&s->tee, tee_fd);
		tee_fd = -1; /* tee_open took it */
		if (r < 0)
			goto fail;
		s->has_tee = true;
		s->tee.ev.cb = tee_event;
	}
	r = loop_watch(ss->loop, &s->ev, EPOLLIN);
	if (r == -EPERM && (s->has_tee || !S_ISREG(st->st_mode))) {
		/* Always readable and never ending (/dev/zero and the like),
		 * or a tee'd source that could not wait for its tee. */
		r = s->has_tee ? -ENOTSUP : -EINVAL;
		goto fail;
	} else if (r == -EPERM) {
		/* A regular file cannot be polled: it is always readable,
		 * so it is read every turn until its end. */
		list_add_tail(&ss->busy, &s->busy_link);
	} else if (r < 0) {
		goto fail;
	} else {
		s->watched = true;
	}
	list_add_tail(&ss->all, &s->link);
	ss->n++;
	ss->ntees += s->has_tee;
	return s;
fail:
	if (s) {
		if (s->has_tee)
			tee_close(&s->tee);
		free(s);
	}
	if (tee_fd >= 0)
		fd_close_nowait(tee_fd);
	fd_close_nowait(fd);
	*err = r;
	return NULL;
}

/* s's files go into the sets (tee: its destination, and the peer of a
 * socket destination). */
static void remember(struct source *s, const struct stat *st,
		     const struct stat *dst, uint64_t tpeer)
{
	struct sources *ss = s->set;

	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	IGNORE_RESULT(ino_add(&ss->read_from, s->dev, s->ino));
	if (s->has_tee && dst) {
		s->tdev = (uint64_t)dst->st_dev;
		s->tino = (uint64_t)dst->st_ino;
		s->tpeer = tpeer;
		IGNORE_RESULT(ino_add(&ss->copy_to, s->tdev, s->tino));
		if (tpeer)
			IGNORE_RESULT(ino_add(&ss->copy_to, s->dev, tpeer));
	}
}

static void forget_tee(struct source *s)
{
	struct sources *ss = s->set;

	ino_del(&ss->copy_to, s->tdev, s->tino);
	if (s->tpeer)
		ino_del(&ss->copy_to, s->dev, s->tpeer);
	s->tino = s->tpeer = 0;
}

int sources_add(struct sources *ss, int fd, int tee_fd, const char *name,
		size_t name_len, enum stream stream, pid_t pid, uid_t uid)
{
	struct store *store = ss->store;
	struct stat st, dst;
	int r, rec = -1;

	/* A tee costs a second fd: it counts as a source of its own. */
	if (ss->n + ss->ntees + (tee_fd >= 0) >= ss->max) {
		r = -EMFILE;
		goto fail;
	}
	if ((r = check_fd(ss, fd, &st)) < 0)
		goto fail;
	/* memlogd never reads what it copies: a tee onto its own source, onto
	 * a pipe or socket (or the peer of a socket) memlogd reads, or a
	 * source memlogd copies into, would go round for ever. */
	uint64_t tpeer = 0;
	if (tee_fd >= 0) {
		if (fstat(tee_fd, &dst) < 0) {
			r = -errno;
			goto fail;
		}
		uint32_t peer;
		if (S_ISSOCK(dst.st_mode) &&
		    unix_peer_inode((uint32_t)dst.st_ino, &peer) == 0)
			tpeer = peer;
		bool socket_pair = S_ISSOCK(st.st_mode) && tpeer == st.st_ino;
		if ((dst.st_ino == st.st_ino && dst.st_dev == st.st_dev) ||
		    socket_pair ||
		    ino_has(&ss->read_from, dst.st_dev, dst.st_ino) ||
		    (tpeer && ino_has(&ss->read_from, st.st_dev, tpeer))) {
			r = -ELOOP;
			goto fail;
		}
	}
	if (ino_has(&ss->copy_to, st.st_dev, st.st_ino)) {
		r = -ELOOP;
		goto fail;
	}
	r = srctab_get(&store->srcs, name, name_len, stream, store_oldest(store));
	if (r < 0)
		goto fail;
	uint32_t slot = (uint32_t)r;
	if ((rec = state_rec_alloc(&store->state)) < 0) {
		r = -EMFILE;
		goto fail;
	}
	struct src_rec *rc = &store->state.recs[rec];
	rc->slot = slot;
	rc->pid = pid >= 0 ? (int32_t)pid : -1;
	rc->uid = (uint32_t)uid;
	struct source *s = make(ss, (uint32_t)rec, fd, tee_fd, &st, &r);
	fd = tee_fd = -1; /* make took them */
	if (!s) {
		state_rec_free(&store->state, (uint32_t)rec);
		return r;
	}
	remember(s, &st, tee_fd >= 0 || s->has_tee ? &dst : NULL, tpeer);
	/* Whole before it is in use (state.h). */
	__atomic_store_n(&rc->flags, REC_USED | (s->has_tee ? REC_TEE : 0),
			 __ATOMIC_RELEASE);
	struct srcinfo *si = info(s);
	si->fds++;
	if (pid >= 0) {
		si->pid = (int32_t)pid;
		si->uid = (uint32_t)uid;
	}
	keep(s);
	return 0;
fail:
	if (tee_fd >= 0)
		fd_close_nowait(tee_fd);
	if (fd >= 0)
		fd_close_nowait(fd);
	return r;
}

/* The destination cannot be written any more (its reader went away, or it
 * cannot be waited for): the copy stops, the capture goes on; the writer
 * is not punished for it. */
static void tee_broken(struct source *s, int err)
{
	struct sources *ss = s->set;
	struct src_rec *rc = rec_of(s);

	store_notice(ss->store, true, "source %s (%s): copying on failed: %s; "
		     "%lld bytes not copied; the source is still read",
		     name_of(s), stream_of(s), strerror(-err),
		     (long long)(rc->in_at - rc->tee_at));
	if (s->tee.watched)
		loop_unwatch(ss->loop, &s->tee.ev);
	s->tee.watched = false;
	unkeep(s, true);
	forget_tee(s);
	tee_close(&s->tee);
	s->has_tee = false;
	rc->flags &= ~REC_TEE;
	ss->ntees--;
	ss->tees_broken++;
}

static void source_end(struct source *s, int err);

/* Reading goes on, if it waited for the tee. Returns false when the source
 * had to be ended instead. */
static bool source_resume(struct source *s)
{
	if (!s->paused)
		return true;
	s->paused = false;
	int r = loop_watch(s->set->loop, &s->ev, EPOLLIN);
	if (r < 0) {
		source_end(s, r);
		return false;
	}
	s->watched = true;
	return true;
}

/* The source waits (out of epoll, so that a hang-up of its writer does not
 * wake us in a loop) until the tee has room again. */
static void source_pause(struct source *s)
{
	if (s->paused)
		return;
	if (s->watched)
		loop_unwatch(s->set->loop, &s->ev);
	s->watched = false;
	s->paused = true;
	info(s)->copy_waits++;
}

/* Copies on what waits for the tee; watches the destination while bytes
 * are left. Returns the bytes still waiting, or -1 when the tee broke
 * (the source goes on without it). */
static ssize_t copy_on(struct source *s)
{
	struct sources *ss = s->set;
	struct src_rec *rc = rec_of(s);

	if (!s->has_tee)
		return 0;
	while (rc->tee_at < rc->in_at) {
		size_t n = (size_t)(rc->in_at - rc->tee_at);
		ssize_t w = tee_copy(&s->tee, state_of(s)->fd, &rc->tee_at,
				     state_at(state_of(s), rc->tee_at), n);
		if (w < 0) {
			tee_broken(s, (int)w);
			return -1;
		}
		if (w == 0)
			break;
		info(s)->copied += (uint64_t)w;
	}
	ssize_t left = (ssize_t)(rc->in_at - rc->tee_at);
	if (left && !s->tee.watched) {
		int r = loop_watch(ss->loop, &s->tee.ev, EPOLLOUT);
		if (r < 0) {
			/* Nothing would ever tell us the destination has
			 * room: the copy is given up rather than the source
			 * left waiting for good. */
			tee_broken(s, r);
			return -1;
		}
		s->tee.watched = true;
	} else if (!left && s->tee.watched) {
		loop_unwatch(ss->loop, &s->tee.ev);
		s->tee.watched = false;
	}
	return left;
}

static loff_t page_down(const struct source *s, loff_t off)
{
	loff_t pg = (loff_t)state_of(s)->hdr->page;

	return off / pg * pg;
}

static loff_t page_up(const struct source *s, loff_t off)
{
	loff_t pg = (loff_t)state_of(s)->hdr->page;

	return (off + pg - 1) / pg * pg;
}

/* Gives the whole pages in [from, to) back. A whole page leaves the memfd
 * (a pipe that still holds a reference to it keeps its bytes); part of a
 * page would be zeroed in place, so it never is. */
static void punch(const struct source *s, loff_t from, loff_t to)
{
	from = page_up(s, from);
	to = page_down(s, to);
	if (to > from)
		IGNORE_RESULT(fallocate(state_of(s)->fd, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, from, to - from));
}

/* Makes room at the end of the region: bytes everything is done with are
 * given up, the live ones (an unfinished line, bytes waiting for the tee)
 * moved to the start, when that can be done without overwriting them (so
 * that a crash in the middle of the move leaves the old ones whole).
 *
 * A tee'd source's bytes were copied on by splice, which hands the
 * destination pipe references to the memfd's pages, not copies: until the
 * destination's reader has read them, those bytes must not change. So its
 * region is only ever appended to, and its start reused only after the
 * pages there have been given back whole (fresh pages then take their
 * place). A source without a tee has no such references. */
static void compact(struct source *s, bool need_room)
{
	struct src_rec *rc = rec_of(s);
	loff_t base = base_of(s);
	loff_t from = rc->line_at;

	if (s->has_tee && rc->tee_at < from)
		from = rc->tee_at;
	if (from == base)
		return;
	loff_t live = rc->in_at - from;
	if (live == 0) {
		if (s->has_tee) {
			if (!need_room)
				return; /* appended to until full */
			punch(s, base, page_up(s, rc->in_at));
		}
		store_source_move(s->set->store, s->rec, base, base, base);
		return;
	}
	loff_t limit = s->has_tee ? page_down(s, from) : from;
	/* Without a tee, a short unfinished line goes back to the start
	 * at once: each source then keeps to its first pages (with a
	 * thousand busy sources, a region walked end to end is a cache miss
	 * per line and 200 KiB of memory each). */
	bool eager = !s->has_tee && live <= (loff_t)SOURCE_EAGER_MOVE;
	if (!(need_room || eager) || live > limit - base)
		return;
	if (s->has_tee)
		punch(s, base, limit);
	memmove(state_at(state_of(s), base), state_at(state_of(s), from),
		(size_t)live);
	store_source_move(s->set->store, s->rec, base + live,
			  base + (rc->line_at - from),
			  s->has_tee ? base + (rc->tee_at - from) : base);
}

/* Moves up to want bytes from the source into its region. Returns the
 * bytes moved, 0 at the end of the stream, or negative errno. */
static ssize_t pull(struct source *s, size_t want)
{
	struct sources *ss = s->set;
	struct state *st = state_of(s);
	struct src_rec *rc = rec_of(s);
	ssize_t n;

	for (;;) {
		switch (s->mode) {
		case SRC_SPLICE:
			n = splice(s->ev.fd, NULL, st->fd, &rc->in_at, want,
				   SPLICE_F_NONBLOCK);
			break;
		case SRC_BOUNCE:
			/* Whose bytes the bounce pipe holds, for a crash
			 * between the two moves. */
			st->hdr->bounce_rec = s->rec + 1;
			n = splice(s->ev.fd, NULL, ss->bounce[1], NULL, want,
				   SPLICE_F_NONBLOCK);
			if (n > 0) {
				int r = bounce_drain(ss, s->rec, (size_t)n);
				if (r < 0)
					n = r, errno = -r;
			}
			st->hdr->bounce_rec = 0;
			break;
		default:
			/* No splice for this kind of file: a crash between
			 * the read and the store of in_at loses this read. */
			n = read(s->ev.fd, ss->readbuf, MIN(want, SOURCE_CHUNK));
			if (n > 0) {
				memcpy(state_at(st, rc->in_at), ss->readbuf,
				       (size_t)n);
				rc->in_at += n;
			}
			break;
		}
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && s->mode != SRC_READ) {
			s->mode = s->mode == SRC_SPLICE ? SRC_BOUNCE : SRC_READ;
			continue;
		}
		return -errno;
	}
}

/* After bytes came in (or at adoption): lines stored, copy on, room. */
static bool process(struct source *s)
{
	scan(s, false);
	ssize_t left = copy_on(s);
	compact(s, false);
	if (left >= (ssize_t)SOURCE_TEE_LAG) {
		source_pause(s);
		return false;
	}
	return true;
}

static void tee_event(struct ev *ev, uint32_t events)
{
	struct source *s = container_of(ev, struct source, tee.ev);

	if (s->ending) {
		/* The writer is gone: what it wrote still goes on, then the
		 * source ends. */
		if (copy_on(s) == 0 || !s->has_tee)
			source_end(s, 0);
		return;
	}
	if (copy_on(s) < (ssize_t)SOURCE_TEE_LAG) {
		compact(s, false);
		if (source_resume(s))
			source_service(s);
	}
}

/* The source ended (end of file, an error): its unfinished line is
 * stored, what waits for its tee is given one last try, then it is freed
 * and its record with it. */
static void source_end(struct source *s, int err)
{
	struct sources *ss = s->set;
	struct src_rec *rc = rec_of(s);
	struct srcinfo *si = info(s);

	if (!s->ending) {
		rc->read_ns = now_realtime_ns();
		scan(s, true);
		store_rate_flush(ss->store, rc->slot, ss->loop->now_ms,
				 si->fds == 1);
	}
	if (!err && s->has_tee && copy_on(s) > 0 && !ss->stopping) {
		/* The destination is full: the bytes still go on to it as it
		 * takes them (the destination's reader is not punished for
		 * the writer's end), then the source ends. */
		if (s->watched)
			loop_unwatch(ss->loop, &s->ev);
		s->watched = false;
		list_del(&s->busy_link);
		s->ending = true;
		return;
	}
	if (err && err != -EIO && err != -ECONNRESET)
		store_notice(ss->store, false, "source %s (%s): read failed: %s; "
			     "closed", name_of(s), stream_of(s), strerror(-err));
	if (s->has_tee && copy_on(s) > 0)
		store_notice(ss->store, true, "source %s (%s): %lld bytes not "
			     "copied on at close", name_of(s), stream_of(s),
			     (long long)(rc->in_at - rc->tee_at));
	unkeep(s, false);
	uint32_t rec = s->rec;
	source_free(s);
	state_rec_free(&ss->store->state, rec);
}

static void source_service(struct source *s)
{
	struct sources *ss = s->set;

	if (s->paused)
		return;
	size_t chunk = ss->n ? SOURCES_HOT_BYTES / ss->n : SOURCE_CHUNK;
	chunk = MAX(MIN(chunk, (size_t)SOURCE_CHUNK), (size_t)SOURCE_CHUNK_MIN);
	for (int i = 0; i < SOURCE_READS_PER_TURN; i++) {
		struct src_rec *rc = rec_of(s);
		if (end_of(s) - rc->in_at < (loff_t)SOURCE_CHUNK)
			compact(s, true);
		size_t want = MIN((size_t)(end_of(s) - rc->in_at), chunk);
		if (s->has_tee) {
			/* Read only what the tee may take: the rest waits in
			 * the source pipe, where it holds back its writer
			 * exactly as the destination would have. */
			size_t lag = (size_t)(rc->in_at - rc->tee_at);
			want = MIN(want, lag < SOURCE_TEE_LAG
					 ? SOURCE_TEE_LAG - lag : 0);
		}
		if (want == 0) {
			source_pause(s);
			return;
		}
		ssize_t n = pull(s, want);
		if (n < 0) {
			if (n == -EAGAIN)
				return;
			source_end(s, (int)n);
			return;
		}
		if (n == 0) {
			source_end(s, 0);
			return;
		}
		rc->read_ns = now_realtime_ns();
		s->active = true;
		loop_count_bytes(ss->loop, (size_t)n);
		if ((uint64_t)(rc->in_at - base_of(s)) > s->high_water)
			s->high_water = (uint64_t)(rc->in_at - base_of(s));
		if (!process(s))
			return;
		/* A short move means the source is empty: skip the EAGAIN. */
		if ((size_t)n < want)
			return;
	}
}

int sources_adopt(struct sources *ss, uint32_t rec, int fd, int tee_fd)
{
	struct state *sta = &ss->store->state;
	struct src_rec *rc = &sta->recs[rec];
	struct stat st;
	int r;

	if (rec >= sta->hdr->max_recs || !(rc->flags & REC_USED) ||
	    rc->slot >= ss->store->srcs.nslots ||
	    !ss->store->srcs.slots[rc->slot].used) {
		fd_close_nowait(fd);
		if (tee_fd >= 0)
			fd_close_nowait(tee_fd);
		return -EINVAL;
	}
	if (!(rc->flags & REC_TEE) && tee_fd >= 0) {
		fd_close_nowait(tee_fd);
		tee_fd = -1;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		fd_close_nowait(fd);
		if (tee_fd >= 0)
			fd_close_nowait(tee_fd);
		return r;
	}
	struct stat dst;
	bool have_dst = tee_fd >= 0 && fstat(tee_fd, &dst) == 0;
	struct source *s = make(ss, rec, fd, tee_fd, &st, &r);
	if (!s)
		return r;
	if (!s->has_tee)
		rc->flags &= ~REC_TEE;
	uint32_t peer = 0;
	if (have_dst && S_ISSOCK(dst.st_mode))
		IGNORE_RESULT(unix_peer_inode((uint32_t)dst.st_ino, &peer));
	remember(s, &st, have_dst ? &dst : NULL, peer);
	s->kept = ss->keeper != NULL;
	info(s)->fds++;
	s->high_water = (uint64_t)(end_of(s) - base_of(s));
	/* What the last memlogd moved in but did not store or copy on. */
	process(s);
	return 0;
}

void sources_adopt_done(struct sources *ss)
{
	struct state *st = &ss->store->state;
	struct list *p, *t;
	char *have = calloc(st->hdr->max_recs ? st->hdr->max_recs : 1, 1);

	if (!have)
		return;
	list_for_each_safe(p, t, &ss->all)
		have[container_of(p, struct source, link)->rec] = 1;
	for (uint32_t i = 0; i < st->nrecs; i++) {
		struct src_rec *rc = &st->recs[i];
		if (!(rc->flags & REC_USED) || have[i])
			continue;
		/* Its fd was not given back: what it had is stored, the
		 * unfinished line as it is. */
		if (rc->slot < ss->store->srcs.nslots &&
		    ss->store->srcs.slots[rc->slot].used) {
			struct source tmp = { .set = ss, .rec = i };
			scan(&tmp, true);
		}
		state_rec_free(st, i);
	}
	free(have);
}

void sources_service_busy(struct sources *ss)
{
	struct list *p, *t;

	list_for_each_safe(p, t, &ss->busy)
		source_service(container_of(p, struct source, busy_link));
}

void sources_tick(struct sources *ss)
{
	struct list *p, *t;

	list_for_each_safe(p, t, &ss->all) {
		struct source *s = container_of(p, struct source, link);
		struct src_rec *rc = rec_of(s);
		/* A busy source would fault the same pages in again at once
		 * (giving them back cost a third of a busy memlogd's time):
		 * only a quiet one's are given back. */
		if (s->active) {
			s->active = false;
			continue;
		}
		loff_t keep = page_up(s, rc->in_at);
		loff_t hw = page_up(s, base_of(s) + (loff_t)s->high_water);
		if (hw <= keep)
			continue;
		/* Pages past the live bytes go back to the system. */
		punch(s, keep, hw);
		s->high_water = (uint64_t)(keep - base_of(s));
	}
}

void sources_keep_all(struct sources *ss)
{
	struct list *p, *t;

	list_for_each_safe(p, t, &ss->all)
		keep(container_of(p, struct source, link));
}

void sources_stop(struct sources *ss)
{
	struct list *p, *t;

	ss->stopping = true;
	list_for_each_safe(p, t, &ss->all) {
		struct source *s = container_of(p, struct source, link);
		if (s->kept) {
			/* The next memlogd takes it back. Its unfinished line
			 * is stored now all the same (a stop may be the last
			 * one): the rest of it will be a line of its own. */
			scan(s, true);
			continue;
		}
		source_end(s, 0);
	}
}

void sources_destroy(struct sources *ss)
{
	struct list *p, *t;

	if (!ss->all.next)
		return; /* never initialised */
	list_for_each_safe(p, t, &ss->all)
		source_free(container_of(p, struct source, link));
	ino_free(&ss->read_from);
	ino_free(&ss->copy_to);
	free(ss->readbuf);
	ss->readbuf = NULL;
}
