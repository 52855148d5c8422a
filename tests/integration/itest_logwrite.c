/* logwrite against the real memlogd: formats, file names, rotation by
 * size and count, total size, age, compression, SIGHUP, resuming without
 * duplicates, loss markers, memlogd restarts, a full disk, exit codes.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

/* Generous: logwrite's reconnect and retry backoff caps at 5 s. */
#define LW_WAIT_MS 15000

struct lw {
	pid_t pid;
	char dir[160];     /* the log directory */
	char err[160];     /* logwrite's stderr */
	char root[200];    /* prefix to reach dir (another mount namespace) */
};

static void need_logwrite(void)
{
	if (!h_prog_exists("logwrite")) {
		print_message("# %s/logwrite is not built; skipping\n", h_build());
		skip();
	}
}

/* Makes m's temp dir (if needed) and DIR/logs in it. */
static void lw_init(struct lw *l, struct mld *m)
{
	memset(l, 0, sizeof(*l));
	if (!m->dir[0])
		mld_init(m);
	snprintf(l->dir, sizeof(l->dir), "%s/logs", m->dir);
	snprintf(l->err, sizeof(l->err), "%s/logwrite.err", m->dir);
	if (mkdir(l->dir, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", l->dir, strerror(errno));
}

/* argv for logwrite: -socket Q -log-dir DIR, then extra (NULL-ended). */
static void lw_argv(const struct lw *l, const struct mld *m,
		    const char *const *extra, char *prog, size_t cap,
		    const char **argv)
{
	int n = 0;

	h_prog(prog, cap, "logwrite");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = m->query;
	argv[n++] = "-log-dir";
	argv[n++] = l->dir;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
}

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

static void lw_start(struct lw *l, const struct mld *m,
		     const char *const *extra)
{
	char prog[512];
	const char *argv[32];

	lw_argv(l, m, extra, prog, sizeof(prog), argv);
	l->pid = h_spawn(argv, l->err, false);
}

static char *lw_stderr(const struct lw *l)
{
	char *s = h_read_file(l->err, NULL);
	return s ? s : strdup("");
}

static int lw_signal_wait(struct lw *l, int sig)
{
	assert_true(l->pid > 0);
	h_wait_sig_blocked(l->pid, SIGTERM, "logwrite");
	kill(l->pid, sig);
	int st = h_wait_pid(l->pid, H_TIMEOUT_MS * 2);
	h_untrack_pid(l->pid);
	l->pid = 0;
	return st;
}

/* SIGTERM: logwrite commits and exits 0. */
static void lw_stop(struct lw *l)
{
	int st = lw_signal_wait(l, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *e = lw_stderr(l);
		fail_msg("logwrite did not exit 0 on SIGTERM (status 0x%x); "
			 "stderr:\n%s", st, e);
	}
}

/* Runs logwrite to its end; returns the wait status, stderr in *err. */
static int lw_run(struct lw *l, const struct mld *m, const char *const *extra,
		  char **err)
{
	char prog[512];
	const char *argv[32];

	lw_argv(l, m, extra, prog, sizeof(prog), argv);
	return h_run(argv, NULL, H_TIMEOUT_MS, NULL, err);
}

static void path_of(char *out, size_t cap, const struct lw *l, const char *name)
{
	snprintf(out, cap, "%s%s/%s", l->root, l->dir, name);
}

/* The file's content (malloc'd), NULL if it does not exist. */
static char *lw_file(const struct lw *l, const char *name, size_t *len)
{
	char p[512];

	path_of(p, sizeof(p), l, name);
	return h_read_file(p, len);
}

static bool lw_exists(const struct lw *l, const char *name)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), l, name);
	return lstat(p, &st) == 0;
}

/* Waits until the file exists and contains needle. */
static void wait_contains(const struct lw *l, const char *name,
			  const char *needle)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *s = lw_file(l, name, NULL);
		bool ok = s && strstr(s, needle);
		free(s);
		if (ok)
			return;
		if (h_now_ms() > deadline) {
			char *e = lw_stderr(l);
			fail_msg("%s/%s does not contain '%s' after %d ms; "
				 "logwrite stderr:\n%s", l->dir, name, needle,
				 LW_WAIT_MS, e);
		}
		h_sleep_ms(10);
	}
}

