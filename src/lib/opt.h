/* Command-line options as a table: one row per option (its names, the kind
 * of value it takes, bounds, where the value goes, its --help text), read
 * by one small driver. The syntax is what LinuxKit's Go programs and GNU
 * getopt_long_only() accept alike:
 *   -name VALUE  -name=VALUE  --name VALUE  --name=VALUE
 *   -flag, and for Go's boolean flags -flag=true / -flag=false (a boolean
 *     never takes the next word: "-daemonize false" is an operand)
 *   an unambiguous start of a name ("-sou" for "-source")
 *   one-letter options grouped as getopt groups them ("-fF", "-n5")
 *   "--" ends the options
 * Pure: nothing is printed (but by opt_help, to the FILE it is given). */
#ifndef MEMLOG_OPT_H
#define MEMLOG_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_kind {
	OPT_FLAG,     /* no value: sets a bool */
	OPT_BOOL,     /* Go's boolean: -x sets the bool, -x=false clears it */
	OPT_STR,      /* a value, kept as the word itself (a const char *) */
	OPT_OPTIONAL, /* an optional value, a path: -x alone stores .dflt */
	OPT_NUM,      /* a decimal number in [min, max], into a u32 or u64 */
	OPT_SIZE,     /* the same with a K, M or G suffix (powers of 1024) */
	OPT_FUNC,     /* .parse reads and stores the value */
	OPT_HELP,     /* stops: the caller prints --help */
	OPT_VERSION,  /* stops: the caller prints the version */
};

/* The C type of a row's field, as OPT_FIELD finds it. */
enum opt_type { OPT_T_NONE, OPT_T_BOOL, OPT_T_STR, OPT_T_U32, OPT_T_U64, OPT_T_INT };

/* Where a row's value goes: field f of struct st. Its type is recorded, so
 * the driver stores a number in the width the field has, and
 * opt_table_check() finds a kind that does not fit the field; a field of
 * any other type does not compile. */
#define OPT_FIELD(st, f) .off = offsetof(st, f), \
	.type = _Generic(((st *)0)->f, bool: OPT_T_BOOL, \
			 const char *: OPT_T_STR, uint32_t: OPT_T_U32, \
			 uint64_t: OPT_T_U64, int: OPT_T_INT)

struct opt {
	const char *name;   /* without dashes */
	const char *alias;  /* another name, or NULL; a one-letter name can
			     * also be grouped with others (-fF) */
	enum opt_kind kind;
	size_t off;         /* the field (OPT_FIELD) */
	enum opt_type type;
	uint64_t min, max;  /* OPT_NUM, OPT_SIZE: the bounds; OPT_STR: the
			     * shortest value (1: not empty) */
	/* OPT_FUNC: stores the value in field (the row's field, or the whole
	 * struct when the row names none); < 0: the value is bad. */
	int (*parse)(const char *val, void *field);
	const char *dflt;   /* OPT_OPTIONAL: the value when none is given */
	const char *bad;    /* what an error says after the name, before
			     * ": VALUE" (default ": bad number" etc.) */
	const char *arg;    /* --help: the value's name, "PATH" */
	const char *help;   /* --help: lines split by \n; NULL: not listed */
	const char *heading;/* --help: printed before this row */
};

struct opt_table {
	const struct opt *opts;
	size_t n;
	const char *dash;  /* how errors and --help write a name: "--" or "-" */
	/* The first operand starts a command whose options are its own
	 * (memlog-run): parsing stops there. Otherwise an operand is an
	 * error, reported after every option was read. */
	bool command;
	int help_col;      /* the column where --help's texts start */
	/* What opt_parse_main writes: "PROG memlog VERSION" for --version;
	 * USAGE_HEAD, the rows and USAGE_TAIL for --help. */
	const char *prog;
	const char *usage_head;
	const char *usage_tail;
};

#define OPT_TABLE(rows, ...) { .opts = (rows), .n = sizeof(rows) / sizeof((rows)[0]), __VA_ARGS__ }

enum opt_result {
	OPT_RUN = 0,
	OPT_HELP_ASKED = 1,
	OPT_VERSION_ASKED = 2,
	OPT_USAGE = -1,     /* err holds a one-line reason */
};

/* Parses argv[1..argc-1] into the struct at base (which holds the
 * defaults). Stops at the first error, at a help or version option, and
 * (t->command) at the first operand. *operand is the index of the command
 * (t->command; argc when there is none), else argc. Reasons name an
 * option by its name in the table, however it was written: "--fd-log: not
 * a file descriptor: x", "unknown option: -x", "unexpected argument: x". */
enum opt_result opt_parse(const struct opt_table *t, int argc,
			  char *const argv[], void *base, int *operand,
			  char *err, size_t errlen);

/* opt_parse, then the answer to --help or --version written to out, as
 * every program gives it. */
enum opt_result opt_parse_main(const struct opt_table *t, int argc,
			       char *const argv[], void *base, int *operand,
			       char *err, size_t errlen, FILE *out);

/* A path given to option name must fit a unix socket address: 0, or
 * -ENAMETOOLONG with the reason in err. */
int opt_unix_path(const char *name, const char *path, char *err,
		  size_t errlen);

/* Writes one line per listed row (and its continuation lines):
 *   "  --socket-log PATH     registration socket" */
void opt_help(const struct opt_table *t, FILE *out);

/* Checks a table as the driver needs it (for unit tests): names unique,
 * each kind on a field of a type it can store, bounds that fit, what
 * OPT_FUNC and OPT_OPTIONAL need. Returns 0, or -EINVAL with the row
 * named in err. */
int opt_table_check(const struct opt_table *t, char *err, size_t errlen);

#endif
