/* memlogd's error replies are never lost: a client that is refused (too
 * many query clients), sends a bad request or sends it too late gets the
 * {"error":...} line and then end of file, never ECONNRESET, whether its
 * request reached the daemon before the refusal or not; and logread prints
 * that error (exit 4) even when sending its request failed because the
 * daemon had already closed the connection. Each refusal is repeated many
 * times: which of those cases a client meets depends on timing. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 200

static const char busy[] = "{\"error\":\"too many query clients\"}\n";

/* What a client got: every byte until the connection ended, and how it
 * ended (0: end of file, else the errno of the failed read). */
struct answer {
	char buf[4096];
	size_t len;
	int end_err;
	int send_err;      /* errno of the failed send, or 0 */
};

/* Reads until end of file or an error, within the harness deadline. */
static void read_answer(int fd, struct answer *a)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;

	a->len = 0;
	a->end_err = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - h_now_ms());
		if (left <= 0 || poll(&p, 1, left) == 0)
			fail_msg("no end of the answer within %d ms (got %zu "
				 "bytes)", H_TIMEOUT_MS, a->len);
		ssize_t n = read(fd, a->buf + a->len, sizeof(a->buf) - 1 - a->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			a->end_err = errno;
			break;
		}
		if (n == 0)
			break;
		a->len += (size_t)n;
		if (a->len == sizeof(a->buf) - 1)
			fail_msg("answer longer than %zu bytes", a->len);
	}
	a->buf[a->len] = '\0';
}

/* Connects, sends req (len bytes; a failed send is kept, not fatal: the
 * answer must be there all the same), reads the whole answer. */
static void ask(const struct mld *m, const void *req, size_t len,
		struct answer *a)
{
	int fd = h_connect(m->query);

	a->send_err = 0;
	if (len && send(fd, req, len, MSG_NOSIGNAL) < 0)
		a->send_err = errno;
	read_answer(fd, a);
	close(fd);
}

/* The answer is exactly want, then end of file. */
static void expect_answer(const struct answer *a, const char *want, int round)
{
	if (strcmp(a->buf, want) != 0)
		fail_msg("round %d: got \"%s\" (send: %s), want \"%.*s\"", round,
			 a->buf, a->send_err ? strerror(a->send_err) : "ok",
			 (int)strlen(want) - 1, want);
	if (a->end_err)
		fail_msg("round %d: after the error line the read failed with "
			 "%s instead of end of file (send: %s)", round,
			 strerror(a->end_err),
			 a->send_err ? strerror(a->send_err) : "ok");
}

/* A daemon with one query client slot, held by a follower. */
static void start_full(struct mld *m, struct h_conn *holder)
{
	const char *args[] = { "--max-readers", "1", NULL };
	struct mld_opts o = { .args = args };

	mld_start(m, &o);
	h_conn_init(holder, h_query(m, "follow\n"));
	/* The follower is admitted once a client after it is refused. */
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		struct answer a;
		ask(m, "dump\n", 5, &a);
		if (!strcmp(a.buf, busy))
			break;
		if (h_now_ms() > deadline)
			fail_msg("the second client is not refused: %s", a.buf);
		h_sleep_ms(2);
	}
}

static void test_refused_raw(void **state)
{
	struct mld m = { 0 };
	struct h_conn holder;
	struct answer a;
	int sent_ok = 0, send_failed = 0;
	(void)state;

	start_full(&m, &holder);
	for (int i = 0; i < ROUNDS; i++) {
		/* Legacy and text requests, and one that sends nothing. */
		const char *req = i % 3 == 0 ? "dump\n" : i % 3 == 1 ? "\0" : "";
		ask(&m, req, i % 3 == 0 ? 5 : i % 3 == 1 ? 1 : 0, &a);
		expect_answer(&a, busy, i);
		if (i % 3 == 2)
			continue;
		if (a.send_err)
			send_failed++;
		else
			sent_ok++;
	}
	print_message("# %d refusals of a client that sent a request: it was "
		      "sent in %d, the send failed in %d\n",
		      sent_ok + send_failed, sent_ok, send_failed);
	/* Each was counted (stats is answered once the slot is free). */
	h_conn_close(&holder);
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	json_t *st;
	while (!(st = h_stats_try(&m))) {
		if (h_now_ms() > deadline)
			fail_msg("no reader slot freed after the follower left");
		h_sleep_ms(2);
	}
	assert_true(h_jint(st, "readers.refused") >= ROUNDS + 1);
	json_decref(st);
	mld_stop(&m);
}

/* A bad request followed by more bytes than the daemon reads for a
 * request: the rest must not turn into a reset. */
