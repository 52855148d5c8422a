/* The daemon as a process: socket files (stale, live, not sockets),
 * signals, the console mirror, rate limiting, socket activation, readiness
 * notification, the command line and sender credentials. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

static void check_serves(const struct mld *m, const char *name)
{
	int w = h_register_pipe(m, name);
	h_writef(w, "still serving\n");
	h_wait_source_stat(m, name, NULL, "lines", 1);
	char req[256];
	snprintf(req, sizeof(req), "dump source=%s\n", name);
	json_t *a = h_dump(m, req);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "still serving");
	json_decref(a);
	close(w);
}

static int bind_unix(const char *path, int type)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("bind %s: %s", path, strerror(errno));
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 64), 0);
	return fd;
}

static bool is_socket(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

static bool exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

/* Runs memlogd with args; returns the wait status, stderr in *err. */
static int run_memlogd(const char *const *args, char **out, char **err)
{
	return h_run_prog("memlogd", args, H_TIMEOUT_MS, out, err);
}

static void test_stale_socket_files(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_init(&m);
	close(bind_unix(m.log, SOCK_DGRAM));
	close(bind_unix(m.query, SOCK_STREAM));
	assert_true(is_socket(m.log) && is_socket(m.query));
	mld_start(&m, NULL);
	check_serves(&m, "s");
	mld_stop(&m);
}

static void test_restart_after_sigkill(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	mld_kill9(&m);
	/* Killed: the files stay, nobody is behind them. */
	assert_true(is_socket(m.log) && is_socket(m.query));
	mld_start(&m, NULL);
	check_serves(&m, "again");
	mld_stop(&m);
}

static void test_live_daemon_not_stolen(void **state)
{
	struct mld m = { 0 };
	char *err;
	char other[160];
	(void)state;

	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "first");
	h_writef(w, "kept\n");
	h_wait_source_stat(&m, "first", "stderr", "lines", 1);

	const char *args[] = { "--socket-log", m.log, "--socket-query", m.query,
			       NULL };
	int st = run_memlogd(args, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
		fail_msg("second memlogd: status 0x%x (want exit 3): %s", st, err);
	assert_non_null(strstr(err, "another live"));
	free(err);

	/* Only the query socket is taken: the second one must give up and
	 * remove the registration socket it made. */
	snprintf(other, sizeof(other), "%s/other-log.sock", m.dir);
	const char *args2[] = { "--socket-log", other, "--socket-query", m.query,
				NULL };
	st = run_memlogd(args2, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
		fail_msg("second memlogd: status 0x%x (want exit 3): %s", st, err);
	free(err);
	assert_false(exists(other));

	/* The first daemon still has its sockets and its entries. */
	assert_true(is_socket(m.log) && is_socket(m.query));
	json_t *a = h_dump(&m, "dump source=first\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "kept");
	json_decref(a);
	check_serves(&m, "second");
	close(w);
	mld_stop(&m);
}

static void test_path_is_regular_file(void **state)
{
	struct mld m = { 0 };
	char *err;
	(void)state;

	mld_init(&m);
	int fd = open(m.log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	h_writef(fd, "precious");
	close(fd);
	const char *args[] = { "--socket-log", m.log, "--socket-query", m.query,
			       NULL };
	int st = run_memlogd(args, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 0)
		fail_msg("memlogd on a regular file: status 0x%x: %s", st, err);
	free(err);
	size_t len;
	char *c = h_read_file(m.log, &len);
	assert_non_null(c);
	assert_string_equal(c, "precious");
	free(c);
	assert_false(exists(m.query));

	/* The query path a regular file: the registration socket it made is
	 * removed again. */
	assert_int_equal(rename(m.log, m.query), 0);
	st = run_memlogd(args, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 0)
		fail_msg("memlogd on a regular file: status 0x%x: %s", st, err);
	free(err);
	c = h_read_file(m.query, &len);
	assert_non_null(c);
	assert_string_equal(c, "precious");
	free(c);
	assert_false(exists(m.log));
	mld_cleanup(&m);
}

/* Registrations while the fd holder does not read (stopped: its socket
 * holds a few messages): every source is kept all the same once it reads
 * again, and a memlogd killed right after takes every one back with what
 * was written while it was down. */
static void test_burst_kept_across_kill(void **state)
{
	enum { N = 1000 };
	struct mld m = { 0 };
	struct rlimit rl;
	static int w[N];
	(void)state;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < N + 256) {
		rl.rlim_cur = rl.rlim_max < N + 256 ? rl.rlim_max : N + 256;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < N + 256) {
		print_message("# needs %d open files, the limit is lower; "
			      "skipping\n", N + 256);
		skip();
	}
	mld_start(&m, NULL);
	json_t *st = h_stats(&m);
	pid_t holder = (pid_t)h_jint(st, "fd_holder.pid");
	json_decref(st);
	assert_true(holder > 0);
	assert_int_equal(kill(holder, SIGSTOP), 0);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "burst%04d", i);
		w[i] = h_register_pipe(&m, name);
	}
	h_wait_source_stat(&m, "burst0999", NULL, "fds", 1);
	st = h_stats(&m);
	/* Not one refused for want of room: they wait. */
	assert_true(h_jint(st, "fd_holder.waiting") > 0);
	assert_int_equal(h_jint(st, "registrations.not_kept"), 0);
	json_decref(st);
	assert_int_equal(kill(holder, SIGCONT), 0);
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		st = h_stats(&m);
		if (h_jint(st, "registrations.sources_open") == N &&
		    h_jint(st, "fd_holder.waiting") == 0)
			break;
		if (h_now_ms() > deadline)
			fail_msg("sources open %lld, waiting for the holder %lld",
				 (long long)h_jint(st, "registrations.sources_open"),
				 (long long)h_jint(st, "fd_holder.waiting"));
		json_decref(st);
		h_sleep_ms(20);
	}
	assert_int_equal(h_jint(st, "registrations.not_kept"), 0);
	assert_int_equal(h_jint(st, "fd_holder.refused"), 0);
	json_decref(st);

	mld_kill9(&m);
	for (int i = 0; i < N; i++)
		h_writef(w[i], "while down %d\n", i);
	mld_start(&m, NULL);
	h_wait_source_stat(&m, "burst0999", NULL, "lines", 1);
	json_t *a = h_dump(&m, "dump\n");
	int seen = 0;
	for (size_t i = 0; i < json_array_size(a); i++)
		seen += !strncmp(h_jstr(json_array_get(a, i), "msg"),
				 "while down ", 11);
	json_decref(a);
	assert_int_equal(seen, N);
	for (int i = 0; i < N; i++)
		close(w[i]);
	mld_stop(&m);
}

