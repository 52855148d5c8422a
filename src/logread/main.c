/* logread: prints memlogd's log. Without memlog's extensions it speaks
 * LinuxKit's one-byte protocol and prints LinuxKit's TIME;SOURCE;MSG lines,
 * so it works against either daemon; any extension makes it send memlog's
 * text request (see request.h). main() reads the options and wires the
 * parts together. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bundle.h"
#include "conn.h"
#include "cursorfile.h"
#include "diag.h"
#include "options.h"
#include "pager.h"
#include "output.h"
#include "request.h"
#include "session.h"
#include "sources.h"
#include "timesel.h"
#include "util.h"

const char *diag_prog = "logread";

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct logread_opts *o)
{
	char err[256];

	switch (logread_parse_args(argc, argv, o, err, sizeof(err), stdout)) {
	case OPT_RUN:
		return -1;
	case OPT_USAGE:
		diag_usage("%s", err);
		return LR_EXIT_USAGE;
	default:
		return LR_EXIT_OK;
	}
}

/* Reads the cursor file into cursor if it holds one. Returns -1 to go on,
 * else the exit code. */
static int load_cursor(const char *path, char cursor[CURSOR_TEXT_MAX + 1],
		       bool *found)
{
	int r = cursorfile_read(path, cursor);

	if (r == -EINVAL) {
		diag_warn("the cursor file %s holds no valid cursor; remove it "
			  "to start from the beginning", path);
		return LR_EXIT_CURSOR;
	}
	if (r < 0) {
		diag_warn_err(r, "cannot read the cursor file %s", path);
		return LR_EXIT_CURSOR;
	}
	*found = r == 1;
	r = cursorfile_probe(path);
	if (r < 0) {
		diag_warn_err(r, "cannot write the cursor file %s", path);
		return LR_EXIT_CURSOR;
	}
	return -1;
}

/* --since and --until as ns since the epoch, against the clock now.
 * Returns -1 to go on, else the exit code. */
static int resolve_times(struct logread_opts *o)
{
	uint64_t now = now_realtime_ns();

	if ((o->has_since &&
	     timesel_resolve(&o->since, now, o->utc, &o->since_ns) < 0) ||
	    (o->has_until &&
	     timesel_resolve(&o->until, now, o->utc, &o->until_ns) < 0)) {
		diag_usage("--since or --until is before 1970 or after 2554");
		return LR_EXIT_USAGE;
	}
	if (o->has_since && o->has_until && o->since_ns > o->until_ns) {
		diag_usage("--since is later than --until");
		return LR_EXIT_USAGE;
	}
	return -1;
}

/* NO_COLOR (no-color.org: set and not empty) or a terminal that has
 * none. */
static bool want_no_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return (nc && *nc) || (term && !strcmp(term, "dumb"));
}

static void make_request(const struct logread_opts *o, const char *after,
			 struct request *req)
{
	bool start = after || o->has_lines;

	memset(req, 0, sizeof(*req));
	req->v2 = o->v2;
	req->after = after;
	req->has_last = o->has_lines;
	req->last = o->lines;
	req->globs = o->globs;
	req->nglobs = o->nglobs;
	req->has_prio = o->has_prio;
	req->prio_min = o->prio_min;
	req->prio_max = o->prio_max;
	req->fac_mask = o->fac_mask;
	req->has_since = o->has_since;
	req->since_ns = o->since_ns;
	req->has_until = o->has_until;
	req->until_ns = o->until_ns;
	req->stream_mask = o->stream_mask;
	req->grep = o->grep;
	req->grep_icase = o->grep_icase;
	/* memlog's clients read memlog's binary records: no JSON to parse. */
	req->binary = o->v2 && !o->stats;
	/* Without a memlog option: LinuxKit's byte, and memlog's request
	 * for binary records behind it, which LinuxKit's daemon ignores. */
	req->upgrade = !o->v2 && !o->legacy_request && !o->stats;
	if (o->stats)
		req->mode = QUERY_STATS;
	else if (o->dump_follow || (o->follow && start))
		req->mode = QUERY_DUMP_FOLLOW; /* -F wins over -f, as in LinuxKit */
	else if (o->follow)
		req->mode = QUERY_FOLLOW;
	else
		req->mode = QUERY_DUMP;
}

