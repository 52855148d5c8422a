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

/* Default deadline of one wait. Only a failing test waits this long, so it
 * is generous: CI machines are shared, the sanitizer build is several
 * times slower, and a deadline met on a quiet machine was missed there. */
#define H_TIMEOUT_MS 15000

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
/* The same, keeping the dir (and its state) for a restart. */
void mld_stop_keep(struct mld *m);
/* Sends sig and returns the wait status (the dir is kept). */
int mld_signal_wait(struct mld *m, int sig);
/* SIGKILL and reap; the dir is kept. */
void mld_kill9(struct mld *m);
/* Ends fd holders of memlogd whose test directory is gone (h_teardown
 * calls it). */
void h_kill_orphan_holders(void);
/* Tells the daemon's fd holder (if it has one) to let everything go:
 * memlogd --release. Returns the wait status (0 when there is none). */
int mld_release(struct mld *m);
/* The pid of the fd holder serving the daemon's holder socket
 * (SOCKET_LOG.holder), found by its command line in /proc; 0 if none
 * runs. */
pid_t mld_holder_pid(const struct mld *m);
/* Kills the daemon if it runs, releases its holder and removes the dir. */
void mld_cleanup(struct mld *m);
/* The daemon's stderr so far (malloc'd, NUL-terminated). */
char *mld_stderr(const struct mld *m);

/* Other processes a test starts: killed by h_teardown if still tracked. */
void h_track_pid(pid_t pid);
void h_untrack_pid(pid_t pid);

/* For cmocka_unit_test_teardown: kills and cleans what a test left. */
int h_teardown(void **state);

/* Runs an itest binary's tests (in place of cmocka_run_group_tests_name).
 * With MEMLOG_TEST_FILTER=PATTERN in the environment only the tests whose
 * names match run ('*' any characters, '?' one; tests/README.md). */
#define h_run_tests(name, tests, setup, teardown) \
	h_run_group(name, tests, sizeof(tests) / sizeof((tests)[0]), setup, \
		    teardown)
int h_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		CMFixtureFunction setup, CMFixtureFunction teardown);

/* Waits for a child; returns its wait status, fails the test on timeout
 * (and kills it). */
int h_wait_pid(pid_t pid, int timeout_ms);

/* Starts argv[0] in the background with stdin and stdout on /dev/null and
 * stderr into errfile (truncated first, or appended to), no other fd, and
 * default SIGPIPE/SIGALRM; tracked for h_teardown(). Returns its pid. */
pid_t h_spawn(const char *const *argv, const char *errfile, bool truncate);
/* The same with setup(arg) run in the child just before exec (it may
 * _exit with a code of its own when a step fails). */
pid_t h_spawn_setup(const char *const *argv, const char *errfile,
		    bool truncate, void (*setup)(void *arg), void *arg);

/* Runs a program to completion (argv[0] is a path) with stdin on
 * /dev/null, no other fd and default SIGPIPE/SIGALRM; its stdout and
 * stderr are returned (malloc'd, NUL-terminated) when out/err are
 * non-NULL. Returns the wait status; past timeout_ms it is killed and the
 * test fails. env: extra "K=V" entries. */
int h_run(const char *const *argv, const char *const *env, int timeout_ms,
	  char **out, char **err);
/* The same with setup(arg) run in the child just before exec. */
int h_run_setup(const char *const *argv, const char *const *env,
		int timeout_ms, char **out, char **err,
		void (*setup)(void *arg), void *arg);
/* h_run of the build's program name (h_prog) with args (NULL-terminated). */
int h_run_prog(const char *name, const char *const *args, int timeout_ms,
	       char **out, char **err);

/* In a child between fork and exec, for tests that fork themselves:
 * closes every fd from lowfd up; adds "K=V" entries to the environment;
 * puts SIGPIPE and SIGALRM back to their defaults (the harness ignores
 * the one and catches the other). */
void h_child_close_from(int lowfd);
void h_child_env(const char *const *env);
void h_child_signals(void);

/* Time: ms and us on CLOCK_MONOTONIC, ns on CLOCK_REALTIME. */
uint64_t h_now_ms(void);
uint64_t h_now_us(void);
uint64_t h_now_ns(void);
void h_sleep_ms(unsigned ms);

/* Registration: one datagram with payload and fds (SCM_RIGHTS). Returns 0
 * or -errno. */
int h_register(const char *path, const void *payload, size_t len,
	       const int *fds, int nfds);
/* Registration with ack=1 (docs/protocol.md): payload must hold the
 * attribute; the write end of a fresh pipe goes last, after fds, for the
 * answer. Returns the answer (malloc'd): "ok\n", "refused: WHY\n", or ""
 * when memlogd closed the pipe without a line. */