static void test_sigint(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	check_serves(&m, "x");
	int st = mld_signal_wait(&m, SIGINT);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(exists(m.log));
	assert_false(exists(m.query));
	mld_cleanup(&m);
}

static void test_sighup_ignored(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(kill(m.pid, SIGHUP), 0);
	h_barrier(&m);
	check_serves(&m, "hup");
	mld_stop(&m);
}

/* memlogd's own notices are longer than the smallest --max-line-len:
 * stored in parts as a long line is (memlogd aborted on its first one). */
static void test_notice_longer_than_max_line_len(void **state)
{
	struct mld m = { 0 };
	char text[1024] = "";
	(void)state;

	const char *args[] = { "--max-line-len", "16",
			       "--kmsg=%D/no-such-kmsg", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	json_t *a = h_dump(&m, "dump source=memlogd\n");
	size_t i, parts = 0;
	json_t *e;
	json_array_foreach(a, i, e) {
		const char *msg = json_string_value(json_object_get(e, "msg"));
		assert_non_null(msg);
		assert_true(strlen(msg) <= 16);
		if (strlen(text) + strlen(msg) < sizeof(text))
			strcat(text, msg);
		parts++;
	}
	json_decref(a);
	assert_non_null(strstr(text, "no-such-kmsg: No such file or directory"));
	assert_true(parts > 2);
	mld_stop(&m);
}

static void test_console(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	const char *args[] = { "--console", NULL };
	struct mld_opts o = { .args = args, .capture_stdout = true };
	mld_start(&m, &o);
	h_conn_init(&c, m.out_fd);
	m.out_fd = -1;
	int w = h_register_pipe(&m, "con");
	h_writef(w, "hello;x\ntab\tx\x01y\n");
	const char *want[] = { ";con;hello;x", ";con;tab\tx\\x01y" };
	for (int i = 0; i < 2; i++) {
		size_t len;
		char *l = h_conn_line(&c, H_TIMEOUT_MS, &len);
		assert_non_null(l);
		char *semi = strchr(l, ';');
		assert_non_null(semi);
		if (!h_parse_rfc3339nano(l, (size_t)(semi - l), NULL))
			fail_msg("console line without a time: %s", l);
		assert_string_equal(semi, want[i]);
		free(l);
	}
	close(w);
	mld_stop(&m);
	h_conn_expect_eof(&c, H_TIMEOUT_MS);
	h_conn_close(&c);
}

static void test_rate_limit(void **state)
{
	struct mld m = { 0 };
	char buf[2048];
	(void)state;

	const char *args[] = { "--rate-limit", "10/1", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "rl");
	size_t n = 0;
	for (int i = 1; i <= 100; i++)
		n += (size_t)sprintf(buf + n, "n%d\n", i);
	h_write_all(w, buf, n);
	h_wait_source_stat(&m, "rl", "stderr", "dropped", 90);
	/* The notice comes when the 1 s window is over. */
	h_wait_source_stat(&m, "memlogd", "none", "lines", 1);
	json_t *st = h_stats(&m);
	json_t *s = h_stats_source(st, "rl", "stderr");
	assert_int_equal(h_jint(s, "lines"), 10);
	assert_int_equal(h_jint(s, "dropped"), 90);
	json_decref(st);
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 11);
	for (int i = 0; i < 10; i++) {
		char msg[8];
		snprintf(msg, sizeof(msg), "n%d", i + 1);
		assert_string_equal(h_jstr(json_array_get(a, (size_t)i), "msg"), msg);
	}
	json_t *nt = json_array_get(a, 10);
	assert_string_equal(h_jstr(nt, "source"), "memlogd");
	assert_string_equal(h_jstr(nt, "msg"),
			    "rate limit: suppressed 90 lines from rl (stderr)");
	assert_true(h_jbool(nt, "marker"));
	json_decref(a);
	/* A new window lets lines through again. */
	h_writef(w, "later\n");
	h_wait_source_stat(&m, "rl", "stderr", "lines", 11);
	close(w);
	mld_stop(&m);
}

