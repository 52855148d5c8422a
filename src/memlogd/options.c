#include "options.h"
#include "linebuf.h"
#include "opt.h"
#include "ring.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --fd-log, --fd-query: a descriptor, or Go's default -1 ("not given"). */
static int parse_fd(const char *val, void *field)
{
	uint64_t v;
	int r;

	if (strcmp(val, "-1") == 0) {
		*(int *)field = -1;
		return 0;
	}
	r = parse_u64(val, 65535, &v);
	if (r == 0)
		*(int *)field = (int)v;
	return r;
}

/* --socket-mode: octal permission bits that leave the owner (memlogd, and
 * its own --upgrade and --release) read and write access. */
static int parse_mode(const char *val, void *field)
{
	size_t n = strspn(val, "01234567");
	unsigned long v;

	if (n == 0 || n > 4 || val[n] != '\0')
		return -EINVAL;
	v = strtoul(val, NULL, 8);
	if (v > 0777 || (v & 0600) != 0600)
		return -EINVAL;
	*(int *)field = (int)v;
	return 0;
}

static int parse_rate_limit(const char *val, void *base)
{
	struct memlogd_config *cfg = base;

	return parse_rate(val, &cfg->rate_lines, &cfg->rate_seconds);
}

_Static_assert(LINEBUF_MIN_MAX == 8 && LINEBUF_MAX_MAX == 1048576,
	       "--max-line-len's texts name its bounds");

#define CFG(f) OPT_FIELD(struct memlogd_config, f)

