/* memlog-runc's command line (args.c): our options stripped, runc's
 * passed on exactly, and the command, bundle, id and console socket found
 * as runc (urfave/cli v1 over Go's flag package) finds them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

struct parsed {
	struct runc_args a;
	char *out[64];
	int r;
};

/* Parses the NULL-terminated words after "memlog-runc". */
static void parse(struct parsed *p, const char *w0, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"memlog-runc";
	va_start(ap, w0);
	for (const char *w = w0; w; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	memset(p->out, 0x55, sizeof(p->out));
	p->r = runc_args_parse(argc, argv, p->out, &p->a);
}

/* The runtime's argv after argv[0], joined with spaces. */
static const char *passed(const struct parsed *p)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 1; i < p->a.argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i > 1 ? " " : "", p->out[i]);
	assert_null(p->out[p->a.argc]);
	return buf;
}

static void test_containerd_create(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--root", "/run/containerd/runc/k8s.io", "--log",
	      "/run/b/log.json", "--log-format", "json", "--systemd-cgroup",
	      "create", "--bundle", "/run/b", "--pid-file", "/run/b/init.pid",
	      "abc", NULL);
	assert_int_equal(p.r, 0);
	assert_string_equal(passed(&p), "--root /run/containerd/runc/k8s.io "
			    "--log /run/b/log.json --log-format json "
			    "--systemd-cgroup create --bundle /run/b --pid-file "
			    "/run/b/init.pid abc");
	assert_int_equal(p.a.cmd, RUNC_CMD_CREATE);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.command, "create");
	assert_string_equal(p.a.log, "/run/b/log.json");
	assert_string_equal(p.a.log_format, "json");
	assert_string_equal(p.a.bundle, "/run/b");
	assert_string_equal(p.a.id, "abc");
	assert_null(p.a.console_socket);
	assert_string_equal(p.out[0], "memlog-runc");
}

static void test_own_options_stripped(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--memlog-socket", "/s.sock", "--root=/x",
	      "--memlog-pids-limit=100", "--log", "x", "--debug",
	      "--memlog-runtime=/usr/bin/crun", "-memlog-config", "/c.json",
	      "--memlog-capture", "false", "--memlog-view-dir=/v",
	      "--memlog-kmsgfs", "/k", "state", "id1", NULL);
	assert_int_equal(p.r, 0);
	assert_string_equal(passed(&p), "--root=/x --log x --debug state id1");
	assert_string_equal(p.a.own.socket, "/s.sock");
	assert_true(p.a.own.pids_limit_set);
	assert_int_equal(p.a.own.pids_limit, 100);
	assert_string_equal(p.a.own.runtime, "/usr/bin/crun");
	assert_string_equal(p.a.own.config, "/c.json");
	assert_string_equal(p.a.own.view_dir, "/v");
	assert_string_equal(p.a.own.kmsgfs, "/k");
	assert_true(p.a.own.capture_set);
	assert_false(p.a.own.capture);
	assert_string_equal(p.a.log, "x");
	assert_string_equal(p.a.log_format, "text");
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	assert_false(p.a.cmd_parsed);
}

static void test_own_options_after_runc_globals(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--root", "/r", "--memlog-socket=/a=b", "--log-format=json",
	      "run", "-d", "--bundle", "/b", "c1", NULL);
	assert_int_equal(p.r, 0);
	assert_string_equal(p.a.own.socket, "/a=b");
	assert_string_equal(passed(&p), "--root /r --log-format=json run -d "
			    "--bundle /b c1");
	assert_string_equal(p.a.log_format, "json");
	assert_int_equal(p.a.cmd, RUNC_CMD_RUN);
	assert_string_equal(p.a.bundle, "/b");
	assert_string_equal(p.a.id, "c1");
}

/* After the command, --memlog-* is runc's business (it will refuse it). */
static void test_own_options_after_command_kept(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "kill", "--memlog-socket", "/s", "id", NULL);
	assert_int_equal(p.r, 0);
	assert_null(p.a.own.socket);
	assert_string_equal(passed(&p), "kill --memlog-socket /s id");
}

