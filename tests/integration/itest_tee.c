/* The tee registration (tee=1: a source and where its bytes go on to)
 * against the real memlogd: every byte reaches both memlogd and the
 * destination, in order; a stalled destination stalls only its own writer;
 * a destination that goes away stops the copy, not the capture; bad tee
 * registrations are refused whole without leaking an fd. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char tee_attr[] = "\0tee=1";

/* Registers a tee under name: returns the write end of the source pipe;
 * *dest_r gets the read end of the destination pipe. The test's copies of
 * the other ends are closed, so EOF on *dest_r means memlogd closed its. */
static int register_tee(const struct mld *m, const char *name, int *dest_r)
{
	int src[2], dst[2];
	char payload[600];
	size_t nl = strlen(name);

	assert_true(nl + sizeof(tee_attr) <= sizeof(payload));
	memcpy(payload, name, nl);
	memcpy(payload + nl, tee_attr, sizeof(tee_attr) - 1);
	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	int fds[2] = { src[0], dst[1] };
	assert_int_equal(h_register(m->log, payload, nl + sizeof(tee_attr) - 1,
				    fds, 2), 0);
	close(src[0]);
	close(dst[1]);
	*dest_r = dst[0];
	return src[1];
}

/* Reads fd to EOF (within timeout_ms). */
static char *read_to_eof(int fd, int timeout_ms, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	assert_non_null(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(end > h_now_ms() ? end - h_now_ms() : 0);
		if (poll(&p, 1, left) == 0)
			fail_msg("no EOF on the destination within %d ms", timeout_ms);
		if (n + 4096 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void test_copy_and_capture(void **state)
{
	struct mld m = { 0 };
	int dest;
	(void)state;

	mld_start(&m, NULL);
	int w = register_tee(&m, "c1.out", &dest);
	const char text[] = "one\ntwo\n\xe2\x82\xac three\nno newline";
	h_write_all(w, text, sizeof(text) - 1);
	close(w);
	size_t len;
	char *got = read_to_eof(dest, H_TIMEOUT_MS, &len);
	close(dest);
	/* Byte for byte, the unfinished last line included. */
	assert_int_equal(len, sizeof(text) - 1);
	assert_memory_equal(got, text, len);
	free(got);

	json_t *a = h_dump(&m, "dump source=c1.out\n");
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "one");
	assert_string_equal(h_jstr(json_array_get(a, 2), "msg"), "\xe2\x82\xac three");
	assert_string_equal(h_jstr(json_array_get(a, 3), "msg"), "no newline");
	assert_string_equal(h_jstr(json_array_get(a, 0), "stream"), "stdout");
	json_decref(a);
	assert_int_equal(h_source_stat(&m, "c1.out", "stdout", "copied"),
			 (json_int_t)(sizeof(text) - 1));
	h_wait_stat(&m, "registrations.tees_open", 0);
	mld_stop(&m);
}

/* The destination keeps the sender's open file untouched: memlogd writes
 * through its own non-blocking open of the pipe. */
static void test_sender_flags_untouched(void **state)
{
	struct mld m = { 0 };
	int src[2], dst[2];
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	int fds[2] = { src[0], dst[1] };
	assert_int_equal(h_register(m.log, "keep\0tee=1", 10, fds, 2), 0);
	h_wait_stat(&m, "registrations.tees_open", 1);
	assert_int_equal(fcntl(dst[1], F_GETFL) & O_NONBLOCK, 0);
	h_writef(src[1], "x\n");
	char c[2];
	assert_int_equal(read(dst[0], c, 2), 2);
	assert_memory_equal(c, "x\n", 2);
	close(src[0]);
	close(src[1]);
	close(dst[1]);
	close(dst[0]);
	h_wait_stat(&m, "registrations.tees_open", 0);
	mld_stop(&m);
}

/* A child writes n numbered lines to fd with blocking writes, then exits. */
static pid_t numbered_writer(int fd, int n, const char *prefix)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[1 << 14];
		size_t len = 0;
		for (int i = 0; i < n; i++) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s %d\n", prefix, i);
			if (len > sizeof(buf) - 64 || i == n - 1) {
				size_t off = 0;
				while (off < len) {
					ssize_t r = write(fd, buf + off, len - off);
					if (r < 0 && errno == EINTR)
						continue;
					if (r < 0)
						_exit(3);
					off += (size_t)r;
				}
				len = 0;
			}
		}
		_exit(0);
	}
	h_track_pid(pid);
	return pid;
}

