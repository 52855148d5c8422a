/* logwrite against the real memlogd: formats, file names, rotation by
 * size and count, total size, age, compression, SIGHUP, resuming without
 * duplicates, loss markers, memlogd restarts, a full disk, exit codes,
 * damaged and refused cursors.
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

/* In a child that must do more than h_spawn() before exec (the disk-full
 * test's mount namespace): stdin and stdout /dev/null, stderr appended to
 * l->err. */
static void child_stdio(const struct lw *l)
{
	int devnull = open("/dev/null", O_RDWR);
	int err = open(l->err, O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (devnull < 0 || err < 0)
		_exit(120);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(err, 2);
	h_child_signals();
}

/* A gzip file's content (malloc'd). */
static char *gunzip(const struct lw *l, const char *name)
{
	char p[512];
	size_t cap = 65536, n = 0;
	char *out = malloc(cap + 1);
	gzFile gz;
	int r;

	lw_path(p, sizeof(p), l, name);
	gz = gzopen(p, "rb");
	if (!gz)
		fail_msg("cannot open %s", p);
	assert_int_equal(gzdirect(gz), 0); /* really gzip */
	while ((r = gzread(gz, out + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			out = realloc(out, cap + 1);
			assert_non_null(out);
		}
	}
	assert_true(r == 0);
	gzclose(gz);
	out[n] = '\0';
	return out;
}

/* "%04d-aaaaaaaaaaaaaa\n" lines from..to (inclusive): 20 bytes each. */
static char *numbered(int from, int to)
{
	char *s = malloc((size_t)(to - from + 1) * 20 + 1), *p = s;

	assert_non_null(s);
	*p = '\0';
	for (int i = from; i <= to; i++)
		p += sprintf(p, "%04d-aaaaaaaaaaaaaa\n", i);
	return s;
}

static void expect_file(const struct lw *l, const char *name, const char *want)
{
	char *got = lw_file(l, name, NULL);

	if (!got)
		fail_msg("%s is missing", name);
	if (strcmp(got, want))
		fail_msg("%s holds\n%s\nwant\n%s", name, got, want);
	free(got);
}

static void expect_numbered(const struct lw *l, const char *name, int from,
			    int to)
{
	char *want = numbered(from, to);
	expect_file(l, name, want);
	free(want);
}

static void expect_gz_numbered(const struct lw *l, const char *name, int from,
			       int to)
{
	char *want = numbered(from, to), *got = gunzip(l, name);

	if (strcmp(got, want))
		fail_msg("%s decompresses to\n%s\nwant\n%s", name, got, want);
	free(want);
	free(got);
}

/* ---- formats and names ---- */

/* Checks "TIME SOURCE MSG\n" (one line) with a valid RFC 3339 time. */
static void expect_text_line(const char *file, const char *rest)
{
	const char *sp = strchr(file, ' ');
	size_t rl = strlen(rest);

	if (!sp || !h_parse_rfc3339nano(file, (size_t)(sp - file), NULL))
		fail_msg("no RFC 3339 time at the start of: %s", file);
	if (strlen(sp) != rl + 2 || sp[0] != ' ' || memcmp(sp + 1, rest, rl) ||
	    sp[rl + 1] != '\n')
		fail_msg("file holds '%s', want 'TIME %s\\n'", file, rest);
}

static void test_text_and_names(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	static const struct { const char *src, *file; } cases[] = {
		{ "web", "web.log" },
		{ "onboot.001-dhcpcd.out", "onboot.001-dhcpcd.out.log" },
		{ "../../etc/passwd", "%2E%2E%2F.%2E%2Fetc%2Fpasswd.log" },
		{ "a/b", "a%2Fb.log" },
		{ "a:b", "a%3Ab.log" },
		{ "a b", "a%20b.log" },
		{ ".hidden", "%2Ehidden.log" },
		{ "", "%.log" },
	};
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int w = h_register_pipe(&m, cases[i].src);
		h_writef(w, "hello %zu\n", i);
		close(w);
	}
	lw_start(&l, &m, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rest[128], *s;
		snprintf(rest, sizeof(rest), "%s hello %zu", cases[i].src, i);
		lw_wait_contains(&l, cases[i].file, rest);
		s = lw_file(&l, cases[i].file, NULL);
		expect_text_line(s, rest);
		free(s);
	}
	/* Exactly these files, and nothing outside the directory. */
	lw_expect_listing(&l, "%.log|%2E%2E%2F.%2E%2Fetc%2Fpasswd.log|%2Ehidden.log|"
		       "a%20b.log|a%2Fb.log|a%3Ab.log|onboot.001-dhcpcd.out.log|"
		       "web.log");
	char up[256];
	struct stat st;
	snprintf(up, sizeof(up), "%s/../etc", m.dir);
	assert_int_equal(lstat(up, &st), -1);
	snprintf(up, sizeof(up), "%s/../../etc/passwd.log", l.dir);
	assert_int_equal(lstat(up, &st), -1);
	lw_stop(&l);
	mld_stop(&m);
}

static void test_json_and_raw(void **state)
{
	static const char *const margs[] = { "--max-line-len", "16", NULL };
	struct mld_opts mo = { .args = margs };
	struct mld m = { 0 };
	struct lw lj, lr;
	char *s;
	(void)state;

	lw_need();
	mld_start(&m, &mo);
	int w = h_register_pipe(&m, "app");
	/* 40 bytes: split by memlogd into 16 + 16 + 8. */
	h_writef(w, "short\n0123456789abcdef0123456789ABCDEF-+-+-+-+\nend\n");
	close(w);
	h_wait_source_stat(&m, "app", "stderr", "lines", 5); /* entries */

	lw_init(&lj, &m);
	snprintf(lj.dir, sizeof(lj.dir), "%s/json", m.dir);
	assert_int_equal(mkdir(lj.dir, 0755), 0);
	lw_start(&lj, &m, (const char *const[]){ "--format", "json", NULL });
	lw_wait_contains(&lj, "app.log", "\"msg\":\"end\"");
	lw_stop(&lj);
	s = lw_file(&lj, "app.log", NULL);
	json_t *a = h_ndjson(s, strlen(s));
	assert_int_equal(json_array_size(a), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *e = json_array_get(a, i);
		assert_int_equal(h_jint(e, "seq"), (json_int_t)i + 1);
		assert_int_equal(strncmp(h_jstr(e, "cursor"), "m1-", 3), 0);
		assert_string_equal(h_jstr(e, "source"), "app");
	}
	assert_string_equal(h_jstr(json_array_get(a, 1), "msg"), "0123456789abcdef");
	assert_true(h_jbool(json_array_get(a, 1), "partial"));
	json_decref(a);
	free(s);

	lw_init(&lr, &m);
	snprintf(lr.dir, sizeof(lr.dir), "%s/raw", m.dir);
	assert_int_equal(mkdir(lr.dir, 0755), 0);
	lw_start(&lr, &m, (const char *const[]){ "-format=raw", NULL });
	lw_wait_contains(&lr, "app.log", "end\n");
	lw_stop(&lr);
	/* The parts of the split line are joined again. */
	expect_file(&lr, "app.log",
		    "short\n0123456789abcdef0123456789ABCDEF-+-+-+-+\nend\n");
	mld_stop(&m);
}

/* ---- rotation ---- */

/* Writes lines from..to as raw 20-byte lines of source "rot". */
static void produce(int w, int from, int to)
{
	char *s = numbered(from, to);
	h_write_all(w, s, strlen(s));
	free(s);
}

static void test_rotation_size_and_count(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", NULL });
	int w = h_register_pipe(&m, "rot");
	/* 20-byte lines: the 6th takes a file over 100 bytes, so each
	 * rotated file holds 6 lines; 40 lines give 6 rotations. */
	produce(w, 1, 40);
	lw_wait_contains(&l, "rot.log", "0040-");
	lw_expect_listing(&l, "rot.log|rot.log.0|rot.log.1|rot.log.2");
	expect_numbered(&l, "rot.log", 37, 40);
	expect_numbered(&l, "rot.log.0", 31, 36);
	expect_numbered(&l, "rot.log.1", 25, 30);
	expect_numbered(&l, "rot.log.2", 19, 24);
	/* A restart resumes with the same files and no duplicate. */
	lw_stop(&l);
	produce(w, 41, 42);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", NULL });
	lw_wait_contains(&l, "rot.log.0", "0042-");
	lw_expect_listing(&l, "rot.log|rot.log.0|rot.log.1|rot.log.2");
	expect_file(&l, "rot.log", "");
	expect_numbered(&l, "rot.log.0", 37, 42);
	expect_numbered(&l, "rot.log.1", 31, 36);
	expect_numbered(&l, "rot.log.2", 25, 30);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

static void test_total_size(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	/* 250 bytes per source: 100 stay free for the live file, and the
	 * rotated files (120 bytes each) get 150: one fits. */
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "10",
		 "--max-total-size", "250", NULL });
	int w = h_register_pipe(&m, "tot");
	produce(w, 1, 40);
	lw_wait_contains(&l, "tot.log", "0040-");
	lw_expect_listing(&l, "tot.log|tot.log.0");
	expect_numbered(&l, "tot.log", 37, 40);
	expect_numbered(&l, "tot.log.0", 31, 36);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}



