/* Kernel events attributed to containers (docs/kernel.md), with real
 * events in real runc containers started through memlog-runc and the
 * real kernel log (root, runc, busybox and a C compiler; skipped with the
 * reason otherwise):
 * - container A (a 32 MiB memory limit): an OOM kill, a segfault, a
 *   seccomp kill, a second segfault whose pid the test hands to a process
 *   in container B (through /proc/sys/kernel/ns_last_pid) while memlogd
 *   is stopped, and a segfault line forged from inside A through
 *   /dev/kmsg;
 * - container B: waits, holding the reused pid's cgroup; a packet goes
 *   out through a veth into its network namespace, logged by a LOG rule
 *   on the host's side.
 * On the host the OOM report, the first segfault and the seccomp kill
 * carry container=A, its id, cgroup and the pid; the reused pid is
 * attributed to neither container; the forged line is no event at all; the netfilter
 * line is B's. Each container's view (its query socket) holds only its
 * own lines and events, and memlog's logread inside B reads B's.
 * Another test blocks a process of A on a frozen file system until the
 * kernel reports it as a hung task.
 * The test's own names (a per-run container id and segfault program)
 * pick its records out of a kernel log that others write to too. */
#include "harness.h"
#include "kctr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/klog.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNC KC_RUNC
#define WAIT_MS KC_WAIT_MS
#define IGNORE(x) do { if (x) {} } while (0)

/* The test's program: a segfault; with "seccomp", a seccomp kill (of
 * getppid); with "write PATH", PATH created; with "hog", memory until the
 * OOM killer comes; with "pause", nothing. */
static const char segv_src[] =
	"#include <linux/filter.h>\n"
	"#include <linux/seccomp.h>\n"
	"#include <stddef.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <sys/prctl.h>\n"
	"#include <sys/syscall.h>\n"
	"#include <unistd.h>\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"\tif (argc > 1 && !strcmp(argv[1], \"seccomp\")) {\n"
	"\t\tstruct sock_filter f[] = {\n"
	"\t\t\tBPF_STMT(BPF_LD | BPF_W | BPF_ABS,\n"
	"\t\t\t\t offsetof(struct seccomp_data, nr)),\n"
	"\t\t\tBPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),\n"
	"\t\t\tBPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),\n"
	"\t\t\tBPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),\n"
	"\t\t};\n"
	"\t\tstruct sock_fprog p = { 4, f };\n"
	"\t\tprctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);\n"
	"\t\tprctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p);\n"
	"\t\tsyscall(__NR_getppid);\n"
	"\t\treturn 1;\n"
	"\t}\n"
	"\tif (argc > 2 && !strcmp(argv[1], \"write\"))\n"
	"\t\treturn fopen(argv[2], \"w\") ? 0 : 1;\n"
	"\tif (argc > 1 && !strcmp(argv[1], \"hog\"))\n"
	"\t\tfor (;;)\n"
	"\t\t\tmemset(malloc(1 << 20), 1, 1 << 20);\n"
	"\tif (argc > 1)\n"
	"\t\tpause();\n"
	"\t*(volatile int *)16 = 1;\n"
	"\treturn 0;\n"
	"}\n";

struct ka {
	struct kctr k;          /* the containers, /dev/kmsg, the program */
	pid_t reuser;           /* the process given the reused pid */
	char veth[16];          /* the host side of B's veth, or "" */
	char nf_rule[128];      /* the LOG rule's iptables arguments */
	char frozen[128];       /* a frozen file system's mount point, or "" */
	char mounted[128];      /* a loop-mounted file system's, or "" */
	char hung_timeout[16];  /* kernel.hung_task_timeout_secs before, or "" */
	char hung_warnings[16]; /* kernel.hung_task_warnings before, or "" */
	pid_t relay;            /* memlog-kmsg --relay, or 0 */
};

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static int ka_setup(void **state)
{
	struct ka *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	kc_init(&t->k);
	*state = t;
	return 0;
}

static int ka_teardown(void **state)
{
	struct ka *t = *state;
	char cmd[1024];

	if (t->reuser > 0) {
		kill(t->reuser, SIGKILL);
		waitpid(t->reuser, NULL, 0);
	}
	if (t->relay > 0) {
		kill(t->relay, SIGKILL);
		waitpid(t->relay, NULL, 0);
	}
	if (t->nf_rule[0]) {
		snprintf(cmd, sizeof(cmd), "iptables -D %s 2>/dev/null", t->nf_rule);
		IGNORE(system(cmd));
	}
	if (t->veth[0]) {
		snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", t->veth);
		IGNORE(system(cmd));
	}
	/* Thawed first: a task blocked on it cannot even be killed. */
	if (t->frozen[0]) {
		snprintf(cmd, sizeof(cmd), "fsfreeze -u %s", t->frozen);
		IGNORE(system(cmd));
	}
	if (t->hung_timeout[0])
		h_write_file("/proc/sys/kernel/hung_task_timeout_secs",
			     t->hung_timeout, 0644);
	if (t->hung_warnings[0])
		h_write_file("/proc/sys/kernel/hung_task_warnings",
			     t->hung_warnings, 0644);
	if (t->mounted[0]) {
		kc_teardown_containers(&t->k);
		snprintf(cmd, sizeof(cmd), "umount %s 2>/dev/null || umount -l %s",
			 t->mounted, t->mounted);
		IGNORE(system(cmd));
	}
	kc_teardown(&t->k);
	int r = h_teardown(state);
	mld_cleanup(&t->k.m);
	free(t);
	return r;
}


/* A busybox bundle DIR/NAME running script, with /dev/kmsg (writable, as
 * a privileged container would have it) and memory limit mem (0: none). */
static void bundle(const struct ka *t, const char *name, const char *script,
		   long mem)
{
	json_t *c = kc_bundle(&t->k, name, script);

	json_array_append_new(json_object_get(c, "mounts"),
			      json_pack("{ss ss ss s[ss]}", "destination",
					"/dev/kmsg", "type", "bind", "source",
					"/dev/kmsg", "options", "bind", "rw"));
	json_t *res = json_object_get(json_object_get(c, "linux"), "resources");
	json_array_append_new(json_object_get(res, "devices"),
			      json_pack("{sb ss si si ss}", "allow", 1, "type",
					"c", "major", 1, "minor", 11, "access",
					"rw"));
	if (mem)
		json_object_set_new(res, "memory", json_pack("{sI}", "limit",
							     (json_int_t)mem));
	kc_bundle_save(&t->k, name, c);
}


/* The registered container id's entry in stats, waited for until it has a
 * pid (its createRuntime hook ran). */
static json_t *ctr_stats(const struct ka *t, const char *id)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *st = h_stats(&t->k.m), *e;
		json_t *list = h_jget(st, "containers.list");
		size_t i;
		json_array_foreach(list, i, e) {
			if (!strcmp(h_jstr(e, "id"), id) && h_jint(e, "pid") > 0) {
				json_incref(e);
				json_decref(st);
				return e;
			}
		}
		json_decref(st);
		if (h_now_ms() > deadline)
			fail_msg("container %s not registered within %d ms", id,
				 WAIT_MS);
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
}

/* The entry memlogd stored for the kernel record msg, within WAIT_MS. */
static json_t *stored(const struct ka *t, const char *msg)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *a = h_dump(&t->k.m, "dump source=kmsg\n");
		json_t *e = h_find_msg(a, msg);
		if (e) {
			json_incref(e);
			json_decref(a);
			return e;
		}
		json_decref(a);
		if (h_now_ms() > deadline)
			fail_msg("memlogd did not store \"%s\" within %d ms", msg,
				 WAIT_MS);
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
}

