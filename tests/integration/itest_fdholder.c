/* memlog-fdholder, the real binary over its real socket, driven through
 * the client calls of src/lib/fdhold.h: 10,000 pipes held across the loss
 * of the client and given back as the same pipes, with the holder's RSS;
 * DROP, replacement, RELEASE and SIGTERM closing what they should; ERR
 * over --max-fds; a peer of another uid refused (root only); a stale
 * socket replaced and a live one not, without cutting the live session;
 * a new session carrying out what the old one had queued; malformed
 * requests; usage. */
#include "harness.h"
#include "fdhold.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY(i) (0xf00d000000000000ULL + (uint64_t)(i))

/* The temp dir of the running test, removed by the teardown. */
static char test_dir[64];

struct fh {
	char path[128];   /* the holder's socket */
	char err[128];    /* its stderr */
	pid_t pid;
};

static int teardown(void **state)
{
	h_teardown(state);
	if (test_dir[0])
		h_rmtree(test_dir);
	test_dir[0] = '\0';
	return 0;
}

static void holder_bin(char *out, size_t cap)
{
	h_prog(out, cap, "memlog-fdholder");
}

static void fh_init(struct fh *f)
{
	if (!test_dir[0]) {
		strcpy(test_dir, "/tmp/memlog-fh-XXXXXX");
		assert_non_null(mkdtemp(test_dir));
	}
	snprintf(f->path, sizeof(f->path), "%s/holder.sock", test_dir);
	snprintf(f->err, sizeof(f->err), "%s/holder.err", test_dir);
	f->pid = 0;
}

/* Connects without the client calls (no HELLO read): fd or -errno. */
static int raw_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Starts the holder on f->path with extra arguments and waits until it
 * accepts connections. */
static void fh_start(struct fh *f, const char *const *extra)
{
	char bin[512];
	const char *argv[16] = { bin, "--socket", f->path };
	int n = 3;

	holder_bin(bin, sizeof(bin));
	while (extra && *extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	f->pid = h_spawn(argv, f->err, true);
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		int fd = raw_connect(f->path);
		if (fd >= 0) {
			close(fd);
			return;
		}
		int st;
		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			h_untrack_pid(f->pid);
			fail_msg("the holder exited (status %#x): %s", st,
				 h_read_file(f->err, NULL));
		}
		if (h_now_ms() > deadline)
			fail_msg("the holder did not start within %d ms",
				 H_TIMEOUT_MS);
		h_sleep_ms(2);
	}
}

/* Waits for the holder's exit; returns its exit status (fails if it was
 * killed by a signal). */
static int fh_exit_status(struct fh *f)
{
	int st = h_wait_pid(f->pid, H_TIMEOUT_MS);

	h_untrack_pid(f->pid);
	f->pid = 0;
	if (!WIFEXITED(st))
		fail_msg("the holder was killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* RLIMIT_NOFILE of at least want (soft and hard), or a skip. */
static void need_nofile(rlim_t want)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* root only */
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		print_message("# RLIMIT_NOFILE cannot be raised to %llu "
			      "(hard limit %llu, not root); skipping\n",
			      (unsigned long long)want,
			      (unsigned long long)rl.rlim_max);
		skip();
	}
}

/* ---- what TAKE gives back ---- */

struct taken {
	size_t n, cap;
	uint64_t *keys;
	int *fds;         /* < 0: the negative errno of an ERR */
};

static int collect(void *ctx, uint64_t key, int fd)
{
	struct taken *t = ctx;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->keys = realloc(t->keys, t->cap * sizeof(*t->keys));
		t->fds = realloc(t->fds, t->cap * sizeof(*t->fds));
		assert_non_null(t->keys);
		assert_non_null(t->fds);
	}
	t->keys[t->n] = key;
	t->fds[t->n++] = fd;
	return 0;
}

static void taken_free(struct taken *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	free(t->keys);
	free(t->fds);
	memset(t, 0, sizeof(*t));
}

/* TAKE, asserting it works; also the barrier that every earlier request
 * of the session was carried out. */
