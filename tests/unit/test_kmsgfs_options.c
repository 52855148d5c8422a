/* memlog-kmsgfs's command line (src/memlog-kmsgfs/options.c). */
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

static struct kmsgfs_opts o;
static struct optcall oc;

static enum opt_result parse(int argc, char **argv, char *err, size_t len,
			     FILE *out)
{
	return kmsgfs_parse_args(argc, argv, &o, err, len, out);
}

static enum opt_result parse_argv(char **args)
{
	return optcall(&oc, "memlog-kmsgfs", args, &o, sizeof(o), parse);
}

#define PARSE(...) parse_argv((char *[]){ __VA_ARGS__, NULL })
#define PARSE_NONE() parse_argv((char *[]){ NULL })
#define assert_usage(r, want) optcall_usage(&oc, (r), (want))

static int teardown_group(void **state)
{
	(void)state;
	optcall_free(&oc);
	return 0;
}

static void test_table_is_valid(void **state)
{
	char e[128] = "";

	if (opt_table_check(kmsgfs_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_defaults(void **state)
{
	assert_int_equal(PARSE("/mnt"), OPT_RUN);
	assert_string_equal(o.mountpoint, "/mnt");
	assert_string_equal(o.socket, "/var/run/memlogdq.sock");
	assert_int_equal(o.buffer_size, 1u << 20);
	assert_int_equal(o.gone_exit, 0);
	assert_false(o.foreground);
}

static void test_options(void **state)
{
	assert_int_equal(PARSE("--socket", "/v/a.sock", "-buffer-size=64K",
			       "--gone-exit", "120", "-f", "/mnt"), OPT_RUN);
	assert_string_equal(o.socket, "/v/a.sock");
	assert_int_equal(o.buffer_size, 64u << 10);
	assert_int_equal(o.gone_exit, 120);
	assert_true(o.foreground);
	assert_string_equal(o.mountpoint, "/mnt");
	assert_string_equal(oc.err, OPTCALL_ERR_UNSET);
}

static void test_errors(void **state)
{
	static char longpath[200];

	assert_usage(PARSE_NONE(), "no mount point given");
	assert_usage(PARSE("/mnt", "/other"), "unexpected argument: /other");
	/* Options end at the mount point. */
	assert_usage(PARSE("/mnt", "-f"), "unexpected argument: -f");
	assert_int_equal(PARSE("--buffer-size", "1K", "/mnt"), OPT_USAGE);
	assert_int_equal(PARSE("--buffer-size", "2G", "/mnt"), OPT_USAGE);
	assert_int_equal(PARSE("--socket", "", "/mnt"), OPT_USAGE);
	assert_int_equal(PARSE("--gone-exit", "x", "/mnt"), OPT_USAGE);
	assert_int_equal(PARSE("--nope", "/mnt"), OPT_USAGE);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	assert_int_equal(PARSE("--socket", longpath, "/mnt"), OPT_USAGE);
	assert_non_null(strstr(oc.err, "--socket: the path is longer"));
}

static void test_help(void **state)
{
	assert_int_equal(PARSE("--help"), OPT_HELP_ASKED);
	assert_non_null(oc.out);
	assert_non_null(strstr(oc.out, "Usage: memlog-kmsgfs [OPTION]... "
				       "MOUNTPOINT"));
	assert_non_null(strstr(oc.out, "--gone-exit SECONDS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