/* What container id's view answers to req. */
static char *view_ask(const struct ka *t, const char *id, const char *req,
		      size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/views/%s.sock", t->k.m.dir, id);
	int fd = h_connect(path);
	h_write_all(fd, req, strlen(req));
	return h_read_all_close(fd, H_TIMEOUT_MS, len);
}

/* Container id's view holds only its own sources and kernel events
 * attributed to it (and gap markers); and each of want. */
static void check_view(const struct ka *t, const char *id,
		       const char *const *want)
{
	size_t len;
	char *s = view_ask(t, id, "dump\n", &len);
	json_t *a = h_ndjson(s, len), *e;
	char out[64];
	size_t i;

	free(s);
	snprintf(out, sizeof(out), "%s.out", id);
	json_array_foreach(a, i, e) {
		const char *src = h_jstr(e, "source");
		if (!strcmp(src, id) || !strcmp(src, out))
			continue;
		json_t *cid = json_object_get(json_object_get(e, "attrs"),
					      "container_id");
		if (!strcmp(src, "kmsg") && (json_is_true(json_object_get(e, "marker")) ||
		    (json_is_string(cid) && !strcmp(json_string_value(cid), id))))
			continue;
		h_print_entries(a);
		fail_msg("%s's view has \"%s\" of %s", id, h_jstr(e, "msg"), src);
	}
	for (; *want; want++)
		if (!h_find_msg(a, *want)) {
			h_print_entries(a);
			fail_msg("%s's view lacks \"%s\"", id, *want);
		}
	json_decref(a);
}

static const char *attr(json_t *e, const char *key)
{
	json_t *v = json_object_get(json_object_get(e, "attrs"), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void expect_attr(json_t *e, const char *key, const char *want)
{
	const char *v = attr(e, key);

	if (!want && v)
		fail_msg("\"%s\": %s=%s, want none", h_jstr(e, "msg"), key, v);
	if (want && (!v || strcmp(v, want)))
		fail_msg("\"%s\": %s=%s, want %s", h_jstr(e, "msg"), key,
			 v ? v : "(none)", want);
}

/* e is kernel event event of container id (its name is its id, as
 * memlog-runc names it), in cgroup, about pid. */
static void expect_ctr_event(json_t *e, const char *event, const char *id,
			     const char *cgroup, int pid)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", pid);
	expect_attr(e, "event", event);
	expect_attr(e, "container", id);
	expect_attr(e, "container_id", id);
	expect_attr(e, "cgroup", cgroup);
	expect_attr(e, "pid", num);
}

/* CLOCK_BOOTTIME - CLOCK_MONOTONIC now (time suspended), in us. */
static int64_t boot_minus_mono_us(void)
{
	struct timespec b, m;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)b.tv_sec - m.tv_sec) * 1000000 +
	       ((int64_t)b.tv_nsec - m.tv_nsec) / 1000;
}

/* When process pid started, in us since boot (its /proc stat field 22,
 * in clock ticks); -1 when it cannot be read. */
static int64_t start_us(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *s = h_read_file(path, NULL), *p = s ? strrchr(s, ')') : NULL;
	int64_t at = -1;

	for (int field = 2; p && *p; p++) {
		if (*p != ' ')
			continue;
		if (++field == 22) {
			at = (int64_t)strtoull(p + 1, NULL, 10) * 1000000 /
			     sysconf(_SC_CLK_TCK);
			break;
		}
	}
	free(s);
	return at;
}

/* Forks a process that execs the segfault program (pausing) with pid
 * want, in cgroup (memory controller) cg: up to 100 tries, as other
 * processes may take the pid first. Returns its pid, or -1. */
static pid_t reuse_pid(struct ka *t, int want, const char *cg)
{
	char prog[128], num[16], path[1200];

	snprintf(prog, sizeof(prog), "%s/%s", t->k.dir, t->k.segv);
	for (int i = 0; i < 100; i++) {
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		snprintf(num, sizeof(num), "%d", want - 1);
		write_str("/proc/sys/kernel/ns_last_pid", num);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char c;
			close(p[1]);
			if (read(p[0], &c, 1) != 1)
				_exit(0);
			execl(prog, t->k.segv, "pause", (char *)NULL);
			_exit(127);
		}
		close(p[0]);
		if (pid != want) {
			close(p[1]);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			continue;
		}
		snprintf(num, sizeof(num), "%d", (int)pid);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/cgroup.procs",
			 cg);
		if (access(path, F_OK))
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs",
				 cg);
		write_str(path, num);
		IGNORE(write(p[1], "x", 1));
		close(p[1]);
		/* Its comm is the program's once it has exec'd. */
		char comm[64], cpath[64];
		snprintf(cpath, sizeof(cpath), "/proc/%d/comm", (int)pid);
		uint64_t deadline = h_now_ms() + WAIT_MS;
		for (;;) {
			char *s = h_read_file(cpath, NULL);
			snprintf(comm, sizeof(comm), "%s", s ? s : "");
			free(s);
			comm[strcspn(comm, "\n")] = '\0';
			if (!strcmp(comm, t->k.segv))
				break;
			if (h_now_ms() > deadline)
				fail_msg("pid %d did not exec %s", (int)pid, t->k.segv);
			h_sleep_ms(1);
		}
		t->reuser = pid;
		return pid;
	}
	return -1;
}

/* What the real-container tests need (else skipped, saying why): the
 * test's kernel log reader at the end of the log, its dir, names and
 * program, and segfaults printed (restored at teardown). */
static void prepare(struct ka *t)
{
	kc_prepare(&t->k, "ka", segv_src);
	if (access("/proc/sys/kernel/ns_last_pid", W_OK)) {
		print_message("# needs a writable ns_last_pid; skipping\n");
		skip();
	}
}

