/* memlog-forward against a receiver the test itself is: a TCP listener on
 * 127.0.0.1 that reads RFC 6587 octet-counted frames. What rsyslog would
 * hide or reformat is checked on the raw bytes: loss markers with their
 * exact counts, the --source and --priority filters, PRI from the stream
 * defaults, and the counters SIGUSR1 prints. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct rx {
	int lfd;            /* listening socket */
	int cfd;            /* the accepted connection, or -1 */
	int port;
	char *buf;
	size_t len, cap;
};

static void rx_start(struct rx *x)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(x, 0, sizeof(*x));
	x->cfd = -1;
	x->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(x->lfd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(x->lfd, 4), 0);
	assert_int_equal(getsockname(x->lfd, (struct sockaddr *)&sa, &sl), 0);
	x->port = ntohs(sa.sin_port);
}

static void rx_stop(struct rx *x)
{
	if (x->cfd >= 0)
		close(x->cfd);
	close(x->lfd);
	free(x->buf);
}

/* Reads one frame "LEN SP MSG" (malloc'd MSG, NUL-terminated), accepting
 * the connection first if needed. Fails the test after timeout_ms. */
static char *rx_frame(struct rx *x, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		/* A whole frame buffered? */
		char *sp = x->len ? memchr(x->buf, ' ', x->len) : NULL;
		if (sp) {
			size_t fl = strtoul(x->buf, NULL, 10);
			size_t hdr = (size_t)(sp - x->buf) + 1;
			assert_true(fl > 0 && fl < 100000);
			if (x->len >= hdr + fl) {
				char *m = malloc(fl + 1);
				assert_non_null(m);
				memcpy(m, x->buf + hdr, fl);
				m[fl] = '\0';
				memmove(x->buf, x->buf + hdr + fl, x->len - hdr - fl);
				x->len -= hdr + fl;
				return m;
			}
		}
		int left = (int)(end > h_now_ms() ? end - h_now_ms() : 0);
		if (left == 0)
			fail_msg("no frame within %d ms", timeout_ms);
		struct pollfd p = { .fd = x->cfd >= 0 ? x->cfd : x->lfd,
				    .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			continue;
		if (x->cfd < 0) {
			x->cfd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
			assert_true(x->cfd >= 0);
			continue;
		}
		if (x->cap - x->len < 65536) {
			x->cap = x->cap ? x->cap * 2 : 131072;
			x->buf = realloc(x->buf, x->cap);
			assert_non_null(x->buf);
		}
		ssize_t n = read(x->cfd, x->buf + x->len, x->cap - x->len);
		if (n <= 0) {
			/* The forwarder went away: wait for it to come back. */
			close(x->cfd);
			x->cfd = -1;
			x->len = 0;
			continue;
		}
		x->len += (size_t)n;
	}
}

/* Nothing more arrives within ms. */
static void rx_quiet(struct rx *x, int ms)
{
	if (x->len)
		fail_msg("unexpected bytes: %.*s", (int)x->len, x->buf);
	if (x->cfd < 0)
		return;
	struct pollfd p = { .fd = x->cfd, .events = POLLIN };
	if (poll(&p, 1, ms) == 1) {
		char c;
		if (recv(x->cfd, &c, 1, MSG_PEEK) == 1)
			fail_msg("an unexpected frame arrived");
	}
}

struct fwd {
	pid_t pid;
	char state[200], err[200];
};

static void fwd_start_url(struct fwd *f, const struct mld *m, const char *target,
			  const char *const *extra)
{
	char prog[256];
	const char *argv[32];
	int n = 0;

	h_prog(prog, sizeof(prog), "memlog-forward");
	snprintf(f->state, sizeof(f->state), "%s/fwd.state", m->dir);
	snprintf(f->err, sizeof(f->err), "%s/fwd.err", m->dir);
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = m->query;
	argv[n++] = "--target";
	argv[n++] = target;
	argv[n++] = "--state-file";
	argv[n++] = f->state;
	argv[n++] = "--hostname";
	argv[n++] = "testhost";
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	f->pid = h_spawn(argv, f->err, false);
}

static void fwd_start(struct fwd *f, const struct mld *m, const struct rx *x,
		      const char *const *extra)
{
	char target[64];

	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", x->port);
	fwd_start_url(f, m, target, extra);
}