char *h_register_acked(const char *path, const void *payload, size_t len,
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
/* SIGSTOP, returning once the process is stopped (what it is sent
 * meanwhile waits in its queues); SIGCONT. */
void h_freeze(pid_t pid);
void h_thaw(pid_t pid);

/* Format checks. */
/* RFC 3339, nanoseconds with trailing zeros trimmed, "Z"; sets *ns. */
bool h_parse_rfc3339nano(const char *s, size_t len, uint64_t *ns);
bool h_valid_utf8(const char *s, size_t len);
/* Fills a unix socket address (fails the test if path is too long). */
struct sockaddr_un;
void h_sun_path(struct sockaddr_un *sa, const char *path);
/* One datagram (len bytes; h_send_str: a string) to the unix socket at
 * path, waiting up to H_TIMEOUT_MS for room; fails the test if it is not
 * sent whole. */
void h_send_dgram(const char *path, const void *buf, size_t len);
void h_send_str(const char *path, const char *s);
/* Removes a directory tree. */
void h_rmtree(const char *path);
char *h_read_file(const char *path, size_t *len);
/* Creates (or truncates) path with mode and writes text. */
void h_write_file(const char *path, const char *text, mode_t mode);

/* Small things tests share. */
/* Skips the test, saying why, unless it runs as root. */
void h_need_root(const char *why);
/* Asserts a normal exit with status want (st: a wait status); shows err,
 * the stderr of what (may be NULL), when it is not. */
void h_expect_exit(int st, int want, const char *what, const char *err);
/* prefix and hex_digits (1-16) random hex digits: a name no other run
 * used. */
void h_token(char *out, size_t cap, const char *prefix, int hex_digits);
/* A dump's entries as "#   {...}" lines (a long one by its first and
 * last 20). */
void h_print_entries(json_t *a);
/* The first entry of a dump whose msg is msg (borrowed), or NULL; how
 * many there are. */
json_t *h_find_msg(json_t *a, const char *msg);
size_t h_count_msg(json_t *a, const char *msg);
/* Polls the dump request req until an entry with msg is there; returns
 * that dump. Fails after H_TIMEOUT_MS, showing the last dump and memlogd's
 * stderr. */
json_t *h_wait_dump_msg(const struct mld *m, const char *req, const char *msg);
/* memlogd's first notice (source memlogd) that holds w1 and w2 (w2 may be
 * NULL), a new reference; NULL (after printing them all) if none does. */
json_t *h_find_notice(const struct mld *m, const char *w1, const char *w2);
/* The system call process pid sleeps in now (/proc/PID/syscall: x86-64
 * numbers, 0 read, 1 write, 7 poll, 271 ppoll...), or -1 while it runs
 * or when that cannot be read. */
long h_syscall_of(pid_t pid);

/* Waits until process pid blocks sig (a program that takes it from a
 * signalfd from then on: sent earlier, it would simply kill it). */
void h_wait_sig_blocked(pid_t pid, int sig, const char *what);

/* ---- lines that flow while memlogd crashes ----
 * A producer is a process of its own that writes the lines "%06d\n" for
 * 0, 1, 2... into a registered pipe, about 5 a millisecond, until it is
 * stopped: the test goes on while memlogd is down and the pipe is full. */
struct h_producer {
	pid_t pid;
	int stop;   /* closing it stops the producer */
	int count;  /* it writes how many lines it wrote here */
};
/* Starts writing into fd (the test may close its own copy). */
void h_producer_start(struct h_producer *p, int fd);
/* Stops it; returns how many lines it wrote (0 to n-1). */
int h_producer_stop(struct h_producer *p);
/* Waits until the source's "lines" counter has grown by n. */
void h_wait_lines_grow(const struct mld *m, const char *name,
		       const char *stream, json_int_t n);
/* Waits until the file holds needle at least n times (fails with the
 * file's content after timeout_ms). */
void h_wait_file_count(const char *path, const char *needle, int n,
		       int timeout_ms);
/* The k-th crash a follower (process pid, its stderr in errfile) rides
 * through: once memlogd has accepted its connection (it must be memlogd's
 * only query client), SIGKILLs m's memlogd, waits until the follower has said lost
 * (the k-th time) and has connected again (as many fds as before: the fd
 * holder keeps the socket, so connect() succeeds while memlogd is down),
 * checks that it has not said back more than k-1 times meanwhile (memlogd
 * is not back), then starts memlogd again and waits until it says back
 * the k-th time. */
void h_crash_cycle(struct mld *m, pid_t pid, const char *errfile,
		   const char *lost, const char *back, int k, int timeout_ms);
/* Checks that text is exactly "%06d\n" lines 0 to n-1: every line once,
 * in order (what says which line is missing or repeated). */
void h_expect_sequence(const char *text, int n, const char *what);

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
