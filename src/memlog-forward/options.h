/* memlog-forward's command line, a table read by libmemlog's option driver
 * (src/lib/opt.h). Options take one or two dashes and their value as the
 * next argument or after '=', so the LinuxKit-style "-socket PATH" works as
 * "--socket PATH" does. Pure: no I/O, the caller prints what it returns
 * (opt_help for --help). */
#ifndef FORWARD_OPTIONS_H
#define FORWARD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "url.h"

#define OPT_SOURCES_MAX 16          /* memlogd takes up to 16 source= */
#define OPT_PARAMS_MAX 3600         /* the request line is at most 4096 */
#define OPT_ERR_MAX 256

struct fwd_opts {
	const char *socket;         /* memlogd's query socket */
	const char *target_text;    /* --target as given */
	struct url target;
	const char *state_file;
	const char *tls_ca;         /* CA file; NULL: the system's store */
	const char *tls_cert;       /* client certificate (PEM) */
	const char *tls_key;        /* its key (PEM) */
	const char *tls_name;       /* name to verify instead of the URL's host */
	const char *hostname;       /* HOSTNAME field; NULL: gethostname() */
	int stdout_pri;             /* PRI of stdout entries without one */
	int stderr_pri;
	int daemon_pri;             /* memlogd's markers and notices */
	int sev_min, sev_max;       /* forward severities sev_min..sev_max */
	char params[OPT_PARAMS_MAX];/* " source=..." for memlogd's request */
	unsigned relp_window;       /* RELP frames in flight */
	unsigned relp_timeout_s;    /* RELP wait for an answer */
	unsigned udp_max;           /* longest UDP datagram; longer ones are cut */
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	unsigned nsources;          /* --source patterns given */
	bool udp_max_set;           /* --udp-max was given */
	bool stats;                 /* print the counters at exit */
	bool help, version;
};

/* Parses argv. Returns 0, or -EINVAL with a message in err. */
int options_parse(struct fwd_opts *o, int argc, char **argv, char err[OPT_ERR_MAX]);

/* The table (for --help and for tests that check it). */
struct opt_table;
const struct opt_table *options_table(void);

#endif
