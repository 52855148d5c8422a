/* The option table driver (src/lib/opt.c) on a table with every kind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "util.h"

struct cfg {
	bool flag;
	bool gobool;
	bool other;
	const char *str;
	const char *nonempty;
	const char *path;
	uint32_t count;
	uint64_t big;
	uint64_t size;
	uint32_t size32;
	int a, b;           /* --pair A,B */
};

static int parse_pair(const char *val, void *field)
{
	struct cfg *c = field;
	int a, b, n = 0;

	if (sscanf(val, "%d,%d%n", &a, &b, &n) != 2 || val[n])
		return -EINVAL;
	c->a = a;
	c->b = b;
	return 0;
}

static const struct opt rows[] = {
	{ "flag", NULL, OPT_FLAG, OPT_FIELD(struct cfg, flag), .help = "a flag" },
	{ "gobool", "g", OPT_BOOL, OPT_FIELD(struct cfg, gobool),
	  .help = "a Go boolean" },
	{ "o", NULL, OPT_BOOL, OPT_FIELD(struct cfg, other), .help = "other" },
	{ "str", "s", OPT_STR, OPT_FIELD(struct cfg, str), .arg = "TEXT",
	  .help = "some text\non two lines" },
	{ "nonempty", NULL, OPT_STR, OPT_FIELD(struct cfg, nonempty), .min = 1 },
	{ "path", NULL, OPT_OPTIONAL, OPT_FIELD(struct cfg, path),
	  .dflt = "/default", .arg = "PATH", .help = "a path",
	  .heading = "\nMore:\n" },
	{ "count", "n", OPT_NUM, OPT_FIELD(struct cfg, count), .min = 1,
	  .max = 100, .arg = "N", .help = "a count" },
	{ "big", NULL, OPT_NUM, OPT_FIELD(struct cfg, big), .max = UINT64_MAX },
	{ "size", NULL, OPT_SIZE, OPT_FIELD(struct cfg, size), .min = 1024,
	  .max = 1u << 30, .bad = " must be 1K to 1G" },
	{ "size32", NULL, OPT_SIZE, OPT_FIELD(struct cfg, size32),
	  .max = UINT32_MAX },
	{ "pair", NULL, OPT_FUNC, .parse = parse_pair, .bad = " takes A,B",
	  .arg = "A,B", .help = "two numbers" },
	{ "help", "h", OPT_HELP, .help = "this help" },
	{ "version", .kind = OPT_VERSION },
};

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 20);
static const struct opt_table command_table = OPT_TABLE(rows, .dash = "-",
							.command = true,
							.help_col = 20);

static struct cfg cfg;
static char err[256];
static int operand;

#define ERR_UNSET "<unset>"
#define MAX_ARGS 16

