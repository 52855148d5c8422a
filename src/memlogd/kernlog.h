/* The kernel log as a built-in source "kmsg": /dev/kmsg read once, without
 * consuming it, one record per read(), with priority, facility, the
 * kernel's time stamp and its KEY=VALUE dictionary kept. Kernel events
 * (kevent.h) get the attributes event, pid and, when they can be tied to
 * a container of ctrs, container, container_id and cgroup
 * (docs/kernel.md). The next expected
 * sequence number is kept in STATE_DIR/kmsg.state (with the boot id), so a
 * restart neither repeats nor skips records; gaps become one marker entry
 * "missed N kernel messages". */
#ifndef MEMLOGD_KERNLOG_H
#define MEMLOGD_KERNLOG_H

#include <stdbool.h>

#include "ctrreg.h"
#include "kmsg.h"
#include "loop.h"
#include "store.h"

struct kernlog;

/* Opens path and starts reading. On failure (no such device, no
 * CAP_SYSLOG in a container) says why in one notice and on stderr and
 * returns NULL: memlogd runs on without it. */
struct kernlog *kernlog_open(struct loop *loop, struct store *store,
			     const char *path, const char *state_dir,
			     struct ctrreg *ctrs);

/* A kernel log relay (memlog-kmsg --relay, docs/kernel.md): fd (taken,
 * non-blocking) is the read end of a pipe or socket into which the relay
 * writes the records as /dev/kmsg gives them, one per write(). With k
 * NULL, starts a reader of it, as kernlog_open does (NULL: out of
 * memory); else k reads fd from now on instead of its last relay's
 * (which has gone: kernlog_relay_live), keeping its place, and is
 * returned. */
struct kernlog *kernlog_relay(struct kernlog *k, struct loop *loop,
			      struct store *store, int fd,
			      const char *state_dir, struct ctrreg *ctrs);

/* Is k a relay's reader whose relay still writes (its pipe has a
 * writer)? One relay at a time: a second would take turns with the first
 * forever. */
bool kernlog_relay_live(const struct kernlog *k);

/* Each second: an OOM report that has not ended within a second is
 * stored as it is (unattributed). */
void kernlog_tick(struct kernlog *k);

/* Reads what is there (a fair share). For a device epoll cannot watch
 * (a regular file standing in for /dev/kmsg) the loop calls it each turn
 * while kernlog_busy() says so. */
void kernlog_service(struct kernlog *k);
bool kernlog_busy(const struct kernlog *k);

void kernlog_close(struct kernlog *k);

/* The estimated offset of printk's clock against CLOCK_MONOTONIC
 * (kclock.h), for stats: false while not known. */
bool kernlog_clock_offset(const struct kernlog *k, int64_t *us);

#endif
