/* Bad registrations against the real memlogd: every one is answered
 * without a crash and without leaking a file descriptor, counted where
 * stats says so, and the daemon keeps serving. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The daemon still registers, stores and serves. */
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
	h_wait_source_stat(m, name, NULL, "fds", 0);
}

static void test_no_fd(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	int base = h_fd_count(m.pid);
	assert_int_equal(h_register(m.log, "x", 1, NULL, 0), 0);
	assert_int_equal(h_register(m.log, "", 0, NULL, 0), 0);
	assert_int_equal(h_register(m.log, "y\0stream=stdout", 15, NULL, 0), 0);
	h_wait_stat(&m, "registrations.without_fd", 3);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 0);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 0);
	json_decref(st);
	assert_int_equal(h_fd_count(m.pid), base);
	check_serves(&m, "after");
	mld_stop(&m);
}

/* Registers a pipe under a name of len bytes of c; returns the write end,
 * or -1 if the datagram is too large to send. */
static int register_long(const struct mld *m, char c, size_t len)
{
	char *name = malloc(len);
	int p[2];

	memset(name, c, len);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int r = h_register(m->log, name, len, &p[0], 1);
	free(name);
	close(p[0]);
	if (r == -EMSGSIZE || r == -ENOBUFS) {
		close(p[1]);
		return -1;
	}
	if (r < 0)
		fail_msg("register: %s", strerror(-r));
	return p[1];
}

static void test_long_names(void **state)
{
	struct mld m = { 0 };
	char name512[513];
	(void)state;

	mld_start(&m, NULL);
	/* The largest datagram that sends, from 100 KiB down. */
	int w1 = -1;
	size_t len;
	for (len = 100 << 10; len >= 8 << 10 && w1 < 0; len -= 4 << 10)
		w1 = register_long(&m, 'a', len);
	assert_true(w1 >= 0);
	print_message("# a name of %zu bytes was sent\n", len + (4 << 10));
	int w2 = register_long(&m, 'b', 600);
	int w3 = register_long(&m, 'c', 512); /* exactly the limit */
	assert_true(w2 >= 0 && w3 >= 0);
	h_writef(w1, "one\n");
	h_writef(w2, "two\n");
	h_writef(w3, "three\n");
	for (int i = 0; i < 3; i++) {
		memset(name512, "abc"[i], 512);
		name512[512] = '\0';
		h_wait_source_stat(&m, name512, "stderr", "lines", 1);
	}
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.names_truncated"), 2);
	assert_int_equal(h_jint(st, "registrations.accepted"), 3);
	json_t *s = h_stats_source(st, name512, "stderr");
	assert_int_equal(strlen(h_jstr(s, "name")), 512);
	json_decref(st);
	close(w1);
	close(w2);
	close(w3);
	check_serves(&m, "after");
	mld_stop(&m);
}

static void test_20_fds(void **state)
{
	struct mld m = { 0 };
	int p[20][2], rd[20];
	(void)state;

	mld_start(&m, NULL);
	int base = h_fd_count(m.pid);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(pipe2(p[i], O_CLOEXEC), 0);
		rd[i] = p[i][0];
	}
	assert_int_equal(h_register(m.log, "many", 4, rd, 20), 0);
	for (int i = 0; i < 20; i++)
		close(p[i][0]);
	h_wait_stat(&m, "registrations.refused", 12);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 8);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 8);
	assert_int_equal(h_jint(h_stats_source(st, "many", "stderr"), "fds"), 8);
	json_decref(st);
	assert_int_equal(h_fd_count(m.pid), base + 8);
	/* The first 8 are read; the other 12 were closed by the daemon, so
	 * writing to them fails with EPIPE. */
	for (int i = 0; i < 20; i++) {
		ssize_t n = write(p[i][1], "x\n", 2);
		if (i < 8)
			assert_int_equal(n, 2);
		else if (!(n < 0 && errno == EPIPE))
			fail_msg("refused fd %d is still open in memlogd", i);
	}
	h_wait_source_stat(&m, "many", "stderr", "lines", 8);
	/* One notice says how many were refused. */
	json_t *a = h_dump(&m, "dump source=memlogd\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"),
			    "registration of many: 12 file descriptors refused "
			    "(at most 8 per datagram)");
	json_decref(a);
	for (int i = 0; i < 20; i++)
		close(p[i][1]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	h_wait_fd_count(m.pid, base, H_TIMEOUT_MS);
	mld_stop(&m);
}

