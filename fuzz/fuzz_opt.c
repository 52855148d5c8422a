/* libFuzzer target: opt_parse() on an argv made of the input's
 * NUL-separated words (the first byte sets the error buffer's size), with
 * a table holding every kind of option, once with operands refused and
 * once with a command after the options. Whatever the words, the result
 * must be coherent: a one-line, terminated reason on error; on success
 * every value stored within its bounds and taken from argv or the
 * default, and the command index within argv. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_WORDS 64

struct cfg {
	bool flag, gobool, other;
	const char *str, *nonempty, *path;
	uint32_t count;
	uint64_t big, size;
	uint32_t size32;
	int a;
};

static int parse_a(const char *val, void *field)
{
	if (strcmp(val, "x") == 0)
		return -EINVAL;
	*(int *)field = (int)strlen(val);
	return 0;
}

static const struct opt rows[] = {
	{ "flag", NULL, OPT_FLAG, OPT_FIELD(struct cfg, flag), .help = "f" },
	{ "gobool", "g", OPT_BOOL, OPT_FIELD(struct cfg, gobool), .help = "g" },
	{ "o", NULL, OPT_BOOL, OPT_FIELD(struct cfg, other), .help = "o" },
	{ "str", "s", OPT_STR, OPT_FIELD(struct cfg, str), .arg = "S",
	  .help = "s\nt" },
	{ "nonempty", NULL, OPT_STR, OPT_FIELD(struct cfg, nonempty), .min = 1 },
	{ "path", NULL, OPT_OPTIONAL, OPT_FIELD(struct cfg, path),
	  .dflt = "/default", .arg = "PATH", .help = "p", .heading = "\n" },
	{ "count", "n", OPT_NUM, OPT_FIELD(struct cfg, count), .min = 1,
	  .max = 100 },
	{ "big", NULL, OPT_NUM, OPT_FIELD(struct cfg, big), .max = UINT64_MAX },
	{ "size", NULL, OPT_SIZE, OPT_FIELD(struct cfg, size), .min = 1024,
	  .max = 1u << 30 },
	{ "size32", NULL, OPT_SIZE, OPT_FIELD(struct cfg, size32),
	  .max = UINT32_MAX },
	{ "a", "aa", OPT_FUNC, OPT_FIELD(struct cfg, a), .parse = parse_a,
	  .bad = " is x" },
	{ "help", "h", OPT_HELP, .help = "h" },
	{ "version", .kind = OPT_VERSION },
};

static const struct opt_table tables[2] = {
	OPT_TABLE(rows, .dash = "--", .help_col = 12),
	OPT_TABLE(rows, .dash = "-", .command = true, .help_col = 30),
};

/* s is NULL, the default, or one of the words (or a word's tail). */
static bool from_argv(const char *s, char *const *argv, int argc,
		      const char *dflt)
{
	if (!s || s == dflt)
		return true;
	for (int i = 1; i < argc; i++)
		if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	char *argv[MAX_WORDS + 2];
	char err[300];
	int argc = 0;

	if (size < 1 || size > sizeof(buf) - 1)
		return 0;
	size_t errlen = 1 + data[0] % sizeof(err);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argv[argc++] = "prog";
	for (char *p = buf; p < buf + size - 1 && argc <= MAX_WORDS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	for (int t = 0; t < 2; t++) {
		struct cfg c = { 0 };
		int operand = -1;

		memset(err, 'E', sizeof(err));
		enum opt_result r = opt_parse(&tables[t], argc, argv, &c,
					      &operand, err, errlen);
		CHECK(r == OPT_RUN || r == OPT_HELP_ASKED ||
		      r == OPT_VERSION_ASKED || r == OPT_USAGE);
		CHECK(operand >= 1 && operand <= argc);
		if (r == OPT_USAGE) {
			size_t n = strnlen(err, errlen);
			CHECK(n < errlen);
			CHECK(!memchr(err, '\n', n));
			CHECK(n > 0 || errlen == 1);
			continue;
		}
		CHECK(err[0] == 'E');
		if (r != OPT_RUN)
			continue;
		CHECK(tables[t].command || operand == argc);
		CHECK(c.count == 0 || (c.count >= 1 && c.count <= 100));
		CHECK(c.size == 0 || (c.size >= 1024 && c.size <= 1u << 30));
		CHECK(!c.nonempty || c.nonempty[0]);
		CHECK(from_argv(c.str, argv, argc, NULL));
		CHECK(from_argv(c.nonempty, argv, argc, NULL));
		CHECK(from_argv(c.path, argv, argc, "/default"));
		CHECK(!c.path || c.path[0]);
	}
	return 0;
}
