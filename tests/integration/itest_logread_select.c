/* logread's selection (-u, --since, --until, --utc, --stream, -k, -g,
 * --case-sensitive) against the real memlogd, filled by the test with
 * known entries: stdout and stderr of programs (NAME.out and NAME), a
 * stand-in kernel log, syslog datagrams. Time bounds are checked at the
 * entries' own times to the ns, written in the forms a person uses, in a
 * zone given by TZ. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS UINT64_C(1000000000)

static void need_logread(void)
{
	if (!h_prog_exists("logread")) {
		print_message("# %s/logread is not built; skipping\n", h_build());
		skip();
	}
}

struct fx {
	struct mld m;
	int web_out, web, webhook, db;
	uint64_t t[32];       /* entry times, in ring order */
	char msg[32][48];
	char stream[32][8];
	size_t n;
};

static void send_syslog(const struct mld *m, const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/syslog.sock", m->dir);
	h_send_str(path, text);
}

static const char *const daemon_args[] = {
	"--kmsg=%D/fake", "--state-dir", "%D/state", "--syslog=%D/syslog.sock",
	NULL };

/* One line to fd, waiting until memlogd has it (so the ring's order is
 * the order written). */
static void line(const struct mld *m, int fd, const char *name,
		 const char *stream, int nth, const char *text)
{
	h_writef(fd, "%s\n", text);
	h_wait_source_stat(m, name, stream, "lines", nth);
}

static void fill(struct fx *f)
{
	struct mld_opts o = { .args = daemon_args };
	char fake[160];

	mld_init(&f->m);
	snprintf(fake, sizeof(fake), "%s/fake", f->m.dir);
	h_write_file(fake, "6,0,1000,-;kern Failed one\n"
			   "3,1,2000,-;kern error two\n", 0644);
	mld_start(&f->m, &o);
	f->web_out = h_register_pipe(&f->m, "web.out");
	f->web = h_register_pipe(&f->m, "web");
	f->webhook = h_register_pipe(&f->m, "webhook");
	f->db = h_register_pipe(&f->m, "db");
	json_decref(h_wait_dump_msg(&f->m, "dump\n", "kern error two"));
	line(&f->m, f->web_out, "web.out", "stdout", 1, "web out one");
	line(&f->m, f->web, "web", "stderr", 1, "web err Failed");
	line(&f->m, f->webhook, "webhook", "stderr", 1, "hook failed");
	line(&f->m, f->db, "db", "stderr", 1, "db FAILED loudly");
	send_syslog(&f->m, "<11>app: syslog failed here");
	json_decref(h_wait_dump_msg(&f->m, "dump\n", "syslog failed here"));
	line(&f->m, f->web_out, "web.out", "stdout", 2, "web out two");

	json_t *a = h_dump(&f->m, "dump\n");
	f->n = json_array_size(a);
	assert_true(f->n >= 8 && f->n <= 32);
	for (size_t i = 0; i < f->n; i++) {
		json_t *e = json_array_get(a, i);
		const char *t = h_jstr(e, "time");
		assert_true(h_parse_rfc3339nano(t, strlen(t), &f->t[i]));
		snprintf(f->msg[i], sizeof(f->msg[i]), "%s", h_jstr(e, "msg"));
		snprintf(f->stream[i], sizeof(f->stream[i]), "%s",
			 h_jstr(e, "stream"));
	}
	json_decref(a);
}

static void unfill(struct fx *f)
{
	close(f->web_out);
	close(f->web);
	close(f->webhook);
	close(f->db);
	mld_stop(&f->m);
}

/* Runs logread -socket Q -o raw ARGS (env: extra K=V) and expects exit 0
 * and exactly the lines want (NULL-terminated). */