static void take(int sock, struct taken *t)
{
	memset(t, 0, sizeof(*t));
	int n = fdhold_take(sock, collect, t);
	if (n < 0)
		fail_msg("fdhold_take: %s", strerror(-n));
	size_t fds = 0;
	for (size_t i = 0; i < t->n; i++)
		fds += t->fds[i] >= 0;
	assert_int_equal((size_t)n, fds);
}

static int taken_fd(const struct taken *t, uint64_t key)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->keys[i] == key)
			return t->fds[i];
	return -1;
}

/* The number of keys TAKE gives back now (closing the fds). */
static size_t held(int sock)
{
	struct taken t;

	take(sock, &t);
	size_t n = t.n;
	taken_free(&t);
	return n;
}

static void put1(int sock, uint64_t key, int fd)
{
	int r = fdhold_put(sock, &key, &fd, 1, 0);
	if (r < 0)
		fail_msg("fdhold_put: %s", strerror(-r));
}

/* A pipe whose read end the holder gets under key; returns the write end
 * (our read end is closed: the holder's copy is the only one). */
static int held_pipe(int sock, uint64_t key)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	put1(sock, key, p[0]);
	close(p[0]);
	return p[1];
}

/* Does a write into w find a reader somewhere (0) or none (-EPIPE)? */
static int probe_write(int w)
{
	ssize_t n = write(w, "x", 1);

	return n == 1 ? 0 : -errno;
}

static int connect_ok(const char *path, struct fdhold_hello *hello)
{
	int s = fdhold_connect(path, hello);
	if (s < 0)
		fail_msg("fdhold_connect %s: %s", path, strerror(-s));
	return s;
}

/* ---- the tests ---- */

/* What the 10,000 test checks of each fd TAKE gives back: it is the
 * read end of the pipe whose write end the test kept for that key. Done
 * as each arrives, so that the test needs one fd per pipe, not two. */
struct pipes {
	int *wr;       /* write ends, by key index */
	bool *seen;    /* key index given back already */
	size_t n;      /* pipes */
	size_t good;   /* fds given back that passed */
};

static int check_pipe(void *ctx, uint64_t key, int fd)
{
	struct pipes *p = ctx;
	uint64_t i = key - KEY(0), v = key ^ 0x5555, back = 0;

	if (fd < 0 || i >= p->n || p->seen[i]) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG; /* refused, unknown or twice */
	}
	p->seen[i] = true;
	if (write(p->wr[i], &v, sizeof(v)) == sizeof(v) &&
	    read(fd, &back, sizeof(back)) == sizeof(back) && back == v)
		p->good++;
	close(fd);
	return 0;
}

/* The scenario: the client starts the holder, hands it 10,000
 * pipes, dies; the next client takes every one back, and each is the same
 * pipe. Also the holder's RSS with 10,000 fds held, and RELEASE. */
