/* memlog-runc against a fake runtime (a shell script that records its
 * arguments and what its fds 1 and 2 are, writes a line to each, and exits
 * with a chosen code) and the real memlogd: arguments passed exactly, exit
 * status passed through, pass-through cases said in the runtime log, the
 * PID limit default, capture under the container's name, and (memlogd's
 * tee) every byte still reaching the stdout and stderr the engine gave.
 * Real engines are tested in itest_runtimes.c; one real `runc run` here. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The fake runtime is the same for every test: written once for the
 * group, in a dir of its own (the group fixture). */
struct rw_group {
	char dir[64];
	char fake[128];    /* DIR/fake-runc */
};

/* One test's scratch (the test fixture): a temp dir with a bundle and the
 * record the fake writes, and a memlogd for the tests that want one. */
struct rw {
	const struct rw_group *g;
	const char *fake;  /* the group's fake runtime */
	char dir[64];
	char record[128];  /* DIR/record: what the fake saw */
	char bundle[128];  /* DIR/bundle */
	char config[160];  /* DIR/bundle/config.json */
	char log[128];     /* DIR/log.json: the runtime log */
	struct mld m;      /* started by rw_setup_mld, else by the test */
	/* results of rw_run: */
	int status;
	char *out, *err;   /* what arrived on the stdout/stderr we gave */
	char out_pipe[64], err_pipe[64]; /* "pipe:[INODE]" of those */
	unsigned closed_stdio;  /* fds (bit n: fd n) rw_run leaves closed */
};

static const char fake_script[] =
	"#!/bin/sh\n"
	"# Which fds are open, with the builtin test (no fd is touched, no\n"
	"# fork); then, of fds 0-2, the open ones, where $(...)'s pipe cannot\n"
	"# land.\n"
	"fds=; fd0=; fd1=; fd2=; n=0\n"
	"while [ $n -lt 64 ]; do\n"
	"  [ -e /proc/$$/fd/$n ] && fds=\"$fds$n \"\n"
	"  n=$((n + 1))\n"
	"done\n"
	"[ -e /proc/$$/fd/0 ] && fd0=$(readlink /proc/$$/fd/0)\n"
	"[ -e /proc/$$/fd/1 ] && fd1=$(readlink /proc/$$/fd/1)\n"
	"[ -e /proc/$$/fd/2 ] && fd2=$(readlink /proc/$$/fd/2)\n"
	"sig=$(grep -E '^Sig(Blk|Ign)' /proc/$$/status | tr '\\n\\t' '  ')\n"
	"{\n"
	"  for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done\n"
	"  printf 'fd0=%s\\n' \"$fd0\"\n"
	"  printf 'fd1=%s\\n' \"$fd1\"\n"
	"  printf 'fd2=%s\\n' \"$fd2\"\n"
	"  printf 'fds=%s\\n' \"$fds\"\n"
	"  printf 'sig=%s\\n' \"$sig\"\n"
	"  printf 'env=%s\\n' \"${RW_MARK:-}\"\n"
	"} > \"$RW_RECORD\"\n"
	"if [ -n \"${RW_WRITE:-}\" ]; then\n"
	"  echo \"$RW_WRITE out\"\n"
	"  echo \"$RW_WRITE err\" >&2\n"
	"fi\n"
	"exit \"${RW_EXIT:-0}\"\n";

static void need_runc_wrap(void)
{
	if (!h_prog_exists("memlog-runc")) {
		print_message("# %s/memlog-runc is not built; skipping\n", h_build());
		skip();
	}
}

static int group_setup(void **state)
{
	struct rw_group *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	snprintf(g->dir, sizeof(g->dir), "/tmp/memlog-itest-rwg-XXXXXX");
	assert_non_null(mkdtemp(g->dir));
	snprintf(g->fake, sizeof(g->fake), "%s/fake-runc", g->dir);
	h_write_file(g->fake, fake_script, 0755);
	*state = g;
	return 0;
}

static int group_teardown(void **state)
{
	struct rw_group *g = *state;

	h_rmtree(g->dir);
	free(g);
	return 0;
}

/* The test fixture; the group's state comes in, the test's goes out. */
static int rw_setup(void **state)
{
	struct rw *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->g = *state;
	t->fake = t->g->fake;
	snprintf(t->dir, sizeof(t->dir), "/tmp/memlog-itest-rw-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->record, sizeof(t->record), "%s/record", t->dir);
	snprintf(t->bundle, sizeof(t->bundle), "%s/bundle", t->dir);
	snprintf(t->config, sizeof(t->config), "%s/config.json", t->bundle);
	snprintf(t->log, sizeof(t->log), "%s/log.json", t->dir);
	assert_int_equal(mkdir(t->bundle, 0755), 0);
	*state = t;
	return 0;
}

/* The same with memlogd started. */
static int rw_setup_mld(void **state)
{
	rw_setup(state);
	mld_start(&((struct rw *)*state)->m, NULL);
	return 0;
}

/* Removes the scratch; then stops memlogd if it runs, asserting a clean
 * exit as mld_stop does. */
static int rw_teardown(void **state)
{
	struct rw *t = *state;
	struct mld m = t->m;

	free(t->out);
	free(t->err);
	h_rmtree(t->dir);
	free(t);
	*state = NULL;
	if (m.pid > 0)
		mld_stop(&m);
	mld_cleanup(&m);
	return h_teardown(state);
}

/* A test's start: skips when memlog-runc is not built; config.json holds
 * config_json (unless NULL). */
static struct rw *rw_begin(void **state, const char *config_json)
{
	struct rw *t = *state;

	need_runc_wrap();
	if (config_json)
		h_write_file(t->config, config_json, 0644);
	return t;
}

static void pipe_name(int fd, char *out, size_t cap)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(out, cap, "pipe:[%lu]", (unsigned long)st.st_ino);
}