static void expect(const struct fx *f, const char *const *env,
		   const char *const *args, const char *const *want)
{
	char prog[512], *out = NULL, *err = NULL, exp[4096] = "";
	const char *argv[24];
	int n = 0;

	h_prog(prog, sizeof(prog), "logread");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = f->m.query;
	argv[n++] = "-o";
	argv[n++] = "raw";
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int st = h_run(argv, env, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	for (; *want; want++) {
		strcat(exp, *want);
		strcat(exp, "\n");
	}
	if (strcmp(out, exp) != 0) {
		print_message("# logread");
		for (int i = 1; argv[i]; i++)
			print_message(" '%s'", argv[i]);
		fail_msg("printed:\n%s---\nwant:\n%s---", out, exp);
	}
	free(out);
	free(err);
}

#define ARGS(...) (const char *const[]){ __VA_ARGS__, NULL }
#define WANT(...) (const char *const[]){ __VA_ARGS__, NULL }
#define NONE (const char *const[]){ NULL }

static void test_unit(void **state)
{
	struct fx f = { 0 };
	(void)state;

	need_logread();
	fill(&f);
	/* Both of web's streams, not webhook's. */
	expect(&f, NULL, ARGS("-u", "web"),
	       WANT("web out one", "web err Failed", "web out two"));
	expect(&f, NULL, ARGS("--unit=web*"),
	       WANT("web out one", "web err Failed", "hook failed",
		    "web out two"));
	expect(&f, NULL, ARGS("-u", "db", "-u", "webhook"),
	       WANT("hook failed", "db FAILED loudly"));
	expect(&f, NULL, ARGS("-u", "web", "-n", "1"), WANT("web out two"));
	expect(&f, NULL, ARGS("-u", "nothing"), NONE);
	unfill(&f);
}

/* Writes the time t as TZ's local date and time with all 9 digits. */
static void civil(char *out, size_t cap, uint64_t t, bool utc)
{
	time_t s = (time_t)(t / NS);
	struct tm tm;
	char d[32];

	if (utc)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, cap, "%s.%09" PRIu64, d, t % NS);
}

/* The entries of f with since <= time <= until, by message. */
static void want_range(const struct fx *f, uint64_t since, uint64_t until,
		       const char **want)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i] >= since && f->t[i] <= until)
			want[k++] = f->msg[i];
	want[k] = NULL;
}

static void test_since_until(void **state)
{
	struct fx f = { 0 };
	const char *want[33];
	char a[64], b[64];
	(void)state;

	need_logread();
	/* The test's own zone, 5 h west of UTC, as TZ for logread too. */
	setenv("TZ", "EST5", 1);
	tzset();
	static const char *const env[] = { "TZ=EST5", NULL };
	fill(&f);
	for (size_t i = 0; i < f.n; i++) {
		uint64_t t = f.t[i];
		/* @EPOCH, to the ns; one ns later excludes the entry. */
		snprintf(a, sizeof(a), "@%" PRIu64 ".%09" PRIu64, t / NS, t % NS);
		want_range(&f, t, UINT64_MAX, want);
		expect(&f, env, ARGS("--since", a), want);
		want_range(&f, 0, t, want);
		expect(&f, env, ARGS("--until", a), want);
		snprintf(b, sizeof(b), "@%" PRIu64 ".%09" PRIu64, (t + 1) / NS,
			 (t + 1) % NS);
		want_range(&f, t + 1, UINT64_MAX, want);
		expect(&f, env, ARGS("-S", b), want);
		want_range(&f, t, t, want);
		expect(&f, env, ARGS("-S", a, "-U", a), want);
		/* Local date and time (TZ), and UTC with --utc and " UTC". */
		civil(a, sizeof(a), t, false);
		want_range(&f, t, UINT64_MAX, want);
		expect(&f, env, ARGS("--since", a), want);
		civil(a, sizeof(a), t, true);
		expect(&f, env, ARGS("--utc", "--since", a), want);
		strcat(a, " UTC");
		expect(&f, env, ARGS("--since", a), want);
		civil(a, sizeof(a), t - 1, false);
		want_range(&f, 0, t - 1, want);
		expect(&f, env, ARGS("--until", a), want);
	}
	/* Forms relative to now: what the test wrote is from the last hour
	 * and not from the future (the stand-in kernel records carry the
	 * boot time, so they are left out here). */
	size_t k = 0;
	for (size_t i = 0; i < f.n; i++)
		if (strcmp(f.stream[i], "kernel") != 0)
			want[k++] = f.msg[i];
	want[k] = NULL;
	expect(&f, env, ARGS("--since", "-1h", "--stream=stdout,stderr,syslog"),
	       want);
	expect(&f, env, ARGS("--since", "1h ago", "--until", "now",
			     "--stream=stdout,stderr,syslog"), want);
	expect(&f, env, ARGS("--since", "tomorrow"), NONE);
	expect(&f, env, ARGS("--since", "+1h"), NONE);
	expect(&f, env, ARGS("--until", "-2d", "--stream=stdout,stderr,syslog"),
	       NONE);
	unsetenv("TZ");
	tzset();
	unfill(&f);
}

