#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Processes and dirs a test made and has not cleaned up yet, copied here
 * (a failed test's struct mld lives in a stack frame that is gone when the
 * teardown runs). */
#define H_MAX_LIVE 32
static struct live_ent {
	bool used;
	pid_t pid;
	char dir[64];
} live[H_MAX_LIVE];

static struct live_ent *live_find(pid_t pid, const char *dir)
{
	for (int i = 0; i < H_MAX_LIVE; i++) {
		struct live_ent *e = &live[i];
		if (!e->used)
			continue;
		if (dir && dir[0] && !strcmp(e->dir, dir))
			return e;
		if ((!dir || !dir[0]) && !e->dir[0] && e->pid == pid)
			return e;
	}
	return NULL;
}

static void live_set(pid_t pid, const char *dir)
{
	struct live_ent *e = live_find(pid, dir);

	for (int i = 0; !e && i < H_MAX_LIVE; i++)
		if (!live[i].used)
			e = &live[i];
	if (!e)
		return;
	e->used = true;
	e->pid = pid;
	snprintf(e->dir, sizeof(e->dir), "%s", dir ? dir : "");
}

static void live_del(pid_t pid, const char *dir)
{
	struct live_ent *e = live_find(pid, dir);
	if (e)
		memset(e, 0, sizeof(*e));
}

void h_track_pid(pid_t pid)
{
	live_set(pid, NULL);
}

void h_untrack_pid(pid_t pid)
{
	live_del(pid, NULL);
}

static void kill_all(void)
{
	for (int i = 0; i < H_MAX_LIVE; i++) {
		struct live_ent *e = &live[i];
		if (!e->used)
			continue;
		if (e->pid > 0) {
			kill(e->pid, SIGKILL);
			waitpid(e->pid, NULL, 0);
		}
		if (e->dir[0])
			h_rmtree(e->dir);
		memset(e, 0, sizeof(*e));
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "# itest: a test ran over its time; killing\n";
	(void)sig;
	for (int i = 0; i < H_MAX_LIVE; i++)
		if (live[i].used && live[i].pid > 0)
			kill(live[i].pid, SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(99);
}

__attribute__((constructor)) static void h_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	atexit(kill_all);
}

/* memlogd starts an fd holder that outlives it (docs/fdholder.md). Tests
 * end theirs with mld_release; a holder whose socket's directory is gone
 * (its test removed it) serves nobody any more and is ended here, so that
 * none outlives the test run. */
void h_kill_orphan_holders(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[300], cmd[4096], dir[4096];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cmdline", e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n <= 0)
			continue;
		cmd[n] = '\0';
		const char *base = strrchr(cmd, '/');
		if (strcmp(base ? base + 1 : cmd, "memlog-fdholder") != 0)
			continue;
		/* argv: PROG --socket PATH ... */
		const char *a = cmd + strlen(cmd) + 1;
		if (a >= cmd + n || strcmp(a, "--socket") != 0)
			continue;
		a += strlen(a) + 1;
		if (a >= cmd + n || strncmp(a, "/tmp/memlog-itest-", 18) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s", a);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		struct stat sb;
		if (stat(dir, &sb) < 0)
			kill(atoi(e->d_name), SIGKILL);
	}
	closedir(d);
}

pid_t mld_holder_pid(const struct mld *m)
{
	char want[160];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	snprintf(want, sizeof(want), "%s.holder", m->log);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char p[300], cmd[4096];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cmdline", e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n <= 0)
			continue; /* gone, or a zombie: it holds nothing */
		cmd[n] = '\0';
		const char *base = strrchr(cmd, '/');
		if (strcmp(base ? base + 1 : cmd, "memlog-fdholder") != 0)
			continue;
		/* argv: PROG --socket PATH ... */
		const char *a = cmd + strlen(cmd) + 1;
		if (a >= cmd + n || strcmp(a, "--socket") != 0)
			continue;
		a += strlen(a) + 1;
		if (a < cmd + n && strcmp(a, want) == 0)
			found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return found;
}

int h_teardown(void **state)
{
	(void)state;
	kill_all();
	h_kill_orphan_holders();
	alarm(0);
	return 0;
}

/* cmocka's own test filter; null with a cmocka that has none. */
void cmocka_set_test_filter(const char *pattern) __attribute__((weak));

static int run_selected(const char *name, const struct CMUnitTest *tests,
			size_t n, CMFixtureFunction setup,
			CMFixtureFunction teardown)
{
	const char *pat = getenv("MEMLOG_TEST_FILTER");

	if (!pat || !*pat)
		return _cmocka_run_group_tests(name, tests, n, setup, teardown);
	if (cmocka_set_test_filter) {
		cmocka_set_test_filter(pat);
		return _cmocka_run_group_tests(name, tests, n, setup, teardown);
	}
	/* The tests that do not match are left out before cmocka sees
	 * them. */
	struct CMUnitTest *sel = calloc(n ? n : 1, sizeof(*sel));
	size_t k = 0;

	assert_non_null(sel);
	for (size_t i = 0; i < n; i++)
		if (fnmatch(pat, tests[i].name, 0) == 0)
			sel[k++] = tests[i];
	int r = _cmocka_run_group_tests(name, sel, k, setup, teardown);
	free(sel);
	return r;
}

int h_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		CMFixtureFunction setup, CMFixtureFunction teardown)
{
	int r = run_selected(name, tests, n, setup, teardown);

	h_kill_orphan_holders();
	return r;
}

/* ---- time ---- */

uint64_t h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t h_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t h_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void h_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Poll interval that grows from 1 ms to 20 ms. */
static void backoff(unsigned *ms)
{
	h_sleep_ms(*ms);
	if (*ms < 20)
		*ms *= 2;
}