/* Every line "P i" for i in [0, n) in order, nothing else. */
static void check_numbered(const char *text, size_t len, const char *prefix,
			   int n)
{
	const char *p = text, *end = text + len;
	char want[64];

	for (int i = 0; i < n; i++) {
		int wl = snprintf(want, sizeof(want), "%s %d\n", prefix, i);
		if ((size_t)(end - p) < (size_t)wl || memcmp(p, want, (size_t)wl))
			fail_msg("line %d: expected '%s %d' at offset %zu",
				 i, prefix, i, (size_t)(p - text));
		p += wl;
	}
	assert_true(p == end);
}

/* The destination is not read for a while: the writer blocks (it cannot
 * get more than the two pipes and one read ahead of the destination),
 * another source keeps flowing meanwhile, and when the destination is read
 * again every line reaches both sides in order. */
static void test_backpressure(void **state)
{
	struct mld m = { 0 };
	int dest;
	const int n = 50000;
	(void)state;

	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--buffer-size", "33554432",
					       "--max-lines", "1000000", NULL },
	} });
	int w = register_tee(&m, "slow.out", &dest);
	pid_t pid = numbered_writer(w, n, "slow");
	close(w);

	/* The writer stalls: stored lines stop growing well short of n. */
	json_int_t before = -1, now = 0;
	for (int i = 0; i < 100 && now != before; i++) {
		before = now;
		h_sleep_ms(50);
		now = h_source_stat(&m, "slow.out", "stdout", "lines");
	}
	/* Bounded by the two pipes and what memlogd read ahead (64 KiB each,
	 * lines of about 11 bytes), far short of n. */
	assert_true(now < 15000);
	assert_true(h_source_stat(&m, "slow.out", "stdout", "copy_waits") >= 1);
	/* The writer is blocked, not finished. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);

	/* An unrelated source is not held up by the stalled one. */
	int other = h_register_pipe(&m, "other");
	for (int i = 0; i < 100; i++)
		h_writef(other, "other %d\n", i);
	h_wait_source_stat(&m, "other", "stderr", "lines", 100);
	close(other);

	/* Now the destination is drained, slowly at first. */
	size_t len;
	h_sleep_ms(100);
	char *got = read_to_eof(dest, 60000, &len);
	close(dest);
	assert_int_equal(h_wait_pid(pid, 10000), 0);
	check_numbered(got, len, "slow", n);
	free(got);

	h_wait_source_stat(&m, "slow.out", "stdout", "lines", n);
	json_t *a = h_dump(&m, "dump source=slow.out\n");
	assert_int_equal(json_array_size(a), (size_t)n);
	char want[32];
	for (int i = 0; i < n; i += 997) {
		snprintf(want, sizeof(want), "slow %d", i);
		assert_string_equal(h_jstr(json_array_get(a, (size_t)i), "msg"), want);
	}
	json_decref(a);
	mld_stop(&m);
}

/* Both streams of one program into one destination (2>&1 on the engine's
 * side): two tee sources, one destination, every byte once. */