static void test_ten_thousand(void **state)
{
	enum { N = 10000 };
	struct fh f;
	char bin[512];
	struct fdhold_hello hello;
	static int wr[N];
	static bool seen[N];
	int sock;
	pid_t pid;

	need_nofile(N + 1000);
	fh_init(&f);
	holder_bin(bin, sizeof(bin));
	int r = fdhold_spawn(f.path, bin, &sock, &pid);
	if (r < 0)
		fail_msg("fdhold_spawn: %s", strerror(-r));
	h_track_pid(pid);
	f.pid = pid;
	struct stat st;
	assert_int_equal(lstat(f.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	for (int i = 0; i < N;) {
		uint64_t keys[FDHOLD_KEYS_MAX];
		int rd[FDHOLD_KEYS_MAX], n = 0;
		for (; n < FDHOLD_KEYS_MAX && i < N; n++, i++) {
			int p[2];
			assert_int_equal(pipe2(p, O_CLOEXEC), 0);
			keys[n] = KEY(i);
			rd[n] = p[0];
			wr[i] = p[1];
		}
		r = fdhold_put(sock, keys, rd, (size_t)n, 0);
		if (r < 0)
			fail_msg("fdhold_put: %s", strerror(-r));
		for (int k = 0; k < n; k++)
			close(rd[k]);
	}
	/* The client dies: its end of the session closes. */
	close(sock);

	sock = connect_ok(f.path, &hello);
	/* The client that died has no session any more. */
	assert_int_equal(hello.session_pid, 0);
	struct pipes p = { .wr = wr, .seen = seen, .n = N };
	r = fdhold_take(sock, check_pipe, &p);
	if (r < 0)
		fail_msg("fdhold_take: %s", strerror(-r));
	assert_int_equal(r, N);
	assert_int_equal(p.good, N);
	/* A HELLO now counts all of them. */
	int s2 = connect_ok(f.path, &hello);
	assert_int_equal(hello.held, N);
	close(s2);

	assert_true(h_fd_count(pid) >= N);
	long rss = h_rss_kb(pid);
	print_message("# memlog-fdholder VmRSS with %d fds held: %ld KiB\n",
		      N, rss);
	if (h_sanitized())
		print_message("# sanitizer build: the 1 MiB bound is not "
			      "checked\n");
	else
		assert_true(rss <= 1024);

	/* RELEASE: the holder closes its copies, removes the socket and
	 * exits 0; ours are closed, so no reader is left. */
	assert_int_equal(fdhold_release(sock), 0);
	close(sock);
	assert_int_equal(fh_exit_status(&f), 0);
	assert_false(exists(f.path));
	for (int i = 0; i < N; i++) {
		assert_int_equal(probe_write(wr[i]), -EPIPE);
		close(wr[i]);
	}
}

static void test_drop(void **state)
{
	struct fh f;

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 7);
	int w2 = held_pipe(s, 8);
	assert_int_equal(held(s), 2);
	/* Only the holder's copy keeps the pipe open. */
	assert_int_equal(probe_write(w), 0);
	uint64_t keys[] = { 7, 12345 /* unknown: ignored */ };
	assert_int_equal(fdhold_drop(s, keys, 2, 0), 0);
	assert_int_equal(held(s), 1);
	assert_int_equal(probe_write(w), -EPIPE);
	assert_int_equal(probe_write(w2), 0);
	close(w);
	close(w2);
	close(s);
	kill(f.pid, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);
}

/* A key put again: the old fd is closed, the new one held. */
static void test_replace(void **state)
{
	struct fh f;
	struct taken t;

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int wa = held_pipe(s, 1);
	int wb = held_pipe(s, 1);
	take(s, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(probe_write(wa), -EPIPE);
	assert_int_equal(write(wb, "b", 1), 1);
	char c = 0;
	assert_int_equal(read(taken_fd(&t, 1), &c, 1), 1);
	assert_int_equal(c, 'b');
	taken_free(&t);
	close(wa);
	close(wb);
	close(s);
}

static void test_max_fds(void **state)
{
	struct fh f;
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	struct taken t;

	fh_init(&f);
	fh_start(&f, (const char *const[]){ "--max-fds", "3", NULL });
	int s = connect_ok(f.path, NULL);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	uint64_t keys[] = { 1, 2, 3, 4, 5 };
	int five[] = { p[0], p[0], p[0], p[0], p[0] };
	assert_int_equal(fdhold_put(s, keys, five, 5, 0), 0);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), 0);
	assert_int_equal(m.op, FDHOLD_ERR);
	assert_int_equal(m.arg, EMFILE);
	assert_int_equal(m.nkeys, 2);
	assert_true(m.keys[0] == 4 && m.keys[1] == 5);
	/* Full: replacing a key still works, a new key does not. */
	uint64_t again[] = { 1, 9 };
	assert_int_equal(fdhold_put(s, again, five, 2, 0), 0);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), 0);
	assert_int_equal(m.op, FDHOLD_ERR);
	assert_int_equal(m.nkeys, 1);
	assert_true(m.keys[0] == 9);
	take(s, &t);
	assert_int_equal(t.n, 3);
	for (uint64_t k = 1; k <= 3; k++)
		assert_true(taken_fd(&t, k) >= 0);
	taken_free(&t);
	/* An ERR the client has not read yet reaches fdhold_take's
	 * callback as the key with a negative errno. */
	uint64_t k10 = 10;
	assert_int_equal(fdhold_put(s, &k10, five, 1, 0), 0);
	take(s, &t);
	assert_int_equal(t.n, 4);
	assert_int_equal(taken_fd(&t, 10), -EMFILE);
	taken_free(&t);
	char *err = h_read_file(f.err, NULL);
	assert_non_null(strstr(err, "could not hold 2 fds"));
	free(err);
	close(p[0]);
	close(p[1]);
	close(s);
}