static int remaining(uint64_t deadline)
{
	uint64_t now = h_now_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

/* ---- programs ---- */

const char *h_build(void)
{
	const char *b = getenv("MEMLOG_BUILD");
	return b && *b ? b : "build";
}

void h_prog(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", h_build(), name);
}

bool h_prog_exists(const char *name)
{
	char p[512];
	h_prog(p, sizeof(p), name);
	return access(p, X_OK) == 0;
}

bool h_sanitized(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	char p[512];
	size_t len;
	h_prog(p, sizeof(p), "memlogd");
	char *bin = h_read_file(p, &len);
	if (!bin)
		return false;
	bool s = memmem(bin, len, "__asan_init", 11) ||
		 memmem(bin, len, "__ubsan_handle", 14) ||
		 memmem(bin, len, "__tsan_init", 11) ||
		 memmem(bin, len, "__msan_init", 11);
	free(bin);
	cached = s;
	return s;
}

char *h_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	assert_non_null(b);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
			assert_non_null(b);
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

void h_rmtree(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[1024];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			h_rmtree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

void h_sun_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		fail_msg("socket path too long: %s", path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
}

void h_send_dgram(const char *path, const void *buf, size_t len)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	int sz = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct timeval tv = { H_TIMEOUT_MS / 1000, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) !=
	    (ssize_t)len)
		fail_msg("sendto %s (%zu bytes): %s", path, len, strerror(errno));
	close(fd);
}

void h_send_str(const char *path, const char *s)
{
	h_send_dgram(path, s, strlen(s));
}

/* ---- children ---- */

int h_wait_pid(pid_t pid, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	unsigned ms = 1;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			fail_msg("waitpid(%d): %s", (int)pid, strerror(errno));
		if (remaining(deadline) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("process %d did not exit within %d ms", (int)pid,
				 timeout_ms);
		}
		backoff(&ms);
	}
}

