/* Live upgrades (memlogd --upgrade, SIGUSR2): under load (100 writers, each
 * a line per ms: 100,000 lines/s asked, what the machine gives is printed),
 * with a v2 and a LinuxKit legacy follower connected, memlogd executes its
 * binary again over and over; every writer and every follower goes on as
 * if nothing happened: the same connections, no gap, no duplicate, the same
 * pid. An upgrade to a binary that does not take over is refused and
 * leaves the running memlogd as it was. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 100
/* At most this many lines per writer: with the 256 MiB ring (over 6 M
 * entries of this size) nothing is ever overwritten, however slow the
 * machine makes the upgrades. */
#define MAX_LINES 25000

/* Under a sanitizer everything is several times slower: the same test
 * with fewer writers and upgrades still finds memory errors in the
 * handover, and stays within the harness's time per test. */
static int upgrades_wanted(void)
{
	const char *e = getenv("MEMLOG_UPGRADES");
	return e ? atoi(e) : h_sanitized() ? 8 : 20;
}

/* memlogd --upgrade on m's sockets: its exit status. */
static int upgrade(const struct mld *m, const char *prog, char **err)
{
	const char *argv[] = { prog, "--socket-log", m->log, "--socket-query",
			       m->query, "--upgrade", NULL };
	return h_run(argv, NULL, 60000, NULL, err);
}

/* A follower on its own connection: what it received so far. */
struct follower {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static void follow_start(struct follower *f, const struct mld *m,
			 const void *req, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->fd = h_connect(m->query);
	h_write_all(f->fd, req, len);
	fcntl(f->fd, F_SETFL, O_NONBLOCK);
}

static void follow_read(struct follower *f)
{
	for (;;) {
		if (f->cap - f->len < 65536) {
			f->cap = f->cap ? 2 * f->cap : 1 << 20;
			f->buf = realloc(f->buf, f->cap);
			if (!f->buf)
				abort(); /* may run in the draining thread */
		}
		ssize_t n = read(f->fd, f->buf + f->len, f->cap - f->len);
		if (n > 0) {
			f->len += (size_t)n;
			continue;
		}
		if (n == 0)
			f->eof = true;
		return;
	}
}

/* Every "wI N" line of writer I appears once, in order, N = 1..per; the
 * rest (memlogd's notices) are ignored. For v2, the seqs also rise by one
 * from line to line (nothing skipped, nothing sent twice). */
static void check_follower(const struct follower *f, const int *per, bool v2)
{
	int next[WRITERS] = { 0 };
	long long last_seq = 0;
	const char *p = f->buf, *end = f->buf + f->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		json_error_t je;
		json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
		if (!o)
			fail_msg("not JSON: %.*s", (int)(nl - p), p);
		if (v2) {
			json_int_t seq = h_jint(o, "seq");
			if (last_seq && seq != last_seq + 1)
				fail_msg("seq %lld after %lld", (long long)seq,
					 last_seq);
			last_seq = seq;
		}
		const char *msg = h_jstr(o, "msg");
		int w, n;
		if (sscanf(msg, "w%d %d", &w, &n) == 2 && w >= 0 && w < WRITERS) {
			if (n != next[w] + 1)
				fail_msg("%s follower: writer %d: line %d after "
					 "%d", v2 ? "v2" : "legacy", w, n, next[w]);
			next[w] = n;
		}
		json_decref(o);
		p = nl + 1;
	}
	for (int w = 0; w < WRITERS; w++)
		if (next[w] != per[w])
			fail_msg("%s follower: writer %d: %d of %d lines",
				 v2 ? "v2" : "legacy", w, next[w], per[w]);
}

/* Both followers read all the time, as a real follower does, also while
 * an upgrade runs: read only between upgrades, they fell behind by the
 * whole ring on a slow machine (their socket buffers full while writers
 * went on), and memlogd rightly told them "lagged". */
struct drain {
	struct follower *f[2];
	volatile int stop;
};

static void *drain_run(void *arg)
{
	struct drain *d = arg;
	struct pollfd p[2] = { { .fd = d->f[0]->fd, .events = POLLIN },
			       { .fd = d->f[1]->fd, .events = POLLIN } };
	while (!d->stop) {
		if (poll(p, 2, 50) < 0 && errno != EINTR)
			abort();
		follow_read(d->f[0]);
		follow_read(d->f[1]);
	}
	return NULL;
}

