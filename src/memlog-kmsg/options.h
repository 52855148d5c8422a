/* memlog-kmsg's command line (GNU long options, one or two dashes). Pure:
 * no I/O but --help and --version, printed to the FILE given. */
#ifndef MEMLOG_KMSG_OPTIONS_H
#define MEMLOG_KMSG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "opt.h"

struct memlog_kmsg_opts {
	const char *kmsg;       /* the kernel log device */
	const char *state_dir;  /* where the position is kept; "" for none
				 * (always with relay) */
	const char *relay;      /* memlogd's registration socket to relay the
				 * records to (relay.h), or NULL */
	bool no_follow;         /* stop at the end of what the kernel holds */
	bool priority;          /* prefix each line with <PRI> */
};

/* Parses argv into o (defaults first). OPT_HELP_ASKED and
 * OPT_VERSION_ASKED: printed to out (a FILE *), exit 0. OPT_USAGE: err
 * holds a one-line reason. */
enum opt_result memlog_kmsg_parse_args(int argc, char **argv,
				       struct memlog_kmsg_opts *o, char *err,
				       size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *memlog_kmsg_options(void);

#endif
