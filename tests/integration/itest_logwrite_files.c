/* Which files logwrite writes, against the real memlogd: sources of
 * different streams never share a file (a syslog tag "web" is not the
 * container "web", a tag "memlogd" cannot write into memlogd.log); a
 * file that cannot be written holds up its source only.
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* memlogd with its syslog socket at DIR/syslog.sock. */
static void start_with_syslog(struct mld *m, char *sock, size_t cap)
{
	static const char *const args[] = { "--syslog=%D/syslog.sock", NULL };
	struct mld_opts o = { .args = args };

	mld_start(m, &o);
	snprintf(sock, cap, "%s/syslog.sock", m->dir);
}

/* One syslog datagram, as a local program's syslog(3) sends it. */
static void send_syslog(const char *path, const char *msg)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)strlen(msg))
		fail_msg("sendto %s: %s", path, strerror(errno));
	close(fd);
}

/* Checks that a file holds exactly the lines "TIME SOURCE MSG" given
 * (without their times), in order. */
static void expect_text(const struct lw *l, const char *name,
			const char *const *rest)
{
	char *s = lw_file(l, name, NULL), *p;

	if (!s)
		fail_msg("%s is missing", name);
	p = s;
	for (; *rest; rest++) {
		char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		size_t rl = strlen(*rest);
		if (!sp || !nl || (size_t)(nl - sp - 1) != rl ||
		    memcmp(sp + 1, *rest, rl))
			fail_msg("%s holds\n%s\nwant a line '%s'", name, s, *rest);
		p = nl + 1;
	}
	if (*p)
		fail_msg("%s holds more than expected:\n%s", name, s);
	free(s);
}

static void test_streams_apart(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char sock[256];
	(void)state;

	lw_need();
	start_with_syslog(&m, sock, sizeof(sock));
	lw_init(&l, &m);
	/* The container web (stderr), a local user's syslog tag web. */
	int web = h_register_pipe(&m, "web");
	h_writef(web, "from the container\n");
	send_syslog(sock, "<14>web: from syslog");
	/* A syslog tag and a container, both named memlogd, that try to
	 * write a loss notice of memlogd. */
	send_syslog(sock, "<14>memlogd: memlogd: 999 entries after the cursor "
		    "were overwritten (seq 1-999)");
	int fake = h_register_pipe(&m, "memlogd");
	h_writef(fake, "memlogd: 5 entries after the cursor were overwritten "
		 "(seq 1-5)\n");
	/* A source whose stream is not the one its name tells (memlog's
	 * stream= attribute), beside one with the conventional stream. */
	static const char app_out[] = "app\0stream=stdout";
	int a1 = h_register_pipe_raw(&m, app_out, sizeof(app_out) - 1);
	int a2 = h_register_pipe(&m, "app");
	h_writef(a1, "app stdout\n");
	h_writef(a2, "app stderr\n");
	h_wait_source_stat(&m, "app", "stdout", "lines", 1);
	h_wait_source_stat(&m, "app", "stderr", "lines", 1);
	h_wait_source_stat(&m, "memlogd", "stderr", "lines", 1);
	h_wait_source_stat(&m, "web", "stderr", "lines", 1);
	h_wait_source_stat(&m, "web", "syslog", "lines", 1);
	h_wait_source_stat(&m, "memlogd", "syslog", "lines", 1);

	lw_start(&l, &m, NULL);
	lw_wait_contains(&l, "app@stdout.log", "app stdout");
	lw_wait_contains(&l, "app.log", "app stderr");
	lw_wait_contains(&l, "web.log", "from the container");
	lw_wait_contains(&l, "web@syslog.log", "from syslog");
	lw_wait_contains(&l, "memlogd@syslog.log", "999 entries");
	lw_wait_contains(&l, "memlogd@stderr.log", "5 entries");
	lw_stop(&l);
	expect_text(&l, "web.log", (const char *const[]){
		    "web from the container", NULL });
	expect_text(&l, "web@syslog.log", (const char *const[]){
		    "web from syslog", NULL });
	expect_text(&l, "app.log", (const char *const[]){ "app app stderr", NULL });
	expect_text(&l, "app@stdout.log", (const char *const[]){
		    "app app stdout", NULL });
	/* No memlogd.log: memlogd lost nothing, and nobody else may write
	 * there. */
	lw_expect_listing(&l, "app.log|app@stdout.log|memlogd@stderr.log|"
			  "memlogd@syslog.log|web.log|web@syslog.log");
	close(web);
	close(fake);
	close(a1);
	close(a2);
	mld_stop(&m);
}

/* Waits until logwrite has committed memlogd's newest entry. */
static void wait_caught_up(const struct lw *l, const struct mld *m)
{
	json_t *last = h_dump(m, "dump last=1\n");
	char want[256];

	assert_int_equal(json_array_size(last), 1);
	snprintf(want, sizeof(want), "\ncursor %s\n",
		 h_jstr(json_array_get(last, 0), "cursor"));
	json_decref(last);
	lw_wait_contains(l, ".logwrite.state", want);
}