/* The registered containers' tasks are followed (for events of reaped
 * ones), or the test is skipped: the kernel's process events need root
 * in the host's pid namespace. */
static void need_tasks_followed(const struct ka *t)
{
	json_t *st = h_stats(&t->k.m);

	if (!h_jget(st, "containers.tasks")) {
		json_decref(st);
		print_message("# the kernel's process events cannot be had "
			      "here (not the host's pid namespace?); "
			      "skipping\n");
		skip();
	}
	if (h_jint(st, "containers.tasks.followed") < 1)
		fail_msg("stats: no container task followed");
	json_decref(st);
}

static void test_container_events(void **state)
{
	struct ka *t = *state;
	char line[1024], want[64], cg_b[1100];

	prepare(t);
	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);

	/* A: an OOM kill (of a process named "k,pid=1", as any process may
	 * name itself), a segfault, a seccomp kill; then, once told, another
	 * segfault; then what the test gives it, written to /dev/kmsg. */
	char script[512];
	snprintf(script, sizeof(script),
		 "'/bin/k,pid=1' hog; /bin/%s;"
		 " /bin/%s seccomp; cat /f1 >/dev/null; /bin/%s;"
		 " cat /f2 >/dev/kmsg; echo ka-end", t->k.segv, t->k.segv, t->k.segv);
	bundle(t, "a", script, 32l << 20);
	kc_sh("cp %s/%s '%s/a/rootfs/bin/k,pid=1'", t->k.dir, t->k.segv, t->k.dir);
	bundle(t, "b", "echo kb-line; cat /f1 >/dev/null;"
	       " /bin/logread >/tmp/lr.out 2>&1", 0);
	/* memlog's logread, with its libraries, in B. */
	char lr[256];
	h_prog(lr, sizeof(lr), "logread");
	kc_sh("set -e; r=%s/b/rootfs; cp %s $r/bin/logread;"
	   " for l in $(ldd %s | grep -o '/[^ ]*'); do"
	   " mkdir -p $r$(dirname $l); cp -L $l $r$l; done", t->k.dir, lr, lr);
	t->k.run_b = kc_run(&t->k, "b", t->k.id_b, NULL);
	json_t *b = ctr_stats(t, t->k.id_b);
	int pid_b = (int)h_jint(b, "pid");
	snprintf(cg_b, sizeof(cg_b), "%s", h_jstr(b, "cgroup"));
	json_decref(b);
	t->k.run_a = kc_run(&t->k, "a", t->k.id_a, NULL);
	json_t *a = ctr_stats(t, t->k.id_a);
	int pid_a = (int)h_jint(a, "pid");
	need_tasks_followed(t);
	char cg_a[1100];
	snprintf(cg_a, sizeof(cg_a), "%s", h_jstr(a, "cgroup"));
	json_decref(a);

	/* The OOM kill: its summary names A's cgroup; the victim's pid is
	 * the Killed record's (the summary's first ",pid=" is the name's). */
	char oom[1024], killed[1024];
	uint64_t deadline = h_now_ms() + WAIT_MS;
	for (;;) {
		kc_kmsg_wait(&t->k, "oom-kill:", oom, sizeof(oom));
		if (strstr(oom, t->k.id_a))
			break;
		if (h_now_ms() > deadline)
			fail_msg("no OOM kill in %s", t->k.id_a);
	}
	static const char kp[] = "Memory cgroup out of memory: Killed process ";
	kc_kmsg_wait(&t->k, kp, killed, sizeof(killed));
	int victim = atoi(killed + strlen(kp));
	snprintf(want, sizeof(want), "%d (k,pid=1) ", victim);
	if (strncmp(killed + strlen(kp), want, strlen(want)))
		fail_msg("not the OOM kill of k,pid=1: %s", killed);
	/* The first segfault. */
	char seg1[1024], seg2[1024];
	snprintf(want, sizeof(want), "%s[", t->k.segv);
	kc_kmsg_wait(&t->k, want, seg1, sizeof(seg1));
	int pid1 = atoi(seg1 + strlen(want));
	/* The seccomp kill (audit's record, printed without auditd). */
	char sc[1024], comm[48];
	snprintf(comm, sizeof(comm), " comm=\"%s\" ", t->k.segv);
	deadline = h_now_ms() + WAIT_MS;
	do {
		kc_kmsg_wait(&t->k, "audit: type=1326 ", sc, sizeof(sc));
		if (h_now_ms() > deadline)
			fail_msg("no seccomp kill of %s", t->k.segv);
	} while (!strstr(sc, comm));
	const char *scp = strstr(sc, " pid=");
	assert_non_null(scp);
	int pid_sc = atoi(scp + 5);

	/* The second, while memlogd is stopped; its pid then goes to a
	 * process of B's, named the same, before memlogd reads the
	 * record. */
	h_freeze(t->k.m.pid);
	close(kc_fifo_writer(&t->k, "a", "f1"));
	kc_kmsg_wait(&t->k, want, seg2, sizeof(seg2));
	uint64_t seg2_usec = t->k.kmsg_usec;
	int pid2 = atoi(seg2 + strlen(want));
	/* A's process of that pid must have been reaped first. */
	char ppath[64];
	snprintf(ppath, sizeof(ppath), "/proc/%d/stat", pid2);
	deadline = h_now_ms() + WAIT_MS;
	while (access(ppath, F_OK) == 0) {
		if (h_now_ms() > deadline)
			fail_msg("pid %d was not reaped", pid2);
		h_sleep_ms(1);
	}
	/* Not synchronisation but clock separation: /proc's start times
	 * count in ticks of 10 ms, and memlogd may place the record up to
	 * its read latency late (kclock.h), so the new process starts well
	 * after the record: a second, as that latency reached hundreds of
	 * ms on a loaded machine under a sanitizer. */
	h_sleep_ms(1000);
	pid_t reused = reuse_pid(t, pid2, cg_b);
	h_thaw(t->k.m.pid);
	/* Where memlogd's clock estimate (kclock.h) placed the record,
	 * against the reused process's start, both as us since boot. */
	json_decref(stored(t, seg2));
	json_t *kst = h_stats(&t->k.m);
	json_t *off = json_object_get(json_object_get(kst, "kmsg"),
				      "clock_offset_us");
	int64_t seg2_at = json_is_integer(off)
			  ? (int64_t)seg2_usec + json_integer_value(off) +
			    boot_minus_mono_us() : -1;
	int64_t reused_at = reused > 0 ? start_us(reused) : -1;
	json_decref(kst);

	/* A line forged from inside A: a segfault of A's first process, in
	 * the kernel's words, at priority 0. */
	snprintf(line, sizeof(line), "sh[%d]: segfault at 10 ip "
		 "000000000040161e sp 00007ffc887c5470 error 6 in "
		 "sh[161e,401000+78000] likely on CPU 1 (core 1, socket 0)",
		 pid_a);
	int f2 = kc_fifo_writer(&t->k, "a", "f2");
	h_writef(f2, "<0>%s\n", line);
	close(f2);
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;

	/* On the host: the OOM report is A's, as are the first segfault
	 * and the seccomp kill. */
	json_t *e;
	e = stored(t, sc);
	expect_attr(e, "event", "seccomp");
	expect_attr(e, "container", t->k.id_a);
	snprintf(want, sizeof(want), "%d", pid_sc);
	expect_attr(e, "pid", want);
	json_decref(e);
	e = stored(t, oom);
	expect_ctr_event(e, "oom", t->k.id_a, cg_a, victim);
	snprintf(want, sizeof(want), "%d", victim);
	json_decref(e);
	e = stored(t, killed);
	expect_attr(e, "event", "oom");
	expect_attr(e, "container", t->k.id_a);
	expect_attr(e, "pid", want);
	json_decref(e);
	e = stored(t, seg1);
	expect_attr(e, "event", "segfault");
	json_t *st1 = h_stats(&t->k.m);
	json_int_t losses = h_jint(st1, "containers.tasks.losses");
	const char *got = attr(e, "container");
	if (losses > 0 && !got) {
		/* memlogd lost process events (its netlink buffer overflowed)
		 * and forgot the tasks it followed: a reaped task is then
		 * not attributed rather than wrongly (procwatch.h). */
		print_message("# memlogd lost process events %lld times: the "
			      "first segfault's container not checked\n",
			      (long long)losses);
	} else {
		if (!got || strcmp(got, t->k.id_a)) {
			char *d = json_dumps(json_object_get(st1, "containers"),
					     JSON_COMPACT);
			print_message("# containers: %.2000s\n", d ? d : "?");
			free(d);
		}
		expect_ctr_event(e, "segfault", t->k.id_a, cg_a, pid1);
	}
	json_decref(st1);
	json_decref(e);
	/* The reused pid: the record is about A's process, which is gone;
	 * B's process of that pid started after it. Neither. */
	e = stored(t, seg2);
	expect_attr(e, "event", "segfault");
	print_message("# the record of pid %d as memlogd places it: %.3f s "
		      "after boot; the reused pid's process started %.3f s "
		      "after boot\n", pid2, (double)seg2_at / 1e6,
		      (double)reused_at / 1e6);
	if (reused > 0 && seg2_at >= 0 && seg2_at + 10000 >= reused_at) {
		/* The estimate is the read's latency late (kclock.h): on a
		 * machine loaded enough for that to pass the second the test
		 * waited, memlogd cannot tell the two apart either. */
		print_message("# memlogd's clock estimate is too late to tell "
			      "the reused pid's process from the record's: its "
			      "check not made\n");
	} else if (reused > 0) {
		expect_attr(e, "container", NULL);
	} else {
		print_message("# pid %d could not be had again (others took "
			      "it first); its check not made\n", pid2);
	}
	json_decref(e);
	/* The forgery: written by a process, so facility 1: no event. */
	e = stored(t, line);
	if (h_jint(e, "facility") == 0)
		fail_msg("a line written to /dev/kmsg got facility 0");
	expect_attr(e, "event", NULL);
	expect_attr(e, "container", NULL);
	json_decref(e);

	if (t->reuser > 0) {
		kill(t->reuser, SIGKILL);
		waitpid(t->reuser, NULL, 0);
		t->reuser = 0;
	}
	/* Netfilter: a veth into B's network namespace and a LOG rule on
	 * the host's side; a packet out through it. */
	char nf[1024] = "kb-line", prefix[32], peer[16];
	bool nf_tried = access("/usr/sbin/iptables", X_OK) == 0 &&
			access("/usr/sbin/ip", X_OK) == 0;
	if (nf_tried) {
		int k = (int)(getpid() % 100000);
		snprintf(t->veth, sizeof(t->veth), "kah%d", k);
		snprintf(peer, sizeof(peer), "kap%d", k);
		snprintf(prefix, sizeof(prefix), "ka-nf-%d: ", k);
		kc_sh("ip link add %s type veth peer name %s && ip link set %s netns %d"
		   " && ip addr add 10.213.%d.1/30 dev %s && ip link set %s up",
		   t->veth, peer, peer, pid_b, k % 250, t->veth, t->veth);
		snprintf(t->nf_rule, sizeof(t->nf_rule),
			 "OUTPUT -o %s -j LOG --log-prefix '%s'", t->veth, prefix);
		snprintf(line, sizeof(line), "iptables -A %s 2>/dev/null",
			 t->nf_rule);
		if (system(line) != 0) {
			print_message("# iptables cannot add a LOG rule: netfilter "
				      "not tried\n");
			t->nf_rule[0] = '\0';
		} else {
			int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons(9) };
			to.sin_addr.s_addr = htonl((10u << 24) | (213u << 16) |
						   ((unsigned)(k % 250) << 8) | 2u);
			assert_true(u >= 0);
			assert_int_equal(sendto(u, "x", 1, 0,
						(struct sockaddr *)&to,
						sizeof(to)), 1);
			close(u);
			kc_kmsg_wait(&t->k, prefix, nf, sizeof(nf));
			char *all = h_read_file("/proc/sys/net/netfilter/"
						"nf_log_all_netns", NULL);
			bool all_netns = all && all[0] == '1';
			free(all);
			e = stored(t, nf);
			expect_attr(e, "event", "netfilter");
			/* With nf_log_all_netns=1 any namespace could have
			 * written it: untrusted, nobody's. */
			expect_attr(e, "container", all_netns ? NULL : t->k.id_b);
			expect_attr(e, "untrusted", all_netns ? "1" : NULL);
			json_decref(e);
			if (all_netns)
				snprintf(nf, sizeof(nf), "kb-line");
		}
	} else {
		print_message("# no iptables or ip: netfilter not tried\n");
	}

	/* Each container's view: its own lines and events only. */
	const char *want_a[] = { "ka-end", oom, killed, seg1, sc, NULL };
	const char *want_b[] = { "kb-line", nf, NULL };
	check_view(t, t->k.id_a, want_a);
	check_view(t, t->k.id_b, want_b);
	/* The views' dir is root's: a user of the host reaches none. */
	char vdir[160];
	struct stat vst;
	snprintf(vdir, sizeof(vdir), "%s/views", t->k.m.dir);
	assert_int_equal(stat(vdir, &vst), 0);
	if (vst.st_mode & 077)
		fail_msg("%s has mode %o", vdir, (unsigned)(vst.st_mode & 0777));
	/* No stats there: they name every container. */
	size_t len;
	char *s = view_ask(t, t->k.id_b, "stats\n", &len);
	if (!strstr(s, "\"error\""))
		fail_msg("a view answered stats: %.200s", s);
	free(s);
	/* Inside B, LinuxKit's query path is B's view. */
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "%s/b/config.json", t->k.dir);
	char *text = h_read_file(cfg, NULL);
	snprintf(line, sizeof(line), "/views/%s.sock", t->k.id_b);
	if (!text || !strstr(text, "/var/run/memlogdq.sock") || !strstr(text, line))
		fail_msg("B's config.json has no mount of its view");
	free(text);

	close(kc_fifo_writer(&t->k, "b", "f1"));
	assert_int_equal(h_wait_pid(t->k.run_b, WAIT_MS), 0);
	t->k.run_b = 0;
	/* An unmodified logread inside B, at LinuxKit's default path:
	 * B's own line, none of A's. */
	snprintf(line, sizeof(line), "%s/b/rootfs/tmp/lr.out", t->k.dir);
	text = h_read_file(line, NULL);
	if (!text || !strstr(text, "kb-line") || strstr(text, "ka-end") ||
	    strstr(text, t->k.segv))
		fail_msg("logread inside B printed: %s", text ? text : "(nothing)");
	free(text);
	mld_stop(&t->k.m);
}

