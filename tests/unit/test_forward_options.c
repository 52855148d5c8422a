/* memlog-forward's options: the table as the driver needs it, LinuxKit's
 * one-dash form, the defaults, each bound, the checks across options
 * (target and state file required, TLS options only for tls:// and
 * relps://, --udp-max only for udp://, relps:// to an address needs a
 * name), and the source patterns that go into memlogd's request. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "opt.h"
#include "options.h"

static int parse(struct fwd_opts *o, char *err, ...)
{
	char *argv[32] = { "memlog-forward" };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return options_parse(o, argc, argv, err);
}

static void test_table(void **state)
{
	char e[200];
	(void)state;
	if (opt_table_check(options_table(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_defaults_and_forms(void **state)
{
	struct fwd_opts o;
	char err[OPT_ERR_MAX];
	(void)state;

	assert_int_equal(parse(&o, err, "-socket", "/s", "-target=tcp://h:514",
			       "--state-file", "/st", NULL), 0);
	assert_string_equal(o.socket, "/s");
	assert_int_equal(o.target.scheme, URL_TCP);
	assert_string_equal(o.state_file, "/st");
	assert_int_equal(o.stdout_pri, 14);
	assert_int_equal(o.stderr_pri, 11);
	assert_int_equal(o.daemon_pri, 44);
	assert_int_equal(o.relp_window, 128);
	assert_int_equal(o.relp_timeout_s, 30);
	assert_int_equal(o.backoff_max_ms, 5000);
	assert_false(o.stats);
	assert_int_equal(parse(&o, err, "--target", "udp://h:514", "--state-file",
			       "/st", "--udp-max", "1200", "--relp-window", "2",
			       "--stdout-priority", "local0.notice", "--priority",
			       "err..info", "--source", "web*", "--source", "a b",
			       "--stats", NULL), 0);
	assert_int_equal(o.udp_max, 1200);
	assert_int_equal(o.relp_window, 2);
	assert_int_equal(o.stdout_pri, 16 * 8 + 5);
	assert_int_equal(o.sev_min, 3);
	assert_int_equal(o.sev_max, 6);
	assert_string_equal(o.params, " source=web* source=a%20b");
	assert_true(o.stats);
	assert_int_equal(parse(&o, err, "--help", NULL), 0);
	assert_true(o.help);
	assert_int_equal(parse(&o, err, "-version", NULL), 0);
	assert_true(o.version);
}

static void test_refusals(void **state)
{
	static const char *const bad[][8] = {
		{ "--target", "tcp://h:1", NULL },
		{ "--state-file", "/st", NULL },
		{ "--target", "ftp://h:1", "--state-file", "/st", NULL },
		{ "--target", "tcp://h:1", "--state-file", "/st", "--udp-max",
		  "1200", NULL },
		{ "--target", "udp://h:1", "--state-file", "/st", "--udp-max",
		  "479", NULL },
		{ "--target", "tcp://h:1", "--state-file", "/st", "--tls-ca",
		  "/ca", NULL },
		{ "--target", "tls://h:1", "--state-file", "/st", "--tls-cert",
		  "/c", NULL },
		{ "--target", "relps://127.0.0.1:1", "--state-file", "/st", NULL },
		{ "--relp-window", "1", NULL },
		{ "--relp-timeout", "3601", NULL },
		{ "--backoff-max", "99", NULL },
		{ "--priority", "8", NULL },
		{ "--stderr-priority", "user.nope", NULL },
		{ "--source", "", NULL },
		{ "--bogus", NULL },
		{ "stray", NULL },
		{ "-socket", NULL },
	};
	struct fwd_opts o;
	char err[OPT_ERR_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[10] = { "memlog-forward" };
		int argc = 1;
		for (int k = 0; bad[i][k]; k++)
			argv[argc++] = (char *)bad[i][k];
		err[0] = '\0';
		if (options_parse(&o, argc, argv, err) != -EINVAL || !err[0])
			fail_msg("case %zu (%s ...) was not refused with a reason",
				 i, bad[i][0]);
	}
	/* 16 patterns at most. */
	char *argv[40] = { "memlog-forward", "--target", "tcp://h:1",
			   "--state-file", "/st" };
	int argc = 5;
	for (int k = 0; k < 17; k++) {
		argv[argc++] = "--source";
		argv[argc++] = "x";
	}
	assert_int_equal(options_parse(&o, argc, argv, err), -EINVAL);
	assert_int_equal(options_parse(&o, argc - 2, argv, err), 0);
	assert_int_equal(o.nsources, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_defaults_and_forms),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
