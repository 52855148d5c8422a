/* The kernel event parsers (kevent), /proc parsing (procinfo) and the
 * engines' cgroup names (ctrcgroup), with the kernel's exact lines and
 * the forgeries docs/kernel.md lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ctrcgroup.h"
#include "kevent.h"
#include "kmsg.h"
#include "procinfo.h"

static enum kevent_type parse0(const char *msg, struct kevent *ev)
{
	return kevent_parse(0, msg, strlen(msg), ev);
}

static void check_str(struct kstr s, const char *want)
{
	if (s.len != strlen(want) || (s.len && memcmp(s.p, want, s.len)))
		fail_msg("\"%.*s\", want \"%s\"", (int)s.len, s.p ? s.p : "", want);
}

#define SUMMARY "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/," \
	"mems_allowed=0,oom_memcg=/memlogtest,task_memcg=/memlogtest,task=hog," \
	"pid=17088,uid=0"
#define KILLED "Memory cgroup out of memory: Killed process 17088 (hog) " \
	"total-vm:35372kB, anon-rss:32256kB, file-rss:0kB, shmem-rss:0kB, " \
	"UID:0 pgtables:112kB oom_score_adj:0"

static void test_oom_group(void **state)
{
	struct kevent s, k, e;
	struct kstr cg;

	assert_int_equal(parse0("hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
				"order=0, oom_score_adj=0", &e), KEV_OOM_START);
	check_str(e.comm, "hog");
	assert_int_equal(parse0(SUMMARY, &s), KEV_OOM_SUMMARY);
	assert_int_equal(s.pid, 17088);
	assert_int_equal(s.uid, 0);
	assert_false(s.global_oom);
	assert_int_equal(parse0(KILLED, &k), KEV_OOM_KILLED);
	assert_int_equal(k.pid, 17088);
	check_str(k.comm, "hog");
	assert_true(kevent_oom_check(&s, SUMMARY, &k, &cg));
	check_str(cg, "/memlogtest");
	assert_string_equal(kevent_name(k.type), "oom");
	assert_int_equal(parse0("oom_reaper: reaped process 17088 (hog), now "
				"anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", &e),
			 KEV_OOM_REAPED);
	assert_int_equal(e.pid, 17088);
	/* A global OOM names a cgroup too, but only the task's. */
	static const char g[] = "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),"
		"cpuset=/,mems_allowed=0,global_oom,task_memcg=/docker/abc,"
		"task=hog,pid=17088,uid=0";
	assert_int_equal(parse0(g, &s), KEV_OOM_SUMMARY);
	assert_true(s.global_oom);
	assert_true(kevent_oom_check(&s, g, &k, &cg));
	check_str(cg, "/docker/abc");
}

/* comm may hold ",pid=": only the killed record's comm tells where the
 * summary's comm starts; pids must agree. */
static void test_oom_comm_with_pid(void **state)
{
	static const char sum[] = "oom-kill:constraint=CONSTRAINT_MEMCG,"
		"nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,"
		"task_memcg=/a,task=x,pid=1,pid=555,uid=0";
	static const char kil[] = "Memory cgroup out of memory: Killed process "
		"555 (x,pid=1) total-vm:1kB, anon-rss:1kB, file-rss:0kB, "
		"shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0";
	static const char kil1[] = "Memory cgroup out of memory: Killed process "
		"1 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, "
		"shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0";
	struct kevent s, k;
	struct kstr cg;

	assert_int_equal(parse0(sum, &s), KEV_OOM_SUMMARY);
	assert_int_equal(s.pid, 555);
	assert_int_equal(parse0(kil, &k), KEV_OOM_KILLED);
	assert_int_equal(k.pid, 555);
	check_str(k.comm, "x,pid=1");
	assert_true(kevent_oom_check(&s, sum, &k, &cg));
	check_str(cg, "/a");
	/* A killed record claiming pid 1 does not match. */
	assert_int_equal(parse0(kil1, &k), KEV_OOM_KILLED);
	assert_false(kevent_oom_check(&s, sum, &k, &cg));
	/* A cgroup name holding ",task_memcg=": no cgroup at all. */
	static const char amb[] = "oom-kill:constraint=CONSTRAINT_MEMCG,"
		"nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/b,task_memcg=/a,"
		"task_memcg=/b,task=x,pid=555,uid=0";
	assert_int_equal(parse0(amb, &s), KEV_OOM_SUMMARY);
	assert_int_equal(parse0("Memory cgroup out of memory: Killed process "
				"555 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, "
				"shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0",
				&k), KEV_OOM_KILLED);
	assert_true(kevent_oom_check(&s, amb, &k, &cg));
	assert_null(cg.p);
}

