/* Sources that outlive memlogd in systemd's file descriptor store
 * (--fd-store): every source fd (and its tee destination) is also handed
 * to the service manager (FDSTORE=1, FileDescriptorStoreMax=), named as in
 * fdname.h, and taken out again (FDSTOREREMOVE=1) when the source ends. A
 * memlogd restarted by the manager gets them back through
 * LISTEN_FDS/LISTEN_FDNAMES and reads on where the last one stopped: the
 * writers (containers under memlog-runc) never see a broken pipe, and what
 * they wrote meanwhile waits in the pipe.
 *
 * A leaf: it deals in plain values (id, stream, name, fds) and knows
 * nothing of sources; the daemon turns what it gives back into sources. */
#ifndef MEMLOGD_FDSTORE_H
#define MEMLOGD_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listen.h"

struct fdstore {
	uint64_t next_id;        /* id of the next fd stored */
	uint64_t skipped;        /* sources that could not be stored */
};

void fdstore_init(struct fdstore *fs);

/* Stores fd (and dest_fd, its tee destination, unless -1) under a new id.
 * Returns the id (> 0), -ENAMETOOLONG when the name does not fit a store
 * name, or another negative errno when the manager cannot be told. The
 * fds stay the caller's (the manager gets copies). */
int64_t fdstore_put(struct fdstore *fs, int stream, const char *name,
		    size_t name_len, int fd, int dest_fd);

/* Takes the fds stored under id out of the store (dest_only: only the tee
 * destination). stream and name are those it was stored with. */
void fdstore_drop(struct fdstore *fs, uint64_t id, int stream,
		  const char *name, size_t name_len, bool has_dest,
		  bool dest_only);

/* One source a previous memlogd stored: fd and dest_fd (or -1) belong to
 * whoever it is given to. */
struct fdstore_entry {
	uint64_t id;
	int stream;
	const char *name;
	size_t name_len;
	int fd;
	int dest_fd;
};

/* What the daemon does with an entry: 0 when it became a source (which
 * keeps its id), or negative errno when refused (the fds are the callee's
 * to close either way; the entry then leaves the store). */
typedef int (*fdstore_take_fn)(void *arg, const struct fdstore_entry *e);

/* Hands every stored source in fds[0..n) to take. Names that are not
 * memlog's, and destinations without their source, are closed and removed
 * from the store. Returns how many sources were taken back, or -ENOMEM
 * (then every fd was closed and left in the store for the next start). */
int fdstore_adopt(struct fdstore *fs, struct stored_fd *fds, int n,
		  fdstore_take_fn take, void *arg);

#endif