static void test_upgrades_under_load(void **state)
{
	struct mld m = { 0 };
	/* Static: a failed check leaves the test while the drainer runs. */
	static struct follower v2, legacy;
	static struct drain dr;
	int w[WRITERS];
	pid_t writers[WRITERS];
	char prog[512];
	const int ups = upgrades_wanted();
	const int nw = h_sanitized() ? 20 : WRITERS;
	(void)state;

	h_prog(prog, sizeof(prog), "memlogd");
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--buffer-size", "256M", NULL },
	} });
	json_t *st = h_stats(&m);
	json_int_t pid = h_jint(st, "pid");
	json_decref(st);
	follow_start(&v2, &m, "dump-follow\n", 12);
	follow_start(&legacy, &m, "\2", 1);
	dr = (struct drain){ .f = { &v2, &legacy } };
	pthread_t drainer;
	assert_int_equal(pthread_create(&drainer, NULL, drain_run, &dr), 0);
	for (int i = 0; i < nw; i++) {
		char name[16];
		snprintf(name, sizeof(name), "w%d", i);
		w[i] = h_register_pipe(&m, name);
	}
	/* The writers: a line per ms each until told to stop (or at the
	 * cap); what each wrote is counted where the test sees it. */
	struct shared { volatile int stop; volatile int n[WRITERS]; } *sh =
		mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset((void *)sh, 0, sizeof(*sh));
	for (int i = 0; i < nw; i++) {
		writers[i] = fork();
		assert_true(writers[i] >= 0);
		if (writers[i] == 0) {
			signal(SIGPIPE, SIG_DFL);
			char line[64];
			for (int n = 1; !sh->stop && n <= MAX_LINES; n++) {
				int l = snprintf(line, sizeof(line), "w%d %d\n", i, n);
				if (write(w[i], line, (size_t)l) != l)
					_exit(3);
				sh->n[i] = n;
				usleep(1000);
			}
			_exit(0);
		}
		h_track_pid(writers[i]);
	}
	uint64_t t0 = h_now_ms();
	h_sleep_ms(200);
	for (int i = 0; i < ups; i++) {
		char *err = NULL;
		int rs = upgrade(&m, prog, &err);
		if (!WIFEXITED(rs) || WEXITSTATUS(rs) != 0)
			fail_msg("upgrade %d: status 0x%x: %s", i + 1, rs, err);
		free(err);
		h_sleep_ms((unsigned)(rand() % 100));
	}
	sh->stop = 1;
	int per[WRITERS] = { 0 };
	size_t want = 0;
	for (int i = 0; i < nw; i++) {
		assert_int_equal(h_wait_pid(writers[i], 60000), 0);
		h_untrack_pid(writers[i]);
		close(w[i]);
		per[i] = sh->n[i];
		want += (size_t)per[i];
	}
	uint64_t took = h_now_ms() - t0;
	munmap((void *)sh, sizeof(*sh));
	dr.stop = 1;
	assert_int_equal(pthread_join(drainer, NULL), 0);
	for (int i = 0; i < nw; i++) {
		char name[16];
		snprintf(name, sizeof(name), "w%d", i);
		h_wait_source_stat(&m, name, "stderr", "lines", per[i]);
	}
	/* Both followers catch up on their original connections. */
	uint64_t deadline = h_now_ms() + 60000;
	for (;;) {
		follow_read(&v2);
		follow_read(&legacy);
		assert_false(v2.eof);
		assert_false(legacy.eof);
		size_t a = 0, b = 0;
		for (size_t k = 0; k < v2.len; k++)
			a += v2.buf[k] == '\n';
		for (size_t k = 0; k < legacy.len; k++)
			b += legacy.buf[k] == '\n';
		if ((a >= want + (size_t)ups && b >= want + (size_t)ups) ||
		    h_now_ms() > deadline)
			break;
		h_sleep_ms(20);
	}
	check_follower(&v2, per, true);
	check_follower(&legacy, per, false);
	st = h_stats(&m);
	assert_int_equal(h_jint(st, "pid"), pid);
	assert_int_equal(h_jint(st, "upgrades"), ups);
	assert_int_equal(h_jint(st, "upgrades_failed"), 0);
	json_decref(st);
	print_message("# %d upgrades under %d writers (%.0f lines/s over %.1f s): "
		      "both followers got all %zu lines once, in order\n", ups,
		      nw, (double)want * 1000.0 / (double)(took ? took : 1),
		      (double)took / 1000.0, want);
	close(v2.fd);
	close(legacy.fd);
	free(v2.buf);
	free(legacy.buf);
	mld_stop(&m);
}

/* A follower with every kind of filter (source, stream, time, message):
 * after an upgrade it still gets only what it asked for. Before handover
 * version 2 the time, stream and message filters were lost, and the
 * follower got every entry. */
