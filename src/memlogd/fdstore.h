/* systemd's file descriptor store as memlogd's keeper (--fd-store): every
 * fd memlogd must not lose (sources, tee destinations, the ring, the
 * state, its sockets) is also handed to the service manager (FDSTORE=1,
 * FileDescriptorStoreMax=), named by its key (fdname.h), and taken out
 * again (FDSTOREREMOVE=1) when no longer needed. A memlogd restarted by the
 * manager gets them back through LISTEN_FDS/LISTEN_FDNAMES and goes on
 * where the last one stopped: the writers never see a broken pipe, and what
 * they wrote meanwhile waits in their pipes.
 *
 * It deals in plain values (keys and fds) and knows nothing of sources;
 * the daemon turns what it gives back into sources. What the manager's
 * socket has no room for waits (keepq.h) and is sent when it has. */
#ifndef MEMLOGD_FDSTORE_H
#define MEMLOGD_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keepq.h"
#include "listen.h"
#include "loop.h"

/* The session with the manager: a socket connected to NOTIFY_SOCKET. */
struct fdstore {
	struct ev ev;            /* watched for EPOLLOUT while q waits */
	struct keepq q;
	struct loop *loop;
	bool watched;
};

/* Connects to NOTIFY_SOCKET. Returns 0, -ENOTCONN (no manager) or
 * negative errno. max_waiting: PUTs that may wait for room. */
int fdstore_open(struct fdstore *f, struct loop *loop, uint32_t max_waiting);

/* The keeper's calls (source.h, struct keeper; arg is the fdstore): hands
 * the manager a copy of fd under key, takes key's fd out of the store.
 * Never wait. fdstore_put returns 0 (sent or waiting) or negative errno
 * (counted in q.failed). */
int fdstore_put(void *f, uint64_t key, int fd);
void fdstore_drop(void *f, uint64_t key);

/* Sends what waits (up to 5 s) and closes the session. */
void fdstore_close(struct fdstore *f);

/* A source memlog 0.1 stored (by name, before keys): fd and dest_fd (or
 * -1) belong to whoever it is given to. */
struct fdstore_legacy {
	int stream;
	const char *name;
	size_t name_len;
	int fd;
	int dest_fd;
};

struct fdstore_sorter {
	/* An fd stored under a key (ownership passes). */
	void (*key)(void *arg, uint64_t key, int fd);
	/* A source stored by memlog 0.1: 0 when it became a source, or
	 * negative errno (its fds are the callee's to close either way). */
	int (*legacy)(void *arg, const struct fdstore_legacy *e);
	void *arg;
};

/* Sorts what a previous memlogd stored (fds[0..n), names as given in
 * LISTEN_FDNAMES): keyed fds to sort->key; memlog 0.1's sources to
 * sort->legacy, then out of the store (they are stored again by key if
 * they become sources); anything else is closed and removed. Returns how
 * many keyed fds there were, or -ENOMEM (every fd closed and left in the
 * store for the next start). */
int fdstore_sort(struct stored_fd *fds, int n, const struct fdstore_sorter *s);

#endif