/* Reads fd to EOF within the deadline (malloc'd, NUL-terminated). */
static char *read_to_eof(int fd, uint64_t deadline)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(deadline - h_now_ms());
		ssize_t n;

		if (left <= 0)
			fail_msg("no EOF on the stdout/stderr we gave within the "
				 "deadline (got %zu bytes: %.*s)", len, (int)len, buf);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Runs memlog-runc with args (NULL-terminated) and extra env, its stdout
 * and stderr on pipes of ours (as engines give them), stdin /dev/null.
 * Waits for it and for EOF on both pipes. */
static void rw_run(struct rw *t, const char *const *args,
		   const char *const *env)
{
	char prog[512];
	const char *argv[64];
	int po[2], pe[2], n = 0;
	pid_t pid;

	h_prog(prog, sizeof(prog), "memlog-runc");
	argv[n++] = prog;
	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pipe_name(po[1], t->out_pipe, sizeof(t->out_pipe));
	pipe_name(pe[1], t->err_pipe, sizeof(t->err_pipe));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		h_child_close_from(3);
		for (int fd = 0; fd < 3; fd++)
			if (t->closed_stdio & 1u << fd)
				close(fd);
		setenv("RW_RECORD", t->record, 1);
		h_child_env(env);
		h_child_signals();
		/* A mask and a disposition of ours that the runtime must
		 * get as they are. */
		signal(SIGUSR2, SIG_IGN);
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(pid);
	close(po[1]);
	close(pe[1]);
	t->status = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	free(t->out);
	free(t->err);
	t->out = read_to_eof(po[0], h_now_ms() + H_TIMEOUT_MS);
	t->err = read_to_eof(pe[0], h_now_ms() + H_TIMEOUT_MS);
}

static void expect_exit(const struct rw *t, int want)
{
	h_expect_exit(t->status, want, "memlog-runc", t->err);
}

/* The value of the fake's record line KEY=VALUE (malloc'd). */
static char *record_get(const struct rw *t, const char *key)
{
	char *rec = h_read_file(t->record, NULL), *res = NULL;
	size_t kl = strlen(key);

	if (!rec)
		fail_msg("the fake runtime did not run (no %s)", t->record);
	for (char *l = strtok(rec, "\n"); l && !res; l = strtok(NULL, "\n"))
		if (!strncmp(l, key, kl) && l[kl] == '=')
			res = strdup(l + kl + 1);
	free(rec);
	assert_non_null(res);
	return res;
}

static char *record_args(const struct rw *t)
{
	char *rec = h_read_file(t->record, NULL);
	char *out = calloc(1, strlen(rec ? rec : "") + 1);
	size_t n = 0;

	assert_non_null(rec);
	for (char *l = strtok(rec, "\n"); l; l = strtok(NULL, "\n")) {
		if (strncmp(l, "arg=", 4))
			continue;
		n += (size_t)sprintf(out + n, "%s%s", n ? " " : "", l + 4);
	}
	free(rec);
	return out;
}

static void assert_args(const struct rw *t, const char *want)
{
	char *got = record_args(t);

	assert_string_equal(got, want);
	free(got);
}

static void assert_fd(const struct rw *t, const char *key, const char *want)
{
	char *got = record_get(t, key);

	assert_string_equal(got, want);
	free(got);
}

static void assert_fd_not(const struct rw *t, const char *key, const char *other)
{
	char *got = record_get(t, key);

	assert_true(strncmp(got, "pipe:[", 6) == 0);
	assert_string_not_equal(got, other);
	free(got);
}

static char *read_log(const struct rw *t)
{
	char *s = h_read_file(t->log, NULL);

	return s ? s : strdup("");
}

static void assert_log_has(const struct rw *t, const char *needle)
{
	char *log = read_log(t);

	if (!strstr(log, needle))
		fail_msg("runtime log lacks \"%s\":\n%s", needle, log);
	free(log);
}

/* Every line of the log is a JSON object with level, msg, time. */
static void assert_log_json(const struct rw *t)
{
	char *log = read_log(t);
	size_t n = 0;

	for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"), n++) {
		json_t *o = h_json(l, strlen(l));

		assert_true(json_is_string(json_object_get(o, "level")));
		assert_true(json_is_string(json_object_get(o, "msg")));
		assert_true(json_is_string(json_object_get(o, "time")));
		json_decref(o);
	}
	assert_true(n > 0);
	free(log);
}

/* Waits until memlogd holds an entry of source memlog-runc (the notices
 * of containers not captured) whose msg is want; fails after the
 * harness's deadline, showing what there is. */
static void wait_notice(const struct mld *m, const char *want)
{
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;

	for (;;) {
		json_t *a = h_dump(m, "dump source=memlog-runc\n");
		size_t i;
		json_t *e;
		bool found = false;

		json_array_foreach(a, i, e)
			found = found || !strcmp(h_jstr(e, "msg"), want);
		if (found) {
			json_decref(a);
			return;
		}
		if (h_now_ms() >= deadline) {
			char *d = json_dumps(a, JSON_COMPACT);
			fail_msg("no notice \"%s\" from memlog-runc; there are: %s",
				 want, d);
		}
		json_decref(a);
		h_sleep_ms(20);
	}
}

