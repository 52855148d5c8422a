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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* A query socket of the test's own that answers every request as memlogd
 * answers one it cannot parse: {"error":"bad request: malformed cursor"}.
 * Asking again would get the same answer, so memlog-forward must stop,
 * with its own exit status, instead of reconnecting for ever. */
static void test_bad_request_answer_is_fatal(void **state)
{
	static const char cursor[] = "m1-90a8240469430d14-000000000000000c";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	char path[200], *e;
	int lfd, st = 0, asked = 0;
	uint64_t end;
	FILE *sf;
	(void)state;

	if (!have_forward())
		skip();
	mld_init(&m); /* no memlogd: the test answers on its query path */
	rx_start(&x);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	h_sun_path(&sa, m.query);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	snprintf(path, sizeof(path), "%s/fwd.state", m.dir);
	sf = fopen(path, "w");
	assert_non_null(sf);
	fprintf(sf, "memlog-forward-state 1\ncursor %s\nend\n", cursor);
	fclose(sf);
	fwd_start(&f, &m, &x, (const char *const[]){ "--backoff-max", "200", NULL });
	end = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pid_t r = waitpid(f.pid, &st, WNOHANG);

		if (r == f.pid)
			break;
		if (h_now_ms() > end)
			fail_msg("memlog-forward asked %d times and did not stop", asked);
		if (poll(&p, 1, 50) == 1) {
			struct h_conn c;
			char *req;
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			assert_true(cfd >= 0);
			h_conn_init(&c, cfd);
			req = h_conn_line(&c, H_TIMEOUT_MS, NULL);
			assert_non_null(req);
			assert_true(strncmp(req, "dump-follow after=", 18) == 0);
			assert_non_null(strstr(req, cursor));
			free(req);
			h_writef(cfd, "{\"error\":\"bad request: malformed cursor\"}\n");
			h_conn_close(&c);
			asked++;
		}
	}
	h_untrack_pid(f.pid);
	assert_int_equal(asked, 1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
	e = h_read_file(f.err, NULL);
	assert_non_null(e);
	if (!strstr(e, "malformed cursor")) {
		print_message("# stderr: %s\n", e);
		fail();
	}
	free(e);
	/* The state file is left as it was. */
	e = h_read_file(path, NULL);
	assert_non_null(e);
	assert_non_null(strstr(e, cursor));
	free(e);
	close(lfd);
	rx_stop(&x);
	mld_cleanup(&m);
}

/* A state file that cannot be written at start is a start-up error (exit
 * status 1, said on stderr), before anything is sent: otherwise every entry
 * sent would be sent again after any restart. Two ways, both failing for
 * root too: a directory that does not exist, and a directory in the way of
 * FILE.tmp (the file is replaced through it). */
static void test_state_unwritable_at_start(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	char prog[256], target[64], path[200], tmp[220], *err = NULL, *e;
	int st, w;
	FILE *sf;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	w = h_register_pipe(&m, "app.out");
	h_writef(w, "a line\n");
	h_wait_source_stat(&m, "app.out", "stdout", "lines", 1);
	h_prog(prog, sizeof(prog), "memlog-forward");
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", x.port);

	snprintf(path, sizeof(path), "%s/no-such-dir/fwd.state", m.dir);
	st = h_run((const char *const[]){ prog, "-socket", m.query, "--target", target,
					  "--state-file", path, NULL }, NULL, H_TIMEOUT_MS,
		   NULL, &err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	if (!err || !strstr(err, path) || !strstr(err, "No such file or directory"))
		fail_msg("stderr: %s", err ? err : "");
	free(err);

	snprintf(path, sizeof(path), "%s/fwd.state", m.dir);
	sf = fopen(path, "w");
	assert_non_null(sf);
	fputs("memlog-forward-state 1\nend\n", sf);
	fclose(sf);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0700), 0);
	st = h_run((const char *const[]){ prog, "-socket", m.query, "--target", target,
					  "--state-file", path, NULL }, NULL, H_TIMEOUT_MS,
		   NULL, &err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	if (!err || !strstr(err, path))
		fail_msg("stderr: %s", err ? err : "");
	free(err);
	e = h_read_file(path, NULL);
	assert_non_null(e);
	assert_string_equal(e, "memlog-forward-state 1\nend\n");
	free(e);
	rmdir(tmp);
	/* It never even connected to the receiver: nothing was sent. */
	{
		struct pollfd p = { .fd = x.lfd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 0);
	}
	close(w);
	rx_stop(&x);
	mld_stop(&m);
}

/* How often needle occurs in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Waits until the forwarder's stderr holds needle; returns it (malloc'd). */
static char *wait_stderr(const struct fwd *f, const char *needle)
{
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;

	for (;;) {
		char *e = h_read_file(f->err, NULL);

		if (e && strstr(e, needle))
			return e;
		if (h_now_ms() > end)
			fail_msg("\"%s\" not on stderr: %s", needle, e ? e : "");
		free(e);
		h_sleep_ms(20);
	}
}

