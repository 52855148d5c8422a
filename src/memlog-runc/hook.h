/* memlog-runc as the container's OCI createRuntime hook (memlog-runc
 * --memlog-hook NAME, which it adds to config.json on create and run):
 * runc runs it, in the host's namespaces, with the container's state on
 * stdin once the container's first process exists; it tells memlogd the
 * container's name, id, pid, start time, cgroup and namespaces
 * (ctrmsg.h), so that memlogd can attribute kernel events to it. It never
 * fails the container: whatever happens, it exits 0. */
#ifndef MEMLOG_RUNC_HOOK_H
#define MEMLOG_RUNC_HOOK_H

#include <stddef.h>
#include <stdint.h>

/* The OCI state runc passes on stdin: its id and pid. Pure. Returns 0, or
 * -EINVAL with why set. */
int hook_state_parse(const char *text, size_t len, char *id, size_t id_cap,
		     int32_t *pid, const char **why);

/* Reads the state from fd, looks at /proc/PID and registers the
 * container with the memlogd at socket. Returns 0 or negative errno,
 * with why (why_cap bytes) saying what went wrong. */
int hook_run(int fd, const char *socket, const char *name, char *why,
	     size_t why_cap);

/* Announces container id (source name name) to memlogd before it is
 * created, so that its view socket exists when runc mounts it. */
int hook_announce(const char *socket, const char *name, const char *id,
		  char *why, size_t why_cap);

#endif
