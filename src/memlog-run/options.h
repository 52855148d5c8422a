/* memlog-run's command line: [-socket PATH] -n NAME [--] CMD [ARGS...], in
 * Go's flag syntax; parsing stops at CMD, whose options are its own. Pure:
 * no I/O but --help and --version, printed to the FILE given. */
#ifndef MEMLOG_RUN_OPTIONS_H
#define MEMLOG_RUN_OPTIONS_H

#include <stddef.h>

#include "opt.h"
#include "regmsg.h"

#define DEFAULT_SOCKET "/var/run/linuxkit-external-logging.sock"
#define NAME_MAX_LEN (REG_NAME_MAX - 4) /* room for ".out" */

struct run_opts {
	const char *socket; /* registration socket path */
	const char *name;   /* source name given with -n */
	char **cmd;         /* CMD and its arguments, NULL-terminated */
};

/* Parses argv into o. OPT_HELP_ASKED and OPT_VERSION_ASKED: printed to
 * out (a FILE *), exit 0. OPT_USAGE: err holds a one-line reason. */
enum opt_result run_parse_args(int argc, char **argv, struct run_opts *o,
			       char *err, size_t errlen, void *out);

/* The option table, for its unit test. */
const struct opt_table *run_options(void);

#endif