/* The forgery seen with nf_log_all_netns=1: a LOG prefix holding an OOM
 * line. Anchored at the end, it is a netfilter line, not an OOM kill. */
static void test_forged_prefix(void **state)
{
	struct kevent e;

	assert_int_equal(parse0("Memory cgroup out of memory: Killed process 1 "
				"(sshd) total-vm:1kB IN= OUT=lo SRC=127.0.0.1 "
				"DST=127.0.0.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 "
				"ID=1 DF PROTO=UDP SPT=1 DPT=2 LEN=9 ", &e),
			 KEV_NETFILTER);
	check_str(e.ifs[KEV_IF_IN], "");
	check_str(e.ifs[KEV_IF_OUT], "lo");
	/* Facility 1: what a process writes to /dev/kmsg. */
	assert_int_equal(kevent_parse(1, KILLED, strlen(KILLED), &e), KEV_NONE);
	assert_int_equal(kevent_parse(3, SUMMARY, strlen(SUMMARY), &e), KEV_NONE);
	/* A line that only starts like one. */
	assert_int_equal(parse0(KILLED " x", &e), KEV_NONE);
	assert_int_equal(parse0("x" KILLED, &e), KEV_NONE);
	assert_int_equal(parse0(SUMMARY "x", &e), KEV_NONE);
	/* A comm longer than the kernel allows. */
	assert_int_equal(parse0("Memory cgroup out of memory: Killed process 1 "
				"(0123456789abcdef) total-vm:1kB, anon-rss:1kB, "
				"file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB "
				"oom_score_adj:0", &e), KEV_NONE);
}

static void test_segfault(void **state)
{
	struct kevent e;

	assert_int_equal(parse0("segv[17797]: segfault at 10 ip 000055aab691c197 sp "
				"00007ffd3b6f0e40 error 4 in segv[55aab691c000+1000] "
				"likely on CPU 0 (core 0, socket 0)", &e), KEV_SEGFAULT);
	assert_int_equal(e.pid, 17797);
	check_str(e.comm, "segv");
	assert_string_equal(kevent_name(e.type), "segfault");
	/* A comm holding "[1]: ": still the real pid. */
	assert_int_equal(parse0("a[1]: b[42]: segfault at 0 ip 0000000000401000 sp "
				"00007ffd3b6f0e40 error 6", &e), KEV_SEGFAULT);
	assert_int_equal(e.pid, 42);
	check_str(e.comm, "a[1]: b");
	/* Escaped bytes in comm. */
	assert_int_equal(parse0("a\\x0ab[7]: segfault at 0 ip 0 sp 0 error 6", &e),
			 KEV_SEGFAULT);
	struct kevent c = e;
	assert_true(kevent_comm_eq(&c, "a\nb", 3));
	assert_false(kevent_comm_eq(&c, "a\\x0ab", 7));
	assert_int_equal(parse0("x[7]: segfault at 0 ip 0 sp 0 error 6 trailing", &e),
			 KEV_NONE);
	assert_int_equal(parse0("traps: trap[1234] trap divide error ip:401136 "
				"sp:7ffc0b6a6e70 error:0 in trap[401000+1000]", &e),
			 KEV_TRAP);
	assert_int_equal(e.pid, 1234);
	check_str(e.comm, "trap");
	assert_int_equal(parse0("traps: gp[99] general protection fault ip:401136 "
				"sp:7ffc0b6a6e70 error:0", &e), KEV_TRAP);
	assert_int_equal(e.pid, 99);
}

static void test_hung(void **state)
{
	struct kevent e;

	assert_int_equal(parse0("INFO: task sh:19958 blocked for more than 5 "
				"seconds.", &e), KEV_HUNG);
	assert_int_equal(e.pid, 19958);
	check_str(e.comm, "sh");
	assert_int_equal(parse0("INFO: task a:1 b:77 blocked for more than 120 "
				"seconds.", &e), KEV_HUNG);
	assert_int_equal(e.pid, 77);
	check_str(e.comm, "a:1 b");
	assert_int_equal(parse0("INFO: task sh:19958 blocked for more than 5 "
				"seconds. ", &e), KEV_NONE);
}

