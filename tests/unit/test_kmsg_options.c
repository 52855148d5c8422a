/* memlog-kmsg's command line (src/memlog-kmsg/options.c). */
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

static struct memlog_kmsg_opts o;
static struct optcall oc;

static enum opt_result parse(int argc, char **argv, char *err, size_t len,
			     FILE *out)
{
	return memlog_kmsg_parse_args(argc, argv, &o, err, len, out);
}

static enum opt_result parse_argv(char **args)
{
	return optcall(&oc, "memlog-kmsg", args, &o, sizeof(o), parse);
}

#define PARSE(...) parse_argv((char *[]){ __VA_ARGS__, NULL })
#define PARSE_NONE() parse_argv((char *[]){ NULL })
#define assert_run(r) optcall_run(&oc, (r))
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

	if (opt_table_check(memlog_kmsg_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_options(void **state)
{
	assert_run(PARSE_NONE());
	assert_string_equal(o.kmsg, "/dev/kmsg");
	assert_string_equal(o.state_dir, "/run/memlog");
	assert_false(o.no_follow);
	assert_false(o.priority);

	assert_run(PARSE("--kmsg", "/tmp/k", "-state-dir=", "-no-follow",
			 "--priority"));
	assert_string_equal(o.kmsg, "/tmp/k");
	assert_string_equal(o.state_dir, "");
	assert_true(o.no_follow);
	assert_true(o.priority);
	assert_run(PARSE("-kmsg=/k", "--state-dir", "/s", "--no"));
	assert_string_equal(o.kmsg, "/k");
	assert_string_equal(o.state_dir, "/s");
	assert_true(o.no_follow);
	assert_false(o.priority);
	assert_null(o.relay);

	/* --relay: memlogd keeps the place, so no state file. */
	assert_run(PARSE("--relay", "/run/log.sock", "--no-follow"));
	assert_string_equal(o.relay, "/run/log.sock");
	assert_string_equal(o.state_dir, "");
	assert_true(o.no_follow);
}

static void test_errors(void **state)
{
	assert_usage(PARSE("--bogus"), "unknown option: --bogus");
	assert_usage(PARSE("x"), "unexpected argument: x");
	assert_usage(PARSE("--kmsg"), "--kmsg needs a value");
	assert_usage(PARSE("--no-follow=1"), "--no-follow takes no value");
	assert_usage(PARSE("--z"), "unknown option: --z");
	assert_usage(PARSE("--relay="), "--relay needs a value");
	assert_usage(PARSE("--relay", "/s", "--state-dir", "/d"),
		     "--relay: --state-dir does not apply (memlogd keeps the "
		     "place and stores the records as they are)");
	assert_usage(PARSE("--state-dir=", "--relay=/s"),
		     "--relay: --state-dir does not apply (memlogd keeps the "
		     "place and stores the records as they are)");
	assert_usage(PARSE("--relay", "/s", "--priority"),
		     "--relay: --priority does not apply (memlogd keeps the "
		     "place and stores the records as they are)");
	/* An unambiguous start of a name is that option. */
	assert_run(PARSE("-p", "--st", "/s"));
	assert_true(o.priority);
	assert_string_equal(o.state_dir, "/s");
}

static void test_help_and_version(void **state)
{
	assert_int_equal(PARSE("--help"), OPT_HELP_ASKED);
	assert_memory_equal(oc.out, "Usage: memlog-kmsg [OPTION]...\n", 31);
	static const char *const lines[] = {
		"\n  --kmsg PATH        the kernel log device [/dev/kmsg]\n",
		"\n  --state-dir DIR    where the position is kept",
		"\n  --no-follow        stop at the end",
		"\n  --priority         start each line with <PRI>",
		"\n  --help, --version\n",
	};
	for (size_t j = 0; j < ARRAY_SIZE(lines); j++)
		if (!strstr(oc.out, lines[j]))
			fail_msg("--help lacks \"%s\"", lines[j]);
	assert_int_equal(PARSE("-version"), OPT_VERSION_ASKED);
	assert_string_equal(oc.out, "memlog-kmsg memlog " MEMLOG_VERSION "\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