static void wait_stderr(const struct lw *l, const char *needle)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *s = lw_stderr(l);
		bool ok = strstr(s, needle) != NULL;
		if (ok) {
			free(s);
			return;
		}
		if (h_now_ms() > deadline)
			fail_msg("logwrite never said '%s'; stderr:\n%s", needle, s);
		free(s);
		h_sleep_ms(10);
	}
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The names in the log directory, sorted, joined by '|'; names starting
 * with a dot (the state file and its temporary) are left out: logwrite
 * never gives a log file such a name. */
static char *dir_listing(const struct lw *l)
{
	char p[512], *names[256], *out;
	size_t n = 0, len = 1;
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "%s%s", l->root, l->dir);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)) && n < 256) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
		len += strlen(e->d_name) + 1;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: a few names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

/* Waits until the log directory holds exactly want: a running logwrite
 * may be between two steps of a rotation. */
static void expect_listing(const struct lw *l, const char *want)
{
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;

	for (;;) {
		char *got = dir_listing(l);
		if (!strcmp(got, want)) {
			free(got);
			return;
		}
		if (h_now_ms() > deadline)
			fail_msg("the log directory holds\n  %s\nwant\n  %s", got,
				 want);
		free(got);
		h_sleep_ms(10);
	}
}

/* A gzip file's content (malloc'd). */
static char *gunzip(const struct lw *l, const char *name)
{
	char p[512];
	size_t cap = 65536, n = 0;
	char *out = malloc(cap + 1);
	gzFile gz;
	int r;

	path_of(p, sizeof(p), l, name);
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

	need_logwrite();
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
		wait_contains(&l, cases[i].file, rest);
		s = lw_file(&l, cases[i].file, NULL);
		expect_text_line(s, rest);
		free(s);
	}
	/* Exactly these files, and nothing outside the directory. */
	expect_listing(&l, "%.log|%2E%2E%2F.%2E%2Fetc%2Fpasswd.log|%2Ehidden.log|"
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

	need_logwrite();
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
	wait_contains(&lj, "app.log", "\"msg\":\"end\"");
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
	wait_contains(&lr, "app.log", "end\n");
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

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", NULL });
	int w = h_register_pipe(&m, "rot");
	/* 20-byte lines: the 6th takes a file over 100 bytes, so each
	 * rotated file holds 6 lines; 40 lines give 6 rotations. */
	produce(w, 1, 40);
	wait_contains(&l, "rot.log", "0040-");
	expect_listing(&l, "rot.log|rot.log.0|rot.log.1|rot.log.2");
	expect_numbered(&l, "rot.log", 37, 40);
	expect_numbered(&l, "rot.log.0", 31, 36);
	expect_numbered(&l, "rot.log.1", 25, 30);
	expect_numbered(&l, "rot.log.2", 19, 24);
	/* A restart resumes with the same files and no duplicate. */
	lw_stop(&l);
	produce(w, 41, 42);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", NULL });
	wait_contains(&l, "rot.log.0", "0042-");
	expect_listing(&l, "rot.log|rot.log.0|rot.log.1|rot.log.2");
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

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	/* 250 bytes per source: 100 stay free for the live file, and the
	 * rotated files (120 bytes each) get 150: one fits. */
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "10",
		 "--max-total-size", "250", NULL });
	int w = h_register_pipe(&m, "tot");
	produce(w, 1, 40);
	wait_contains(&l, "tot.log", "0040-");
	expect_listing(&l, "tot.log|tot.log.0");
	expect_numbered(&l, "tot.log", 37, 40);
	expect_numbered(&l, "tot.log.0", 31, 36);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

static void set_old(const struct lw *l, const char *name, time_t age)
{
	char p[512];
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	path_of(p, sizeof(p), l, name);
	if (utimensat(AT_FDCWD, p, t, 0) < 0)
		fail_msg("utimensat %s: %s", p, strerror(errno));
}

