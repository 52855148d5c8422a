/* logread -f and -F across lost connections: against the real memlogd,
 * SIGKILLed and started again while lines flow (the same instance: its fd
 * holder keeps the ring, the state and the sources), and against a query
 * socket of the test's own, which shows what logread asks when it
 * connects again. Every wait has a deadline. */
#include "harness.h"
#include "binrec.h"
#include "regmsg.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CRASHES 4

static void need_logread(void)
{
	if (!h_prog_exists("logread")) {
		print_message("# %s/logread is not built; skipping\n", h_build());
		skip();
	}
}

/* A logread in the background, its stdout and stderr in files of dir. */
struct lr {
	pid_t pid;
	char out[200];
	char err[200];
};

static void to_stdout(void *arg)
{
	int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(121);
}

static void lr_start(struct lr *l, const char *dir, const char *socket,
		     const char *const *extra)
{
	char prog[512];
	const char *argv[24];
	int n = 0;

	h_prog(prog, sizeof(prog), "logread");
	snprintf(l->out, sizeof(l->out), "%s/logread.out", dir);
	snprintf(l->err, sizeof(l->err), "%s/logread.err", dir);
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = socket;
	for (int i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	l->pid = h_spawn_setup(argv, l->err, true, to_stdout, l->out);
}

/* Sends sig; returns the wait status. */
static int lr_signal(struct lr *l, int sig)
{
	int st;

	assert_int_equal(kill(l->pid, sig), 0);
	st = h_wait_pid(l->pid, H_TIMEOUT_MS);
	h_untrack_pid(l->pid);
	return st;
}

/* Without a cursor file the stop signals keep their default action:
 * logread ends at once, whatever it waits for. */
static void expect_killed(struct lr *l, int sig)
{
	int st = lr_signal(l, sig);

	if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
		fail_msg("logread: status 0x%x, not killed by signal %d", st, sig);
}

/* ---- against memlogd ---- */

/* What the runs against memlogd share: memlogd, a producer on source
 * "seq", and logread with args, through CRASHES crashes; returns how many
 * lines were written, with logread's output complete. */
static int crash_run(struct mld *m, struct lr *l, const char *const *args,
		     const char *back)
{
	struct h_producer p;
	char last[32], *out;
	uint64_t end;
	int n, w;

	mld_start(m, NULL);
	w = h_register_pipe(m, "seq");
	lr_start(l, m->dir, m->query, args);
	h_producer_start(&p, w);
	close(w);
	for (int k = 1; k <= CRASHES; k++) {
		h_wait_lines_grow(m, "seq", "stderr", 100);
		h_crash_cycle(m, l->pid, l->err, "; reconnecting", back, k,
			      H_TIMEOUT_MS);
	}
	h_wait_lines_grow(m, "seq", "stderr", 100);
	n = h_producer_stop(&p);
	/* logread writes out what it has before it waits for more. */
	snprintf(last, sizeof(last), "%06d", n - 1);
	end = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		out = h_read_file(l->out, NULL);
		bool done = out && strstr(out, last);
		free(out);
		if (done)
			break;
		if (h_now_ms() > end)
			fail_msg("logread never printed line %d", n - 1);
		h_sleep_ms(10);
	}
	return n;
}

/* The lost connection and its return, each said once per crash, and
 * nothing else. */
static void expect_said(const struct lr *l, const char *back)
{
	char *e = h_read_file(l->err, NULL);

	assert_non_null(e);
	if (h_count_str(e, "memlogd closed the connection on") != CRASHES ||
	    h_count_str(e, back) != CRASHES ||
	    h_count_str(e, "\n") != 2 * CRASHES)
		fail_msg("logread said:\n%s", e);
	free(e);
}

/* memlog's protocol (-o json): every line once, in order, memlogd's
 * notices of each restart, no marker. */