/* How many notices mention needle. */
static size_t notices_with(const struct mld *m, const char *needle)
{
	json_t *a = h_dump(m, "dump source=memlog-runc\n"), *e;
	size_t i, n = 0;

	json_array_foreach(a, i, e)
		n += strstr(h_jstr(e, "msg"), needle) != NULL;
	json_decref(a);
	return n;
}

static const char spec_plain[] =
	"{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,"
	"\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
	"\"annotations\":{\"memlog.name\":\"job\"},"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576}}}}";

static bool pids_default_expected(void)
{
	struct stat st;

	return geteuid() == 0 && (stat("/sys/fs/cgroup/pids", &st) == 0 ||
				  access("/sys/fs/cgroup/cgroup.controllers", R_OK) == 0);
}

/* ---- tests ---- */

/* Our options are stripped wherever they are before the command, runc's
 * are passed exactly, the environment is kept, and the exit status is the
 * runtime's. */
static void test_args_and_exit_status(void **state)
{
	int codes[] = { 0, 1, 42 };

	struct rw *t = rw_begin(state, NULL);
	for (unsigned i = 0; i < 3; i++) {
		char e[32], want[512];
		const char *args[] = { "--memlog-runtime", t->fake, "--root=/x",
				       "--memlog-socket=/nonexistent.sock",
				       "--log", t->log, "--debug",
				       "--memlog-pids-limit", "5", "state",
				       "--", "id 1", NULL };
		const char *env[] = { e, "RW_MARK=kept", NULL };

		snprintf(e, sizeof(e), "RW_EXIT=%d", codes[i]);
		rw_run(t, args, env);
		expect_exit(t, codes[i]);
		snprintf(want, sizeof(want), "--root=/x --log %s --debug state -- id 1",
			 t->log);
		assert_args(t, want);
		assert_fd(t, "env", "kept");
		/* Not create/run: untouched stdio, nothing in the log. */
		assert_fd(t, "fd1", t->out_pipe);
		assert_fd(t, "fd2", t->err_pipe);
		assert_false(access(t->log, F_OK) == 0);
	}
}

/* Unknown commands and --version go through as they are, even with memlogd
 * there. */
static void test_unknown_command_pass_through(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "frobnicate", "--bundle",
			       t->bundle, "x", NULL };
	const char *env[] = { "RW_WRITE=unknown", NULL };
	char want[512];

	rw_run(t, args, env);
	expect_exit(t, 0);
	snprintf(want, sizeof(want), "--log %s frobnicate --bundle %s x", t->log,
		 t->bundle);
	assert_args(t, want);
	assert_fd(t, "fd1", t->out_pipe);
	assert_string_equal(t->out, "unknown out\n");
	assert_string_equal(t->err, "unknown err\n");
	/* config.json not touched. */
	char *cfg = h_read_file(t->config, NULL);
	assert_string_equal(cfg, spec_plain);
	free(cfg);

	const char *vargs[] = { "--memlog-runtime", t->fake, "--memlog-socket",
				m->log, "--version", NULL };
	rw_run(t, vargs, NULL);
	expect_exit(t, 0);
	assert_args(t, "--version");
}

/* No memlogd: the container is left as it is (still with the PID limit
 * default), and the runtime log says why, in runc's JSON format. */
static void test_no_memlogd_json_log(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	char sock[160];
	snprintf(sock, sizeof(sock), "%s/none.sock", t->dir);
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       sock, "--root", "/r", "--log", t->log,
			       "--log-format", "json", "create", "--bundle",
			       t->bundle, "--pid-file", "/p", "c1", NULL };
	const char *env[] = { "RW_WRITE=plain", "RW_EXIT=3", NULL };
	char want[512];

	rw_run(t, args, env);
	expect_exit(t, 3);
	snprintf(want, sizeof(want), "--root /r --log %s --log-format json create "
		 "--bundle %s --pid-file /p c1", t->log, t->bundle);
	assert_args(t, want);
	assert_fd(t, "fd1", t->out_pipe);
	assert_fd(t, "fd2", t->err_pipe);
	assert_string_equal(t->out, "plain out\n");
	assert_string_equal(t->err, "plain err\n");
	assert_log_json(t);
	assert_log_has(t, "\"level\":\"info\",\"msg\":\"memlog-runc: "
		       "pass-through: memlogd at ");
	assert_log_has(t, "No such file or directory");
	if (pids_default_expected())
		assert_log_has(t, "set linux.resources.pids.limit to 4096");
}

/* The same in runc's default text format. */
static void test_no_memlogd_text_log(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       "/nonexistent/x.sock", "--log", t->log, "run",
			       "-d", "--bundle", t->bundle, "c1", NULL };

	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_fd(t, "fd1", t->out_pipe);
	char *log = read_log(t);
	assert_true(strncmp(log, "time=\"", 6) == 0);
	assert_non_null(strstr(log, "\" level=info msg=\"memlog-runc: "
			       "pass-through: memlogd at /nonexistent/x.sock did "
			       "not take the container's output (No such file "
			       "or directory)\"\n"));
	free(log);
}

/* Without --log nothing is written anywhere, not even on our stderr. */
static void test_no_log_silent(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       "/nonexistent/x.sock", "create", "--bundle",
			       t->bundle, "c1", NULL };

	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_string_equal(t->out, "");
	assert_string_equal(t->err, "");
}

/* A container with a terminal is not captured, memlogd or not; memlogd
 * gets a notice from source memlog-runc naming it and the reason (as for
 * every container not captured, unless capture is off). */