void h_child_close_from(int lowfd)
{
	struct rlimit rl;
	int max = 65536;

	if (close_range((unsigned)lowfd, ~0u, 0) == 0)
		return;
	/* A kernel without close_range (before 5.9): one by one, up to the
	 * highest fd this process may have. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)INT_MAX)
		max = (int)rl.rlim_cur;
	for (int fd = lowfd; fd < max; fd++)
		close(fd);
}

void h_child_env(const char *const *env)
{
	for (; env && *env; env++) {
		char *kv = strdup(*env);
		if (kv)
			putenv(kv);
	}
}

void h_child_signals(void)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

/* In a child between fork and exec: places the inherited fds and closes
 * every other one above 2. */
static void child_fds(const struct h_fdmap *fds, int nfds)
{
	int tmp[16];
	int maxto = 2;

	for (int i = 0; i < nfds && i < 16; i++) {
		tmp[i] = fcntl(fds[i].from, F_DUPFD, 100);
		if (tmp[i] < 0)
			_exit(120);
	}
	for (int i = 0; i < nfds && i < 16; i++) {
		if (dup2(tmp[i], fds[i].to) < 0)
			_exit(120);
		if (fds[i].to > maxto)
			maxto = fds[i].to;
	}
	h_child_close_from(maxto + 1);
	for (int fd = 3; fd <= maxto; fd++) {
		bool keep = false;
		for (int i = 0; i < nfds; i++)
			if (fds[i].to == fd)
				keep = true;
		if (!keep)
			close(fd);
	}
}

static char *subst(const struct mld *m, const char *arg)
{
	char out[1024];
	size_t n = 0;

	for (const char *p = arg; *p && n < sizeof(out) - 200; p++) {
		const char *rep = NULL;
		if (p[0] == '%' && p[1] == 'L')
			rep = m->log;
		else if (p[0] == '%' && p[1] == 'Q')
			rep = m->query;
		else if (p[0] == '%' && p[1] == 'D')
			rep = m->dir;
		if (rep) {
			size_t l = strlen(rep);
			memcpy(out + n, rep, l);
			n += l;
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return strdup(out);
}

void mld_init(struct mld *m)
{
	char tmpl[] = "/tmp/memlog-itest-XXXXXX";

	memset(m, 0, sizeof(*m));
	m->out_fd = -1;
	assert_non_null(mkdtemp(tmpl));
	snprintf(m->dir, sizeof(m->dir), "%s", tmpl);
	snprintf(m->log, sizeof(m->log), "%s/log.sock", tmpl);
	snprintf(m->query, sizeof(m->query), "%s/q.sock", tmpl);
	snprintf(m->errfile, sizeof(m->errfile), "%s/memlogd.err", tmpl);
	live_set(0, m->dir);
}

static pid_t mld_spawn(struct mld *m, const struct mld_opts *o)
{
	static const struct mld_opts none;
	char prog[512];
	char *argv[64];
	int argc = 0;
	int outp[2] = { -1, -1 };

	if (!o)
		o = &none;
	if (!m->dir[0])
		mld_init(m);
	m->keep_sockets = o->keep_sockets;
	h_prog(prog, sizeof(prog), "memlogd");
	argv[argc++] = strdup(prog);
	if (!o->no_socket_args) {
		argv[argc++] = strdup("--socket-log");
		argv[argc++] = strdup(m->log);
		argv[argc++] = strdup("--socket-query");
		argv[argc++] = strdup(m->query);
	}
	/* The container registry's file and the containers' views go to
	 * the test's own dir, not the host's /run/memlog, unless the test
	 * names them. */
	bool state_dir = false, view_dir = false;
	for (const char *const *a = o->args; a && *a; a++) {
		state_dir |= !strncmp(*a, "--state-dir", 11);
		view_dir |= !strncmp(*a, "--view-dir", 10);
	}
	if (!o->no_socket_args && !state_dir) {
		argv[argc++] = strdup("--state-dir");
		argv[argc++] = strdup(m->dir);
	}
	if (!o->no_socket_args && !view_dir) {
		argv[argc++] = strdup("--view-dir");
		argv[argc++] = subst(m, "%D/views");
	}
	for (const char *const *a = o->args; a && *a && argc < 62; a++)
		argv[argc++] = subst(m, *a);
	argv[argc] = NULL;
	if (o->capture_stdout)
		assert_int_equal(pipe2(outp, O_CLOEXEC), 0);
	alarm(120);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int err = open(m->errfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (devnull < 0 || err < 0)
			_exit(120);
		dup2(devnull, 0);
		dup2(outp[1] >= 0 ? outp[1] : devnull, 1);
		dup2(err, 2);
		if (o->nofile) {
			struct rlimit rl = { o->nofile, o->nofile };
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				_exit(121);
		}
		child_fds(o->fds, o->nfds);
		h_child_env(o->env);
		if (o->listen_fds) {
			char v[32];
			snprintf(v, sizeof(v), "%d", o->nfds);
			setenv("LISTEN_FDS", v, 1);
			snprintf(v, sizeof(v), "%d", (int)getpid());
			setenv("LISTEN_PID", v, 1);
		}
		h_child_signals();
		execv(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	if (outp[1] >= 0) {
		close(outp[1]);
		m->out_fd = outp[0];
	}
	m->pid = pid;
	live_set(pid, m->dir);
	return pid;
}

char *mld_stderr(const struct mld *m)
{
	char *s = h_read_file(m->errfile, NULL);
	return s ? s : strdup("");
}

static void print_stderr(const struct mld *m)
{
	char *e = mld_stderr(m);
	if (*e)
		print_message("# memlogd stderr:\n%s\n", e);
	free(e);
}

static int dgram_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

void mld_wait_ready(struct mld *m)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	unsigned ms = 1;

	for (;;) {
		int st;
		pid_t r = waitpid(m->pid, &st, WNOHANG);
		if (r == m->pid) {
			m->pid = 0;
			live_set(0, m->dir);
			print_stderr(m);
			fail_msg("memlogd exited before it was ready (status 0x%x)",
				 st);
		}
		if (dgram_probe(m->log) == 0) {
			json_t *s = h_stats_try(m);
			if (s) {
				json_decref(s);
				return;
			}
		}
		if (remaining(deadline) == 0) {
			print_stderr(m);
			fail_msg("memlogd did not answer on %s and %s within %d ms",
				 m->log, m->query, H_TIMEOUT_MS);
		}
		backoff(&ms);
	}
}

void mld_start(struct mld *m, const struct mld_opts *o)
{
	mld_spawn(m, o);
	if (!o || !o->no_wait)
		mld_wait_ready(m);
}

int mld_signal_wait(struct mld *m, int sig)
{
	assert_true(m->pid > 0);
	assert_int_equal(kill(m->pid, sig), 0);
	int st = h_wait_pid(m->pid, H_TIMEOUT_MS);
	m->pid = 0;
	live_set(0, m->dir);
	if (m->out_fd >= 0) {
		close(m->out_fd);
		m->out_fd = -1;
	}
	return st;
}

void mld_stop(struct mld *m)
{
	mld_stop_keep(m);
	mld_cleanup(m);
}

/* The daemon's fd holder, if it started one (SOCKET_LOG.holder). */
static bool has_holder(const struct mld *m)
{
	char p[160];
	struct stat sb;

	snprintf(p, sizeof(p), "%s.holder", m->log);
	return lstat(p, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

int mld_release(struct mld *m)
{
	char prog[512], *err = NULL;

	if (!has_holder(m))
		return 0;
	h_prog(prog, sizeof(prog), "memlogd");
	const char *argv[] = { prog, "--socket-log", m->log, "--socket-query",
			       m->query, "--release", NULL };
	int st = h_run(argv, NULL, H_TIMEOUT_MS, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		print_message("# memlogd --release: status 0x%x: %s\n", st,
			      err ? err : "");
	free(err);
	return st;
}

void mld_stop_keep(struct mld *m)
{
	int st = mld_signal_wait(m, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_stderr(m);
		fail_msg("memlogd did not exit cleanly on SIGTERM: status 0x%x", st);
	}
	/* SIGTERM leaves everything with the fd holder, for a restart; the
	 * end is --release. */
	if (!m->keep_sockets && has_holder(m)) {
		st = mld_release(m);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("memlogd --release failed: status 0x%x", st);
	}
	if (!m->keep_sockets) {
		struct stat sb;
		if (lstat(m->log, &sb) == 0)
			fail_msg("%s left behind after SIGTERM", m->log);
		if (lstat(m->query, &sb) == 0)
			fail_msg("%s left behind after SIGTERM", m->query);
	}
}

void mld_kill9(struct mld *m)
{
	if (m->pid > 0) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
		live_set(0, m->dir);
	}
	if (m->out_fd >= 0) {
		close(m->out_fd);
		m->out_fd = -1;
	}
}

void mld_cleanup(struct mld *m)
{
	mld_kill9(m);
	if (m->dir[0])
		mld_release(m);
	if (m->dir[0]) {
		h_rmtree(m->dir);
		live_del(0, m->dir);
	}
	m->dir[0] = '\0';
}

pid_t h_spawn_setup(const char *const *argv, const char *errfile,
		    bool truncate, void (*setup)(void *arg), void *arg)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int err = open(errfile, O_WRONLY | O_CREAT |
			       (truncate ? O_TRUNC : O_APPEND), 0600);
		if (devnull < 0 || err < 0)
			_exit(120);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(err, 2);
		h_child_close_from(3);
		h_child_signals();
		if (setup)
			setup(arg);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(pid);
	return pid;
}

pid_t h_spawn(const char *const *argv, const char *errfile, bool truncate)
{
	return h_spawn_setup(argv, errfile, truncate, NULL, NULL);
}

int h_run_setup(const char *const *argv, const char *const *env,
		int timeout_ms, char **out, char **err,
		void (*setup)(void *arg), void *arg)
{
	char of[] = "/tmp/memlog-itest-out-XXXXXX";
	char ef[] = "/tmp/memlog-itest-err-XXXXXX";
	int ofd = mkstemp(of), efd = mkstemp(ef);

	assert_true(ofd >= 0 && efd >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		h_child_close_from(3);
		h_child_env(env);
		h_child_signals();
		if (setup)
			setup(arg);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(ofd);
	close(efd);
	h_track_pid(pid);
	int st = h_wait_pid(pid, timeout_ms);
	h_untrack_pid(pid);
	if (out)
		*out = h_read_file(of, NULL);
	if (err)
		*err = h_read_file(ef, NULL);
	unlink(of);
	unlink(ef);
	return st;
}

int h_run(const char *const *argv, const char *const *env, int timeout_ms,
	  char **out, char **err)
{
	return h_run_setup(argv, env, timeout_ms, out, err, NULL, NULL);
}

int h_run_prog(const char *name, const char *const *args, int timeout_ms,
	       char **out, char **err)
{
	char path[512];
	const char *argv[64];
	int n = 0;

	h_prog(path, sizeof(path), name);
	argv[n++] = path;
	for (; args && *args; args++) {
		if (n == 63)
			fail_msg("h_run_prog: too many arguments for %s", name);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return h_run(argv, NULL, timeout_ms, out, err);
}

/* ---- registration ---- */

int h_register(const char *path, const void *payload, size_t len,
	       const int *fds, int nfds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov = { (void *)payload, len };
	union {
		char buf[CMSG_SPACE(253 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	int r = 0;

	assert_true(nfds >= 0 && nfds <= 253);
	h_sun_path(&sa, path);
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* Blocking, like every LinuxKit sender; the queue is short (10
	 * datagrams by default), so a burst waits for the daemon, bounded
	 * by a send timeout. */
	struct timeval tv = { H_TIMEOUT_MS / 1000, 0 };
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		r = -errno;
	close(s);
	return r;
}

int h_register_pipe_raw(const struct mld *m, const void *payload, size_t len)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int r = h_register(m->log, payload, len, &p[0], 1);
	if (r < 0)
		fail_msg("registration on %s failed: %s", m->log, strerror(-r));
	close(p[0]);
	return p[1];
}

int h_register_pipe(const struct mld *m, const char *name)
{
	return h_register_pipe_raw(m, name, strlen(name));
}

void h_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail_msg("write(%d): %s", fd, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void h_writef(int fd, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	h_write_all(fd, s, (size_t)n);
	free(s);
}

/* ---- query ---- */

int h_connect_try(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	h_sun_path(&sa, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int h_connect(const char *path)
{
	int fd = h_connect_try(path);
	if (fd < 0)
		fail_msg("connect %s: %s", path, strerror(-fd));
	return fd;
}

int h_query_bytes(const struct mld *m, const void *req, size_t len)
{
	int fd = h_connect(m->query);
	h_write_all(fd, req, len);
	return fd;
}

int h_query(const struct mld *m, const char *req)
{
	return h_query_bytes(m, req, strlen(req));
}

/* Reads what is there within the deadline. Returns bytes read, 0 at EOF
 * (ECONNRESET counts as EOF: the daemon closed with our unread request
 * bytes still queued), -ETIMEDOUT. */
static ssize_t read_deadline(int fd, char *buf, size_t cap, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, remaining(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_msg("poll: %s", strerror(errno));
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNRESET)
			return 0;
		if (n < 0)
			fail_msg("read: %s", strerror(errno));
		return n;
	}
}

char *h_read_all_close(int fd, int timeout_ms, size_t *len)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap + 1);

	assert_non_null(b);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
			assert_non_null(b);
		}
		ssize_t r = read_deadline(fd, b + n, cap - n, deadline);
		if (r == -ETIMEDOUT) {
			close(fd);
			b[n] = '\0';
			fail_msg("the server did not close the connection within %d ms "
				 "(%zu bytes so far: %.200s)", timeout_ms, n, b);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

void h_conn_init(struct h_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->cap = 65536;
	c->buf = malloc(c->cap);
	assert_non_null(c->buf);
}

char *h_conn_line(struct h_conn *c, int timeout_ms, size_t *len)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl) {
			size_t l = (size_t)(nl - (c->buf + c->off));
			char *s = malloc(l + 1);
			assert_non_null(s);
			memcpy(s, c->buf + c->off, l);
			s[l] = '\0';
			c->off += l + 1;
			if (len)
				*len = l;
			return s;
		}
		if (c->eof) {
			if (c->len > c->off)
				fail_msg("connection ended inside a line: %.200s",
					 c->buf + c->off);
			return NULL;
		}
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->len == c->cap) {
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		ssize_t r = read_deadline(c->fd, c->buf + c->len, c->cap - c->len,
					  deadline);
		if (r == -ETIMEDOUT)
			fail_msg("no whole line within %d ms (%zu bytes pending)",
				 timeout_ms, c->len);
		if (r == 0)
			c->eof = true;
		else
			c->len += (size_t)r;
	}
}

json_t *h_conn_json(struct h_conn *c, int timeout_ms)
{
	size_t len;
	char *s = h_conn_line(c, timeout_ms, &len);
	if (!s)
		return NULL;
	json_t *j = h_json(s, len);
	free(s);
	return j;
}

void h_conn_expect_eof(struct h_conn *c, int timeout_ms)
{
	size_t len;
	char *s = h_conn_line(c, timeout_ms, &len);
	if (s) {
		print_message("# unexpected line: %.300s\n", s);
		free(s);
		fail_msg("expected the server to close the connection");
	}
}

void h_conn_close(struct h_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

/* ---- JSON ---- */

json_t *h_json_try(const char *s, size_t len)
{
	json_error_t e;
	return json_loadb(s, len, JSON_ALLOW_NUL, &e);
}

json_t *h_json(const char *s, size_t len)
{
	json_error_t e;
	json_t *j = json_loadb(s, len, JSON_ALLOW_NUL, &e);
	if (!j)
		fail_msg("not JSON (%s): %.300s", e.text, s);
	return j;
}

json_t *h_ndjson(const char *s, size_t len)
{
	json_t *arr = json_array();
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		if (!nl)
			fail_msg("output does not end in a newline: %.200s", s + i);
		size_t l = (size_t)(nl - (s + i));
		json_array_append_new(arr, h_json(s + i, l));
		i += l + 1;
	}
	return arr;
}

json_t *h_dump(const struct mld *m, const char *req)
{
	size_t len;
	char *s = h_read_all_close(h_query(m, req), H_TIMEOUT_MS, &len);
	json_t *a = h_ndjson(s, len);
	free(s);
	return a;
}

json_t *h_jget(json_t *o, const char *path)
{
	char key[128];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t l = dot ? (size_t)(dot - path) : strlen(path);
		if (l >= sizeof(key))
			return NULL;
		memcpy(key, path, l);
		key[l] = '\0';
		o = json_object_get(o, key);
		path += l + (dot ? 1 : 0);
	}
	return o;
}

json_int_t h_jint(json_t *o, const char *path)
{
	json_t *v = h_jget(o, path);
	if (!json_is_integer(v)) {
		char *d = json_dumps(o, JSON_COMPACT);
		print_message("# in %.500s\n", d ? d : "?");
		free(d);
		fail_msg("%s is not an integer", path);
	}
	return json_integer_value(v);
}

const char *h_jstr(json_t *o, const char *path)
{
	json_t *v = h_jget(o, path);
	if (!json_is_string(v)) {
		char *d = json_dumps(o, JSON_COMPACT);
		print_message("# in %.500s\n", d ? d : "?");
		free(d);
		fail_msg("%s is not a string", path);
	}
	return json_string_value(v);
}

bool h_jbool(json_t *o, const char *path)
{
	json_t *v = h_jget(o, path);
	if (!json_is_boolean(v))
		fail_msg("%s is not a boolean", path);
	return json_is_true(v);
}

/* ---- stats ---- */

json_t *h_stats_try(const struct mld *m)
{
	int fd = h_connect_try(m->query);
	if (fd < 0)
		return NULL;
	if (write(fd, "stats\n", 6) != 6) {
		close(fd);
		return NULL;
	}
	size_t len;
	char *s = h_read_all_close(fd, H_TIMEOUT_MS, &len);
	json_t *j = len ? h_json_try(s, len) : NULL;
	if (j && !json_object_get(j, "ring")) {
		json_decref(j); /* e.g. {"error":"too many query clients"} */
		j = NULL;
	}
	free(s);
	return j;
}

json_t *h_stats(const struct mld *m)
{
	json_t *j = h_stats_try(m);
	if (!j)
		fail_msg("no stats from %s", m->query);
	return j;
}

json_t *h_stats_source(json_t *stats, const char *name, const char *stream)
{
	json_t *srcs = json_object_get(stats, "sources");
	size_t i;
	json_t *s;

	json_array_foreach(srcs, i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));
		const char *st = json_string_value(json_object_get(s, "stream"));
		if (n && st && !strcmp(n, name) && (!stream || !strcmp(st, stream)))
			return s;
	}
	return NULL;
}

json_int_t h_source_stat(const struct mld *m, const char *name,
			 const char *stream, const char *field)
{
	json_t *st = h_stats(m);
	json_t *s = h_stats_source(st, name, stream);
	json_int_t v = s ? h_jint(s, field) : -1;
	json_decref(st);
	return v;
}

void h_wait_source_stat(const struct mld *m, const char *name,
			const char *stream, const char *field, json_int_t want)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	unsigned ms = 1;
	json_int_t v;

	for (;;) {
		v = h_source_stat(m, name, stream, field);
		if (v == want)
			return;
		if (remaining(deadline) == 0) {
			json_t *st = h_stats(m);
			char *d = json_dumps(st, JSON_COMPACT);
			print_message("# stats: %.2000s\n", d ? d : "?");
			free(d);
			json_decref(st);
			fail_msg("source %s (%s): %s is %lld after %d ms, want %lld",
				 name, stream ? stream : "*", field, (long long)v,
				 H_TIMEOUT_MS, (long long)want);
		}
		backoff(&ms);
	}
}

void h_wait_stat(const struct mld *m, const char *path, json_int_t want)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *st = h_stats(m);
		json_int_t v = h_jint(st, path);
		json_decref(st);
		if (v == want)
			return;
		if (remaining(deadline) == 0)
			fail_msg("stats %s is %lld after %d ms, want %lld", path,
				 (long long)v, H_TIMEOUT_MS, (long long)want);
		backoff(&ms);
	}
}

void h_barrier(const struct mld *m)
{
	json_decref(h_stats(m));
}

/* ---- /proc ---- */

int h_fd_count(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	int n = 0;

	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

long h_rss_kb(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	char *s = h_read_file(p, NULL);
	long kb = -1;

	assert_non_null(s);
	char *v = strstr(s, "\nVmRSS:");
	if (v)
		kb = strtol(v + 7, NULL, 10);
	free(s);
	assert_true(kb >= 0);
	return kb;
}

void h_wait_fd_count(pid_t pid, int want, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	unsigned ms = 1;
	int n;

	while ((n = h_fd_count(pid)) != want) {
		if (remaining(deadline) == 0)
			fail_msg("memlogd has %d open fds after %d ms, want %d", n,
				 timeout_ms, want);
		backoff(&ms);
	}
}

/* ---- formats ---- */

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool h_parse_rfc3339nano(const char *s, size_t len, uint64_t *ns)
{
	/* 2019-02-22T16:04:23[.fffffffff]Z */
	if (len < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2) || s[len - 1] != 'Z')
		return false;
	uint64_t frac = 0;
	if (len > 20) {
		size_t fl = len - 21;
		if (s[19] != '.' || fl < 1 || fl > 9 || !digits(s + 20, (int)fl) ||
		    s[20 + fl - 1] == '0')
			return false;
		frac = (uint64_t)num(s + 20, (int)fl);
		for (size_t i = fl; i < 9; i++)
			frac *= 10;
	}
	struct tm tm = {
		.tm_year = num(s, 4) - 1900, .tm_mon = num(s + 5, 2) - 1,
		.tm_mday = num(s + 8, 2), .tm_hour = num(s + 11, 2),
		.tm_min = num(s + 14, 2), .tm_sec = num(s + 17, 2),
	};
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	time_t t = timegm(&tm);
	if (ns)
		*ns = (uint64_t)t * 1000000000ull + frac;
	return true;
}

bool h_valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t v, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 2; v = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3; v = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4; v = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			v = (v << 6) | (s[i + k] & 0x3f);
		}
		if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* ---- small things tests share ---- */

