/* Which files logwrite writes, against the real memlogd: sources of
 * different streams never share a file (a syslog tag "web" is not the
 * container "web", a tag "memlogd" cannot write into memlogd.log); a
 * file that cannot be written holds up its source only; files logwrite
 * did not make (other programs' logs, a file put in place of one of
 * logwrite's) are never appended to, rotated, compressed or deleted.
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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
	h_send_str(sock, "<14>web: from syslog");
	/* A syslog tag and a container, both named memlogd, that try to
	 * write a loss notice of memlogd. */
	h_send_str(sock, "<14>memlogd: memlogd: 999 entries after the cursor "
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

/* ---- files of other programs ---- */

/* What a file is: content, inode, modification time. */
struct snap {
	const char *name;
	char *text;
	ino_t ino;
	struct timespec mtime;
};

static void snap_take(const struct lw *l, struct snap *sn)
{
	char p[512];
	struct stat st;

	lw_path(p, sizeof(p), l, sn->name);
	assert_int_equal(lstat(p, &st), 0);
	sn->text = h_read_file(p, NULL);
	sn->ino = st.st_ino;
	sn->mtime = st.st_mtim;
}

static void snap_same(const struct lw *l, struct snap *sn)
{
	char p[512], *now;
	struct stat st;

	lw_path(p, sizeof(p), l, sn->name);
	if (lstat(p, &st) < 0)
		fail_msg("%s is gone", sn->name);
	now = h_read_file(p, NULL);
	if (st.st_ino != sn->ino || strcmp(now, sn->text) ||
	    st.st_mtim.tv_sec != sn->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != sn->mtime.tv_nsec)
		fail_msg("%s was changed", sn->name);
	free(now);
	free(sn->text);
	sn->text = NULL;
}

/* The report: in a directory that holds other programs' logs, a source
 * named like one of them (dpkg, auth) must never append to, rotate or
 * delete their files, nor may --max-age delete their rotated files; a
 * source whose rotated names are taken (kern) is refused too. A source
 * with free names (web) is written, rotated, compressed and aged as
 * before. */
static void test_never_touches_other_files(void **state)
{
	static const char *const theirs[] = {
		"auth.log", "auth.log.1", "auth.log.3.gz", "dpkg.log",
		"dpkg.log.1", "dpkg.log.2.gz", "dpkg.log.3.gz", "dpkg.log.4.gz",
		"dpkg.log.5.gz", "dpkg.log.6.gz", "kern.log.4.gz",
		"alternatives.log.1",
	};
	struct snap sn[ARRAY_SIZE(theirs)];
	struct mld m = { 0 };
	struct lw l;
	char *s;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	for (size_t i = 0; i < ARRAY_SIZE(theirs); i++) {
		char text[128];
		snprintf(text, sizeof(text), "%s of another program\n", theirs[i]);
		lw_put(&l, theirs[i], text);
		lw_set_old(&l, theirs[i], 30 * 86400);
		sn[i] = (struct snap){ .name = theirs[i] };
		snap_take(&l, &sn[i]);
	}
	int dpkg = h_register_pipe(&m, "dpkg");
	int auth = h_register_pipe(&m, "auth");
	int kern = h_register_pipe(&m, "kern");
	int web = h_register_pipe(&m, "web");
	/* Enough for several rotations of each at 100 bytes. */
	for (int i = 0; i < 40; i++) {
		h_writef(dpkg, "dpkg %04d-aaaaaaaaaaaaaa\n", i);
		h_writef(auth, "auth %04d-aaaaaaaaaaaaaa\n", i);
		h_writef(kern, "kern %04d-aaaaaaaaaaaaaa\n", i);
		h_writef(web, "web %04d-aaaaaaaaaaaaaa\n", i);
	}
	h_wait_source_stat(&m, "web", "stderr", "lines", 40);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "--max-age", "7d", "--compress", NULL });
	wait_caught_up(&l, &m);
	lw_stop(&l);
	/* Their files are as they were; logwrite made none of their kind
	 * (no dpkg.log.0, no kern.log); web was rotated and compressed. */
	for (size_t i = 0; i < ARRAY_SIZE(theirs); i++)
		snap_same(&l, &sn[i]);
	s = lw_listing(&l);
	char *ours = strstr(s, "|web.log|web.log.0.gz|web.log.1.gz|");
	if (!ours)
		fail_msg("web was not rotated: %s", s);
	*ours = '\0';
	assert_string_equal(s, "alternatives.log.1|auth.log|auth.log.1|"
			    "auth.log.3.gz|dpkg.log|dpkg.log.1|dpkg.log.2.gz|"
			    "dpkg.log.3.gz|dpkg.log.4.gz|dpkg.log.5.gz|"
			    "dpkg.log.6.gz|kern.log.4.gz|memlogd.log");
	free(s);
	/* Said clearly, on stderr and in memlogd.log. */
	s = lw_stderr(&l);
	assert_int_equal(h_count_str(s, "not writing dpkg.log"), 1);
	assert_int_equal(h_count_str(s, "not writing auth.log"), 1);
	assert_int_equal(h_count_str(s, "not writing kern.log"), 1);
	assert_non_null(strstr(s, "dpkg.log in "));
	assert_non_null(strstr(s, ": it was not created by logwrite"));
	assert_non_null(strstr(s, "kern.log.4.gz is there and was not created "
			       "by logwrite"));
	free(s);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_non_null(s);
	assert_int_equal(h_count_str(s, "logwrite: not writing dpkg.log"), 1);
	assert_int_equal(h_count_str(s, "logwrite: not writing auth.log"), 1);
	assert_int_equal(h_count_str(s, "logwrite: not writing kern.log"), 1);
	assert_non_null(strstr(s, "logwrite: 40 entries for dpkg.log were "
			       "dropped; it still cannot be written\n"));
	free(s);
	close(dpkg);
	close(auth);
	close(kern);
	close(web);
	mld_stop(&m);
}

