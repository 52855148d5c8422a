/* Integration test harness: starts the real memlogd (and the other built
 * programs, found through $MEMLOG_BUILD, default "build") in a private temp
 * dir, talks to it over real unix sockets, and stops it. Every wait has a
 * deadline; a missed deadline fails the test, it never hangs. Daemons a
 * failed test leaves behind are killed by h_teardown() (use it as each
 * test's teardown) and at exit. */
#ifndef MEMLOG_ITEST_HARNESS_H
#define MEMLOG_ITEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

/* Default deadline of one wait. */
#define H_TIMEOUT_MS 5000

/* An fd the child inherits: the parent's fd `from` becomes `to`. */
struct h_fdmap {
	int from;
	int to;
};

struct mld_opts {
	/* Extra arguments, NULL-terminated. "%L", "%Q" and "%D" inside an
	 * argument are replaced by the log socket path, the query socket
	 * path and the temp dir. */
	const char *const *args;
	bool no_socket_args;  /* do not add --socket-log/--socket-query */
	bool capture_stdout;  /* m->out_fd reads the daemon's stdout */
	rlim_t nofile;        /* nonzero: RLIMIT_NOFILE soft = hard = this */
	const struct h_fdmap *fds; /* inherited fds */
	int nfds;
	bool listen_fds;      /* set LISTEN_FDS=nfds and LISTEN_PID=child */
	const char *const *env; /* extra "KEY=VALUE", NULL-terminated */
	bool keep_sockets;    /* the daemon does not own the socket files */
	bool no_wait;         /* do not wait until the sockets answer */
};

struct mld {
	pid_t pid;            /* 0 when not running */
	char dir[64];         /* private temp dir */
	char log[128];        /* DIR/log.sock */
	char query[128];      /* DIR/q.sock */
	char errfile[128];    /* the daemon's stderr: DIR/memlogd.err */
	int out_fd;           /* its stdout when captured, else -1 */
	bool keep_sockets;
};

/* Paths of the programs under test. */
const char *h_build(void);
void h_prog(char *out, size_t cap, const char *name);
bool h_prog_exists(const char *name);
/* Is the memlogd under test built with a sanitizer (RSS is not real)? */
bool h_sanitized(void);

/* Makes m's temp dir and paths (mld_start does it when not yet done). */
void mld_init(struct mld *m);
/* Starts memlogd and waits (H_TIMEOUT_MS) until both sockets answer. */
void mld_start(struct mld *m, const struct mld_opts *o);
/* Waits until both sockets answer, failing if the daemon exits. */
void mld_wait_ready(struct mld *m);
/* SIGTERM; asserts exit status 0 and (unless keep_sockets) that the socket
 * files are gone; removes the temp dir. */
void mld_stop(struct mld *m);
/* Sends sig and returns the wait status (the dir is kept). */
int mld_signal_wait(struct mld *m, int sig);
/* SIGKILL and reap; the dir is kept. */
void mld_kill9(struct mld *m);
/* Kills the daemon if it runs and removes the dir. */
void mld_cleanup(struct mld *m);
/* The daemon's stderr so far (malloc'd, NUL-terminated). */
char *mld_stderr(const struct mld *m);

/* Other processes a test starts: killed by h_teardown if still tracked. */
void h_track_pid(pid_t pid);
void h_untrack_pid(pid_t pid);

/* For cmocka_unit_test_teardown: kills and cleans what a test left. */
int h_teardown(void **state);

/* Waits for a child; returns its wait status, fails the test on timeout
 * (and kills it). */
int h_wait_pid(pid_t pid, int timeout_ms);

/* Runs a program to completion (argv[0] is a path); its stdout and stderr
 * are returned (malloc'd, NUL-terminated) when out/err are non-NULL.
 * Returns the wait status. env: extra "K=V" entries. */
