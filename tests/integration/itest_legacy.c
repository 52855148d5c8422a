/* LinuxKit compatibility of the real memlogd: the legacy one-byte query
 * protocol and its exact output, line assembly, naming conventions,
 * registration forms and Go-style flags. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Checks one raw legacy line (without '\n') byte by byte:
 * {"time":"<RFC3339Nano>","source":"<src>","msg":"<msg>"} with the keys in
 * that order and no others; src and msg are the expected escaped forms.
 * The time must lie in [t0, t1] (ns). */
static void check_legacy_line(const char *line, size_t len, const char *src,
			      const char *msg, uint64_t t0, uint64_t t1)
{
	static const char pre[] = "{\"time\":\"";
	char tail[4096];

	if (len < sizeof(pre) - 1 || memcmp(line, pre, sizeof(pre) - 1) != 0)
		fail_msg("line does not start with {\"time\":\": %s", line);
	const char *ts = line + sizeof(pre) - 1;
	const char *te = memchr(ts, '"', len - (size_t)(ts - line));
	assert_non_null(te);
	uint64_t ns;
	if (!h_parse_rfc3339nano(ts, (size_t)(te - ts), &ns))
		fail_msg("bad RFC 3339 nano time %.*s in %s", (int)(te - ts), ts,
			 line);
	if (ns < t0 || ns > t1)
		fail_msg("time %.*s is outside the test's run", (int)(te - ts), ts);
	snprintf(tail, sizeof(tail), "\",\"source\":\"%s\",\"msg\":\"%s\"}", src,
		 msg);
	size_t rest = len - (size_t)(te - line);
	if (rest != strlen(tail) || memcmp(te, tail, rest) != 0)
		fail_msg("line\n  %s\nhas not the tail\n  %s", line, tail);
	/* And it is valid JSON with exactly those three keys. */
	json_t *j = h_json(line, len);
	assert_int_equal(json_object_size(j), 3);
	json_decref(j);
}

/* Splits a whole reply into lines; returns how many. */
static size_t split_lines(char *buf, size_t len, char **lines, size_t *lens,
			  size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			fail_msg("reply does not end in a newline");
		assert_true(n < max);
		lines[n] = buf + i;
		lens[n] = (size_t)(nl - (buf + i));
		*nl = '\0';
		n++;
		i += lens[n - 1] + 1;
	}
	return n;
}

static void test_dump_format(void **state)
{
	struct mld m = { 0 };
	(void)state;

	uint64_t t0 = h_now_ns() - 1000000000ull;
	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "web.out");
	static const char input[] =
		"hello\n"
		"a<b>&c\n"
		"\xff\xfe x\n"
		"crlf\r\n"
		"\n"
		"nul\0byte\n"
		"tab\there \"q\" back\\slash\n"
		"mid\rcr\n"
		"ctl\x01\x1f\n"
		"ls\xe2\x80\xa8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"
		"tail";
	static const char *const want[] = {
		"hello",
		"a\\u003cb\\u003e\\u0026c",
		"\\ufffd\\ufffd x",
		"crlf",
		"",
		"nul\\u0000byte",
		"tab\\there \\\"q\\\" back\\\\slash",
		"mid\\rcr",
		"ctl\\u0001\\u001f",
		"ls\\u2028 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		"tail",
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	h_write_all(w, input, sizeof(input) - 1);
	close(w); /* EOF: the final line without '\n' is emitted */
	h_wait_source_stat(&m, "web.out", "stdout", "fds", 0);
	h_wait_source_stat(&m, "web.out", "stdout", "lines", (json_int_t)nwant);

	size_t len;
	char *out = h_read_all_close(h_query_bytes(&m, "\0", 1), H_TIMEOUT_MS,
				     &len);
	uint64_t t1 = h_now_ns() + 1000000000ull;
	char *lines[64];
	size_t lens[64];
	size_t n = split_lines(out, len, lines, lens, 64);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		check_legacy_line(lines[i], lens[i], "web.out", want[i], t0, t1);
	free(out);
	mld_stop(&m);
}

/* memlog's logread without a memlog option sends LinuxKit's byte with
 * memlog's request for binary records behind it (docs/protocol.md), which
 * memlogd answers in binary records; it prints them exactly as it prints
 * LinuxKit's JSON lines (--legacy-request: the byte alone): invalid UTF-8
 * as U+FFFD, ';' in a name, control bytes, split long lines, a kernel
 * log gap notice, a line without its newline (a NUL byte too, checked by
 * hand: these outputs are compared as C strings). stats counts one
 * request of each kind. */