/* A file of logwrite's replaced behind its back (another file now has
 * its name) is recognised: never cut back to the committed length,
 * never appended to. A rotated name taken by another file stops the
 * rotation (said once), which nothing moves for. */
static void test_replaced_file(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char p[512], q[512], big[1200];
	struct snap sn = { .name = "web.log" }, sr = { .name = "rot.log.1" };
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	int w = h_register_pipe(&m, "web");
	h_writef(w, "one\n");
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	lw_wait_contains(&l, "web.log", "one\n");
	lw_stop(&l);
	/* Another program's file takes the name, longer than what
	 * logwrite committed. */
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	lw_put(&l, "web.new", big);
	lw_path(p, sizeof(p), &l, "web.new");
	lw_path(q, sizeof(q), &l, "web.log");
	assert_int_equal(rename(p, q), 0);
	snap_take(&l, &sn);
	h_writef(w, "two\n");
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	wait_caught_up(&l, &m);
	snap_same(&l, &sn);
	snap_take(&l, &sn);
	lw_wait_stderr(&l, "not writing web.log");
	lw_wait_contains(&l, "memlogd.log", "not writing web.log");
	/* The rotated name of another source is taken after logwrite made
	 * its first file: its rotation is skipped, the file grows. */
	int r = h_register_pipe(&m, "rot");
	h_writef(r, "r1\n");
	lw_wait_contains(&l, "rot.log", "r1\n");
	lw_put(&l, "rot.log.1", "theirs\n");
	lw_put(&l, "rot.log.0.x", "");
	lw_path(p, sizeof(p), &l, "rot.log.0.x");
	lw_path(q, sizeof(q), &l, "rot.log.0");
	assert_int_equal(rename(p, q), 0);
	snap_take(&l, &sr);
	lw_stop(&l);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "10", NULL });
	for (int i = 0; i < 10; i++)
		h_writef(r, "r%d-long-line\n", i + 2);
	lw_wait_contains(&l, "rot.log", "r11-long-line\n");
	lw_wait_stderr(&l, "not rotating rot.log");
	lw_stop(&l);
	snap_same(&l, &sn);
	snap_same(&l, &sr);
	char *s = lw_stderr(&l);
	assert_int_equal(h_count_str(s, "not rotating rot.log"), 1);
	assert_non_null(strstr(s, "rot.log.0 was not created by logwrite"));
	free(s);
	close(w);
	close(r);
	mld_stop(&m);
}

/* A state file of version 1 (logwrite before it kept track of its files):
 * the files it lists, with their rotated files, are taken as logwrite's
 * (cut back and rotated as before); no other file is. */
