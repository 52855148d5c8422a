/* The records' source: memlogd's query socket, asked for its kernel
 * entries ("dump-follow stream=kernel format=binary"), each turned into a
 * /dev/kmsg record (kmsgenc.h) and handed to the file system. Loss
 * markers (memlogd's "missed N kernel messages", and entries memlogd
 * dropped for this reader) become gaps, read as EPIPE. A lost connection
 * is made again (backoff up to 5 s) after the last entry's cursor. */
#ifndef KMSGFS_FEED_H
#define KMSGFS_FEED_H

#include <stdbool.h>

#include "client.h"
#include "cursor.h"
#include "fs.h"

struct feed {
	struct kmsgfs *fs;
	struct client c;
	char cursor[CURSOR_LEN + 1]; /* after the last entry taken, or "" */
	bool warned;                 /* the current failure was reported */
	uint32_t gone_exit;          /* --gone-exit, seconds; 0: never */
	const char *mountpoint;      /* unmounted when the socket is gone */
	uint64_t gone_since;         /* ms (monotonic) the socket has been
				      * missing since, or 0 */
};

void feed_init(struct feed *f, struct kmsgfs *fs, const char *socket);

/* Connects: 0 or -errno. */
int feed_connect(struct feed *f);

/* Reads and hands over records (a thread's function). With gone_exit, a
 * socket missing (ENOENT, or ECONNREFUSED: left by a memlogd that was
 * killed) for that long, as the view of a container memlogd forgot,
 * detaches the mount, which ends the file system's loop, and returns. */
void *feed_run(void *feed);

#endif