static void fwd_stop(struct fwd *f)
{
	kill(f->pid, SIGTERM);
	int st = h_wait_pid(f->pid, 10000);
	h_untrack_pid(f->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The value of SD-PARAM name in msg (static buffer), or NULL. */
static const char *sd_param(const char *msg, const char *name)
{
	static char val[128];
	char key[64];

	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(msg, key);
	if (!p)
		return NULL;
	p += strlen(key);
	size_t i = 0;
	while (*p && *p != '"' && i < sizeof(val) - 1)
		val[i++] = *p++;
	val[i] = '\0';
	return val;
}

/* The message text after the structured data. */
static const char *msg_text(const char *msg)
{
	const char *p = strstr(msg, "] ");
	assert_non_null(p);
	return p + 2;
}

static bool have_forward(void)
{
	return h_prog_exists("memlog-forward");
}

/* The forwarder stopped at seq 5; memlogd's ring (100 entries at most)
 * then overwrote entries it had not sent: on restart the first message is
 * memlogd's marker with the exact count, then the oldest entry left. */
static void test_marker_exact_count(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--max-lines", "100", NULL },
	} });
	rx_start(&x);
	int w = h_register_pipe(&m, "app.out");
	for (int i = 1; i <= 5; i++)
		h_writef(w, "line %d\n", i);
	h_wait_source_stat(&m, "app.out", "stdout", "lines", 5);
	fwd_start(&f, &m, &x, NULL);
	for (int i = 1; i <= 5; i++) {
		char *msg = rx_frame(&x, H_TIMEOUT_MS), want[32];
		snprintf(want, sizeof(want), "line %d", i);
		assert_string_equal(msg_text(msg), want);
		assert_string_equal(sd_param(msg, "seq"), (snprintf(want, sizeof(want), "%d", i), want));
		/* stdout's default PRI: user.info = 14; MSGID the stream. */
		assert_true(strncmp(msg, "<14>1 ", 6) == 0);
		assert_non_null(strstr(msg, " testhost app.out "));
		assert_non_null(strstr(msg, " stdout [memlog@32473 "));
		free(msg);
	}
	fwd_stop(&f);

	/* 1000 more: seq 6..1005, of which the ring keeps the last 100. */
	for (int i = 6; i <= 1005; i++)
		h_writef(w, "line %d\n", i);
	h_wait_source_stat(&m, "app.out", "stdout", "lines", 1005);
	json_t *st = h_stats(&m);
	json_int_t oldest = h_jint(st, "ring.oldest_seq");
	json_decref(st);
	assert_true(oldest > 6);

	fwd_start(&f, &m, &x, NULL);
	char *mk = rx_frame(&x, H_TIMEOUT_MS);
	assert_non_null(strstr(mk, " memlogd "));
	assert_string_equal(sd_param(mk, "marker"), "overwritten");
	char want[32];
	/* Exactly the entries between the saved cursor and the oldest. */
	snprintf(want, sizeof(want), "%lld", (long long)(oldest - 6));
	assert_string_equal(sd_param(mk, "missed"), want);
	free(mk);
	for (json_int_t s = oldest; s <= 1005; s++) {
		char *msg = rx_frame(&x, H_TIMEOUT_MS);
		snprintf(want, sizeof(want), "line %lld", (long long)s);
		assert_string_equal(msg_text(msg), want);
		free(msg);
	}
	rx_quiet(&x, 200);
	fwd_stop(&f);
	/* The counters at stop: dropped is the marker's count. */
	close(w);
	rx_stop(&x);
	mld_stop(&m);
}

/* --source and --priority: only what matches is sent; stderr lines get
 * the stderr default (user.err = 11); SIGUSR1 prints the counters. */
static void test_filters_and_stats(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	int a_out = h_register_pipe(&m, "web.out");
	int a_err = h_register_pipe(&m, "web");
	int b = h_register_pipe(&m, "db.out");
	for (int i = 0; i < 10; i++) {
		h_writef(a_out, "web out %d\n", i);
		h_writef(a_err, "web err %d\n", i);
		h_writef(b, "db out %d\n", i);
	}
	h_wait_source_stat(&m, "db.out", "stdout", "lines", 10);
	h_wait_source_stat(&m, "web", "stderr", "lines", 10);
	h_wait_source_stat(&m, "web.out", "stdout", "lines", 10);

	/* Only web*, and only severities up to err: web's stderr. */
	fwd_start(&f, &m, &x, (const char *const[]){ "--source", "web*",
		  "--priority", "err", NULL });
	for (int i = 0; i < 10; i++) {
		char *msg = rx_frame(&x, H_TIMEOUT_MS), want[32];
		assert_true(strncmp(msg, "<11>1 ", 6) == 0);
		snprintf(want, sizeof(want), "web err %d", i);
		assert_string_equal(msg_text(msg), want);
		assert_string_equal(sd_param(msg, "source"), "web");
		assert_string_equal(sd_param(msg, "stream"), "stderr");
		free(msg);
	}
	rx_quiet(&x, 300);

	/* SIGUSR1: the counters on stderr, and it goes on. */
	kill(f.pid, SIGUSR1);
	char *e = NULL;
	for (int i = 0; i < 100; i++) {
		free(e);
		e = h_read_file(f.err, NULL);
		if (e && strstr(e, "memlog-forward: sent "))
			break;
		h_sleep_ms(20);
	}
	assert_non_null(e);
	assert_non_null(strstr(e, "memlog-forward: sent 10 acknowledged 10 "));
	assert_non_null(strstr(e, " filtered 10 "));
	free(e);
	h_writef(a_err, "web err later\n");
	char *msg = rx_frame(&x, H_TIMEOUT_MS);
	assert_string_equal(msg_text(msg), "web err later");
	free(msg);
	fwd_stop(&f);
	close(a_out);
	close(a_err);
	close(b);
	rx_stop(&x);
	mld_stop(&m);
}