/* Starts argv[0] in the background with stdin and stdout on /dev/null and
 * stderr into errfile (truncated first, or appended to), no other fd, and
 * default SIGPIPE/SIGALRM; tracked for h_teardown(). Returns its pid. */
pid_t h_spawn(const char *const *argv, const char *errfile, bool truncate);

int h_run(const char *const *argv, const char *const *env, int timeout_ms,
	  char **out, char **err);

/* Time. */
uint64_t h_now_ms(void);
uint64_t h_now_ns(void);
void h_sleep_ms(unsigned ms);

/* Registration: one datagram with payload and fds (SCM_RIGHTS). Returns 0
 * or -errno. */
int h_register(const char *path, const void *payload, size_t len,
	       const int *fds, int nfds);
/* Makes a pipe, registers its read end under name, returns the write end. */
int h_register_pipe(const struct mld *m, const char *name);
/* Same with a raw datagram payload (name plus attributes). */
int h_register_pipe_raw(const struct mld *m, const void *payload, size_t len);

/* Writes everything or fails the test. */
void h_write_all(int fd, const void *buf, size_t len);
void h_writef(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Query socket. */
int h_connect_try(const char *path); /* fd or -errno */
int h_connect(const char *path);
/* Connects and sends len bytes. */
int h_query_bytes(const struct mld *m, const void *req, size_t len);
int h_query(const struct mld *m, const char *req);
/* Reads until the peer closes (EOF or ECONNRESET), within timeout_ms, then
 * closes fd. Returns the bytes (NUL-terminated, malloc'd). */
char *h_read_all_close(int fd, int timeout_ms, size_t *len);

/* A buffered line reader on a socket. */
struct h_conn {
	int fd;
	char *buf;
	size_t len, off, cap;
	bool eof;
};
void h_conn_init(struct h_conn *c, int fd);
/* Next line without its '\n' (malloc'd, NUL-terminated), or NULL at EOF.
 * Fails the test when no whole line arrives within timeout_ms. */
char *h_conn_line(struct h_conn *c, int timeout_ms, size_t *len);
/* Next line parsed as JSON (NULL at EOF). */
json_t *h_conn_json(struct h_conn *c, int timeout_ms);
/* Waits for EOF, failing on any further data or the deadline. */
void h_conn_expect_eof(struct h_conn *c, int timeout_ms);
void h_conn_close(struct h_conn *c);

/* JSON. */
json_t *h_json(const char *s, size_t len);      /* asserts it parses */
json_t *h_json_try(const char *s, size_t len);  /* NULL if not JSON */
/* Splits NDJSON into an array of parsed objects (asserts each parses and
 * the text ends in '\n'). */
json_t *h_ndjson(const char *s, size_t len);
/* Sends req, reads everything, parses it. */
json_t *h_dump(const struct mld *m, const char *req);
/* Object member by dotted path ("ring.oldest_seq"), or NULL. */
json_t *h_jget(json_t *o, const char *path);
json_int_t h_jint(json_t *o, const char *path);     /* asserts an integer */
const char *h_jstr(json_t *o, const char *path);    /* asserts a string */
bool h_jbool(json_t *o, const char *path);          /* asserts a boolean */

/* Stats. */
json_t *h_stats_try(const struct mld *m);
json_t *h_stats(const struct mld *m);
/* The sources[] entry with that name and stream (borrowed), or NULL. */
json_t *h_stats_source(json_t *stats, const char *name, const char *stream);
/* A source's counter, -1 if there is no such source. */
json_int_t h_source_stat(const struct mld *m, const char *name,
			 const char *stream, const char *field);
/* Polls stats until the value equals want (fails when the deadline
 * passes). */
void h_wait_source_stat(const struct mld *m, const char *name,
			const char *stream, const char *field, json_int_t want);
void h_wait_stat(const struct mld *m, const char *path, json_int_t want);
/* A stats round trip: everything the daemon could read before it has
 * been read. */
void h_barrier(const struct mld *m);

/* /proc. */
int h_fd_count(pid_t pid);
long h_rss_kb(pid_t pid);
/* CPU time (user + system) the process has used, in ms. */
uint64_t h_cpu_ms(pid_t pid);
void h_wait_fd_count(pid_t pid, int want, int timeout_ms);

/* Format checks. */
/* RFC 3339, nanoseconds with trailing zeros trimmed, "Z"; sets *ns. */
bool h_parse_rfc3339nano(const char *s, size_t len, uint64_t *ns);
bool h_valid_utf8(const char *s, size_t len);
/* Fills a unix socket address (fails the test if path is too long). */
struct sockaddr_un;
void h_sun_path(struct sockaddr_un *sa, const char *path);
/* Removes a directory tree. */
void h_rmtree(const char *path);
char *h_read_file(const char *path, size_t *len);

/* ---- logwrite under test ----
 * Its log directory is DIR/logs in a memlogd's temp dir, its stderr
 * DIR/logwrite.err (appended to across runs). */

/* Generous: logwrite's reconnect and retry backoff caps at 5 s. */
#define LW_WAIT_MS 15000

struct lw {
	pid_t pid;
	char dir[160];     /* the log directory */
	char err[160];     /* logwrite's stderr */
	char root[200];    /* prefix to reach dir (another mount namespace) */
};

/* Skips the test when logwrite is not built. */
void lw_need(void);
/* Makes m's temp dir (if needed) and DIR/logs in it. */
void lw_init(struct lw *l, struct mld *m);
/* argv for logwrite: -socket Q -log-dir DIR, then extra (NULL-ended; at
 * most 25). prog (cap bytes) holds the program's path. */
void lw_argv(const struct lw *l, const struct mld *m, const char *const *extra,
	     char *prog, size_t cap, const char **argv);
/* Starts logwrite in the background (tracked for h_teardown()). */
void lw_start(struct lw *l, const struct mld *m, const char *const *extra);
/* Runs logwrite to its end; returns the wait status, stderr in *err. */
int lw_run(struct lw *l, const struct mld *m, const char *const *extra,
	   char **err);
/* Its stderr so far (malloc'd). */
char *lw_stderr(const struct lw *l);
/* Waits until process pid blocks SIGTERM (logwrite takes it from a
 * signalfd from then on): a SIGTERM sent earlier would simply kill it. */
void h_wait_sigterm_blocked(pid_t pid);
/* Sends sig once SIGTERM is blocked; returns the wait status. */
int lw_signal_wait(struct lw *l, int sig);
/* SIGTERM: asserts that logwrite commits and exits 0. */
void lw_stop(struct lw *l);
/* Asserts exit status want (err is shown otherwise). */
void lw_expect_exit(int st, int want, const char *err);
/* A file in the log directory: its path, its content (malloc'd, NULL if
 * it does not exist), whether it exists (lstat), writing it. */
void lw_path(char *out, size_t cap, const struct lw *l, const char *name);
char *lw_file(const struct lw *l, const char *name, size_t *len);
bool lw_exists(const struct lw *l, const char *name);
void lw_put(const struct lw *l, const char *name, const char *text);
/* Sets a file's access and modification time to age seconds ago. */
void lw_set_old(const struct lw *l, const char *name, time_t age);
/* Waits until the file exists and contains needle. */
void lw_wait_contains(const struct lw *l, const char *name, const char *needle);
/* Waits until logwrite's stderr contains needle. */
void lw_wait_stderr(const struct lw *l, const char *needle);
/* The names in the log directory, sorted, joined by '|' (malloc'd); names
 * starting with a dot (the state file) are left out. */
char *lw_listing(const struct lw *l);
/* Waits until the log directory holds exactly want (a running logwrite
 * may be between two steps of a rotation). */
void lw_expect_listing(const struct lw *l, const char *want);
/* How many times needle occurs in s. */
int h_count_str(const char *s, const char *needle);

#endif
