/* A source: one registered file descriptor, read into lines. */
#ifndef MEMLOGD_SOURCE_H
#define MEMLOGD_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon.h"
#include "linebuf.h"
#include "list.h"

struct source {
	struct ev ev;
	struct list link;        /* in daemon.sources */
	struct list busy_link;   /* in daemon.busy when epoll cannot watch it */
	struct daemon *d;
	uint32_t slot;           /* srctab slot: name, stream, counters */
	struct linebuf lb;
	uint64_t read_ns;        /* when the bytes being assembled were read */
	bool in_line;            /* pieces of a split line are being emitted */
	bool dropping;           /* the rate limit dropped this line's start */
};

/* Takes ownership of fd: it becomes a source or is closed. pid < 0 when
 * the sender's credentials are unknown. Returns 0 or negative errno. */
int source_add(struct daemon *d, int fd, const char *name, size_t name_len,
	       enum stream stream, pid_t pid, uid_t uid);

/* Reads what is there (at most a fair share). */
void source_service(struct source *s);

void source_close(struct source *s, int err);

#endif