static void test_streams_and_grep(void **state)
{
	struct fx f = { 0 };
	(void)state;

	need_logread();
	fill(&f);
	expect(&f, NULL, ARGS("-k"), WANT("kern Failed one", "kern error two"));
	expect(&f, NULL, ARGS("--dmesg", "-p", "err"), WANT("kern error two"));
	expect(&f, NULL, ARGS("--stream", "syslog"), WANT("syslog failed here"));
	expect(&f, NULL, ARGS("--stream", "stdout", "--stream=syslog"),
	       WANT("web out one", "syslog failed here", "web out two"));
	/* No upper case: case ignored. Upper case or --case-sensitive:
	 * exact. */
	expect(&f, NULL, ARGS("-g", "fail(ed)?"),
	       WANT("kern Failed one", "web err Failed", "hook failed",
		    "db FAILED loudly", "syslog failed here"));
	expect(&f, NULL, ARGS("-g", "Failed"),
	       WANT("kern Failed one", "web err Failed"));
	expect(&f, NULL, ARGS("--grep=failed", "--case-sensitive"),
	       WANT("hook failed", "syslog failed here"));
	expect(&f, NULL, ARGS("-g", "failed", "-k"), WANT("kern Failed one"));
	expect(&f, NULL, ARGS("-g", "failed", "-n", "2"),
	       WANT("db FAILED loudly", "syslog failed here"));
	expect(&f, NULL, ARGS("-g", "^web", "-u", "web"),
	       WANT("web out one", "web err Failed", "web out two"));

	/* A pattern regcomp refuses: the server's reason, exit 4. */
	char prog[512], *out = NULL, *err = NULL;
	h_prog(prog, sizeof(prog), "logread");
	const char *argv[] = { prog, "-socket", f.m.query, "-g", "a(", NULL };
	int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 4, "logread -g 'a('", err);
	assert_string_equal(out, "");
	if (!strstr(err, "grep: ") || strchr(err, '\n') != err + strlen(err) - 1)
		fail_msg("want one line naming grep, got: %s", err);
	free(out);
	free(err);
	unfill(&f);
}

/* Runs logread -socket Q ARGS; returns its stdout (exit 0 expected). */
static char *run_out(const struct fx *f, const char *const *args)
{
	char prog[512], *out = NULL, *err = NULL;
	const char *argv[24];
	int n = 0;

	h_prog(prog, sizeof(prog), "logread");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = f->m.query;
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	free(err);
	return out;
}

/* The lines of s in reverse order. */
static char *reversed_lines(const char *s)
{
	size_t n = strlen(s);
	char *r = malloc(n + 1), *p = r;
	const char *end = s + n;

	assert_non_null(r);
	while (end > s) {
		const char *b = end - 1;
		while (b > s && b[-1] != '\n')
			b--;
		memcpy(p, b, (size_t)(end - b));
		p += end - b;
		end = b;
	}
	*p = '\0';
	return r;
}