static void test_logread_upgrade_same_output(void **state)
{
	struct mld m = { 0 };
	char path[256];
	(void)state;

	if (!h_prog_exists("logread"))
		fail_msg("%s/logread is not built", h_build());
	mld_init(&m);
	snprintf(path, sizeof(path), "%s/fake", m.dir);
	h_write_file(path, "6,0,1000,-;k zero\n6,3,2000,-;k three\n", 0644);
	static const char *const args[] = { "--max-line-len", "64",
					    "--kmsg=%D/fake", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "a;b\xff.out");
	static const char input[] =
		"hello\n"
		"\xff\xfe x \xc3\n"
		"ctl\x01\x1b[31m\x7f c1 \xc2\x85 ls\xe2\x80\xa8 \xe2\x82\xac\n"
		"0123456789012345678901234567890123456789012345678901234567890123456789\n"
		"tail";
	h_write_all(w, input, sizeof(input) - 1);
	close(w);
	/* (Its name is not UTF-8: stats and dumps name it with U+FFFD.) */
	json_decref(h_wait_dump_msg(&m, "dump\n", "tail"));
	json_decref(h_wait_dump_msg(&m, "dump\n", "k three"));

	const char *up[] = { "-socket", m.query, NULL };
	const char *lk[] = { "-socket", m.query, "--legacy-request", NULL };
	char *o1, *o2, *e1, *e2;
	h_expect_exit(h_run_prog("logread", up, H_TIMEOUT_MS, &o1, &e1), 0,
		      "logread", e1);
	h_expect_exit(h_run_prog("logread", lk, H_TIMEOUT_MS, &o2, &e2), 0,
		      "logread --legacy-request", e2);
	if (strcmp(o1, o2))
		fail_msg("logread printed\n%s\nbut with LinuxKit's JSON\n%s",
			 o1, o2);
	/* What LinuxKit's logread prints, in parts. */
	static const char *const want[] = {
		";a\\;b\xef\xbf\xbd.out;\xef\xbf\xbd\xef\xbf\xbd x \xef\xbf\xbd\n",
		";kmsg;missed 2 kernel messages",
		";a\\;b\xef\xbf\xbd.out;tail\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(o1, want[i]))
			fail_msg("logread's output lacks \"%s\":\n%s", want[i], o1);
	free(o1);
	free(o2);
	free(e1);
	free(e2);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "readers.binary_requests"), 1);
	assert_int_equal(h_jint(st, "readers.legacy_requests"), 1);
	json_decref(st);
	mld_stop(&m);
}

static void test_follow_mode1(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "f");
	h_writef(w, "before\n");
	h_wait_source_stat(&m, "f", "stderr", "lines", 1);
	h_conn_init(&c, h_query_bytes(&m, "\x01", 1));
	h_barrier(&m); /* the follow request has been read */
	h_writef(w, "after1\nafter2\n");
	uint64_t t0 = h_now_ns() - 1000000000ull;
	for (int i = 1; i <= 2; i++) {
		size_t len;
		char *l = h_conn_line(&c, H_TIMEOUT_MS, &len);
		char want[16];
		assert_non_null(l);
		snprintf(want, sizeof(want), "after%d", i);
		check_legacy_line(l, len, "f", want, t0, h_now_ns() + 1000000000ull);
		free(l);
	}
	/* Still following: one more line arrives on the same connection. */
	h_writef(w, "after3\n");
	size_t len;
	char *l = h_conn_line(&c, H_TIMEOUT_MS, &len);
	assert_non_null(l);
	check_legacy_line(l, len, "f", "after3", t0, h_now_ns() + 1000000000ull);
	free(l);
	h_conn_close(&c);
	close(w);
	mld_stop(&m);
}

static void test_dump_follow_mode2(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	uint64_t t0 = h_now_ns() - 1000000000ull;
	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "onboot.x");
	h_writef(w, "h1\nh2\n");
	h_wait_source_stat(&m, "onboot.x", "stderr", "lines", 2);
	h_conn_init(&c, h_query_bytes(&m, "\x02", 1));
	const char *want[] = { "h1", "h2", "l1", "l2" };
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			h_writef(w, "l1\nl2\n");
		size_t len;
		char *l = h_conn_line(&c, H_TIMEOUT_MS, &len);
		assert_non_null(l);
		check_legacy_line(l, len, "onboot.x", want[i], t0,
				  h_now_ns() + 1000000000ull);
		free(l);
	}
	h_conn_close(&c);
	close(w);
	mld_stop(&m);
}

/* Only the first byte counts; bytes after it are ignored, as in Go. */
static void test_mode0_ignores_trailing_bytes(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "t");
	h_writef(w, "one\n");
	h_wait_source_stat(&m, "t", "stderr", "lines", 1);
	size_t len;
	char *out = h_read_all_close(h_query_bytes(&m, "\0garbage\n", 9),
				     H_TIMEOUT_MS, &len);
	json_t *a = h_ndjson(out, len);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "one");
	json_decref(a);
	free(out);
	close(w);
	mld_stop(&m);
}