static const struct opt rows[] = {
	{ "socket-log", NULL, OPT_STR, CFG(socket_log), .arg = "PATH",
	  .help = "registration socket (SOCK_DGRAM)\n"
		  "[" DEFAULT_SOCKET_LOG "]" },
	{ "socket-query", NULL, OPT_STR, CFG(socket_query), .arg = "PATH",
	  .help = "query socket (SOCK_STREAM) [" DEFAULT_SOCKET_QUERY "]" },
	{ "socket-group", NULL, OPT_STR, CFG(socket_group), .min = 1,
	  .arg = "GROUP",
	  .help = "group of the two sockets memlogd binds (a name in\n"
		  "/etc/group or a number); its members may read the\n"
		  "logs and register sources [the owner's]" },
	{ "socket-mode", NULL, OPT_FUNC, CFG(socket_mode), .parse = parse_mode,
	  .bad = ": not an octal mode giving the owner rw (0600 to 0777)",
	  .arg = "MODE",
	  .help = "mode of the two sockets [0660 with --socket-group,\n"
		  "else 0600]" },
	{ "fd-log", NULL, OPT_FUNC, CFG(fd_log), .parse = parse_fd,
	  .bad = ": not a file descriptor", .arg = "N",
	  .help = "use inherited bound datagram socket N" },
	{ "fd-query", NULL, OPT_FUNC, CFG(fd_query), .parse = parse_fd,
	  .bad = ": not a file descriptor", .arg = "N",
	  .help = "use inherited listening stream socket N" },
	{ "buffer-size", NULL, OPT_SIZE, CFG(buffer_size), .min = 64u << 10,
	  .max = 1ull << 40, .bad = " must be 64K to 1T", .arg = "SIZE",
	  .help = "ring size in bytes, K/M/G suffixes [4M]" },
	{ "max-lines", NULL, OPT_NUM, CFG(max_lines), .max = UINT32_MAX,
	  .arg = "N", .help = "also cap the ring at N entries [no cap]" },
	{ "max-line-len", NULL, OPT_SIZE, CFG(max_line_len),
	  .min = LINEBUF_MIN_MAX, .max = LINEBUF_MAX_MAX,
	  .bad = " must be 8 to 1048576", .arg = "N",
	  .help = "split lines longer than N bytes into parts\n"
		  "(8 to 1048576) [8192]" },
	{ "rate-limit", NULL, OPT_FUNC, .parse = parse_rate_limit,
	  .bad = " takes LINES/SECONDS, e.g. 1000/1", .arg = "N[/SEC]",
	  .help = "per-source limit: lines over N per SEC seconds are\n"
		  "dropped and counted in one notice [off]" },
	{ "max-sources", NULL, OPT_NUM, CFG(max_sources), .min = 1,
	  .max = 1u << 20, .arg = "N",
	  .help = "registered file descriptors at most [from RLIMIT_NOFILE]" },
	{ "max-readers", NULL, OPT_NUM, CFG(max_readers), .min = 1,
	  .max = 65536, .arg = "N", .help = "query clients at most [256]" },
	{ "reader-buffer", NULL, OPT_SIZE, CFG(reader_buffer), .min = 4096,
	  .max = 64u << 20, .arg = "SIZE",
	  .help = "output buffer per query client [64K]" },
	{ "request-timeout", NULL, OPT_NUM, CFG(request_timeout_ms), .min = 1,
	  .max = 3600000, .arg = "MS",
	  .help = "a query client must send its request within MS [10000]" },
	{ "batch-delay", NULL, OPT_NUM, CFG(batch_delay_us), .max = 100000,
	  .arg = "USEC",
	  .help = "after a wake-up that read little, wait USEC so the\n"
		  "next reads many lines at once; 0 = never [100]" },
	{ "kmsg", NULL, OPT_OPTIONAL, CFG(kmsg), .dflt = DEFAULT_KMSG,
	  .arg = "PATH",
	  .help = "read the kernel log (source \"kmsg\") [" DEFAULT_KMSG "]" },
	{ "syslog", NULL, OPT_OPTIONAL, CFG(syslog), .dflt = DEFAULT_SYSLOG,
	  .arg = "PATH",
	  .help = "serve syslog(3) clients on a datagram socket\n"
		  "[" DEFAULT_SYSLOG "]" },
	{ "state-dir", NULL, OPT_STR, CFG(state_dir), .arg = "DIR",
	  .help = "where the kernel log position is kept across\n"
		  "restarts [" DEFAULT_STATE_DIR "]" },
	{ "max-containers", NULL, OPT_NUM, CFG(max_containers), .min = 1,
	  .max = 65536, .arg = "N",
	  .help = "containers known at most (registered by memlog-runc\n"
		  "or recognized by their cgroup) [1024]" },
	{ "container-linger", NULL, OPT_NUM, CFG(container_linger_s),
	  .max = 86400, .arg = "SEC",
	  .help = "keep a container known SEC seconds after it ended,\n"
		  "for its late kernel events [60]" },
	{ "views", NULL, OPT_BOOL, CFG(views),
	  .help = "serve each registered container its own query\n"
		  "socket, and each user of the main one only their\n"
		  "own sources [true]" },
	{ "view-dir", NULL, OPT_STR, CFG(view_dir), .min = 1, .arg = "DIR",
	  .help = "where the containers' query sockets are made\n"
		  "[" DEFAULT_VIEW_DIR "]" },
	{ "view-readers", NULL, OPT_NUM, CFG(view_readers), .min = 1,
	  .max = 4096, .arg = "N",
	  .help = "query clients per container view at most [16]" },
	{ "readers-group", NULL, OPT_STR, CFG(readers_group), .min = 1,
	  .arg = "GROUP",
	  .help = "members of GROUP (a name in /etc/group or a\n"
		  "number) read everything on the main query socket,\n"
		  "as root does [--socket-group's, else none]" },
	{ "fd-store", NULL, OPT_FLAG, CFG(fd_store),
	  .help = "keep sources in the service manager's fd store\n"
		  "(systemd FileDescriptorStoreMax=), so that they\n"
		  "outlive a restart of memlogd [off]" },
	{ "fd-holder", NULL, OPT_STR, CFG(fd_holder), .min = 1, .arg = "PATH",
	  .help = "the fd holder that keeps sources, the ring and the\n"
		  "sockets while memlogd restarts, or \"no\"\n"
		  "[memlog-fdholder next to memlogd, or on PATH]" },
	{ "release", NULL, OPT_FLAG, CFG(release),
	  .help = "tell the fd holder of these sockets to let\n"
		  "everything go (writers then see their pipes close),\n"
		  "remove the socket files, and exit" },
	{ "upgrade", NULL, OPT_FLAG, CFG(upgrade),
	  .help = "ask the memlogd serving these sockets to execute its\n"
		  "binary again (a newer one, say) with every fd, the\n"
		  "ring and its readers kept; exit 0 once it has, 1 if\n"
		  "it refused (it then goes on as it was)" },
	{ "console", NULL, OPT_BOOL, CFG(console),
	  .help = "mirror every entry to stdout as TIME;SOURCE;MSG" },
	{ "daemonize", NULL, OPT_BOOL, CFG(daemonize),
	  .help = "bind the sockets, fork a copy into the background\n"
		  "and exit 0 once it serves (1 if it cannot start)" },
	/* Not listed: for a parent that binds the sockets and hands them
	 * down with --fd-log and --fd-query (docs/memlogd.md). */
	{ "unlink-on-exit", NULL, OPT_FLAG, CFG(unlink_on_exit) },
	/* Not listed: the live upgrade's two steps (docs/memlogd.md). */
	{ "upgrade-check", NULL, OPT_FLAG, CFG(upgrade_check) },
	{ "upgrade-from", NULL, OPT_FUNC, CFG(upgrade_from), .parse = parse_fd,
	  .bad = ": not a file descriptor", .arg = "FD" },
	{ "help", .kind = OPT_HELP },
	{ "version", .kind = OPT_VERSION },
};

