/* What /proc says about a process, parsed: its comm and start time
 * (/proc/PID/stat) and its cgroup (/proc/PID/cgroup). Pure: the caller
 * reads the files. Used to tie a kernel event's pid to a container and
 * to tell a reused pid from the process the event was about. */
#ifndef MEMLOG_PROCINFO_H
#define MEMLOG_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_stat {
	const char *comm;       /* between the first '(' and the last ')' */
	size_t comm_len;
	uint64_t start_ticks;   /* field 22: start time, clock ticks since boot */
};

/* Parses /proc/PID/stat (text[0..len)). Returns 0 or -EINVAL. */
int proc_stat_parse(const char *text, size_t len, struct proc_stat *st);

/* The cgroup a kernel event names for the process, from /proc/PID/cgroup:
 * the memory controller's path on cgroup v1 (what an OOM report prints),
 * else the unified hierarchy's ("0::PATH"). Sets *path (pointing into
 * text) and returns 0, or -ENOENT. */
int proc_cgroup_pick(const char *text, size_t len, const char **path,
		     size_t *path_len);

/* Could the process that started at start_ticks (USER_HZ ticks since
 * boot) be the one a kernel record stamped at usec (us since boot) was
 * about? No when it started later than the record: its pid was reused. */
bool proc_started_by(uint64_t start_ticks, long hz, uint64_t usec);

/* Is path equal to base or below it (path components, not bytes: "/a/bc"
 * is not below "/a/b")? */
bool cgroup_within(const char *path, size_t len, const char *base,
		   size_t base_len);

#endif