static void test_v2_follower_rides_crashes(void **state)
{
	struct mld m = { 0 };
	struct lr l;
	int n, notices = 0;
	char *out;
	(void)state;

	need_logread();
	n = crash_run(&m, &l, (const char *const[]){ "-F", "-o", "json", NULL },
		      "connected to");
	expect_killed(&l, SIGTERM);
	out = h_read_file(l.out, NULL);
	json_t *a = h_ndjson(out, strlen(out));
	char *lines = calloc(1, (size_t)n * 7 + 1), *q = lines;
	assert_non_null(lines);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		const char *src = h_jstr(e, "source");

		if (json_object_get(e, "marker"))
			fail_msg("a marker: %s", h_jstr(e, "msg"));
		if (!strcmp(src, "memlogd")) {
			notices += strstr(h_jstr(e, "msg"), "took over the ring") != NULL;
			continue;
		}
		assert_string_equal(src, "seq");
		if (q + 7 > lines + (size_t)n * 7)
			fail_msg("more lines than the %d written", n);
		q += sprintf(q, "%.6s\n", h_jstr(e, "msg"));
	}
	h_expect_sequence(lines, n, "logread's output");
	assert_int_equal(notices, CRASHES);
	free(lines);
	json_decref(a);
	free(out);
	expect_said(&l, "connected to");
	mld_stop(&m);
}

/* No memlog option: LinuxKit's byte with memlog's request for binary
 * records behind it, which memlogd takes: after each crash logread
 * resumes after its cursor, so LinuxKit's text has every line once, in
 * order, as memlog's protocol does. */
static void test_upgraded_follower_rides_crashes(void **state)
{
	struct mld m = { 0 };
	struct lr l;
	int n, notices = 0;
	char *out, *p;
	(void)state;

	need_logread();
	n = crash_run(&m, &l, (const char *const[]){ "-F", NULL },
		      "connected to");
	expect_killed(&l, SIGTERM);
	out = h_read_file(l.out, NULL);
	char *lines = calloc(1, (size_t)n * 7 + 1), *q = lines;
	assert_non_null(lines);
	for (p = out; *p;) {
		char *nl = strchr(p, '\n'), *semi = strchr(p, ';');

		assert_non_null(nl);
		*nl = '\0';
		assert_non_null(semi);
		if (!strncmp(semi, ";seq;", 5)) {
			if (q + 7 > lines + (size_t)n * 7)
				fail_msg("more lines than the %d written", n);
			q += sprintf(q, "%.6s\n", semi + 5);
		} else if (!strncmp(semi, ";memlogd;", 9)) {
			notices += strstr(semi, "took over the ring") != NULL;
		} else {
			fail_msg("unexpected line: %s", p);
		}
		p = nl + 1;
	}
	h_expect_sequence(lines, n, "logread's output");
	assert_int_equal(notices, CRASHES);
	free(lines);
	free(out);
	expect_said(&l, "connected to");
	mld_stop(&m);
}

/* LinuxKit's protocol alone (--legacy-request, as against LinuxKit's
 * daemon) has no cursor: after each crash logread only follows, so it
 * prints no line twice (what memlogd stored meanwhile is not printed, and
 * logread says so). */
static void test_legacy_follower_prints_nothing_twice(void **state)
{
	struct mld m = { 0 };
	struct lr l;
	int n, prev = -1, printed = 0;
	char *out, *p;
	(void)state;

	need_logread();
	n = crash_run(&m, &l, (const char *const[]){ "-F", "--legacy-request",
						     NULL },
		      "are not shown");
	expect_killed(&l, SIGTERM);
	out = h_read_file(l.out, NULL);
	for (p = out; *p;) {
		char *nl = strchr(p, '\n'), *semi = strchr(p, ';');

		assert_non_null(nl);
		*nl = '\0';
		assert_non_null(semi);
		if (!strncmp(semi, ";seq;", 5)) {
			int v = atoi(semi + 5);
			if (v <= prev)
				fail_msg("line %d printed after line %d", v, prev);
			prev = v;
			printed++;
		} else if (strncmp(semi, ";memlogd;", 9)) {
			fail_msg("unexpected line: %s", p);
		}
		p = nl + 1;
	}
	assert_int_equal(prev, n - 1);
	print_message("# %d of %d lines printed\n", printed, n);
	free(out);
	expect_said(&l, "are not shown");
	mld_stop(&m);
}

/* With a cursor file, a stop signal while memlogd is down ends logread at
 * once (exit 0), with the cursor of the last line printed saved: a later
 * run prints exactly the lines after it. */
