/* One way for the option tests to call a program's parse function as its
 * main() does: argv is the program's name and a NULL-terminated list, the
 * options struct is poisoned first (a field the parser forgets to set
 * shows), err is reset, and what the parser prints (--help, --version) is
 * caught in memory. Included by tests/unit/test_*_options.c. */
#ifndef MEMLOG_TEST_OPTCALL_H
#define MEMLOG_TEST_OPTCALL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

#define OPTCALL_ARGS 80
#define OPTCALL_ERR_UNSET "<unset>"

struct optcall {
	char *argv[OPTCALL_ARGS + 1]; /* kept: parsers point into it */
	int argc;
	char err[256];
	char *out;                    /* what the parser printed */
	size_t out_len;
};

/* The test's call of the parser, with its own options struct. */
typedef enum opt_result (*optcall_parse)(int argc, char **argv, char *err,
					 size_t errlen, FILE *out);

static inline enum opt_result optcall(struct optcall *c, const char *prog,
				      char **args, void *opts, size_t size,
				      optcall_parse parse)
{
	c->argc = 0;
	c->argv[c->argc++] = (char *)prog;
	while (args[c->argc - 1]) {
		assert_true(c->argc < OPTCALL_ARGS);
		c->argv[c->argc] = args[c->argc - 1];
		c->argc++;
	}
	c->argv[c->argc] = NULL;
	memset(opts, 0x5a, size);
	snprintf(c->err, sizeof(c->err), "%s", OPTCALL_ERR_UNSET);
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
	FILE *out = open_memstream(&c->out, &c->out_len);
	assert_non_null(out);
	enum opt_result r = parse(c->argc, c->argv, c->err, sizeof(c->err),
				  out);
	assert_int_equal(fclose(out), 0);
	return r;
}

/* The parser said run, set no error and printed nothing. */
static inline void optcall_run(const struct optcall *c, enum opt_result r)
{
	if (r != OPT_RUN)
		fail_msg("result %d: %s", r, c->err);
	assert_string_equal(c->err, OPTCALL_ERR_UNSET);
	assert_int_equal(c->out_len, 0);
}

/* The parser refused with exactly the message want, printing nothing. */
static inline void optcall_usage(const struct optcall *c, enum opt_result r,
				 const char *want)
{
	assert_int_equal(r, OPT_USAGE);
	assert_string_equal(c->err, want);
	assert_int_equal(c->out_len, 0);
}

static inline void optcall_free(struct optcall *c)
{
	free(c->out);
	c->out = NULL;
}

#endif