static void test_audit(void **state)
{
	struct kevent e;

	assert_int_equal(parse0("audit: type=1326 audit(1733561234.123:45): "
				"auid=4294967295 uid=0 gid=0 ses=4294967295 "
				"subj=unconfined pid=19297 comm=\"sc\" "
				"exe=\"/tmp/exp/sc\" sig=31 arch=c000003e syscall=110 "
				"compat=0 ip=0x7f3e8c6e3a1b code=0x80000000", &e),
			 KEV_SECCOMP);
	assert_int_equal(e.pid, 19297);
	assert_int_equal(e.sig, 31);
	assert_int_equal(e.syscall, 110);
	check_str(e.comm, "sc");
	/* Without an LSM there is no subj=; a comm with a space is hex. */
	assert_int_equal(parse0("audit: type=1326 audit(1733561234.123:46): "
				"auid=4294967295 uid=0 gid=0 ses=4294967295 "
				"pid=5 comm=612062 exe=\"/x\" sig=31 arch=c000003e "
				"syscall=110 compat=0 ip=0x1 code=0x80000000", &e),
			 KEV_SECCOMP);
	assert_true(kevent_comm_eq(&e, "a b", 3));
	assert_int_equal(parse0("audit: type=1701 audit(1733561234.123:47): "
				"auid=4294967295 uid=0 gid=0 ses=4294967295 "
				"pid=6 comm=\"c\" exe=\"/c\" sig=11 res=1", &e),
			 KEV_CRASH);
	assert_int_equal(e.pid, 6);
	/* The same behind a netfilter prefix: its tail does not fit. */
	assert_int_equal(parse0("audit: type=1326 audit(1.1:1): auid=0 uid=0 gid=0 "
				"ses=0 pid=5 comm=\"x\" exe=\"/x\" sig=31 arch=c000003e "
				"syscall=110 compat=0 ip=0x1 code=0x80000000 IN=lo OUT= "
				"SRC=127.0.0.1 ", &e), KEV_NETFILTER);
}

static void test_netfilter(void **state)
{
	struct kevent e;

	assert_int_equal(parse0("memlogtest: IN=mlvb OUT= MAC=aa:bb:cc:dd:ee:ff:"
				"11:22:33:44:55:66:08:00 SRC=10.1.1.2 DST=10.1.1.1 "
				"LEN=33 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP "
				"SPT=1 DPT=9 LEN=13 ", &e), KEV_NETFILTER);
	check_str(e.ifs[KEV_IF_IN], "mlvb");
	check_str(e.ifs[KEV_IF_OUT], "");
	assert_string_equal(kevent_name(e.type), "netfilter");
	assert_int_equal(parse0("br: IN=br0 OUT=br0 PHYSIN=veth1 PHYSOUT=veth2 "
				"MAC=aa SRC=10.0.0.1 DST=10.0.0.2 ", &e), KEV_NETFILTER);
	check_str(e.ifs[KEV_IF_PHYSIN], "veth1");
	check_str(e.ifs[KEV_IF_PHYSOUT], "veth2");
	/* No space after the prefix. */
	assert_int_equal(parse0("DROPIN=eth0 OUT= SRC=1.2.3.4 ", &e), KEV_NETFILTER);
	check_str(e.ifs[KEV_IF_IN], "eth0");
	/* A prefix that holds an IN=/OUT= of its own: two readings, none. */
	assert_int_equal(parse0("IN=vethB OUT= SRC=x IN=eth0 OUT= SRC=1.2.3.4 ", &e),
			 KEV_NONE);
	assert_int_equal(parse0("IN=0123456789abcdef OUT= SRC=1 ", &e), KEV_NONE);
}

static void test_caller(void **state)
{
	static const char r[] = "6,12,345,-,caller=T4711;hello\n";
	static const char r2[] = "6,12,345,c;hello\n";
	struct kmsg_record rec;
	size_t used;

	assert_int_equal(kmsg_parse(r, sizeof(r) - 1, &rec, &used), 0);
	assert_int_equal(rec.caller_len, 5);
	assert_memory_equal(rec.caller, "T4711", 5);
	assert_int_equal(rec.msg_len, 5);
	assert_int_equal(kmsg_parse(r2, sizeof(r2) - 1, &rec, &used), 0);
	assert_null(rec.caller);
}

