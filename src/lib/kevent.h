/* Kernel events in /dev/kmsg records: which record says that a process
 * was OOM-killed, segfaulted, trapped, hung, was killed by seccomp, or
 * that netfilter logged a packet, and the host pid, comm, cgroup or
 * interfaces it names (docs/kernel.md).
 *
 * Every parser is anchored at both ends and takes only facility 0 (a
 * process writing to /dev/kmsg gets facility 1 at least): a process name
 * (comm, up to 15 bytes the process chooses) or a file name may hold any
 * text, such as ",pid=1" or a whole fake OOM line, and so may a netfilter
 * LOG prefix, which a container may set with nf_log_all_netns=1. Where the
 * kernel's own format leaves two readings, the record is not an event
 * (or, for an OOM summary, its cgroup is not used). Pure: no I/O. */
#ifndef MEMLOG_KEVENT_H
#define MEMLOG_KEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kevent_type {
	KEV_NONE,
	KEV_OOM_START,    /* "COMM invoked oom-killer: gfp_mask=..." */
	KEV_OOM_SUMMARY,  /* "oom-kill:constraint=...,task=COMM,pid=N,uid=N" */
	KEV_OOM_KILLED,   /* "...: Killed process N (COMM) total-vm:..." */
	KEV_OOM_REAPED,   /* "oom_reaper: reaped process N (COMM), now ..." */
	KEV_SEGFAULT,     /* "COMM[N]: segfault at ..." */
	KEV_TRAP,         /* "traps: COMM[N] DESC ip:... sp:... error:..." */
	KEV_HUNG,         /* "INFO: task COMM:N blocked for more than N seconds." */
	KEV_SECCOMP,      /* "audit: type=1326 ...": a seccomp kill or log */
	KEV_CRASH,        /* "audit: type=1701 ...": a process dumped core */
	KEV_NETFILTER,    /* "PREFIX IN=... OUT=... [PHYSIN=...]..." */
};

/* A piece of the record's message (not NUL-terminated). */
struct kstr {
	const char *p;
	size_t len;
};

/* Netfilter's interfaces, in the order they are looked at. */
enum { KEV_IF_PHYSIN, KEV_IF_IN, KEV_IF_PHYSOUT, KEV_IF_OUT, KEV_NIFS };

struct kevent {
	enum kevent_type type;
	int64_t pid;          /* host pid (tid for a hung task), or -1 */
	int64_t uid;          /* where the line gives one, or -1 */
	struct kstr comm;     /* as printed (bytes escaped as \xNN by
			       * /dev/kmsg); empty for an OOM summary,
			       * whose comm is known only from the
			       * "Killed process" record (kevent_oom_check) */
	bool comm_hex;        /* audit: comm printed as hex digits */
	/* KEV_OOM_SUMMARY: */
	bool global_oom;      /* not a memory cgroup's OOM */
	const char *task_at;  /* where ",pid=N,uid=N" starts */
	/* KEV_NETFILTER: interface names (empty: none) */
	struct kstr ifs[KEV_NIFS];
	/* KEV_SECCOMP: the signal and syscall */
	int64_t sig, syscall;
};

/* The longest comm as printed: 15 bytes, each escaped as \xNN at worst. */
#define KEV_COMM_MAX 60

/* Parses one record's message. Returns its type (KEV_NONE for anything
 * else, and for any facility but 0). ev's pieces point into msg. */
enum kevent_type kevent_parse(int facility, const char *msg, size_t len,
			      struct kevent *ev);

/* The cross-check of an OOM kill: the summary (KEV_OOM_SUMMARY, whose
 * message is summary_msg) and the "Killed process" record (KEV_OOM_KILLED)
 * name the same pid, and the summary's text ends in ",task=" COMM ",pid="
 * with the killed record's COMM. On success *cgroup is the victim's
 * memory cgroup (task_memcg), empty when the summary gives none, or gives
 * it ambiguously (",task_memcg=" more than once: a cgroup name may hold
 * it). Returns true when they agree. */
bool kevent_oom_check(const struct kevent *summary, const char *summary_msg,
		      const struct kevent *killed, struct kstr *cgroup);

/* Does the event's comm (escaped as /dev/kmsg prints it, or as audit's
 * hex) equal raw, a comm as /proc/PID/stat gives it? */
bool kevent_comm_eq(const struct kevent *ev, const char *raw, size_t raw_len);

/* The event's name for the "event" attribute: "oom", "segfault", "trap",
 * "hung", "seccomp", "crash", "netfilter"; NULL for KEV_NONE. */
const char *kevent_name(enum kevent_type t);

#endif
