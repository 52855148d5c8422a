/* logread's command line (src/logread/options.c): LinuxKit's flags in
 * every spelling, memlog's extensions, and the errors. */
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
#include "regmsg.h"
#include "util.h"

static struct logread_opts o;
static struct optcall oc;

static enum opt_result parse(int argc, char **argv, char *err, size_t len,
			     FILE *out)
{
	return logread_parse_args(argc, argv, &o, err, len, out);
}

static enum opt_result parse_argv(char **args)
{
	return optcall(&oc, "logread", args, &o, sizeof(o), parse);
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

	if (opt_table_check(logread_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_defaults(void **state)
{
	assert_run(PARSE_NONE());
	assert_string_equal(o.socket, "/var/run/memlogdq.sock");
	assert_false(o.follow);
	assert_false(o.dump_follow);
	assert_false(o.has_lines);
	assert_int_equal(o.nglobs, 0);
	assert_false(o.has_prio);
	assert_int_equal(o.fac_mask, 0);
	assert_int_equal(o.format, OUT_LEGACY);
	assert_null(o.after);
	assert_null(o.cursor_file);
	assert_false(o.stats);
	assert_false(o.v2);
}

/* LinuxKit's logread [-socket PATH] [-f | -F], as Go's flag package reads
 * it: no extension, so LinuxKit's protocol. */
static void test_linuxkit_flags(void **state)
{
	static const char *const sockets[][2] = {
		{ "-socket", "/s" }, { "--socket", "/s" }, { "-socket=/s" },
		{ "--socket=/s" }, { "-sock", "/s" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sockets); i++) {
		assert_run(sockets[i][1]
			   ? PARSE((char *)sockets[i][0], (char *)sockets[i][1])
			   : PARSE((char *)sockets[i][0]));
		assert_string_equal(o.socket, "/s");
		assert_false(o.v2);
	}
	assert_run(PARSE("-f"));
	assert_true(o.follow);
	assert_false(o.dump_follow);
	assert_run(PARSE("--F"));
	assert_true(o.dump_follow);
	assert_run(PARSE("-fF"));
	assert_true(o.follow);
	assert_true(o.dump_follow);
	assert_run(PARSE("-f=true", "-F=false"));
	assert_true(o.follow);
	assert_false(o.dump_follow);
	assert_run(PARSE("-f", "-f=0"));
	assert_false(o.follow);
	assert_usage(PARSE("-f=maybe"), "-f takes true or false: maybe");
	/* A boolean never takes the next word. */
	assert_usage(PARSE("-f", "true"), "unexpected argument: true");
	assert_run(PARSE("-socket", "/s", "-F", "-o", "legacy"));
	assert_false(o.v2);
}

static void test_lines(void **state)
{
	static const char *const forms[][2] = {
		{ "-n", "5" }, { "-n5" }, { "-n=5" }, { "-lines", "5" },
		{ "--lines=5" }, { "-lin", "5" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		assert_run(forms[i][1] ? PARSE((char *)forms[i][0],
					       (char *)forms[i][1])
				       : PARSE((char *)forms[i][0]));
		assert_true(o.has_lines);
		assert_true(o.lines == 5);
		assert_true(o.v2);
	}
	assert_run(PARSE("-n", "0"));
	assert_true(o.has_lines);
	assert_true(o.lines == 0);
	assert_run(PARSE("-fn", "18446744073709551615"));
	assert_true(o.follow);
	assert_true(o.lines == UINT64_MAX);
	assert_usage(PARSE("-n", "x"), "-n needs a number of entries: x");
	assert_usage(PARSE("-lines="), "-lines needs a number of entries: ");
	assert_usage(PARSE("-n", "-1"), "-n needs a number of entries: -1");
	assert_usage(PARSE("-n"), "-n needs a value");
}

static void test_source(void **state)
{
	char *args[OPTCALL_ARGS];
	char names[17][8];
	int n = 0;

	assert_run(PARSE("-source", "a*", "--source=b", "-source", "c"));
	assert_int_equal(o.nglobs, 3);
	assert_string_equal(o.globs[0], "a*");
	assert_string_equal(o.globs[1], "b");
	assert_string_equal(o.globs[2], "c");
	assert_true(o.v2);

	for (int i = 0; i < 17; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d", i);
		args[n++] = "-source";
		args[n++] = names[i];
	}
	args[n] = NULL;
	assert_usage(parse_argv(args), "-source: at most 16 patterns of at "
		     "most 1024 bytes each: s16");
	args[n - 2] = NULL;
	assert_run(parse_argv(args));
	assert_int_equal(o.nglobs, 16);
	assert_string_equal(o.globs[15], "s15");

	char longest[1026];
	memset(longest, 'x', 1025);
	longest[1025] = '\0';
	assert_int_equal(PARSE("-source", longest), OPT_USAGE);
	assert_non_null(strstr(oc.err, "at most 1024 bytes"));
	longest[1024] = '\0';
	assert_run(PARSE("-source", longest));
	assert_int_equal(strlen(o.globs[0]), 1024);
}

/* journalctl's selection options. */
static void test_selection(void **state)
{
	assert_run(PARSE("-u", "web", "--unit=db*"));
	assert_int_equal(o.nglobs, 4);
	assert_string_equal(o.globs[0], "web");
	assert_string_equal(o.globs[1], "web.out");
	assert_string_equal(o.globs[2], "db*");
	assert_string_equal(o.globs[3], "db*.out");
	assert_true(o.v2);
	/* -u takes two of the 16 patterns: 8 at most, fewer with -source. */
	assert_run(PARSE("-u", "1", "-u", "2", "-u", "3", "-u", "4", "-u", "5",
			 "-u", "6", "-u", "7", "-u", "8"));
	assert_int_equal(o.nglobs, 16);
	assert_int_equal(PARSE("-source", "x", "-u", "1", "-u", "2", "-u", "3",
			       "-u", "4", "-u", "5", "-u", "6", "-u", "7",
			       "-u", "8"), OPT_USAGE);
	assert_non_null(strstr(oc.err, "at most 8 names"));
	assert_int_equal(PARSE("-u", ""), OPT_USAGE);

	assert_run(PARSE("--since", "2026-12-03 10:00", "-U", "-1h"));
	assert_true(o.has_since && o.has_until);
	assert_int_equal(o.since.kind, TIMEARG_CIVIL);
	assert_int_equal(o.until.kind, TIMEARG_REL);
	assert_true(o.v2);
	assert_run(PARSE("-S", "@5"));
	assert_true(o.has_since && !o.has_until);
	assert_int_equal(PARSE("--since", "last week"), OPT_USAGE);
	assert_non_null(strstr(oc.err, "-since takes a time"));

	assert_run(PARSE("--stream", "stdout,kernel", "--stream=daemon"));
	assert_int_equal(o.stream_mask, (1u << STREAM_STDOUT) |
			 (1u << STREAM_KERNEL) | (1u << STREAM_NONE));
	assert_true(o.v2);
	assert_int_equal(PARSE("--stream", "stdin"), OPT_USAGE);
	assert_run(PARSE("-k"));
	assert_int_equal(o.stream_mask, 1u << STREAM_KERNEL);
	assert_true(o.v2);
	assert_run(PARSE("-k", "--stream", "syslog"));
	assert_int_equal(o.stream_mask, (1u << STREAM_KERNEL) |
			 (1u << STREAM_SYSLOG));

	/* -g: case ignored when the pattern has no upper case. */
	assert_run(PARSE("-g", "fail(ed)?"));
	assert_string_equal(o.grep, "fail(ed)?");
	assert_true(o.grep_icase);
	assert_true(o.v2);
	assert_run(PARSE("-g", "Failed"));
	assert_false(o.grep_icase);
	assert_run(PARSE("-g", "failed", "--case-sensitive"));
	assert_false(o.grep_icase);
	assert_usage(PARSE("--case-sensitive"), "-case-sensitive needs -g");
	assert_int_equal(PARSE("-g", ""), OPT_USAGE);
	char big[300];
	memset(big, 'a', 257);
	big[257] = '\0';
	assert_int_equal(PARSE("-g", big), OPT_USAGE);
	big[256] = '\0';
	assert_run(PARSE("-g", big));

	/* --utc alone changes no protocol: LinuxKit's is still spoken. */
	assert_run(PARSE("--utc"));
	assert_true(o.utc);
	assert_false(o.v2);
}

static void test_priority_and_facility(void **state)
{
	assert_run(PARSE("-p", "err"));
	assert_true(o.has_prio);
	assert_int_equal(o.prio_min, 0);
	assert_int_equal(o.prio_max, 3);
	assert_true(o.v2);
	assert_run(PARSE("-priority=info..debug"));
	assert_int_equal(o.prio_min, 6);
	assert_int_equal(o.prio_max, 7);
	assert_run(PARSE("-p3..3"));
	assert_int_equal(o.prio_min, 3);
	assert_int_equal(o.prio_max, 3);
	assert_usage(PARSE("-p", "loud"),
		     "-p takes a priority (emerg, alert, crit, err, warning, "
		     "notice, info, debug or 0-7) or a range A..B: loud");

	assert_run(PARSE("-facility", "kern,user,23"));
	assert_int_equal(o.fac_mask, 1u | 2u | 1u << 23);
	assert_true(o.v2);
	assert_run(PARSE("--fa=local0"));
	assert_int_equal(o.fac_mask, 1u << 16);
	assert_usage(PARSE("-facility", "24"),
		     "-facility takes names (kern, user, daemon, auth, "
		     "local0...) or numbers 0-23, separated by commas: 24");
}

static void test_output(void **state)
{
	static const struct {
		const char *name;
		enum out_format f;
	} formats[] = {
		{ "legacy", OUT_LEGACY }, { "short", OUT_SHORT },
		{ "json", OUT_JSON }, { "raw", OUT_RAW },
		{ "export", OUT_EXPORT }, { "short-iso", OUT_SHORT_ISO },
		{ "short-precise", OUT_SHORT_PRECISE }, { "cat", OUT_CAT },
		{ "json-pretty", OUT_JSON_PRETTY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		assert_run(PARSE("-o", (char *)formats[i].name));
		assert_int_equal(o.format, formats[i].f);
		/* -o legacy alone keeps LinuxKit's protocol. */
		assert_int_equal(o.v2, formats[i].f != OUT_LEGACY);
		char eq[32];
		snprintf(eq, sizeof(eq), "-output=%s", formats[i].name);
		assert_run(PARSE(eq));
		assert_int_equal(o.format, formats[i].f);
	}
	assert_run(PARSE("-o", "json", "-o", "legacy"));
	assert_int_equal(o.format, OUT_LEGACY);
	assert_usage(PARSE("-o", "xml"), "-o takes legacy, short, short-iso, "
		     "short-precise, json, json-pretty, raw, cat, export or "
		     "prometheus: xml");
	assert_usage(PARSE("-output="), "-output takes legacy, short, short-iso, "
		     "short-precise, json, json-pretty, raw, cat, export or "
		     "prometheus: ");
	/* prometheus: for -stats only. */
	assert_run(PARSE("-stats", "-o", "prometheus"));
	assert_int_equal(o.format, OUT_PROMETHEUS);
	assert_usage(PARSE("-o", "prometheus"), "-o prometheus is for -stats");
	/* -r: newest first; a dump only. */
	assert_run(PARSE("-r"));
	assert_true(o.reverse);
	assert_false(o.v2); /* LinuxKit's protocol, reversed here */
	assert_usage(PARSE("-r", "-f"), "-r cannot be combined with -f, -F, "
		     "-cursor-file or -stats");
	assert_usage(PARSE("-F", "--reverse"), "-r cannot be combined with -f, "
		     "-F, -cursor-file or -stats");
	assert_usage(PARSE("-r", "-cursor-file", "/c"), "-r cannot be combined "
		     "with -f, -F, -cursor-file or -stats");
}

static void test_cursors(void **state)
{
	assert_run(PARSE("-after-cursor", "abc.1"));
	assert_string_equal(o.after, "abc.1");
	assert_true(o.v2);
	assert_usage(PARSE("-after-cursor", "a b"), "-after-cursor: not a cursor: a b");
	assert_usage(PARSE("-after-cursor="), "-after-cursor: not a cursor: ");
	assert_run(PARSE("-cursor-file", "/tmp/c"));
	assert_string_equal(o.cursor_file, "/tmp/c");
	assert_true(o.v2);
	assert_usage(PARSE("-cursor-file", ""), "-cursor-file needs a value");
	assert_usage(PARSE("-cursor-file"), "-cursor-file needs a value");
	assert_run(PARSE("-F", "-cursor-file", "/tmp/c", "-n", "3"));
	assert_usage(PARSE("-after-cursor", "x", "-n", "1"),
		     "-after-cursor and -n exclude each other");
}

static void test_stats(void **state)
{
	static const char msg[] = "-stats cannot be combined with -f, -F, -n, "
		"-source, -u, -p, -facility, -since, -until, -stream, -k, "
		"-g, -after-cursor or -cursor-file";

	assert_run(PARSE("-stats"));
	assert_true(o.stats);
	assert_true(o.v2);
	assert_run(PARSE("--stats", "-socket", "/s", "-o", "json"));
	assert_usage(PARSE("-stats", "-f"), msg);
	assert_usage(PARSE("-F", "-stats"), msg);
	assert_usage(PARSE("-stats", "-n", "1"), msg);
	assert_usage(PARSE("-stats", "-source", "x"), msg);
	assert_usage(PARSE("-stats", "-p", "err"), msg);
	assert_usage(PARSE("-stats", "-facility", "kern"), msg);
	assert_usage(PARSE("-stats", "-after-cursor", "x"), msg);
	assert_usage(PARSE("-stats", "-cursor-file", "/c"), msg);
	assert_usage(PARSE("-stats", "-u", "x"), msg);
	assert_usage(PARSE("-stats", "--since", "today"), msg);
	assert_usage(PARSE("-stats", "-k"), msg);
	assert_usage(PARSE("-stats", "-g", "x"), msg);
	assert_usage(PARSE("-stats=1"), "-stats takes no value");
	/* --sources: a table, JSON or names; nothing to select. */
	assert_run(PARSE("--sources"));
	assert_true(o.sources);
	assert_run(PARSE("--sources", "-o", "cat", "-socket", "/s"));
	assert_run(PARSE("--sources", "-o", "json", "--utc"));
	assert_usage(PARSE("--sources", "-o", "short"),
		     "-sources is a table, -o json or -o cat");
	assert_usage(PARSE("--sources", "-f"),
		     "-sources takes only -socket, -o and -utc");
	assert_usage(PARSE("--sources", "-u", "x"),
		     "-sources takes only -socket, -o and -utc");
	assert_usage(PARSE("--sources", "-stats"),
		     "-sources takes only -socket, -o and -utc");
}

static void test_errors(void **state)
{
	assert_usage(PARSE("-x"), "unknown option: -x");
	assert_usage(PARSE("--bogus=1"), "unknown option: --bogus=1");
	assert_usage(PARSE("-fx"), "unknown option: -fx");
	assert_usage(PARSE("stray"), "unexpected argument: stray");
	assert_usage(PARSE("stray", "-f"), "unexpected argument: stray");
	assert_usage(PARSE("--", "-f"), "unexpected argument: -f");
	assert_usage(PARSE("-s", "x"),
		     "ambiguous option: -s (could be -socket, -source, -since, "
		     "-stream, -sources, -stats)");
	/* A start of -source is one of -sources too, now. */
	assert_usage(PARSE("-sou", "x"),
		     "ambiguous option: -sou (could be -source, -sources)");
	assert_usage(PARSE("-socket"), "-socket needs a value");
}

static void test_help_and_version(void **state)
{
	static const char *const forms[] = { "-h", "-help", "--help", "--he" };

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		assert_int_equal(PARSE((char *)forms[i]), OPT_HELP_ASKED);
		assert_string_equal(oc.err, OPTCALL_ERR_UNSET);
		assert_memory_equal(oc.out, "Usage: logread [-socket PATH]", 29);
		static const char *const lines[] = {
			"\n      -socket PATH       query socket (default "
			"/var/run/memlogdq.sock)\n",
			"\n  -f                     follow:",
			"\n  -F                     print the log",
			"\n  -h, -help              show this help",
			"\n      -version           show the version",
			"\n\nmemlog extensions (they need memlog's memlogd; "
			"LinuxKit's never answers):\n  -n, -lines N           start",
			"\n      -source GLOB       only sources",
			"\n  -p, -priority PRIO     only entries",
			"\n      -facility LIST     only entries",
			"\n  -o, -output FORMAT     legacy  TIME;SOURCE;MSG",
			"\n                         raw     MSG only",
			"\n                         export  systemd's Journal",
			"\n      -after-cursor C    start after",
			"\n      -cursor-file F     start after",
			"\n      -stats             print the daemon's counters",
			"\nExit status:\n",
		};
		for (size_t j = 0; j < ARRAY_SIZE(lines); j++)
			if (!strstr(oc.out, lines[j]))
				fail_msg("--help lacks \"%s\"", lines[j]);
	}
	assert_int_equal(PARSE("-version"), OPT_VERSION_ASKED);
	assert_string_equal(oc.out, "logread memlog " MEMLOG_VERSION "\n");
	assert_string_equal(oc.err, OPTCALL_ERR_UNSET);
	assert_usage(PARSE("-x", "-h"), "unknown option: -x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_linuxkit_flags),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_priority_and_facility),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_cursors),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