/* The state file stops being writable while running (a directory in the
 * way of FILE.tmp): what was sent is not known to be saved, so sending
 * stops, it is said once, the save is retried with backoff, and sending
 * resumes when it works again. Nothing is sent while it fails, and nothing
 * twice. */
static void test_state_unwritable_later(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	char tmp[220], last[64] = "", *e;
	int w;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	w = h_register_pipe(&m, "app.out");
	fwd_start(&f, &m, &x, (const char *const[]){ "--backoff-max", "300", NULL });
	snprintf(tmp, sizeof(tmp), "%s.tmp", f.state);
	for (int i = 1; i <= 15; i++) {
		char want[32];

		if (i == 6) {
			/* 1-5 are saved; then the state file breaks. */
			uint64_t end = h_now_ms() + H_TIMEOUT_MS;

			for (;;) {
				e = h_read_file(f.state, NULL);
				if (e && strstr(e, last))
					break;
				assert_true(h_now_ms() < end);
				free(e);
				h_sleep_ms(20);
			}
			free(e);
			assert_int_equal(mkdir(tmp, 0700), 0);
		}
		if (i <= 10)
			h_writef(w, "line %d\n", i);
		if (i == 11) {
			/* 6-10 were sent before the failed save said so: now
			 * nothing more goes out until the state is written. */
			free(wait_stderr(&f, "Is a directory"));
			for (int k = 11; k <= 15; k++)
				h_writef(w, "line %d\n", k);
			h_wait_source_stat(&m, "app.out", "stdout", "lines", 15);
			rx_quiet(&x, 700);
			assert_int_equal(rmdir(tmp), 0);
		}
		char *msg = rx_frame(&x, H_TIMEOUT_MS);
		snprintf(want, sizeof(want), "line %d", i);
		assert_string_equal(msg_text(msg), want);
		snprintf(last, sizeof(last), "%s", sd_param(msg, "cursor"));
		free(msg);
	}
	e = wait_stderr(&f, "written again");
	if (count_of(e, "Is a directory") != 1)
		fail_msg("said more than once: %s", e);
	free(e);
	rx_quiet(&x, 200);
	fwd_stop(&f);
	e = h_read_file(f.state, NULL);
	assert_non_null(e);
	assert_non_null(strstr(e, last));
	free(e);
	close(w);
	rx_stop(&x);
	mld_stop(&m);
}

/* `retried` counts messages sent again after a transport failure. The
 * receiver drops the connection (nothing is sent again: TCP resumes after
 * what was written), then memlogd restarts: its new entries start again
 * at seq 1, below the seqs sent before, and are no resends either. */
static void test_retried_after_memlogd_restart(void **state)
{
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	char *msg, *e, want[32];
	int w;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	w = h_register_pipe(&m, "app.out");
	for (int i = 1; i <= 5; i++)
		h_writef(w, "line %d\n", i);
	fwd_start(&f, &m, &x, (const char *const[]){ "--backoff-max", "300", "--stats",
						     NULL });
	for (int i = 1; i <= 5; i++) {
		msg = rx_frame(&x, H_TIMEOUT_MS);
		snprintf(want, sizeof(want), "line %d", i);
		assert_string_equal(msg_text(msg), want);
		free(msg);
	}
	/* The receiver goes away; the forwarder notices and reconnects. */
	close(x.cfd);
	x.cfd = -1;
	x.len = 0;
	free(wait_stderr(&f, "closed the connection"));
	close(w);
	assert_int_equal(mld_signal_wait(&m, SIGTERM), 0);
	/* Its fd holder lets go of the ring too: the next memlogd is a new
	 * instance. */
	assert_int_equal(mld_release(&m), 0);
	mld_start(&m, NULL);
	w = h_register_pipe(&m, "app.out");
	for (int i = 1; i <= 3; i++)
		h_writef(w, "again %d\n", i);
	/* The new memlogd does not know the cursor: its marker, then all. */
	msg = rx_frame(&x, H_TIMEOUT_MS);
	assert_string_equal(sd_param(msg, "marker"), "foreign-cursor");
	free(msg);
	for (int i = 1; i <= 3; i++) {
		msg = rx_frame(&x, H_TIMEOUT_MS);
		snprintf(want, sizeof(want), "again %d", i);
		assert_string_equal(msg_text(msg), want);
		free(msg);
	}
	fwd_stop(&f);
	e = h_read_file(f.err, NULL);
	assert_non_null(e);
	if (!strstr(e, "memlog-forward: sent 9 acknowledged 9 retried 0 "))
		fail_msg("counters: %s", e);
	free(e);
	close(w);
	rx_stop(&x);
	mld_stop(&m);
}

