#include "options.h"
#include "linebuf.h"
#include "ring.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	O_SOCKET_LOG = 256, O_SOCKET_QUERY, O_FD_LOG, O_FD_QUERY, O_MAX_LINES,
	O_MAX_LINE_LEN, O_DAEMONIZE, O_BUFFER_SIZE, O_CONSOLE, O_RATE_LIMIT,
	O_MAX_SOURCES, O_MAX_READERS, O_READER_BUFFER, O_REQUEST_TIMEOUT,
	O_UNLINK_ON_EXIT, O_FD_STORE, O_BATCH_DELAY, O_KMSG, O_SYSLOG, O_STATE_DIR, O_HELP,
	O_VERSION,
};

static const struct option long_opts[] = {
	{ "socket-log", required_argument, NULL, O_SOCKET_LOG },
	{ "socket-query", required_argument, NULL, O_SOCKET_QUERY },
	{ "fd-log", required_argument, NULL, O_FD_LOG },
	{ "fd-query", required_argument, NULL, O_FD_QUERY },
	{ "max-lines", required_argument, NULL, O_MAX_LINES },
	{ "max-line-len", required_argument, NULL, O_MAX_LINE_LEN },
	{ "daemonize", optional_argument, NULL, O_DAEMONIZE },
	{ "buffer-size", required_argument, NULL, O_BUFFER_SIZE },
	{ "console", optional_argument, NULL, O_CONSOLE },
	{ "rate-limit", required_argument, NULL, O_RATE_LIMIT },
	{ "max-sources", required_argument, NULL, O_MAX_SOURCES },
	{ "max-readers", required_argument, NULL, O_MAX_READERS },
	{ "reader-buffer", required_argument, NULL, O_READER_BUFFER },
	{ "request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT },
	{ "unlink-on-exit", no_argument, NULL, O_UNLINK_ON_EXIT },
	{ "fd-store", no_argument, NULL, O_FD_STORE },
	{ "batch-delay", required_argument, NULL, O_BATCH_DELAY },
	{ "kmsg", optional_argument, NULL, O_KMSG },
	{ "syslog", optional_argument, NULL, O_SYSLOG },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"Usage: memlogd [OPTION]...\n"
"Collects log lines from file descriptors passed over a unix socket, keeps\n"
"them in a bounded in-memory ring and serves them on a query socket.\n"
"Single-dash forms (-socket-log PATH, -max-lines=N) work as in LinuxKit.\n"
"\n"
"  --socket-log PATH     registration socket (SOCK_DGRAM)\n"
"                        [" DEFAULT_SOCKET_LOG "]\n"
"  --socket-query PATH   query socket (SOCK_STREAM) [" DEFAULT_SOCKET_QUERY "]\n"
"  --fd-log N            use inherited bound datagram socket N\n"
"  --fd-query N          use inherited listening stream socket N\n"
"  --buffer-size SIZE    ring size in bytes, K/M/G suffixes [4M]\n"
"  --max-lines N         also cap the ring at N entries [no cap]\n"
"  --max-line-len N      split lines longer than N bytes into parts\n"
"                        (8 to 1048576) [8192]\n"
"  --rate-limit N[/SEC]  per-source limit: lines over N per SEC seconds are\n"
"                        dropped and counted in one notice [off]\n"
"  --max-sources N       registered file descriptors at most [from RLIMIT_NOFILE]\n"
"  --max-readers N       query clients at most [256]\n"
"  --reader-buffer SIZE  output buffer per query client [64K]\n"
"  --request-timeout MS  a query client must send its request within MS [10000]\n"
"  --batch-delay USEC    after a wake-up that read little, wait USEC so the\n"
"                        next reads many lines at once; 0 = never [100]\n"
"  --kmsg[=PATH]         read the kernel log (source \"kmsg\") [" DEFAULT_KMSG "]\n"
"  --syslog[=PATH]       serve syslog(3) clients on a datagram socket\n"
"                        [" DEFAULT_SYSLOG "]\n"
"  --state-dir DIR       where the kernel log position is kept across\n"
"                        restarts [" DEFAULT_STATE_DIR "]\n"
"  --fd-store            keep sources in the service manager's fd store\n"
"                        (systemd FileDescriptorStoreMax=), so that they\n"
"                        outlive a restart of memlogd [off]\n"
"  --console             mirror every entry to stdout as TIME;SOURCE;MSG\n"
"  --daemonize           bind the sockets, start a copy in the background\n"
"                        and exit 0 once it runs\n"
"  --help, --version\n"
"\n"
"Socket activation (LISTEN_FDS) and sd_notify readiness are used when the\n"
"environment provides them. Exit status: 0 clean stop, 1 runtime failure,\n"
"2 usage error, 3 a socket path is served by another live daemon.\n";

void memlogd_config_defaults(struct memlogd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_log = DEFAULT_SOCKET_LOG;
	cfg->socket_query = DEFAULT_SOCKET_QUERY;
	cfg->fd_log = -1;
	cfg->fd_query = -1;
	cfg->max_line_len = 8192;
	cfg->buffer_size = 4u << 20;
	cfg->max_readers = 256;
	cfg->reader_buffer = 64u << 10;
	cfg->request_timeout_ms = 10000;
	cfg->batch_delay_us = 100;
	cfg->state_dir = DEFAULT_STATE_DIR;
}

static int num(const char *arg, uint64_t min, uint64_t max, uint64_t *out,
	       bool sized)
{
	int r = sized ? parse_size(arg, max, out) : parse_u64(arg, max, out);
	if (r == 0 && *out < min)
		r = -ERANGE;
	return r;
}

enum opts_result memlogd_parse_args(int argc, char **argv,
				    struct memlogd_config *cfg, char *err,
				    size_t errlen, void *out)
{
	uint64_t v;
	int c;
	bool b;

	/* 0, not 1: also forgets getopt's position inside a previous word. */
	optind = 0;
	opterr = 0;
	for (;;) {
		int idx = -1;
		c = getopt_long_only(argc, argv, ":", long_opts, &idx);
		if (c == -1)
			break;
		/* Errors name the option as the user can look it up, whichever
		 * spelling was used; getopt has moved past a separate value. */
		char name[40];
		const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		if (idx < 0 && (c == ':' || c == '?'))
			for (int i = 0; long_opts[i].name; i++)
				if (long_opts[i].val == optopt)
					idx = i;
		if (c == '?' && optopt > 0 && optopt < 256 && optind < argc &&
		    argv[optind][0] == '-' && strchr(argv[optind], optopt))
			word = argv[optind]; /* still inside this word */
		if (idx >= 0)
			snprintf(name, sizeof(name), "--%s", long_opts[idx].name);
		else
			snprintf(name, sizeof(name), "%.39s", word);
		switch (c) {
		case O_SOCKET_LOG:
			cfg->socket_log = optarg;
			break;
		case O_SOCKET_QUERY:
			cfg->socket_query = optarg;
			break;
		case O_FD_LOG:
		case O_FD_QUERY:
			/* Go's default -1 means "not given"; accept it. */
			if (!strcmp(optarg, "-1")) {
				v = (uint64_t)-1;
			} else if (num(optarg, 0, 65535, &v, false) < 0) {
				snprintf(err, errlen, "%s: not a file descriptor: %s",
					 name, optarg);
				return OPTS_USAGE;
			}
			if (c == O_FD_LOG)
				cfg->fd_log = (int)v;
			else
				cfg->fd_query = (int)v;
			break;
		case O_MAX_LINES:
			if (num(optarg, 0, UINT32_MAX, &v, false) < 0)
				goto bad_number;
			cfg->max_lines = v;
			break;
		case O_MAX_LINE_LEN:
			if (num(optarg, LINEBUF_MIN_MAX, LINEBUF_MAX_MAX, &v, true) < 0) {
				snprintf(err, errlen, "%s must be %u to %u: %s", name,
					 LINEBUF_MIN_MAX, LINEBUF_MAX_MAX, optarg);
				return OPTS_USAGE;
			}
			cfg->max_line_len = (uint32_t)v;
			break;
		case O_BUFFER_SIZE:
			if (num(optarg, 64u << 10, 1ull << 40, &v, true) < 0) {
				snprintf(err, errlen, "%s must be 64K to 1T: %s",
					 name, optarg);
				return OPTS_USAGE;
			}
			cfg->buffer_size = v;
			break;
		case O_DAEMONIZE:
		case O_CONSOLE:
			b = true;
			if (optarg && parse_bool(optarg, &b) < 0) {
				snprintf(err, errlen, "%s takes true or false: %s",
					 name, optarg);
				return OPTS_USAGE;
			}
			if (c == O_DAEMONIZE)
				cfg->daemonize = b;
			else
				cfg->console = b;
			break;
		case O_RATE_LIMIT:
			if (parse_rate(optarg, &cfg->rate_lines,
				       &cfg->rate_seconds) < 0) {
				snprintf(err, errlen,
					 "%s takes LINES/SECONDS, e.g. 1000/1: %s",
					 name, optarg);
				return OPTS_USAGE;
			}
			break;
		case O_MAX_SOURCES:
			if (num(optarg, 1, 1u << 20, &v, false) < 0)
				goto bad_number;
			cfg->max_sources = (uint32_t)v;
			break;
		case O_MAX_READERS:
			if (num(optarg, 1, 65536, &v, false) < 0)
				goto bad_number;
			cfg->max_readers = (uint32_t)v;
			break;
		case O_READER_BUFFER:
			if (num(optarg, 4096, 64u << 20, &v, true) < 0)
				goto bad_number;
			cfg->reader_buffer = (uint32_t)v;
			break;
		case O_REQUEST_TIMEOUT:
			if (num(optarg, 1, 3600000, &v, false) < 0)
				goto bad_number;
			cfg->request_timeout_ms = (uint32_t)v;
			break;
		case O_BATCH_DELAY:
			if (num(optarg, 0, 100000, &v, false) < 0)
				goto bad_number;
			cfg->batch_delay_us = (uint32_t)v;
			break;
		case O_KMSG:
			cfg->kmsg = optarg && *optarg ? optarg : DEFAULT_KMSG;
			break;
		case O_SYSLOG:
			cfg->syslog = optarg && *optarg ? optarg : DEFAULT_SYSLOG;
			break;
		case O_STATE_DIR:
			cfg->state_dir = optarg;
			break;
		case O_UNLINK_ON_EXIT:
			cfg->unlink_on_exit = true;
			break;
		case O_FD_STORE:
			cfg->fd_store = true;
			break;
		case O_HELP:
			fputs(usage_text, out);
			return OPTS_EXIT_OK;
		case O_VERSION:
			fprintf(out, "memlogd memlog %s\n", MEMLOG_VERSION);
			return OPTS_EXIT_OK;
		case ':':
			snprintf(err, errlen, "%s needs a value", name);
			return OPTS_USAGE;
		default:
			if (idx >= 0) {
				snprintf(err, errlen, "%s takes no value", name);
				return OPTS_USAGE;
			}
			snprintf(err, errlen, "unknown option: %s", name);
			return OPTS_USAGE;
		}
		continue;
bad_number:
		snprintf(err, errlen, "%s: bad number: %s", name, optarg);
		return OPTS_USAGE;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
		return OPTS_USAGE;
	}
	/* The ring must hold two of the longest entries. */
	if (2 * ((uint64_t)cfg->max_line_len + RING_HDR) > cfg->buffer_size) {
		snprintf(err, errlen, "--buffer-size must be at least twice "
			 "--max-line-len + %u bytes", RING_HDR);
		return OPTS_USAGE;
	}
	return OPTS_RUN;
}
