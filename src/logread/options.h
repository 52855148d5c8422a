/* logread's command line: LinuxKit's -socket, -f and -F, and memlog's
 * extensions, in Go's flag syntax (one or two dashes). Pure: no I/O but
 * --help and --version, printed to the FILE given. */
#ifndef LOGREAD_OPTIONS_H
#define LOGREAD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"
#include "output.h"
#include "query.h"
#include "redact.h"
#include "timearg.h"

#define DEFAULT_SOCKET "/var/run/memlogdq.sock"

struct logread_opts {
	const char *socket;       /* query socket path */
	bool follow;              /* -f */
	bool dump_follow;         /* -F */
	bool has_lines;           /* -n given */
	uint64_t lines;
	const char *globs[QUERY_GLOBS_MAX]; /* -source, in order */
	unsigned nglobs;
	bool has_prio;            /* -p given */
	int prio_min, prio_max;
	uint32_t fac_mask;        /* -facility; 0 = all */
	enum out_format format;   /* -o */
	const char *after;        /* -after-cursor */
	const char *cursor_file;  /* -cursor-file */
	bool has_since, has_until; /* --since, --until, resolved by the
				    * caller (timesel) */
	struct timearg since, until;
	uint64_t since_ns, until_ns; /* set by the caller */
	bool utc;                 /* --utc */
	unsigned nunits;          /* -u: each is two of globs[] */
	char unit_out[QUERY_GLOBS_MAX / 2][QUERY_GLOB_MAX + 1]; /* NAME.out */
	uint32_t stream_mask;     /* --stream, -k: bit N: enum stream N */
	const char *grep;         /* -g */
	bool case_sensitive;      /* --case-sensitive */
	bool grep_icase;          /* -g's pattern is matched ignoring case */
	bool stats;               /* -stats */
	const char *bundle;       /* -bundle: the archive, "-" for stdout */
	const char *redact[REDACT_MAX]; /* -redact, in order */
	unsigned nredact;
	bool dmesg;               /* -k */
	bool reverse;             /* -r */
	bool no_color;            /* --no-color */
	bool pager;               /* --pager */
	bool sources;             /* --sources */
	bool legacy_request;      /* --legacy-request: LinuxKit's byte alone */
	bool v2;                  /* an extension was asked for */
};

/* Parses argv into o (defaults first). OPT_HELP_ASKED and
 * OPT_VERSION_ASKED: printed to out (a FILE *), exit 0. OPT_USAGE: err
 * holds a one-line reason. */
enum opt_result logread_parse_args(int argc, char **argv,
				   struct logread_opts *o, char *err,
				   size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *logread_options(void);

#endif