static void test_upgrade_keeps_filters(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	char prog[512], req[256], *err = NULL;
	(void)state;

	h_prog(prog, sizeof(prog), "memlogd");
	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "app");
	int o = h_register_pipe(&m, "app.out");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* stderr only, from now on, messages with "keep" in any case. */
	snprintf(req, sizeof(req), "dump-follow source=app* stream=stderr "
		 "since=%llu igrep=keep\n",
		 (unsigned long long)ts.tv_sec * 1000000000ull);
	h_conn_init(&c, h_query(&m, req));
	h_writef(w, "drop 1\nKEEP 1\n");
	h_writef(o, "keep but stdout 1\n");
	json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
	assert_string_equal(json_string_value(json_object_get(e, "msg")),
			    "KEEP 1");
	json_decref(e);

	int st = upgrade(&m, prog, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("upgrade: status 0x%x: %s", st, err);
	free(err);
	h_writef(w, "drop 2\n");
	h_writef(o, "keep but stdout 2\n");
	h_writef(w, "keep 2\n");
	e = h_conn_json(&c, H_TIMEOUT_MS);
	assert_string_equal(json_string_value(json_object_get(e, "msg")),
			    "keep 2");
	json_decref(e);
	h_conn_close(&c);
	close(w);
	close(o);
	mld_stop(&m);
}

/* As uid 65534, in a child: registers a pipe named name and writes line
 * into it. */
static void user_writes(const struct mld *m, const char *name, const char *line)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int p[2];
		if (setgid(65534) < 0 || setuid(65534) < 0 ||
		    pipe2(p, O_CLOEXEC) < 0 ||
		    h_register(m->log, name, strlen(name), &p[0], 1) < 0)
			_exit(10);
		close(p[0]);
		_exit(write(p[1], line, strlen(line)) == (ssize_t)strlen(line)
		      ? 0 : 11);
	}
	h_track_pid(pid);
	assert_int_equal(h_wait_pid(pid, H_TIMEOUT_MS), 0);
	h_untrack_pid(pid);
}

static void expect_msg(struct h_conn *c, const char *want)
{
	json_t *e = h_conn_json(c, H_TIMEOUT_MS);
	assert_non_null(e);
	const char *msg = h_jstr(e, "msg");
	if (strcmp(msg, want))
		fail_msg("got \"%s\", want \"%s\"", msg, want);
	json_decref(e);
}

/* A container's view (announced as memlog-runc announces one) and a
 * client of the main socket limited to its uid's sources: across a live
 * upgrade both followers keep their connections and get what comes after
 * it; across a restart and a crash the view's socket, reached through a
 * second link to its inode as the container's bind mount reaches it,
 * still answers, and both see their history from before. Before handover
 * version 3 both followers were closed at the upgrade; after a restart
 * the view's socket was a new inode the container never saw, and the
 * history from before it was nobody's. */
static void test_views_kept(void **state)
{
	struct mld m = { 0 };
	struct h_conn view, user;
	char prog[512], path[512], mounted[512], *err = NULL;
	(void)state;

	h_need_root("announcing a container and acting as uid 65534 need root");
	h_prog(prog, sizeof(prog), "memlogd");
	mld_start(&m, NULL);
	assert_int_equal(chmod(m.dir, 0711), 0);
	assert_int_equal(chmod(m.log, 0666), 0);
	assert_int_equal(chmod(m.query, 0666), 0);
	static const char ann[] = "vt\0container=memlog-vt\0ack=1";
	free(h_register_acked(m.log, ann, sizeof(ann) - 1, NULL, 0));
	snprintf(path, sizeof(path), "%s/views/memlog-vt.sock", m.dir);
	snprintf(mounted, sizeof(mounted), "%s/mounted.sock", m.dir);
	assert_int_equal(link(path, mounted), 0);
	int w = h_register_pipe(&m, "vt");
	h_conn_init(&view, h_connect(mounted));
	h_write_all(view.fd, "dump-follow\n", 12);
	/* SO_PEERCRED is the effective uid at connect(). */
	assert_int_equal(seteuid(65534), 0);
	int ufd = h_connect_try(m.query);
	assert_int_equal(seteuid(0), 0);
	assert_true(ufd >= 0);
	h_conn_init(&user, ufd);
	h_write_all(user.fd, "dump-follow\n", 12);
	h_writef(w, "view-line 1\n");
	user_writes(&m, "u1", "user-line 1\n");
	expect_msg(&view, "view-line 1");
	expect_msg(&user, "user-line 1");

	int st = upgrade(&m, prog, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("upgrade: status 0x%x: %s", st, err);
	free(err);
	h_writef(w, "view-line 2\n");
	user_writes(&m, "u2", "user-line 2\n");
	expect_msg(&view, "view-line 2");
	expect_msg(&user, "user-line 2");
	h_conn_close(&view);
	h_conn_close(&user);
	close(w);

	/* A restart (SIGTERM, the holder keeps everything), then a crash:
	 * the container's link to the socket still reaches the view. */
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			m.keep_sockets = true;
			mld_stop_keep(&m);
			m.keep_sockets = false;
		} else {
			mld_kill9(&m);
		}
		mld_start(&m, NULL);
		int fd = h_connect_try(mounted);
		if (fd < 0)
			fail_msg("the view's socket after a %s: %s",
				 round ? "crash" : "restart", strerror(-fd));
		h_write_all(fd, "dump\n", 5);
		size_t len;
		char *out = h_read_all_close(fd, H_TIMEOUT_MS, &len);
		if (!memmem(out, len, "view-line 1", 11) ||
		    !memmem(out, len, "view-line 2", 11))
			fail_msg("the view after a %s: %.*s",
				 round ? "crash" : "restart", (int)len, out);
		free(out);
		/* The user's own history, from before the restart too. */
		assert_int_equal(seteuid(65534), 0);
		fd = h_connect_try(m.query);
		assert_int_equal(seteuid(0), 0);
		assert_true(fd >= 0);
		h_write_all(fd, "dump\n", 5);
		out = h_read_all_close(fd, H_TIMEOUT_MS, &len);
		if (!memmem(out, len, "user-line 1", 11) ||
		    !memmem(out, len, "user-line 2", 11) ||
		    memmem(out, len, "view-line", 9))
			fail_msg("uid 65534 after a %s: %.*s",
				 round ? "crash" : "restart", (int)len, out);
		free(out);
	}
	unlink(mounted);
	mld_stop(&m);
}

