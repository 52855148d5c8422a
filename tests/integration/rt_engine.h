/* Real container engines in integration tests: runc bundles of Debian's
 * static busybox, a busybox image tarball, and private containerd and
 * dockerd instances, each confined to a work dir of its own
 * (/tmp/memlog-rt-XXXXXX) with loopback-only / no networking.
 *
 * Everything an engine leaves behind under a work dir (processes that name
 * it or run in it: daemons, shims, containers; mounts under it; the
 * cgroups registered for it) is removed by rt_dir_cleanup(), and by
 * rt_teardown() for every work dir still registered when a test failed.
 * Use rt_teardown as the teardown of tests that use these helpers (it
 * calls h_teardown() after). */
#ifndef MEMLOG_ITEST_RT_ENGINE_H
#define MEMLOG_ITEST_RT_ENGINE_H

#include "harness.h"

/* Looks for an installed program in $PATH, then the sbin and bin dirs.
 * False if it is nowhere. */
bool rt_which(const char *name, char *out, size_t cap);
/* The same, skipping the test when it is missing (pkg: the Debian
 * package to name in the reason). */
void rt_need_prog(const char *name, const char *pkg, char *out, size_t cap);
/* Debian's static busybox, or skip. */
const char *rt_busybox(void);

/* ---- work dirs and cleanup ---- */
void rt_dir_make(char *out, size_t cap);
/* A daemon of dir's: cleanup sends it SIGTERM first and waits term_ms
 * for it to stop by itself (dockerd then stops its containers and
 * unmounts), then SIGKILL. It is reaped when it is our child. */
void rt_dir_daemon(const char *dir, pid_t pid, int term_ms);
void rt_dir_undaemon(const char *dir, pid_t pid);
/* A cgroup path (relative to each hierarchy's root, e.g. "memlogrt-ab12")
 * removed with everything under it at cleanup. */
void rt_dir_cgroup(const char *dir, const char *cgpath);
/* Stops what runs in or names dir, unmounts what is mounted under it,
 * removes the cgroups and the tree. */
void rt_dir_cleanup(const char *dir);
int rt_teardown(void **state);

/* ---- processes ---- */

/* How a drain reads one output stream into its file: chunk bytes per
 * read() (0: 64 KiB), then sleeps delay_us. */
struct rt_drain {
	size_t chunk;
	unsigned delay_us;
};

/* A program whose stdout and stderr are pipes, each read by a drain
 * process (a fork of the test) into a file; stdin is /dev/null. */
struct rt_proc {
	pid_t pid;
	pid_t drain[2];  /* [0] stdout, [1] stderr */
	bool done;
	int status;
	char errfile[256];
};

/* A drain on its own: a fork of the test that reads rfd into file (made
 * or truncated) until end of file, then exits 0; o may be NULL (fast).
 * The caller closes its rfd; the pid is tracked for h_teardown(). */
pid_t rt_drain_start(int rfd, const char *file, const struct rt_drain *o);

/* env: extra "K=V" entries; drains may be NULL (fast). */
void rt_proc_start(struct rt_proc *p, const char *const *argv,
		   const char *const *env, const char *outfile,
		   const char *errfile, const struct rt_drain *drains);
/* Waits for the program and then both drains (they end when every
 * writer closed the pipes); returns the program's wait status. */
int rt_proc_wait(struct rt_proc *p, int timeout_ms);
/* Has it exited? (reaps it; *status then holds its wait status) */
bool rt_proc_exited(struct rt_proc *p);
/* Kills the program and its drains (SIGKILL) and reaps them. */
void rt_proc_kill(struct rt_proc *p);

/* The pid of a container's shell: a process whose argv is "sh" "-c"
 * SCRIPT with token in SCRIPT. Waits up to timeout_ms, fails after, or as
 * soon as engine (the program that starts the container; may be NULL)
 * exits, showing its stderr. */
pid_t rt_wait_shell(const char *token, int timeout_ms, struct rt_proc *engine);
/* Lets a container that waits for its /tmp/go (its script runs RT_WAIT_GO)
 * go on: creates it through /proc/PID/root. */
void rt_release(pid_t pid);
/* The shell fragment that waits for /tmp/go. */
#define RT_WAIT_GO "while [ ! -e /tmp/go ]; do sleep 0.02; done"
/* The pids.max of pid's cgroup as the host sees it (cgroup v1 pids
 * hierarchy, else v2), trimmed, malloc'd; NULL if none is found (the
 * paths tried are printed). */
char *rt_pids_max(pid_t pid);

/* ---- runc bundles and the image ---- */

/* DIR/rootfs: busybox and its applet links, /proc /sys /dev /tmp /etc. */
void rt_rootfs(const char *rootfs);
/* A bundle in dir: DIR/rootfs and DIR/config.json from `runc spec` with
 * terminal false, the given args, hostname, and annotations (key, value
 * pairs, NULL-terminated; may be NULL); pids_limit > 0 sets
 * linux.resources.pids.limit, else it is left unset. */
void rt_bundle(const char *runc, const char *dir, const char *const *args,
	       const char *const *annotations, long pids_limit);
/* Builds the busybox docker-archive (tests/tools/busybox-image.sh). */
void rt_image(const char *out, const char *tag);

/* ---- containerd ---- */
struct rt_containerd {
	char dir[128];
	char sock[160];
	char ns[32];      /* a fresh namespace; its cgroups go at cleanup */
	char ctr[256];
	char bin[256];
	pid_t pid;
};
/* Starts containerd with root, state, sockets and plugin dirs under dir
 * (CRI and the snapshotters that need devices off), extra env, and waits
 * until `ctr version` answers. Skips if containerd, ctr or the shim are
 * not installed. */
void rt_containerd_start(struct rt_containerd *c, const char *dir,
			 const char *const *env);
/* ctr -a SOCK -n NS ARGS...; returns the wait status. */
int rt_ctr(const struct rt_containerd *c, const char *const *args,
	   int timeout_ms, char **out, char **err);
/* Fills argv with ctr -a SOCK -n NS then args (NULL-terminated). */
void rt_ctr_argv(const struct rt_containerd *c, const char **argv, int cap,
		 const char *const *args);
void rt_containerd_stop(struct rt_containerd *c);

/* ---- dockerd ---- */
struct rt_dockerd {
	char dir[128];
	char sock[160];
	char host[180];   /* unix://SOCK */
	char cgparent[32];
	char docker[256];
	char bin[256];
	pid_t pid;
};
/* Starts dockerd with --data-root DIR/data, --exec-root DIR/exec, the API
 * on DIR/d.sock, a pidfile, no iptables, no bridge, vfs storage, its own
 * cgroup parent, and --config-file daemon_json (may be NULL; it should set
 * "deprecated-key-path" under dir, else dockerd writes
 * /etc/docker/key.json); waits until `docker version` answers. containerd:
 * the containerd socket to use (a private one; NULL: dockerd starts its
 * own, unless the system's /run/containerd/containerd.sock exists, which
 * it then takes). Skips if dockerd or docker is missing. */
void rt_dockerd_start(struct rt_dockerd *d, const char *dir,
		      const char *daemon_json, const char *containerd);
int rt_docker(const struct rt_dockerd *d, const char *const *args,
	      int timeout_ms, char **out, char **err);
void rt_docker_argv(const struct rt_dockerd *d, const char **argv, int cap,
		    const char *const *args);
void rt_dockerd_stop(struct rt_dockerd *d);

#endif