static void run_activation(bool dgram_first)
{
	struct mld m = { 0 };
	char unused_log[160], unused_q[160];

	mld_init(&m);
	int dg = bind_unix(m.log, SOCK_DGRAM);
	int st = bind_unix(m.query, SOCK_STREAM);
	struct h_fdmap fds[2] = { { dg, dgram_first ? 3 : 4 },
				  { st, dgram_first ? 4 : 3 } };
	/* Paths it would bind if it ignored the activation. */
	const char *args[] = { "--socket-log", "%D/unused-log.sock",
			       "--socket-query", "%D/unused-q.sock", NULL };
	struct mld_opts o = { .args = args, .no_socket_args = true, .fds = fds,
			      .nfds = 2, .listen_fds = true, .keep_sockets = true };
	snprintf(unused_log, sizeof(unused_log), "%s/unused-log.sock", m.dir);
	snprintf(unused_q, sizeof(unused_q), "%s/unused-q.sock", m.dir);
	mld_start(&m, &o);
	close(dg);
	close(st);
	check_serves(&m, "activated");
	assert_false(exists(unused_log));
	assert_false(exists(unused_q));
	mld_stop(&m);
}

static void test_socket_activation(void **state)
{
	(void)state;
	run_activation(true);
	run_activation(false);
}

static char *recv_notify(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[256];

	if (poll(&p, 1, timeout_ms) != 1)
		fail_msg("no sd_notify message within %d ms", timeout_ms);
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	return strdup(buf);
}

static void run_notify(bool abstract)
{
	struct mld m = { 0 };
	char path[160], env[200];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;

	mld_init(&m);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (abstract) {
		snprintf(path, sizeof(path), "@memlog-itest-%d-%s", (int)getpid(),
			 strrchr(m.dir, '-') + 1);
		memcpy(sa.sun_path + 1, path + 1, strlen(path) - 1);
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				    strlen(path));
	} else {
		snprintf(path, sizeof(path), "%s/notify.sock", m.dir);
		h_sun_path(&sa, path);
		salen = sizeof(sa);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, salen), 0);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", path);
	const char *envs[] = { env, NULL };
	struct mld_opts o = { .env = envs, .no_wait = true };
	mld_start(&m, &o);
	char *msg = recv_notify(fd, H_TIMEOUT_MS);
	assert_string_equal(msg, "READY=1");
	free(msg);
	/* Ready means ready: it answers at once. */
	json_t *s = h_stats(&m);
	json_decref(s);
	mld_stop(&m);
	msg = recv_notify(fd, H_TIMEOUT_MS);
	assert_string_equal(msg, "STOPPING=1");
	free(msg);
	close(fd);
}