static void test_max_age(void **state)
{
	static const char *const args[] = { "-format", "raw", "-max-log-size",
					    "100", "--max-age", "7d", NULL };
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	/* An earlier run wrote a source that no longer writes: three
	 * rotations; then its files aged. */
	int g = h_register_pipe(&m, "gone");
	produce(g, 1, 18);
	close(g);
	lw_start(&l, &m, args);
	lw_wait_contains(&l, "gone.log.0", "0018-");
	lw_stop(&l);
	lw_expect_listing(&l, "gone.log|gone.log.0|gone.log.1|gone.log.2");
	lw_set_old(&l, "gone.log", 30 * 86400);
	lw_set_old(&l, "gone.log.0", 6 * 86400);
	lw_set_old(&l, "gone.log.1", 8 * 86400);
	lw_set_old(&l, "gone.log.2", 30 * 86400);
	/* Another program's old rotated files, with names logwrite could
	 * have written: never logwrite's to delete. */
	lw_put(&l, "other.log.1", "old\n");
	lw_put(&l, "other.log.2.gz", "old\n");
	lw_set_old(&l, "other.log.1", 30 * 86400);
	lw_set_old(&l, "other.log.2.gz", 30 * 86400);
	lw_start(&l, &m, args);
	int w = h_register_pipe(&m, "age");
	produce(w, 1, 6); /* one rotation */
	lw_wait_contains(&l, "age.log.0", "0006-");
	/* The directory was scanned at start: logwrite's old rotated files
	 * are gone, its live file (never deleted by age) and the recent
	 * one stay, and so do the other program's. */
	lw_expect_listing(&l, "age.log|age.log.0|gone.log|gone.log.0|"
			  "other.log.1|other.log.2.gz");
	/* At a rotation the source's own files are trimmed by age too. */
	lw_set_old(&l, "age.log.0", 8 * 86400);
	produce(w, 7, 12);
	lw_wait_contains(&l, "age.log.0", "0012-");
	lw_expect_listing(&l, "age.log|age.log.0|gone.log|gone.log.0|"
			  "other.log.1|other.log.2.gz");
	expect_numbered(&l, "age.log.0", 7, 12);
	expect_numbered(&l, "gone.log.0", 13, 18);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

static void test_compress(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", "--compress",
		 NULL });
	int w = h_register_pipe(&m, "z");
	produce(w, 1, 40);
	lw_wait_contains(&l, "z.log", "0040-");
	lw_stop(&l);
	/* The live file is never compressed; no plain rotated file and no
	 * temporary file is left. */
	lw_expect_listing(&l, "z.log|z.log.0.gz|z.log.1.gz|z.log.2.gz");
	expect_numbered(&l, "z.log", 37, 40);
	expect_gz_numbered(&l, "z.log.0.gz", 31, 36);
	expect_gz_numbered(&l, "z.log.1.gz", 25, 30);
	expect_gz_numbered(&l, "z.log.2.gz", 19, 24);
	close(w);
	mld_stop(&m);
}

