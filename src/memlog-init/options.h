/* memlog-init's command line: [OPTION]... [--] [SYSTEMD [ARG]...]; parsing
 * stops at SYSTEMD, whose options are its own. Pure: no I/O but --help and
 * --version, printed to the FILE given. */
#ifndef MEMLOG_INIT_OPTIONS_H
#define MEMLOG_INIT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "opt.h"

#define INIT_DEFAULT_SYSTEMD "/lib/systemd/systemd"

struct init_opts {
	const char *holder_socket; /* the fd holder's socket path */
	const char *fd_holder;     /* the holder program, NULL: look for it */
	bool no_mount_run;         /* never mount a tmpfs on /run */
	char **cmd;                /* what to execute, NULL-terminated */
	const char *default_cmd[2];/* cmd when none is given */
};

/* Parses argv into o. OPT_HELP_ASKED and OPT_VERSION_ASKED: printed to
 * out (a FILE *), exit 0. OPT_USAGE: err holds a one-line reason. */
enum opt_result init_parse_args(int argc, char **argv, struct init_opts *o,
				char *err, size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *init_options(void);

#endif
