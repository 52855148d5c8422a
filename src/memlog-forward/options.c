#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "pri.h"
#include "util.h"
#include "udp.h"

/* Appends " source=GLOB" percent-encoded: memlogd decodes it. */
static int add_source(struct fwd_opts *o, const char *glob)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(o->params);

	if (len + 8 + 3 * strlen(glob) + 1 > sizeof(o->params))
		return -E2BIG;
	memcpy(o->params + len, " source=", 8);
	len += 8;
	for (const unsigned char *p = (const unsigned char *)glob; *p; p++) {
		if (*p > 32 && *p < 127 && *p != '%') {
			o->params[len++] = (char)*p;
		} else {
			o->params[len++] = '%';
			o->params[len++] = hex[*p >> 4];
			o->params[len++] = hex[*p & 15];
		}
	}
	o->params[len] = '\0';
	return 0;
}

static int severity_range(struct fwd_opts *o, const char *s)
{
	const char *dots = strstr(s, "..");
	int a = 0, b;

	if (dots) {
		a = pri_parse_severity(s, (size_t)(dots - s));
		b = pri_parse_severity(dots + 2, strlen(dots + 2));
	} else {
		b = pri_parse_severity(s, strlen(s));
	}
	if (a < 0 || b < 0 || a > b)
		return -EINVAL;
	o->sev_min = a;
	o->sev_max = b;
	return 0;
}

#define FO(f) OPT_FIELD(struct fwd_opts, f)

static int parse_pri(const char *val, void *field)
{
	int pri = pri_parse(val, strlen(val));

	if (pri < 0)
		return -EINVAL;
	*(int *)field = pri;
	return 0;
}

static int parse_source(const char *val, void *base)
{
	struct fwd_opts *o = base;

	if (o->nsources >= OPT_SOURCES_MAX || !*val || add_source(o, val) < 0)
		return -EINVAL;
	o->nsources++;
	return 0;
}

static int parse_priority(const char *val, void *base)
{
	return severity_range(base, val);
}

static int parse_udp_max(const char *val, void *base)
{
	struct fwd_opts *o = base;
	uint64_t v;

	if (parse_u64(val, UDP_MAX_MAX, &v) < 0 || v < UDP_MAX_MIN)
		return -EINVAL;
	o->udp_max = (unsigned)v;
	o->udp_max_set = true;
	return 0;
}

#define STR(x) #x
#define NUM(x) STR(x)