static void test_state_upgrade(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	struct snap other = { .name = "other.log.1" };
	char *s;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_put(&l, "web.log", "committed\nnot committed\n");
	lw_put(&l, "web.log.0", "rotated 0\n");
	lw_put(&l, "web.log.1.gz", "rotated 1\n");
	lw_put(&l, "other.log.1", "another program's\n");
	lw_put(&l, ".logwrite.state", "logwrite-state 1\nfile web 10\nend\n");
	snap_take(&l, &other);
	int w = h_register_pipe(&m, "web");
	h_writef(w, "new-line-1\nnew-line-2\n");
	h_wait_source_stat(&m, "web", "stderr", "lines", 2);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "20", "-max-log-files", "2", NULL });
	lw_wait_contains(&l, "web.log.0", "new-line-1\n");
	lw_wait_stderr(&l, "is of version 1");
	lw_stop(&l);
	/* Cut back to what was committed, rotated: the oldest adopted
	 * rotated file went by count, the other program's stays. */
	lw_expect_listing(&l, "other.log.1|web.log|web.log.0|web.log.1");
	s = lw_file(&l, "web.log.1", NULL);
	assert_string_equal(s, "rotated 0\n");
	free(s);
	s = lw_file(&l, "web.log.0", NULL);
	assert_string_equal(s, "committed\nnew-line-1\n");
	free(s);
	snap_same(&l, &other);
	s = lw_file(&l, ".logwrite.state", NULL);
	assert_int_equal(strncmp(s, "logwrite-state 2\n", 17), 0);
	assert_non_null(strstr(s, "\nown web "));
	assert_null(strstr(s, "own other"));
	free(s);
	close(w);
	mld_stop(&m);
}

/* ---- the default directory ---- */

/* Runs logwrite without -log-dir in a private mount namespace whose
 * /var/log is an empty tmpfs (plant: a symbolic link at /var/log/memlog
 * first). Returns its pid (running) or, when it exited, -(status) - 1;
 * 0 when namespaces are not available. */
static pid_t start_default_dir(struct lw *l, const struct mld *m, bool plant)
{
	char prog[512];
	int rep[2];
	char c;

	h_prog(prog, sizeof(prog), "logwrite");
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int err = open(l->err, O_WRONLY | O_CREAT | O_APPEND, 0600);
		close(rep[0]);
		if (err < 0 || dup2(err, 2) < 0 ||
		    unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/var/log", "tmpfs", 0, "size=1m,mode=0755") < 0 ||
		    (plant && symlink("/tmp", "/var/log/memlog") < 0)) {
			c = 1;
			(void)!write(rep[1], &c, 1);
			_exit(77);
		}
		signal(SIGPIPE, SIG_DFL);
		execl(prog, prog, "-socket", m->query, (char *)NULL);
		_exit(127);
	}
	close(rep[1]);
	ssize_t n = read(rep[0], &c, 1);
	close(rep[0]);
	if (n == 1) {
		h_wait_pid(pid, H_TIMEOUT_MS);
		return 0;
	}
	h_track_pid(pid);
	return pid;
}

/* Without -log-dir, logwrite writes into a directory of its own,
 * /var/log/memlog, which it makes; a symbolic link there is refused. */
static void test_default_dir(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char p[256];
	struct stat st;
	(void)state;

	lw_need();
	if (geteuid() != 0) {
		print_message("# mounting a tmpfs on /var/log in a private "
			      "namespace needs root; skipping\n");
		skip();
	}
	mld_start(&m, NULL);
	lw_init(&l, &m);
	int w = h_register_pipe(&m, "web");
	h_writef(w, "hello\n");
	pid_t pid = start_default_dir(&l, &m, false);
	if (pid == 0) {
		mld_stop(&m);
		print_message("# no private mount namespace here; skipping\n");
		skip();
	}
	l.pid = pid;
	snprintf(l.dir, sizeof(l.dir), "/var/log/memlog");
	snprintf(l.root, sizeof(l.root), "/proc/%d/root", (int)pid);
	lw_wait_contains(&l, "web.log", " web hello\n");
	snprintf(p, sizeof(p), "/proc/%d/root/var/log/memlog", (int)pid);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	lw_stop(&l);
	/* A symbolic link in its place: not followed, exit 1. */
	pid = start_default_dir(&l, &m, true);
	assert_true(pid > 0);
	int status = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	char *err = lw_stderr(&l);
	lw_expect_exit(status, 1, err);
	assert_non_null(strstr(err, "cannot open the log directory "
			       "/var/log/memlog"));
	free(err);
	close(w);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_streams_apart, h_teardown),
		cmocka_unit_test_teardown(test_bad_file_isolated, h_teardown),
		cmocka_unit_test_teardown(test_fifo_never_blocks, h_teardown),
		cmocka_unit_test_teardown(test_never_touches_other_files, h_teardown),
		cmocka_unit_test_teardown(test_replaced_file, h_teardown),
		cmocka_unit_test_teardown(test_state_upgrade, h_teardown),
		cmocka_unit_test_teardown(test_default_dir, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