static void test_reverse_and_formats(void **state)
{
	struct fx f = { 0 };
	(void)state;

	need_logread();
	fill(&f);
	/* -r: the same lines, newest first; LinuxKit's format too. */
	static const char *const forms[][3] = {
		{ NULL }, { "-o", "raw" }, { "-o", "short" }, { "-u", "web" },
	};
	for (size_t i = 0; i < 4; i++) {
		const char *a[4] = { forms[i][0], forms[i][1], NULL, NULL };
		const char *ar[4] = { "-r", forms[i][0], forms[i][1], NULL };
		char *fwd = run_out(&f, a), *rev = run_out(&f, ar);
		char *want = reversed_lines(fwd);
		assert_true(strlen(fwd) > 0);
		assert_string_equal(rev, want);
		free(fwd);
		free(rev);
		free(want);
	}
	expect(&f, NULL, ARGS("-r", "-u", "web", "-n", "2"),
	       WANT("web out two", "web err Failed"));

	/* cat: the message alone. */
	char *out = run_out(&f, ARGS("-o", "cat", "-u", "web"));
	assert_string_equal(out, "web out one\nweb err Failed\nweb out two\n");
	free(out);

	/* short-iso and short-precise: the entry's time in those forms. */
	char want[256], d[64];
	time_t s = (time_t)(f.t[f.n - 1] / NS);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	snprintf(want, sizeof(want), "%s web.out[stdout]: web out two\n", d);
	out = run_out(&f, ARGS("-o", "short-iso", "-n", "1"));
	assert_string_equal(out, want);
	free(out);
	strftime(d, sizeof(d), "%b %d %H:%M:%S", &tm);
	snprintf(want, sizeof(want), "%s.%06u web.out[stdout]: web out two\n",
		 d, (unsigned)(f.t[f.n - 1] % NS / 1000));
	out = run_out(&f, ARGS("-o", "short-precise", "-n", "1"));
	assert_string_equal(out, want);
	free(out);

	/* json-pretty: the objects of -o json, indented. */
	char *js = run_out(&f, ARGS("-o", "json"));
	char *pr = run_out(&f, ARGS("-o", "json-pretty"));
	json_t *a = h_ndjson(js, strlen(js));
	const char *p = pr;
	assert_non_null(strstr(pr, "\n  \"seq\": "));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_error_t je;
		json_t *o = json_loadb(p, strlen(p), JSON_DISABLE_EOF_CHECK, &je);
		if (!o)
			fail_msg("json-pretty object %zu: %s", i, je.text);
		assert_true(json_equal(o, json_array_get(a, i)));
		p += je.position;
		assert_true(*p == '\n');
		p++;
		json_decref(o);
	}
	assert_string_equal(p, "");
	json_decref(a);
	free(js);
	free(pr);

	/* -r follows nothing. */
	char prog[512], *err = NULL;
	h_prog(prog, sizeof(prog), "logread");
	const char *argv[] = { prog, "-socket", f.m.query, "-r", "-f", NULL };
	int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 2, "logread -r -f", err);
	free(out);
	free(err);
	unfill(&f);
}

/* A pty for logread's stdout: the master (read here) and the slave's
 * path, raw mode (no "\r\n" for "\n"). */
struct pty {
	int master;
	char slave[64];
};

static void pty_open(struct pty *p)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	assert_int_equal(ptsname_r(p->master, p->slave, sizeof(p->slave)), 0);
	int s = open(p->slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
	close(s);
}

static void stdout_to_slave(void *arg)
{
	int s = open(arg, O_RDWR | O_NOCTTY);
	if (s < 0 || dup2(s, 1) < 0)
		_exit(121);
}

/* Runs logread with stdout on a fresh pty; returns what it wrote there.
 * The output is small (a few entries): it fits the pty's buffer, read
 * once logread has exited. */
