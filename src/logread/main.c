/* logread: prints memlogd's log. Without memlog's extensions it speaks
 * LinuxKit's one-byte protocol and prints LinuxKit's TIME;SOURCE;MSG lines,
 * so it works against either daemon; any extension makes it send memlog's
 * text request (see request.h). main() reads the options and wires the
 * parts together. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "conn.h"
#include "cursorfile.h"
#include "output.h"
#include "request.h"
#include "session.h"
#include "util.h"

#define DEFAULT_SOCKET "/var/run/memlogdq.sock"

struct logread_opts {
	const char *socket;       /* query socket path */
	bool follow;              /* -f */
	bool dump_follow;         /* -F */
	bool has_lines;           /* -n given */
	uint64_t lines;
	const char *globs[QUERY_GLOBS_MAX]; /* --source, in order */
	bool has_prio;                      /* -p */
	int prio_min, prio_max;
	uint32_t fac_mask;                  /* --facility */
	unsigned nglobs;
	enum out_format format;   /* -o */
	const char *after;        /* --after-cursor */
	const char *cursor_file;  /* --cursor-file */
	bool stats;               /* --stats */
	bool v2;                  /* an extension was asked for */
};

static void usage(FILE *f)
{
	fputs(
"Usage: logread [-socket PATH] [-f | -F] [OPTIONS]\n"
"\n"
"Prints the log kept in memory by memlogd, one entry per line.\n"
"\n"
"Options (one or two dashes; -opt VALUE and -opt=VALUE both work):\n"
"      -socket PATH       query socket (default " DEFAULT_SOCKET ")\n"
"  -f                     follow: print only new entries, as they arrive\n"
"  -F                     print the log, then follow\n"
"  -h, -help              show this help and exit\n"
"      -version           show the version and exit\n"
"\n"
"memlog extensions (they need memlog's memlogd; LinuxKit's never answers):\n"
"  -n, -lines N           start N entries before the newest\n"
"      -source GLOB       only sources whose name matches the shell pattern\n"
"                         GLOB; repeatable (up to 16), any may match\n"
"  -p, -priority PRIO     only entries of priority PRIO or more severe\n"
"                         (emerg alert crit err warning notice info debug,\n"
"                         or 0-7), or of a range A..B; entries without a\n"
"                         priority (container output) do not match\n"
"      -facility LIST     only entries of these facilities: names (kern,\n"
"                         user, daemon, auth, syslog, cron, local0-local7...)\n"
"                         or numbers 0-23, separated by commas\n"
"  -o, -output FORMAT     legacy  TIME;SOURCE;MSG (the default)\n"
"                         short   TIME SOURCE[STREAM]: MSG\n"
"                         json    the server's JSON object per line\n"
"                         raw     MSG only, split lines joined again\n"
"      -after-cursor C    start after the entry with cursor C\n"
"      -cursor-file F     start after the cursor kept in F (if any) and\n"
"                         store there the cursor of the last entry printed\n"
"      -stats             print the daemon's counters as one JSON object\n"
"-f or -F with a start point (-n, -after-cursor, a cursor in the cursor\n"
"file) prints from that point on, then follows.\n"
"\n"
"On a terminal, control characters in the log are shown as \\xNN.\n"
"\n"
"Exit status:\n"
"  0  success (also: stopped by a signal, or the output pipe was closed)\n"
"  1  runtime error, e.g. the output could not be written\n"
"  2  usage error\n"
"  3  cannot connect to the socket\n"
"  4  protocol error, or the server answered with an error\n"
"  5  the cursor file cannot be read or written\n",
		f);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("logread: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'logread -help'.\n", stderr);
	return LR_EXIT_USAGE;
}

