/* logwrite's command line (options.c) and its reconnect backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "options.h"

static enum lw_opts_result parse(struct lw_opts *o, char *err, const char *a0,
				 ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	FILE *out = fopen("/dev/null", "w");
	enum lw_opts_result r;

	argv[argc++] = (char *)"logwrite";
	va_start(ap, a0);
	for (const char *a = a0; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	lw_opts_defaults(o);
	err[0] = '\0';
	r = lw_parse_args(argc, argv, o, err, 200, out);
	fclose(out);
	return r;
}

static void test_defaults(void **state)
{
	struct lw_opts o;
	char err[200];

	assert_int_equal(parse(&o, err, NULL), LW_OPTS_RUN);
	assert_string_equal(o.socket, "/var/run/memlogdq.sock");
	assert_string_equal(o.log_dir, "/var/log/memlog");
	assert_false(o.log_dir_given);
	assert_int_equal(o.max_log_size, 1048576);
	assert_int_equal(o.max_log_files, 10);
	assert_int_equal(o.format, LW_FORMAT_TEXT);
	assert_int_equal(o.sync, LW_SYNC_BATCH);
	assert_false(o.compress);
	assert_int_equal(o.max_total_size, 0);
	assert_int_equal(o.max_age_s, 0);
	assert_null(o.state_file);
}

/* LinuxKit's flags in Go's spellings. */
static void test_go_flags(void **state)
{
	struct lw_opts o;
	char err[200];

	assert_int_equal(parse(&o, err, "-socket", "/s", "-log-dir=/d",
			       "--max-log-size", "2048", "-max-log-files", "3",
			       NULL), LW_OPTS_RUN);
	assert_string_equal(o.socket, "/s");
	assert_string_equal(o.log_dir, "/d");
	assert_true(o.log_dir_given);
	assert_int_equal(o.max_log_size, 2048);
	assert_int_equal(o.max_log_files, 3);
}

static void test_memlog_options(void **state)
{
	struct lw_opts o;
	char err[200];

	assert_int_equal(parse(&o, err, "--format", "json", "--max-total-size=1M",
			       "--max-age", "7d", "--compress", "--sync=entry",
			       "--state-file", "/x/st", "-max-log-size", "4K",
			       NULL), LW_OPTS_RUN);
	assert_int_equal(o.format, LW_FORMAT_JSON);
	assert_int_equal(o.max_total_size, 1048576);
	assert_int_equal(o.max_age_s, 7 * 86400);
	assert_true(o.compress);
	assert_int_equal(o.sync, LW_SYNC_ENTRY);
	assert_string_equal(o.state_file, "/x/st");
	assert_int_equal(o.max_log_size, 4096);
	assert_int_equal(parse(&o, err, "-compress=false", "-sync", "none",
			       "-format", "raw", NULL), LW_OPTS_RUN);
	assert_false(o.compress);
	assert_int_equal(o.sync, LW_SYNC_NONE);
	assert_int_equal(o.format, LW_FORMAT_RAW);
}

static void test_usage_errors(void **state)
{
	struct lw_opts o;
	char err[200];

	assert_int_equal(parse(&o, err, "-max-log-size", "0", NULL), LW_OPTS_USAGE);
	assert_non_null(strstr(err, "--max-log-size"));
	assert_int_equal(parse(&o, err, "-max-log-files", "1001", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "-max-log-files", "-1", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--format", "xml", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--sync", "always", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--max-age", "7y", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--compress=maybe", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--log-dir", "", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--bogus", NULL), LW_OPTS_USAGE);
	assert_non_null(strstr(err, "unknown option"));
	assert_int_equal(parse(&o, err, "-socket", NULL), LW_OPTS_USAGE);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse(&o, err, "stray", NULL), LW_OPTS_USAGE);
	assert_int_equal(parse(&o, err, "--help", NULL), LW_OPTS_EXIT_OK);
	assert_int_equal(parse(&o, err, "-version", NULL), LW_OPTS_EXIT_OK);
	assert_int_equal(parse(&o, err, "-max-log-files", "0", NULL), LW_OPTS_RUN);
	assert_int_equal(o.max_log_files, 0);
}

/* The table as the driver needs it: each kind on a field it can store. */
static void test_table(void **state)
{
	char e[200];
	(void)state;
	if (opt_table_check(lw_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_parse_age(void **state)
{
	uint64_t v = 99;

	assert_int_equal(parse_age("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_age("45", &v), 0);
	assert_int_equal(v, 45);
	assert_int_equal(parse_age("45s", &v), 0);
	assert_int_equal(v, 45);
	assert_int_equal(parse_age("90m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(parse_age("12h", &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(parse_age("7d", &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(parse_age("2w", &v), 0);
	assert_int_equal(v, 1209600);
	v = 7;
	assert_int_equal(parse_age("", &v), -EINVAL);
	assert_int_equal(parse_age("d", &v), -EINVAL);
	assert_int_equal(parse_age("1.5h", &v), -EINVAL);
	assert_int_equal(parse_age("-1d", &v), -EINVAL);
	assert_int_equal(parse_age("1dd", &v), -EINVAL);
	assert_int_equal(parse_age("99999999999999w", &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void test_backoff(void **state)
{
	struct backoff b;
	static const uint32_t want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000 };

	backoff_init(&b, 100, 5000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(backoff_next(&b), want[i]);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_go_flags),
		cmocka_unit_test(test_memlog_options),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_parse_age),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
