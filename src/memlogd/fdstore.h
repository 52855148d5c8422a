/* systemd's file descriptor store as memlogd's keeper (--fd-store): every
 * fd memlogd must not lose (sources, tee destinations, the ring, the
 * state, its sockets) is also handed to the service manager (FDSTORE=1,
 * FileDescriptorStoreMax=), named by its key (fdname.h), and taken out
 * again (FDSTOREREMOVE=1) when no longer needed. A memlogd restarted by the
 * manager gets them back through LISTEN_FDS/LISTEN_FDNAMES and goes on
 * where the last one stopped: the writers never see a broken pipe, and what
 * they wrote meanwhile waits in their pipes.
 *
 * A leaf: it deals in plain values (keys and fds) and knows nothing of
 * sources; the daemon turns what it gives back into sources. */
#ifndef MEMLOGD_FDSTORE_H
#define MEMLOGD_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listen.h"

/* Hands the manager a copy of fd under key. Returns 0 or negative errno
 * (-ENOTCONN: no service manager to tell). */
int fdstore_put(uint64_t key, int fd);

/* Takes key's fd out of the manager's store. */
void fdstore_drop(uint64_t key);

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