static void test_terminal_pass_through(void **state)
{
	struct rw *t = rw_begin(state, "{\"process\":{\"terminal\":true},"
		"\"annotations\":{\"memlog.name\":\"tty\"}}");
	struct mld *m = &t->m;
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "--log-format", "json",
			       "create", "--bundle", t->bundle, "c1", NULL };

	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_fd(t, "fd1", t->out_pipe);
	assert_fd(t, "fd2", t->err_pipe);
	assert_log_has(t, "pass-through: the container has a terminal");
	/* memlogd is told too: the runtime log goes with the container. */
	wait_notice(m, "container tty (id c1) not captured: the container "
		    "has a terminal");

	/* --console-socket says the same, whatever config.json says. */
	h_write_file(t->config, spec_plain, 0644);
	const char *cargs[] = { "--memlog-runtime", t->fake, "--memlog-socket",
				m->log, "--log", t->log, "create", "--bundle",
				t->bundle, "--console-socket", "/c.sock", "c2",
				NULL };
	rw_run(t, cargs, NULL);
	expect_exit(t, 0);
	assert_fd(t, "fd1", t->out_pipe);
	assert_int_equal(h_source_stat(m, "job.out", "stdout", "lines"), -1);
	assert_int_equal(h_source_stat(m, "tty.out", "stdout", "lines"), -1);
	wait_notice(m, "container job (id c2) not captured: the container "
		    "has a terminal");

	/* Capture off is the operator's choice: no notice. (The notice of
	 * the container after it shows that memlogd has seen it.) */
	const char *off[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			      m->log, "--memlog-capture=false", "create",
			      "--bundle", t->bundle, "c3", NULL };
	rw_run(t, off, NULL);
	expect_exit(t, 0);
	const char *after[] = { "--memlog-runtime", t->fake, "--memlog-socket",
				m->log, "create", "--bundle", t->bundle,
				"--console-socket", "/c.sock", "c4", NULL };
	rw_run(t, after, NULL);
	wait_notice(m, "container job (id c4) not captured: the container "
		    "has a terminal");
	assert_int_equal(notices_with(m, "(id c3)"), 0);

	/* A config.json that cannot be read: named by the id. */
	assert_int_equal(unlink(t->config), 0);
	const char *gone[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "create", "--bundle", t->bundle, "c5", NULL };
	rw_run(t, gone, NULL);
	expect_exit(t, 0);
	char want[400];
	snprintf(want, sizeof(want), "container c5 not captured: cannot read "
		 "%s: No such file or directory", t->config);
	wait_notice(m, want);
}

static json_int_t config_pids(const struct rw *t, json_t **doc)
{
	size_t len;
	char *text = h_read_file(t->config, &len);
	json_t *j = h_json(text, len);
	json_t *l = h_jget(j, "linux.resources.pids.limit");

	free(text);
	*doc = j;
	return json_is_integer(l) ? json_integer_value(l) : 0;
}

/* The PID limit default is written where the engine set none (or 0), and
 * a limit the engine set, -1 included, is kept with the file untouched. */
static void test_pids_default(void **state)
{
	json_t *before, *after;

	if (!pids_default_expected()) {
		print_message("# not root or no pids cgroup: no PID default\n");
		skip();
	}
	struct rw *t = rw_begin(state, spec_plain);
	before = h_json(spec_plain, strlen(spec_plain));
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       "/nonexistent.sock", "--memlog-pids-limit", "321",
			       "create", "--bundle", t->bundle, "c1", NULL };
	struct stat st;

	assert_int_equal(chmod(t->config, 0640), 0);
	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_int_equal(config_pids(t, &after), 321);
	/* Every other field as it was; the mode kept; no temp file left. */
	json_object_del(h_jget(after, "linux.resources"), "pids");
	assert_true(json_equal(before, after));
	json_decref(after);
	assert_int_equal(stat(t->config, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", t->bundle);
	assert_int_equal(system(cmd), 0);

	const char *kept[] = {
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":-1}}}}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":77}}}}",
		"{\"linux\":{\"resources\":{\"cpu\":{\"shares\":18446744073709551615}}}}",
		"{\"linux\":[]}",
	};
	for (unsigned i = 0; i < 4; i++) {
		h_write_file(t->config, kept[i], 0644);
		rw_run(t, args, NULL);
		expect_exit(t, 0);
		char *text = h_read_file(t->config, NULL);
		assert_string_equal(text, kept[i]);
		free(text);
	}
	/* A config.json that is a symlink: neither it nor its target is
	 * rewritten (the link would become a file), and the log says so. */
	char target[200];
	snprintf(target, sizeof(target), "%s/real.json", t->dir);
	h_write_file(target, spec_plain, 0644);
	assert_int_equal(unlink(t->config), 0);
	assert_int_equal(symlink(target, t->config), 0);
	const char *logged[] = { "--memlog-runtime", t->fake, "--memlog-socket",
				 "/nonexistent.sock", "--memlog-pids-limit", "321",
				 "--log", t->log, "create", "--bundle", t->bundle,
				 "c1", NULL };
	rw_run(t, logged, NULL);
	expect_exit(t, 0);
	assert_int_equal(lstat(t->config, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char *ttext = h_read_file(target, NULL);
	assert_string_equal(ttext, spec_plain);
	free(ttext);
	assert_log_has(t, "no default PID limit: cannot rewrite ");
	assert_int_equal(unlink(t->config), 0);

	/* 0 is unset: replaced. --memlog-pids-limit 0: nothing is set. */
	h_write_file(t->config, "{\"linux\":{\"resources\":{\"pids\":{\"limit\":0}}}}",
		     0644);
	rw_run(t, args, NULL);
	assert_int_equal(config_pids(t, &after), 321);
	json_decref(after);
	h_write_file(t->config, spec_plain, 0644);
	const char *off[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			      "/nonexistent.sock", "--memlog-pids-limit", "0",
			      "create", "--bundle", t->bundle, "c1", NULL };
	rw_run(t, off, NULL);
	char *text = h_read_file(t->config, NULL);
	assert_string_equal(text, spec_plain);
	free(text);
	json_decref(before);
}

/* Capture: the runtime's fds 1 and 2 are pipes to memlogd, and the lines
 * are there under NAME.out / NAME. */
static void test_capture(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "--log-format", "json",
			       "create", "--bundle", t->bundle, "c1", NULL };
	const char *env[] = { "RW_WRITE=captured", "RW_EXIT=5", NULL };

	rw_run(t, args, env);
	expect_exit(t, 5);
	assert_fd_not(t, "fd1", t->out_pipe);
	assert_fd_not(t, "fd2", t->err_pipe);
	assert_log_json(t);
	assert_log_has(t, "stdout logged by memlogd at ");
	assert_log_has(t, " as job.out, copied on to the engine");
	assert_log_has(t, " as job, copied on to the engine");
	h_wait_source_stat(m, "job.out", "stdout", "lines", 1);
	h_wait_source_stat(m, "job", "stderr", "lines", 1);
	json_t *a = h_dump(m, "dump source=job*\n");
	assert_int_equal(json_array_size(a), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *e = json_array_get(a, i);
		bool out = !strcmp(h_jstr(e, "source"), "job.out");

		assert_string_equal(h_jstr(e, "stream"), out ? "stdout" : "stderr");
		assert_string_equal(h_jstr(e, "msg"),
				    out ? "captured out" : "captured err");
	}
	json_decref(a);
}