static char *on_pty(const struct fx *f, const char *const *env,
		    const char *const *args)
{
	char prog[512], *err = NULL, *out = NULL;
	const char *argv[24];
	struct pty p;
	int n = 0;

	pty_open(&p);
	h_prog(prog, sizeof(prog), "logread");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = f->m.query;
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int st = h_run_setup(argv, env, H_TIMEOUT_MS, &out, &err,
			     stdout_to_slave, p.slave);
	h_expect_exit(st, 0, "logread on a pty", err);
	assert_string_equal(out, ""); /* all of it went to the pty */
	free(out);
	free(err);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		struct pollfd pf = { p.master, POLLIN, 0 };
		/* Everything is in the pty's buffer already: no wait. */
		if (poll(&pf, 1, 0) <= 0 || !(pf.revents & POLLIN))
			break;
		ssize_t r = read(p.master, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		assert_true(len < cap - 1);
	}
	buf[len] = '\0';
	close(p.master);
	return buf;
}

static void expect_in(const char *out, const char *want, bool present)
{
	if ((strstr(out, want) != NULL) != present)
		fail_msg("\"%s\" should%s be in:\n%s", want,
			 present ? "" : " not", out);
}

/* Colours and local time for a person on a terminal only; --no-color,
 * NO_COLOR, --utc; a pipe gets UTC and no escapes. */