static const struct opt rows[] = {
	{ "socket", NULL, OPT_STR, FO(socket), .min = 1, .arg = "PATH",
	  .help = "memlogd's query socket (/var/run/memlogdq.sock)" },
	{ "target", NULL, OPT_STR, FO(target_text), .min = 1, .arg = "URL",
	  .help = "tcp://HOST:PORT, tls://HOST:PORT, relp://HOST:PORT\n"
		  "relps://HOST:PORT (RELP over TLS) or udp://HOST:PORT\n"
		  "(lossy: nothing is acknowledged)\n"
		  "(IPv6 addresses as [ADDR])" },
	{ "state-file", NULL, OPT_STR, FO(state_file), .min = 1, .arg = "FILE",
	  .help = "the delivered cursor, kept across restarts" },
	{ "tls-ca", NULL, OPT_STR, FO(tls_ca), .min = 1, .arg = "FILE",
	  .help = "CA certificates to verify the receiver (default:\n"
		  "the system's)" },
	{ "tls-cert", NULL, OPT_STR, FO(tls_cert), .min = 1, .arg = "FILE",
	  .help = "client certificate (PEM), with --tls-key" },
	{ "tls-key", NULL, OPT_STR, FO(tls_key), .min = 1, .arg = "FILE",
	  .help = "its key (PEM)" },
	{ "tls-server-name", NULL, OPT_STR, FO(tls_name), .min = 1,
	  .arg = "NAME", .help = "verify NAME instead of the URL's host" },
	{ "hostname", NULL, OPT_STR, FO(hostname), .min = 1, .arg = "NAME",
	  .help = "HOSTNAME field (default: gethostname())" },
	{ "stdout-priority", NULL, OPT_FUNC, FO(stdout_pri), .parse = parse_pri,
	  .bad = " is not a priority (FACILITY.SEVERITY such as user.info, "
		 "or 0-191)", .arg = "F.S",
	  .help = "PRI of stdout lines (user.info)" },
	{ "stderr-priority", NULL, OPT_FUNC, FO(stderr_pri), .parse = parse_pri,
	  .bad = " is not a priority (FACILITY.SEVERITY such as user.err, "
		 "or 0-191)", .arg = "F.S",
	  .help = "PRI of stderr lines (user.err)" },
	{ "daemon-priority", NULL, OPT_FUNC, FO(daemon_pri), .parse = parse_pri,
	  .bad = " is not a priority (FACILITY.SEVERITY such as "
		 "syslog.warning, or 0-191)", .arg = "F.S",
	  .help = "PRI of memlogd's loss markers and notices\n"
		  "(syslog.warning)" },
	{ "source", NULL, OPT_FUNC, .parse = parse_source,
	  .bad = " takes at most " NUM(OPT_SOURCES_MAX) " non-empty patterns that "
		 "fit a request line", .arg = "GLOB",
	  .help = "only sources matching GLOB (up to 16, any matches)" },
	{ "priority", NULL, OPT_FUNC, .parse = parse_priority,
	  .bad = " takes N or A..B, severities 0-7 or names (err, "
		 "info...)", .arg = "N|A..B",
	  .help = "only severities 0..N or A..B (names or 0-7), after\n"
		  "the defaults above; loss markers always pass" },
	{ "relp-window", NULL, OPT_NUM, FO(relp_window), .min = 2,
	  .max = 65536, .bad = " must be 2 to 65536", .arg = "N",
	  .help = "RELP messages in flight (128)" },
	{ "relp-timeout", NULL, OPT_NUM, FO(relp_timeout_s), .min = 1,
	  .max = 3600, .bad = " must be 1 to 3600 s", .arg = "SECONDS",
	  .help = "RELP wait for an answer before reconnecting (30)" },
	{ "udp-max", NULL, OPT_FUNC, .parse = parse_udp_max,
	  .bad = " must be " NUM(UDP_MAX_MIN) " to " NUM(UDP_MAX_MAX) " bytes",
	  .arg = "BYTES",
	  .help = "longest UDP message, longer ones are cut (2048)" },
	{ "backoff-max", NULL, OPT_NUM, FO(backoff_max_ms), .min = 100,
	  .max = 3600000, .bad = " must be 100 to 3600000 ms", .arg = "MS",
	  .help = "longest wait between reconnects and state file\n"
		  "write retries (5000)" },
	{ "stats", NULL, OPT_FLAG, FO(stats),
	  .help = "print the counters when stopping (SIGUSR1: now)" },
	{ "help", NULL, OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const char usage_head[] =
"usage: memlog-forward [-socket PATH] --target URL --state-file FILE [OPTIONS]\n"
"Follows memlogd and sends every entry to a syslog receiver (RFC 5424).\n"
"Options take one or two dashes (-socket PATH as in LinuxKit).\n"
"\n";

static const char usage_tail[] =
"\n"
"Exit status: 0 stopped by SIGTERM/SIGINT, 1 cannot start, 2 usage,\n"
"3 the state file is not a valid state file, 4 memlogd refused the request.\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 27,
						.prog = "memlog-forward",
						.usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *options_table(void)
{
	return &table;
}

int options_parse(struct fwd_opts *o, int argc, char **argv, char err[OPT_ERR_MAX])
{
	const char *why;
	int operand;

	memset(o, 0, sizeof(*o));
	o->socket = "/var/run/memlogdq.sock";
	o->stdout_pri = 1 * 8 + 6;  /* user.info */
	o->stderr_pri = 1 * 8 + 3;  /* user.err */
	o->daemon_pri = 5 * 8 + 4;  /* syslog.warning */
	o->sev_min = 0;
	o->sev_max = 7;
	o->relp_window = 128;
	o->relp_timeout_s = 30;
	o->udp_max = UDP_MAX_DEFAULT;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = 5000;
	switch (opt_parse(&table, argc, argv, o, &operand, err, OPT_ERR_MAX)) {
	case OPT_HELP_ASKED:
		o->help = true;
		return 0;
	case OPT_VERSION_ASKED:
		o->version = true;
		return 0;
	case OPT_USAGE:
		return -EINVAL;
	case OPT_RUN:
		break;
	}
	if (o->target_text &&
	    url_parse(o->target_text, strlen(o->target_text), &o->target, &why) < 0) {
		snprintf(err, OPT_ERR_MAX, "--target %s: %s", o->target_text, why);
		return -EINVAL;
	}
	if (!o->target_text || !o->state_file) {
		snprintf(err, OPT_ERR_MAX, "--target and --state-file are required");
		return -EINVAL;
	}
	if (!o->tls_cert != !o->tls_key) {
		snprintf(err, OPT_ERR_MAX, "--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if ((o->tls_ca || o->tls_cert || o->tls_name) && o->target.scheme != URL_TLS &&
	    o->target.scheme != URL_RELPS) {
		snprintf(err, OPT_ERR_MAX, "the --tls options need a tls:// or relps:// target");
		return -EINVAL;
	}
	if (o->udp_max_set && o->target.scheme != URL_UDP) {
		snprintf(err, OPT_ERR_MAX, "--udp-max needs a udp:// target");
		return -EINVAL;
	}
	/* librelp matches the certificate's DNS names and CN, never its IP
	 * addresses: an address alone could never be verified. */
	if (o->target.scheme == URL_RELPS && o->target.is_ip && !o->tls_name) {
		snprintf(err, OPT_ERR_MAX, "relps:// to an address needs --tls-server-name "
			 "(librelp checks the certificate's DNS names only)");
		return -EINVAL;
	}
	return 0;
}
