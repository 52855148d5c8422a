/* Sources that outlive memlogd: with --fd-store, every source fd (and its
 * tee destination) is also handed to the service manager's file
 * descriptor store (systemd: FDSTORE=1, FileDescriptorStoreMax=), named
 * as in fdname.h, and taken out again (FDSTOREREMOVE=1) when the source
 * ends. A memlogd restarted by the manager gets them back through
 * LISTEN_FDS/LISTEN_FDNAMES and reads on where the last one stopped: the
 * writers (containers under memlog-runc) never see a broken pipe, and what
 * they wrote meanwhile waits in the pipe. */
#ifndef MEMLOGD_FDSTORE_H
#define MEMLOGD_FDSTORE_H

#include <stdbool.h>

#include "daemon.h"
#include "listen.h"

struct source;

/* Stores s (new registration). Sets s->store_id, or leaves it 0 when the
 * name does not fit a store name or the manager cannot be told. */
void fdstore_put(struct daemon *d, struct source *s);

/* Takes s's fds out of the store (dest_only: only its tee destination). */
void fdstore_drop(struct daemon *d, struct source *s, bool dest_only);

/* Makes sources of what a previous memlogd stored. Takes every fd. Returns
 * how many sources were taken back. */
int fdstore_adopt(struct daemon *d, struct stored_fd *fds, int n);

#endif