static enum opt_result parse_with(const struct opt_table *t, char **args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = "prog";
	while (args[argc - 1]) {
		assert_true(argc < MAX_ARGS);
		argv[argc] = args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(err, sizeof(err), "%s", ERR_UNSET);
	operand = -1;
	enum opt_result r = opt_parse(t, argc, argv, &cfg, &operand, err,
				      sizeof(err));
	if (r == OPT_USAGE)
		assert_null(strchr(err, '\n'));
	else
		assert_string_equal(err, ERR_UNSET);
	return r;
}

#define PARSE(...) parse_with(&table, (char *[]){ __VA_ARGS__, NULL })
#define PARSE_CMD(...) parse_with(&command_table, (char *[]){ __VA_ARGS__, NULL })

static void assert_usage(enum opt_result r, const char *want)
{
	assert_int_equal(r, OPT_USAGE);
	assert_string_equal(err, want);
}

static void test_tables_are_valid(void **state)
{
	char e[128] = "";

	if (opt_table_check(&table, e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_value_every_spelling(void **state)
{
	static const char *const forms[][3] = {
		{ "-str", "v" }, { "-str=v" }, { "--str", "v" }, { "--str=v" },
		{ "-s", "v" }, { "-sv" }, { "-s=v" }, { "--s=v" }, { "--s", "v" },
		{ "-st", "v" }, { "--st=v" },  /* an unambiguous start */
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		enum opt_result r = forms[i][1]
			? PARSE((char *)forms[i][0], (char *)forms[i][1])
			: PARSE((char *)forms[i][0]);
		if (r != OPT_RUN)
			fail_msg("%s: %s", forms[i][0], err);
		assert_string_equal(cfg.str, "v");
		assert_int_equal(operand, forms[i][1] ? 3 : 2);
	}
	/* A value that looks like an option is still the value, and '='
	 * splits at the first one. */
	assert_int_equal(PARSE("--str", "-flag"), OPT_RUN);
	assert_string_equal(cfg.str, "-flag");
	assert_false(cfg.flag);
	assert_int_equal(PARSE("--str=a=b", "-s", ""), OPT_RUN);
	assert_string_equal(cfg.str, "");
	assert_int_equal(PARSE("--str=a=b"), OPT_RUN);
	assert_string_equal(cfg.str, "a=b");
	/* The last one given wins. */
	assert_int_equal(PARSE("-s", "1", "--str=2"), OPT_RUN);
	assert_string_equal(cfg.str, "2");
}

static void test_missing_value(void **state)
{
	assert_usage(PARSE("--str"), "--str needs a value");
	assert_usage(PARSE("-str"), "--str needs a value");
	assert_usage(PARSE("-s"), "-s needs a value");
	assert_usage(PARSE("--flag", "--count"), "--count needs a value");
	assert_usage(PARSE("-n"), "-n needs a value");
	assert_usage(PARSE("--pair"), "--pair needs a value");
	/* A minimum length of 1: empty is no value. */
	assert_usage(PARSE("--nonempty="), "--nonempty needs a value");
	assert_usage(PARSE("--nonempty", ""), "--nonempty needs a value");
	assert_int_equal(PARSE("--nonempty", "x"), OPT_RUN);
	assert_string_equal(cfg.nonempty, "x");
}

static void test_flag_and_bool(void **state)
{
	assert_int_equal(PARSE("-flag"), OPT_RUN);
	assert_true(cfg.flag);
	assert_int_equal(PARSE("--flag"), OPT_RUN);
	assert_true(cfg.flag);
	assert_usage(PARSE("--flag=1"), "--flag takes no value");
	assert_usage(PARSE("--flag="), "--flag takes no value");

	assert_int_equal(PARSE("-gobool"), OPT_RUN);
	assert_true(cfg.gobool);
	assert_int_equal(PARSE("-g"), OPT_RUN);
	assert_true(cfg.gobool);
	assert_int_equal(PARSE("-gobool=true", "--gobool=false"), OPT_RUN);
	assert_false(cfg.gobool);
	assert_int_equal(PARSE("-g=F", "-gobool=1"), OPT_RUN);
	assert_true(cfg.gobool);
	assert_usage(PARSE("-gobool=yes"), "--gobool takes true or false: yes");
	assert_usage(PARSE("-g=2"), "-g takes true or false: 2");
	assert_usage(PARSE("--gobool="), "--gobool takes true or false: ");
	/* As in Go, a boolean never takes the next word. */
	assert_usage(PARSE("-gobool", "false"), "unexpected argument: false");
	assert_usage(PARSE("-o", "true"), "unexpected argument: true");
}

static void test_numbers(void **state)
{
	assert_int_equal(PARSE("--count=1", "--big", "18446744073709551615"),
			 OPT_RUN);
	assert_int_equal(cfg.count, 1);
	assert_true(cfg.big == UINT64_MAX);
	assert_int_equal(PARSE("-n100"), OPT_RUN);
	assert_int_equal(cfg.count, 100);
	assert_usage(PARSE("--count=0"), "--count: bad number: 0");
	assert_usage(PARSE("--count=101"), "--count: bad number: 101");
	assert_usage(PARSE("-n", "1K"), "-n: bad number: 1K");
	assert_usage(PARSE("--count=-1"), "--count: bad number: -1");
	assert_usage(PARSE("--count="), "--count: bad number: ");
	assert_usage(PARSE("--big=18446744073709551616"),
		     "--big: bad number: 18446744073709551616");
	/* Nothing is stored from a bad value. */
	assert_int_equal(cfg.count, 0);

	assert_int_equal(PARSE("--size=1K"), OPT_RUN);
	assert_true(cfg.size == 1024);
	/* 4G does not fit the u32 field. */
	assert_usage(PARSE("--size32=4G"), "--size32: bad number: 4G");
	assert_int_equal(PARSE("--size32=4194303K", "--size=1G"), OPT_RUN);
	assert_int_equal(cfg.size32, 4294966272u);
	assert_true(cfg.size == 1u << 30);
	assert_usage(PARSE("--size=1023"), "--size must be 1K to 1G: 1023");
	assert_usage(PARSE("--size=1025M"), "--size must be 1K to 1G: 1025M");
	assert_usage(PARSE("--size=x"), "--size must be 1K to 1G: x");
}

static void test_func(void **state)
{
	assert_int_equal(PARSE("--pair", "3,4"), OPT_RUN);
	assert_int_equal(cfg.a, 3);
	assert_int_equal(cfg.b, 4);
	assert_usage(PARSE("--pair=3"), "--pair takes A,B: 3");
	assert_usage(PARSE("-pair", "3,4,5"), "--pair takes A,B: 3,4,5");
}

/* An optional value is given with '=', or as the next word where that is
 * a path and no operand could be meant. */
static void test_optional_value(void **state)
{
	assert_int_equal(PARSE("--path"), OPT_RUN);
	assert_string_equal(cfg.path, "/default");
	assert_int_equal(PARSE("--path="), OPT_RUN);
	assert_string_equal(cfg.path, "/default");
	assert_int_equal(PARSE("-path=rel"), OPT_RUN);
	assert_string_equal(cfg.path, "rel");
	assert_int_equal(PARSE("--path", "/dev/x"), OPT_RUN);
	assert_string_equal(cfg.path, "/dev/x");
	assert_int_equal(operand, 3);
	assert_int_equal(PARSE("-path", "./x", "--flag"), OPT_RUN);
	assert_string_equal(cfg.path, "./x");
	assert_true(cfg.flag);
	assert_int_equal(PARSE("--path", "../x"), OPT_RUN);
	assert_string_equal(cfg.path, "../x");
	/* An option after it is not its value. */
	assert_int_equal(PARSE("--path", "--flag"), OPT_RUN);
	assert_string_equal(cfg.path, "/default");
	assert_true(cfg.flag);
	/* Any other word would be an operand: the error says how to write
	 * the value. */
	assert_usage(PARSE("--path", "x"),
		     "unexpected argument: x (a value of --path is written "
		     "--path=x)");
	assert_usage(PARSE("--path", ".x"),
		     "unexpected argument: .x (a value of --path is written "
		     "--path=.x)");
	/* An operand elsewhere is only an operand. */
	assert_usage(PARSE("x", "--path"), "unexpected argument: x");
	assert_usage(PARSE("--path", "--flag", "x"), "unexpected argument: x");
	/* With a command after the options, a path may be the command. */
	assert_int_equal(PARSE_CMD("-path", "/bin/sh"), OPT_RUN);
	assert_string_equal(cfg.path, "/default");
	assert_int_equal(operand, 2);
}

static void test_letter_groups(void **state)
{
	assert_int_equal(PARSE("-go"), OPT_RUN); /* a start of -gobool */
	assert_true(cfg.gobool);
	assert_false(cfg.other);
	assert_int_equal(PARSE("-og"), OPT_RUN);
	assert_true(cfg.gobool);
	assert_true(cfg.other);
	assert_int_equal(PARSE("-ogs", "x"), OPT_RUN);
	assert_true(cfg.other);
	assert_string_equal(cfg.str, "x");
	assert_int_equal(PARSE("-osx", "-n5"), OPT_RUN);
	assert_string_equal(cfg.str, "x");
	assert_int_equal(cfg.count, 5);
	assert_usage(PARSE("-ox"), "unknown option: -ox");
	assert_usage(PARSE("-os"), "-s needs a value");
	/* Only one dash groups letters. */
	assert_usage(PARSE("--og"), "unknown option: --og");
	/* -n=5 is the option n with the value 5. */
	assert_int_equal(PARSE("-n=5"), OPT_RUN);
	assert_int_equal(cfg.count, 5);
}

static void test_unknown_and_ambiguous(void **state)
{
	assert_usage(PARSE("-bogus"), "unknown option: -bogus");
	assert_usage(PARSE("--bogus=1"), "unknown option: --bogus=1");
	assert_usage(PARSE("-:x"), "unknown option: -:x");
	assert_usage(PARSE("-=x"), "unknown option: -=x");
	assert_usage(PARSE("---flag"), "unknown option: ---flag");
	/* A reason stays one line whatever the words hold. */
	assert_usage(PARSE("-a\nb\tc\x7f"), "unknown option: -a?b?c?");
	assert_usage(PARSE("--str", "x", "line\none"),
		     "unexpected argument: line?one");
	assert_usage(PARSE("--count=\x1b[2J"), "--count: bad number: ?[2J");
	assert_usage(PARSE("--p", "x"),
		     "ambiguous option: --p (could be --path, --pair)");
	assert_usage(PARSE("-si=1"),
		     "ambiguous option: -si=1 (could be --size, --size32)");
	assert_int_equal(PARSE("--pai=1,2"), OPT_RUN);
	assert_int_equal(cfg.b, 2);
	/* An exact name wins over a longer one it starts. */
	assert_int_equal(PARSE("--size=2K"), OPT_RUN);
	assert_true(cfg.size == 2048);
	/* A long message is cut, still one line. */
	char small[24];
	char *argv[] = { "prog", "--p", NULL };
	assert_int_equal(opt_parse(&table, 2, argv, &cfg, &operand, small,
				   sizeof(small)), OPT_USAGE);
	assert_string_equal(small, "ambiguous option: --p (");
}

static void test_operands(void **state)
{
	assert_int_equal(PARSE("--flag"), OPT_RUN);
	assert_int_equal(operand, 2);
	assert_usage(PARSE("x"), "unexpected argument: x");
	assert_usage(PARSE("-"), "unexpected argument: -");
	assert_usage(PARSE("x", "y"), "unexpected argument: x");
	/* Every option is read before an operand is refused. */
	assert_usage(PARSE("x", "-bogus"), "unknown option: -bogus");
	assert_usage(PARSE("x", "--flag"), "unexpected argument: x");
	assert_true(cfg.flag);
	/* "--" ends the options. */
	assert_usage(PARSE("--", "--flag"), "unexpected argument: --flag");
	assert_false(cfg.flag);
	assert_int_equal(PARSE("--flag", "--"), OPT_RUN);
	assert_usage(PARSE("--", "--"), "unexpected argument: --");
}

static void test_command(void **state)
{
	assert_int_equal(PARSE_CMD("-s", "v", "cmd", "-flag"), OPT_RUN);
	assert_int_equal(operand, 3);
	assert_false(cfg.flag);
	assert_int_equal(PARSE_CMD("-flag", "--", "-cmd", "--"), OPT_RUN);
	assert_int_equal(operand, 3);
	assert_true(cfg.flag);
	assert_int_equal(PARSE_CMD("-flag"), OPT_RUN);
	assert_int_equal(operand, 2);
	assert_int_equal(PARSE_CMD("-flag", "--"), OPT_RUN);
	assert_int_equal(operand, 3);
	assert_int_equal(PARSE_CMD("-"), OPT_RUN);
	assert_int_equal(operand, 1);
	/* The table's dash names options in messages. */
	assert_usage(PARSE_CMD("-count=x"), "-count: bad number: x");
}

static void test_help_and_version(void **state)
{
	assert_int_equal(PARSE("--help"), OPT_HELP_ASKED);
	assert_int_equal(PARSE("-h"), OPT_HELP_ASKED);
	assert_int_equal(PARSE("-he"), OPT_HELP_ASKED);
	assert_int_equal(PARSE("-og", "-h"), OPT_HELP_ASKED);
	assert_int_equal(PARSE("--version"), OPT_VERSION_ASKED);
	/* They stop: what follows is not looked at... */
	assert_int_equal(PARSE("--help", "--bogus", "x"), OPT_HELP_ASKED);
	assert_int_equal(PARSE("--version", "--help"), OPT_VERSION_ASKED);
	/* ...but an earlier error wins. */
	assert_usage(PARSE("--bogus", "--help"), "unknown option: --bogus");
	assert_usage(PARSE("--help=1"), "--help takes no value");
}

static void test_help_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	opt_help(&table, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf,
		"      --flag        a flag\n"
		"  -g, --gobool      a Go boolean\n"
		"  -o                other\n"
		"  -s, --str TEXT    some text\n"
		"                    on two lines\n"
		"\nMore:\n"
		"      --path[=PATH]\n"
		"                    a path\n"
		"  -n, --count N     a count\n"
		"      --pair A,B    two numbers\n"
		"  -h, --help        this help\n");
	free(buf);
}

/* The same table with one-dash names and no one-letter options listed. */
static void test_help_text_plain(void **state)
{
	static const struct opt plain[] = {
		{ "socket", NULL, OPT_STR, OPT_FIELD(struct cfg, str),
		  .arg = "PATH", .help = "the socket" },
		{ "n", NULL, OPT_FLAG, OPT_FIELD(struct cfg, flag) },
	};
	static const struct opt_table t = OPT_TABLE(plain, .dash = "-",
						    .help_col = 16);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	opt_help(&t, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "  -socket PATH  the socket\n");
	free(buf);
}

static void test_table_check(void **state)
{
	static const struct opt num_on_bool[] = {
		{ "x", NULL, OPT_NUM, OPT_FIELD(struct cfg, flag), .max = 1 },
	};
	static const struct opt too_big[] = {
		{ "x", NULL, OPT_NUM, OPT_FIELD(struct cfg, count),
		  .max = UINT32_MAX + 1ull },
	};
	static const struct opt min_over_max[] = {
		{ "x", NULL, OPT_SIZE, OPT_FIELD(struct cfg, size), .min = 2,
		  .max = 1 },
	};
	static const struct opt str_on_num[] = {
		{ "x", NULL, OPT_STR, OPT_FIELD(struct cfg, big) },
	};
	static const struct opt no_default[] = {
		{ "x", NULL, OPT_OPTIONAL, OPT_FIELD(struct cfg, path) },
	};
	static const struct opt no_func[] = {
		{ "x", NULL, OPT_FUNC, .bad = " is bad" },
	};
	static const struct opt no_bad[] = {
		{ "x", NULL, OPT_FUNC, .parse = parse_pair },
	};
	static const struct opt twice[] = {
		{ "x", NULL, OPT_FLAG, OPT_FIELD(struct cfg, flag) },
		{ "y", "x", OPT_FLAG, OPT_FIELD(struct cfg, other) },
	};
	static const struct opt twice_in_row[] = {
		{ "x", "x", OPT_FLAG, OPT_FIELD(struct cfg, flag) },
	};
	static const struct opt no_name[] = {
		{ "", NULL, OPT_FLAG, OPT_FIELD(struct cfg, flag) },
	};
	static const struct opt_table bad[] = {
		OPT_TABLE(num_on_bool), OPT_TABLE(too_big),
		OPT_TABLE(min_over_max), OPT_TABLE(str_on_num),
		OPT_TABLE(no_default), OPT_TABLE(no_func), OPT_TABLE(no_bad),
		OPT_TABLE(twice), OPT_TABLE(twice_in_row), OPT_TABLE(no_name),
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char e[128] = "";
		if (opt_table_check(&bad[i], e, sizeof(e)) != -EINVAL)
			fail_msg("bad table %zu passed", i);
		assert_true(e[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_are_valid),
		cmocka_unit_test(test_value_every_spelling),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_flag_and_bool),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_func),
		cmocka_unit_test(test_optional_value),
		cmocka_unit_test(test_letter_groups),
		cmocka_unit_test(test_unknown_and_ambiguous),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_help_text_plain),
		cmocka_unit_test(test_table_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
