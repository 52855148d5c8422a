/* memlog-init without systemd (issue 15): the command it executes in its
 * own place stands in for systemd. The fd holder it starts must hold the
 * very pipes that were its stdout and stderr (the test takes them back
 * with the holder's client calls, as memlog-journal does), and keep them
 * open after the command closed its own; the command must keep
 * memlog-init's pid and arguments; a holder that cannot be started never
 * stops the command from running; the exit codes when it cannot be run.
 * The holder's socket is in a temp dir, so /run is never touched. */
#include "harness.h"
#include "fdhold.h"
#include "util.h"

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

struct run {
	pid_t pid;
	int out, err;   /* our read ends */
	int out_w, err_w; /* the write ends, kept to compare inodes */
};

static char dir[64];
static char sock[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/memlog-itest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/h.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	int s = fdhold_connect(sock, NULL);
	if (s >= 0) {
		IGNORE_RESULT(fdhold_release(s));
		close(s);
	}
	h_rmtree(dir);
	return h_teardown(state);
}

/* memlog-init with args (NULL-terminated), its stdout and stderr pipes. */
static void start(struct run *r, const char *const *args)
{
	char prog[512];
	const char *argv[32] = { prog };
	int n = 1, op[2], ep[2];

	h_prog(prog, sizeof(prog), "memlog-init");
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe2(op, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(op[1], 1) < 0 ||
		    dup2(ep[1], 2) < 0)
			_exit(120);
		h_child_close_from(3);
		h_child_signals();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(r->pid);
	r->out = op[0];
	r->err = ep[0];
	r->out_w = op[1];
	r->err_w = ep[1];
}

static void done(struct run *r)
{
	close(r->out);
	close(r->err);
	close(r->out_w);
	close(r->err_w);
}

/* Reads from fd until needle arrived (or the deadline). */
static char *read_until(int fd, const char *needle)
{
	static char buf[8192];
	size_t len = 0;
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;

	buf[0] = '\0';
	while (!strstr(buf, needle)) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t now = h_now_ms();
		if (now >= deadline)
			fail_msg("\"%s\" not read; got \"%s\"", needle, buf);
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0)
			fail_msg("end of pipe before \"%s\"; got \"%s\"", needle, buf);
		len += (size_t)k;
		buf[len] = '\0';
	}
	return buf;
}

struct taken {
	int fd[3]; /* by key 1, 2 */
	int n;
};

static int take_one(void *ctx, uint64_t key, int fd)
{
	struct taken *t = ctx;
	if (fd >= 0 && key >= 1 && key <= 2 && t->fd[key] < 0)
		t->fd[key] = fd;
	else if (fd >= 0)
		close(fd);
	t->n++;
	return 0;
}

static void take(struct taken *t)
{
	t->fd[0] = t->fd[1] = t->fd[2] = -1;
	t->n = 0;
	int s = fdhold_connect(sock, NULL);
	if (s < 0)
		fail_msg("no holder at %s: %s", sock, strerror(-s));
	assert_true(fdhold_take(s, take_one, t) >= 0);
	close(s);
}