void h_need_root(const char *why)
{
	if (geteuid() != 0) {
		print_message("# not root: %s; skipping\n", why);
		skip();
	}
}

void h_expect_exit(int st, int want, const char *what, const char *err)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == want)
		return;
	if (err && *err)
		print_message("# %s stderr:\n%.4000s\n", what, err);
	if (!WIFEXITED(st))
		fail_msg("%s: killed by signal %d, want exit status %d", what,
			 WIFSIGNALED(st) ? WTERMSIG(st) : -1, want);
	fail_msg("%s: exit status %d, want %d", what, WEXITSTATUS(st), want);
}

void h_token(char *out, size_t cap, const char *prefix, int hex_digits)
{
	unsigned char r[8];
	char hex[17];

	assert_true(hex_digits > 0 && hex_digits <= 16);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t t = h_now_ns() ^ ((uint64_t)getpid() << 32);
		memcpy(r, &t, sizeof(r));
	}
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	if ((size_t)snprintf(out, cap, "%s%.*s", prefix, hex_digits, hex) >= cap)
		fail_msg("h_token: no room for %s and %d digits", prefix,
			 hex_digits);
}

void h_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	h_write_all(fd, text, strlen(text));
	close(fd);
}

void h_print_entries(json_t *a)
{
	size_t i, n = json_array_size(a);
	json_t *e;

	json_array_foreach(a, i, e) {
		char *d = json_dumps(e, JSON_COMPACT);
		print_message("#   %.600s\n", d ? d : "?");
		free(d);
		if (i == 19 && n > 40) {
			print_message("#   ... (%zu entries)\n", n);
			i = n - 21;
		}
	}
}

