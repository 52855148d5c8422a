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

#define RUNC "/usr/sbin/runc"
#define WAIT_MS 20000
#define IGNORE(x) do { if (x) {} } while (0)

static const char segv_src[] =
	"int main(void)\n"
	"{\n"
	"\t*(volatile int *)16 = 1;\n"
	"\treturn 0;\n"
	"}\n";

struct kf {
	struct mld m;
	char dir[64];
	char segv[32];          /* the segfault program's name (its comm) */
	char id_a[48], id_b[48];
	int kmsg;               /* the test's own reader of /dev/kmsg */
	char trace[8];          /* debug.exception-trace before, or "" */
	pid_t run_a, run_b;     /* memlog-runc run */
	pid_t fs_a, fs_b;       /* memlog-kmsgfs */
	pid_t follow;           /* dmesg -w */
	pid_t poller;           /* a child in poll() */
	char rmnt[256];         /* memlog-runc's memlog-kmsgfs mount, or "" */
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

static int kf_setup(void **state)
{
	struct kf *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->kmsg = -1;
	mld_init(&t->m);
	*state = t;
	return 0;
}

static void unmount(const struct kf *t, const char *name)
{
	char cmd[256];

	/* Lazily: a mount namespace of a dmesg just killed may still hold
	 * it for a moment. */
	snprintf(cmd, sizeof(cmd), "fusermount3 -uz %s/%s 2>/dev/null", t->dir,
		 name);
	IGNORE(system(cmd));
}

static int kf_teardown(void **state)
{
	struct kf *t = *state;
	char cmd[1024];

	if (t->trace[0])
		h_write_file("/proc/sys/debug/exception-trace", t->trace, 0644);
	if (t->follow > 0) {
		kill(t->follow, SIGKILL);
		waitpid(t->follow, NULL, 0);
	}
	if (t->poller > 0) {
		kill(t->poller, SIGKILL);
		waitpid(t->poller, NULL, 0);
	}
	if (t->dir[0]) {
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
	if (t->dir[0]) {
		snprintf(cmd, sizeof(cmd), RUNC " --root %s/runc kill %s KILL 2>/dev/null;"
			 RUNC " --root %s/runc kill %s KILL 2>/dev/null;"
			 RUNC " --root %s/runc delete -f %s 2>/dev/null;"
			 RUNC " --root %s/runc delete -f %s 2>/dev/null", t->dir, t->id_a,
			 t->dir, t->id_b, t->dir, t->id_a, t->dir, t->id_b);
		IGNORE(system(cmd));
	}
	pid_t runs[] = { t->run_a, t->run_b };
	for (size_t i = 0; i < 2; i++)
		if (runs[i] > 0) {
			kill(runs[i], SIGKILL);
			waitpid(runs[i], NULL, 0);
		}
	if (t->kmsg >= 0)
		close(t->kmsg);
	if (t->dir[0])
		h_rmtree(t->dir);
	int r = h_teardown(state);
	mld_cleanup(&t->m);
	free(t);
	return r;
}

/* The next facility-0 kernel record whose text starts with prefix,
 * within WAIT_MS; its text into out. */
static void kmsg_wait(struct kf *t, const char *prefix, char *out, size_t cap)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;
	char buf[8192];

	for (;;) {
		ssize_t n = read(t->kmsg, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int64_t left = (int64_t)(deadline - h_now_ms());
			if (left <= 0)
				fail_msg("no kernel record \"%s...\" within %d ms",
					 prefix, WAIT_MS);
			struct pollfd p = { t->kmsg, POLLIN, 0 };
			poll(&p, 1, (int)left);
			continue;
		}
		if (n <= 0)
			fail_msg("read /dev/kmsg: %s", strerror(errno));
		buf[n] = '\0';
		char *semi = strchr(buf, ';'), *nl;
		if (!semi || atoi(buf) >= 8)
			continue;
		if ((nl = strchr(semi, '\n')))
			*nl = '\0';
		if (!strncmp(semi + 1, prefix, strlen(prefix))) {
			snprintf(out, cap, "%s", semi + 1);
			return;
		}
	}
}

/* A busybox bundle DIR/NAME running script. */
static void bundle(const struct kf *t, const char *name, const char *script)
{
	char cfg[256];

	sh("set -e; d=%s/%s; mkdir -p $d/rootfs/bin $d/rootfs/tmp;"
	   " cp /bin/busybox $d/rootfs/bin/;"
	   " for a in sh cat; do ln -sf busybox $d/rootfs/bin/$a; done;"
	   " cp %s/%s $d/rootfs/bin/; mkfifo $d/rootfs/f1 $d/rootfs/f2 $d/rootfs/f3;"
	   " cd $d && " RUNC " spec", t->dir, name, t->dir, t->segv);
	snprintf(cfg, sizeof(cfg), "%s/%s/config.json", t->dir, name);
	json_error_t err;
	json_t *c = json_load_file(cfg, 0, &err);
	assert_non_null(c);
	json_t *proc = json_object_get(c, "process");
	json_object_set_new(proc, "terminal", json_false());
	json_object_set_new(proc, "args", json_pack("[sss]", "sh", "-c", script));
	json_object_set_new(json_object_get(c, "root"), "readonly", json_false());
	assert_int_equal(json_dump_file(c, cfg, 0), 0);
	json_decref(c);
}

/* memlog-runc run of bundle DIR/NAME as container id; with kmsgfs,
 * --memlog-kmsgfs (memlog-kmsgfs on the view, at /dev/kmsg inside). */
static pid_t run(struct kf *t, const char *name, const char *id, bool kmsgfs)
{
	char b[128], root[128], err[128], prog[256], views[160];

	snprintf(b, sizeof(b), "%s/%s", t->dir, name);
	snprintf(root, sizeof(root), "%s/runc", t->dir);
	snprintf(err, sizeof(err), "%s/%s.err", t->dir, name);
	snprintf(views, sizeof(views), "%s/views", t->m.dir);
	h_prog(prog, sizeof(prog), "memlog-runc");
	char fs[256];
	h_prog(fs, sizeof(fs), "memlog-kmsgfs");
	const char *argv[20];
	int n = 0;
	const char *const head[] = { prog, "--memlog-runtime", RUNC,
				     "--memlog-socket", t->m.log,
				     "--memlog-view-dir", views, "--root", root };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[n++] = head[i];
	if (kmsgfs) {
		argv[n++] = "--memlog-kmsgfs";
		argv[n++] = fs;
	}
	const char *const tail[] = { "run", "--bundle", b, id, NULL };
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		argv[n++] = tail[i];
	return h_spawn(argv, err, true);
}

/* Opens a FIFO for writing once its reader (a container's cat) has it
 * open, within WAIT_MS. */
static int fifo_writer(const struct kf *t, const char *name, const char *f)
{
	char path[160];
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;

	snprintf(path, sizeof(path), "%s/%s/rootfs/%s", t->dir, name, f);
	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENXIO || h_now_ms() > deadline)
			fail_msg("open %s: %s", path, strerror(errno));
		h_sleep_ms(ms);
		ms = ms < 64 ? ms * 2 : ms;
	}
}