/* ---- SIGHUP, restarts, markers ---- */

/* Does process pid have an fd open on a path ending in suffix? */
static bool has_open(pid_t pid, const char *suffix)
{
	char p[64], target[512];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	d = opendir(p);
	assert_non_null(d);
	while (!found && (e = readdir(d))) {
		char fp[400];
		ssize_t n;
		snprintf(fp, sizeof(fp), "%s/%s", p, e->d_name);
		n = readlink(fp, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		size_t sl = strlen(suffix);
		found = (size_t)n >= sl && !strcmp(target + n - sl, suffix);
	}
	closedir(d);
	return found;
}

static void test_sighup_reopens(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char from[512], to[512];
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	int w = h_register_pipe(&m, "hup");
	produce(w, 1, 3);
	lw_wait_contains(&l, "hup.log", "0003-");
	/* An outside tool moves the file away and sends SIGHUP. */
	lw_path(from, sizeof(from), &l, "hup.log");
	lw_path(to, sizeof(to), &l, "hup.log.moved");
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(kill(l.pid, SIGHUP), 0);
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;
	while (has_open(l.pid, "/hup.log.moved")) {
		if (h_now_ms() > deadline)
			fail_msg("logwrite still holds the moved file");
		h_sleep_ms(5);
	}
	produce(w, 4, 5);
	lw_wait_contains(&l, "hup.log", "0005-");
	expect_numbered(&l, "hup.log", 4, 5);
	expect_numbered(&l, "hup.log.moved", 1, 3);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

/* Stopped and started again (with a state file elsewhere, and each
 * --sync mode): nothing is written twice. */
static void test_restart_no_duplicates(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char st[256];
	struct stat sb;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	snprintf(st, sizeof(st), "%s/elsewhere.state", m.dir);
	int w = h_register_pipe(&m, "re");
	produce(w, 1, 100);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, "--sync", "none", NULL });
	lw_wait_contains(&l, "re.log", "0100-");
	lw_stop(&l);
	produce(w, 101, 200);
	h_wait_source_stat(&m, "re", "stderr", "lines", 200);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, "--sync", "entry", NULL });
	lw_wait_contains(&l, "re.log", "0200-");
	lw_stop(&l);
	produce(w, 201, 300);
	h_wait_source_stat(&m, "re", "stderr", "lines", 300);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, NULL });
	lw_wait_contains(&l, "re.log", "0300-");
	lw_stop(&l);
	/* The ring still holds 1-200, but they are not written again. */
	expect_numbered(&l, "re.log", 1, 300);
	assert_int_equal(stat(st, &sb), 0);
	assert_false(lw_exists(&l, ".logwrite.state"));
	close(w);
	mld_stop(&m);
}