static void test_garbage_attributes(void **state)
{
	struct mld m = { 0 };
	char buf[4096];
	(void)state;

	mld_start(&m, NULL);
	int w[8];
	w[0] = h_register_pipe_raw(&m, "g1\0noequals", 11);
	w[1] = h_register_pipe_raw(&m, "g2\0stream=banana", 16);
	size_t n = (size_t)sprintf(buf, "g3");
	for (int i = 0; i < 50; i++)
		n += (size_t)sprintf(buf + n, "%ck%d=v%d", '\0', i, i);
	w[2] = h_register_pipe_raw(&m, buf, n);
	w[3] = h_register_pipe_raw(&m, "g5.out\0=novalue", 15);
	w[4] = h_register_pipe_raw(&m, "g6\0stream=stdout\0\0\0", 19);
	const char *names[] = { "g1", "g2", "g3", "g5.out", "g6" };
	const char *streams[] = { "stderr", "stderr", "stderr", "stdout", "stdout" };
	for (int i = 0; i < 5; i++)
		h_writef(w[i], "data-%s\n", names[i]);
	for (int i = 0; i < 5; i++)
		h_wait_source_stat(&m, names[i], streams[i], "lines", 1);
	json_t *st = h_stats(&m);
	/* 1 + 1 + (50 - 16 kept) + 1; the empty segments are harmless. */
	assert_int_equal(h_jint(st, "registrations.bad_attributes"), 37);
	json_decref(st);

	/* Random bytes with NULs after a name, and random bytes as a whole. */
	uint32_t x = 1;
	memcpy(buf, "g4", 3);
	for (int i = 3; i < 300; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (x >> 16) % 5 == 0 ? '\0' : (char)(x >> 8);
	}
	w[5] = h_register_pipe_raw(&m, buf, 300);
	h_writef(w[5], "data-g4\n");
	h_wait_source_stat(&m, "g4", NULL, "lines", 1);
	for (int i = 0; i < 300; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (x >> 16) % 7 == 0 ? '\0' : (char)(x >> 8);
	}
	w[6] = h_register_pipe_raw(&m, buf, 300);
	h_writef(w[6], "data-random\n");
	h_wait_stat(&m, "ring.entries", 7);
	st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 7);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 7);
	json_decref(st);
	json_t *a = h_dump(&m, "dump last=1\n");
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "data-random");
	json_decref(a);
	for (int i = 0; i < 7; i++)
		close(w[i]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	check_serves(&m, "after");
	mld_stop(&m);
}

/* Registers fd (which the test keeps or closes as told) and expects the
 * daemon to refuse it or close it within 2 s, without crashing, while
 * the test still holds whatever is on the other side. */
static void check_bad_fd(const char *what, int fd, int keep_fd)
{
	struct mld m = { 0 };

	mld_start(&m, NULL);
	int base = h_fd_count(m.pid);
	assert_int_equal(h_register(m.log, "bad", 3, &fd, 1), 0);
	close(fd);
	h_barrier(&m);
	uint64_t deadline = h_now_ms() + 2000;
	int n;
	while ((n = h_fd_count(m.pid)) != base) {
		if (h_now_ms() > deadline) {
			json_t *st = h_stats(&m);
			char *d = json_dumps(h_jget(st, "registrations"), JSON_COMPACT);
			print_message("# registrations: %s\n", d);
			free(d);
			json_decref(st);
			fail_msg("%s: memlogd still holds it after 2 s (%d fds, %d "
				 "before): it should be refused or closed", what, n,
				 base);
		}
		h_sleep_ms(5);
	}
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 0);
	json_decref(st);
	check_serves(&m, "after");
	if (keep_fd >= 0)
		close(keep_fd);
	mld_stop(&m);
}

static void test_write_only_pipe_end(void **state)
{
	int p[2];
	(void)state;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	check_bad_fd("the write end of a pipe", p[1], p[0]);
}