json_t *h_find_msg(json_t *a, const char *msg)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (!strcmp(h_jstr(e, "msg"), msg))
			return e;
	return NULL;
}

size_t h_count_msg(json_t *a, const char *msg)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(a, i, e)
		n += !strcmp(h_jstr(e, "msg"), msg);
	return n;
}

json_t *h_find_notice(const struct mld *m, const char *w1, const char *w2)
{
	json_t *a = h_dump(m, "dump source=memlogd\n");
	size_t i;
	json_t *e, *found = NULL;

	json_array_foreach(a, i, e) {
		const char *msg = h_jstr(e, "msg");
		if (strstr(msg, w1) && (!w2 || strstr(msg, w2))) {
			found = json_incref(e);
			break;
		}
	}
	if (!found) {
		print_message("# memlogd's notices:\n");
		h_print_entries(a);
	}
	json_decref(a);
	return found;
}

long h_syscall_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	char *s = h_read_file(path, NULL);
	/* "running" while it runs: no number. */
	long nr = s && s[0] >= '0' && s[0] <= '9' ? strtol(s, NULL, 10) : -1;
	free(s);
	return nr;
}

void h_wait_sig_blocked(pid_t pid, int sig, const char *what)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	for (;;) {
		char *s = h_read_file(p, NULL);
		char *b = s ? strstr(s, "\nSigBlk:") : NULL;
		unsigned long long mask = b ? strtoull(b + 8, NULL, 16) : 0;
		free(s);
		if (mask & (1ull << (sig - 1)))
			return;
		if (h_now_ms() > deadline)
			fail_msg("%s (pid %d) never blocked signal %d", what,
				 (int)pid, sig);
		h_sleep_ms(1);
	}
}