/* Entries that memlogd overwrote while logwrite was stopped: one marker
 * line with the exact count, in memlogd.log. */
static void test_overwritten_marker(void **state)
{
	static const char *const margs[] = { "--max-lines", "50", NULL };
	struct mld_opts mo = { .args = margs };
	struct mld m = { 0 };
	struct lw l;
	char *s, *p;
	(void)state;

	lw_need();
	mld_start(&m, &mo);
	lw_init(&l, &m);
	int w = h_register_pipe(&m, "lag");
	produce(w, 1, 10);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	lw_wait_contains(&l, "lag.log", "0010-");
	lw_stop(&l);
	/* 200 more; the ring keeps the last 50 (161-210): 11-160 are lost. */
	produce(w, 11, 210);
	h_wait_source_stat(&m, "lag", "stderr", "lines", 210);
	lw_start(&l, &m, (const char *const[]){ NULL });
	lw_wait_contains(&l, "lag.log", " lag 0210-");
	lw_stop(&l);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_non_null(s);
	/* One line: TIME memlogd memlogd: 150 entries after the cursor were
	 * overwritten (seq 11-160) */
	assert_int_equal(h_count_str(s, "\n"), 1);
	p = strstr(s, " memlogd memlogd: 150 entries after the cursor were "
		   "overwritten (seq 11-160)\n");
	if (!p)
		fail_msg("memlogd.log holds: %s", s);
	free(s);
	s = lw_file(&l, "lag.log", NULL);
	/* 1-10 raw, then 161-210 as text: nothing twice, nothing else. */
	char *want = numbered(1, 10);
	assert_int_equal(strncmp(s, want, strlen(want)), 0);
	assert_int_equal(h_count_str(s, "\n"), 60);
	assert_non_null(strstr(s, " lag 0161-"));
	assert_null(strstr(s, " lag 0160-"));
	free(want);
	free(s);
	close(w);
	mld_stop(&m);
}