static void test_own_option_errors(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--memlog-socket", NULL);
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.a.bad_arg, 1);
	parse(&p, "--root", "/r", "--memlog-nope=1", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	assert_int_equal(p.a.bad_arg, 3);
	parse(&p, "--memlog-pids-limit", "-1", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-pids-limit", "12x", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-pids-limit", "99999999999999999999", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-socket=", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-capture=maybe", "list", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-help=1", NULL);
	assert_int_equal(p.r, -EINVAL);
	parse(&p, "--memlog-", "list", NULL);     /* not ours: runc's */
	assert_int_equal(p.r, 0);
	assert_string_equal(passed(&p), "--memlog- list");

	parse(&p, "--memlog-help", NULL);
	assert_int_equal(p.r, 0);
	assert_true(p.a.own.help);
	parse(&p, "--memlog-pids-limit", "0", "--memlog-show-config", NULL);
	assert_int_equal(p.r, 0);
	assert_true(p.a.own.pids_limit_set);
	assert_int_equal(p.a.own.pids_limit, 0);
	assert_true(p.a.own.show_config);
}

static void test_create_bundle_forms(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "create", "--bundle=/b", "--pid-file", "p", "id", NULL);
	assert_string_equal(p.a.bundle, "/b");
	assert_string_equal(p.a.id, "id");
	parse(&p, "create", "-b", "/b2", "id", NULL);
	assert_string_equal(p.a.bundle, "/b2");
	parse(&p, "create", "-bundle", "/b3", "id", NULL);
	assert_string_equal(p.a.bundle, "/b3");
	parse(&p, "create", "id", NULL);
	assert_true(p.a.cmd_parsed);
	assert_null(p.a.bundle);
	assert_string_equal(p.a.id, "id");
	/* The last one wins, as with Go's flag package. */
	parse(&p, "create", "-b", "/1", "--bundle", "/2", "id", NULL);
	assert_string_equal(p.a.bundle, "/2");
	/* No id: runc refuses it; nothing to prepare. */
	parse(&p, "create", "--bundle", "/b", NULL);
	assert_false(p.a.cmd_parsed);
	assert_null(p.a.id);
	/* More than one argument: runc refuses it too ("exactly 1
	 * argument"); the config.json there must not be edited. */
	parse(&p, "create", "--bundle", "/b", "id", "extra", NULL);
	assert_false(p.a.cmd_parsed);
	parse(&p, "run", "id", "--", "x", NULL);
	assert_false(p.a.cmd_parsed);
	/* An empty bundle is the current directory, as for runc (not "/"). */
	parse(&p, "create", "-b", "/1", "--bundle=", "id", NULL);
	assert_true(p.a.cmd_parsed);
	assert_null(p.a.bundle);
	assert_string_equal(p.a.id, "id");
	assert_string_equal(passed(&p), "create -b /1 --bundle= id");
}

/* urfave/cli moves known flags given after the id to the front. */
static void test_flags_after_id(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "create", "myid", "--bundle", "/b", "--console-socket",
	      "/c.sock", NULL);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.id, "myid");
	assert_string_equal(p.a.bundle, "/b");
	assert_string_equal(p.a.console_socket, "/c.sock");
	assert_string_equal(passed(&p), "create myid --bundle /b "
			    "--console-socket /c.sock");
	/* A boolean flag takes the next word along when reordering, which
	 * ends Go's parsing there: "id --bundle /b" are then three
	 * arguments, which runc refuses, so nothing is prepared (not even in
	 * the current directory, which runc would have used). */
	parse(&p, "run", "--detach", "id", "--bundle", "/b", NULL);
	assert_false(p.a.cmd_parsed);
	assert_string_equal(passed(&p), "run --detach id --bundle /b");
	parse(&p, "run", "--detach", "id", "--bundle=/b", NULL);
	assert_false(p.a.cmd_parsed);
	parse(&p, "run", "id", "--detach", "--bundle=/b", NULL);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.id, "id");
	assert_string_equal(p.a.bundle, "/b");
	parse(&p, "run", "-d", "id", NULL);
	assert_string_equal(p.a.id, "id");
}

