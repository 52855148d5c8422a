/* memlog-run's command line (src/memlog-run/options.c): the options stop
 * at CMD, whose own options are left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "optcall.h"
#include "util.h"

static struct run_opts o;
static struct optcall oc;

static enum opt_result parse(int argc, char **argv, char *err, size_t len,
			     FILE *out)
{
	return run_parse_args(argc, argv, &o, err, len, out);
}

static enum opt_result parse_argv(char **args)
{
	return optcall(&oc, "memlog-run", args, &o, sizeof(o), parse);
}

#define PARSE(...) parse_argv((char *[]){ __VA_ARGS__, NULL })
#define assert_usage(r, want) optcall_usage(&oc, (r), (want))

static int teardown_group(void **state)
{
	(void)state;
	optcall_free(&oc);
	return 0;
}

/* The command is argv[at] onwards. */
static void assert_cmd(enum opt_result r, int at)
{
	if (r != OPT_RUN)
		fail_msg("result %d: %s", r, oc.err);
	assert_string_equal(oc.err, OPTCALL_ERR_UNSET);
	assert_ptr_equal(o.cmd, oc.argv + at);
}

static void test_table_is_valid(void **state)
{
	char e[128] = "";

	if (opt_table_check(run_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_name_and_socket(void **state)
{
	static const char *const forms[][2] = {
		{ "-n", "web" }, { "-nweb" }, { "-n=web" }, { "-name", "web" },
		{ "--name=web" }, { "-na", "web" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		enum opt_result r = forms[i][1]
			? PARSE((char *)forms[i][0], (char *)forms[i][1], "cmd")
			: PARSE((char *)forms[i][0], "cmd");
		assert_cmd(r, forms[i][1] ? 3 : 2);
		assert_string_equal(o.name, "web");
		assert_string_equal(o.socket,
				    "/var/run/linuxkit-external-logging.sock");
	}
	assert_cmd(PARSE("-socket", "/s", "-n", "x", "cmd"), 5);
	assert_string_equal(o.socket, "/s");
	assert_cmd(PARSE("--socket=/s", "-n", "x", "--", "cmd"), 5);
	assert_string_equal(o.socket, "/s");
	/* The name is any bytes but NUL, up to 508. */
	char name[510];
	memset(name, 'a', 508);
	name[508] = '\0';
	assert_cmd(PARSE("-n", name, "cmd"), 3);
	name[508] = 'a';
	name[509] = '\0';
	assert_usage(PARSE("-n", name, "cmd"),
		     "the name given with -n is 509 bytes; at most 508 are "
		     "allowed");
	assert_cmd(PARSE("-n", "-a b;c", "cmd"), 3);
	assert_string_equal(o.name, "-a b;c");
}

/* Options stop at CMD: its own options, and ours after it, are its. */
static void test_command(void **state)
{
	assert_cmd(PARSE("-n", "x", "ls", "-l", "-n", "y"), 3);
	assert_string_equal(o.name, "x");
	assert_string_equal(o.cmd[1], "-l");
	assert_null(o.cmd[4]);
	assert_cmd(PARSE("-n", "x", "--", "-cmd"), 4);
	assert_cmd(PARSE("-n", "x", "/bin/sh", "-c", "true"), 3);
	assert_cmd(PARSE("-n", "x", "--", "--"), 4);
	assert_usage(PARSE("-n", "x"), "no command given");
	assert_usage(PARSE("-n", "x", "--"), "no command given");
}

static void test_errors(void **state)
{
	assert_usage(PARSE("cmd"), "-n NAME is required");
	assert_usage(PARSE("-n", "", "cmd"), "the name given with -n is empty");
	assert_usage(PARSE("-n"), "-n needs a value");
	assert_usage(PARSE("-socket"), "-socket needs a value");
	assert_usage(PARSE("-x", "-n", "a", "cmd"), "unknown option: -x");
	assert_usage(PARSE("--bogus=1", "cmd"), "unknown option: --bogus=1");
	assert_usage(PARSE("-n", "a", "-help=1", "cmd"), "-help takes no value");
}

static void test_help_and_version(void **state)
{
	static const char *const forms[] = { "-h", "-help", "--help" };

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		assert_int_equal(PARSE((char *)forms[i]), OPT_HELP_ASKED);
		assert_string_equal(oc.err, OPTCALL_ERR_UNSET);
		assert_memory_equal(oc.out, "Usage: memlog-run [-socket PATH]", 32);
		static const char *const lines[] = {
			"\n  -n, -name NAME     source name: 1 to 508 bytes",
			"\n      -socket PATH   memlogd's registration socket\n"
			"                     (default /var/run/linuxkit-"
			"external-logging.sock)\n",
			"\n  -h, -help          show this help and exit\n",
			"\n      -version       show the version and exit\n",
			"\n  127  CMD was not found\n",
		};
		for (size_t j = 0; j < ARRAY_SIZE(lines); j++)
			if (!strstr(oc.out, lines[j]))
				fail_msg("--help lacks \"%s\"", lines[j]);
	}
	/* Before CMD only: after it, -h is CMD's. */
	assert_cmd(PARSE("-n", "x", "cmd", "-h"), 3);
	assert_int_equal(PARSE("-version"), OPT_VERSION_ASKED);
	assert_string_equal(oc.out, "memlog-run memlog " MEMLOG_VERSION "\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_name_and_socket),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