/* CPU time (user + system) of a process in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	char *s = h_read_file(p, NULL);
	assert_non_null(s);
	char *q = strrchr(s, ')');
	assert_non_null(q);
	long ut = 0, st = 0;
	/* after ')': state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	int n = sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
		       &ut, &st);
	assert_int_equal(n, 2);
	free(s);
	return ut + st;
}

static void test_memlogd_restart(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char *s;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	int w = h_register_pipe(&m, "svc");
	produce(w, 1, 5);
	lw_wait_contains(&l, "svc.log", "0005-");
	close(w);

	/* memlogd dies: logwrite waits, with backoff, without spinning. */
	mld_kill9(&m);
	lw_wait_stderr(&l, "reconnecting");
	long before = cpu_ticks(l.pid);
	h_sleep_ms(1500);
	long used = cpu_ticks(l.pid) - before;
	long hz = sysconf(_SC_CLK_TCK);
	print_message("# logwrite used %ld of %ld ticks/s in 1.5 s without "
		      "memlogd\n", used, hz);
	/* A spinning loop would use ~1.5 s of CPU; allow 10 %. */
	if (used * 10 > hz * 1.5)
		fail_msg("logwrite used %ld ticks (of %ld/s) in 1.5 s while "
			 "memlogd was down", used, hz);
	assert_true(kill(l.pid, 0) == 0);

	/* A new memlogd of another instance (its fd holder let go of the
	 * ring too, as at a reboot): logwrite reconnects, is told its cursor
	 * is foreign, and writes the new instance's entries. */
	assert_int_equal(mld_release(&m), 0);
	mld_start(&m, NULL);
	w = h_register_pipe(&m, "svc");
	produce(w, 6, 8);
	lw_wait_contains(&l, "svc.log", "0008-");
	lw_wait_contains(&l, "memlogd.log", "another memlogd instance");
	lw_wait_stderr(&l, "connected to");
	expect_numbered(&l, "svc.log", 1, 8);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_int_equal(h_count_str(s, "\n"), 1);
	assert_int_equal(h_count_str(s, "another memlogd instance"), 1);
	free(s);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

/* memlogd is SIGKILLed again and again while a producer writes numbered
 * lines, and started again each time: the same instance, since its fd
 * holder kept the ring, the state and the pipe. logwrite says once that it
 * lost memlogd and once that memlogd is back, each time, and its file
 * holds every line once, in order: nothing lost, nothing twice, and no
 * foreign-cursor marker. */