/* A peer of another uid is closed at once; the live session goes on. And
 * the client refuses a holder of another uid. */
static void test_other_uid(void **state)
{
	struct fh f;
	char bin[512];

	if (geteuid() != 0) {
		print_message("# not root: cannot connect as another uid; "
			      "skipping\n");
		skip();
	}
	fh_init(&f);
	/* Let uid 65534 reach the socket, so that the holder's own check
	 * is what refuses it (not the file mode). */
	assert_int_equal(chmod(test_dir, 0777), 0);
	fh_start(&f, NULL);
	assert_int_equal(chmod(f.path, 0666), 0);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		int fd = raw_connect(f.path);
		if (fd < 0)
			_exit(11);
		char buf[64];
		struct timeval tv = { .tv_sec = H_TIMEOUT_MS / 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		_exit(n == 0 ? 0 : n > 0 ? 12 : 13); /* 12: got a HELLO */
	}
	h_track_pid(child);
	int st = h_wait_pid(child, 2 * H_TIMEOUT_MS);
	h_untrack_pid(child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(held(s), 1);
	char *err = h_read_file(f.err, NULL);
	assert_non_null(strstr(err, "refused a connection of uid 65534"));
	free(err);
	close(w);
	close(s);
	kill(f.pid, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);

	/* A holder running as uid 65534: root's client does not trust it. */
	holder_bin(bin, sizeof(bin));
	pid_t other = fork();
	assert_true(other >= 0);
	if (other == 0) {
		int efd = open(f.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (efd < 0 || dup2(efd, 2) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(10);
		execl(bin, bin, "--socket", f.path, (char *)NULL);
		_exit(127);
	}
	h_track_pid(other);
	f.pid = other;
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	int r;
	while ((r = fdhold_connect(f.path, NULL)) == -ENOENT ||
	       r == -ECONNREFUSED) {
		if (h_now_ms() > deadline)
			fail_msg("the holder of uid 65534 did not start");
		h_sleep_ms(2);
	}
	assert_int_equal(r, -EPERM);
	kill(other, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);
	err = h_read_file(f.err, NULL);
	assert_non_null(strstr(err, "refused a connection of uid 0"));
	free(err);
}

/* A stale socket file is replaced; a live holder's socket is not (exit 3)
 * and checking it does not cut the live session; a path that is not a
 * socket is left alone (exit 1). */
static void test_stale_and_live(void **state)
{
	struct fh f;
	struct sockaddr_un sa;
	char bin[512];
	char *err = NULL;

	fh_init(&f);
	int stale = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	h_sun_path(&sa, f.path);
	assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);
	assert_true(exists(f.path));
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 42);
	assert_int_equal(held(s), 1);

	holder_bin(bin, sizeof(bin));
	int st = h_run((const char *const[]){ bin, "--socket", f.path, NULL },
		       NULL, H_TIMEOUT_MS, NULL, &err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_non_null(strstr(err, "served by another live process"));
	free(err);
	/* The second holder's probe connected to the first: the session of
	 * the live client must go on. */
	assert_int_equal(held(s), 1);
	assert_int_equal(probe_write(w), 0);
	/* The same with a connection that stays open, sending nothing, once
	 * the holder has surely accepted it (its HELLO came). */
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	int probe = raw_connect(f.path);
	assert_true(probe >= 0);
	assert_int_equal(fdhold_recv(probe, &m, fds, H_TIMEOUT_MS), 0);
	assert_int_equal(m.op, FDHOLD_HELLO);
	assert_int_equal(m.count, 1);
	assert_int_equal(held(s), 1);
	close(probe);

	char file[160];
	snprintf(file, sizeof(file), "%s/not-a-socket", test_dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	st = h_run((const char *const[]){ bin, "--socket", file, NULL },
		   NULL, H_TIMEOUT_MS, NULL, &err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(err, "is not a socket"));
	free(err);
	char *content = h_read_file(file, NULL);
	assert_string_equal(content, "keep");
	free(content);
	close(w);
	close(s);
}

/* RELEASE from a holder started by hand: exit 0, socket gone, fds closed. */
static void test_release(void **state)
{
	struct fh f;

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 3);
	assert_int_equal(held(s), 1);
	assert_int_equal(fdhold_release(s), 0);
	assert_int_equal(fh_exit_status(&f), 0);
	assert_false(exists(f.path));
	assert_int_equal(probe_write(w), -EPIPE);
	close(w);
	close(s);
}

/* A new connection is told whose session is open (so that a second
 * memlogd does not take a live one's fds), and nobody's once it ended. */
static void test_hello_names_session(void **state)
{
	struct fh f;
	struct fdhold_hello hello;

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, &hello);
	assert_int_equal(hello.session_pid, 0);
	int w = held_pipe(s, 3); /* a request: s is the session now */
	assert_int_equal(held(s), 1); /* (and the holder has seen it) */
	int s2 = connect_ok(f.path, &hello);
	assert_int_equal(hello.session_pid, getpid());
	assert_int_equal(hello.held, 1);
	close(s2);
	close(s);
	/* The session's end reaches the holder; then nobody holds it. */
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;;) {
		s2 = connect_ok(f.path, &hello);
		close(s2);
		if (hello.session_pid == 0 || h_now_ms() > end)
			break;
		h_sleep_ms(10);
	}
	assert_int_equal(hello.session_pid, 0);
	s = connect_ok(f.path, NULL);
	assert_int_equal(fdhold_release(s), 0);
	assert_int_equal(fh_exit_status(&f), 0);
	close(s);
	close(w);
}