static void test_bad_request_raw(void **state)
{
	struct mld m = { 0 };
	struct answer a;
	(void)state;

	mld_start(&m, NULL);
	size_t len = 20000;
	char *req = malloc(len);
	assert_non_null(req);
	memset(req, 'x', len);
	memcpy(req, "bogus\n", 6);
	for (int i = 0; i < ROUNDS / 4; i++) {
		ask(&m, req, len, &a);
		expect_answer(&a, "{\"error\":\"bad request: unknown mode (dump, "
			      "follow, dump-follow, stats)\"}\n", i);
		/* No newline within the limit: refused at 4097 bytes. */
		ask(&m, req + 6, len - 6, &a);
		expect_answer(&a, "{\"error\":\"request line too long\"}\n", i);
	}
	free(req);
	mld_stop(&m);
}

/* Runs logread with args (NULL-terminated); returns the wait status. */
static int logread(const struct mld *m, const char *const *args, char **out,
		   char **err)
{
	char prog[512];
	const char *argv[16] = { prog, "-socket", m->query };
	int n = 3;

	h_prog(prog, sizeof(prog), "logread");
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run(argv, NULL, H_TIMEOUT_MS, out, err);
}

/* logread, refused ROUNDS times, must say so every time: exit 4 and the
 * server's words, never "cannot send the request" (exit 3). */
static void test_refused_logread(void **state)
{
	struct mld m = { 0 };
	struct h_conn holder;
	(void)state;

	if (!h_prog_exists("logread")) {
		print_message("# %s/logread is not built; skipping\n", h_build());
		skip();
	}
	start_full(&m, &holder);
	/* The legacy request, a text request, and stats (read to the end). */
	const char *const variants[][4] = {
		{ NULL }, { "-n", "3", NULL }, { "-stats", NULL },
	};
	for (int i = 0; i < ROUNDS; i++) {
		char *out, *err;
		int st = logread(&m, variants[i % 3], &out, &err);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 4 ||
		    strcmp(err, "logread: the server answered with an error: "
				"too many query clients\n") != 0)
			fail_msg("round %d: status 0x%x, stderr: %s", i, st, err);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
	h_conn_close(&holder);
	mld_stop(&m);
}

/* A server that answers every connection as a refusing daemon without
 * care would: it waits for the request, writes an error line and closes
 * without reading it, so the client's read after that line fails with
 * ECONNRESET. Serves n connections in a child process. */
static pid_t careless_server(const char *path, int n)
{
	struct sockaddr_un sa;
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(ls >= 0);
	h_sun_path(&sa, path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char no[] = "{\"error\":\"go away\"}\n";
		for (int i = 0; i < n; i++) {
			int c = accept(ls, NULL, NULL);
			if (c < 0)
				_exit(1);
			struct pollfd p = { .fd = c, .events = POLLIN };
			if (poll(&p, 1, H_TIMEOUT_MS) != 1 ||
			    write(c, no, sizeof(no) - 1) != sizeof(no) - 1)
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(ls);
	h_track_pid(pid);
	return pid;
}

/* logread reads the error line to its end although the connection is
 * reset after it: exit 4 with the server's words, for an entries request
 * and for stats (which reads the answer to the end before parsing it). */
static void test_reset_after_error_logread(void **state)
{
	struct mld m = { 0 };
	char path[200];
	(void)state;

	if (!h_prog_exists("logread")) {
		print_message("# %s/logread is not built; skipping\n", h_build());
		skip();
	}
	mld_init(&m);
	snprintf(path, sizeof(path), "%s/careless.sock", m.dir);
	pid_t pid = careless_server(path, 2);
	const char *const variants[][4] = { { "-n", "1", NULL }, { "-stats", NULL } };
	for (int i = 0; i < 2; i++) {
		char prog[512], *out, *err;
		const char *argv[8] = { prog, "-socket", path };
		int n = 3;
		h_prog(prog, sizeof(prog), "logread");
		for (const char *const *a = variants[i]; *a; a++)
			argv[n++] = *a;
		argv[n] = NULL;
		int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 4 ||
		    strcmp(err, "logread: the server answered with an error: "
				"go away\n") != 0)
			fail_msg("%s: status 0x%x, stderr: %s", variants[i][0], st,
				 err);
		free(out);
		free(err);
	}
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	mld_cleanup(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused_raw, h_teardown),
		cmocka_unit_test_teardown(test_bad_request_raw, h_teardown),
		cmocka_unit_test_teardown(test_refused_logread, h_teardown),
		cmocka_unit_test_teardown(test_reset_after_error_logread,
					  h_teardown),
	};
	return cmocka_run_group_tests_name("itest_refusal", tests, NULL, NULL);
}
