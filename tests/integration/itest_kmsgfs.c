/* memlog-kmsgfs (docs/kernel.md, "dmesg inside a container"): a
 * container's kernel view read as /dev/kmsg by util-linux dmesg. Root,
 * runc, busybox, a C compiler, /dev/fuse and fusermount3 (skipped with
 * the reason otherwise). Two runc containers through memlog-runc; A
 * segfaults (as itest_kattr makes it: debug.exception-trace=1, restored
 * after), B does nothing. memlog-kmsgfs mounted on each view; dmesg, in a
 * mount namespace where the mount's kmsg is bind-mounted on /dev/kmsg,
 * prints A's segfault through A's, and nothing through B's; dmesg -w
 * through A's prints a second segfault as it happens. The file itself:
 * EINVAL for a small buffer, EAGAIN at the end with O_NONBLOCK,
 * SEEK_SET/SEEK_END/SEEK_DATA, poll, writes taken and dropped.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNC KC_RUNC
#define WAIT_MS KC_WAIT_MS
#define IGNORE(x) do { if (x) {} } while (0)

static const char segv_src[] =
	"int main(void)\n"
	"{\n"
	"\t*(volatile int *)16 = 1;\n"
	"\treturn 0;\n"
	"}\n";

struct kf {
	struct kctr k;          /* the containers, /dev/kmsg, the program */
	pid_t fs_a, fs_b;       /* memlog-kmsgfs */
	pid_t follow;           /* dmesg -w */
	pid_t poller;           /* a child in poll() */
	char rmnt[256];         /* memlog-runc's memlog-kmsgfs mount, or "" */
};

static int kf_setup(void **state)
{
	struct kf *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	kc_init(&t->k);
	*state = t;
	return 0;
}

static void unmount(const struct kf *t, const char *name)
{
	char cmd[256];

	/* Lazily: a mount namespace of a dmesg just killed may still hold
	 * it for a moment. */
	snprintf(cmd, sizeof(cmd), "fusermount3 -uz %s/%s 2>/dev/null", t->k.dir,
		 name);
	IGNORE(system(cmd));
}

static int kf_teardown(void **state)
{
	struct kf *t = *state;
	char cmd[1024];

	if (t->follow > 0) {
		kill(t->follow, SIGKILL);
		waitpid(t->follow, NULL, 0);
	}
	if (t->poller > 0) {
		kill(t->poller, SIGKILL);
		waitpid(t->poller, NULL, 0);
	}
	if (t->k.dir[0]) {
		unmount(t, "mnt-a");
		unmount(t, "mnt-b");
	}
	if (t->rmnt[0]) {
		/* The one memlog-runc started (it exits once unmounted). */
		snprintf(cmd, sizeof(cmd), "fusermount3 -uz %s 2>/dev/null",
			 t->rmnt);
		IGNORE(system(cmd));
	}
	pid_t fss[] = { t->fs_a, t->fs_b };
	for (size_t i = 0; i < 2; i++)
		if (fss[i] > 0) {
			kill(fss[i], SIGKILL);
			waitpid(fss[i], NULL, 0);
		}
	kc_teardown(&t->k);
	int r = h_teardown(state);
	mld_cleanup(&t->k.m);
	free(t);
	return r;
}

/* A busybox bundle DIR/NAME running script. */
static void bundle(const struct kf *t, const char *name, const char *script)
{
	kc_bundle_save(&t->k, name, kc_bundle(&t->k, name, script));
}

/* memlog-runc run of bundle DIR/NAME as container id; with kmsgfs,
 * --memlog-kmsgfs (memlog-kmsgfs on the view, at /dev/kmsg inside). */
static pid_t run(struct kf *t, const char *name, const char *id, bool kmsgfs)
{
	char fs[256];

	h_prog(fs, sizeof(fs), "memlog-kmsgfs");
	const char *const extra[] = { "--memlog-kmsgfs", fs, NULL };
	return kc_run(&t->k, name, id, kmsgfs ? extra : NULL);
}

/* Waits until container id is registered with its pid. */
static void registered(const struct kf *t, const char *id)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *st = h_stats(&t->k.m), *e;
		json_t *list = h_jget(st, "containers.list");
		size_t i;
		json_array_foreach(list, i, e)
			if (!strcmp(h_jstr(e, "id"), id) && h_jint(e, "pid") > 0) {
				json_decref(st);
				return;
			}
		json_decref(st);
		if (h_now_ms() > deadline)
			fail_msg("container %s not registered within %d ms", id,
				 WAIT_MS);
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
}

