/* --fd-store against the real memlogd and a service manager of the test's
 * own (the notify socket systemd would serve, and LISTEN_FDS/LISTEN_FDNAMES
 * on restart): memlogd is SIGKILLed while a tee'd source is being written,
 * the writer never sees a broken pipe, and the restarted memlogd reads on
 * where the first stopped, copying on to the same destination. */
#include "harness.h"
#include "fdmgr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* mgr_wait_stored: exactly want fds held, within H_TIMEOUT_MS. */
#define mgr_wait_stored(g, want) assert_true(fdmgr_wait_held((g), (want)))

/* Reads exactly len bytes from fd (or fails). */
static void read_exact(int fd, char *buf, size_t len)
{
	size_t got = 0;
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(end > h_now_ms() ? end - h_now_ms() : 0);
		if (left == 0 || poll(&p, 1, left) <= 0)
			fail_msg("only %zu of %zu bytes arrived", got, len);
		ssize_t n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

static size_t numbered(char *buf, size_t cap, const char *prefix, int from,
		       int to)
{
	size_t n = 0;

	for (int i = from; i <= to; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s %d\n", prefix, i);
	return n;
}

/* memlogd said a notice containing text. */
static bool noticed(struct mld *m, const char *text)
{
	json_t *a = h_dump(m, "dump source=memlogd\n");
	bool said = false;

	for (size_t i = 0; i < json_array_size(a); i++)
		said |= strstr(h_jstr(json_array_get(a, i), "msg"), text) != NULL;
	json_decref(a);
	return said;
}

/* Every name the manager holds is one of memlog's keys. */
static bool all_keyed(const struct fdmgr *g)
{
	for (int i = 0; i < g->n; i++)
		if (strncmp(g->names[i], "memlog.k.", 9) != 0)
			return false;
	return true;
}

/* The entries of source name in the ring: their messages, in order. */
static size_t messages(struct mld *m, const char *name, char *out, size_t cap)
{
	char req[128];
	size_t o = 0;

	snprintf(req, sizeof(req), "dump source=%s\n", name);
	json_t *a = h_dump(m, req);
	for (size_t i = 0; i < json_array_size(a); i++)
		o += (size_t)snprintf(out + o, cap - o, "%s\n",
				      h_jstr(json_array_get(a, i), "msg"));
	json_decref(a);
	return o;
}

/* memlogd SIGKILLed under a service manager: the writers see no EPIPE,
 * and the next memlogd, started with what the manager kept, goes on with
 * the same ring (every entry, the same instance), the same sources and
 * the same sockets. */
static void test_sigkill_and_take_back(void **state)
{
	struct mld m = { 0 };
	struct fdmgr g;
	int src[2], dst[2], plain[2];
	char env[200], names[2048];
	static char want[1 << 16], got[1 << 16], all[1 << 17];
	(void)state;

	mld_init(&m);
	fdmgr_init(&g, m.dir);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", g.path);
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--fd-store", NULL },
		.env = (const char *const[]){ env, NULL },
	} });

	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	assert_int_equal(pipe2(plain, O_CLOEXEC), 0);
	int tfds[2] = { src[0], dst[1] };
	assert_int_equal(h_register(m.log, "c1.out\0tee=1", 12, tfds, 2), 0);
	assert_int_equal(h_register(m.log, "c2", 2, &plain[0], 1), 0);
	close(src[0]);
	close(dst[1]);
	close(plain[0]);
	/* The ring, the state, the bounce pipe's two ends, the two sockets,
	 * the uid-since memfd (uidsince.h), c1 and its destination, c2. */
	mgr_wait_stored(&g, 10);
	assert_int_equal(g.n, 10);
	assert_true(all_keyed(&g));

	size_t n = numbered(want, sizeof(want), "a", 1, 100);
	h_write_all(src[1], want, n);
	read_exact(dst[0], got, n);
	assert_memory_equal(got, want, n);
	h_wait_source_stat(&m, "c1.out", "stdout", "lines", 100);
	json_t *st = h_stats(&m);
	char instance[40];
	snprintf(instance, sizeof(instance), "%s", h_jstr(st, "instance"));
	json_decref(st);

	/* memlogd dies; the writers go on: no EPIPE, the pipe holds it. */
	mld_kill9(&m);
	n = numbered(want + n, sizeof(want) - n, "b", 1, 100);
	h_write_all(src[1], want + strlen(want) - n, n);
	h_writef(plain[1], "while down\n");

	/* The manager starts it again with what it stored, with the same
	 * command line (the same socket paths: they are the kept sockets). */
	struct h_fdmap map[FDMGR_MAX];
	size_t o = 0;
	for (int i = 0; i < g.n; i++) {
		map[i] = (struct h_fdmap){ .from = g.fds[i], .to = 3 + i };
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
				      i ? ":" : "", g.names[i]);
	}
	char fdnames[2100];
	snprintf(fdnames, sizeof(fdnames), "LISTEN_FDNAMES=%s", names);
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--fd-store", NULL },
		.env = (const char *const[]){ env, fdnames, NULL },
		.fds = map, .nfds = g.n, .listen_fds = true,
	} });
	read_exact(dst[0], got, n);
	assert_memory_equal(got, want + strlen(want) - n, n);
	/* One ring: before and after, exactly once, in order. */
	h_wait_source_stat(&m, "c1.out", "stdout", "lines", 200);
	h_wait_source_stat(&m, "c2", "stderr", "lines", 1);
	size_t al = messages(&m, "c1.out", all, sizeof(all));
	assert_int_equal(al, strlen(want));
	assert_memory_equal(all, want, al);
	st = h_stats(&m);
	assert_string_equal(h_jstr(st, "instance"), instance);
	json_decref(st);
	assert_true(noticed(&m, "took back 2 sources"));
	/* Taken back, not stored again. */
	assert_false(fdmgr_poll(&g, 200) && g.n != 10);

	/* c1's writer ends: both of its fds leave the store. */
	close(src[1]);
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS; g.n != 8 &&
	     h_now_ms() < end;)
		fdmgr_poll(&g, 50);
	assert_int_equal(g.n, 8);
	/* EOF on the destination once memlogd and the manager let go. */
	char c;
	assert_int_equal(read(dst[0], &c, 1), 0);

	/* A clean stop keeps c2 (and the rest) stored for the next memlogd,
	 * and the socket files for the kept sockets. */
	m.keep_sockets = true;
	int stw = mld_signal_wait(&m, SIGTERM);
	assert_true(WIFEXITED(stw) && WEXITSTATUS(stw) == 0);
	assert_false(fdmgr_poll(&g, 300) && g.n != 8);
	assert_int_equal(g.n, 8);
	/* Its writer still has a reader: the manager's copy. */
	h_writef(plain[1], "after stop\n");

	close(plain[1]);
	close(dst[0]);
	assert_int_equal(g.odd, 0);
	fdmgr_free(&g);
	mld_cleanup(&m);
}

