/* logwrite's command line: LinuxKit's Go-style flags (-socket PATH,
 * -log-dir=DIR, --max-log-size N) and memlog's GNU long options, which
 * also take one dash (the option table's driver, src/lib/opt.h). */
#ifndef LOGWRITE_OPTIONS_H
#define LOGWRITE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "opt.h"
#include "store.h"

#define DEFAULT_SOCKET "/var/run/memlogdq.sock"
/* A directory of logwrite's own, not LinuxKit's /var/log: by default no
 * other program writes beside it (docs/logwrite.md, "Where"). */
#define DEFAULT_LOG_DIR "/var/log/memlog"
#define DEFAULT_STATE_NAME ".logwrite.state"

struct lw_opts {
	const char *socket;        /* memlogd's query socket */
	const char *log_dir;
	bool log_dir_given;        /* -log-dir was given (else it is made) */
	uint64_t max_log_size;     /* rotate a file that goes over this */
	unsigned max_log_files;    /* rotated files kept per source */
	uint64_t max_total_size;   /* per source, all its files; 0: no cap */
	uint64_t max_age_s;        /* rotated files older go; 0: no limit */
	bool compress;             /* gzip rotated files */
	enum lw_format format;
	enum lw_sync sync;
	const char *state_file;    /* NULL: LOG_DIR/.logwrite.state */
};

enum lw_opts_result {
	LW_OPTS_RUN = 0,
	LW_OPTS_EXIT_OK = 1,  /* --help or --version was printed */
	LW_OPTS_USAGE = -1,   /* a one-line reason is in err */
};

void lw_opts_defaults(struct lw_opts *o);

/* The option table (for tests that check it). */
const struct opt_table *lw_options(void);

/* Parses argv; --help and --version print to out (a FILE *). */
enum lw_opts_result lw_parse_args(int argc, char **argv, struct lw_opts *o,
				  char *err, size_t errlen, void *out);

/* Parses an age: a number with an optional unit s, m, h, d or w (plain
 * numbers are seconds): "7d" = 604800. Returns 0, -EINVAL or -ERANGE. */
int parse_age(const char *s, uint64_t *seconds);

#endif
