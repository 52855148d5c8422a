/* A container's view: a query socket of its own, VIEW_DIR/ID.sock (mode
 * 0666: whoever is in the container may read its own log), which
 * memlog-runc bind-mounts into the container at LinuxKit's query path
 * /var/run/memlogdq.sock. Its clients get the container's own sources and
 * the kernel events attributed to it (reader.h's view), never stats.
 * VIEW_DIR itself is made 0700: a user of the host cannot reach the
 * views. Made when a container is registered (or announced), removed
 * with its registry entry (docs/kernel.md).
 *
 * The listening socket outlives memlogd like the sources do: it is kept
 * (the fd holder or the fd store, under view_key) and handed over by a
 * live upgrade, because the container has the socket's inode bind-mounted:
 * a socket made again at the same path would be a new inode the
 * container never sees, and its logread would find nobody there. */
#ifndef MEMLOGD_VIEW_H
#define MEMLOGD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrreg.h"
#include "loop.h"
#include "reader.h"
#include "source.h"

struct view;

/* Keys of views' sockets in the keeper: this bit, never with source.h's
 * SOURCE_KEY_BIT, and a hash of the container id below it. Two ids of
 * the same hash would share a key: the second view is then not kept. */
#define VIEW_KEY_BIT (1ull << 62)

uint64_t view_key(const char *id);

static inline bool view_key_is(uint64_t key)
{
	return (key & (SOURCE_KEY_BIT | VIEW_KEY_BIT)) == VIEW_KEY_BIT;
}

/* Where a view's socket is: dir/ID.sock. Returns 0 or -ENAMETOOLONG. */
int view_path(char *out, size_t cap, const char *dir, const char *id);

/* The view of c, or NULL when its socket cannot be made (said in a
 * notice). fd >= 0: the listening socket an earlier memlogd had for it
 * (already kept), taken over; else a new one, handed to keeper (NULL:
 * none). */
struct view *view_open(struct loop *loop, struct readers *rs,
		       struct store *store, const struct keeper *keeper,
		       const char *dir, const struct ctr *c,
		       uint32_t max_readers, int fd);

/* Its listening socket (for the handover and a new keeper). */
int view_fd(const struct view *v);

/* Stops listening, drops the socket from the keeper and removes its
 * file. */
void view_close(struct view *v);

/* memlogd is ending and its views go on (a restart, an upgrade): stops
 * listening here only; the socket, its file and the keeper's copy stay. */
void view_leave(struct view *v);

#endif
