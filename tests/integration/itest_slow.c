/* A slow follower against a burst: ingestion does not wait for it, and
 * what it misses is counted exactly (received + missed == produced, no
 * duplicates, in order, markers covering every gap), in the v2 protocol and
 * in LinuxKit's mode 2. memlogd's memory stays bounded meanwhile. */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NLINES 200000
#define LINE_LEN 40 /* with its '\n' */
#define RING_BYTES (64u << 10)

/* Line i (from 1): "%08d-" then x's, 39 bytes and '\n'. */
static pid_t start_producer(int w)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t len = (size_t)NLINES * LINE_LEN;
		char *buf = malloc(len + 1);
		if (!buf)
			_exit(2);
		for (int i = 1; i <= NLINES; i++) {
			char *p = buf + (size_t)(i - 1) * LINE_LEN;
			snprintf(p, 10, "%08d-", i);
			memset(p + 9, 'x', LINE_LEN - 10);
			p[LINE_LEN - 1] = '\n';
		}
		for (size_t off = 0; off < len;) {
			ssize_t n = write(w, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				_exit(3);
			off += (size_t)n;
		}
		_exit(0);
	}
	h_track_pid(pid);
	close(w);
	return pid;
}

static int line_number(const char *msg, size_t len)
{
	if (len != LINE_LEN - 1 || msg[8] != '-')
		fail_msg("not a producer line: %.60s", msg);
	int n = 0;
	for (int i = 0; i < 8; i++) {
		if (msg[i] < '0' || msg[i] > '9')
			fail_msg("not a producer line: %.60s", msg);
		n = n * 10 + (msg[i] - '0');
	}
	return n;
}

/* The accounting of one follower. */
struct tally {
	bool v2;
	uint64_t next;      /* the line (and seq) expected next */
	uint64_t received;
	uint64_t missed;
	uint64_t markers;
	long max_rss_kb;
};

static void take_line(struct tally *t, const char *line, size_t len)
{
	json_t *e = h_json(line, len);
	const char *src = h_jstr(e, "source");
	json_t *mv = json_object_get(e, "msg");
	const char *msg = json_string_value(mv);
	size_t mlen = json_string_length(mv);
	assert_non_null(msg);

	if (t->v2 && json_object_get(e, "marker")) {
		assert_string_equal(h_jstr(e, "marker"), "lagged");
		assert_string_equal(src, "memlogd");
		uint64_t missed = (uint64_t)h_jint(e, "missed");
		uint64_t first = (uint64_t)h_jint(e, "first_seq");
		uint64_t last = (uint64_t)h_jint(e, "last_seq");
		if (first != t->next)
			fail_msg("marker starts at seq %" PRIu64 ", expected %" PRIu64,
				 first, t->next);
		assert_true(last >= first);
		assert_int_equal(missed, last - first + 1);
		t->missed += missed;
		t->markers++;
		t->next = last + 1;
	} else if (!t->v2 && !strcmp(src, "memlogd")) {
		uint64_t missed, first, last;
		if (sscanf(msg, "memlogd: %" SCNu64 " entries were overwritten "
			   "before this reader could read them (seq %" SCNu64
			   "-%" SCNu64 ")", &missed, &first, &last) != 3)
			fail_msg("unexpected memlogd entry: %s", msg);
		if (first != t->next)
			fail_msg("marker starts at line %" PRIu64 ", expected %"
				 PRIu64, first, t->next);
		assert_int_equal(missed, last - first + 1);
		t->missed += missed;
		t->markers++;
		t->next = last + 1;
	} else {
		assert_string_equal(src, "slow");
		uint64_t n = (uint64_t)line_number(msg, mlen);
		if (n != t->next)
			fail_msg("got line %" PRIu64 ", expected %" PRIu64
				 " (a duplicate, a reordering or an unmarked gap)",
				 n, t->next);
		if (t->v2)
			assert_int_equal(h_jint(e, "seq"), (json_int_t)n);
		t->received++;
		t->next++;
	}
	json_decref(e);
}

/* Reads at most cap bytes (waiting up to timeout_ms) and accounts for
 * every whole line; partial lines stay in buf. Returns false at EOF. */
