/* memlogd's command line: LinuxKit's Go-style flags and GNU long options. */
#ifndef MEMLOGD_OPTIONS_H
#define MEMLOGD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEFAULT_SOCKET_LOG "/var/run/linuxkit-external-logging.sock"
#define DEFAULT_SOCKET_QUERY "/var/run/memlogdq.sock"
#define DEFAULT_KMSG "/dev/kmsg"
#define DEFAULT_SYSLOG "/dev/log"
#define DEFAULT_STATE_DIR "/run/memlog"
#define DEFAULT_VIEW_DIR "/run/memlog/views"

struct memlogd_config {
	const char *socket_log;     /* registration socket path */
	const char *socket_query;   /* query socket path */
	const char *socket_group;   /* group of the sockets memlogd binds, or
				     * NULL: the owner's */
	int socket_mode;            /* their mode; -1: 0660 with a group,
				     * else 0600 */
	int fd_log;                 /* inherited bound SOCK_DGRAM, or -1 */
	int fd_query;               /* inherited listening SOCK_STREAM, or -1 */
	uint64_t max_lines;         /* entry cap; 0 = bytes only */
	uint32_t max_line_len;      /* longest entry before a split */
	uint64_t buffer_size;       /* ring bytes */
	bool daemonize;
	bool console;               /* mirror entries to stdout */
	uint32_t rate_lines;        /* per-source limit; 0 = none */
	uint32_t rate_seconds;
	uint32_t max_sources;       /* 0 = derived from RLIMIT_NOFILE */
	uint32_t max_readers;
	uint32_t reader_buffer;     /* per-reader output buffer bytes */
	uint32_t request_timeout_ms;/* a query client must ask within this */
	uint32_t batch_delay_us;    /* pause after a turn that read little */
	const char *kmsg;           /* kernel log device to read, or NULL */
	const char *syslog;         /* syslog socket to serve, or NULL */
	const char *state_dir;      /* small state files (kmsg position) */
	uint32_t max_containers;    /* the container registry's bound */
	uint32_t container_linger_s;/* kept after the container ended */
	bool views;                 /* per-container and per-user views */
	const char *view_dir;       /* containers' query sockets */
	uint32_t view_readers;      /* query clients per container view */
	const char *readers_group;  /* --readers-group as written, or NULL */
	uint64_t readers_gid;       /* its gid (main looks it up; by default
				     * --socket-group's), or UINT64_MAX */
	bool unlink_on_exit;        /* remove socket paths bound by a parent */
	bool fd_store;              /* sources into the manager's fd store */
	const char *fd_holder;      /* memlog-fdholder's path; NULL: found
				     * next to memlogd or on PATH; "no": none */
	bool release;               /* tell the holder to let go, and exit */
	bool upgrade;               /* ask the running memlogd to upgrade */
	bool upgrade_check;         /* say which handovers we take, exit */
	int upgrade_from;           /* handover memfd of a live upgrade, or -1 */
};

enum opts_result {
	OPTS_RUN = 0,
	OPTS_EXIT_OK = 1,    /* --help or --version was printed */
	OPTS_USAGE = -1,     /* error message in err */
};

void memlogd_config_defaults(struct memlogd_config *cfg);

/* The option table, for its unit test. */
struct opt_table;
const struct opt_table *memlogd_options(void);

/* Parses argv. On OPTS_USAGE, err holds a one-line reason. --help and
 * --version print to out. */
enum opts_result memlogd_parse_args(int argc, char **argv,
				    struct memlogd_config *cfg, char *err,
				    size_t errlen, void *out /* FILE * */);

#endif