/* SIGHUP, SIGINT and SIGPIPE change nothing; SIGTERM ends it cleanly. */
static void test_signals(void **state)
{
	struct fh f;

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 3);
	kill(f.pid, SIGHUP);
	kill(f.pid, SIGINT);
	kill(f.pid, SIGPIPE);
	/* A default action would have ended it before it could answer. */
	assert_int_equal(held(s), 1);
	kill(f.pid, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);
	assert_false(exists(f.path));
	assert_int_equal(probe_write(w), -EPIPE);
	close(w);
	close(s);
}

/* Malformed requests end the session, never what it held. */
static void test_malformed(void **state)
{
	struct fh f;
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	uint8_t buf[FDHOLD_MSG_MAX];

	fh_init(&f);
	fh_start(&f, NULL);
	int s = connect_ok(f.path, NULL);
	int w = held_pipe(s, 1);
	assert_int_equal(held(s), 1);

	/* Garbage. */
	assert_int_equal(fdhold_send(s, "hello, holder", 13, NULL, 0, 0), 0);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), -ECONNRESET);
	close(s);
	/* A holder's message sent to the holder. */
	s = connect_ok(f.path, NULL);
	int len = fdhold_encode_end(buf, sizeof(buf), 0);
	assert_int_equal(fdhold_send(s, buf, (size_t)len, NULL, 0, 0), 0);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), -ECONNRESET);
	close(s);
	/* fds with a request that carries none: closed, not kept. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s = connect_ok(f.path, NULL);
	len = fdhold_encode_take(buf, sizeof(buf));
	assert_int_equal(fdhold_send(s, buf, (size_t)len, &p[0], 1, 0), 0);
	close(p[0]);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), -ECONNRESET);
	close(s);
	/* Another version of the protocol. */
	s = connect_ok(f.path, NULL);
	len = fdhold_encode_take(buf, sizeof(buf));
	buf[4] = 2;
	assert_int_equal(fdhold_send(s, buf, (size_t)len, NULL, 0, 0), 0);
	assert_int_equal(fdhold_recv(s, &m, fds, H_TIMEOUT_MS), -ECONNRESET);
	close(s);

	s = connect_ok(f.path, NULL);
	struct taken t;
	take(s, &t);
	assert_int_equal(t.n, 1);
	assert_true(t.keys[0] == 1);
	taken_free(&t);
	assert_int_equal(probe_write(w), 0);
	assert_int_equal(probe_write(p[1]), -EPIPE);
	char *err = h_read_file(f.err, NULL);
	assert_non_null(strstr(err, "it sent a malformed request"));
	assert_non_null(strstr(err, "it sent a holder's message"));
	assert_non_null(strstr(err, "another version of the protocol"));
	assert_non_null(strstr(err, "(4 sessions closed so far"));
	free(err);
	close(p[1]);
	close(w);
	close(s);
}

