/* The command lines of memlog-journal and memlog-init (their options.c)
 * and memlog-journal's --unit/--priority filter (filter.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "options.h"
#include "../memlog-init/options.h"
#include "optcall.h"

static struct optcall oc;
static struct journal_opts *jo;
static struct init_opts *io;

static enum opt_result parse_journal(int argc, char **argv, char *err,
				     size_t len, FILE *out)
{
	return journal_parse_args(argc, argv, jo, err, len, out);
}

static enum opt_result parse_init(int argc, char **argv, char *err,
				  size_t len, FILE *out)
{
	return init_parse_args(argc, argv, io, err, len, out);
}

static enum opt_result journal(struct journal_opts *o, char **args)
{
	jo = o;
	return optcall(&oc, "memlog-journal", args, o, sizeof(*o),
		       parse_journal);
}

static enum opt_result init(struct init_opts *o, char **args)
{
	io = o;
	return optcall(&oc, "memlog-init", args, o, sizeof(*o), parse_init);
}

#define J(o, ...) journal(o, (char *[]){ __VA_ARGS__, NULL })
#define I(o, ...) init(o, (char *[]){ __VA_ARGS__, NULL })

static void test_journal_defaults(void **state)
{
	struct journal_opts o;
	(void)state;

	assert_int_equal(journal(&o, (char *[]){ NULL }), OPT_RUN);
	assert_int_equal(o.format, JFORMAT_SHORT);
	assert_int_equal(o.from, JFROM_START);
	assert_string_equal(o.holder_socket, "/run/memlog/init.holder");
	assert_string_equal(o.state_file, JOURNAL_STATE_FILE);
	assert_null(o.directory);
	assert_null(o.fd_holder);
	assert_false(o.no_respawn);
	assert_true(o.field_max == 65536);
	assert_int_equal(o.filter.nunits, 0);
	assert_false(o.filter.has_prio);
}

static void test_journal_options(void **state)
{
	struct journal_opts o;
	(void)state;

	assert_int_equal(J(&o, "-o", "json", "--unit", "nginx", "-u", "db.socket",
			   "-u", "web-*", "-p", "warning", "--from=tail", "-D",
			   "/j", "--field-max", "1M", "--state-file", "",
			   "--no-respawn", "--holder-socket", "/x.sock"), OPT_RUN);
	assert_int_equal(o.format, JFORMAT_JSON);
	assert_int_equal(o.from, JFROM_TAIL);
	assert_int_equal(o.filter.nunits, 3);
	assert_string_equal(o.filter.units[0], "nginx.service");
	assert_string_equal(o.filter.units[1], "db.socket");
	assert_string_equal(o.filter.units[2], "web-*");
	assert_true(o.filter.globs[2]);
	assert_true(o.filter.has_prio);
	assert_int_equal(o.filter.prio_min, 0);
	assert_int_equal(o.filter.prio_max, 4);
	assert_string_equal(o.directory, "/j");
	assert_true(o.field_max == 1u << 20);
	assert_string_equal(o.state_file, "");
	assert_true(o.no_respawn);
	assert_string_equal(o.holder_socket, "/x.sock");
	assert_int_equal(J(&o, "-p", "err..debug"), OPT_RUN);
	assert_int_equal(o.filter.prio_min, 3);
	assert_int_equal(o.filter.prio_max, 7);
}

static void test_journal_errors(void **state)
{
	struct journal_opts o;
	(void)state;

	assert_int_equal(J(&o, "-o", "verbose"), OPT_USAGE);
	assert_non_null(strstr(oc.err, "short, short-iso, cat or json"));
	assert_int_equal(J(&o, "--from", "middle"), OPT_USAGE);
	assert_int_equal(J(&o, "-p", "loud"), OPT_USAGE);
	assert_int_equal(J(&o, "--field-max", "100"), OPT_USAGE);
	assert_int_equal(J(&o, "--field-max", "17M"), OPT_USAGE);
	assert_int_equal(J(&o, "-u", ""), OPT_USAGE);
	assert_int_equal(J(&o, "-u", "a/b"), OPT_USAGE);
	assert_int_equal(J(&o, "--holder-socket", ""), OPT_USAGE);
	assert_int_equal(J(&o, "extra"), OPT_USAGE);
	assert_int_equal(J(&o, "--bogus"), OPT_USAGE);
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(J(&o, "--holder-socket", longp), OPT_USAGE);
	assert_non_null(strstr(oc.err, "longer than a unix socket"));
	char *many[70];
	int n = 0;
	for (int i = 0; i < 33; i++) {
		many[n++] = "-u";
		many[n++] = "a";
	}
	many[n] = NULL;
	/* 32 units pass, 33 do not. */
	assert_int_equal(journal(&o, many + 2), OPT_RUN);
	assert_int_equal(journal(&o, many), OPT_USAGE);
	assert_non_null(strstr(oc.err, "at most 32"));
}

static void test_journal_help(void **state)
{
	struct journal_opts o;
	(void)state;

	assert_int_equal(J(&o, "--help"), OPT_HELP_ASKED);
	assert_non_null(strstr(oc.out, "--holder-socket PATH"));
	assert_int_equal(J(&o, "--version"), OPT_VERSION_ASKED);
	assert_non_null(strstr(oc.out, "memlog-journal memlog "));
	char e[256];
	assert_int_equal(opt_table_check(journal_options(), e, sizeof(e)), 0);
}