/* LOG_DIR/SOURCE.log is a directory, a symbolic link, a FIFO without a
 * reader: only that source is held up (parked, said once, counted), the
 * others are written; a stop still works; once the obstacle is gone the
 * source is written again and the count of what was dropped is in
 * memlogd.log, also across a crash. */
static void test_bad_file_isolated(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char p[512], target[512], *s, *err;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_path(p, sizeof(p), &l, "d.log");
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", m.dir);
	lw_put(&l, "../elsewhere", "not a log\n");
	lw_path(p, sizeof(p), &l, "s.log");
	assert_int_equal(symlink(target, p), 0);
	lw_path(p, sizeof(p), &l, "f.log");
	assert_int_equal(mkfifo(p, 0644), 0);

	int d = h_register_pipe(&m, "d");
	int sl = h_register_pipe(&m, "s");
	int f = h_register_pipe(&m, "f");
	int good = h_register_pipe(&m, "good");
	for (int i = 0; i < 5; i++) {
		h_writef(d, "d %d\n", i);
		h_writef(sl, "s %d\n", i);
		h_writef(f, "f %d\n", i);
	}
	for (int i = 0; i < 3000; i++)
		h_writef(good, "good %04d\n", i);
	h_wait_source_stat(&m, "good", "stderr", "lines", 3000);

	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	lw_wait_contains(&l, "good.log", "good 2999\n");
	s = lw_file(&l, "good.log", NULL);
	assert_int_equal(h_count_str(s, "\n"), 3000);
	free(s);
	/* Each refusal said once, with the reason. */
	lw_wait_stderr(&l, "f.log");
	err = lw_stderr(&l);
	assert_int_equal(h_count_str(err, "not writing d.log"), 1);
	assert_non_null(strstr(err, "d.log in "));
	assert_non_null(strstr(err, "it is a directory"));
	assert_int_equal(h_count_str(err, "not writing s.log"), 1);
	assert_non_null(strstr(err, "it is a symbolic link"));
	assert_int_equal(h_count_str(err, "not writing f.log"), 1);
	assert_non_null(strstr(err, "FIFO"));
	free(err);
	/* The counts are durable. */
	wait_caught_up(&l, &m);
	s = lw_file(&l, ".logwrite.state", NULL);
	assert_non_null(strstr(s, "\npark d 5\n"));
	assert_non_null(strstr(s, "\npark f 5\n"));
	free(s);
	/* A crash, then the directory goes away. */
	kill(l.pid, SIGKILL);
	h_wait_pid(l.pid, H_TIMEOUT_MS);
	h_untrack_pid(l.pid);
	l.pid = 0;
	lw_path(p, sizeof(p), &l, "d.log");
	assert_int_equal(rmdir(p), 0);
	h_writef(d, "d back\n");
	h_writef(f, "f 5\n");
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	lw_wait_contains(&l, "d.log", "d back\n");
	lw_wait_contains(&l, "memlogd.log", "writing d.log again");
	lw_stop(&l); /* a FIFO never holds up a stop */
	/* Nothing went through the link or into the FIFO's place. */
	s = h_read_file(target, NULL);
	assert_string_equal(s, "not a log\n");
	free(s);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	lw_path(p, sizeof(p), &l, "s.log");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	lw_path(p, sizeof(p), &l, "f.log");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	s = lw_file(&l, "d.log", NULL);
	assert_string_equal(s, "d back\n");
	free(s);
	/* memlogd.log: each refusal, the count the crash did not lose, and
	 * at the stop the counts of the files still parked. */
	s = lw_file(&l, "memlogd.log", NULL);
	assert_non_null(s);
	assert_int_equal(h_count_str(s, "logwrite: not writing d.log"), 1);
	assert_int_equal(h_count_str(s, "logwrite: not writing s.log"), 1);
	assert_int_equal(h_count_str(s, "logwrite: not writing f.log"), 1);
	assert_non_null(strstr(s, "logwrite: 5 entries for d.log were "
			       "dropped while it could not be written\n"));
	assert_non_null(strstr(s, "logwrite: 5 entries for s.log were "
			       "dropped; it still cannot be written\n"));
	assert_non_null(strstr(s, "logwrite: 6 entries for f.log were "
			       "dropped; it still cannot be written\n"));
	free(s);
	close(d);
	close(sl);
	close(f);
	close(good);
	mld_stop(&m);
}

/* A FIFO without a reader in a source's place: opening it must not
 * block logwrite (other sources, a stop). */
static void test_fifo_never_blocks(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char p[512];
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_path(p, sizeof(p), &l, "f.log");
	assert_int_equal(mkfifo(p, 0644), 0);
	int f = h_register_pipe(&m, "f");
	int good = h_register_pipe(&m, "good");
	h_writef(f, "into the fifo?\n");
	h_writef(good, "good\n");
	h_wait_source_stat(&m, "good", "stderr", "lines", 1);
	lw_start(&l, &m, NULL);
	lw_wait_contains(&l, "good.log", " good good\n");
	lw_wait_stderr(&l, "not writing f.log");
	lw_stop(&l);
	close(f);
	close(good);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_streams_apart, h_teardown),
		cmocka_unit_test_teardown(test_bad_file_isolated, h_teardown),
		cmocka_unit_test_teardown(test_fifo_never_blocks, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