/* With a cursor file, SIGINT, SIGTERM and SIGHUP end the session in good
 * order (the cursor is written) instead of killing logread: they are
 * blocked and read from a signalfd. A SIGINT or SIGHUP that our parent
 * chose to ignore (nohup, a background job of a script) stays ignored.
 * Returns the fd, or -1 with a message. */
static int stop_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old;

		if (sigs[i] != SIGTERM && sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&set, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		diag_warn_err(errno, "cannot set up signals");
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct logread_opts opts;
	char file_cursor[CURSOR_TEXT_MAX + 1];
	char req_buf[REQUEST_MAX];
	struct request req;
	struct output out;
	struct session sess;
	bool have_file_cursor = false;
	int code, sock, sigfd = -1, n, r;
	pid_t pager;
	bool tty;

	code = parse_args(argc, argv, &opts);
	if (code >= 0)
		return code;
	/* A closed output pipe shows up as EPIPE from write(). */
	signal(SIGPIPE, SIG_IGN);

	if (opts.cursor_file) {
		code = load_cursor(opts.cursor_file, file_cursor,
				   &have_file_cursor);
		if (code >= 0)
			return code;
	}
	code = resolve_times(&opts);
	if (code >= 0)
		return code;
	if (opts.sources)
		return sources_run(opts.socket, opts.format,
				   isatty(STDOUT_FILENO) && !opts.utc);
	make_request(&opts, opts.after ? opts.after :
		     have_file_cursor ? file_cursor : NULL, &req);
	n = request_build(&req, req_buf, sizeof(req_buf));
	if (n < 0) {
		diag_warn("the request is too long for the server (at most %d "
			  "bytes); use fewer or shorter -source patterns",
			  QUERY_LINE_MAX);
		return LR_EXIT_USAGE;
	}

	if (opts.cursor_file) {
		sigfd = stop_signals();
		if (sigfd < 0)
			return LR_EXIT_RUNTIME;
	}

	sock = conn_open(opts.socket, false);
	if (sock < 0) {
		if (sock == -ENAMETOOLONG)
			diag_warn("cannot connect to %s: path too long for a "
				  "unix socket", opts.socket);
		else
			diag_warn_err(sock, "cannot connect to %s", opts.socket);
		return LR_EXIT_CONNECT;
	}
	r = conn_send(sock, req_buf, (size_t)n);
	if (opts.bundle && r == 0) {
		req_buf[n - 1] = '\0'; /* the line, for the manifest */
		return bundle_take(&(struct bundle_opts){ opts.bundle,
			opts.socket, req_buf, opts.redact, opts.nredact }, sock);
	}

	pager = opts.pager ? pager_start() : 0;
	if (pager < 0)
		diag_warn_err((int)pager, "cannot start the pager");
	tty = isatty(STDOUT_FILENO) || pager > 0;
	output_init(&out, STDOUT_FILENO, opts.format, tty);
	out.reverse = opts.reverse;
	/* For a person only: a pipe gets LinuxKit's UTC and no escapes. */
	out.local = tty && !opts.utc;
	out.color = tty && !opts.no_color && !want_no_color();
	/* Binary records for LinuxKit's byte print as its JSON would. */
	out.as_linuxkit = req.upgrade;
	session_init(&sess, sock, sigfd, &out);
	session_expect(&sess, &req);
	if ((opts.follow || opts.dump_follow) && !opts.stats)
		session_follow(&sess, opts.socket, &req);
	if (!opts.after && have_file_cursor)
		sess.cursor_file = opts.cursor_file;
	if (r < 0)
		code = session_unsent(&sess, r, opts.socket);
	else if (opts.stats) {
		if (opts.format == OUT_LEGACY && tty)
			sess.stats_oldest_ns = sources_oldest_time(opts.socket);
		code = session_stats(&sess);
	} else {
		code = session_entries(&sess);
	}

	if (opts.cursor_file && sess.saved_len) {
		r = cursorfile_write(opts.cursor_file, sess.saved, sess.saved_len);
		if (r < 0) {
			diag_warn_err(r, "cannot write the cursor file %s",
				      opts.cursor_file);
			if (code == LR_EXIT_OK)
				code = LR_EXIT_CURSOR;
		}
	}
	session_free(&sess);
	if (sigfd >= 0)
		close(sigfd);
	pager_wait(pager);
	return code;
}