/* What the runtime inherits from memlog-runc is what memlog-runc got: on
 * capture only fds 1 and 2 change (no other fd of ours reaches runc and so
 * the container), and the blocked mask and ignored signals are ours. */
static void test_capture_inherits_nothing_else(void **state)
{
	char *base_fds, *base_sig, *fds, *sig;

	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;
	const char *pass[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "state", "c1", NULL };
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "create", "--bundle",
			       t->bundle, "c1", NULL };

	rw_run(t, pass, NULL);
	expect_exit(t, 0);
	base_fds = record_get(t, "fds");
	base_sig = record_get(t, "sig");
	/* SIGUSR1 (bit 9) blocked, SIGUSR2 (bit 11) ignored by rw_run;
	 * whatever else the test's own parent ignores may be there too. */
	unsigned long long blk = 0, ign = 0;
	const char *pb = strstr(base_sig, "SigBlk:"), *pi = strstr(base_sig, "SigIgn:");
	assert_non_null(pb);
	assert_non_null(pi);
	assert_int_equal(sscanf(pb, "SigBlk: %llx", &blk), 1);
	assert_int_equal(sscanf(pi, "SigIgn: %llx", &ign), 1);
	assert_true(blk & (1ull << 9));
	assert_true(ign & (1ull << 11));
	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_fd_not(t, "fd1", t->out_pipe);
	assert_fd_not(t, "fd2", t->err_pipe);
	assert_fd(t, "fd0", "/dev/null");
	fds = record_get(t, "fds");
	sig = record_get(t, "sig");
	assert_string_equal(fds, base_fds);
	assert_string_equal(sig, base_sig);
	free(fds);
	free(sig);
	free(base_fds);
	free(base_sig);
}

/* A closed stdout (or stdin) stays closed for the runtime and is not
 * captured, even though memlog-runc opens sockets and pipes meanwhile
 * (which would otherwise take the free number and pass for the engine's
 * stdout); stderr is still captured. */
static void test_closed_stdout_stays_closed(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "create", "--bundle",
			       t->bundle, "c1", NULL };

	t->closed_stdio = 1u << 0 | 1u << 1;
	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_fd(t, "fd0", "");
	assert_fd(t, "fd1", "");
	assert_fd_not(t, "fd2", t->err_pipe);
	assert_log_has(t, "stderr logged by memlogd");
	char *log = read_log(t);
	assert_null(strstr(log, "stdout logged"));
	free(log);
	assert_int_equal(h_source_stat(m, "job.out", "stdout", "fds"), -1);

	/* Both closed: pass-through, and both still closed. */
	t->closed_stdio = 1u << 1 | 1u << 2;
	rw_run(t, args, NULL);
	expect_exit(t, 0);
	assert_fd(t, "fd1", "");
	assert_fd(t, "fd2", "");
	assert_log_has(t, "pass-through: stdout and stderr are closed");
}

/* memlogd's tee: the same bytes reach the stdout and stderr we gave (the
 * engine's), and they end (EOF) when the container's do. */
static void test_capture_tee_copies(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "run", "--bundle", t->bundle, "c1", NULL };
	const char *env[] = { "RW_WRITE=both", NULL };

	rw_run(t, args, env);
	expect_exit(t, 0);
	h_wait_source_stat(m, "job.out", "stdout", "lines", 1);
	assert_string_equal(t->out, "both out\n");
	assert_string_equal(t->err, "both err\n");
}

/* memlogd refuses the registration (its source table is full): the
 * container runs pass-through, the reason is in the runtime log and in a
 * notice to memlogd, and its output still reaches the engine. */