/* A restart of memlogd keeps the registered container (STATE_DIR/
 * containers) and follows its tasks again from its cgroup: a segfault
 * after the restart, of a process reaped before memlogd reads the
 * record, is still the container's. */
static void test_restart_keeps_containers(void **state)
{
	struct ka *t = *state;
	char script[256], seg[1024], want[64];

	prepare(t);
	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);
	/* Nothing on its stdout or stderr: their reader, memlogd, stops. */
	snprintf(script, sizeof(script), "exec >/dev/null 2>&1; cat /f1;"
		 " /bin/%s; cat /f2", t->k.segv);
	bundle(t, "a", script, 0);
	t->k.run_a = kc_run(&t->k, "a", t->k.id_a, NULL);
	json_decref(ctr_stats(t, t->k.id_a));
	need_tasks_followed(t);
	mld_stop_keep(&t->k.m);
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);
	json_decref(ctr_stats(t, t->k.id_a));
	/* The segfault once memlogd is waiting for records again. */
	h_barrier(&t->k.m);
	close(kc_fifo_writer(&t->k, "a", "f1"));
	snprintf(want, sizeof(want), "%s[", t->k.segv);
	kc_kmsg_wait(&t->k, want, seg, sizeof(seg));
	json_t *e = stored(t, seg);
	expect_attr(e, "event", "segfault");
	expect_attr(e, "container", t->k.id_a);
	json_decref(e);
	close(kc_fifo_writer(&t->k, "a", "f2"));
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;
	mld_stop(&t->k.m);
}