static void test_shared_destination(void **state)
{
	struct mld m = { 0 };
	int so[2], se[2], dst[2];
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(pipe2(so, O_CLOEXEC), 0);
	assert_int_equal(pipe2(se, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	int f1[2] = { so[0], dst[1] }, f2[2] = { se[0], dst[1] };
	assert_int_equal(h_register(m.log, "both.out\0tee=1", 14, f1, 2), 0);
	assert_int_equal(h_register(m.log, "both\0tee=1", 10, f2, 2), 0);
	close(so[0]);
	close(se[0]);
	close(dst[1]);
	pid_t a = numbered_writer(so[1], 20000, "o");
	pid_t b = numbered_writer(se[1], 20000, "e");
	close(so[1]);
	close(se[1]);
	size_t len;
	char *got = read_to_eof(dst[0], 30000, &len);
	close(dst[0]);
	assert_int_equal(h_wait_pid(a, 5000), 0);
	assert_int_equal(h_wait_pid(b, 5000), 0);
	/* memlogd copies what each read returned, so the two streams
	 * interleave at read boundaries, which need not be line boundaries
	 * (docs/protocol.md): every byte arrives once, the totals match. */
	size_t want = 0;
	char line[32];
	for (int i = 0; i < 20000; i++)
		want += 2 * (size_t)snprintf(line, sizeof(line), "o %d\n", i);
	assert_int_equal(len, want);
	size_t digits = 0;
	for (size_t i = 0; i < len; i++)
		digits += got[i] >= '0' && got[i] <= '9';
	size_t want_digits = 0;
	for (int i = 0; i < 20000; i++)
		want_digits += 2 * (size_t)snprintf(line, sizeof(line), "%d", i);
	assert_int_equal(digits, want_digits);
	free(got);
	h_wait_source_stat(&m, "both.out", "stdout", "lines", 20000);
	h_wait_source_stat(&m, "both", "stderr", "lines", 20000);
	mld_stop(&m);
}

/* The destination's reader goes away (the engine died): the copy stops
 * with a notice, the capture goes on, the writer sees no error. */
static void test_destination_gone(void **state)
{
	struct mld m = { 0 };
	int dest;
	(void)state;

	mld_start(&m, NULL);
	int w = register_tee(&m, "gone.out", &dest);
	h_writef(w, "before\n");
	char buf[16];
	assert_int_equal(read(dest, buf, sizeof(buf)), 7);
	close(dest);
	h_writef(w, "after 1\n");
	h_wait_stat(&m, "registrations.tees_broken", 1);
	for (int i = 0; i < 1000; i++)
		h_writef(w, "after %d\n", i + 2);
	h_wait_source_stat(&m, "gone.out", "stdout", "lines", 1002);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.tees_open"), 0);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 1);
	json_decref(st);
	json_t *n = h_find_notice(&m, "copying on failed", NULL);
	assert_non_null(n);
	json_decref(n);
	close(w);
	h_wait_stat(&m, "registrations.sources_open", 0);
	mld_stop(&m);
}

/* A socket as the destination (written with MSG_DONTWAIT). */
static void test_socket_destination(void **state)
{
	struct mld m = { 0 };
	int src[2], sp[2];
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	int fds[2] = { src[0], sp[1] };
	assert_int_equal(h_register(m.log, "sock\0tee=1", 10, fds, 2), 0);
	close(src[0]);
	close(sp[1]);
	pid_t pid = numbered_writer(src[1], 30000, "s");
	close(src[1]);
	h_sleep_ms(200); /* let it fill the socket buffer and wait */
	size_t len;
	char *got = read_to_eof(sp[0], 30000, &len);
	close(sp[0]);
	assert_int_equal(h_wait_pid(pid, 5000), 0);
	check_numbered(got, len, "s", 30000);
	free(got);
	h_wait_source_stat(&m, "sock", "stderr", "lines", 30000);
	mld_stop(&m);
}

/* Malformed tee registrations: refused whole, nothing leaks, the daemon
 * goes on. */
static void test_bad_tee(void **state)
{
	struct mld m = { 0 };
	int p[2], q[2], r3[2];
	(void)state;

	mld_start(&m, NULL);
	int base = h_fd_count(m.pid);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	assert_int_equal(pipe2(r3, O_CLOEXEC), 0);

	/* One fd. */
	assert_int_equal(h_register(m.log, "t1\0tee=1", 8, &p[0], 1), 0);
	/* Three fds. */
	int three[3] = { p[0], q[1], r3[0] };
	assert_int_equal(h_register(m.log, "t3\0tee=1", 8, three, 3), 0);
	/* The destination is a read end. */
	int ro[2] = { p[0], q[0] };
	assert_int_equal(h_register(m.log, "ro\0tee=1", 8, ro, 2), 0);
	/* The source is a regular file (cannot be paused). */
	char path[256];
	snprintf(path, sizeof(path), "%s/file", m.dir);
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	int ff[2] = { f, q[1] };
	assert_int_equal(h_register(m.log, "file\0tee=1", 10, ff, 2), 0);
	/* A bad tee value. */
	int ok[2] = { p[0], q[1] };
	assert_int_equal(h_register(m.log, "bad\0tee=yes", 11, ok, 2), 0);

	/* 1 + 3 + 2 + 2 refused; tee=yes is not a tee: its two fds are
	 * two plain sources, of which the write end is refused. */
	h_wait_stat(&m, "registrations.refused", 1 + 3 + 2 + 2 + 1);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.tees_open"), 0);
	assert_int_equal(h_jint(st, "registrations.bad_attributes"), 1);
	assert_int_equal(h_jint(st, "registrations.accepted"), 1);
	json_decref(st);
	close(p[1]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	assert_int_equal(h_fd_count(m.pid), base);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(r3[0]);
	close(r3[1]);
	close(f);
	mld_stop(&m);
}

/* Registers with ack=1 (fds plus an answer pipe) and returns the answer
 * line (malloc'd), "" for end of file without one. */
static char *register_acked(const struct mld *m, const void *payload,
			    size_t len, const int *fds, int nfds)
{
	int ack[2], all[4];

	assert_true(nfds <= 3);
	assert_int_equal(pipe2(ack, O_CLOEXEC), 0);
	if (nfds)
		memcpy(all, fds, (size_t)nfds * sizeof(int));
	all[nfds] = ack[1];
	assert_int_equal(h_register(m->log, payload, len, all, nfds + 1), 0);
	close(ack[1]);
	size_t n;
	char *line = read_to_eof(ack[0], H_TIMEOUT_MS, &n);
	close(ack[0]);
	return line;
}

static void test_ack(void **state)
{
	struct mld m = { 0 };
	int p[2], q[2];
	char *a;
	(void)state;

	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--max-sources", "4", NULL },
	} });
	int base = h_fd_count(m.pid);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);

	/* A tee taken. */
	int ok[2] = { p[0], q[1] };
	a = register_acked(&m, "a.out\0tee=1\0ack=1", 17, ok, 2);
	assert_string_equal(a, "ok\n");
	free(a);
	/* Refused: the destination is a read end. */
	int ro[2] = { p[0], q[0] };
	a = register_acked(&m, "c\0tee=1\0ack=1", 13, ro, 2);
	assert_string_equal(a, "refused: the fds are not open for reading "
			    "and writing\n");
	free(a);
	/* A plain source taken. */
	int r2[2];
	assert_int_equal(pipe2(r2, O_CLOEXEC), 0);
	a = register_acked(&m, "b\0ack=1", 7, &r2[0], 1);
	close(r2[0]);
	assert_string_equal(a, "ok\n");
	free(a);
	/* Refused: the tee would be the fifth fd of --max-sources 4. */
	a = register_acked(&m, "d.out\0tee=1\0ack=1", 17, ok, 2);
	assert_string_equal(a, "refused: too many sources\n");
	free(a);
	/* ack=1 with one fd: nothing to register, no answer, fd closed. */
	a = register_acked(&m, "e\0ack=1", 7, NULL, 0);
	assert_string_equal(a, "");
	free(a);

	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 2);
	assert_int_equal(h_jint(st, "registrations.refused"), 2 + 2 + 1);
	json_decref(st);
	/* The two taken are live; the answer pipes left no fd behind. */
	close(r2[1]);
	h_writef(p[1], "x\n");
	close(p[0]);
	close(p[1]);
	close(q[1]);
	char buf[8];
	assert_int_equal(read(q[0], buf, sizeof(buf)), 2);
	close(q[0]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	assert_int_equal(h_fd_count(m.pid), base);
	mld_stop(&m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_copy_and_capture, h_teardown),
		cmocka_unit_test_teardown(test_sender_flags_untouched, h_teardown),
		cmocka_unit_test_teardown(test_backpressure, h_teardown),
		cmocka_unit_test_teardown(test_shared_destination, h_teardown),
		cmocka_unit_test_teardown(test_destination_gone, h_teardown),
		cmocka_unit_test_teardown(test_socket_destination, h_teardown),
		cmocka_unit_test_teardown(test_bad_tee, h_teardown),
		cmocka_unit_test_teardown(test_ack, h_teardown),
	};
	return h_run_tests("itest_tee", tests, NULL, NULL);
}