/* Go's flag package takes -f=true and -f=false; so do we. */
static int set_bool_flag(bool *flag, const char *arg, const char *name)
{
	if (!arg) {
		*flag = true;
		return -1;
	}
	if (parse_bool(arg, flag) < 0)
		return usage_error("invalid boolean value for -%s", name);
	return -1;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct logread_opts *o)
{
	enum {
		OPT_SOCKET = 256, OPT_SOURCE, OPT_AFTER, OPT_CURSOR_FILE,
		OPT_STATS, OPT_VERSION, OPT_LONG_F, OPT_LONG_BIG_F, OPT_FACILITY,
	};
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "f", optional_argument, NULL, OPT_LONG_F },
		{ "F", optional_argument, NULL, OPT_LONG_BIG_F },
		{ "n", required_argument, NULL, 'n' },
		{ "lines", required_argument, NULL, 'n' },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "p", required_argument, NULL, 'p' },
		{ "priority", required_argument, NULL, 'p' },
		{ "facility", required_argument, NULL, OPT_FACILITY },
		{ "o", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ "after-cursor", required_argument, NULL, OPT_AFTER },
		{ "cursor-file", required_argument, NULL, OPT_CURSOR_FILE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	memset(o, 0, sizeof(*o));
	o->socket = DEFAULT_SOCKET;
	o->format = OUT_LEGACY;
	while ((c = getopt_long_only(argc, argv, "fFn:o:p:h", longopts, NULL)) != -1) {
		r = -1;
		switch (c) {
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'F':
			o->dump_follow = true;
			break;
		case OPT_LONG_F:
			r = set_bool_flag(&o->follow, optarg, "f");
			break;
		case OPT_LONG_BIG_F:
			r = set_bool_flag(&o->dump_follow, optarg, "F");
			break;
		case 'n':
			if (parse_u64(optarg, UINT64_MAX, &o->lines) < 0)
				return usage_error("-n needs a number of entries, "
						   "not '%s'", optarg);
			o->has_lines = o->v2 = true;
			break;
		case 'p':
			if (query_priority_arg(optarg, &o->prio_min,
					       &o->prio_max) < 0)
				return usage_error("-p takes a priority (emerg, "
						   "alert, crit, err, warning, "
						   "notice, info, debug or 0-7) "
						   "or a range A..B, not '%s'",
						   optarg);
			o->has_prio = o->v2 = true;
			break;
		case OPT_FACILITY:
			if (query_facility_arg(optarg, &o->fac_mask) < 0)
				return usage_error("-facility takes names (kern, "
						   "user, daemon, auth, local0...) "
						   "or numbers 0-23, separated by "
						   "commas, not '%s'", optarg);
			o->v2 = true;
			break;
		case OPT_SOURCE:
			if (o->nglobs == QUERY_GLOBS_MAX)
				return usage_error("at most %d -source patterns",
						   QUERY_GLOBS_MAX);
			if (strlen(optarg) > QUERY_GLOB_MAX)
				return usage_error("-source pattern longer than "
						   "%d bytes", QUERY_GLOB_MAX);
			o->globs[o->nglobs++] = optarg;
			o->v2 = true;
			break;
		case 'o':
			if (output_format_parse(optarg, &o->format) < 0)
				return usage_error("unknown output format '%s' "
						   "(legacy, short, json, raw)",
						   optarg);
			/* -o legacy alone keeps LinuxKit's protocol */
			if (o->format != OUT_LEGACY)
				o->v2 = true;
			break;
		case OPT_AFTER:
			if (!cursor_text_ok(optarg, strlen(optarg)))
				return usage_error("'%s' is not a cursor", optarg);
			o->after = optarg;
			o->v2 = true;
			break;
		case OPT_CURSOR_FILE:
			if (optarg[0] == '\0')
				return usage_error("-cursor-file needs a path");
			o->cursor_file = optarg;
			o->v2 = true;
			break;
		case OPT_STATS:
			o->stats = o->v2 = true;
			break;
		case 'h':
			usage(stdout);
			return LR_EXIT_OK;
		case OPT_VERSION:
			printf("logread memlog %s\n", MEMLOG_VERSION);
			return LR_EXIT_OK;
		default:
			fputs("Try 'logread -help'.\n", stderr);
			return LR_EXIT_USAGE;
		}
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->stats && (o->follow || o->dump_follow || o->has_lines ||
			 o->nglobs || o->after || o->cursor_file || o->has_prio ||
			 o->fac_mask))
		return usage_error("-stats cannot be combined with -f, -F, -n, "
				   "-source, -after-cursor or -cursor-file");
	if (o->after && o->has_lines)
		return usage_error("-after-cursor and -n exclude each other");
	return -1;
}

/* Reads the cursor file into cursor if it holds one. Returns -1 to go on,
 * else the exit code. */
static int load_cursor(const char *path, char cursor[CURSOR_TEXT_MAX + 1],
		       bool *found)
{
	int r = cursorfile_read(path, cursor);

	if (r == -EINVAL) {
		fprintf(stderr, "logread: the cursor file %s holds no valid "
			"cursor; remove it to start from the beginning\n", path);
		return LR_EXIT_CURSOR;
	}
	if (r < 0) {
		fprintf(stderr, "logread: cannot read the cursor file %s: %s\n",
			path, strerror(-r));
		return LR_EXIT_CURSOR;
	}
	*found = r == 1;
	r = cursorfile_probe(path);
	if (r < 0) {
		fprintf(stderr, "logread: cannot write the cursor file %s: %s\n",
			path, strerror(-r));
		return LR_EXIT_CURSOR;
	}
	return -1;
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
		fprintf(stderr, "logread: cannot set up signals: %s\n",
			strerror(errno));
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
	make_request(&opts, opts.after ? opts.after :
		     have_file_cursor ? file_cursor : NULL, &req);
	n = request_build(&req, req_buf, sizeof(req_buf));
	if (n < 0) {
		fprintf(stderr, "logread: the request is too long for the "
			"server (at most %d bytes); use fewer or shorter "
			"-source patterns\n", QUERY_LINE_MAX);
		return LR_EXIT_USAGE;
	}

	if (opts.cursor_file) {
		sigfd = stop_signals();
		if (sigfd < 0)
			return LR_EXIT_RUNTIME;
	}

	sock = conn_open(opts.socket);
	if (sock < 0) {
		fprintf(stderr, "logread: cannot connect to %s: %s\n", opts.socket,
			sock == -ENAMETOOLONG ? "path too long for a unix socket"
					      : strerror(-sock));
		return LR_EXIT_CONNECT;
	}
	r = conn_send(sock, req_buf, (size_t)n);

	output_init(&out, STDOUT_FILENO, opts.format, isatty(STDOUT_FILENO));
	session_init(&sess, sock, sigfd, &out);
	if (!opts.after && have_file_cursor)
		sess.cursor_file = opts.cursor_file;
	if (r < 0)
		code = session_unsent(&sess, r, opts.socket);
	else
		code = opts.stats ? session_stats(&sess) : session_entries(&sess);

	if (opts.cursor_file && sess.saved_len) {
		r = cursorfile_write(opts.cursor_file, sess.saved, sess.saved_len);
		if (r < 0) {
			fprintf(stderr, "logread: cannot write the cursor file "
				"%s: %s\n", opts.cursor_file, strerror(-r));
			if (code == LR_EXIT_OK)
				code = LR_EXIT_CURSOR;
		}
	}
	session_free(&sess);
	if (sigfd >= 0)
		close(sigfd);
	return code;
}