/* As uid 65534: registers a pipe under each name and writes "LINE\n" of
 * the same index into it (run in a child; plain calls only). */
static int child_register(const struct mld *m, const char *const *names,
			  const char *const *lines)
{
	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 10;
	for (; *names; names++, lines++) {
		int p[2];
		int r = pipe2(p, O_CLOEXEC) < 0 ? -errno :
			h_register(m->log, *names, strlen(*names), &p[0], 1);
		if (r < 0) {
			fprintf(stderr, "# uid 65534: register %s on %s: %s\n",
				*names, m->log, strerror(-r));
			return 11;
		}
		close(p[0]);
		if (write(p[1], *lines, strlen(*lines)) < 0 || write(p[1], "\n", 1) < 0)
			return 12;
		close(p[1]);
	}
	return 0;
}

/* As uid 65534 (with supplementary group 4242 when group): what the main
 * query socket answers to req, into file out (run in a child; plain
 * calls only). */
static int child_query(const struct mld *m, const char *req, const char *out,
		       bool group)
{
	struct sockaddr_un sa;
	char buf[65536];
	gid_t g = 4242;

	if (setgroups(group ? 1 : 0, &g) < 0 || setgid(65534) < 0 ||
	    setuid(65534) < 0)
		return 10;
	h_sun_path(&sa, m->query);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int of = open(out, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || of < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return 11;
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(of, buf, (size_t)n) != n)
			return 12;
	return n < 0 ? 13 : 0;
}

/* which: 0 register, 1 query, 2 query with group 4242. */
static void in_child(struct ka *t, int which, const char *const *a,
		     const char *const *b)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(which ? child_query(&t->k.m, a[0], b[0], which == 2)
			    : child_register(&t->k.m, a, b));
	int st = h_wait_pid(pid, WAIT_MS);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("the uid 65534 child failed (status 0x%x)", st);
}

/* The main query socket opened to everyone (0666): a client of another
 * uid than root sees only the sources it registered, and of a name root
 * had used, only its own lines; no stats; root sees everything. */