static void test_notify_socket(void **state)
{
	(void)state;
	run_notify(false);
}

static void test_notify_socket_abstract(void **state)
{
	(void)state;
	run_notify(true);
}

static void test_command_line(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	mld_init(&m);
	/* Socket paths in the temp dir, in case an option were ignored. */
#define RUN(...) run_memlogd((const char *[]){ "--socket-log", m.log, \
		"--socket-query", m.query, __VA_ARGS__, NULL }, &out, &err)
	int st = RUN("--help");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(out, "--socket-log"));
	free(out);
	free(err);
	st = RUN("-help");
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(out, "--socket-log"));
	free(out);
	free(err);
	st = RUN("--version");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(strncmp(out, "memlogd ", 8), 0);
	assert_non_null(strchr(out, '\n'));
	free(out);
	free(err);

	static const char *const bad[][2] = {
		{ "--bogus", NULL }, { "-bogus", NULL },
		{ "--max-line-len", "5" }, { "-max-line-len=5", NULL },
		{ "--max-line-len", "2000000" }, { "--max-line-len", "x" },
		{ "--buffer-size", "1K" }, { "--rate-limit", "abc" },
		{ "--max-readers", "0" }, { "--request-timeout", "0" },
		{ "--daemonize=maybe", NULL }, { "stray-argument", NULL },
		{ "--max-lines", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = RUN(bad[i][0], bad[i][1]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
			fail_msg("memlogd %s %s: status 0x%x, want exit 2 (%s)",
				 bad[i][0], bad[i][1] ? bad[i][1] : "", st, err);
		assert_true(strlen(err) > 0);
		if (i == 0)
			assert_non_null(strstr(err, "unknown option"));
		free(out);
		free(err);
		assert_false(exists(m.log));
		assert_false(exists(m.query));
	}
#undef RUN
	mld_cleanup(&m);
}

/* Can a process of uid 65534 in group gid (and no other) connect to the
 * socket of the given type at path? */
static bool can_connect_as(const char *path, int type, gid_t gid)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa;
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(65534) < 0)
			_exit(2);
		int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		h_sun_path(&sa, path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			_exit(0);
		_exit(errno == EACCES ? 1 : 3);
	}
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		fail_msg("connecting to %s as gid %d: status 0x%x", path,
			 (int)gid, st);
	return WEXITSTATUS(st) == 0;
}

static void assert_socket_access(const char *path, gid_t gid, mode_t mode)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	if ((sb.st_mode & 07777) != mode || sb.st_gid != gid)
		fail_msg("%s: mode %04o group %d, want %04o group %d", path,
			 (unsigned)(sb.st_mode & 07777), (int)sb.st_gid,
			 (unsigned)mode, (int)gid);
}

/* The sockets memlogd binds are the owner's alone (0600) unless
 * --socket-group/--socket-mode open them, as systemd's SocketGroup= and
 * SocketMode= do for memlogd.socket: a member of the group may then read
 * the logs and register. A group that does not exist is a usage error
 * that binds nothing. */