static void put(const struct lw *l, const char *name, const char *text)
{
	char p[512];
	path_of(p, sizeof(p), l, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	h_write_all(fd, text, strlen(text));
	close(fd);
}

static void test_max_age(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	/* Left by an earlier run: two old rotated files of a source that
	 * no longer writes, one recent one, an old live file. */
	put(&l, "gone.log", "live\n");
	put(&l, "gone.log.0", "recent\n");
	put(&l, "gone.log.1.gz", "old\n");
	put(&l, "gone.log.2", "old\n");
	set_old(&l, "gone.log", 30 * 86400);
	set_old(&l, "gone.log.1.gz", 8 * 86400);
	set_old(&l, "gone.log.2", 30 * 86400);
	set_old(&l, "gone.log.0", 6 * 86400);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "--max-age", "7d", NULL });
	int w = h_register_pipe(&m, "age");
	produce(w, 1, 6); /* one rotation */
	wait_contains(&l, "age.log.0", "0006-");
	/* The directory was scanned at start: the old rotated files are
	 * gone, the live file (never deleted by age) and the recent one
	 * stay. */
	expect_listing(&l, "age.log|age.log.0|gone.log|gone.log.0");
	/* At a rotation the source's own files are trimmed by age too. */
	set_old(&l, "age.log.0", 8 * 86400);
	produce(w, 7, 12);
	wait_contains(&l, "age.log.0", "0012-");
	expect_listing(&l, "age.log|age.log.0|gone.log|gone.log.0");
	expect_numbered(&l, "age.log.0", 7, 12);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

static void test_compress(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	(void)state;

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "100", "-max-log-files", "3", "--compress",
		 NULL });
	int w = h_register_pipe(&m, "z");
	produce(w, 1, 40);
	wait_contains(&l, "z.log", "0040-");
	lw_stop(&l);
	/* The live file is never compressed; no plain rotated file and no
	 * temporary file is left. */
	expect_listing(&l, "z.log|z.log.0.gz|z.log.1.gz|z.log.2.gz");
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

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	int w = h_register_pipe(&m, "hup");
	produce(w, 1, 3);
	wait_contains(&l, "hup.log", "0003-");
	/* An outside tool moves the file away and sends SIGHUP. */
	path_of(from, sizeof(from), &l, "hup.log");
	path_of(to, sizeof(to), &l, "hup.log.moved");
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(kill(l.pid, SIGHUP), 0);
	uint64_t deadline = h_now_ms() + LW_WAIT_MS;
	while (has_open(l.pid, "/hup.log.moved")) {
		if (h_now_ms() > deadline)
			fail_msg("logwrite still holds the moved file");
		h_sleep_ms(5);
	}
	produce(w, 4, 5);
	wait_contains(&l, "hup.log", "0005-");
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

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	snprintf(st, sizeof(st), "%s/elsewhere.state", m.dir);
	int w = h_register_pipe(&m, "re");
	produce(w, 1, 100);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, "--sync", "none", NULL });
	wait_contains(&l, "re.log", "0100-");
	lw_stop(&l);
	produce(w, 101, 200);
	h_wait_source_stat(&m, "re", "stderr", "lines", 200);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, "--sync", "entry", NULL });
	wait_contains(&l, "re.log", "0200-");
	lw_stop(&l);
	produce(w, 201, 300);
	h_wait_source_stat(&m, "re", "stderr", "lines", 300);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "--state-file", st, NULL });
	wait_contains(&l, "re.log", "0300-");
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

	need_logwrite();
	mld_start(&m, &mo);
	lw_init(&l, &m);
	int w = h_register_pipe(&m, "lag");
	produce(w, 1, 10);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	wait_contains(&l, "lag.log", "0010-");
	lw_stop(&l);
	/* 200 more; the ring keeps the last 50 (161-210): 11-160 are lost. */
	produce(w, 11, 210);
	h_wait_source_stat(&m, "lag", "stderr", "lines", 210);
	lw_start(&l, &m, (const char *const[]){ NULL });
	wait_contains(&l, "lag.log", " lag 0210-");
	lw_stop(&l);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_non_null(s);
	/* One line: TIME memlogd memlogd: 150 entries after the cursor were
	 * overwritten (seq 11-160) */
	assert_int_equal(count_str(s, "\n"), 1);
	p = strstr(s, " memlogd memlogd: 150 entries after the cursor were "
		   "overwritten (seq 11-160)\n");
	if (!p)
		fail_msg("memlogd.log holds: %s", s);
	free(s);
	s = lw_file(&l, "lag.log", NULL);
	/* 1-10 raw, then 161-210 as text: nothing twice, nothing else. */
	char *want = numbered(1, 10);
	assert_int_equal(strncmp(s, want, strlen(want)), 0);
	assert_int_equal(count_str(s, "\n"), 60);
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

	need_logwrite();
	mld_start(&m, NULL);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw", NULL });
	int w = h_register_pipe(&m, "svc");
	produce(w, 1, 5);
	wait_contains(&l, "svc.log", "0005-");
	close(w);

	/* memlogd dies: logwrite waits, with backoff, without spinning. */
	mld_kill9(&m);
	wait_stderr(&l, "reconnecting");
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

	/* A new memlogd (another instance): logwrite reconnects, is told
	 * its cursor is foreign, and writes the new instance's entries. */
	mld_start(&m, NULL);
	w = h_register_pipe(&m, "svc");
	produce(w, 6, 8);
	wait_contains(&l, "svc.log", "0008-");
	wait_contains(&l, "memlogd.log", "another memlogd instance");
	wait_stderr(&l, "connected to");
	expect_numbered(&l, "svc.log", 1, 8);
	s = lw_file(&l, "memlogd.log", NULL);
	assert_int_equal(count_str(s, "\n"), 1);
	assert_int_equal(count_str(s, "another memlogd instance"), 1);
	free(s);
	lw_stop(&l);
	close(w);
	mld_stop(&m);
}