/* Starts the holder with an inherited listening socket and first session,
 * as fdhold_spawn does, but with fds the test made. */
static pid_t start_with_fds(struct fh *f, int lfd, int cfd)
{
	char bin[512];
	pid_t pid;

	holder_bin(bin, sizeof(bin));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int err = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int a = fcntl(lfd, F_DUPFD, 10), b = fcntl(cfd, F_DUPFD, 10);
		if (err < 0 || a < 0 || b < 0 || dup2(err, 2) < 0 ||
		    dup2(a, 3) < 0 || dup2(b, 4) < 0)
			_exit(120);
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		execl(bin, bin, "--socket", f->path, "--fd-listen", "3",
		      "--fd-conn", "4", (char *)NULL);
		_exit(127);
	}
	h_track_pid(pid);
	f->pid = pid;
	return pid;
}

/* The old session cannot be read while the holder waits to send it an
 * answer (here: a TAKE it never reads, through a tiny send buffer), so a
 * PUT it sent after that is still queued when a new client connects. The
 * new session must carry it out before its own first request. Also: a
 * connection that closes before its first request does not end the
 * session. */
static void test_new_session_takes_over(void **state)
{
	enum { N = 2000 };
	struct fh f;
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	uint8_t buf[FDHOLD_HDR_LEN];
	int sp[2];

	need_nofile(4096);
	fh_init(&f);
	int lfd = fdhold_listen(f.path);
	assert_true(lfd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	int tiny = 1;
	assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &tiny,
				    sizeof(tiny)), 0);
	start_with_fds(&f, lfd, sp[1]);
	close(lfd);
	close(sp[1]);
	int a = sp[0];
	assert_int_equal(fdhold_recv(a, &m, fds, H_TIMEOUT_MS), 0);
	assert_int_equal(m.op, FDHOLD_HELLO);
	assert_int_equal(m.arg, 0); /* the first session: nobody else's */

	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < N; i += FDHOLD_KEYS_MAX) {
		uint64_t keys[FDHOLD_KEYS_MAX];
		int same[FDHOLD_KEYS_MAX];
		size_t n = 0;
		for (; n < FDHOLD_KEYS_MAX && i + (int)n < N; n++) {
			keys[n] = KEY(i + (int)n);
			same[n] = p[0];
		}
		assert_int_equal(fdhold_put(a, keys, same, n, 0), 0);
	}
	int late = held_pipe(a, 77777);
	close(p[0]);
	close(p[1]);
	/* a: TAKE, never read; then one more PUT, which waits behind it. */
	int len = fdhold_encode_take(buf, sizeof(buf));
	assert_int_equal(fdhold_send(a, buf, (size_t)len, NULL, 0, 0), 0);
	int w = held_pipe(a, 88888);

	/* A probe: connects, reads nothing, goes. */
	close(raw_connect(f.path));

	int b = connect_ok(f.path, NULL);
	struct taken t;
	take(b, &t);
	assert_int_equal(t.n, N + 2);
	assert_true(taken_fd(&t, 77777) >= 0);
	int rd = taken_fd(&t, 88888);
	assert_true(rd >= 0);
	assert_int_equal(write(w, "z", 1), 1);
	char c = 0;
	assert_int_equal(read(rd, &c, 1), 1);
	assert_int_equal(c, 'z');
	taken_free(&t);
	/* The old session was closed: past what was sent, its end. */
	int r;
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	while ((r = fdhold_recv(a, &m, fds, H_TIMEOUT_MS)) == 0) {
		for (uint32_t i = 0; m.op == FDHOLD_FDS && i < m.nkeys; i++)
			close(fds[i]);
		assert_true(h_now_ms() < deadline);
	}
	assert_int_equal(r, -ECONNRESET);
	close(a);
	close(late);
	close(w);
	close(b);
	kill(f.pid, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);
}

