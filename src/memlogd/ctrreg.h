/* The container registry: which containers memlogd knows, so that kernel
 * events can be attributed to them (kernlog) and each can be served its
 * own view (view.h). docs/kernel.md.
 *
 * Containers come from two places:
 * - registered: memlog-runc tells memlogd about each container it creates
 *   (ctrmsg.h), accepted only from host root (SCM_CREDENTIALS uid 0, in
 *   memlogd's own user and pid namespaces) and checked against /proc/PID
 *   (start time, cgroup, namespaces);
 * - recognized: a cgroup path an engine made (ctrcgroup.h), for
 *   containers not started through memlog-runc; the id is the name.
 * An entry outlives its container by --container-linger, for events that
 * arrive as it dies (an OOM kill), and the registry is bounded
 * (--max-containers): a full one evicts the entry gone longest, then the
 * recognized one seen least recently, and refuses a registration only
 * when every entry is a live registered container.
 *
 * Registered containers are kept in STATE_DIR/containers (rewritten on
 * every change) and read again at start, each checked against /proc
 * again: a restart, crash or live upgrade of memlogd keeps them, and a
 * container that ended meanwhile lingers from then on. */
#ifndef MEMLOGD_CTRREG_H
#define MEMLOGD_CTRREG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctrmsg.h"
#include "procwatch.h"
#include "regmsg.h"
#include "store.h"

struct view;

struct ctr {
	struct ctr_msg m;        /* name, id, pid, start, cgroup, namespaces */
	bool recognized;         /* from a cgroup path, not registered */
	uint64_t since_ms;       /* registered, or recognized last */
	uint64_t gone_ms;        /* when its process was found gone; 0: live */
	uint64_t events;         /* kernel events attributed to it */
	struct view *view;       /* its query socket, or NULL (view.h) */
	uint32_t key;            /* never 0, never reused: procwatch's */
	int32_t netnsid;         /* its network namespace's id (nflink.h),
				  * or -1: not known yet */
};

struct ctrreg {
	struct store *store;
	struct ctr **v;          /* n entries, max at most; an entry stays
				  * where it is until it is dropped */
	uint32_t n, max;
	uint64_t linger_ms;
	uint64_t registered;     /* registrations accepted, ever */
	uint64_t refused;        /* registrations refused */
	uint64_t evicted;        /* entries dropped to make room */
	bool dirty;              /* the file must be written again */
	bool save_failed;        /* said once */
	long hz;                 /* USER_HZ, for start times */
	char own_cgroup[CTR_CGROUP_MAX + 1]; /* memlogd's own */
	char path[PATH_MAX];     /* STATE_DIR/containers, or "" */
	struct procwatch *pw;    /* follows registered containers' tasks,
				  * or NULL */
	uint32_t next_key;
	/* A view's life follows its container's (view.h): */
	void (*added)(void *arg, struct ctr *c);
	void (*removed)(void *arg, struct ctr *c);
	void *hook_arg;
};

/* An empty registry of at most max containers, then what the file in
 * state_dir (NULL or "": none) holds, checked against /proc. Returns 0
 * or -ENOMEM. */
int ctrreg_init(struct ctrreg *r, struct store *store, uint32_t max,
		uint32_t linger_s, const char *state_dir, uint64_t now_ms);

/* A container registration (m carries container=) from the sender cred
 * (NULL: none was passed). Returns NULL when taken, else why not (also
 * said in a notice). */
const char *ctrreg_register(struct ctrreg *r, const struct reg_msg *m,
			    const struct ucred *cred, uint64_t now_ms);

/* The container whose cgroup holds path: the deepest registered one, else
 * an engine's container recognized by the path (added to the registry).
 * NULL when none. */
struct ctr *ctrreg_by_cgroup(struct ctrreg *r, const char *path, size_t len,
			     uint64_t now_ms);

/* The container of task pid as the process events followed it, born
 * before a record made at mono_us (procwatch.h), or NULL. */
struct ctr *ctrreg_task(struct ctrreg *r, int32_t pid, uint64_t mono_us);

/* Follows the registered containers' tasks from now on (every one known
 * now is seeded from its cgroup). */
void ctrreg_watch(struct ctrreg *r, struct procwatch *pw);

/* Each second: containers whose process is gone start lingering, those
 * that lingered long enough are dropped, the file is written. */
void ctrreg_tick(struct ctrreg *r, uint64_t now_ms);

/* The entry with this id, or NULL. */
struct ctr *ctrreg_find(struct ctrreg *r, const char *id);

/* The "containers" member of the stats reply: bytes at most, and the
 * writer. */
size_t ctrreg_json_bound(const struct ctrreg *r);
size_t ctrreg_json(const struct ctrreg *r, char *out, uint64_t now_ms);

void ctrreg_destroy(struct ctrreg *r);

#endif