static void test_procinfo(void **state)
{
	static const char stat[] = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 "
		"100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n";
	struct proc_stat st;
	const char *p;
	size_t n;

	assert_int_equal(proc_stat_parse(stat, sizeof(stat) - 1, &st), 0);
	assert_int_equal(st.comm_len, 8);
	assert_memory_equal(st.comm, "a) b (c)", 8);
	assert_int_equal(st.start_ticks, 987654);
	assert_int_equal(proc_stat_parse("1 (x) S 1", 9, &st), -EINVAL);
	assert_true(proc_started_by(100, 100, 1000000));
	assert_false(proc_started_by(300, 100, 1000000));

	static const char v1[] = "9:name=systemd:/\n4:memory:/memlogtest/a\n0::/\n";
	assert_int_equal(proc_cgroup_pick(v1, sizeof(v1) - 1, &p, &n), 0);
	assert_int_equal(n, 13);
	assert_memory_equal(p, "/memlogtest/a", 13);
	static const char v2[] = "0::/system.slice/docker-x.scope\n";
	assert_int_equal(proc_cgroup_pick(v2, sizeof(v2) - 1, &p, &n), 0);
	assert_int_equal(n, 28);
	static const char v1b[] = "3:cpu,memory:/m\n";
	assert_int_equal(proc_cgroup_pick(v1b, sizeof(v1b) - 1, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(proc_cgroup_pick("1:cpu:/\n", 8, &p, &n), -ENOENT);

	assert_true(cgroup_within("/a/b", 4, "/a", 2));
	assert_true(cgroup_within("/a", 2, "/a/", 3));
	assert_false(cgroup_within("/ab", 3, "/a", 2));
	assert_true(cgroup_within("/x", 2, "/", 1));
	assert_false(cgroup_within("/x", 2, "", 0));
}

#define ID "4485837dd7124a3bd6a4a1f5ed0c1e1b2f3a4d5c6b7a8f9e0d1c2b3a4f5e6d7c"

static void test_ctrcgroup(void **state)
{
	struct ctr_cgroup c;
	const char *paths[] = {
		"/docker/" ID,
		"/system.slice/docker-" ID ".scope",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/cri-containerd-" ID ".scope",
		"/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID,
		"/machine.slice/libpod-" ID ".scope",
		"/kubepods.slice/crio-" ID ".scope/sub",
	};
	const char *engines[] = { "docker", "docker", "containerd", "containerd",
				  "podman", "crio" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(ctr_cgroup_parse(paths[i], strlen(paths[i]), &c), 0);
		assert_string_equal(c.engine, engines[i]);
		assert_string_equal(c.id, ID);
	}
	assert_string_equal(c.pod, "");
	const char *k = paths[2];
	assert_int_equal(ctr_cgroup_parse(k, strlen(k), &c), 0);
	assert_string_equal(c.pod, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
	/* The outermost one counts: a container's own child cgroup named
	 * like another container does not make it that one. */
	const char *nested = "/docker/" ID "/docker-"
		"0000000000000000000000000000000000000000000000000000000000000000.scope";
	assert_int_equal(ctr_cgroup_parse(nested, strlen(nested), &c), 0);
	assert_string_equal(c.id, ID);
	assert_int_equal(c.base_len, 8 + 64);
	assert_int_equal(ctr_cgroup_parse("/user.slice", 11, &c), -ENOENT);
	assert_int_equal(ctr_cgroup_parse("/" ID, 65, &c), -ENOENT);
	const char *conmon = "/machine.slice/crio-conmon-" ID ".scope";
	assert_int_equal(ctr_cgroup_parse(conmon, strlen(conmon), &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_group),
		cmocka_unit_test(test_oom_comm_with_pid),
		cmocka_unit_test(test_forged_prefix),
		cmocka_unit_test(test_segfault),
		cmocka_unit_test(test_hung),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_netfilter),
		cmocka_unit_test(test_caller),
		cmocka_unit_test(test_procinfo),
		cmocka_unit_test(test_ctrcgroup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