#define CRASHES 5
static void test_memlogd_crashes_while_lines_flow(void **state)
{
	struct mld m = { 0 };
	struct h_producer p;
	struct lw l;
	char *s;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	int w = h_register_pipe(&m, "seq");
	h_producer_start(&p, w);
	close(w);
	for (int k = 1; k <= CRASHES; k++) {
		h_wait_lines_grow(&m, "seq", "stderr", 100);
		h_crash_cycle(&m, l.pid, l.err, "; reconnecting", "connected to", k,
			      LW_WAIT_MS);
	}
	h_wait_lines_grow(&m, "seq", "stderr", 100);
	int n = h_producer_stop(&p);
	char last[16];
	snprintf(last, sizeof(last), "%06d\n", n - 1);
	lw_wait_contains(&l, "seq.log", last);
	lw_stop(&l);

	s = lw_file(&l, "seq.log", NULL);
	assert_non_null(s);
	h_expect_sequence(s, n, "seq.log");
	free(s);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_non_null(s);
	if (h_count_str(s, "took over the ring") != CRASHES ||
	    strstr(s, "another memlogd instance") || strstr(s, "overwritten"))
		fail_msg("memlogd.log:\n%s", s);
	free(s);
	/* One line when memlogd went, one when it was back. */
	s = lw_stderr(&l);
	if (h_count_str(s, "memlogd closed the connection") != CRASHES ||
	    h_count_str(s, "; reconnecting") != CRASHES ||
	    h_count_str(s, "connected to") != CRASHES ||
	    h_count_str(s, "\n") != 2 * CRASHES)
		fail_msg("logwrite said:\n%s", s);
	free(s);
	mld_stop(&m);
}

/* ---- failures ---- */


static void test_exit_codes(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char *err;
	int st;
	(void)state;

	lw_need();
	mld_init(&m);
	lw_init(&l, &m);
	st = lw_run(&l, &m, (const char *const[]){ "--help", NULL }, &err);
	lw_expect_exit(st, 0, err);
	free(err);
	st = lw_run(&l, &m, (const char *const[]){ "--max-log-files", "x", NULL }, &err);
	lw_expect_exit(st, 2, err);
	assert_non_null(strstr(err, "--max-log-files"));
	free(err);
	/* An invalid state file: refuse to guess (exit 3), keep it. */
	lw_put(&l, ".logwrite.state", "logwrite-state 1\nfile a 1\n");
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	lw_expect_exit(st, 3, err);
	assert_non_null(strstr(err, "invalid"));
	free(err);
	assert_true(lw_exists(&l, ".logwrite.state"));
	/* No log directory. */
	snprintf(l.dir, sizeof(l.dir), "%s/missing", m.dir);
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	lw_expect_exit(st, 1, err);
	free(err);
	/* Two logwrites on one directory. */
	lw_init(&l, &m);
	char st_path[512];
	lw_path(st_path, sizeof(st_path), &l, ".logwrite.state");
	unlink(st_path);
	lw_start(&l, &m, NULL);
	lw_wait_stderr(&l, "cannot connect"); /* it runs (no memlogd here) */
	struct lw l2 = l;
	snprintf(l2.err, sizeof(l2.err), "%s/second.err", m.dir);
	st = lw_run(&l2, &m, (const char *const[]){ NULL }, &err);
	lw_expect_exit(st, 1, err);
	assert_non_null(strstr(err, "another logwrite"));
	free(err);
	lw_stop(&l);
	mld_cleanup(&m);
}

/* A state file whose cursor is damaged (one digit not hex) is refused at
 * start with exit 3; logwrite never sends it to memlogd. */
static void test_damaged_cursor(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char *err;
	int st;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_put(&l, ".logwrite.state", "logwrite-state 1\n"
	    "cursor m1-90a8240469430d14-00000000000000g2\nend\n");
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	lw_expect_exit(st, 3, err);
	assert_non_null(strstr(err, "damaged cursor"));
	assert_int_equal(h_count_str(err, "\n"), 1);
	free(err);
	/* memlogd was never sent the damaged cursor. */
	json_t *stats = h_stats(&m);
	assert_int_equal(h_jint(stats, "readers.bad_requests"), 0);
	json_decref(stats);
	mld_stop(&m);
}

/* memlogd refuses a cursor that logwrite took for valid (here: newer than
 * its newest entry, as a damaged digit of the sequence number makes it):
 * retrying cannot help, so logwrite says why once and exits 3 instead of
 * reconnecting for ever. */