static void test_double_dash(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "run", "--bundle", "/b", "--", "-id-", NULL);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.id, "-id-");
	assert_string_equal(p.a.bundle, "/b");
	/* After "--" nothing is reordered: this bundle is runc's argument. */
	parse(&p, "run", "--", "id", "--bundle", "/b", NULL);
	assert_false(p.a.cmd_parsed);
	assert_string_equal(passed(&p), "run -- id --bundle /b");
	parse(&p, "run", "--bundle", "/b", "--", "id", NULL);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.id, "id");
	/* A global "--": the next word is the command. */
	parse(&p, "--memlog-socket", "/s", "--root", "/r", "--", "create", "x",
	      NULL);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.a.cmd, RUNC_CMD_CREATE);
	assert_string_equal(p.a.id, "x");
	assert_string_equal(passed(&p), "--root /r -- create x");
}

static void test_help_version_unknown(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--version", NULL);
	assert_int_equal(p.r, 0);
	assert_int_equal(p.a.cmd, RUNC_CMD_NONE);
	assert_string_equal(passed(&p), "--version");
	parse(&p, "-v", "create", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	parse(&p, "--help", "run", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	parse(&p, "run", "--help", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	parse(&p, "run", "-h=false", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_RUN);
	assert_true(p.a.cmd_parsed);
	parse(&p, "frobnicate", "--x", "y", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	assert_string_equal(p.a.command, "frobnicate");
	assert_string_equal(passed(&p), "frobnicate --x y");
	parse(&p, NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_NONE);
	assert_int_equal(p.a.argc, 1);
	/* An unknown global flag: runc refuses the line; nothing prepared. */
	parse(&p, "--frob", "create", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	/* A command flag runc does not know: runc refuses it. */
	parse(&p, "create", "--frob", "x", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_CREATE);
	assert_false(p.a.cmd_parsed);
	parse(&p, "create", "--detach=maybe", "x", NULL);
	assert_false(p.a.cmd_parsed);
	/* Reordered to "--bundle x": x is the bundle and the id is missing,
	 * which runc refuses. */
	parse(&p, "create", "x", "--bundle", NULL);
	assert_false(p.a.cmd_parsed);
	assert_null(p.a.id);
	parse(&p, "create", "--bundle", NULL);
	assert_false(p.a.cmd_parsed);
	/* A global flag with its value missing. */
	parse(&p, "--root", NULL);
	assert_int_equal(p.r, 0);
	assert_null(p.a.command);
	assert_string_equal(passed(&p), "--root");
}

static void test_other_command_options(void **state)
{
	struct parsed p;
	(void)state;

	parse(&p, "--log", "/l", "exec", "--process", "/p.json", "--detach",
	      "--pid-file", "/p", "cid", NULL);
	assert_int_equal(p.a.cmd, RUNC_CMD_OTHER);
	assert_false(p.a.cmd_parsed);
	assert_null(p.a.id);
	assert_string_equal(passed(&p), "--log /l exec --process /p.json "
			    "--detach --pid-file /p cid");
	parse(&p, "run", "--console-socket=/c", "--preserve-fds", "2",
	      "--no-pivot", "--no-new-keyring", "--keep", "--no-subreaper",
	      "id9", NULL);
	assert_true(p.a.cmd_parsed);
	assert_string_equal(p.a.console_socket, "/c");
	assert_string_equal(p.a.id, "id9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd_create),
		cmocka_unit_test(test_own_options_stripped),
		cmocka_unit_test(test_own_options_after_runc_globals),
		cmocka_unit_test(test_own_options_after_command_kept),
		cmocka_unit_test(test_own_option_errors),
		cmocka_unit_test(test_create_bundle_forms),
		cmocka_unit_test(test_flags_after_id),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_help_version_unknown),
		cmocka_unit_test(test_other_command_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