static void test_terminal(void **state)
{
	struct fx f = { 0 };
	static const char *const est[] = { "TZ=EST5", NULL };
	static const char *const est_nc[] = { "TZ=EST5", "NO_COLOR=1", NULL };
	char want[128], d[64];
	(void)state;

	need_logread();
	fill(&f);
	char *out = on_pty(&f, est, ARGS("-o", "short-iso", "-u", "web"));
	/* stderr in red, stdout plain, times at -05:00. */
	expect_in(out, "web[stderr]: \033[31mweb err Failed\033[0m\n", true);
	expect_in(out, "web.out[stdout]: web out one\n", true);
	time_t s = (time_t)((f.t[f.n - 1] / NS) - 5 * 3600);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S-05:00", &tm);
	snprintf(want, sizeof(want), "%s web.out[stdout]: web out two\n", d);
	expect_in(out, want, true);
	free(out);
	/* Kernel priorities: err (3) bold red, info (6) plain. */
	out = on_pty(&f, est, ARGS("-k", "-o", "cat"));
	assert_string_equal(out, "kern Failed one\n\033[1;31mkern error two"
			    "\033[0m\n");
	free(out);
	/* Without colour. */
	out = on_pty(&f, est, ARGS("-u", "web", "-o", "short", "--no-color"));
	expect_in(out, "\033", false);
	expect_in(out, "-05:00 web[stderr]: web err Failed\n", true);
	free(out);
	out = on_pty(&f, est_nc, ARGS("-u", "web", "-o", "short"));
	expect_in(out, "\033", false);
	free(out);
	/* --utc: UTC on the terminal too. */
	out = on_pty(&f, est, ARGS("-u", "web", "-o", "short-iso", "--utc"));
	expect_in(out, "+00:00 web[stderr]: ", true);
	expect_in(out, "-05:00", false);
	free(out);
	/* LinuxKit's protocol and format on a terminal: local time too. */
	out = on_pty(&f, est, ARGS("-source", "x", "-o", "legacy"));
	assert_string_equal(out, "");
	free(out);
	out = on_pty(&f, est, NONE);
	expect_in(out, "-05:00;web;web err Failed\n", true);
	free(out);
	/* A pipe: UTC and no escapes whatever TZ says. */
	char prog[512], *err = NULL;
	h_prog(prog, sizeof(prog), "logread");
	const char *argv[] = { prog, "-socket", f.m.query, "-o", "short-iso",
			       "-u", "web", NULL };
	int st = h_run(argv, est, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	expect_in(out, "\033", false);
	expect_in(out, "+00:00 web[stderr]: web err Failed\n", true);
	free(out);
	free(err);
	/* --pager: through $PAGER on a terminal. */
	static const char *const pg[] = { "TZ=EST5", "PAGER=sed s/^/P:/", NULL };
	out = on_pty(&f, pg, ARGS("--pager", "-u", "web", "-o", "cat",
				  "--no-color"));
	assert_string_equal(out, "P:web out one\nP:web err Failed\nP:web out two\n");
	free(out);
	unfill(&f);
}

/* --sources: -o cat names each source once (shell completion relies on
 * it), -o json has the stats' counters and the ring's first and last
 * times, the table is for a person. */
static void test_sources(void **state)
{
	struct fx f = { 0 };
	(void)state;

	need_logread();
	fill(&f);
	json_t *st = h_stats(&f.m), *srcs = h_jget(st, "sources");
	char names[2048] = "";
	for (size_t i = 0; i < json_array_size(srcs); i++) {
		strcat(names, h_jstr(json_array_get(srcs, i), "name"));
		strcat(names, "\n");
	}
	char *out = run_out(&f, ARGS("--sources", "-o", "cat"));
	assert_string_equal(out, names);
	expect_in(out, "\nweb.out\nweb\nwebhook\ndb\n", true);
	free(out);

	close(f.webhook);
	f.webhook = h_register_pipe(&f.m, "other"); /* keeps unfill simple */
	h_wait_source_stat(&f.m, "other", "stderr", "fds", 1);
	h_wait_source_stat(&f.m, "webhook", "stderr", "fds", 0);
	out = run_out(&f, ARGS("--sources", "-o", "json"));
	json_t *a = h_ndjson(out, strlen(out));
	size_t seen = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);
		const char *name = h_jstr(o, "name");
		/* Every source's first and last time are its first and last
		 * entry's. */
		uint64_t first = 0, last = 0, t;
		json_t *d;
		char req[160];
		snprintf(req, sizeof(req), "dump source=%s\n", name);
		d = h_dump(&f.m, req);
		if (json_array_size(d)) {
			const char *ts = h_jstr(json_array_get(d, 0), "time");
			assert_true(h_parse_rfc3339nano(ts, strlen(ts), &first));
			ts = h_jstr(json_array_get(d, json_array_size(d) - 1), "time");
			assert_true(h_parse_rfc3339nano(ts, strlen(ts), &last));
			ts = h_jstr(o, "first");
			assert_true(h_parse_rfc3339nano(ts, strlen(ts), &t));
			assert_true(t == first);
			ts = h_jstr(o, "last");
			assert_true(h_parse_rfc3339nano(ts, strlen(ts), &t));
			assert_true(t == last);
			assert_int_equal(h_jint(o, "lines"), (json_int_t)json_array_size(d));
		} else {
			assert_null(json_object_get(o, "first"));
		}
		json_decref(d);
		if (!strcmp(name, "web.out")) {
			seen++;
			assert_string_equal(h_jstr(o, "stream"), "stdout");
			assert_int_equal(h_jint(o, "lines"), 2);
			assert_int_equal(h_jint(o, "bytes"), 22);
			assert_int_equal(h_jint(o, "pid"), getpid());
			assert_true(h_jbool(o, "open"));
		} else if (!strcmp(name, "webhook")) {
			seen++;
			assert_false(h_jbool(o, "open"));
		}
	}
	assert_int_equal(seen, 2);
	json_decref(a);
	free(out);

	out = run_out(&f, ARGS("--sources"));
	assert_memory_equal(out, "NAME", 4);
	expect_in(out, "\nwebhook ", true);
	expect_in(out, " ended\n", true);
	expect_in(out, " open\n", true);
	free(out);
	json_decref(st);
	unfill(&f);
}