static void test_refused_pass_through(void **state)
{
	struct rw *t = rw_begin(state, spec_plain);
	struct mld *m = &t->m;

	/* One source at most: a tee (two fds) never fits. */
	mld_start(m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--max-sources", "1", NULL },
	} });
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--log", t->log, "--log-format", "json",
			       "run", "--bundle", t->bundle, "c1", NULL };
	const char *env[] = { "RW_WRITE=both", NULL };

	rw_run(t, args, env);
	expect_exit(t, 0);
	assert_fd(t, "fd1", t->out_pipe);
	assert_fd(t, "fd2", t->err_pipe);
	assert_string_equal(t->out, "both out\n");
	assert_string_equal(t->err, "both err\n");
	assert_log_has(t, "did not take the container's output (too many "
		       "sources)");
	assert_int_equal(h_source_stat(m, "job.out", "stdout", "lines"), -1);
	/* The notice is one source: it fits. */
	char want[300];
	snprintf(want, sizeof(want), "container job (id c1) not captured: "
		 "memlogd at %s did not take the container's output (too many "
		 "sources)", m->log);
	wait_notice(m, want);
}

/* Names: Docker's config.v2.json under docker_root, else the id (64 hex
 * digits cut to id_length), with settings from a config file named by
 * MEMLOG_RUNC_CONFIG. */
static void test_names_docker_and_id(void **state)
{
	const char *id =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char conf[160], env_conf[200], path[300], cfg[512];

	struct rw *t = rw_begin(state, "{\"process\":{\"terminal\":false}}");
	struct mld *m = &t->m;
	snprintf(conf, sizeof(conf), "%s/runc.json", t->dir);
	snprintf(cfg, sizeof(cfg), "{\"socket\":\"%s\",\"runtime\":\"%s\","
		 "\"docker_root\":\"%s/docker\",\"id_length\":8,"
		 "\"pids_limit\":0}", m->log, t->fake, t->dir);
	h_write_file(conf, cfg, 0644);
	snprintf(env_conf, sizeof(env_conf), "MEMLOG_RUNC_CONFIG=%s", conf);
	const char *env[] = { env_conf, "RW_WRITE=named", NULL };
	const char *args[] = { "create", "--bundle", t->bundle, id, NULL };

	/* No Docker config: the id, cut. */
	rw_run(t, args, env);
	expect_exit(t, 0);
	h_wait_source_stat(m, "01234567.out", "stdout", "lines", 1);
	/* With Docker's config.v2.json: its Name. */
	snprintf(path, sizeof(path), "mkdir -p %s/docker/containers/%s", t->dir, id);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/docker/containers/%s/config.v2.json",
		 t->dir, id);
	h_write_file(path, "{\"ID\":\"x\",\"Name\":\"/web-1\"}", 0600);
	rw_run(t, args, env);
	expect_exit(t, 0);
	h_wait_source_stat(m, "web-1.out", "stdout", "lines", 1);
	h_wait_source_stat(m, "web-1", "stderr", "lines", 1);
	/* Kubernetes annotations beat both. */
	h_write_file(t->config, "{\"annotations\":{"
		     "\"io.kubernetes.cri.container-name\":\"app\","
		     "\"io.kubernetes.cri.sandbox-name\":\"pod-1\","
		     "\"io.kubernetes.cri.sandbox-namespace\":\"ns\"}}", 0644);
	rw_run(t, args, env);
	expect_exit(t, 0);
	h_wait_source_stat(m, "ns/pod-1/app", "stderr", "lines", 1);
}

#define DOCKER_ID \
	"4485837dd712ced885398a9d1206aa3049a0be3da26b064444ebc5b8d24bc10b"
#define IMAGE_ID \
	"7c75d922117f1014a27115ee6fb404bbae458d890d50786da1c8a67395537573"

/* A Docker data root under t's dir (DIR/dock): the container DOCKER_ID's
 * config.v2.json with its name and labels (a JSON object's members, may
 * be ""), and its image's config with image_labels (NULL: no image
 * config). config.json gets Docker's bind mounts from that root, and
 * annotations (members, may be ""). */
static void docker_fake(const struct rw *t, const char *name,
			const char *labels, const char *image_labels,
			const char *annotations)
{
	char dir[200], path[300], text[2048];

	snprintf(dir, sizeof(dir), "%s/dock/containers/" DOCKER_ID, t->dir);
	snprintf(text, sizeof(text), "mkdir -p %s %s/dock/image/vfs/imagedb/"
		 "content/sha256", dir, t->dir);
	assert_int_equal(system(text), 0);
	snprintf(path, sizeof(path), "%s/config.v2.json", dir);
	snprintf(text, sizeof(text), "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/%s\","
		 "\"Config\":{\"Labels\":{%s}},\"Image\":\"sha256:" IMAGE_ID "\","
		 "\"Driver\":\"vfs\"}", name, labels);
	h_write_file(path, text, 0600);
	snprintf(path, sizeof(path), "%s/dock/image/vfs/imagedb/content/sha256/"
		 IMAGE_ID, t->dir);
	if (image_labels) {
		snprintf(text, sizeof(text), "{\"config\":{\"Labels\":{%s}}}",
			 image_labels);
		h_write_file(path, text, 0600);
	} else {
		unlink(path);
	}
	snprintf(text, sizeof(text),
		 "{\"process\":{\"terminal\":false,\"args\":[\"sh\"]},"
		 "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\","
		 "\"source\":\"proc\"},{\"destination\":\"/etc/hostname\","
		 "\"type\":\"bind\",\"source\":\"%s/hostname\",\"options\":"
		 "[\"rbind\",\"rprivate\"]},{\"destination\":\"/etc/hosts\","
		 "\"type\":\"bind\",\"source\":\"%s/hosts\"}],"
		 "\"annotations\":{%s}}", dir, dir, annotations);
	h_write_file(t->config, text, 0644);
}

