/* Which container a process that has already ended was in. A segfault's
 * or a seccomp kill's record names a pid, but by the time memlogd reads
 * it the process has usually been reaped (its parent waits for it at
 * once), so /proc cannot say. memlogd therefore follows the processes of
 * registered containers through the kernel's process events (the proc
 * connector, NETLINK_CONNECTOR: fork and exit of every task, root only):
 * a container's first process is known from its registration (and the
 * tasks of its cgroup when memlogd starts), every task a known one forks
 * is known too, and an ended task is remembered for PROCWATCH_LINGER_MS.
 *
 * A pid the kernel hands out again is a fork of its own, seen before any
 * record about the new task: the old entry is replaced. A record stamped
 * before the entry's fork is never given it. If events were lost (the
 * socket's buffer overflowed), every entry is forgotten (a task may have
 * ended and its pid been reused unseen) and the registry seeds the
 * containers' tasks again from their cgroups: an ended task is then not
 * attributed rather than one wrongly. */
#ifndef MEMLOGD_PROCWATCH_H
#define MEMLOGD_PROCWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

#define PROCWATCH_LINGER_MS 10000
#define PROCWATCH_MAX 65536      /* tasks followed at most */

struct pw_task {
	int32_t pid;             /* 0: free slot */
	uint32_t ctr;            /* the container's key (procwatch_key) */
	uint64_t born_ns;        /* CLOCK_MONOTONIC of its fork, 0: unknown */
	uint64_t ended_ms;       /* loop time it ended, 0: alive */
};

struct procwatch {
	struct ev ev;
	struct loop *loop;
	struct pw_task *t;       /* open addressing by pid */
	uint32_t n, mask;
	uint64_t lost;           /* times events were lost */
	uint64_t full;           /* tasks not followed: the table was full */
	bool reseed;             /* events were lost: every entry was
				  * forgotten, the tasks must be seeded
				  * again (procwatch_add) */
};

/* Starts following (NULL when the connector cannot be had: not root, not
 * the host's pid namespace, an old kernel; attribution then relies on
 * /proc alone). */
struct procwatch *procwatch_open(struct loop *loop);

/* Task pid (alive now) belongs to container key. */
void procwatch_add(struct procwatch *w, int32_t pid, uint32_t key);

/* The container key of task pid as the process events followed it (alive,
 * or ended within the linger time; the queued events are read first),
 * when it was born before a record made at mono_us at the latest
 * (CLOCK_MONOTONIC, kclock.h); 0 when not known. */
uint32_t procwatch_task(struct procwatch *w, int32_t pid, uint64_t mono_us);

/* Each second: ended tasks past their linger time are forgotten. */
void procwatch_tick(struct procwatch *w);

void procwatch_close(struct procwatch *w);

#endif