/* Mounts memlog-kmsgfs on container id's view at DIR/mnt; waits until
 * DIR/mnt/kmsg is there. */
static pid_t mount_view(struct kf *t, const char *mnt, const char *id)
{
	char prog[256], sock[256], dir[160], err[160], file[192];

	h_prog(prog, sizeof(prog), "memlog-kmsgfs");
	snprintf(sock, sizeof(sock), "%s/views/%s.sock", t->k.m.dir, id);
	snprintf(dir, sizeof(dir), "%s/%s", t->k.dir, mnt);
	snprintf(err, sizeof(err), "%s/%s.err", t->k.dir, mnt);
	snprintf(file, sizeof(file), "%s/kmsg", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	const char *argv[] = { prog, "--socket", sock, "--foreground", dir,
			       NULL };
	pid_t pid = h_spawn(argv, err, true);
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;
	struct stat st;
	while (stat(file, &st) < 0) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *e = h_read_file(err, NULL);
			fail_msg("memlog-kmsgfs exited (%d): %s", status,
				 e ? e : "");
		}
		if (h_now_ms() > deadline)
			fail_msg("%s not mounted within %d ms", file, WAIT_MS);
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
	return pid;
}

/* The shell command cmd run in a new mount namespace in which DIR/mnt's
 * kmsg is bind-mounted on /dev/kmsg. */
static void in_ns(char *out, size_t cap, const struct kf *t, const char *mnt,
		  const char *cmd)
{
	snprintf(out, cap, "mount --bind %s/%s/kmsg /dev/kmsg && %s", t->k.dir,
		 mnt, cmd);
}

/* dmesg's output (-r: raw, "<PRI>[TIME] MESSAGE") through DIR/mnt. */
static char *dmesg(const struct kf *t, const char *mnt)
{
	char cmd[512], *out = NULL, *err = NULL;

	in_ns(cmd, sizeof(cmd), t, mnt, "exec dmesg -r");
	const char *argv[] = { "/usr/bin/unshare", "-m", "/bin/sh", "-c", cmd,
			       NULL };
	int st = h_run(argv, NULL, WAIT_MS, &out, &err);
	if (st != 0)
		fail_msg("dmesg through %s: status %d: %s", mnt, st, err);
	free(err);
	return out;
}

static void need(struct kf *t)
{
	h_need_root("runc containers, FUSE and /dev/kmsg need root");
	if (access("/dev/fuse", R_OK | W_OK) || system("command -v "
	    "fusermount3 >/dev/null") || !h_prog_exists("memlog-kmsgfs")) {
		print_message("# needs /dev/fuse, fusermount3 and "
			      "memlog-kmsgfs; skipping\n");
		skip();
	}
	if (access("/usr/bin/unshare", X_OK) || system("command -v dmesg "
						       ">/dev/null")) {
		print_message("# needs unshare and dmesg (util-linux); "
			      "skipping\n");
		skip();
	}
	kc_prepare(&t->k, "kf", segv_src);
}

/* memlog-kmsgfs's own first record. */
#define HEAD_MSG "] memlog-kmsgfs: the kernel events memlogd attributed to " \
		 "this container follow"

/* Every line of dmesg's output is one of A's segfaults, or memlog-kmsgfs's
 * first record: the view has nothing else of the kernel's. */
static void only_segfaults(const struct kf *t, const char *out)
{
	char want[64];
	const char *l = out;

	snprintf(want, sizeof(want), "] %s[", t->k.segv);
	while (*l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		if (!memmem(l, n, want, strlen(want)) &&
		    !memmem(l, n, HEAD_MSG, strlen(HEAD_MSG)))
			fail_msg("A's dmesg has a line not A's: %.*s", (int)n, l);
		l += n + (nl ? 1 : 0);
	}
}

/* A's segfault record, as its pid and text after "PROG[". */
static void segfault(struct kf *t, const char *fifo, char *rec, size_t cap)
{
	char want[64];

	close(kc_fifo_writer(&t->k, "a", fifo));
	snprintf(want, sizeof(want), "%s[", t->k.segv);
	kc_kmsg_wait(&t->k, want, rec, cap);
}