static void copy_file(const char *from, const char *to)
{
	char *cmd;
	assert_true(asprintf(&cmd, "cp '%s' '%s.new' && mv '%s.new' '%s'", from,
			     to, to, to) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* The file memlogd was started from is replaced by a binary that does not
 * take over (it exits at once): the upgrade is refused, memlogd serves on
 * as it was. With the real binary back, the upgrade goes through. */
static void test_refused_upgrade(void **state)
{
	struct mld m = { 0 };
	char prog[512], bin[256], holder[256], hbin[512];
	(void)state;

	h_prog(prog, sizeof(prog), "memlogd");
	h_prog(hbin, sizeof(hbin), "memlog-fdholder");
	mld_init(&m);
	snprintf(bin, sizeof(bin), "%s/memlogd", m.dir);
	snprintf(holder, sizeof(holder), "%s/memlog-fdholder", m.dir);
	copy_file(prog, bin);
	copy_file(hbin, holder);
	const char *argv[] = { bin, "--socket-log", m.log, "--socket-query",
			       m.query, NULL };
	m.pid = h_spawn(argv, m.errfile, true);
	mld_wait_ready(&m);
	int w = h_register_pipe(&m, "app");
	h_writef(w, "before\n");
	h_wait_source_stat(&m, "app", "stderr", "lines", 1);

	unlink(bin);
	h_write_file(bin, "#!/bin/sh\nexit 0\n", 0755);
	char *err = NULL;
	int st = upgrade(&m, prog, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		fail_msg("upgrade to a binary that exits: status 0x%x, want 1: %s",
			 st, err);
	free(err);
	json_t *s = h_stats(&m);
	assert_int_equal(h_jint(s, "upgrades"), 0);
	assert_int_equal(h_jint(s, "upgrades_failed"), 1);
	assert_int_equal(h_jint(s, "pid"), m.pid);
	json_decref(s);
	json_t *nt = h_find_notice(&m, "upgrade refused", NULL);
	assert_non_null(nt);
	json_decref(nt);
	h_writef(w, "after refusal\n");
	h_wait_source_stat(&m, "app", "stderr", "lines", 2);

	/* A binary that is not there at all. */
	unlink(bin);
	st = upgrade(&m, prog, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);

	copy_file(prog, bin);
	st = upgrade(&m, prog, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_writef(w, "after upgrade\n");
	h_wait_source_stat(&m, "app", "stderr", "lines", 3);
	s = h_stats(&m);
	assert_int_equal(h_jint(s, "upgrades"), 1);
	assert_int_equal(h_jint(s, "pid"), m.pid);
	json_decref(s);
	close(w);
	mld_stop(&m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_upgrades_under_load, h_teardown),
		cmocka_unit_test_teardown(test_upgrade_keeps_filters,
					  h_teardown),
		cmocka_unit_test_teardown(test_refused_upgrade, h_teardown),
		cmocka_unit_test_teardown(test_views_kept, h_teardown),
	};
	return h_run_tests("itest_upgrade", tests, NULL, NULL);
}