static bool same_file(int a, int b)
{
	struct stat x, y;
	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

static void test_holds_stdout_and_stderr(void **state)
{
	struct run r;
	struct taken t;
	(void)state;

	const char *args[] = { "--holder-socket", sock, "--", "/bin/sh", "-c",
			       "echo pid=$$ args=$0,$1; echo on-stderr >&2; "
			       "exec sleep 60", "a1", "b2", NULL };
	start(&r, args);
	char want[64];
	snprintf(want, sizeof(want), "pid=%d args=a1,b2\n", (int)r.pid);
	/* The command runs as memlog-init's own process, with its args. */
	assert_non_null(strstr(read_until(r.out, "\n"), want));
	read_until(r.err, "on-stderr\n");
	take(&t);
	assert_int_equal(t.n, 2);
	assert_true(same_file(t.fd[1], r.out_w));
	assert_true(same_file(t.fd[2], r.err_w));
	assert_int_equal(fcntl(t.fd[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	/* The command (systemd's stand-in) closes everything: the pipes
	 * stay open, the holder has them. */
	close(r.out_w);
	close(r.err_w);
	r.out_w = r.err_w = -1;
	kill(r.pid, SIGKILL);
	h_wait_pid(r.pid, H_TIMEOUT_MS);
	h_untrack_pid(r.pid);
	struct pollfd p = { r.out, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 200), 0);
	/* What a later holder's client writes still arrives. */
	h_write_all(t.fd[1], "via the holder\n", 15);
	read_until(r.out, "via the holder\n");
	close(t.fd[1]);
	close(t.fd[2]);
	/* Released: the last write end is gone. */
	int s = fdhold_connect(sock, NULL);
	assert_true(s >= 0);
	assert_int_equal(fdhold_release(s), 0);
	close(s);
	char c;
	assert_int_equal(read(r.out, &c, 1), 0);
	done(&r);
}

/* A second memlog-init on a live holder gives it the stdout of now. */
static void test_second_init_replaces(void **state)
{
	struct run a, b;
	struct taken t;
	(void)state;

	const char *first[] = { "--holder-socket", sock, "/bin/sh", "-c",
				"echo first; exec sleep 60", NULL };
	start(&a, first);
	read_until(a.out, "first\n");
	const char *second[] = { "--holder-socket", sock, "/bin/echo", "second",
				 NULL };
	start(&b, second);
	read_until(b.out, "second\n");
	h_expect_exit(h_wait_pid(b.pid, H_TIMEOUT_MS), 0, "memlog-init", NULL);
	h_untrack_pid(b.pid);
	take(&t);
	assert_true(same_file(t.fd[1], b.out_w));
	assert_true(same_file(t.fd[2], b.err_w));
	close(t.fd[1]);
	close(t.fd[2]);
	kill(a.pid, SIGKILL);
	done(&a);
	done(&b);
}

/* No holder program: said, and the command runs all the same. */
static void test_no_holder_still_runs(void **state)
{
	struct run r;
	(void)state;

	const char *args[] = { "--holder-socket", sock, "--fd-holder",
			       "/nonexistent/memlog-fdholder", "/bin/echo", "ran",
			       NULL };
	start(&r, args);
	read_until(r.out, "ran\n");
	read_until(r.err, "memlog-init: /nonexistent/memlog-fdholder not found");
	h_expect_exit(h_wait_pid(r.pid, H_TIMEOUT_MS), 0, "memlog-init", NULL);
	h_untrack_pid(r.pid);
	done(&r);
}

static void test_exit_codes(void **state)
{
	char *out = NULL, *err = NULL, path[200];
	int st;
	(void)state;

	const char *missing[] = { "--holder-socket", sock, "/nonexistent/systemd",
				  NULL };
	st = h_run_prog("memlog-init", missing, H_TIMEOUT_MS, NULL, &err);
	h_expect_exit(st, 127, "memlog-init", err);
	assert_non_null(strstr(err, "cannot execute /nonexistent/systemd"));
	free(err);
	snprintf(path, sizeof(path), "%s/not-executable", dir);
	h_write_file(path, "#!/bin/sh\n", 0644);
	const char *noexec[] = { "--holder-socket", sock, path, NULL };
	st = h_run_prog("memlog-init", noexec, H_TIMEOUT_MS, NULL, &err);
	h_expect_exit(st, 126, "memlog-init", err);
	free(err);
	const char *bad[] = { "--bogus", NULL };
	st = h_run_prog("memlog-init", bad, H_TIMEOUT_MS, NULL, &err);
	h_expect_exit(st, 125, "memlog-init", err);
	assert_non_null(strstr(err, "memlog-init: unknown option: --bogus\n"));
	free(err);
	const char *help[] = { "--help", NULL };
	st = h_run_prog("memlog-init", help, H_TIMEOUT_MS, &out, NULL);
	h_expect_exit(st, 0, "memlog-init --help", NULL);
	assert_non_null(strstr(out, "STOPSIGNAL SIGRTMIN+3"));
	free(out);
	const char *ver[] = { "--version", NULL };
	st = h_run_prog("memlog-init", ver, H_TIMEOUT_MS, &out, NULL);
	h_expect_exit(st, 0, "memlog-init --version", NULL);
	assert_non_null(strstr(out, "memlog-init memlog "));
	free(out);
}

/* memlog-journal with nothing to take: exit 3, said why. */
static void test_journal_without_stdout(void **state)
{
	char *err = NULL;
	(void)state;

	const char *args[] = { "--holder-socket", sock, NULL };
	int st = h_run_prog("memlog-journal", args, H_TIMEOUT_MS, NULL, &err);
	h_expect_exit(st, 3, "memlog-journal", err);
	assert_non_null(strstr(err, "no container stdout"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holds_stdout_and_stderr,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_init_replaces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_holder_still_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_without_stdout, setup,
						teardown),
	};
	return h_run_tests("itest_journal_init", tests, NULL, NULL);
}
