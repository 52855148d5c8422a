/* memlog-kmsgfs's command line (GNU long options, one or two dashes).
 * Pure: no I/O but --help and --version, printed to the FILE given. */
#ifndef KMSGFS_OPTIONS_H
#define KMSGFS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"

struct kmsgfs_opts {
	const char *socket;     /* memlogd's query socket (a view) */
	uint64_t buffer_size;   /* bytes of records held */
	bool foreground;        /* do not detach */
	uint32_t gone_exit;     /* seconds the socket may be missing before
				 * memlog-kmsgfs unmounts and exits; 0: never */
	const char *mountpoint; /* the operand */
};

/* Parses argv into o (defaults first): options, then MOUNTPOINT and
 * nothing after it. OPT_HELP_ASKED and OPT_VERSION_ASKED: printed to out
 * (a FILE *), exit 0. OPT_USAGE: err holds a one-line reason. */
enum opt_result kmsgfs_parse_args(int argc, char **argv, struct kmsgfs_opts *o,
				  char *err, size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *kmsgfs_options(void);

#endif