/* Bytes RFC 5424 does not allow in MSG are escaped, never sent raw: no
 * frame holds a newline or a NUL, and an APP-NAME is printable ASCII. */
static void test_escaping_on_the_wire(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	int w = h_register_pipe(&m, "we ird]\"name.out");
	const char text[] = "tab\there nul\0esc\x1b end\n";
	h_write_all(w, text, sizeof(text) - 1);
	h_wait_source_stat(&m, "we ird]\"name.out", "stdout", "lines", 1);
	fwd_start(&f, &m, &x, NULL);
	char *msg = rx_frame(&x, H_TIMEOUT_MS);
	/* APP-NAME: the space and the quote made printable ASCII. */
	if (!strstr(msg, " testhost we_ird]\"name.out "))
		fail_msg("APP-NAME not cleaned: %s", msg);
	for (const char *p = msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\t');
	assert_string_equal(msg_text(msg), "tab\there nul\\x00esc\\x1b end");
	/* The exact name, escaped as an SD value. */
	if (!strstr(msg, " source=\"we ird\\]\\\"name.out\""))
		fail_msg("source not escaped: %s", msg);
	free(msg);
	fwd_stop(&f);
	close(w);
	rx_stop(&x);
	mld_stop(&m);
}

/* udp://: each message is one datagram, exactly the RFC 5424 message
 * (no framing, no newline); one longer than --udp-max is cut to it at a
 * UTF-8 boundary and counted; the cursor of the last one sent is saved. */
static void test_udp_datagrams(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mld m = { 0 };
	struct fwd f;
	char target[64], dg[3][4096], *e;
	ssize_t len[3];
	int ufd, w;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(ufd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(ufd, (struct sockaddr *)&sa, &sl), 0);
	w = h_register_pipe(&m, "udp.out");
	{
		char line[1300];
		size_t k = 0;

		k += (size_t)snprintf(line, sizeof(line), "short line\n");
		for (int i = 0; i < 600; i++) {
			line[k++] = '\xc3';
			line[k++] = '\xa9';
		}
		line[k++] = '\n';
		memcpy(line + k, "after\n", 6);
		k += 6;
		h_write_all(w, line, k);
	}
	h_wait_source_stat(&m, "udp.out", "stdout", "lines", 3);
	snprintf(target, sizeof(target), "udp://127.0.0.1:%d", ntohs(sa.sin_port));
	fwd_start_url(&f, &m, target, (const char *const[]){ "--udp-max", "480", "--stats",
							     NULL });
	for (int i = 0; i < 3; i++) {
		struct pollfd p = { .fd = ufd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
		len[i] = recv(ufd, dg[i], sizeof(dg[i]) - 1, 0);
		assert_true(len[i] > 0);
		dg[i][len[i]] = '\0';
		assert_int_equal(strlen(dg[i]), (size_t)len[i]);
		/* The message itself: no octet count, no trailing newline. */
		assert_memory_equal(dg[i], "<14>1 ", 6);
		assert_null(strchr(dg[i], '\n'));
		if (!strstr(dg[i], " testhost udp.out ") ||
		    !strstr(dg[i], " stdout [memlog@32473 cursor=\"m1-"))
			fail_msg("unexpected datagram: %s", dg[i]);
	}
	assert_string_equal(msg_text(dg[0]), "short line");
	assert_string_equal(sd_param(dg[0], "seq"), "1");
	/* Cut to 480 bytes or one less: never half of an é. */
	assert_true(len[1] == 480 || len[1] == 479);
	assert_memory_equal(dg[1] + len[1] - 2, "\xc3\xa9", 2);
	for (const char *p = msg_text(dg[1]); *p; p += 2)
		assert_memory_equal(p, "\xc3\xa9", 2);
	assert_string_equal(msg_text(dg[2]), "after");
	assert_string_equal(sd_param(dg[2], "seq"), "3");
	fwd_stop(&f);
	e = h_read_file(f.err, NULL);
	assert_non_null(e);
	if (!strstr(e, "sent 3 acknowledged 3 ") || !strstr(e, "udp truncated 1 unsent 0"))
		fail_msg("counters: %s", e);
	free(e);
	e = h_read_file(f.state, NULL);
	assert_non_null(e);
	assert_non_null(strstr(e, sd_param(dg[2], "cursor")));
	free(e);
	close(w);
	close(ufd);
	mld_stop(&m);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_marker_exact_count, h_teardown),
		cmocka_unit_test_teardown(test_filters_and_stats, h_teardown),
		cmocka_unit_test_teardown(test_escaping_on_the_wire, h_teardown),
		cmocka_unit_test_teardown(test_udp_datagrams, h_teardown),
	};
	return h_run_tests("itest_forward_local", tests, NULL, NULL);
}