static void check_stream(json_t *entries, const char *source,
			 const char *stream, const char *msg)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e) {
		if (!strcmp(h_jstr(e, "source"), source)) {
			assert_string_equal(h_jstr(e, "stream"), stream);
			assert_string_equal(h_jstr(e, "msg"), msg);
			return;
		}
	}
	fail_msg("no entry from %s", source);
}

static void test_name_conventions(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	const char *names[] = { "svc.out", "svc", "onboot.x.out", "onboot.x",
				"shutdown.y.out", "out", ".out" };
	const char *streams[] = { "stdout", "stderr", "stdout", "stderr",
				  "stdout", "stderr", "stdout" };
	int w[7];
	for (int i = 0; i < 7; i++) {
		w[i] = h_register_pipe(&m, names[i]);
		h_writef(w[i], "msg of %s\n", names[i]);
	}
	for (int i = 0; i < 7; i++)
		h_wait_source_stat(&m, names[i], streams[i], "lines", 1);
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 7);
	for (int i = 0; i < 7; i++) {
		char msg[64];
		snprintf(msg, sizeof(msg), "msg of %s", names[i]);
		check_stream(a, names[i], streams[i], msg);
		close(w[i]);
	}
	json_decref(a);
	mld_stop(&m);
}

static void test_several_fds_one_datagram(void **state)
{
	struct mld m = { 0 };
	int p[3][2], rd[3];
	(void)state;

	mld_start(&m, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe2(p[i], O_CLOEXEC), 0);
		rd[i] = p[i][0];
	}
	assert_int_equal(h_register(m.log, "multi", 5, rd, 3), 0);
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		h_writef(p[i][1], "from-%d\n", i);
	}
	h_wait_source_stat(&m, "multi", "stderr", "lines", 3);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.accepted"), 3);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 3);
	assert_int_equal(h_jint(h_stats_source(st, "multi", "stderr"), "fds"), 3);
	json_decref(st);

	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 3);
	bool seen[3] = { false, false, false };
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		int k;
		assert_string_equal(h_jstr(e, "source"), "multi");
		assert_int_equal(sscanf(h_jstr(e, "msg"), "from-%d", &k), 1);
		assert_true(k >= 0 && k < 3 && !seen[k]);
		seen[k] = true;
	}
	json_decref(a);
	for (int k = 0; k < 3; k++)
		close(p[k][1]);
	mld_stop(&m);
}

static void test_datagram_without_fd_ignored(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(h_register(m.log, "nofd", 4, NULL, 0), 0);
	h_wait_stat(&m, "registrations.without_fd", 1);
	json_t *st = h_stats(&m);
	assert_null(h_stats_source(st, "nofd", NULL));
	assert_int_equal(h_jint(st, "registrations.accepted"), 0);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 0);
	assert_int_equal(h_jint(st, "ring.entries"), 0);
	json_decref(st);
	mld_stop(&m);
}

static void test_regular_file_source(void **state)
{
	struct mld m = { 0 };
	char path[256];
	(void)state;

	mld_start(&m, NULL);
	snprintf(path, sizeof(path), "%s/f.txt", m.dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	h_writef(fd, "f1\nf2\r\nf3");
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(h_register(m.log, "file", 4, &fd, 1), 0);
	close(fd);
	h_wait_source_stat(&m, "file", "stderr", "fds", 0);
	h_wait_source_stat(&m, "file", "stderr", "lines", 3);
	json_t *a = h_dump(&m, "dump source=file\n");
	assert_int_equal(json_array_size(a), 3);
	const char *want[] = { "f1", "f2", "f3" };
	for (int i = 0; i < 3; i++) {
		json_t *e = json_array_get(a, (size_t)i);
		assert_string_equal(h_jstr(e, "msg"), want[i]);
		assert_false(h_jbool(e, "partial"));
		if (i < 2)
			assert_null(json_object_get(e, "eof"));
		else
			assert_true(h_jbool(e, "eof"));
	}
	json_decref(a);
	mld_stop(&m);
}

static void test_go_style_flags(void **state)
{
	struct mld m = { 0 };
	(void)state;

	const char *args[] = { "-socket-log", "%L", "-socket-query=%Q",
			       "-max-lines", "3", NULL };
	struct mld_opts o = { .args = args, .no_socket_args = true };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "go");
	for (int i = 1; i <= 10; i++)
		h_writef(w, "n%d\n", i);
	h_wait_source_stat(&m, "go", "stderr", "lines", 10);
	size_t len;
	char *out = h_read_all_close(h_query_bytes(&m, "\0", 1), H_TIMEOUT_MS,
				     &len);
	char *lines[16];
	size_t lens[16];
	size_t n = split_lines(out, len, lines, lens, 16);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		char want[8];
		snprintf(want, sizeof(want), "n%zu", i + 8);
		check_legacy_line(lines[i], lens[i], "go", want, 0, UINT64_MAX);
	}
	free(out);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "ring.entries"), 3);
	assert_int_equal(h_jint(st, "ring.max_entries"), 3);
	assert_int_equal(h_jint(st, "ring.oldest_seq"), 8);
	assert_int_equal(h_jint(st, "ring.newest_seq"), 10);
	json_decref(st);
	close(w);
	mld_stop(&m);
}