/* ---- failures ---- */

static void expect_status(int st, int want, const char *err)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want)
		fail_msg("status 0x%x, want exit %d; stderr: %s", st, want, err);
}

static void test_exit_codes(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char *err;
	int st;
	(void)state;

	need_logwrite();
	mld_init(&m);
	lw_init(&l, &m);
	st = lw_run(&l, &m, (const char *const[]){ "--help", NULL }, &err);
	expect_status(st, 0, err);
	free(err);
	st = lw_run(&l, &m, (const char *const[]){ "--max-log-files", "x", NULL }, &err);
	expect_status(st, 2, err);
	assert_non_null(strstr(err, "--max-log-files"));
	free(err);
	/* An invalid state file: refuse to guess (exit 3), keep it. */
	put(&l, ".logwrite.state", "logwrite-state 1\nfile a 1\n");
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	expect_status(st, 3, err);
	assert_non_null(strstr(err, "invalid"));
	free(err);
	assert_true(lw_exists(&l, ".logwrite.state"));
	/* No log directory. */
	snprintf(l.dir, sizeof(l.dir), "%s/missing", m.dir);
	st = lw_run(&l, &m, (const char *const[]){ NULL }, &err);
	expect_status(st, 1, err);
	free(err);
	/* Two logwrites on one directory. */
	lw_init(&l, &m);
	char st_path[512];
	path_of(st_path, sizeof(st_path), &l, ".logwrite.state");
	unlink(st_path);
	lw_start(&l, &m, NULL);
	wait_stderr(&l, "cannot connect"); /* it runs (no memlogd here) */
	struct lw l2 = l;
	snprintf(l2.err, sizeof(l2.err), "%s/second.err", m.dir);
	st = lw_run(&l2, &m, (const char *const[]){ NULL }, &err);
	expect_status(st, 1, err);
	assert_non_null(strstr(err, "another logwrite"));
	free(err);
	lw_stop(&l);
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

	need_logwrite();
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
	wait_stderr(&l, "No space left on device");
	/* memlogd is never held up: it took every line. */
	h_wait_source_stat(&m, "full", "stderr", "lines", 2000);
	/* Let a few retries (100, 200, 400 ms...) fail: still one message,
	 * still running. */
	h_sleep_ms(1000);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	char *err = lw_stderr(&l);
	if (count_str(err, "No space left on device") != 1)
		fail_msg("the full disk is not reported exactly once:\n%s", err);
	free(err);

	/* Space comes back: everything is written, once, in order. */
	path_of(filler, sizeof(filler), &l, "filler");
	assert_int_equal(unlink(filler), 0);
	wait_contains(&l, "full.log", "002000-");
	wait_stderr(&l, "again");
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
	assert_int_equal(count_str(err, "No space left on device"), 1);
	assert_int_equal(count_str(err, "again"), 1);
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
		cmocka_unit_test_teardown(test_exit_codes, h_teardown),
		cmocka_unit_test_teardown(test_disk_full, h_teardown),
	};
	return h_run_tests("itest_logwrite", tests, NULL, NULL);
}