static void test_directory_fd(void **state)
{
	(void)state;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	check_bad_fd("a directory", fd, -1);
}

static void test_eventfd(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0);
	check_bad_fd("an eventfd", fd, -1);
}

static void test_listening_socket(void **state)
{
	(void)state;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(fd >= 0);
	/* Autobind to an abstract name, then listen. */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
	assert_int_equal(listen(fd, 4), 0);
	check_bad_fd("a listening socket", fd, -1);
}

/* The sender keeps its own copy of the fd it passed (as a supervisor
 * holding the pipe might): when the stream ends, memlogd must take the
 * source out of epoll itself, since close() alone would not, and a stale
 * entry would deliver events for a freed source. */
static void test_sender_keeps_fd(void **state)
{
	struct mld m = { 0 };
	int p[2];
	(void)state;

	mld_start(&m, NULL);
	for (int round = 0; round < 3; round++) {
		char name[32];
		snprintf(name, sizeof(name), "kept%d", round);
		assert_int_equal(pipe(p), 0);
		assert_int_equal(h_register(m.log, name, strlen(name), &p[0], 1), 0);
		h_writef(p[1], "line %d\n", round);
		h_wait_source_stat(&m, name, NULL, "lines", 1);
		close(p[1]); /* EOF for memlogd; we still hold p[0] */
		h_wait_source_stat(&m, name, NULL, "fds", 0);
		/* Still alive and serving after the stream ended. */
		json_t *st = h_stats(&m);
		assert_int_equal(h_jint(st, "registrations.sources_open"), 0);
		json_decref(st);
		close(p[0]);
	}
	mld_stop(&m);
}

static void test_500_cycles(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	int base = h_fd_count(m.pid);
	for (int i = 0; i < 500; i++) {
		int w = h_register_pipe(&m, "cyc");
		h_writef(w, "c%d\n", i);
		close(w);
	}
	h_wait_source_stat(&m, "cyc", "stderr", "lines", 500);
	h_wait_stat(&m, "registrations.sources_open", 0);
	h_wait_fd_count(m.pid, base, H_TIMEOUT_MS);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 500);
	assert_int_equal(h_jint(h_stats_source(st, "cyc", "stderr"), "fds"), 0);
	json_decref(st);
	check_serves(&m, "after");
	mld_stop(&m);
}

/* Soft and hard RLIMIT_NOFILE 64: memlogd caps its sources below it and
 * refuses the rest, each counted. */
static void test_low_nofile_limit(void **state)
{
	struct mld m = { 0 };
	int w[100];
	(void)state;

	struct mld_opts o = { .nofile = 64 };
	mld_start(&m, &o);
	for (int i = 0; i < 100; i++) {
		char name[16];
		int p[2];
		snprintf(name, sizeof(name), "ex%d", i);
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		assert_int_equal(h_register(m.log, name, strlen(name), &p[0], 1), 0);
		close(p[0]);
		w[i] = p[1];
	}
	json_t *st = NULL;
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		st = h_stats(&m);
		if (h_jint(st, "registrations.accepted") +
		    h_jint(st, "registrations.refused") +
		    h_jint(st, "registrations.fds_lost") >= 100)
			break;
		json_decref(st);
		if (h_now_ms() > deadline)
			fail_msg("not every registration was handled");
		h_sleep_ms(5);
	}
	json_int_t accepted = h_jint(st, "registrations.accepted");
	json_int_t refused = h_jint(st, "registrations.refused");
	print_message("# accepted %lld, refused %lld, lost %lld, max_sources %lld\n",
		      (long long)accepted, (long long)refused,
		      (long long)h_jint(st, "registrations.fds_lost"),
		      (long long)h_jint(st, "registrations.max_sources"));
	assert_true(refused + h_jint(st, "registrations.fds_lost") > 0);
	assert_true(accepted > 0);
	assert_int_equal(h_jint(st, "registrations.sources_open"), accepted);
	json_decref(st);
	/* Accepted pipes are read; refused ones were closed (EPIPE). */
	int ok = 0;
	for (int i = 0; i < 100; i++) {
		char line[32];
		int l = snprintf(line, sizeof(line), "line of ex%d\n", i);
		ssize_t n = write(w[i], line, (size_t)l);
		if (n == l)
			ok++;
		else if (!(n < 0 && errno == EPIPE))
			fail_msg("write: %s", strerror(errno));
	}
	assert_int_equal(ok, accepted);
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "ex%d", i);
		if (i < ok)
			h_wait_source_stat(&m, name, "stderr", "lines", 1);
		close(w[i]);
	}
	h_wait_stat(&m, "registrations.sources_open", 0);
	check_serves(&m, "after");
	mld_stop(&m);
}