static void test_init(void **state)
{
	struct init_opts o;
	(void)state;

	assert_int_equal(init(&o, (char *[]){ NULL }), OPT_RUN);
	assert_string_equal(o.cmd[0], "/lib/systemd/systemd");
	assert_null(o.cmd[1]);
	assert_string_equal(o.holder_socket, "/run/memlog/init.holder");
	/* systemd's own options are its own. */
	assert_int_equal(I(&o, "--holder-socket", "/h", "/usr/lib/systemd/systemd",
			   "--unit=x.target", "--help"), OPT_RUN);
	assert_string_equal(o.holder_socket, "/h");
	assert_string_equal(o.cmd[0], "/usr/lib/systemd/systemd");
	assert_string_equal(o.cmd[1], "--unit=x.target");
	assert_string_equal(o.cmd[2], "--help");
	assert_int_equal(I(&o, "--no-mount-run", "--", "--odd"), OPT_RUN);
	assert_true(o.no_mount_run);
	assert_string_equal(o.cmd[0], "--odd");
	assert_int_equal(I(&o, "--unit=x"), OPT_USAGE);
	assert_int_equal(I(&o, "--", ""), OPT_USAGE);
	assert_int_equal(I(&o, "--fd-holder", ""), OPT_USAGE);
	assert_int_equal(I(&o, "--help"), OPT_HELP_ASKED);
	assert_non_null(strstr(oc.out, "SIGRTMIN+3"));
	assert_int_equal(I(&o, "--version"), OPT_VERSION_ASKED);
	char e[256];
	assert_int_equal(opt_table_check(init_options(), e, sizeof(e)), 0);
}

#define F(k, v) { k, sizeof(k) - 1, v, sizeof(v) - 1, false }

static bool match(const struct jfilter *f, const struct jfield *fl, size_t n)
{
	struct jentry e = { .fields = fl, .nfields = n };
	return jfilter_match(f, &e);
}

static void test_filter_units(void **state)
{
	struct jfilter f = { 0 };
	(void)state;

	assert_int_equal(jfilter_add_unit(&f, "nginx"), 0);
	assert_int_equal(jfilter_add_unit(&f, "web-*.service"), 0);
	const struct jfield own[] = { F("_SYSTEMD_UNIT", "nginx.service") };
	assert_true(match(&f, own, 1));
	const struct jfield glob[] = { F("_SYSTEMD_UNIT", "web-7.service") };
	assert_true(match(&f, glob, 1));
	const struct jfield other[] = { F("_SYSTEMD_UNIT", "cron.service") };
	assert_false(match(&f, other, 1));
	/* PID 1 about the unit; the same from another pid is not. */
	const struct jfield pid1[] = { F("_PID", "1"), F("UNIT", "nginx.service") };
	assert_true(match(&f, pid1, 2));
	const struct jfield pid2[] = { F("_PID", "2"), F("UNIT", "nginx.service") };
	assert_false(match(&f, pid2, 2));
	/* root's OBJECT_SYSTEMD_UNIT, core dumps. */
	const struct jfield obj[] = { F("_UID", "0"),
				      F("OBJECT_SYSTEMD_UNIT", "nginx.service") };
	assert_true(match(&f, obj, 2));
	const struct jfield obj1[] = { F("_UID", "1000"),
				       F("OBJECT_SYSTEMD_UNIT", "nginx.service") };
	assert_false(match(&f, obj1, 2));
	const struct jfield core[] = {
		F("MESSAGE_ID", "fc2e22bc6ee647b6b90729ab34a250b1"), F("_UID", "0"),
		F("COREDUMP_UNIT", "nginx.service") };
	assert_true(match(&f, core, 3));
	/* A value with a NUL never matches. */
	const struct jfield nul[] = { { "_SYSTEMD_UNIT", 13, "nginx.service\0", 14, false } };
	assert_false(match(&f, nul, 1));
	/* Limits. */
	struct jfilter g = { 0 };
	char name[300];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(jfilter_add_unit(&g, name), -ENAMETOOLONG);
	name[255 - 8] = '\0';
	assert_int_equal(jfilter_add_unit(&g, name), 0);
	assert_int_equal(strlen(g.units[0]), 255);
	assert_int_equal(jfilter_add_unit(&g, "a\tb"), -EINVAL);
}

static void test_filter_priority(void **state)
{
	struct jfilter f = { .has_prio = true, .prio_min = 0, .prio_max = 3 };
	(void)state;

	const struct jfield p3[] = { F("PRIORITY", "3") };
	const struct jfield p4[] = { F("PRIORITY", "4") };
	const struct jfield p03[] = { F("PRIORITY", "03") };
	const struct jfield none[] = { F("MESSAGE", "x") };
	assert_true(match(&f, p3, 1));
	assert_false(match(&f, p4, 1));
	assert_false(match(&f, p03, 1));
	assert_false(match(&f, none, 1));
	/* With a unit too: both must match. */
	assert_int_equal(jfilter_add_unit(&f, "a"), 0);
	const struct jfield both[] = { F("PRIORITY", "2"), F("_SYSTEMD_UNIT", "a.service") };
	const struct jfield unit_only[] = { F("PRIORITY", "6"),
					    F("_SYSTEMD_UNIT", "a.service") };
	assert_true(match(&f, both, 2));
	assert_false(match(&f, unit_only, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_defaults),
		cmocka_unit_test(test_journal_options),
		cmocka_unit_test(test_journal_errors),
		cmocka_unit_test(test_journal_help),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_filter_units),
		cmocka_unit_test(test_filter_priority),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	free(oc.out);
	return r;
}