/* Docker's data root is where Docker's own mounts in config.json say
 * (dockerd's --data-root, whatever it is): the container's name is found
 * there without docker_root in a config file. */
static void test_docker_root_from_mounts(void **state)
{
	struct rw *t = rw_begin(state, NULL);
	struct mld *m = &t->m;
	docker_fake(t, "found-by-mounts", "", "", "");
	/* An empty config file: docker_root is the default, not this root. */
	char conf[160];
	snprintf(conf, sizeof(conf), "%s/runc.json", t->dir);
	h_write_file(conf, "{}", 0644);
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       m->log, "--memlog-pids-limit", "0", "--memlog-config",
			       conf, "create", "--bundle", t->bundle, DOCKER_ID,
			       NULL };
	const char *env[] = { "RW_WRITE=named", NULL };

	rw_run(t, args, env);
	expect_exit(t, 0);
	h_wait_source_stat(m, "found-by-mounts.out", "stdout", "lines", 1);
	h_wait_source_stat(m, "found-by-mounts", "stderr", "lines", 1);
	assert_int_equal(h_source_stat(m, "4485837dd712.out", "stdout",
				       "lines"), -1);
}

/* memlog.pids-limit: the annotation, or Docker's container label when its
 * image does not have it too, lets a container run without the default;
 * any other value, or a label the image has or may have, does not. */