static const char usage_head[] =
"Usage: memlogd [OPTION]...\n"
"Collects log lines from file descriptors passed over a unix socket, keeps\n"
"them in a bounded in-memory ring and serves them on a query socket.\n"
"Single-dash forms (-socket-log PATH, -max-lines=N) work as in LinuxKit.\n"
"--kmsg and --syslog take PATH after '=' or, when it starts with /, ./ or\n"
"../, as the next word (--kmsg /dev/kmsg).\n"
"\n";

static const char usage_tail[] =
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
	cfg->socket_mode = -1;
	cfg->fd_log = -1;
	cfg->fd_query = -1;
	cfg->upgrade_from = -1;
	cfg->max_line_len = 8192;
	cfg->buffer_size = 4u << 20;
	cfg->max_readers = 256;
	cfg->reader_buffer = 64u << 10;
	cfg->request_timeout_ms = 10000;
	cfg->batch_delay_us = 100;
	cfg->state_dir = DEFAULT_STATE_DIR;
	cfg->max_containers = 1024;
	cfg->container_linger_s = 60;
	cfg->views = true;
	cfg->view_dir = DEFAULT_VIEW_DIR;
	cfg->view_readers = 16;
	cfg->readers_gid = UINT64_MAX;
}

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 24,
						.prog = "memlogd", .usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *memlogd_options(void)
{
	return &table;
}

enum opts_result memlogd_parse_args(int argc, char **argv,
				    struct memlogd_config *cfg, char *err,
				    size_t errlen, void *out)
{
	int operand;

	switch (opt_parse_main(&table, argc, argv, cfg, &operand, err, errlen,
			       out)) {
	case OPT_HELP_ASKED:
	case OPT_VERSION_ASKED:
		return OPTS_EXIT_OK;
	case OPT_USAGE:
		return OPTS_USAGE;
	case OPT_RUN:
		break;
	}
	/* The ring must hold two of the longest entries. */
	if (2 * ((uint64_t)cfg->max_line_len + RING_HDR) > cfg->buffer_size) {
		snprintf(err, errlen, "--buffer-size must be at least twice "
			 "--max-line-len + %u bytes", RING_HDR);
		return OPTS_USAGE;
	}
	return OPTS_RUN;
}