static void test_uid_on_main_socket(void **state)
{
	struct ka *t = *state;
	char out[160];

	h_need_root("changing to uid 65534 needs root");
	mld_start(&t->k.m, NULL);
	assert_int_equal(chmod(t->k.m.dir, 0711), 0);
	assert_int_equal(chmod(t->k.m.log, 0666), 0);
	assert_int_equal(chmod(t->k.m.query, 0666), 0);
	int fd = h_register_pipe(&t->k.m, "ku-root");
	h_writef(fd, "root-line\n");
	close(fd);
	json_decref(h_wait_dump_msg(&t->k.m, "dump\n", "root-line"));
	static const char *const names[] = { "ku-user", "ku-root", NULL };
	static const char *const lines[] = { "user-line", "user-takes-root", NULL };
	in_child(t, 0, names, lines);
	json_t *all = h_wait_dump_msg(&t->k.m, "dump\n", "user-takes-root");
	json_decref(h_wait_dump_msg(&t->k.m, "dump\n", "user-line"));
	if (!h_find_msg(all, "root-line"))
		fail_msg("root does not see root-line");
	json_decref(all);

	snprintf(out, sizeof(out), "%s/uid.out", t->k.m.dir);
	h_write_file(out, "", 0666);
	assert_int_equal(chmod(out, 0666), 0); /* past the umask */
	const char *req[] = { "dump\n" }, *file[] = { out };
	in_child(t, 1, req, file);
	size_t len;
	char *s = h_read_file(out, &len);
	json_t *a = h_ndjson(s, len), *e;
	size_t i;
	json_array_foreach(a, i, e) {
		const char *msg = h_jstr(e, "msg");
		if (strcmp(msg, "user-line") && strcmp(msg, "user-takes-root")) {
			h_print_entries(a);
			fail_msg("uid 65534 sees \"%s\" of %s", msg,
				 h_jstr(e, "source"));
		}
	}
	if (json_array_size(a) != 2) {
		h_print_entries(a);
		fail_msg("uid 65534 sees %zu entries, want its 2", json_array_size(a));
	}
	json_decref(a);
	free(s);
	req[0] = "stats\n";
	in_child(t, 1, req, file);
	s = h_read_file(out, NULL);
	if (!s || !strstr(s, "\"error\""))
		fail_msg("uid 65534 was answered stats: %.200s", s ? s : "");
	free(s);
	mld_stop(&t->k.m);

	/* A member of --readers-group reads everything, as root does; by
	 * default the group the sockets are opened to (--socket-group) is
	 * that group; a group may be named. */
	static const struct {
		const char *args[3];
		int which;      /* in_child's: 2 has group 4242 */
	} runs[] = {
		{ { "--readers-group", "4242", NULL }, 2 },
		{ { "--socket-group", "4242", NULL }, 2 },
		{ { "--readers-group", "nogroup", NULL }, 1 },
	};
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		if (r == 2 && system("grep -q '^nogroup:x:65534:' /etc/group")) {
			print_message("# no group nogroup of gid 65534 in "
				      "/etc/group: a named group not tried\n");
			continue;
		}
		struct mld_opts o = { .args = runs[r].args };
		mld_start(&t->k.m, &o);
		assert_int_equal(chmod(t->k.m.dir, 0711), 0);
		assert_int_equal(chmod(t->k.m.query, 0666), 0);
		fd = h_register_pipe(&t->k.m, "ku-root");
		h_writef(fd, "root-line\n");
		close(fd);
		json_decref(h_wait_dump_msg(&t->k.m, "dump\n", "root-line"));
		snprintf(out, sizeof(out), "%s/uid.out", t->k.m.dir);
		h_write_file(out, "", 0666);
		assert_int_equal(chmod(out, 0666), 0);
		req[0] = "dump\n";
		in_child(t, runs[r].which, req, file);
		s = h_read_file(out, NULL);
		if (!s || !strstr(s, "root-line"))
			fail_msg("a member of %s %s does not see root-line: %s",
				 runs[r].args[0], runs[r].args[1], s ? s : "");
		free(s);
		mld_stop(&t->k.m);
	}
}

/* An OOM report as one group, from a stand-in for /dev/kmsg (any user):
 * every record of it carries event=oom and the victim's pid, except a
 * line a process wrote in between (facility 1), even one that reads as
 * the report's end, and another kernel event (a segfault's), which is
 * its own. */