static void test_pids_setting(void **state)
{
	json_t *doc;

	if (!pids_default_expected()) {
		print_message("# not root or no pids cgroup: no PID default\n");
		skip();
	}
	struct rw *t = rw_begin(state, NULL);
	char conf[160];
	snprintf(conf, sizeof(conf), "%s/runc.json", t->dir);
	h_write_file(conf, "{}", 0644);
	const char *args[] = { "--memlog-runtime", t->fake, "--memlog-socket",
			       "/nonexistent.sock", "--memlog-pids-limit", "321",
			       "--memlog-config", conf, "--log", t->log, "create",
			       "--bundle", t->bundle, DOCKER_ID, NULL };
	const char *env[] = { NULL };
	static const struct {
		const char *labels, *image_labels, *annotations;
		json_int_t want;  /* the limit in config.json after */
		const char *log;  /* in the runtime log */
	} cases[] = {
		{ "", "", "\"memlog.pids-limit\":\"unlimited\"", 0,
		  "no default PID limit: annotation memlog.pids-limit=unlimited" },
		{ "", "", "\"memlog.pids-limit\":\"-1\"", 0,
		  "annotation memlog.pids-limit=-1" },
		{ "", "", "\"memlog.pids-limit\":\"0\"", 0,
		  "annotation memlog.pids-limit=0" },
		{ "", "", "\"memlog.pids-limit\":\"100\"", 321,
		  "annotation memlog.pids-limit=\\\"100\\\" is not unlimited" },
		{ "\"memlog.pids-limit\":\"unlimited\"", "\"other\":\"x\"", "", 0,
		  "no default PID limit: Docker label memlog.pids-limit=unlimited" },
		{ "\"memlog.pids-limit\":\"-1\"", "", "", 0,
		  "Docker label memlog.pids-limit=-1" },
		{ "\"memlog.pids-limit\":\"unlimited\"",
		  "\"memlog.pids-limit\":\"unlimited\"", "", 321,
		  "the container's image has it too" },
		{ "\"memlog.pids-limit\":\"unlimited\"", NULL, "", 321,
		  "the image's config cannot be read" },
		{ "\"memlog.pids-limit\":\"lots\"", "", "", 321,
		  "Docker label memlog.pids-limit=\\\"lots\\\" is not unlimited" },
		/* The annotation decides over the label. */
		{ "\"memlog.pids-limit\":\"unlimited\"", "",
		  "\"memlog.pids-limit\":\"9\"", 321,
		  "annotation memlog.pids-limit=\\\"9\\\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		unlink(t->log);
		docker_fake(t, "c", cases[i].labels, cases[i].image_labels,
			    cases[i].annotations);
		rw_run(t, args, env);
		expect_exit(t, 0);
		if (config_pids(t, &doc) != cases[i].want)
			fail_msg("case %zu: limit %lld, want %lld", i,
				 (long long)config_pids(t, &doc),
				 (long long)cases[i].want);
		json_decref(doc);
		assert_log_has(t, cases[i].log);
	}
	/* The engine's own limit is kept: nothing to say. */
	unlink(t->log);
	h_write_file(t->config, "{\"linux\":{\"resources\":{\"pids\":{\"limit\":"
		     "50}}},\"annotations\":{\"memlog.pids-limit\":\"-1\"}}", 0644);
	rw_run(t, args, env);
	assert_int_equal(config_pids(t, &doc), 50);
	json_decref(doc);
	char *log = read_log(t);
	assert_null(strstr(log, "PID limit"));
	free(log);
}

/* Settings: command line over config file over defaults; errors in our own
 * options or config exit 125 before anything runs; a runtime that is not
 * there exits 127. */
static void test_settings_and_errors(void **state)
{
	char conf[160], env_conf[200];

	struct rw *t = rw_begin(state, spec_plain);
	snprintf(conf, sizeof(conf), "%s/runc.json", t->dir);
	h_write_file(conf, "{\"socket\":\"/from-file\",\"pids_limit\":9}", 0644);
	snprintf(env_conf, sizeof(env_conf), "MEMLOG_RUNC_CONFIG=%s", conf);
	const char *env[] = { env_conf, NULL };
	const char *show[] = { "--memlog-pids-limit", "10", "--memlog-show-config",
			       NULL };

	rw_run(t, show, env);
	expect_exit(t, 0);
	json_t *j = h_json(t->out, strlen(t->out));
	assert_string_equal(h_jstr(j, "socket"), "/from-file");
	assert_int_equal(h_jint(j, "pids_limit"), 10);
	assert_int_equal(h_jint(j, "id_length"), 12);
	assert_string_equal(h_jstr(j, "config"), conf);
	json_decref(j);

	/* A bad config file: 125, said on stderr and in the log. */
	h_write_file(conf, "{\"socket\":", 0644);
	const char *bad[] = { "--memlog-runtime", t->fake, "--log", t->log,
			      "--log-format", "json", "state", "x", NULL };
	rw_run(t, bad, env);
	expect_exit(t, 125);
	assert_non_null(strstr(t->err, "memlog-runc: config file "));
	assert_log_has(t, "\"level\":\"error\"");
	assert_false(access(t->record, F_OK) == 0);

	/* A named config file that is missing: 125. */
	const char *missing[] = { "--memlog-config", "/nonexistent/runc.json",
				  "--memlog-runtime", t->fake, "state", "x", NULL };
	rw_run(t, missing, NULL);
	expect_exit(t, 125);
	/* An unknown --memlog- option: 125. */
	const char *unknown[] = { "--memlog-sockett", "/s", "state", "x", NULL };
	rw_run(t, unknown, NULL);
	expect_exit(t, 125);
	assert_non_null(strstr(t->err, "--memlog-sockett"));
	/* No such runtime: 127, said on stderr. */
	const char *nort[] = { "--memlog-runtime", "/nonexistent/runc", "state",
			       "x", NULL };
	rw_run(t, nort, NULL);
	expect_exit(t, 127);
	assert_non_null(strstr(t->err, "/nonexistent/runc"));
	/* The runtime by name in PATH. */
	char path_env[200];
	snprintf(path_env, sizeof(path_env), "PATH=%s:/usr/bin:/bin", t->g->dir);
	const char *byname_env[] = { path_env, NULL };
	const char *byname[] = { "--memlog-runtime", "fake-runc", "list", NULL };
	rw_run(t, byname, byname_env);
	expect_exit(t, 0);
	assert_args(t, "list");
}

/* One real `runc run` of a busybox bundle: its output reaches memlogd and
 * the caller, its exit status is runc's, and the PID limit is set. */
static void test_real_runc(void **state)
{
	char cmd[1024];

	if (geteuid() != 0 || access("/usr/sbin/runc", X_OK) ||
	    access("/bin/busybox", X_OK)) {
		print_message("# needs root, runc and /bin/busybox; skipping\n");
		skip();
	}
	struct rw *t = rw_begin(state, NULL);
	struct mld *m = &t->m;
	/* runc's default spec, without a terminal, running a shell that
	 * writes to both streams and shows its PID limit. */
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p rootfs/bin; cp /bin/busybox rootfs/bin/;"
		 " ln -s busybox rootfs/bin/sh; runc spec;"
		 " sed -i -e 's/\"terminal\": true/\"terminal\": false/'"
		 " -e 's/\"sh\"$/\"sh\", \"-c\", \"echo real out; echo real err >\\&2;"
		 " cat \\/sys\\/fs\\/cgroup\\/pids\\/pids.max 2>\\/dev\\/null ||"
		 " cat \\/sys\\/fs\\/cgroup\\/pids.max; exit 7\"/' config.json",
		 t->bundle);
	assert_int_equal(system(cmd), 0);
	char root[160], id[64];
	snprintf(root, sizeof(root), "%s/state", t->dir);
	snprintf(id, sizeof(id), "memlog-rw-%d", (int)getpid());
	const char *args[] = { "--memlog-runtime", "/usr/sbin/runc",
			       "--memlog-socket", m->log, "--memlog-pids-limit",
			       "123", "--root", root, "--log", t->log,
			       "--log-format", "json", "run", "--bundle",
			       t->bundle, id, NULL };
	rw_run(t, args, NULL);
	if (!WIFEXITED(t->status) || WEXITSTATUS(t->status) != 7) {
		char *log = read_log(t);
		print_message("# runc run failed (status 0x%x): %s\n# log: %s\n",
			      t->status, t->err, log);
		free(log);
		if (strstr(t->err, "cgroup") || strstr(t->err, "mount") ||
		    strstr(t->err, "permission")) {
							skip();
		}
		fail();
	}
	h_wait_source_stat(m, id, "stderr", "lines", 1);
	json_t *a = h_dump(m, "dump source=memlog-rw-*\n");
	bool saw_out = false, saw_err = false, saw_max = false;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *msg = h_jstr(json_array_get(a, i), "msg");
		saw_out |= !strcmp(msg, "real out");
		saw_err |= !strcmp(msg, "real err");
		saw_max |= !strcmp(msg, "123");
	}
	json_decref(a);
	assert_true(saw_out && saw_err && saw_max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_args_and_exit_status, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command_pass_through, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_no_memlogd_json_log, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_no_memlogd_text_log, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_no_log_silent, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_terminal_pass_through, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_pids_default, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_capture, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_capture_tee_copies, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_capture_inherits_nothing_else, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_closed_stdout_stays_closed, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_refused_pass_through, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_names_docker_and_id, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_docker_root_from_mounts, rw_setup_mld, rw_teardown),
		cmocka_unit_test_setup_teardown(test_pids_setting, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_settings_and_errors, rw_setup, rw_teardown),
		cmocka_unit_test_setup_teardown(test_real_runc, rw_setup_mld, rw_teardown),
	};
	return h_run_tests("itest_runc_wrap", tests, group_setup,
			   group_teardown);
}