static void test_stop_while_memlogd_is_down(void **state)
{
	struct mld m = { 0 };
	struct lr l;
	char cf[200], *out, *err, *saved;
	(void)state;

	need_logread();
	mld_start(&m, NULL);
	snprintf(cf, sizeof(cf), "%s/cursor", m.dir);
	int w = h_register_pipe(&m, "seq");
	for (int i = 0; i < 5; i++)
		h_writef(w, "%06d\n", i);
	h_wait_source_stat(&m, "seq", "stderr", "lines", 5);
	lr_start(&l, m.dir, m.query, (const char *const[]){ "-f", "-n", "2",
		 "-o", "raw", "-cursor-file", cf, NULL });
	h_wait_sig_blocked(l.pid, SIGTERM, "logread");
	/* Its request has been answered: the next line is followed. */
	h_wait_file_count(l.out, "000004\n", 1, H_TIMEOUT_MS);
	h_writef(w, "%06d\n", 5);
	h_wait_file_count(l.out, "000005\n", 1, H_TIMEOUT_MS);
	mld_kill9(&m);
	h_wait_file_count(l.err, "; reconnecting", 1, H_TIMEOUT_MS);
	for (int i = 6; i < 9; i++) /* kept in the pipe by the fd holder */
		h_writef(w, "%06d\n", i);
	h_expect_exit(lr_signal(&l, SIGTERM), 0, "logread", NULL);
	out = h_read_file(l.out, NULL);
	assert_string_equal(out, "000003\n000004\n000005\n");
	free(out);
	saved = h_read_file(cf, NULL);
	assert_non_null(saved);

	mld_start(&m, NULL);
	h_wait_source_stat(&m, "seq", "stderr", "lines", 9);
	const char *args[] = { "-socket", m.query, "-cursor-file", cf, "-o", "raw",
			       "-source", "seq", NULL };
	int st = h_run_prog("logread", args, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	assert_string_equal(out, "000006\n000007\n000008\n");
	free(out);
	free(err);
	free(saved);
	close(w);
	mld_stop(&m);
}

/* ---- against a query socket of the test's own ---- */

struct fake {
	char dir[64];
	char path[128];
	int lfd;
};

static void fake_start(struct fake *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(f->dir, sizeof(f->dir), "/tmp/memlog-itest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/q.sock", f->dir);
	h_sun_path(&a, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
}

static void fake_stop(struct fake *f)
{
	close(f->lfd);
	h_rmtree(f->dir);
}

/* Accepts the next connection (within the deadline) and reads its
 * request: a line, or LinuxKit's single byte. Returns the fd. */
static int fake_accept(struct fake *f, char *req, size_t cap)
{
	struct pollfd p = { .fd = f->lfd, .events = POLLIN };
	size_t len = 0;
	int fd;

	if (poll(&p, 1, H_TIMEOUT_MS) != 1)
		fail_msg("logread did not connect within %d ms", H_TIMEOUT_MS);
	fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	for (;;) {
		struct pollfd q = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&q, 1, H_TIMEOUT_MS) != 1)
			fail_msg("no request within %d ms", H_TIMEOUT_MS);
		n = read(fd, req + len, cap - 1 - len);
		assert_true(n > 0);
		len += (size_t)n;
		req[len] = '\0';
		if (req[0] <= 2 || req[len - 1] == '\n')
			return fd;
	}
}

/* No connection is waiting. */
static void fake_none(struct fake *f)
{
	struct pollfd p = { .fd = f->lfd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 0), 0);
}

#define CUR(n) "m1-0123456789abcdef-00000000000000" n

/* The same entries as memlogd's binary records (format=binary, which
 * logread asks for with any memlog option): HELLO and the source's
 * definition first on a connection, then entries. */
static size_t bin_start(char *out)
{
	size_t n = binrec_hello(out, 0x0123456789abcdefull);

	return n + binrec_source(out + n, 1, STREAM_STDOUT, "app", 3);
}

static size_t bin_entry(char *out, uint64_t seq, const char *msg)
{
	uint64_t ns;

	assert_int_equal(time_parse_rfc3339("2026-11-22T05:07:16.48Z", 23, &ns), 0);
	return binrec_entry(out, seq, ns, 1, 0, -1, -1, msg, strlen(msg), NULL, 0);
}

/* memlog's protocol: -f asks "follow" again as long as nothing was
 * printed, then for what comes after the last entry printed, with its
 * filters; a line the end cut short is not printed, and comes again. */
