/* Sources: registered file descriptors, read into lines. A source belongs
 * to the set (struct sources) that reads, pauses and ends it; the set is
 * what registration, adoption after a restart and the daemon talk to.
 *
 * What a source wrote is never only in memlogd's memory: it is moved from
 * the fd into the source's region of the state memfd (state.h), stored as
 * lines from there, and copied on to its tee from there, each step
 * recorded in the memfd by the same call or commit that makes it. With a
 * keeper (the fd holder, or systemd's fd store), the source's fds are kept
 * there too, so the next memlogd goes on where this one stopped. */
#ifndef MEMLOGD_SOURCE_H
#define MEMLOGD_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "loop.h"
#include "regmsg.h"
#include "store.h"
#include "tee.h"

struct sources;

enum source_mode {
	SRC_SPLICE,          /* a pipe or FIFO: spliced into its region */
	SRC_BOUNCE,          /* anything else splice can read: through the
			      * bounce pipe */
	SRC_READ,            /* read() and copied (a crash can lose the
			      * bytes of one read) */
};

struct source {
	struct ev ev;
	struct list link;        /* in sources.all */
	struct list busy_link;   /* in sources.busy when epoll cannot watch it */
	struct sources *set;
	uint32_t rec;            /* its record in the state memfd */
	enum source_mode mode;
	bool has_tee;            /* tee=1: bytes are copied on to tee */
	bool paused;             /* out of epoll until the tee has room */
	bool watched;            /* ev is in the epoll set */
	bool kept;               /* its fds are with the keeper */
	bool ending;             /* at its end, waiting for its tee to drain */
	bool active;             /* bytes came since the last tick */
	uint64_t high_water;     /* region bytes touched since last trimmed */
	uint64_t dev, ino;       /* its file, in sources.read_from */
	uint64_t tdev, tino;     /* its tee's, in sources.copy_to (0: none) */
	uint64_t tpeer;          /* the tee socket's peer inode (0: none) */
	struct tee tee;
};

/* Where fds are kept across memlogd's restarts: the fd holder or the
 * service manager's fd store. Keys are the caller's (source_key). */
struct keeper {
	int (*put)(void *arg, uint64_t key, int fd);
	void (*drop)(void *arg, uint64_t key);
	void *arg;
};

/* The keys of a source's fds: record, the record's use, and which fd. */
#define SOURCE_KEY_FD   1u
#define SOURCE_KEY_DEST 2u
#define SOURCE_KEY_BIT  (1ull << 63)
static inline uint64_t source_key(uint32_t rec, uint32_t gen, unsigned which)
{
	return SOURCE_KEY_BIT | (uint64_t)gen << 28 | (uint64_t)rec << 4 | which;
}

/* Files memlogd reads from or copies to, by (device, inode), counted. */
struct inoset {
	uint64_t *dev, *ino;     /* open addressing; ino 0: empty */
	uint32_t *count;
	uint32_t cap, n;
};

struct sources {
	struct loop *loop;
	struct store *store;
	const struct keeper *keeper; /* NULL: nothing outlives memlogd */
	struct list all;         /* every open source */
	struct list busy;        /* sources epoll cannot watch (files) */
	uint32_t n;              /* open sources */
	uint32_t ntees;          /* sources with a tee (a second fd each) */
	uint32_t max;            /* sources + tees allowed */
	uint64_t tees_broken;    /* tees whose destination failed */
	uint64_t keep_failed;    /* sources the keeper could not take */
	bool stopping;           /* ending for a restart: kept sources stay */
	int bounce[2];           /* the bounce pipe (read, write end) */
	struct inoset read_from; /* every source's file */
	struct inoset copy_to;   /* every tee destination's file (for a unix
				  * socket, also its peer's) */
	char own[3][108];        /* memlogd's own socket paths: a source
				  * connected to one would feed on itself */
	char *readbuf;           /* SRC_READ's buffer */
};

/* The bounce pipe is the caller's (it is kept like the sources). */
int sources_init(struct sources *ss, struct loop *loop, struct store *store,
		 const struct keeper *keeper, uint32_t max, int bounce_r,
		 int bounce_w);

/* Takes ownership of fd (and of tee_fd, unless it is -1): it becomes a
 * source or is closed. With a tee_fd, what is read from fd is also copied
 * on to tee_fd (tee.h). pid < 0 when the sender's credentials are unknown.
 * Returns 0 or negative errno: -EMFILE too many sources, -ENOSPC source
 * table full, -EBADF not readable (or a tee destination not writable),
 * -EISDIR, -EINVAL not a stream (listening socket, eventfd...), -ENOTSUP a
 * tee source epoll cannot watch, -ELOOP it would feed itself (memlogd's
 * own socket, a tee onto its own source), -ENOMEM. */
int sources_add(struct sources *ss, int fd, int tee_fd, const char *name,
		size_t name_len, enum stream stream, pid_t pid, uid_t uid);

/* A source an earlier memlogd had (its record rec in the adopted state),
 * with the fds the keeper gave back (tee_fd -1 if it has none). What the
 * region holds is stored or copied on before anything new is read.
 * Returns 0 or negative errno (then the record is ended and freed, its
 * unfinished line stored). */
int sources_adopt(struct sources *ss, uint32_t rec, int fd, int tee_fd);

/* Records of the adopted state with no fd given back: their bytes are
 * stored and they are freed. */
void sources_adopt_done(struct sources *ss);

/* memlogd's own socket at path (query, registration, syslog): a source
 * connected to it is refused. */
void sources_own_socket(struct sources *ss, const char *path);

/* Sources epoll cannot watch (regular files) get a turn. */
void sources_service_busy(struct sources *ss);

static inline bool sources_busy(const struct sources *ss)
{
	return !list_empty(&ss->busy);
}

/* Housekeeping: gives back the memory of idle sources' regions. */
void sources_tick(struct sources *ss);

/* Hands every source's fds to the keeper again (a new fd holder). */
void sources_keep_all(struct sources *ss);

/* At a stop. With a keeper, every source stays as it is for the next
 * memlogd (its unfinished line too). Without one, every source ends, its
 * unfinished line stored. */
void sources_stop(struct sources *ss);

/* Frees every source (nothing stored) and the set. */
void sources_destroy(struct sources *ss);

#endif