/* Waits until process pid sleeps in poll() (x86_64's poll is system call
 * 7; elsewhere, or without /proc/PID/syscall, it does not wait). */
static void in_poll(pid_t pid)
{
	char path[64];
	uint64_t deadline = h_now_ms() + WAIT_MS;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (;;) {
		char *s = h_read_file(path, NULL);
#if defined(__x86_64__)
		bool there = !s || !strncmp(s, "7 ", 2);
#else
		bool there = true;
#endif
		free(s);
		if (there)
			return;
		if (h_now_ms() > deadline)
			fail_msg("process %d not in poll() within %d ms", (int)pid,
				 WAIT_MS);
		h_sleep_ms(5);
	}
}

static void test_dmesg_reads_view(void **state)
{
	struct kf *t = *state;
	char script[256], seg1[1024], seg2[1024], cmd[512];

	need(t);
	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);
	snprintf(script, sizeof(script), "cat /f1; /bin/%s; cat /f2; /bin/%s;"
		 " cat /f3", t->k.segv, t->k.segv);
	bundle(t, "a", script);
	bundle(t, "b", "cat /f3");
	t->k.run_a = run(t, "a", t->k.id_a, false);
	t->k.run_b = run(t, "b", t->k.id_b, false);
	registered(t, t->k.id_a);
	registered(t, t->k.id_b);
	segfault(t, "f1", seg1, sizeof(seg1));

	t->fs_a = mount_view(t, "mnt-a", t->k.id_a);
	t->fs_b = mount_view(t, "mnt-b", t->k.id_b);
	/* dmesg through A's: the segfault (once memlog-kmsgfs has it). */
	uint64_t deadline = h_now_ms() + WAIT_MS;
	char *out;
	for (;;) {
		out = dmesg(t, "mnt-a");
		if (strstr(out, seg1))
			break;
		if (h_now_ms() > deadline)
			fail_msg("dmesg through A's view lacks \"%s\": %s", seg1,
				 out);
		free(out);
		h_sleep_ms(100);
	}
	only_segfaults(t, out);
	/* The record's priority and time: the kernel's. */
	if (!strstr(out, "<6>[") && !strstr(out, "<1>["))
		fail_msg("no kernel priority in \"%s\"", out);
	free(out);
	/* Through B's: memlog-kmsgfs's first record and nothing else (A's
	 * segfault is A's). Without that record dmesg would find nothing
	 * and read the host's log through syslog(2) instead. */
	out = dmesg(t, "mnt-b");
	const char *nl = strchr(out, '\n');
	if (!strstr(out, HEAD_MSG) || !nl || nl[1])
		fail_msg("dmesg through B's view: \"%s\"", out);
	free(out);

	/* dmesg -w through A's: a new segfault as it happens. */
	char wout[192];
	snprintf(wout, sizeof(wout), "%s/follow.out", t->k.dir);
	in_ns(cmd, sizeof(cmd), t, "mnt-a", "exec dmesg -w -r 1>&2");
	const char *argv[] = { "/usr/bin/unshare", "-m", "/bin/sh", "-c", cmd,
			       NULL };
	t->follow = h_spawn(argv, wout, true);
	/* dmesg -w printed what was there: it follows from then on. */
	deadline = h_now_ms() + WAIT_MS;
	for (;;) {
		char *s = h_read_file(wout, NULL);
		bool there = s && strstr(s, seg1);
		free(s);
		if (there)
			break;
		if (h_now_ms() > deadline)
			fail_msg("dmesg -w did not print \"%s\"", seg1);
		h_sleep_ms(20);
	}
	/* A poll() from the end, waiting when the record comes, wakes up. */
	char apath[160], tmp[8192];
	snprintf(apath, sizeof(apath), "%s/mnt-a/kmsg", t->k.dir);
	int pfd = open(apath, O_RDONLY | O_NONBLOCK);
	assert_true(pfd >= 0);
	assert_true(lseek(pfd, 0, SEEK_END) > 0);
	assert_int_equal(read(pfd, tmp, sizeof(tmp)), -1);
	assert_int_equal(errno, EAGAIN);
	t->poller = fork();
	assert_true(t->poller >= 0);
	if (t->poller == 0) {
		/* Woken up, not timed out: poll() looks once more when its
		 * time is up, and would find the record then. */
		struct pollfd p = { pfd, POLLIN, 0 };
		uint64_t t0 = h_now_ms();
		int r = poll(&p, 1, WAIT_MS);
		_exit(r == 1 && (p.revents & POLLIN) &&
		      h_now_ms() - t0 < WAIT_MS ? 0 : 1);
	}
	in_poll(t->poller);
	segfault(t, "f2", seg2, sizeof(seg2));
	assert_int_equal(h_wait_pid(t->poller, WAIT_MS + 5000), 0);
	t->poller = 0;
	ssize_t pn;
	while ((pn = read(pfd, tmp, sizeof(tmp) - 1)) < 0 && errno == EPIPE)
		;
	assert_true(pn > 0);
	tmp[pn] = '\0';
	if (!strstr(tmp, seg2))
		fail_msg("after poll(): \"%s\", not \"%s\"", tmp, seg2);
	close(pfd);
	deadline = h_now_ms() + WAIT_MS;
	for (;;) {
		char *s = h_read_file(wout, NULL);
		bool there = s && strstr(s, seg2);
		if (there) {
			only_segfaults(t, s);
			free(s);
			break;
		}
		if (h_now_ms() > deadline)
			fail_msg("dmesg -w did not print \"%s\": %s", seg2,
				 s ? s : "");
		free(s);
		h_sleep_ms(20);
	}
	kill(t->follow, SIGTERM);
	h_wait_pid(t->follow, WAIT_MS);
	t->follow = 0;

	/* The file as /dev/kmsg behaves. */
	char path[160], buf[8192];
	snprintf(path, sizeof(path), "%s/mnt-a/kmsg", t->k.dir);
	int fd = open(path, O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	struct pollfd p = { fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	errno = 0;
	assert_int_equal(read(fd, buf, 8), -1);
	assert_int_equal(errno, EINVAL);
	ssize_t n1 = read(fd, buf, sizeof(buf));
	assert_true(n1 > 0);
	char first[8192];
	memcpy(first, buf, (size_t)n1);
	/* To the end: EPIPE where records were lost (memlogd's "missed"
	 * markers, kept in every view), then EAGAIN. */
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || errno == EPIPE)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), n1);
	assert_memory_equal(buf, first, (size_t)n1);
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(lseek(fd, 0, SEEK_DATA), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), n1);
	assert_memory_equal(buf, first, (size_t)n1);
	while ((n1 = read(fd, buf, sizeof(buf) - 1)) < 0 && errno == EPIPE)
		;
	assert_true(n1 > 0);
	/* Each record is "PRI,SEQ,USEC,FLAGS;MESSAGE\n" and dictionary
	 * lines: the attributes, A's. */
	buf[n1] = '\0';
	char want[96];
	snprintf(want, sizeof(want), "\n container_id=%s\n", t->k.id_a);
	if (!strstr(buf, want) || !strstr(buf, "\n event=segfault\n"))
		fail_msg("record without A's attributes: %s", buf);
	/* Writes are taken and dropped. */
	assert_int_equal(write(fd, "<3>forged\n", 10), 10);
	close(fd);

	close(kc_fifo_writer(&t->k, "a", "f3"));
	close(kc_fifo_writer(&t->k, "b", "f3"));
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;
	assert_int_equal(h_wait_pid(t->k.run_b, WAIT_MS), 0);
	t->k.run_b = 0;
	/* Unmounted: memlog-kmsgfs exits 0. */
	kc_sh("fusermount3 -u %s/mnt-a && fusermount3 -u %s/mnt-b", t->k.dir, t->k.dir);
	assert_int_equal(h_wait_pid(t->fs_a, WAIT_MS), 0);
	t->fs_a = 0;
	assert_int_equal(h_wait_pid(t->fs_b, WAIT_MS), 0);
	t->fs_b = 0;
	mld_stop(&t->k.m);
}