/* The receiver read in a thread of its own, for a test that waits on
 * other things meanwhile: it takes one connection and keeps every byte
 * until the forwarder closes it. */
static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER; /* x->buf, len */

static void *rx_drain(void *arg)
{
	struct rx *x = arg;
	int fd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
	char chunk[65536];

	for (;;) {
		ssize_t n = fd < 0 ? 0 : read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pthread_mutex_lock(&rx_lock);
		if (x->cap - x->len < (size_t)n) {
			x->cap = x->cap * 2 + (size_t)n;
			x->buf = realloc(x->buf, x->cap);
		}
		if (x->buf) {
			memcpy(x->buf + x->len, chunk, (size_t)n);
			x->len += (size_t)n;
		}
		pthread_mutex_unlock(&rx_lock);
		if (!x->buf)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Has the drained receiver got text? */
static bool rx_has(struct rx *x, const char *text)
{
	bool has;

	pthread_mutex_lock(&rx_lock);
	has = x->buf && memmem(x->buf, x->len, text, strlen(text));
	pthread_mutex_unlock(&rx_lock);
	return has;
}

/* memlogd is SIGKILLed again and again while a producer writes numbered
 * lines, and started again each time: the same instance, since its fd
 * holder kept the ring, the state and the pipe. The forwarder says once
 * that it lost memlogd and once that memlogd is back, each time, and the
 * receiver gets every line once, in order, memlogd's notices of each
 * restart, and no marker: nothing lost, nothing twice. */
#define CRASHES 5
static void test_memlogd_crashes_while_lines_flow(void **state)
{
	struct mld m = { 0 };
	struct h_producer p;
	struct rx x;
	struct fwd f;
	pthread_t t;
	char back[200], *e;
	int n, w, notices = 0;
	(void)state;

	if (!have_forward())
		skip();
	mld_start(&m, NULL);
	rx_start(&x);
	assert_int_equal(pthread_create(&t, NULL, rx_drain, &x), 0);
	w = h_register_pipe(&m, "seq");
	fwd_start(&f, &m, &x, (const char *const[]){ "--backoff-max", "1000", NULL });
	h_producer_start(&p, w);
	close(w);
	snprintf(back, sizeof(back), "connected to %s", m.query);
	for (int k = 1; k <= CRASHES; k++) {
		h_wait_lines_grow(&m, "seq", "stderr", 100);
		h_crash_cycle(&m, f.pid, f.err, "memlogd closed the connection", back,
			      k, H_TIMEOUT_MS);
	}
	h_wait_lines_grow(&m, "seq", "stderr", 100);
	n = h_producer_stop(&p);
	char last[64];
	snprintf(last, sizeof(last), "] %06d", n - 1);
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;
	while (!rx_has(&x, last)) {
		if (h_now_ms() > end)
			fail_msg("the receiver never got line %d", n - 1);
		h_sleep_ms(10);
	}
	fwd_stop(&f);
	assert_int_equal(pthread_join(t, NULL), 0);

	/* The frames: seq's lines in order, memlogd's notices, no marker. */
	char *lines = calloc(1, (size_t)n * 7 + 1), *q = lines;
	size_t off = 0;
	assert_non_null(lines);
	while (off < x.len) {
		char *end_num, *msg;
		size_t fl = strtoul(x.buf + off, &end_num, 10);

		assert_true(*end_num == ' ' && fl > 0);
		assert_true((size_t)(end_num + 1 - x.buf) + fl <= x.len);
		msg = strndup(end_num + 1, fl);
		assert_non_null(msg);
		off = (size_t)(end_num + 1 - x.buf) + fl;
		if (sd_param(msg, "marker"))
			fail_msg("a marker: %s", msg);
		if (!strcmp(sd_param(msg, "source"), "memlogd")) {
			if (!strstr(msg, "took over the ring") &&
			    !strstr(msg, "took back"))
				fail_msg("memlogd said: %s", msg);
			notices += strstr(msg, "took over the ring") != NULL;
		} else {
			assert_string_equal(sd_param(msg, "source"), "seq");
			if (q + 7 > lines + (size_t)n * 7)
				fail_msg("more lines than the %d written: %s", n, msg);
			q += sprintf(q, "%.6s\n", msg_text(msg));
		}
		free(msg);
	}
	h_expect_sequence(lines, n, "the receiver");
	free(lines);
	assert_int_equal(notices, CRASHES);
	e = h_read_file(f.err, NULL);
	if (h_count_str(e, "memlogd closed the connection") != CRASHES ||
	    h_count_str(e, back) != CRASHES || h_count_str(e, "\n") != 2 * CRASHES)
		fail_msg("the forwarder said:\n%s", e);
	free(e);
	rx_stop(&x);
	mld_stop(&m);
}

/* librelp's errors are said in words: a RELP receiver that is not there
 * (connection refused) is an I/O error, not "librelp error 10014". */
static void test_relp_error_text(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mld m = { 0 };
	struct fwd f;
	char target[64], *e;
	int fd;
	(void)state;

	if (!have_forward())
		skip();
	mld_init(&m);
	/* A port nobody listens on. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(target, sizeof(target), "relp://127.0.0.1:%d", ntohs(sa.sin_port));
	fwd_start_url(&f, &m, target, (const char *const[]){ "--backoff-max", "200", NULL });
	e = wait_stderr(&f, "reconnecting");
	if (strstr(e, "librelp error") || !strstr(e, "(I/O error)"))
		fail_msg("stderr: %s", e);
	free(e);
	fwd_stop(&f);
	mld_cleanup(&m);
}

/* A TCP "receiver" that sends bytes continuously (a syslog receiver never
 * sends anything): memlog-forward must not spend its CPU reading them. Its
 * CPU time over a few seconds is a resource bound, generous: under 30 % of
 * one CPU (it spun at 70 % and more). */
static void test_chatty_receiver_bounded_cpu(void **state)
{
	enum { CONNS = 8, WALL_MS = 3000 };
	static char junk[65536];
	struct mld m = { 0 };
	struct rx x;
	struct fwd f;
	int conns[CONNS], nconn = 0, w;
	uint64_t t0 = 0, cpu0 = 0, end, wall, cpu;
	char *e;
	(void)state;

	if (!have_forward())
		skip();
	memset(junk, 'x', sizeof(junk));
	mld_start(&m, NULL);
	rx_start(&x);
	w = h_register_pipe(&m, "app.out");
	h_writef(w, "a line\n");
	fwd_start(&f, &m, &x, NULL);
	end = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		struct pollfd p[CONNS + 1];
		int np = 0;

		if (t0 && h_now_ms() >= t0 + WALL_MS)
			break;
		assert_true(t0 || h_now_ms() < end); /* it connects at all */
		p[np++] = (struct pollfd){ .fd = x.lfd, .events = POLLIN };
		for (int i = 0; i < nconn; i++)
			p[np++] = (struct pollfd){ .fd = conns[i], .events = POLLOUT | POLLIN };
		if (poll(p, (nfds_t)np, 20) <= 0)
			continue;
		for (int i = 1; i < np; i++) {
			char sink[4096];
			bool gone = false;

			if (p[i].revents & POLLIN)
				gone = recv(p[i].fd, sink, sizeof(sink), 0) == 0;
			if (!gone && (p[i].revents & POLLOUT) &&
			    send(p[i].fd, junk, sizeof(junk), MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN)
				gone = true;
			if (gone || (p[i].revents & (POLLHUP | POLLERR))) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		/* Keep the connections still open, then take a new one. */
		nconn = 0;
		for (int i = 1; i < np; i++)
			if (p[i].fd >= 0)
				conns[nconn++] = p[i].fd;
		if ((p[0].revents & POLLIN) && nconn < CONNS) {
			int c = accept4(x.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c >= 0) {
				conns[nconn++] = c;
				if (!t0) {
					t0 = h_now_ms();
					cpu0 = h_cpu_ms(f.pid);
				}
			}
		}
	}
	cpu = h_cpu_ms(f.pid) - cpu0;
	wall = h_now_ms() - t0;
	print_message("# memlog-forward used %llu ms of CPU in %llu ms\n",
		      (unsigned long long)cpu, (unsigned long long)wall);
	for (int i = 0; i < nconn; i++)
		close(conns[i]);
	fwd_stop(&f);
	if (cpu * 10 >= wall * 3)
		fail_msg("%llu ms of CPU in %llu ms", (unsigned long long)cpu,
			 (unsigned long long)wall);
	e = h_read_file(f.err, NULL);
	assert_non_null(e);
	if (count_of(e, "sent data") != 1)
		fail_msg("the receiver's data not said once: %s", e);
	free(e);
	close(w);
	rx_stop(&x);
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
		cmocka_unit_test_teardown(test_bad_request_answer_is_fatal, h_teardown),
		cmocka_unit_test_teardown(test_state_unwritable_at_start, h_teardown),
		cmocka_unit_test_teardown(test_state_unwritable_later, h_teardown),
		cmocka_unit_test_teardown(test_retried_after_memlogd_restart, h_teardown),
		cmocka_unit_test_teardown(test_memlogd_crashes_while_lines_flow,
					  h_teardown),
		cmocka_unit_test_teardown(test_relp_error_text, h_teardown),
		cmocka_unit_test_teardown(test_chatty_receiver_bounded_cpu, h_teardown),
	};
	return h_run_tests("itest_forward_local", tests, NULL, NULL);
}