static void test_socket_group(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	assert_socket_access(m.log, getegid(), 0600);
	assert_socket_access(m.query, getegid(), 0600);
	mld_stop(&m);
	mld_cleanup(&m);

	/* Without root, only a group of our own can be given. */
	bool root = geteuid() == 0;
	gid_t gid = root ? 4242 : getegid();
	char group[16];
	snprintf(group, sizeof(group), "%d", (int)gid);
	const char *args[] = { "--socket-group", group, NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	assert_socket_access(m.log, gid, 0660);
	assert_socket_access(m.query, gid, 0660);
	if (root) {
		/* Members get in, others do not. */
		assert_int_equal(chmod(m.dir, 0711), 0);
		assert_true(can_connect_as(m.query, SOCK_STREAM, 4242));
		assert_true(can_connect_as(m.log, SOCK_DGRAM, 4242));
		assert_false(can_connect_as(m.query, SOCK_STREAM, 4343));
		assert_false(can_connect_as(m.log, SOCK_DGRAM, 4343));
	}
	check_serves(&m, "grouped");
	mld_stop(&m);
	mld_cleanup(&m);

	const char *args2[] = { "-socket-group", group, "-socket-mode=0640", NULL };
	o.args = args2;
	mld_start(&m, &o);
	assert_socket_access(m.log, gid, 0640);
	assert_socket_access(m.query, gid, 0640);
	mld_stop(&m);
	mld_cleanup(&m);

	mld_init(&m);
	const char *bad[] = { "--socket-log", m.log, "--socket-query", m.query,
			      "--socket-group", "memlog-no-such-group-x", NULL };
	char *err = NULL;
	int st = run_memlogd(bad, NULL, &err);
	h_expect_exit(st, 2, "memlogd --socket-group (unknown)", err);
	assert_non_null(strstr(err, "no such group"));
	free(err);
	assert_false(exists(m.log));
	assert_false(exists(m.query));
	mld_cleanup(&m);
}

static void test_credentials(void **state)
{
	struct mld m = { 0 };
	int p[2];
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(h_register(m.log, "cred", 4, &p[0], 1) == 0 ? 0 : 1);
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	h_writef(p[1], "who\n");
	h_wait_source_stat(&m, "cred", "stderr", "lines", 1);
	json_t *s = h_stats(&m);
	json_t *src = h_stats_source(s, "cred", "stderr");
	assert_int_equal(h_jint(src, "pid"), pid);
	assert_int_equal(h_jint(src, "uid"), getuid());
	json_decref(s);
	close(p[1]);
	mld_stop(&m);
}

/* At SIGTERM the unfinished line of a source (no newline yet) is stored
 * and a follower still gets it before the daemon goes. */
static void test_stop_flushes_unfinished_line(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	h_conn_init(&c, h_query(&m, "dump-follow\n"));
	int fd = h_register_pipe(&m, "unfinished");
	h_writef(fd, "whole\nhalf a line");
	h_wait_source_stat(&m, "unfinished", NULL, "lines", 1);
	json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
	assert_string_equal(h_jstr(e, "msg"), "whole");
	json_decref(e);
	mld_stop_keep(&m);
	e = h_conn_json(&c, H_TIMEOUT_MS);
	assert_string_equal(h_jstr(e, "msg"), "half a line");
	assert_true(h_jbool(e, "eof"));
	json_decref(e);
	h_conn_expect_eof(&c, H_TIMEOUT_MS);
	h_conn_close(&c);
	close(fd);
	mld_cleanup(&m);
}

/* The memlogd under test whose command line mentions dir (a daemonized
 * copy), or 0; asserts there is at most one. */
static pid_t daemon_in(const char *dir)
{
	char prog[512], real[PATH_MAX];
	pid_t found = 0;

	h_prog(prog, sizeof(prog), "memlogd");
	assert_non_null(realpath(prog, real));
	DIR *d = opendir("/proc");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[64], exe[PATH_MAX];
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
		ssize_t l = readlink(p, exe, sizeof(exe) - 1);
		if (l < 0)
			continue;
		exe[l] = '\0';
		if (strcmp(exe, real) != 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
		size_t cl;
		char *cmd = h_read_file(p, &cl);
		if (cmd && memmem(cmd, cl, dir, strlen(dir))) {
			assert_int_equal(found, 0);
			found = (pid_t)pid;
		}
		free(cmd);
	}
	closedir(d);
	return found;
}

/* Issue 18 item 10: the background copy of -daemonize was executed again
 * through /proc/self/exe, so the kernel named it "exe" and that is what
 * ps showed. It must be "memlogd", and stay so after a live upgrade
 * (issue 16 item 6). */
static void test_daemonize_process_name(void **state)
{
	struct mld m = { 0 };
	char prog[512], p[64];
	size_t len;
	(void)state;

	/* The background copy is reparented to us, to be stopped and reaped. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	mld_init(&m);
	h_prog(prog, sizeof(prog), "memlogd");
	const char *argv[] = { prog, "-daemonize", "-socket-log", m.log,
			       "-socket-query", m.query, NULL };
	char *err = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlogd -daemonize: status 0x%x, stderr: %s", st, err);
	free(err);
	m.pid = daemon_in(m.dir);
	assert_true(m.pid > 0);
	h_track_pid(m.pid);
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)m.pid);
	char *comm = h_read_file(p, &len);
	assert_non_null(comm);
	assert_string_equal(comm, "memlogd\n");
	free(comm);
	mld_wait_ready(&m);
	/* A live upgrade executes memlogd's binary by its path, in the same
	 * process: still memlogd (through /proc/self/exe it would be "exe"). */
	const char *up[] = { prog, "--upgrade", "-socket-log", m.log,
			     "-socket-query", m.query, NULL };
	st = h_run(up, NULL, H_TIMEOUT_MS, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlogd --upgrade: status 0x%x, stderr: %s", st, err);
	free(err);
	json_t *s = h_stats(&m);
	assert_int_equal(h_jint(s, "pid"), m.pid);
	assert_int_equal(h_jint(s, "upgrades"), 1);
	json_decref(s);
	comm = h_read_file(p, &len);
	assert_non_null(comm);
	assert_string_equal(comm, "memlogd\n");
	free(comm);
	pid_t pid = m.pid;
	mld_stop(&m);
	h_untrack_pid(pid);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

/* -daemonize exits 0 once the background copy serves. A copy that cannot
 * start (here its 256 MiB ring, mapped twice, does not fit a 64 MiB
 * address space limit) makes it exit 1, after the copy said why; it used
 * to exit 0 as soon as the copy had been executed. */
static void test_daemonize_failed_start(void **state)
{
	struct mld m = { 0 };
	char prog[512];
	(void)state;

	if (h_sanitized()) {
		print_message("# a sanitizer needs more address space than "
			      "the limit this test sets; skipping\n");
		skip();
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	mld_init(&m);
	h_prog(prog, sizeof(prog), "memlogd");
	const char *argv[] = { "/bin/sh", "-c",
			       "ulimit -v 65536 && exec \"$0\" \"$@\"", prog,
			       "-daemonize", "--buffer-size=256M", "-socket-log",
			       m.log, "-socket-query", m.query, NULL };
	char *err = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		fail_msg("memlogd -daemonize: status 0x%x, want exit 1; "
			 "stderr: %s", st, err);
	assert_non_null(strstr(err, "memlogd: cannot start: "));
	free(err);
	/* The copy ends by itself (ours to reap, with the fd holder it
	 * started and let go of, which ends with 0) and removes the socket
	 * files it was handed. */
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	bool copy_failed = false;
	for (;;) {
		int cst = 0;
		pid_t r = waitpid(-1, &cst, WNOHANG);
		if (r > 0) {
			copy_failed |= WIFEXITED(cst) && WEXITSTATUS(cst) == 1;
			continue;
		}
		if (r < 0 || h_now_ms() >= deadline)
			break;
		h_sleep_ms(5);
	}
	if (!copy_failed)
		fail_msg("the background copy did not end with exit status 1");
	assert_false(exists(m.log));
	assert_false(exists(m.query));
	mld_cleanup(&m);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stop_flushes_unfinished_line,
					  h_teardown),
		cmocka_unit_test_teardown(test_stale_socket_files, h_teardown),
		cmocka_unit_test_teardown(test_restart_after_sigkill, h_teardown),
		cmocka_unit_test_teardown(test_live_daemon_not_stolen, h_teardown),
		cmocka_unit_test_teardown(test_path_is_regular_file, h_teardown),
		cmocka_unit_test_teardown(test_sigint, h_teardown),
		cmocka_unit_test_teardown(test_sighup_ignored, h_teardown),
		cmocka_unit_test_teardown(test_notice_longer_than_max_line_len,
					  h_teardown),
		cmocka_unit_test_teardown(test_console, h_teardown),
		cmocka_unit_test_teardown(test_rate_limit, h_teardown),
		cmocka_unit_test_teardown(test_socket_activation, h_teardown),
		cmocka_unit_test_teardown(test_notify_socket, h_teardown),
		cmocka_unit_test_teardown(test_notify_socket_abstract, h_teardown),
		cmocka_unit_test_teardown(test_command_line, h_teardown),
		cmocka_unit_test_teardown(test_credentials, h_teardown),
		cmocka_unit_test_teardown(test_socket_group, h_teardown),
		cmocka_unit_test_teardown(test_burst_kept_across_kill,
					  h_teardown),
		cmocka_unit_test_teardown(test_daemonize_process_name,
					  h_teardown),
		cmocka_unit_test_teardown(test_daemonize_failed_start,
					  h_teardown),
	};
	return h_run_tests("itest_daemon", tests, NULL, NULL);
}