static void test_cursor_refused_by_memlogd(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char text[256], *err;
	int st;
	(void)state;

	lw_need();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	int w = h_register_pipe(&m, "x");
	h_writef(w, "one\n");
	h_wait_source_stat(&m, "x", "stderr", "lines", 1);
	json_t *last = h_dump(&m, "dump last=1\n");
	const char *cur = h_jstr(json_array_get(last, 0), "cursor");
	/* Same instance, sequence number 0xf000...: from the future. */
	snprintf(text, sizeof(text), "logwrite-state 2\ncursor %.20sf%s\nend\n",
		 cur, cur + 21);
	json_decref(last);
	lw_put(&l, ".logwrite.state", text);
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	lw_expect_exit(st, 3, err);
	assert_non_null(strstr(err, "cursor is newer than the newest entry"));
	assert_int_equal(h_count_str(err, "\n"), 1);
	free(err);
	/* The state file is left as it was, for whoever looks at it. */
	char *s = lw_file(&l, ".logwrite.state", NULL);
	assert_string_equal(s, text);
	free(s);
	close(w);
	mld_stop(&m);
}

/* A server that answers "malformed cursor" (as memlogd does to a cursor
 * it cannot parse): logwrite exits 3 after one connection. */
static void test_malformed_cursor_answer(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	struct sockaddr_un sa;
	char req[512], *err;
	int ls, c, st;
	(void)state;

	lw_need();
	mld_init(&m);
	lw_init(&l, &m);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	h_sun_path(&sa, m.query);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 4), 0);
	lw_put(&l, ".logwrite.state", "logwrite-state 2\n"
	    "cursor m1-90a8240469430d14-000000000000000c\nend\n");
	lw_start(&l, &m, NULL);
	struct pollfd p = { .fd = ls, .events = POLLIN };
	assert_int_equal(poll(&p, 1, LW_WAIT_MS), 1);
	c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	struct h_conn hc;
	h_conn_init(&hc, c);
	char *line = h_conn_line(&hc, H_TIMEOUT_MS, NULL);
	assert_non_null(line);
	snprintf(req, sizeof(req), "%s", line);
	free(line);
	assert_string_equal(req, "dump-follow after=m1-90a8240469430d14-"
			    "000000000000000c format=binary");
	/* A request refused before it is taken is answered with the JSON
	 * error line, binary records or not. */
	h_write_all(c, "{\"error\":\"malformed cursor\"}\n", 29);
	h_conn_close(&hc);
	st = h_wait_pid(l.pid, LW_WAIT_MS);
	h_untrack_pid(l.pid);
	l.pid = 0;
	err = lw_stderr(&l);
	lw_expect_exit(st, 3, err);
	assert_int_equal(h_count_str(err, "malformed cursor"), 1);
	assert_int_equal(h_count_str(err, "\n"), 1);
	free(err);
	/* It asked once: nobody is waiting to be accepted. */
	assert_int_equal(poll(&p, 1, 0), 0);
	close(ls);
	mld_cleanup(&m);
}

/* In the child: a private mount namespace with a 256 KiB tmpfs on dir,
 * 200 KiB of it taken by a filler file. Writes one byte to report a
 * failure before the exec. */
static void child_small_disk(const char *dir, int report)
{
	char filler[512];
	static char block[4096];
	int fd;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0755") < 0) {
		char c = (char)errno;
		(void)!write(report, &c, 1);
		_exit(77);
	}
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	memset(block, 'f', sizeof(block));
	for (int i = 0; fd >= 0 && i < 50; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			break;
	if (fd < 0) {
		char c = (char)errno;
		(void)!write(report, &c, 1);
		_exit(78);
	}
	close(fd);
}

