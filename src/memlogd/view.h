/* A container's view: a query socket of its own, VIEW_DIR/ID.sock (mode
 * 0666: whoever is in the container may read its own log), which
 * memlog-runc bind-mounts into the container at LinuxKit's query path
 * /var/run/memlogdq.sock. Its clients get the container's own sources and
 * the kernel events attributed to it (reader.h's view), never stats.
 * VIEW_DIR itself is made 0700: a user of the host cannot reach the
 * views. Made when a container is registered (or announced), removed
 * with its registry entry (docs/kernel.md). */
#ifndef MEMLOGD_VIEW_H
#define MEMLOGD_VIEW_H

#include <stdint.h>

#include "ctrreg.h"
#include "loop.h"
#include "reader.h"

struct view;

/* The view of c, or NULL when its socket cannot be made (said in a
 * notice). */
struct view *view_open(struct loop *loop, struct readers *rs,
		       struct store *store, const char *dir,
		       const struct ctr *c, uint32_t max_readers);

/* Stops listening and removes the socket file. */
void view_close(struct view *v);

#endif
