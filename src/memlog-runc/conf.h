/* memlog-runc's settings: built-in defaults, then the config file (JSON,
 * parsed with jansson), then --memlog-* options, each overriding the one
 * before. */
#ifndef MEMLOG_RUNC_CONF_H
#define MEMLOG_RUNC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define CONF_DEFAULT_PATH "/etc/memlog/runc.json"
#define CONF_ENV "MEMLOG_RUNC_CONFIG"
/* memlogd's registration socket, as memlogd and memlog-run default it. */
#define CONF_DEFAULT_SOCKET "/var/run/linuxkit-external-logging.sock"
#define CONF_DEFAULT_RUNTIME "runc"
#define CONF_DEFAULT_DOCKER_ROOT "/var/lib/docker"
/* memlogd's --view-dir default: the containers' query sockets. */
#define CONF_DEFAULT_VIEW_DIR "/run/memlog/views"
/* High enough for busy JVMs and build containers, low enough that a fork
 * bomb in one container cannot take the host's PID space (the kernel's
 * pid_max is 32768 to 4194304). */
#define CONF_DEFAULT_PIDS_LIMIT 4096
#define CONF_DEFAULT_ID_LENGTH 12
/* Config files larger than this are refused. */
#define CONF_MAX_BYTES (1u << 20)

struct runc_conf {
	const char *socket;      /* memlogd's registration socket */
	const char *runtime;     /* the real runtime: a path, or a name for PATH */
	const char *docker_root; /* Docker's data root, for container names */
	const char *view_dir;    /* memlogd's --view-dir */
	const char *kmsgfs;      /* memlog-kmsgfs, started for each view, or
				  * NULL */
	long long pids_limit;    /* default linux.resources.pids.limit; 0: none */
	unsigned id_length;      /* generated ids are cut to this; 0: whole */
	bool capture;            /* register stdout/stderr with memlogd */
	json_t *name_annotations; /* owned: see cname_from_annotations() */
	json_t *doc;             /* owned: array of the files applied, which the
				  * strings point into */
};

/* The built-in defaults. Returns 0 or -ENOMEM. */
int runc_conf_defaults(struct runc_conf *c);

/* Applies the settings of a config file's text over c. Unknown keys and
 * wrong types are errors (a typo must not silently change nothing).
 * Returns 0 or -EINVAL with a message in err (cap bytes); c is unchanged
 * on error. */
int runc_conf_parse(struct runc_conf *c, const char *text, size_t len,
		    char *err, size_t cap);

/* Reads path and applies it. A missing file is an error unless
 * missing_ok (the default path). Returns 0 (also for a missing file that
 * is ok), -ENOENT, -EINVAL or another -errno, with a message in err. */
int runc_conf_load(struct runc_conf *c, const char *path, bool missing_ok,
		   char *err, size_t cap);

void runc_conf_free(struct runc_conf *c);

#endif