static void test_disk_full(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char prog[512], filler[512];
	const char *argv[32];
	int rep[2];
	char c;
	(void)state;

	lw_need();
	if (geteuid() != 0) {
		print_message("# the disk-full test mounts a tmpfs: needs root; "
			      "skipping\n");
		skip();
	}
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_argv(&l, &m, (const char *const[]){ "-format", "raw",
		"-max-log-size", "10M", NULL }, prog, sizeof(prog), argv);
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		child_stdio(&l);
		child_small_disk(l.dir, rep[1]);
		execv(argv[0], (char *const *)argv);
		c = (char)errno;
		(void)!write(rep[1], &c, 1);
		_exit(127);
	}
	close(rep[1]);
	l.pid = pid;
	h_track_pid(pid);
	ssize_t n = read(rep[0], &c, 1);
	close(rep[0]);
	if (n == 1) {
		h_wait_pid(pid, H_TIMEOUT_MS);
		h_untrack_pid(pid);
		mld_stop(&m);
		print_message("# cannot mount a tmpfs in a private namespace (%s); "
			      "skipping\n", strerror((unsigned char)c));
		skip();
	}
	/* The files are in logwrite's mount namespace. */
	snprintf(l.root, sizeof(l.root), "/proc/%d/root", (int)pid);

	/* 2000 lines of 64 bytes do not fit in the 56 KiB left. */
	int w = h_register_pipe(&m, "full");
	char line[80];
	for (int i = 1; i <= 2000; i++) {
		snprintf(line, sizeof(line), "%06d-%056d\n", i, 0);
		h_write_all(w, line, strlen(line));
	}
	lw_wait_stderr(&l, "No space left on device");
	/* memlogd is never held up: it took every line. */
	h_wait_source_stat(&m, "full", "stderr", "lines", 2000);
	/* Let a few retries (100, 200, 400 ms...) fail: still one message,
	 * still running. */
	h_sleep_ms(1000);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	char *err = lw_stderr(&l);
	if (h_count_str(err, "No space left on device") != 1)
		fail_msg("the full disk is not reported exactly once:\n%s", err);
	free(err);

	/* Space comes back: everything is written, once, in order. */
	lw_path(filler, sizeof(filler), &l, "filler");
	assert_int_equal(unlink(filler), 0);
	lw_wait_contains(&l, "full.log", "002000-");
	lw_wait_stderr(&l, "again");
	char *s = lw_file(&l, "full.log", NULL);
	assert_non_null(s);
	char *p = s;
	for (int i = 1; i <= 2000; i++) {
		snprintf(line, sizeof(line), "%06d-%056d\n", i, 0);
		if (strncmp(p, line, strlen(line)))
			fail_msg("line %d of full.log is wrong: %.70s", i, p);
		p += strlen(line);
	}
	assert_string_equal(p, "");
	free(s);
	err = lw_stderr(&l);
	assert_int_equal(h_count_str(err, "No space left on device"), 1);
	assert_int_equal(h_count_str(err, "again"), 1);
	free(err);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_text_and_names, h_teardown),
		cmocka_unit_test_teardown(test_json_and_raw, h_teardown),
		cmocka_unit_test_teardown(test_rotation_size_and_count, h_teardown),
		cmocka_unit_test_teardown(test_total_size, h_teardown),
		cmocka_unit_test_teardown(test_max_age, h_teardown),
		cmocka_unit_test_teardown(test_compress, h_teardown),
		cmocka_unit_test_teardown(test_sighup_reopens, h_teardown),
		cmocka_unit_test_teardown(test_restart_no_duplicates, h_teardown),
		cmocka_unit_test_teardown(test_overwritten_marker, h_teardown),
		cmocka_unit_test_teardown(test_memlogd_restart, h_teardown),
		cmocka_unit_test_teardown(test_memlogd_crashes_while_lines_flow,
					  h_teardown),
		cmocka_unit_test_teardown(test_exit_codes, h_teardown),
		cmocka_unit_test_teardown(test_damaged_cursor, h_teardown),
		cmocka_unit_test_teardown(test_cursor_refused_by_memlogd, h_teardown),
		cmocka_unit_test_teardown(test_malformed_cursor_answer, h_teardown),
		cmocka_unit_test_teardown(test_disk_full, h_teardown),
	};
	return h_run_tests("itest_logwrite", tests, NULL, NULL);
}