static int bind_unix(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 64), 0);
	return fd;
}

static void test_inherited_fds(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_init(&m);
	int dg = bind_unix(m.log, SOCK_DGRAM);
	int st = bind_unix(m.query, SOCK_STREAM);
	const char *args[] = { "-fd-log", "3", "-fd-query=4", NULL };
	struct h_fdmap fds[] = { { dg, 3 }, { st, 4 } };
	struct mld_opts o = { .args = args, .no_socket_args = true,
			      .fds = fds, .nfds = 2, .keep_sockets = true };
	mld_start(&m, &o);
	close(dg);
	close(st);
	int w = h_register_pipe(&m, "inh");
	h_writef(w, "via inherited fds\n");
	h_wait_source_stat(&m, "inh", "stderr", "lines", 1);
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"),
			    "via inherited fds");
	json_decref(a);
	close(w);
	mld_stop(&m);
}

/* Processes whose executable is memlogd and whose command line mentions
 * dir (the daemonized copy). */
static int find_daemons(const char *dir, pid_t *out, int max)
{
	char prog[512], real[PATH_MAX];
	int n = 0;

	h_prog(prog, sizeof(prog), "memlogd");
	assert_non_null(realpath(prog, real));
	DIR *d = opendir("/proc");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[64], exe[PATH_MAX];
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
		ssize_t l = readlink(p, exe, sizeof(exe) - 1);
		if (l < 0)
			continue;
		exe[l] = '\0';
		if (strcmp(exe, real) != 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
		size_t cl;
		char *cmd = h_read_file(p, &cl);
		if (!cmd)
			continue;
		if (memmem(cmd, cl, dir, strlen(dir)) && n < max)
			out[n++] = (pid_t)pid;
		free(cmd);
	}
	closedir(d);
	return n;
}

static void test_daemonize(void **state)
{
	struct mld m = { 0 };
	char prog[512];
	struct stat sb;
	(void)state;

	/* The background copy is reparented to us, so it can be reaped and
	 * its exit status checked. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	mld_init(&m);
	h_prog(prog, sizeof(prog), "memlogd");
	const char *argv[] = { prog, "-daemonize", "-socket-log", m.log,
			       "-socket-query", m.query, NULL };
	char *err = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlogd -daemonize: status 0x%x, stderr: %s", st, err);
	free(err);
	/* The sockets exist when the parent has exited. */
	assert_int_equal(lstat(m.log, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(lstat(m.query, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));

	pid_t pids[4];
	int n = find_daemons(m.dir, pids, 4);
	assert_int_equal(n, 1);
	m.pid = pids[0];
	h_track_pid(m.pid);
	mld_wait_ready(&m);

	int w = h_register_pipe(&m, "bg");
	h_writef(w, "served in the background\n");
	h_wait_source_stat(&m, "bg", "stderr", "lines", 1);
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"),
			    "served in the background");
	json_decref(a);
	close(w);
	pid_t pid = m.pid;
	mld_stop(&m); /* exit 0 and both socket files removed */
	h_untrack_pid(pid);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dump_format, h_teardown),
		cmocka_unit_test_teardown(test_logread_upgrade_same_output,
					  h_teardown),
		cmocka_unit_test_teardown(test_follow_mode1, h_teardown),
		cmocka_unit_test_teardown(test_dump_follow_mode2, h_teardown),
		cmocka_unit_test_teardown(test_mode0_ignores_trailing_bytes,
					  h_teardown),
		cmocka_unit_test_teardown(test_name_conventions, h_teardown),
		cmocka_unit_test_teardown(test_several_fds_one_datagram,
					  h_teardown),
		cmocka_unit_test_teardown(test_datagram_without_fd_ignored,
					  h_teardown),
		cmocka_unit_test_teardown(test_regular_file_source, h_teardown),
		cmocka_unit_test_teardown(test_go_style_flags, h_teardown),
		cmocka_unit_test_teardown(test_inherited_fds, h_teardown),
		cmocka_unit_test_teardown(test_daemonize, h_teardown),
	};
	return h_run_tests("itest_legacy", tests, NULL, NULL);
}