json_t *h_wait_dump_msg(const struct mld *m, const char *req, const char *msg)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	unsigned ms = 1;

	for (;;) {
		json_t *a = h_dump(m, req);
		if (h_find_msg(a, msg))
			return a;
		if (remaining(deadline) == 0) {
			print_message("# %.*s gave:\n", (int)strcspn(req, "\n"),
				      req);
			h_print_entries(a);
			print_stderr(m);
			json_decref(a);
			fail_msg("\"%s\" did not arrive within %d ms", msg,
				 H_TIMEOUT_MS);
		}
		json_decref(a);
		backoff(&ms);
	}
}

/* ---- logwrite under test, and other additions ---- */

int h_count_str(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

uint64_t h_cpu_ms(pid_t pid)
{
	char p[64], *s, *f;
	unsigned long long t[2];

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	s = h_read_file(p, NULL);
	assert_non_null(s);
	/* The command name (field 2) may hold spaces and parentheses: the
	 * fields are counted from its closing one, which field 3 follows.
	 * utime and stime are fields 14 and 15, in clock ticks. */
	f = strrchr(s, ')');
	assert_non_null(f);
	f++;
	for (int field = 3; field <= 15; field++) {
		char *end;

		while (*f == ' ')
			f++;
		if (field >= 14) {
			t[field - 14] = strtoull(f, &end, 10);
			assert_true(end > f);
			f = end;
		} else {
			f += strcspn(f, " ");
		}
	}
	free(s);
	return (t[0] + t[1]) * 1000 / (uint64_t)sysconf(_SC_CLK_TCK);
}

void h_wait_sigterm_blocked(pid_t pid)
{
	h_wait_sig_blocked(pid, SIGTERM, "the process");
}

void lw_argv(const struct lw *l, const struct mld *m, const char *const *extra,
	     char *prog, size_t cap, const char **argv)
{
	int n = 0;

	h_prog(prog, cap, "logwrite");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = m->query;
	argv[n++] = "-log-dir";
	argv[n++] = l->dir;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
}

bool lw_exists(const struct lw *l, const char *name)
{
	char p[512];
	struct stat st;

	lw_path(p, sizeof(p), l, name);
	return lstat(p, &st) == 0;
}

void lw_expect_exit(int st, int want, const char *err)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want)
		fail_msg("status 0x%x, want exit %d; stderr: %s", st, want, err);
}

