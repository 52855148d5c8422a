#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pri.h"
#include "udp.h"

const char options_usage[] =
"usage: memlog-forward [-socket PATH] --target URL --state-file FILE [OPTIONS]\n"
"Follows memlogd and sends every entry to a syslog receiver (RFC 5424).\n"
"\n"
"  -socket PATH             memlogd's query socket (/var/run/memlogdq.sock)\n"
"  --target URL             tcp://HOST:PORT, tls://HOST:PORT, relp://HOST:PORT\n"
"                           relps://HOST:PORT (RELP over TLS) or udp://HOST:PORT\n"
"                           (lossy: nothing is acknowledged)\n"
"                           (IPv6 addresses as [ADDR])\n"
"  --state-file FILE        the delivered cursor, kept across restarts\n"
"  --tls-ca FILE            CA certificates to verify the receiver (default:\n"
"                           the system's)\n"
"  --tls-cert FILE, --tls-key FILE   client certificate and key (PEM)\n"
"  --tls-server-name NAME   verify NAME instead of the URL's host\n"
"  --hostname NAME          HOSTNAME field (default: gethostname())\n"
"  --stdout-priority F.S    PRI of stdout lines (user.info)\n"
"  --stderr-priority F.S    PRI of stderr lines (user.err)\n"
"  --daemon-priority F.S    PRI of memlogd's loss markers and notices\n"
"                           (syslog.warning)\n"
"  --source GLOB            only sources matching GLOB (up to 16, any matches)\n"
"  --priority N|A..B        only severities 0..N or A..B (names or 0-7), after\n"
"                           the defaults above; loss markers always pass\n"
"  --relp-window N          RELP messages in flight (128)\n"
"  --relp-timeout SECONDS   RELP wait for an answer before reconnecting (30)\n"
"  --udp-max BYTES          longest UDP message, longer ones are cut (2048)\n"
"  --backoff-max MS         longest wait between reconnects and state file\n"
"                           write retries (5000)\n"
"  --stats                  print the counters when stopping (SIGUSR1: now)\n"
"  --help, --version\n"
"\n"
"Exit status: 0 stopped by SIGTERM/SIGINT, 1 cannot start, 2 usage,\n"
"3 the state file is not a valid state file, 4 memlogd refused the request.\n";

enum {
	O_SOCKET = 256, O_TARGET, O_STATE, O_TLS_CA, O_TLS_CERT, O_TLS_KEY,
	O_TLS_NAME, O_HOSTNAME, O_STDOUT_PRI, O_STDERR_PRI, O_DAEMON_PRI,
	O_SOURCE, O_PRIORITY, O_RELP_WINDOW, O_RELP_TIMEOUT, O_UDP_MAX, O_BACKOFF_MAX,
	O_STATS, O_HELP, O_VERSION,
};

static const struct option longopts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "target", required_argument, NULL, O_TARGET },
	{ "state-file", required_argument, NULL, O_STATE },
	{ "tls-ca", required_argument, NULL, O_TLS_CA },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "tls-server-name", required_argument, NULL, O_TLS_NAME },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "stdout-priority", required_argument, NULL, O_STDOUT_PRI },
	{ "stderr-priority", required_argument, NULL, O_STDERR_PRI },
	{ "daemon-priority", required_argument, NULL, O_DAEMON_PRI },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "priority", required_argument, NULL, O_PRIORITY },
	{ "relp-window", required_argument, NULL, O_RELP_WINDOW },
	{ "relp-timeout", required_argument, NULL, O_RELP_TIMEOUT },
	{ "udp-max", required_argument, NULL, O_UDP_MAX },
	{ "backoff-max", required_argument, NULL, O_BACKOFF_MAX },
	{ "stats", no_argument, NULL, O_STATS },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

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

int options_parse(struct fwd_opts *o, int argc, char **argv, char err[OPT_ERR_MAX])
{
	unsigned long v;
	int c, nsources = 0, pri;
	const char *why;
	bool udp_max_set = false;

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
	optind = 0; /* also resets getopt's state: tests call this repeatedly */
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":", longopts, NULL)) != -1) {
		const char *a = optarg;

		switch (c) {
		case O_SOCKET: o->socket = a; break;
		case O_TARGET:
			if (url_parse(a, strlen(a), &o->target, &why) < 0) {
				snprintf(err, OPT_ERR_MAX, "--target %s: %s", a, why);
				return -EINVAL;
			}
			o->target_text = a;
			break;
		case O_STATE: o->state_file = a; break;
		case O_TLS_CA: o->tls_ca = a; break;
		case O_TLS_CERT: o->tls_cert = a; break;
		case O_TLS_KEY: o->tls_key = a; break;
		case O_TLS_NAME: o->tls_name = a; break;
		case O_HOSTNAME: o->hostname = a; break;
		case O_STDOUT_PRI:
		case O_STDERR_PRI:
		case O_DAEMON_PRI:
			pri = pri_parse(a, strlen(a));
			if (pri < 0) {
				snprintf(err, OPT_ERR_MAX, "%s: not a priority "
					 "(FACILITY.SEVERITY such as user.info, or 0-191)", a);
				return -EINVAL;
			}
			*(c == O_STDOUT_PRI ? &o->stdout_pri
			  : c == O_STDERR_PRI ? &o->stderr_pri : &o->daemon_pri) = pri;
			break;
		case O_SOURCE:
			if (++nsources > OPT_SOURCES_MAX || !*a || add_source(o, a) < 0) {
				snprintf(err, OPT_ERR_MAX, "--source: at most %d non-empty "
					 "patterns that fit a request line", OPT_SOURCES_MAX);
				return -EINVAL;
			}
			break;
		case O_PRIORITY:
			if (severity_range(o, a) < 0) {
				snprintf(err, OPT_ERR_MAX, "--priority %s: expected N or "
					 "A..B, severities 0-7 or names (err, info...)", a);
				return -EINVAL;
			}
			break;
		case O_RELP_WINDOW:
			if (number(a, 2, 65536, &v) < 0) {
				snprintf(err, OPT_ERR_MAX, "--relp-window %s: 2 to 65536", a);
				return -EINVAL;
			}
			o->relp_window = (unsigned)v;
			break;
		case O_RELP_TIMEOUT:
			if (number(a, 1, 3600, &v) < 0) {
				snprintf(err, OPT_ERR_MAX, "--relp-timeout %s: 1 to 3600 s", a);
				return -EINVAL;
			}
			o->relp_timeout_s = (unsigned)v;
			break;
		case O_UDP_MAX:
			if (number(a, UDP_MAX_MIN, UDP_MAX_MAX, &v) < 0) {
				snprintf(err, OPT_ERR_MAX, "--udp-max %s: %d to %d bytes", a,
					 UDP_MAX_MIN, UDP_MAX_MAX);
				return -EINVAL;
			}
			o->udp_max = (unsigned)v;
			udp_max_set = true;
			break;
		case O_BACKOFF_MAX:
			if (number(a, 100, 3600000, &v) < 0) {
				snprintf(err, OPT_ERR_MAX, "--backoff-max %s: 100 to 3600000 ms", a);
				return -EINVAL;
			}
			o->backoff_max_ms = (uint32_t)v;
			break;
		case O_STATS: o->stats = true; break;
		case O_HELP: o->help = true; return 0;
		case O_VERSION: o->version = true; return 0;
		case ':':
			snprintf(err, OPT_ERR_MAX, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, OPT_ERR_MAX, "unknown option: %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, OPT_ERR_MAX, "unexpected argument %s", argv[optind]);
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
	if (udp_max_set && o->target.scheme != URL_UDP) {
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
