/* A container's registration with memlogd (docs/protocol.md, "Container
 * registrations"), as memlog-runc sends it on the registration socket and
 * as memlogd keeps it in STATE_DIR/containers:
 *
 *     NAME "\0container=" ID [ "\0pid=" PID "\0start=" TICKS
 *          "\0cgroup=" PATH "\0ns.pid=" INODE "\0ns.net=" INODE ]
 *
 * NAME is the container's source name (its stdout is NAME.out, its
 * stderr NAME), ID the engine's container id, PID the container's first
 * process on the host, TICKS its start time (field 22 of /proc/PID/stat),
 * PATH its cgroup (procinfo.h's proc_cgroup_pick), the inodes those of
 * /proc/PID/ns/pid and ns/net. Without pid= it announces a container
 * about to be created (its view can be made before runc mounts it).
 * The file holds one per line, fields separated by tabs, in the same
 * order, with the registrant's uid and whether the container is gone.
 * Pure: no I/O. */
#ifndef MEMLOG_CTRMSG_H
#define MEMLOG_CTRMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regmsg.h"

#define CTR_NAME_MAX 508      /* a source name less ".out" */
#define CTR_ID_MAX 128
#define CTR_CGROUP_MAX 1024

struct ctr_msg {
	char name[CTR_NAME_MAX + 1];
	char id[CTR_ID_MAX + 1];
	int32_t pid;             /* 0: not given */
	uint64_t start_ticks;
	char cgroup[CTR_CGROUP_MAX + 1]; /* "" when not given */
	uint64_t ns_pid, ns_net; /* 0: not given */
	uint32_t uid;            /* in the file: who registered it */
	bool gone;               /* in the file: its process had ended */
};

/* From a parsed registration datagram that carries container=. Returns 0,
 * or -EINVAL with *why saying what is wrong: an id other than 1 to 128
 * bytes of [A-Za-z0-9_.-], an empty name or one with control bytes, a
 * pid, start or inode that is not a number, a pid without start and
 * cgroup, a cgroup that is not an absolute path without control bytes,
 * or "/" itself. */
int ctr_msg_parse(const struct reg_msg *m, struct ctr_msg *out,
		  const char **why);

/* The datagram for c (pid 0: no pid, start, cgroup and inodes). Returns
 * its length or a negative errno (-ENOSPC). */
int ctr_msg_build(char *out, size_t cap, const struct ctr_msg *c);

/* One line of the file (ending in '\n'). Returns its length or -ENOSPC. */
int ctr_line_format(char *out, size_t cap, const struct ctr_msg *c);

/* Parses one line (without or with its '\n'). Returns 0 or -EINVAL. */
int ctr_line_parse(const char *line, size_t len, struct ctr_msg *c);

#endif