static const char *promtool(void)
{
	static const char *const cands[] = { "/usr/bin/promtool",
					     "/usr/local/bin/promtool" };
	for (size_t i = 0; i < 2; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

static size_t count_lines_with(const char *s, const char *prefix)
{
	size_t n = 0, l = strlen(prefix);
	for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, l) == 0;
	return n;
}

/* --stats: unchanged JSON into a pipe and with -o json, a summary on a
 * terminal, Prometheus' format that promtool accepts, with at most
 * STATSFMT_PROM_SOURCES_MAX (200) labelled sources. */
static void test_stats(void **state)
{
	struct fx f = { 0 };
	int extra[201];
	char name[16], path[256];
	(void)state;

	need_logread();
	fill(&f);
	/* Scripts: the server's object, one line, as before. */
	char *out = run_out(&f, ARGS("--stats"));
	assert_true(out[0] == '{' && strchr(out, '\n') == out + strlen(out) - 1);
	json_t *j = h_json(out, strlen(out));
	assert_true(json_is_array(json_object_get(j, "sources")));
	json_decref(j);
	free(out);
	out = run_out(&f, ARGS("--stats", "-o", "json"));
	assert_true(out[0] == '{' && strchr(out, '\n') == out + strlen(out) - 1);
	free(out);
	/* A person: a summary. */
	out = on_pty(&f, NULL, ARGS("--stats"));
	expect_in(out, "\nring:          ", true);
	expect_in(out, "\nreaders:       ", true);
	expect_in(out, "\nregistrations: 4 sources open", true);
	expect_in(out, "\nlosses:        0 lines dropped", true);
	expect_in(out, " old\n", true); /* the oldest entry's age */
	expect_in(out, "{", false);
	free(out);
	out = on_pty(&f, NULL, ARGS("--stats", "-o", "json"));
	assert_true(out[0] == '{');
	free(out);

	/* Prometheus, with more sources than are labelled. */
	for (int i = 0; i < 201; i++) {
		snprintf(name, sizeof(name), "q\"%03d", i);
		extra[i] = h_register_pipe(&f.m, name);
	}
	h_wait_stat(&f.m, "registrations.sources_open", 205);
	out = run_out(&f, ARGS("--stats", "-o", "prometheus"));
	expect_in(out, "\nmemlog_source_lines_total{source=\"web.out\","
		  "stream=\"stdout\"} 2\n", true);
	expect_in(out, "\nmemlog_source_bytes_total{source=\"db\","
		  "stream=\"stderr\"} 16\n", true);
	expect_in(out, "\nmemlog_sources_open 205\n", true);
	assert_int_equal(count_lines_with(out, "memlog_source_lines_total{"), 200);
	expect_in(out, "source=\"q\\\"", true); /* the quote escaped */
	json_t *st = h_stats(&f.m);
	size_t listed = json_array_size(h_jget(st, "sources"));
	json_decref(st);
	char want[64];
	snprintf(want, sizeof(want), "\nmemlog_sources_listed %zu\n", listed);
	expect_in(out, want, true);
	expect_in(out, "\nmemlog_source_other_lines_total 0\n", true);

	const char *pt = promtool();
	if (!pt) {
		print_message("# promtool is not installed (Debian: prometheus); "
			      "the format check is skipped\n");
	} else {
		snprintf(path, sizeof(path), "%s/metrics.prom", f.m.dir);
		h_write_file(path, out, 0644);
		char cmd[600], *po = NULL, *pe = NULL;
		snprintf(cmd, sizeof(cmd), "exec %s check metrics < %s", pt, path);
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		int st2 = h_run(argv, NULL, H_TIMEOUT_MS * 4, &po, &pe);
		if (!WIFEXITED(st2) || WEXITSTATUS(st2) != 0)
			fail_msg("promtool check metrics: %s%s", po, pe);
		free(po);
		free(pe);
	}
	free(out);
	for (int i = 0; i < 201; i++)
		close(extra[i]);
	unfill(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unit, h_teardown),
		cmocka_unit_test_teardown(test_since_until, h_teardown),
		cmocka_unit_test_teardown(test_streams_and_grep, h_teardown),
		cmocka_unit_test_teardown(test_reverse_and_formats, h_teardown),
		cmocka_unit_test_teardown(test_terminal, h_teardown),
		cmocka_unit_test_teardown(test_sources, h_teardown),
		cmocka_unit_test_teardown(test_stats, h_teardown),
	};
	return h_run_tests("itest_logread_select", tests, NULL, NULL);
}