static void test_oom_group_stand_in(void **state)
{
	struct ka *t = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/fake", t->k.m.dir);
	h_write_file(path,
		     "6,1,1000,-;hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL),"
		     " order=0, oom_score_adj=0\n"
		     "6,2,1001,-;Memory cgroup stats for /memlogtest:\n"
		     "11,3,1002,-;Memory cgroup out of memory: Killed process 1 (sh)"
		     " total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB,"
		     " UID:0 pgtables:1kB oom_score_adj:0\n"
		     "6,4,1003,-;x[77]: segfault at 10 ip 000000000040161e sp"
		     " 00007ffc887c5470 error 6 in x[161e,401000+78000] likely on"
		     " CPU 1 (core 1, socket 0)\n"
		     "6,5,1004,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
		     "cpuset=/,mems_allowed=0,oom_memcg=/memlogtest,"
		     "task_memcg=/memlogtest,task=hog,pid=17088,uid=0\n"
		     "3,6,1005,-;Memory cgroup out of memory: Killed process 17088"
		     " (hog) total-vm:35372kB, anon-rss:32256kB, file-rss:0kB,"
		     " shmem-rss:0kB, UID:0 pgtables:112kB oom_score_adj:0\n"
		     "6,9,1006,-;after a gap\n",
		     0644);
	static const char *const args[] = { "--kmsg=%D/fake", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	static const char *const group[] = {
		"hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, "
		"oom_score_adj=0",
		"Memory cgroup stats for /memlogtest:",
		"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
		"mems_allowed=0,oom_memcg=/memlogtest,task_memcg=/memlogtest,"
		"task=hog,pid=17088,uid=0",
		"Memory cgroup out of memory: Killed process 17088 (hog) "
		"total-vm:35372kB, anon-rss:32256kB, file-rss:0kB, shmem-rss:0kB, "
		"UID:0 pgtables:112kB oom_score_adj:0",
	};
	for (size_t i = 0; i < sizeof(group) / sizeof(group[0]); i++) {
		json_t *e = stored(t, group[i]);
		expect_attr(e, "event", "oom");
		expect_attr(e, "pid", "17088");
		json_decref(e);
	}
	json_t *e = stored(t, "Memory cgroup out of memory: Killed process 1 "
			   "(sh) total-vm:1kB, anon-rss:1kB, file-rss:0kB, "
			   "shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0");
	expect_attr(e, "event", NULL);
	expect_attr(e, "pid", NULL);
	json_decref(e);
	e = stored(t, "x[77]: segfault at 10 ip 000000000040161e sp "
		   "00007ffc887c5470 error 6 in x[161e,401000+78000] likely on "
		   "CPU 1 (core 1, socket 0)");
	expect_attr(e, "event", "segfault");
	expect_attr(e, "pid", "77");
	json_decref(e);
	json_decref(stored(t, "after a gap"));

	/* A container announced (as memlog-runc does before runc create),
	 * as root: its view has the kernel log's gap markers, and none of
	 * these records (none is its). */
	if (geteuid() == 0) {
		static const char ann[] = "kv\0container=memlog-ka-kv\0ack=1";
		char *ans = h_register_acked(t->k.m.log, ann, sizeof(ann) - 1, NULL, 0);
		free(ans);
		/* A user who may register adds nothing to the view under the
		 * container's name. */
		assert_int_equal(chmod(t->k.m.dir, 0711), 0);
		assert_int_equal(chmod(t->k.m.log, 0666), 0);
		static const char *const names[] = { "kv", NULL };
		static const char *const lines[] = { "user-in-view", NULL };
		in_child(t, 0, names, lines);
		json_decref(h_wait_dump_msg(&t->k.m, "dump\n", "user-in-view"));
		size_t len;
		char *s = view_ask(t, "memlog-ka-kv", "dump\n", &len);
		json_t *a = h_ndjson(s, len), *v;
		size_t i, markers = 0;
		free(s);
		json_array_foreach(a, i, v) {
			if (!json_is_true(json_object_get(v, "marker"))) {
				h_print_entries(a);
				fail_msg("the view has \"%s\"", h_jstr(v, "msg"));
			}
			markers++;
		}
		if (markers != 2) {
			h_print_entries(a);
			fail_msg("%zu markers in the view, want 2 (seq 0, seq 7-8)",
				 markers);
		}
		json_decref(a);
	}
	mld_stop(&t->k.m);
}

/* The kernel's buffer overwritten while memlogd cannot read (stopped):
 * memlogd says how many records it missed, and that marker is in every
 * container's view (a container must know its log has a hole). A real
 * burst: lines written to /dev/kmsg, three times the buffer's size, each
 * through its own open (the kernel limits writes per open file). It
 * overwrites the host's kernel log history, as any burst would, and other
 * readers of /dev/kmsg see a gap: MEMLOG_TEST_NO_KMSG_BURST=1 skips it. */
static void test_burst_missed_in_views(void **state)
{
	struct ka *t = *state;
	char marker[64], line[1024];

	h_need_root("announcing containers needs root");
	if (getenv("MEMLOG_TEST_NO_KMSG_BURST")) {
		print_message("# MEMLOG_TEST_NO_KMSG_BURST is set: the kernel's "
			      "log is not overwritten; skipping\n");
		skip();
	}
	int kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (kfd < 0 || size <= 0) {
		print_message("# /dev/kmsg cannot be written or its size had "
			      "(%s); skipping\n", strerror(errno));
		if (kfd >= 0)
			close(kfd);
		skip();
	}
	close(kfd);
	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	static const char a1[] = "kba\0container=memlog-kb-a\0ack=1";
	static const char a2[] = "kbb\0container=memlog-kb-b\0ack=1";
	free(h_register_acked(t->k.m.log, a1, sizeof(a1) - 1, NULL, 0));
	free(h_register_acked(t->k.m.log, a2, sizeof(a2) - 1, NULL, 0));
	/* memlogd has read the log up to here. */
	snprintf(marker, sizeof(marker), "memlog-burst-%d start", (int)getpid());
	kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	assert_true(kfd >= 0);
	h_writef(kfd, "<6>%s\n", marker);
	close(kfd);
	json_decref(h_wait_dump_msg(&t->k.m, "dump\n", marker));

	h_freeze(t->k.m.pid);
	int n = 0;
	for (long written = 0; written < 3L * size; n++) {
		int l = snprintf(line, sizeof(line), "<6>memlog-burst-%d %d ",
				 (int)getpid(), n);
		memset(line + l, 'x', 800);
		line[l + 800] = '\n';
		kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		assert_true(kfd >= 0);
		h_write_all(kfd, line, (size_t)l + 801);
		close(kfd);
		written += l + 801 + 16;
	}
	h_thaw(t->k.m.pid);
	print_message("# %d records of 800 bytes into the kernel's %d-byte "
		      "buffer while memlogd was stopped\n", n, size);
	/* memlogd's marker of the gap, after the start line. */
	json_t *e = NULL;
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS; !e;) {
		json_t *a = h_dump(&t->k.m, "dump stream=kernel\n");
		bool after = false;
		for (size_t k = 0; k < json_array_size(a) && !e; k++) {
			json_t *x = json_array_get(a, k);
			const char *m = h_jstr(x, "msg");
			after |= !strcmp(m, marker);
			if (after && json_is_true(json_object_get(x, "marker")) &&
			    strstr(m, "overwritten before memlogd read them"))
				e = json_incref(x);
		}
		if (!e && h_now_ms() > end) {
			h_print_entries(a);
			fail_msg("no gap marker after \"%s\"", marker);
		}
		json_decref(a);
		if (!e)
			h_sleep_ms(20);
	}
	const char *msg = h_jstr(e, "msg");
	unsigned long long missed = strtoull(msg + strlen("missed "), NULL, 10);
	/* At least what did not fit: the buffer holds a third of it. */
	if (strncmp(msg, "missed ", 7) || missed < (unsigned long long)n / 2)
		fail_msg("memlogd's gap marker: %s (%d records written)", msg, n);
	static const char *const ids[] = { "memlog-kb-a", "memlog-kb-b" };
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *out = view_ask(t, ids[i], "dump\n", &len);
		json_t *v = h_ndjson(out, len);
		free(out);
		if (!h_find_msg(v, msg)) {
			h_print_entries(v);
			fail_msg("the view of %s has no \"%s\"", ids[i], msg);
		}
		/* No burst line itself: they are nobody's. */
		for (size_t k = 0; k < json_array_size(v); k++)
			if (strstr(h_jstr(json_array_get(v, k), "msg"),
				   "memlog-burst-"))
				fail_msg("the view of %s has a burst line",
					 ids[i]);
		json_decref(v);
	}
	json_decref(e);
	mld_stop(&t->k.m);
}

/* A hung task: A's process blocked creating a file on a frozen file
 * system (a loop-mounted ext4 the test makes, bind-mounted into A) for
 * longer than kernel.hung_task_timeout_secs (2 s while the test runs,
 * restored after). The kernel's "INFO: task COMM:TID blocked for more than
 * N seconds." line is stored with event=hung, container=A, A's cgroup and
 * the tid, and A's view has it. The kernel prints such a line at most
 * kernel.hung_task_warnings times per boot: when none is left it is set to
 * 1 for the test; either way it is restored after. */
