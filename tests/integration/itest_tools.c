/* The client programs against the real memlogd: memlog-run (the LinuxKit
 * wrapper's replacement) and logread. Skipped while a program is not
 * built yet. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void need(const char *prog)
{
	if (!h_prog_exists(prog)) {
		print_message("# %s/%s is not built; skipping\n", h_build(), prog);
		skip();
	}
}

/* Runs a program of the build with args (NULL-terminated) and asserts
 * its exit status; its stdout and stderr in *out and *err. */
static void run_expect(const char *prog, const char *const *args, char **out,
		       char **err, int want)
{
	int st = h_run_prog(prog, args, H_TIMEOUT_MS, out, err);

	h_expect_exit(st, want, prog, *err);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_run_registers(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("memlog-run");
	mld_start(&m, NULL);
	const char *args[] = { "-socket", m.log, "-n", "job", "--", "sh", "-c",
			       "echo out; echo err >&2; exit 3", NULL };
	run_expect("memlog-run", args, &out, &err, 3);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(out);
	free(err);
	h_wait_source_stat(&m, "job.out", "stdout", "lines", 1);
	h_wait_source_stat(&m, "job", "stderr", "lines", 1);
	json_t *a = h_dump(&m, "dump source=job.out\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "out");
	assert_string_equal(h_jstr(json_array_get(a, 0), "stream"), "stdout");
	json_decref(a);
	a = h_dump(&m, "dump source=job\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "err");
	assert_string_equal(h_jstr(json_array_get(a, 0), "stream"), "stderr");
	json_decref(a);
	/* The streams end with the command. */
	h_wait_source_stat(&m, "job.out", "stdout", "fds", 0);
	h_wait_source_stat(&m, "job", "stderr", "fds", 0);
	mld_stop(&m);
}

static void test_run_without_daemon(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("memlog-run");
	mld_init(&m); /* a dir, no daemon: the socket does not exist */
	const char *args[] = { "-socket", m.log, "-n", "job", "--", "sh", "-c",
			       "echo out; echo err >&2; exit 4", NULL };
	run_expect("memlog-run", args, &out, &err, 4);
	assert_string_equal(out, "out\n");
	/* One notice from memlog-run, then the command's own stderr. */
	assert_int_equal(count_lines(err), 2);
	assert_int_equal(strncmp(err, "memlog-run: ", 12), 0);
	assert_null(strstr(err + 12, "memlog-run: "));
	const char *last = strstr(err, "\nerr\n");
	assert_non_null(last);
	assert_string_equal(last, "\nerr\n");
	free(out);
	free(err);
	mld_cleanup(&m);
}

/* A daemon with a few entries from two sources; "a;b" tests escaping. */
static void setup_log(struct mld *m, const char *const *extra)
{
	struct mld_opts o = { .args = extra };
	mld_start(m, &o);
	int w1 = h_register_pipe(m, "lr");
	int w2 = h_register_pipe(m, "a;b.out");
	h_writef(w1, "one\n");
	h_wait_source_stat(m, "lr", "stderr", "lines", 1);
	h_writef(w2, "two;2\n");
	h_wait_source_stat(m, "a;b.out", "stdout", "lines", 1);
	h_writef(w1, "three\n");
	h_wait_source_stat(m, "lr", "stderr", "lines", 2);
	close(w1);
	close(w2);
}

/* Checks "TIME<sep>rest" lines of out against want[]. */
static void check_timed(const char *out, char sep, const char *const *want,
			int n)
{
	const char *p = out;
	for (int i = 0; i < n; i++) {
		const char *nl = strchr(p, '\n');
		const char *s = memchr(p, sep, nl ? (size_t)(nl - p) : 0);
		if (!nl || !s)
			fail_msg("line %d missing in:\n%s", i, out);
		if (!h_parse_rfc3339nano(p, (size_t)(s - p), NULL))
			fail_msg("line %d has no RFC 3339 time: %.*s", i,
				 (int)(nl - p), p);
		if ((size_t)(nl - s) != strlen(want[i]) ||
		    memcmp(s, want[i], strlen(want[i])) != 0)
			fail_msg("line %d is %.*s, want TIME%s", i, (int)(nl - p), p,
				 want[i]);
		p = nl + 1;
	}
	if (*p)
		fail_msg("extra output: %s", p);
}

static void test_logread_default(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("logread");
	setup_log(&m, NULL);
	const char *args[] = { "-socket", m.query, NULL };
	run_expect("logread", args, &out, &err, 0);
	const char *want[] = { ";lr;one", ";a\\;b.out;two;2", ";lr;three" };
	check_timed(out, ';', want, 3);
	free(out);
	free(err);
	mld_stop(&m);
}

static void test_logread_options(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("logread");
	setup_log(&m, NULL);

	const char *a1[] = { "-socket", m.query, "-n", "2", NULL };
	run_expect("logread", a1, &out, &err, 0);
	check_timed(out, ';', (const char *[]){ ";a\\;b.out;two;2", ";lr;three" },
		    2);
	free(out);
	free(err);

	const char *a2[] = { "--socket", m.query, "--source", "lr", NULL };
	run_expect("logread", a2, &out, &err, 0);
	check_timed(out, ';', (const char *[]){ ";lr;one", ";lr;three" }, 2);
	free(out);
	free(err);

	const char *a3[] = { "-socket", m.query, "-o", "short", NULL };
	run_expect("logread", a3, &out, &err, 0);
	check_timed(out, ' ', (const char *[]){ " lr[stderr]: one",
		    " a;b.out[stdout]: two;2", " lr[stderr]: three" }, 3);
	free(out);
	free(err);

	const char *a4[] = { "-socket", m.query, "-o", "json", NULL };
	run_expect("logread", a4, &out, &err, 0);
	json_t *arr = h_ndjson(out, strlen(out));
	assert_int_equal(json_array_size(arr), 3);
	assert_int_equal(h_jint(json_array_get(arr, 0), "seq"), 1);
	assert_string_equal(h_jstr(json_array_get(arr, 1), "source"), "a;b.out");
	assert_string_equal(h_jstr(json_array_get(arr, 2), "msg"), "three");
	json_decref(arr);
	free(out);
	free(err);

	const char *a5[] = { "-socket", m.query, "-o", "raw", NULL };
	run_expect("logread", a5, &out, &err, 0);
	assert_string_equal(out, "one\ntwo;2\nthree\n");
	free(out);
	free(err);

	const char *a6[] = { "-socket", m.query, "--stats", NULL };
	run_expect("logread", a6, &out, &err, 0);
	json_t *st = h_json(out, strlen(out));
	assert_int_equal(h_jint(st, "ring.entries"), 3);
	json_decref(st);
	free(out);
	free(err);
	mld_stop(&m);
}

static void test_logread_raw_joins_pieces(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("logread");
	const char *extra[] = { "--max-line-len", "16", NULL };
	struct mld_opts o = { .args = extra };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "long");
	h_writef(w, "0123456789abcdefghijklmnopqrstuvwxyz\nshort\n");
	h_wait_source_stat(&m, "long", "stderr", "lines", 4);
	close(w);
	const char *args[] = { "-socket", m.query, "-o", "raw", NULL };
	run_expect("logread", args, &out, &err, 0);
	assert_string_equal(out, "0123456789abcdefghijklmnopqrstuvwxyz\nshort\n");
	free(out);
	free(err);
	mld_stop(&m);
}

static void test_logread_cursor_file(void **state)
{
	struct mld m = { 0 };
	char *out, *err, cf[200];
	(void)state;

	need("logread");
	mld_start(&m, NULL);
	snprintf(cf, sizeof(cf), "%s/cursor", m.dir);
	int w = h_register_pipe(&m, "cf");
	h_writef(w, "a\nb\n");
	h_wait_source_stat(&m, "cf", "stderr", "lines", 2);
	const char *args[] = { "-socket", m.query, "--cursor-file", cf, "-o",
			       "raw", NULL };
	run_expect("logread", args, &out, &err, 0);
	assert_string_equal(out, "a\nb\n");
	free(out);
	free(err);
	h_writef(w, "c\n");
	h_wait_source_stat(&m, "cf", "stderr", "lines", 3);
	run_expect("logread", args, &out, &err, 0);
	assert_string_equal(out, "c\n");
	free(out);
	free(err);
	run_expect("logread", args, &out, &err, 0);
	assert_string_equal(out, "");
	free(out);
	free(err);
	close(w);
	mld_stop(&m);
}

/* -n counts the entries that pass the filters (the server's last=N with
 * source globs): appA's 3 lines are printed although appB wrote 10 after
 * them. */
static void test_logread_lines_filtered(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("logread");
	mld_start(&m, NULL);
	int a = h_register_pipe(&m, "appA");
	int b = h_register_pipe(&m, "appB");
	h_writef(a, "a1\na2\na3\n");
	h_wait_source_stat(&m, "appA", "stderr", "lines", 3);
	for (int i = 1; i <= 10; i++)
		h_writef(b, "b%d\n", i);
	h_wait_source_stat(&m, "appB", "stderr", "lines", 10);
	const char *args[] = { "-socket", m.query, "-n", "3", "-source", "appA*",
			       "-o", "raw", NULL };
	run_expect("logread", args, &out, &err, 0);
	assert_string_equal(out, "a1\na2\na3\n");
	free(out);
	free(err);
	const char *args2[] = { "-socket", m.query, "-n", "2", "-source", "appA*",
				"-o", "raw", NULL };
	run_expect("logread", args2, &out, &err, 0);
	assert_string_equal(out, "a2\na3\n");
	free(out);
	free(err);
	close(a);
	close(b);
	mld_stop(&m);
}

/* A cursor file whose content the server refuses as a cursor is the
 * cursor file's fault: exit 5 (as for one that is not a cursor at all),
 * nothing printed, the file left as it is. A refused -after-cursor is the
 * server's answer to the command line: exit 4. */
static void test_logread_junk_cursor_file(void **state)
{
	struct mld m = { 0 };
	char *out, *err, cf[200], newer[128];
	(void)state;

	need("logread");
	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "jc");
	h_writef(w, "a\n");
	h_wait_source_stat(&m, "jc", "stderr", "lines", 1);
	json_t *st = h_stats(&m);
	snprintf(newer, sizeof(newer), "m1-%s-00000000000003e8\n",
		 h_jstr(st, "instance"));
	json_decref(st);
	snprintf(cf, sizeof(cf), "%s/cursor", m.dir);
	/* junk; the shape of a cursor but not one; a cursor of this daemon
	 * past its newest entry; bytes that are not text at all. */
	const char *contents[] = { "junk\n", "m1-zz\n", newer, "\x01\x02 x\n" };
	for (size_t i = 0; i < 4; i++) {
		FILE *f = fopen(cf, "w");
		assert_non_null(f);
		fputs(contents[i], f);
		fclose(f);
		const char *args[] = { "-socket", m.query, "-cursor-file", cf,
				       "-o", "raw", NULL };
		run_expect("logread", args, &out, &err, 5);
		assert_string_equal(out, "");
		if (!strstr(err, cf) || !strstr(err, "remove it"))
			fail_msg("the message does not name the file: %s", err);
		free(out);
		free(err);
		size_t len;
		char *kept = h_read_file(cf, &len);
		assert_string_equal(kept, contents[i]);
		free(kept);
	}
	const char *args[] = { "-socket", m.query, "-after-cursor", "junk", NULL };
	run_expect("logread", args, &out, &err, 4);
	free(out);
	free(err);
	close(w);
	mld_stop(&m);
}

static void test_logread_missing_socket(void **state)
{
	struct mld m = { 0 };
	char *out, *err;
	(void)state;

	need("logread");
	mld_init(&m);
	const char *args[] = { "-socket", m.query, NULL };
	run_expect("logread", args, &out, &err, 3);
	assert_string_equal(out, "");
	assert_true(strlen(err) > 0);
	free(out);
	free(err);
	mld_cleanup(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_run_registers, h_teardown),
		cmocka_unit_test_teardown(test_run_without_daemon, h_teardown),
		cmocka_unit_test_teardown(test_logread_default, h_teardown),
		cmocka_unit_test_teardown(test_logread_options, h_teardown),
		cmocka_unit_test_teardown(test_logread_raw_joins_pieces, h_teardown),
		cmocka_unit_test_teardown(test_logread_cursor_file, h_teardown),
		cmocka_unit_test_teardown(test_logread_missing_socket, h_teardown),
		cmocka_unit_test_teardown(test_logread_lines_filtered, h_teardown),
		cmocka_unit_test_teardown(test_logread_junk_cursor_file, h_teardown),
	};
	return h_run_tests("itest_tools", tests, NULL, NULL);
}