static bool pump(int fd, char *buf, size_t *len, size_t bufcap, size_t cap,
		 int timeout_ms, struct tally *t)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0)
		return true;
	if (cap > bufcap - *len)
		cap = bufcap - *len;
	ssize_t n = read(fd, buf + *len, cap);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n < 0)
		fail_msg("follower read: %s", strerror(errno));
	if (n == 0)
		return false;
	*len += (size_t)n;
	size_t off = 0;
	char *nl;
	while ((nl = memchr(buf + off, '\n', *len - off))) {
		take_line(t, buf + off, (size_t)(nl - (buf + off)));
		off = (size_t)(nl - buf) + 1;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return true;
}

static void run_slow_follower(bool v2)
{
	struct mld m = { 0 };
	struct tally t = { .v2 = v2, .next = 1 };
	(void)t;

	const char *args[] = { "--buffer-size", "64K", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	long base_rss = h_rss_kb(m.pid);

	/* The follower: a tiny receive buffer, small reads, naps between. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int small = 4096;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)), 0);
	struct sockaddr_un sa;
	h_sun_path(&sa, m.query);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (v2)
		h_write_all(fd, "dump-follow\n", 12);
	else
		h_write_all(fd, "\x02", 1);
	h_barrier(&m);

	int w = h_register_pipe(&m, "slow");
	pid_t producer = start_producer(w);

	size_t bufcap = 1 << 20, len = 0;
	char *buf = malloc(bufcap);
	assert_non_null(buf);
	uint64_t deadline = h_now_ms() + 30000, next_check = 0;
	bool producer_done = false;

	/* Phase 1: read slowly until the producer is done and every line
	 * is stored. */
	while (!producer_done) {
		assert_true(pump(fd, buf, &len, bufcap, 2048, 5, &t));
		h_sleep_ms(2);
		if (h_now_ms() >= next_check) {
			long rss = h_rss_kb(m.pid);
			if (rss > t.max_rss_kb)
				t.max_rss_kb = rss;
			int st;
			if (waitpid(producer, &st, WNOHANG) == producer) {
				h_untrack_pid(producer);
				assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
				producer_done = true;
			}
			next_check = h_now_ms() + 20;
		}
		if (h_now_ms() > deadline)
			fail_msg("the producer did not finish within 30 s");
	}
	h_wait_source_stat(&m, "slow", "stderr", "lines", NLINES);
	uint64_t at_done = t.received;
	print_message("# producer done: follower had %" PRIu64 " entries, %"
		      PRIu64 " missed\n", at_done, t.missed);
	if (at_done >= NLINES / 2)
		fail_msg("the follower had %" PRIu64 " of %d entries when the "
			 "burst was stored: ingestion waited for it", at_done,
			 NLINES);

	/* Phase 2: read fast to the last line. */
	while (t.next <= NLINES) {
		if (!pump(fd, buf, &len, bufcap, bufcap, 100, &t))
			fail_msg("follower connection closed at line %" PRIu64, t.next);
		if (h_now_ms() >= next_check) {
			long rss = h_rss_kb(m.pid);
			if (rss > t.max_rss_kb)
				t.max_rss_kb = rss;
			next_check = h_now_ms() + 20;
		}
		if (h_now_ms() > deadline)
			fail_msg("the follower did not reach line %d within 30 s "
				 "(at %" PRIu64 ")", NLINES, t.next);
	}
	print_message("# follower: %" PRIu64 " received + %" PRIu64 " missed in %"
		      PRIu64 " markers; RSS %ld kB (at start %ld kB)\n",
		      t.received, t.missed, t.markers, t.max_rss_kb, base_rss);
	assert_int_equal(t.received + t.missed, NLINES);
	assert_true(t.markers > 0);
	assert_int_equal(len, 0);

	long limit_kb = (long)(RING_BYTES + (8u << 20)) / 1024;
	if (h_sanitized()) {
		/* Shadow memory makes absolute RSS meaningless: bound growth. */
		if (t.max_rss_kb - base_rss > limit_kb)
			fail_msg("memlogd grew by %ld kB (limit %ld kB)",
				 t.max_rss_kb - base_rss, limit_kb);
	} else if (t.max_rss_kb > limit_kb) {
		fail_msg("memlogd RSS reached %ld kB (limit %ld kB)", t.max_rss_kb,
			 limit_kb);
	}
	free(buf);
	close(fd);
	mld_stop(&m);
}

static void test_slow_follower_v2(void **state)
{
	(void)state;
	run_slow_follower(true);
}

static void test_slow_follower_legacy(void **state)
{
	(void)state;
	run_slow_follower(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_slow_follower_v2, h_teardown),
		cmocka_unit_test_teardown(test_slow_follower_legacy, h_teardown),
	};
	return h_run_tests("itest_slow", tests, NULL, NULL);
}
