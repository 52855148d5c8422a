/* Which engine's container a cgroup path belongs to, for containers that
 * were not started through memlog-runc: Docker (cgroupfs "/docker/ID",
 * systemd "docker-ID.scope"), containerd's CRI ("cri-containerd-ID.scope",
 * or ID under a kubepods pod), CRI-O ("crio-ID.scope"), Podman
 * ("libpod-ID.scope"), with ID 64 hex digits. Pure.
 *
 * The outermost matching component counts: the engine made it on the
 * host; a container that may make cgroups (a cgroup namespace with
 * delegation) can make them only below its own, and one named like
 * another container's must not pass for it. */
#ifndef MEMLOG_CTRCGROUP_H
#define MEMLOG_CTRCGROUP_H

#include <stddef.h>

#define CTR_ID_LEN 64

struct ctr_cgroup {
	const char *engine;     /* "docker", "containerd", "crio", "podman" */
	char id[CTR_ID_LEN + 1];
	size_t base_len;        /* path[0..base_len) is the container's cgroup */
	char pod[64];           /* a kubepods pod's uid, or "" */
};

/* Returns 0 when path names an engine's container, else -ENOENT. */
int ctr_cgroup_parse(const char *path, size_t len, struct ctr_cgroup *c);

#endif