static void test_hung_task(void **state)
{
	struct ka *t = *state;
	char line[1024], want[96];

	prepare(t);
	if (access("/proc/sys/kernel/hung_task_timeout_secs", W_OK) ||
	    access("/proc/sys/kernel/hung_task_warnings", W_OK)) {
		print_message("# the kernel has no hung-task detector "
			      "(CONFIG_DETECT_HUNG_TASK); skipping\n");
		skip();
	}
	if (system("command -v mkfs.ext4 >/dev/null && "
		   "command -v fsfreeze >/dev/null")) {
		print_message("# needs mkfs.ext4 and fsfreeze; skipping\n");
		skip();
	}
	char mnt[128];
	snprintf(mnt, sizeof(mnt), "%s/frz", t->k.dir);
	kc_sh("set -e; dd if=/dev/zero of=%s.img bs=1M count=8 status=none;"
	      " mkfs.ext4 -q -F %s.img; mkdir %s", mnt, mnt, mnt);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mount -o loop %s.img %s", mnt, mnt);
	if (system(cmd)) {
		print_message("# a loop device cannot be mounted here; "
			      "skipping\n");
		skip();
	}
	snprintf(t->mounted, sizeof(t->mounted), "%s", mnt);
	char *v = h_read_file("/proc/sys/kernel/hung_task_timeout_secs", NULL);
	assert_non_null(v);
	snprintf(t->hung_timeout, sizeof(t->hung_timeout), "%s", v);
	free(v);
	v = h_read_file("/proc/sys/kernel/hung_task_warnings", NULL);
	assert_non_null(v);
	snprintf(t->hung_warnings, sizeof(t->hung_warnings), "%s", v);
	free(v);
	if (atoi(t->hung_warnings) == 0)
		h_write_file("/proc/sys/kernel/hung_task_warnings", "1\n", 0644);
	h_write_file("/proc/sys/kernel/hung_task_timeout_secs", "2\n", 0644);

	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);
	char script[256];
	snprintf(script, sizeof(script),
		 "cat /f1 >/dev/null; /bin/%s write /frz/x; echo kh-end",
		 t->k.segv);
	json_t *c = kc_bundle(&t->k, "a", script);
	json_array_append_new(json_object_get(c, "mounts"),
			      json_pack("{ss ss ss s[ss]}", "destination",
					"/frz", "type", "bind", "source", mnt,
					"options", "rbind", "rw"));
	kc_bundle_save(&t->k, "a", c);
	t->k.run_a = kc_run(&t->k, "a", t->k.id_a, NULL);
	json_t *a = ctr_stats(t, t->k.id_a);
	char cg_a[1100];
	snprintf(cg_a, sizeof(cg_a), "%s", h_jstr(a, "cgroup"));
	json_decref(a);

	kc_sh("fsfreeze -f %s", mnt);
	snprintf(t->frozen, sizeof(t->frozen), "%s", mnt);
	close(kc_fifo_writer(&t->k, "a", "f1"));
	snprintf(want, sizeof(want), "INFO: task %s:", t->k.segv);
	kc_kmsg_wait(&t->k, want, line, sizeof(line));
	int tid = atoi(line + strlen(want));
	kc_sh("fsfreeze -u %s", mnt);
	t->frozen[0] = '\0';
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;

	json_t *e = stored(t, line);
	expect_ctr_event(e, "hung", t->k.id_a, cg_a, tid);
	json_decref(e);
	const char *const in_view[] = { line, "kh-end", NULL };
	check_view(t, t->k.id_a, in_view);
	mld_stop(&t->k.m);
}

/* memlog-kmsg --relay reading the real kernel log for a memlogd that
 * does not (no --kmsg): a segfault in container A is attributed to A
 * (name, id, cgroup, pid) and is in A's view, as with memlogd --kmsg;
 * memlog-kmsg stopped and started again relays everything the kernel
 * holds once more, and memlogd stores none of it twice. */
static void start_relay(struct ka *t)
{
	char prog[256], err[256];

	h_prog(prog, sizeof(prog), "memlog-kmsg");
	snprintf(err, sizeof(err), "%s/relay.err", t->k.m.dir);
	const char *const argv[] = { prog, "--relay", t->k.m.log, NULL };
	t->relay = h_spawn(argv, err, false);
}

static void stop_relay(struct ka *t)
{
	kill(t->relay, SIGTERM);
	int st = h_wait_pid(t->relay, WAIT_MS);
	t->relay = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlog-kmsg --relay: status 0x%x on SIGTERM", st);
}

static void test_relay_attributes(void **state)
{
	struct ka *t = *state;
	char want[64], seg[1024];

	prepare(t);
	mld_start(&t->k.m, NULL);
	start_relay(t);
	kc_wait_clock(&t->k);
	char script[256];
	snprintf(script, sizeof(script), "cat /f1 >/dev/null; /bin/%s; "
		 "echo kr-end", t->k.segv);
	bundle(t, "a", script, 0);
	t->k.run_a = kc_run(&t->k, "a", t->k.id_a, NULL);
	json_t *a = ctr_stats(t, t->k.id_a);
	char cg_a[1100];
	snprintf(cg_a, sizeof(cg_a), "%s", h_jstr(a, "cgroup"));
	json_decref(a);
	close(kc_fifo_writer(&t->k, "a", "f1"));
	snprintf(want, sizeof(want), "%s[", t->k.segv);
	kc_kmsg_wait(&t->k, want, seg, sizeof(seg));
	int pid = atoi(seg + strlen(want));
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;
	json_t *e = stored(t, seg);
	expect_attr(e, "event", "segfault");
	json_t *st = h_stats(&t->k.m);
	json_int_t losses = h_jint(st, "containers.tasks.losses");
	json_decref(st);
	if (losses > 0 && !attr(e, "container")) {
		print_message("# memlogd lost process events %lld times: the "
			      "segfault's container not checked\n",
			      (long long)losses);
	} else {
		expect_ctr_event(e, "segfault", t->k.id_a, cg_a, pid);
		const char *const in_view[] = { seg, "kr-end", NULL };
		check_view(t, t->k.id_a, in_view);
	}
	json_decref(e);

	/* memlog-kmsg again: from the kernel's oldest record, all of it
	 * known to memlogd but a new line. */
	stop_relay(t);
	start_relay(t);
	char mark[96];
	snprintf(mark, sizeof(mark), "memlog-test %d: relayed again",
		 (int)getpid());
	int kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	assert_true(kfd >= 0);
	h_writef(kfd, "<6>%s\n", mark);
	close(kfd);
	json_decref(stored(t, mark));
	json_t *d = h_dump(&t->k.m, "dump source=kmsg\n");
	size_t n = 0, i;
	json_array_foreach(d, i, e)
		n += !strcmp(h_jstr(e, "msg"), seg);
	if (n != 1) {
		h_print_entries(d);
		fail_msg("the segfault's line stored %zu times", n);
	}
	json_t *sts = h_stats(&t->k.m);
	assert_int_equal(h_jint(sts, "kmsg.relays"), 2);
	json_decref(sts);
	json_decref(d);
	stop_relay(t);
	mld_stop(&t->k.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_container_events, ka_setup,
						ka_teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_containers,
						ka_setup, ka_teardown),
		cmocka_unit_test_setup_teardown(test_oom_group_stand_in, ka_setup,
						ka_teardown),
		cmocka_unit_test_setup_teardown(test_uid_on_main_socket, ka_setup,
						ka_teardown),
		cmocka_unit_test_setup_teardown(test_burst_missed_in_views,
						ka_setup, ka_teardown),
		cmocka_unit_test_setup_teardown(test_hung_task, ka_setup,
						ka_teardown),
		cmocka_unit_test_setup_teardown(test_relay_attributes, ka_setup,
						ka_teardown),
	};
	return h_run_group("kattr", tests, sizeof(tests) / sizeof(tests[0]),
			   NULL, NULL);
}