/* What a restarted memlogd cannot use is taken out of the store and
 * closed: a name that is not one of ours, a destination without its
 * source. A source memlog 0.1 stored under its name is taken back, and
 * stored again under its key. */
static void test_bad_store_entries(void **state)
{
	struct mld m = { 0 };
	struct fdmgr g;
	int bogus[2], lone[2], ok[2];
	char env[200];
	(void)state;

	mld_init(&m);
	fdmgr_init(&g, m.dir);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", g.path);
	assert_int_equal(pipe2(bogus, O_CLOEXEC), 0);
	assert_int_equal(pipe2(lone, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ok, O_CLOEXEC), 0);
	struct h_fdmap map[3] = {
		{ .from = bogus[0], .to = 3 },
		{ .from = lone[1], .to = 4 },
		{ .from = ok[0], .to = 5 },
	};
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--fd-store", NULL },
		.env = (const char *const[]){ env,
			"LISTEN_FDNAMES=memlog.bogus:memlog.9.d:memlog.5.s.2.ok",
			NULL },
		.fds = map, .nfds = 3, .listen_fds = true,
	} });
	close(bogus[0]);
	close(lone[1]);
	close(ok[0]);
	assert_true(fdmgr_was_removed(&g, "memlog.bogus", H_TIMEOUT_MS));
	assert_true(fdmgr_was_removed(&g, "memlog.9.d", H_TIMEOUT_MS));
	assert_true(fdmgr_was_removed(&g, "memlog.5.s.2.ok", H_TIMEOUT_MS));
	/* memlogd closed them: the other ends see it. */
	char c;
	assert_int_equal(read(lone[0], &c, 1), 0);
	assert_int_equal(write(bogus[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	/* The good one is a source again, under its name and stream. */
	h_writef(ok[1], "still here\n");
	h_wait_source_stat(&m, "ok", "stderr", "lines", 1);
	/* Stored under keys now: ring, state, bounce pipe, sockets, the
	 * uid-since memfd, ok. */
	mgr_wait_stored(&g, 8);
	assert_true(all_keyed(&g));

	/* A name of any length is kept (names are not in fd store names). */
	char name[301];
	memset(name, 'n', 300);
	name[300] = '\0';
	int lw = h_register_pipe(&m, name);
	h_writef(lw, "long\n");
	h_wait_source_stat(&m, name, "stderr", "lines", 1);
	mgr_wait_stored(&g, 9);

	close(lw);
	close(ok[1]);
	close(bogus[1]);
	close(lone[0]);
	/* Stopped with a keeper: the kept sockets' files stay. */
	m.keep_sockets = true;
	int st = mld_signal_wait(&m, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(g.odd, 0);
	fdmgr_free(&g);
	mld_cleanup(&m);
}

/* Without a service manager --fd-store costs nothing and breaks nothing. */
static void test_without_manager(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--fd-store", NULL },
	} });
	int w = h_register_pipe(&m, "x");
	h_writef(w, "one\n");
	h_wait_source_stat(&m, "x", "stderr", "lines", 1);
	close(w);
	h_wait_stat(&m, "registrations.sources_open", 0);
	mld_stop(&m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sigkill_and_take_back, h_teardown),
		cmocka_unit_test_teardown(test_bad_store_entries, h_teardown),
		cmocka_unit_test_teardown(test_without_manager, h_teardown),
	};
	return h_run_tests("itest_fdstore", tests, NULL, NULL);
}