static void test_spawn_errors(void **state)
{
	struct fh f;
	int sock = -1;
	pid_t pid = 0;
	char bin[512];

	fh_init(&f);
	/* A binary that is not there: its exec's errno, and no socket file
	 * left behind. */
	assert_int_equal(fdhold_spawn(f.path, "/nonexistent/memlog-fdholder",
				      &sock, &pid), -ENOENT);
	assert_false(exists(f.path));
	/* A live holder on the path: not taken over. */
	fh_start(&f, NULL);
	holder_bin(bin, sizeof(bin));
	assert_int_equal(fdhold_spawn(f.path, bin, &sock, &pid), -EADDRINUSE);
	assert_true(exists(f.path));
	/* Nobody at a path: the client says so. */
	char none[160];
	snprintf(none, sizeof(none), "%s/none.sock", test_dir);
	assert_int_equal(fdhold_connect(none, NULL), -ENOENT);
	kill(f.pid, SIGTERM);
	assert_int_equal(fh_exit_status(&f), 0);
}

/* A client started with stdin and stdout closed: the socket fdhold_spawn
 * binds gets fd 0, where the holder's child puts /dev/null. It must be
 * moved out of the way first. */
static void test_spawn_low_fds(void **state)
{
	struct fh f;
	char bin[512];

	fh_init(&f);
	holder_bin(bin, sizeof(bin));
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int sock;
		pid_t pid;
		close(0);
		close(1);
		if (fdhold_spawn(f.path, bin, &sock, &pid) < 0)
			_exit(1);
		int p[2];
		if (pipe(p) < 0)
			_exit(2);
		uint64_t key = 5;
		struct taken t = { 0 };
		if (fdhold_put(sock, &key, &p[0], 1, 0) < 0 ||
		    fdhold_take(sock, collect, &t) != 1 ||
		    fdhold_release(sock) < 0)
			_exit(3);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			_exit(4);
		_exit(0);
	}
	h_track_pid(child);
	int st = h_wait_pid(child, 2 * H_TIMEOUT_MS);
	h_untrack_pid(child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(exists(f.path));
}

static void test_usage(void **state)
{
	char bin[512];
	char *out = NULL, *err = NULL;
	struct fh f;

	fh_init(&f);
	holder_bin(bin, sizeof(bin));
	const char *const *bad[] = {
		(const char *const[]){ bin, NULL },
		(const char *const[]){ bin, "--socket", f.path, "--bogus", NULL },
		(const char *const[]){ bin, "--socket", f.path, "extra", NULL },
		(const char *const[]){ bin, "--socket", f.path, "--max-fds", "0", NULL },
		(const char *const[]){ bin, "--socket", f.path, "--max-fds", "x", NULL },
		(const char *const[]){ bin, "--socket", f.path, "--fd-conn", "1", NULL },
		(const char *const[]){ bin, "--socket", f.path, "--fd-listen", "1", NULL },
		(const char *const[]){ bin, "--socket", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = h_run(bad[i], NULL, H_TIMEOUT_MS, NULL, &err);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != 2)
			fail_msg("case %zu: exit %d: %s", i, WEXITSTATUS(st), err);
		assert_non_null(strstr(err, "memlog-fdholder: "));
		assert_non_null(strstr(err, "Try 'memlog-fdholder --help'"));
		free(err);
	}
	assert_false(exists(f.path));
	int st = h_run((const char *const[]){ bin, "--help", NULL }, NULL,
		       H_TIMEOUT_MS, &out, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(out, "--max-fds"));
	free(out);
	st = h_run((const char *const[]){ bin, "--version", NULL }, NULL,
		   H_TIMEOUT_MS, &out, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(strstr(out, "memlog-fdholder memlog "));
	free(out);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ten_thousand, teardown),
		cmocka_unit_test_teardown(test_drop, teardown),
		cmocka_unit_test_teardown(test_replace, teardown),
		cmocka_unit_test_teardown(test_max_fds, teardown),
		cmocka_unit_test_teardown(test_other_uid, teardown),
		cmocka_unit_test_teardown(test_stale_and_live, teardown),
		cmocka_unit_test_teardown(test_release, teardown),
		cmocka_unit_test_teardown(test_hello_names_session, teardown),
		cmocka_unit_test_teardown(test_signals, teardown),
		cmocka_unit_test_teardown(test_malformed, teardown),
		cmocka_unit_test_teardown(test_new_session_takes_over, teardown),
		cmocka_unit_test_teardown(test_spawn_errors, teardown),
		cmocka_unit_test_teardown(test_spawn_low_fds, teardown),
		cmocka_unit_test_teardown(test_usage, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