/* Waits until container id is registered with its pid. */
static void registered(const struct kf *t, const char *id)
{
	uint64_t deadline = h_now_ms() + WAIT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *st = h_stats(&t->m), *e;
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
	snprintf(sock, sizeof(sock), "%s/views/%s.sock", t->m.dir, id);
	snprintf(dir, sizeof(dir), "%s/%s", t->dir, mnt);
	snprintf(err, sizeof(err), "%s/%s.err", t->dir, mnt);
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
	snprintf(out, cap, "mount --bind %s/%s/kmsg /dev/kmsg && %s", t->dir,
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
	char line[1024];

	h_need_root("runc containers, FUSE and /dev/kmsg need root");
	if (access(RUNC, X_OK) || access("/bin/busybox", X_OK) ||
	    !h_prog_exists("memlog-runc")) {
		print_message("# needs " RUNC ", /bin/busybox and memlog-runc;"
			      " skipping\n");
		skip();
	}
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
	t->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->kmsg < 0) {
		print_message("# /dev/kmsg: %s; skipping\n", strerror(errno));
		skip();
	}
	lseek(t->kmsg, 0, SEEK_END);
	snprintf(t->dir, sizeof(t->dir), "/tmp/memlog-itest-kf-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->segv, sizeof(t->segv), "kfs%d", (int)(getpid() % 100000));
	snprintf(t->id_a, sizeof(t->id_a), "memlog-kf-%d-a", (int)getpid());
	snprintf(t->id_b, sizeof(t->id_b), "memlog-kf-%d-b", (int)getpid());
	snprintf(line, sizeof(line), "%s/segv.c", t->dir);
	h_write_file(line, segv_src, 0644);
	snprintf(line, sizeof(line), "cc -static -O0 -o %s/%s %s/segv.c "
		 "2>/dev/null", t->dir, t->segv, t->dir);
	if (system(line) != 0) {
		print_message("# cannot build a static program with cc; "
			      "skipping\n");
		skip();
	}
	char *tr = h_read_file("/proc/sys/debug/exception-trace", NULL);
	assert_non_null(tr);
	snprintf(t->trace, sizeof(t->trace), "%s", tr);
	free(tr);
	h_write_file("/proc/sys/debug/exception-trace", "1\n", 0644);
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

	snprintf(want, sizeof(want), "] %s[", t->segv);
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

	close(fifo_writer(t, "a", fifo));
	snprintf(want, sizeof(want), "%s[", t->segv);
	kmsg_wait(t, want, rec, cap);
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
	mld_start(&t->m, &o);
	snprintf(script, sizeof(script), "cat /f1; /bin/%s; cat /f2; /bin/%s;"
		 " cat /f3", t->segv, t->segv);
	bundle(t, "a", script);
	bundle(t, "b", "cat /f3");
	t->run_a = run(t, "a", t->id_a, false);
	t->run_b = run(t, "b", t->id_b, false);
	registered(t, t->id_a);
	registered(t, t->id_b);
	segfault(t, "f1", seg1, sizeof(seg1));

	t->fs_a = mount_view(t, "mnt-a", t->id_a);
	t->fs_b = mount_view(t, "mnt-b", t->id_b);
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
	snprintf(wout, sizeof(wout), "%s/follow.out", t->dir);
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
	snprintf(apath, sizeof(apath), "%s/mnt-a/kmsg", t->dir);
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
	snprintf(path, sizeof(path), "%s/mnt-a/kmsg", t->dir);
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
	snprintf(want, sizeof(want), "\n container_id=%s\n", t->id_a);
	if (!strstr(buf, want) || !strstr(buf, "\n event=segfault\n"))
		fail_msg("record without A's attributes: %s", buf);
	/* Writes are taken and dropped. */
	assert_int_equal(write(fd, "<3>forged\n", 10), 10);
	close(fd);

	close(fifo_writer(t, "a", "f3"));
	close(fifo_writer(t, "b", "f3"));
	assert_int_equal(h_wait_pid(t->run_a, WAIT_MS), 0);
	t->run_a = 0;
	assert_int_equal(h_wait_pid(t->run_b, WAIT_MS), 0);
	t->run_b = 0;
	/* Unmounted: memlog-kmsgfs exits 0. */
	sh("fusermount3 -u %s/mnt-a && fusermount3 -u %s/mnt-b", t->dir, t->dir);
	assert_int_equal(h_wait_pid(t->fs_a, WAIT_MS), 0);
	t->fs_a = 0;
	assert_int_equal(h_wait_pid(t->fs_b, WAIT_MS), 0);
	t->fs_b = 0;
	mld_stop(&t->m);
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
	mld_start(&t->m, &o);
	snprintf(script, sizeof(script), "cat /f1; /bin/%s; cat /f2;"
		 " /bin/dmesg -r >/tmp/dmesg.out 2>&1; echo rc=$? >>/tmp/dmesg.out;"
		 " cat /f3", t->segv);
	bundle(t, "a", script);
	/* util-linux dmesg, with its libraries, in A. */
	sh("set -e; r=%s/a/rootfs; d=$(command -v dmesg); cp $d $r/bin/dmesg;"
	   " for l in $(ldd $d | grep -o '/[^ ]*'); do"
	   " mkdir -p $r$(dirname $l); cp -L $l $r$l; done", t->dir);
	snprintf(t->rmnt, sizeof(t->rmnt), "%s/views/%s.kmsgfs", t->m.dir,
		 t->id_a);
	t->run_a = run(t, "a", t->id_a, true);
	registered(t, t->id_a);
	segfault(t, "f1", seg1, sizeof(seg1));
	/* memlog-kmsgfs has it (on the host's side of the mount). */
	snprintf(path, sizeof(path), "%s/views/%s.kmsgfs/kmsg", t->m.dir,
		 t->id_a);
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
		if (h_now_ms() > deadline)
			fail_msg("%s lacks \"%s\"", path, seg1);
		struct pollfd p = { fd, POLLIN, 0 };
		poll(&p, 1, 100);
	}
	close(fd);

	close(fifo_writer(t, "a", "f2"));
	snprintf(path, sizeof(path), "%s/a/rootfs/tmp/dmesg.out", t->dir);
	char *out = file_with(path, "rc=");
	char *rc = strstr(out, "rc=");
	if (strcmp(rc, "rc=0\n") || !strstr(out, seg1))
		fail_msg("dmesg in A: %s", out);
	*rc = '\0';
	only_segfaults(t, out);
	free(out);

	close(fifo_writer(t, "a", "f3"));
	assert_int_equal(h_wait_pid(t->run_a, WAIT_MS), 0);
	t->run_a = 0;
	/* Unmounted, memlog-kmsgfs ends and removes the mount point it
	 * made. */
	sh("fusermount3 -u %s", t->rmnt);
	deadline = h_now_ms() + WAIT_MS;
	struct stat st;
	while (stat(t->rmnt, &st) == 0) {
		if (h_now_ms() > deadline)
			fail_msg("%s still there %d ms after unmounting",
				 t->rmnt, WAIT_MS);
		h_sleep_ms(20);
	}
	t->rmnt[0] = '\0';
	mld_stop(&t->m);
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
