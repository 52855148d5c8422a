/* memlog-kmsg --relay: the kernel's records, exactly as /dev/kmsg gives
 * them, handed to memlogd through a pipe whose read end is registered with
 * relay=kernel (docs/protocol.md), so that memlogd attributes kernel
 * events to containers (its registry is the only one) and keeps the place
 * by seq. memlogd takes a relay from host root only. */
#ifndef MEMLOG_KMSG_RELAY_H
#define MEMLOG_KMSG_RELAY_H

#include <signal.h>

#include "options.h"

/* Relays kfd (the kernel log, non-blocking) to memlogd at o->relay until
 * the end (--no-follow) or a stop signal, which only *waitmask lets
 * through. When memlogd goes away (a restart, an upgrade) registers again
 * and starts over from the oldest record the kernel holds: memlogd skips
 * what it has. Returns the exit code: 0, or 1 when memlogd refused the
 * relay (said on stderr) or the kernel log failed. */
int relay_run(const struct memlog_kmsg_opts *o, int kfd,
	      const sigset_t *waitmask);

#endif