/* The same limit with --max-sources above it: the kernel cannot hand the
 * daemon the fds (MSG_CTRUNC). It must count them, keep running, and
 * answer again once fds free up. */
static void test_fd_exhaustion(void **state)
{
	struct mld m = { 0 };
	int w[100];
	(void)state;

	const char *args[] = { "--max-sources", "1000", NULL };
	struct mld_opts o = { .args = args, .nofile = 64 };
	mld_start(&m, &o);
	for (int i = 0; i < 100; i++) {
		char name[16];
		int p[2];
		snprintf(name, sizeof(name), "ex%d", i);
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		assert_int_equal(h_register(m.log, name, strlen(name), &p[0], 1), 0);
		close(p[0]);
		w[i] = p[1];
	}
	/* The first ten surely got in: ending them frees ten fds. */
	for (int i = 0; i < 10; i++) {
		h_writef(w[i], "line of ex%d\n", i);
		close(w[i]);
	}
	json_t *st = NULL;
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	int tries = 0;
	while (!(st = h_stats_try(&m))) {
		tries++;
		if (h_now_ms() > deadline)
			fail_msg("memlogd does not answer stats after fds were freed");
		h_sleep_ms(5);
	}
	json_int_t accepted = h_jint(st, "registrations.accepted");
	json_int_t lost = h_jint(st, "registrations.fds_lost");
	json_int_t refused = h_jint(st, "registrations.refused");
	print_message("# accepted %lld, lost %lld, refused %lld (stats refused "
		      "%d times)\n", (long long)accepted, (long long)lost,
		      (long long)refused, tries);
	assert_true(lost > 0);
	assert_int_equal(accepted + lost + refused, 100);
	/* Every datagram carried an fd: none is "without fd". */
	json_int_t without_fd = h_jint(st, "registrations.without_fd");
	json_decref(st);
	int ok = 10;
	for (int i = 10; i < 100; i++) {
		char line[32];
		int l = snprintf(line, sizeof(line), "line of ex%d\n", i);
		ssize_t n = write(w[i], line, (size_t)l);
		if (n == l)
			ok++;
		else if (!(n < 0 && errno == EPIPE))
			fail_msg("write: %s", strerror(errno));
	}
	assert_int_equal(ok, accepted);
	for (int i = 0; i < ok; i++) {
		char name[16];
		snprintf(name, sizeof(name), "ex%d", i);
		h_wait_source_stat(&m, name, "stderr", "lines", 1);
	}
	for (int i = 10; i < 100; i++)
		close(w[i]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	check_serves(&m, "after");
	mld_stop(&m);
	if (without_fd != 0)
		fail_msg("registrations.without_fd is %lld: datagrams whose fds "
			 "the kernel dropped were also counted as sent without "
			 "an fd", (long long)without_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_fd, h_teardown),
		cmocka_unit_test_teardown(test_long_names, h_teardown),
		cmocka_unit_test_teardown(test_20_fds, h_teardown),
		cmocka_unit_test_teardown(test_garbage_attributes, h_teardown),
		cmocka_unit_test_teardown(test_write_only_pipe_end, h_teardown),
		cmocka_unit_test_teardown(test_directory_fd, h_teardown),
		cmocka_unit_test_teardown(test_eventfd, h_teardown),
		cmocka_unit_test_teardown(test_listening_socket, h_teardown),
		cmocka_unit_test_teardown(test_500_cycles, h_teardown),
		cmocka_unit_test_teardown(test_sender_keeps_fd, h_teardown),
		cmocka_unit_test_teardown(test_low_nofile_limit, h_teardown),
		cmocka_unit_test_teardown(test_fd_exhaustion, h_teardown),
	};
	return h_run_tests("itest_badreg", tests, NULL, NULL);
}