void lw_expect_listing(const struct lw *l, const char *want)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *got = lw_listing(l);
		if (!strcmp(got, want)) {
			free(got);
			return;
		}
		if (h_now_ms() > deadline)
			fail_msg("the log directory holds\n  %s\nwant\n  %s", got,
				 want);
		free(got);
		h_sleep_ms(10);
	}
}

char *lw_file(const struct lw *l, const char *name, size_t *len)
{
	char p[512];

	lw_path(p, sizeof(p), l, name);
	return h_read_file(p, len);
}

void lw_init(struct lw *l, struct mld *m)
{
	memset(l, 0, sizeof(*l));
	if (!m->dir[0])
		mld_init(m);
	snprintf(l->dir, sizeof(l->dir), "%s/logs", m->dir);
	snprintf(l->err, sizeof(l->err), "%s/logwrite.err", m->dir);
	if (mkdir(l->dir, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", l->dir, strerror(errno));
}

char *lw_listing(const struct lw *l)
{
	char p[512], *names[256], *out;
	size_t n = 0, len = 1;
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "%s%s", l->root, l->dir);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)) && n < 256) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
		len += strlen(e->d_name) + 1;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: a few names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

void lw_need(void)
{
	if (!h_prog_exists("logwrite")) {
		print_message("# %s/logwrite is not built; skipping\n", h_build());
		skip();
	}
}

void lw_path(char *out, size_t cap, const struct lw *l, const char *name)
{
	snprintf(out, cap, "%s%s/%s", l->root, l->dir, name);
}

void lw_put(const struct lw *l, const char *name, const char *text)
{
	char p[512];
	int fd;

	lw_path(p, sizeof(p), l, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("cannot create %s: %s", p, strerror(errno));
	h_write_all(fd, text, strlen(text));
	close(fd);
}

int lw_run(struct lw *l, const struct mld *m, const char *const *extra,
	   char **err)
{
	char prog[512];
	const char *argv[32];

	lw_argv(l, m, extra, prog, sizeof(prog), argv);
	return h_run(argv, NULL, H_TIMEOUT_MS, NULL, err);
}

void lw_set_old(const struct lw *l, const char *name, time_t age)
{
	char p[512];
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	lw_path(p, sizeof(p), l, name);
	if (utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("utimensat %s: %s", p, strerror(errno));
}

int lw_signal_wait(struct lw *l, int sig)
{
	assert_true(l->pid > 0);
	h_wait_sigterm_blocked(l->pid);
	kill(l->pid, sig);
	int st = h_wait_pid(l->pid, H_TIMEOUT_MS * 2);
	h_untrack_pid(l->pid);
	l->pid = 0;
	return st;
}

void lw_start(struct lw *l, const struct mld *m, const char *const *extra)
{
	char prog[512];
	const char *argv[32];

	lw_argv(l, m, extra, prog, sizeof(prog), argv);
	l->pid = h_spawn(argv, l->err, false);
}

char *lw_stderr(const struct lw *l)
{
	char *s = h_read_file(l->err, NULL);
	return s ? s : strdup("");
}

void lw_stop(struct lw *l)
{
	int st = lw_signal_wait(l, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *e = lw_stderr(l);
		fail_msg("logwrite did not exit 0 on SIGTERM (status 0x%x); "
			 "stderr:\n%s", st, e);
	}
}

void lw_wait_contains(const struct lw *l, const char *name, const char *needle)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *s = lw_file(l, name, NULL);
		bool ok = s && strstr(s, needle);
		free(s);
		if (ok)
			return;
		if (h_now_ms() > deadline) {
			char *e = lw_stderr(l);
			fail_msg("%s/%s does not contain '%s' after %d ms; "
				 "logwrite stderr:\n%s", l->dir, name, needle,
				 LW_WAIT_MS, e);
		}
		h_sleep_ms(10);
	}
}

void lw_wait_stderr(const struct lw *l, const char *needle)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *s = lw_stderr(l);
		bool ok = strstr(s, needle) != NULL;
		if (ok) {
			free(s);
			return;
		}
		if (h_now_ms() > deadline)
			fail_msg("logwrite never said '%s'; stderr:\n%s", needle, s);
		free(s);
		h_sleep_ms(10);
	}
}

/* ---- lines that flow while memlogd crashes ---- */

void h_producer_start(struct h_producer *p, int fd)
{
	int stop[2], count[2];

	assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
	assert_int_equal(pipe2(count, O_CLOEXEC), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int n = 0;
		/* Out of the way first: one may be 3, 4 or 5 already. */
		int a = fcntl(fd, F_DUPFD, 10), b = fcntl(stop[0], F_DUPFD, 10),
		    c = fcntl(count[1], F_DUPFD, 10);

		if (a < 0 || b < 0 || c < 0 || dup2(a, 3) < 0 ||
		    dup2(b, 4) < 0 || dup2(c, 5) < 0)
			_exit(120);
		h_child_close_from(6);
		h_child_signals();
		for (;;) {
			struct pollfd sp = { .fd = 4, .events = POLLIN };
			char line[16];
			int len = snprintf(line, sizeof(line), "%06d\n", n);
			const char *q = line;

			while (len > 0) {
				ssize_t w = write(3, q, (size_t)len);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					_exit(2);
				q += w;
				len -= (int)w;
			}
			n++;
			if (poll(&sp, 1, 0) == 1)
				break;
			if (n % 10 == 0)
				usleep(2000);
		}
		if (write(5, &n, sizeof(n)) != (ssize_t)sizeof(n))
			_exit(3);
		_exit(0);
	}
	h_track_pid(p->pid);
	close(stop[0]);
	close(count[1]);
	p->stop = stop[1];
	p->count = count[0];
}