static void test_v2_resume_request(void **state)
{
	struct fake f;
	struct lr l;
	char req[4200], *out, *e;
	int c;
	(void)state;

	need_logread();
	fake_start(&f);
	lr_start(&l, f.dir, f.path, (const char *const[]){ "-f", "-o", "raw",
		 "-source", "app", NULL });
	char bin[512];
	size_t n;
	c = fake_accept(&f, req, sizeof(req));
	assert_string_equal(req, "follow source=app format=binary\n");
	close(c);
	c = fake_accept(&f, req, sizeof(req));
	assert_string_equal(req, "follow source=app format=binary\n");
	n = bin_start(bin);
	n += bin_entry(bin + n, 0x10, "one");
	n += bin_entry(bin + n, 0x11, "two");
	h_write_all(c, bin, n);
	/* The third entry, cut short by the end of the connection. */
	n = bin_entry(bin, 0x12, "three");
	h_write_all(c, bin, n - 3);
	close(c);
	c = fake_accept(&f, req, sizeof(req));
	assert_string_equal(req, "dump-follow after=" CUR("11") " source=app "
			    "format=binary\n");
	n = bin_start(bin);
	n += bin_entry(bin + n, 0x12, "three");
	h_write_all(c, bin, n);
	h_wait_file_count(l.out, "three\n", 1, H_TIMEOUT_MS);
	expect_killed(&l, SIGINT);
	close(c);
	out = h_read_file(l.out, NULL);
	assert_string_equal(out, "one\ntwo\nthree\n");
	free(out);
	e = h_read_file(l.err, NULL);
	if (h_count_str(e, "memlogd closed the connection") != 2 ||
	    h_count_str(e, "connected to") != 2)
		fail_msg("logread said:\n%s", e);
	free(e);
	fake_stop(&f);
}

/* LinuxKit's daemon (a fake that reads one byte and answers JSON lines):
 * -F sends 2 (dump, then follow) first and 1 (follow)
 * after a lost connection: a second dump would print everything again. */
static void test_legacy_resume_request(void **state)
{
	static const char line[] =
		"{\"time\":\"2026-11-22T05:07:16.48Z\",\"source\":\"app\",\"msg\":\"a\"}\n";
	struct fake f;
	struct lr l;
	char req[64], *out;
	int c;
	(void)state;

	need_logread();
	fake_start(&f);
	lr_start(&l, f.dir, f.path, (const char *const[]){ "-F", NULL });
	/* The byte, and memlog's request for binary records behind it,
	 * which a LinuxKit daemon does not read: it answers in JSON lines,
	 * and logread reads those. */
	c = fake_accept(&f, req, sizeof(req));
	assert_memory_equal(req, "\2memlog format=binary\n", 22);
	h_write_all(c, line, strlen(line));
	close(c);
	c = fake_accept(&f, req, sizeof(req));
	assert_memory_equal(req, "\1memlog format=binary\n", 22);
	h_write_all(c, line, strlen(line));
	h_wait_file_count(l.out, ";app;a\n", 2, H_TIMEOUT_MS);
	expect_killed(&l, SIGINT);
	close(c);
	out = h_read_file(l.out, NULL);
	assert_string_equal(out, "2026-11-22T05:07:16.48Z;app;a\n"
			    "2026-11-22T05:07:16.48Z;app;a\n");
	free(out);
	fake_stop(&f);
}

/* A dump ends with the connection: no second one, exit 0. */
static void test_dump_does_not_reconnect(void **state)
{
	struct fake f;
	struct lr l;
	char req[64];
	int c, st;
	(void)state;

	need_logread();
	fake_start(&f);
	lr_start(&l, f.dir, f.path, (const char *const[]){ "-o", "raw", NULL });
	c = fake_accept(&f, req, sizeof(req));
	assert_string_equal(req, "dump format=binary\n");
	char bin[256];
	size_t n = bin_start(bin);
	n += bin_entry(bin + n, 0x10, "one");
	h_write_all(c, bin, n);
	close(c);
	st = h_wait_pid(l.pid, H_TIMEOUT_MS);
	h_untrack_pid(l.pid);
	h_expect_exit(st, 0, "logread", NULL);
	fake_none(&f);
	char *out = h_read_file(l.out, NULL);
	assert_string_equal(out, "one\n");
	free(out);
	fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_v2_follower_rides_crashes, h_teardown),
		cmocka_unit_test_teardown(test_upgraded_follower_rides_crashes,
					  h_teardown),
		cmocka_unit_test_teardown(test_legacy_follower_prints_nothing_twice,
					  h_teardown),
		cmocka_unit_test_teardown(test_stop_while_memlogd_is_down, h_teardown),
		cmocka_unit_test_teardown(test_v2_resume_request, h_teardown),
		cmocka_unit_test_teardown(test_legacy_resume_request, h_teardown),
		cmocka_unit_test_teardown(test_dump_does_not_reconnect, h_teardown),
	};
	return h_run_tests("itest_logread_follow", tests, NULL, NULL);
}
