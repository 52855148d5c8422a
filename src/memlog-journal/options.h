/* memlog-journal's command line. Pure: no I/O but --help and --version,
 * printed to the FILE given. */
#ifndef MEMLOG_JOURNAL_OPTIONS_H
#define MEMLOG_JOURNAL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "format.h"
#include "opt.h"

#define JOURNAL_STATE_FILE "/run/memlog-journal/position"
#define JOURNAL_FIELD_MAX_DEFAULT (64u << 10)
#define JOURNAL_FIELD_MAX_MAX (16u << 20)

/* Where to start when nothing says where the last run stopped. */
enum jfrom {
	JFROM_START,  /* the first entry since the container's PID 1 started */
	JFROM_HEAD,   /* the oldest entry the journal holds */
	JFROM_TAIL,   /* only entries that come from now on */
};

struct journal_opts {
	enum jformat format;
	enum jfrom from;
	struct jfilter filter;     /* --unit, --priority */
	const char *holder_socket; /* the fd holder's socket */
	const char *fd_holder;     /* the holder program for a new holder */
	const char *state_file;    /* a clean stop's position; "": none */
	const char *directory;     /* journal files to read; NULL: the
				    * system's */
	uint64_t field_max;        /* longest field value written */
	bool no_respawn;           /* a holder that died is not replaced */
};

/* Parses argv into o. OPT_HELP_ASKED and OPT_VERSION_ASKED: printed to
 * out (a FILE *), exit 0. OPT_USAGE: err holds a one-line reason. */
enum opt_result journal_parse_args(int argc, char **argv,
				   struct journal_opts *o, char *err,
				   size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *journal_options(void);

#endif