int h_producer_stop(struct h_producer *p)
{
	int n = -1, st;

	close(p->stop);
	st = h_wait_pid(p->pid, H_TIMEOUT_MS);
	h_untrack_pid(p->pid);
	h_expect_exit(st, 0, "the producer", NULL);
	assert_int_equal(read(p->count, &n, sizeof(n)), (ssize_t)sizeof(n));
	close(p->count);
	return n;
}

void h_wait_lines_grow(const struct mld *m, const char *name,
		       const char *stream, json_int_t n)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	json_int_t base = h_source_stat(m, name, stream, "lines"), v;

	for (;;) {
		v = h_source_stat(m, name, stream, "lines");
		if (v >= base + n)
			return;
		if (remaining(deadline) == 0)
			fail_msg("%s's lines went from %lld to %lld only in %d ms",
				 name, (long long)base, (long long)v, H_TIMEOUT_MS);
		h_sleep_ms(5);
	}
}

void h_wait_file_count(const char *path, const char *needle, int n,
		       int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *s = h_read_file(path, NULL);
		int c = s ? h_count_str(s, needle) : 0;

		if (c >= n) {
			free(s);
			return;
		}
		if (remaining(deadline) == 0)
			fail_msg("%s holds '%s' %d times, not %d, after %d ms:\n%s",
				 path, needle, c, n, timeout_ms, s ? s : "");
		free(s);
		h_sleep_ms(10);
	}
}

void h_expect_sequence(const char *text, int n, const char *what)
{
	const char *p = text;

	for (int i = 0; i < n; i++) {
		char want[16];
		const char *nl = strchr(p, '\n');

		snprintf(want, sizeof(want), "%06d", i);
		if (!nl || (size_t)(nl - p) != 6 || memcmp(p, want, 6)) {
			int got = nl && nl - p == 6 ? atoi(p) : -1;
			fail_msg("%s: line %d is '%.*s', want %s (%s)", what, i,
				 nl ? (int)(nl - p) : 40, p, want,
				 got < 0 ? "not a number" : got < i ?
				 "a line written twice" : "a line lost");
		}
		p = nl + 1;
	}
	if (*p)
		fail_msg("%s: more than the %d lines written: '%.40s'", what, n, p);
}

/* How many of pid's fds are sockets. */
static int socket_count(pid_t pid)
{
	char p[64], l[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), e->d_name, l, sizeof(l) - 1);
		n += len > 7 && !memcmp(l, "socket:", 7);
	}
	closedir(d);
	return n;
}

void h_crash_cycle(struct mld *m, pid_t pid, const char *errfile,
		   const char *lost, const char *back, int k, int timeout_ms)
{
	uint64_t deadline;
	int socks;
	char *s;

	/* The follower's connection has been accepted (the stats request
	 * is the other one): a kill before that would not end it. */
	h_wait_stat(m, "readers.connected", 2);
	socks = socket_count(pid);
	mld_kill9(m);
	h_wait_file_count(errfile, lost, k, timeout_ms);
	/* It connects again (as many sockets as before) while memlogd is
	 * down: the fd holder keeps the listening socket. */
	deadline = h_now_ms() + (uint64_t)timeout_ms;
	while (socket_count(pid) != socks) {
		if (remaining(deadline) == 0)
			fail_msg("process %d did not connect again within %d ms",
				 (int)pid, timeout_ms);
		h_sleep_ms(5);
	}
	/* Time to say it, were it to say it now. */
	h_sleep_ms(200);
	s = h_read_file(errfile, NULL);
	if (h_count_str(s, back) != k - 1)
		fail_msg("'%s' said while memlogd is down:\n%s", back, s);
	free(s);
	mld_start(m, NULL);
	h_wait_file_count(errfile, back, k, timeout_ms);
}

/* ---- hostile senders (itest_hostile) ---- */

char *h_register_acked(const char *path, const void *payload, size_t len,
		       const int *fds, int nfds)
{
	int ack[2], all[254];

	assert_true(nfds >= 0 && nfds < 253);
	assert_int_equal(pipe2(ack, O_CLOEXEC), 0);
	if (nfds)
		memcpy(all, fds, (size_t)nfds * sizeof(int));
	all[nfds] = ack[1];
	int r = h_register(path, payload, len, all, nfds + 1);
	close(ack[1]);
	if (r < 0) {
		close(ack[0]);
		fail_msg("registration on %s failed: %s", path, strerror(-r));
	}
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	char buf[512];
	size_t n = 0;
	for (;;) {
		ssize_t k = read_deadline(ack[0], buf + n, sizeof(buf) - 1 - n,
					  deadline);
		if (k == -ETIMEDOUT) {
			close(ack[0]);
			fail_msg("no answer to an ack=1 registration within %d ms",
				 H_TIMEOUT_MS);
		}
		if (k == 0 || n + (size_t)k == sizeof(buf) - 1) {
			n += (size_t)(k > 0 ? k : 0);
			break;
		}
		n += (size_t)k;
	}
	close(ack[0]);
	buf[n] = '\0';
	return strdup(buf);
}

/* The state letter of /proc/PID/stat ('R', 'S', 'T'...), or 0. */
static char proc_state(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	char *s = h_read_file(p, NULL);
	char *e = s ? strrchr(s, ')') : NULL;
	char st = e && e[1] == ' ' ? e[2] : 0;
	free(s);
	return st;
}

void h_freeze(pid_t pid)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;

	assert_int_equal(kill(pid, SIGSTOP), 0);
	while (proc_state(pid) != 'T') {
		if (h_now_ms() > deadline)
			fail_msg("pid %d did not stop within %d ms", (int)pid,
				 H_TIMEOUT_MS);
		h_sleep_ms(1);
	}
}

void h_thaw(pid_t pid)
{
	assert_int_equal(kill(pid, SIGCONT), 0);
}