/* What file holds once it holds want (within WAIT_MS). */
static char *file_with(const char *file, const char *want)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;

	for (;;) {
		char *s = h_read_file(file, NULL);
		if (s && strstr(s, want))
			return s;
		if (h_now_ms() > deadline)
			fail_msg("%s: no \"%s\" within %d ms: %s", file, want,
				 WAIT_MS, s ? s : "(none)");
		free(s);
		h_sleep_ms(20);
	}
}

/* memlog-runc --memlog-kmsgfs: memlog-kmsgfs on A's view, its kmsg at
 * /dev/kmsg in A; util-linux dmesg inside A (no CAP_SYSLOG: runc's
 * default capabilities) prints A's segfault and nothing else. */
static void test_dmesg_in_container(void **state)
{
	struct kf *t = *state;
	char script[512], seg1[1024], path[256];

	need(t);
	static const char *const args[] = { "--kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&t->k.m, &o);
	kc_wait_clock(&t->k);
	snprintf(script, sizeof(script), "cat /f1; /bin/%s; cat /f2;"
		 " /bin/dmesg -r >/tmp/dmesg.out 2>&1; echo rc=$? >>/tmp/dmesg.out;"
		 " cat /f3", t->k.segv);
	bundle(t, "a", script);
	/* util-linux dmesg, with its libraries, in A. */
	kc_sh("set -e; r=%s/a/rootfs; d=$(command -v dmesg); cp $d $r/bin/dmesg;"
	   " for l in $(ldd $d | grep -o '/[^ ]*'); do"
	   " mkdir -p $r$(dirname $l); cp -L $l $r$l; done", t->k.dir);
	snprintf(t->rmnt, sizeof(t->rmnt), "%s/views/%s.kmsgfs", t->k.m.dir,
		 t->k.id_a);
	t->k.run_a = run(t, "a", t->k.id_a, true);
	registered(t, t->k.id_a);
	segfault(t, "f1", seg1, sizeof(seg1));
	/* memlog-kmsgfs has it (on the host's side of the mount). */
	snprintf(path, sizeof(path), "%s/views/%s.kmsgfs/kmsg", t->k.m.dir,
		 t->k.id_a);
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		fail_msg("memlog-runc mounted no %s: %s", path, strerror(errno));
	uint64_t deadline = h_now_ms() + WAIT_MS;
	for (;;) {
		char buf[8192];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, seg1))
				break;
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0 && errno != EAGAIN)
			fail_msg("read %s: %s", path, strerror(errno));
		if (h_now_ms() > deadline) {
			/* What memlogd stored of it, with its attributes. */
			json_t *a = h_dump(&t->k.m, "dump stream=kernel\n"), *e;
			size_t i;
			json_array_foreach(a, i, e) {
				char *d = json_dumps(e, JSON_COMPACT);
				if (d && strstr(d, t->k.segv))
					print_message("# stored: %s\n", d);
				free(d);
			}
			json_decref(a);
			json_t *st = h_stats(&t->k.m);
			char *d = json_dumps(json_object_get(st, "containers"),
					     JSON_COMPACT);
			print_message("# containers: %.2000s\n", d ? d : "?");
			free(d);
			json_decref(st);
			fail_msg("%s lacks \"%s\"", path, seg1);
		}
		struct pollfd p = { fd, POLLIN, 0 };
		poll(&p, 1, 100);
	}
	close(fd);

	close(kc_fifo_writer(&t->k, "a", "f2"));
	snprintf(path, sizeof(path), "%s/a/rootfs/tmp/dmesg.out", t->k.dir);
	char *out = file_with(path, "rc=");
	char *rc = strstr(out, "rc=");
	if (strcmp(rc, "rc=0\n") || !strstr(out, seg1))
		fail_msg("dmesg in A: %s", out);
	*rc = '\0';
	only_segfaults(t, out);
	free(out);

	close(kc_fifo_writer(&t->k, "a", "f3"));
	assert_int_equal(h_wait_pid(t->k.run_a, WAIT_MS), 0);
	t->k.run_a = 0;
	/* Unmounted, memlog-kmsgfs ends and removes the mount point it
	 * made. */
	kc_sh("fusermount3 -u %s", t->rmnt);
	deadline = h_now_ms() + WAIT_MS;
	struct stat st;
	while (stat(t->rmnt, &st) == 0) {
		if (h_now_ms() > deadline)
			fail_msg("%s still there %d ms after unmounting",
				 t->rmnt, WAIT_MS);
		h_sleep_ms(20);
	}
	t->rmnt[0] = '\0';
	mld_stop(&t->k.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dmesg_reads_view, kf_setup,
						kf_teardown),
		cmocka_unit_test_setup_teardown(test_dmesg_in_container,
						kf_setup, kf_teardown),
	};
	return h_run_group("kmsgfs", tests, sizeof(tests) / sizeof(tests[0]),
			   NULL, NULL);
}
