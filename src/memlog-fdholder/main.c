/* memlog-fdholder: keeps copies of a client's fds under keys and gives them
 * back after the client restarts (docs/fdholder.md). Reads options, gets
 * its sockets, runs the holder. */
#include "diag.h"
#include "fdhold.h"
#include "holder.h"
#include "opt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

const char *diag_prog = "memlog-fdholder";

enum {
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_IN_USE = 3,
};

/* fds the holder keeps free beside those it holds: one request's worth
 * (received before it can be refused) and its own sockets. */
#define FDHOLDER_RESERVE (FDHOLD_KEYS_MAX + 16)

struct opts {
	const char *socket;
	uint64_t max_fds;   /* 0: from the fd limit */
	int fd_listen;      /* -1: bind --socket */
	int fd_conn;        /* -1: none */
};

#define FO(f) OPT_FIELD(struct opts, f)

static int parse_fd(const char *val, void *field)
{
	uint64_t v;

	if (parse_u64(val, INT_MAX, &v) < 0)
		return -EINVAL;
	*(int *)field = (int)v;
	return 0;
}

static const struct opt rows[] = {
	{ "socket", NULL, OPT_STR, FO(socket), .min = 1, .arg = "PATH",
	  .help = "the socket (SOCK_SEQPACKET, mode 0600); a stale socket\n"
		  "file is replaced, one a live process serves never" },
	{ "max-fds", NULL, OPT_NUM, FO(max_fds), .min = 1, .max = UINT32_MAX,
	  .bad = ": not a number from 1 to 4294967295", .arg = "N",
	  .help = "hold at most N fds [the hard fd limit minus 269]" },
	{ "fd-listen", NULL, OPT_FUNC, FO(fd_listen), .parse = parse_fd,
	  .bad = ": not an fd number", .arg = "N",
	  .help = "use the inherited listening socket N, bound at PATH" },
	{ "fd-conn", NULL, OPT_FUNC, FO(fd_conn), .parse = parse_fd,
	  .bad = ": not an fd number", .arg = "N",
	  .help = "the inherited connected socket N is the first session\n"
		  "(with --fd-listen; this is how the client starts it)" },
	{ "help", NULL, OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const char usage_head[] =
"Usage: memlog-fdholder --socket PATH [OPTION]...\n"
"Holds copies of a client's file descriptors under keys and gives them back\n"
"to it after it restarts (memlogd's crash and upgrade safety).\n"
"\n";

static const char usage_tail[] =
"\n"
"Only peers of the holder's own uid are served. SIGTERM ends it; SIGHUP,\n"
"SIGINT and SIGPIPE are ignored.\n"
"Exit status: 0 released by the client or SIGTERM, 1 runtime error, 2 usage\n"
"error, 3 PATH is served by another live process.\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 18,
						.prog = "memlog-fdholder",
						.usage_head = usage_head,
						.usage_tail = usage_tail);

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
	char err[256];
	int operand;

	*o = (struct opts){ .fd_listen = -1, .fd_conn = -1 };
	switch (opt_parse_main(&table, argc, argv, o, &operand, err,
			       sizeof(err), stdout)) {
	case OPT_HELP_ASKED:
	case OPT_VERSION_ASKED:
		return 0;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_USAGE;
	case OPT_RUN:
		break;
	}
	if (!o->socket) {
		diag_usage("--socket PATH is required");
		return EXIT_USAGE;
	}
	if (o->fd_conn >= 0 && o->fd_listen < 0) {
		diag_usage("--fd-conn needs --fd-listen");
		return EXIT_USAGE;
	}
	if (o->fd_conn >= 0 && o->fd_conn == o->fd_listen) {
		diag_usage("--fd-conn and --fd-listen are the same fd");
		return EXIT_USAGE;
	}
	return -1;
}

/* The signals: set, whatever the starting process had. SIGTERM is read
 * from a signalfd, so it is blocked, and set to its default first: an
 * inherited SIG_IGN would discard it before the signalfd could see it. */
static void signals(void)
{
	sigset_t term;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_SETMASK, &term, NULL);
}

/* Raises the soft fd limit to the hard one (and the hard one too, as far
 * as we may, when --max-fds asks for more) and works out --max-fds. */
static int fd_limit(struct opts *o)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		diag_warn_err(errno, "getrlimit");
		return EXIT_RUNTIME;
	}
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1u << 30))
		rl.rlim_max = 1u << 30;
	if (o->max_fds && o->max_fds + FDHOLDER_RESERVE > rl.rlim_max) {
		struct rlimit want = {
			.rlim_cur = o->max_fds + FDHOLDER_RESERVE,
			.rlim_max = o->max_fds + FDHOLDER_RESERVE,
		};
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			diag_warn_err(errno, "--max-fds %llu needs an fd limit "
				      "of %llu; the hard limit is %llu",
				      (unsigned long long)o->max_fds,
				      (unsigned long long)want.rlim_max,
				      (unsigned long long)rl.rlim_max);
			return EXIT_RUNTIME;
		}
		return -1;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		diag_warn_err(errno, "setrlimit");
		return EXIT_RUNTIME;
	}
	if (!o->max_fds)
		o->max_fds = rl.rlim_max > 2 * FDHOLDER_RESERVE
				     ? MIN(rl.rlim_max - FDHOLDER_RESERVE, UINT32_MAX)
				     : rl.rlim_max / 2;
	return -1;
}

static bool is_seqpacket(int fd)
{
	int t;
	socklen_t l = sizeof(t);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) == 0 &&
	       t == SOCK_SEQPACKET &&
	       getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	       ss.ss_family == AF_UNIX;
}

/* An inherited listening socket must be ours: a unix SEQPACKET socket,
 * listening, bound at --socket. */
static int check_listen_fd(const struct opts *o)
{
	struct sockaddr_un sa;
	socklen_t sl = sizeof(sa);
	int on = 0;
	socklen_t l = sizeof(on);
	int fd = o->fd_listen;

	if (!is_seqpacket(fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) < 0 || !on) {
		diag_usage("--fd-listen %d: not a listening unix seqpacket "
			   "socket", fd);
		return EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0 ||
	    sl <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sa.sun_path, o->socket, sizeof(sa.sun_path)) != 0) {
		diag_usage("--fd-listen %d is not bound at %s", fd, o->socket);
		return EXIT_USAGE;
	}
	if (fd_set_nonblock(fd) < 0 || fd_set_cloexec(fd, true) < 0) {
		diag_warn_err(errno, "--fd-listen %d", fd);
		return EXIT_RUNTIME;
	}
	return -1;
}

static int get_listen_fd(const struct opts *o, int *fd)
{
	if (o->fd_listen >= 0) {
		*fd = o->fd_listen;
		return check_listen_fd(o);
	}
	int r = fdhold_listen(o->socket);
	if (r >= 0) {
		*fd = r;
		return -1;
	}
	if (r == -EADDRINUSE) {
		diag_warn("socket %s is served by another live process; not "
			  "taking it over", o->socket);
		return EXIT_IN_USE;
	}
	if (r == -EEXIST) {
		diag_warn("socket path %s exists and is not a socket; not "
			  "removing it", o->socket);
		return EXIT_RUNTIME;
	}
	diag_warn_err(r, "cannot bind socket %s", o->socket);
	return EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct holder h;
	int listen_fd = -1;
	int r;

	signals();
	fd_stdio_guard();
	if ((r = parse(argc, argv, &o)) >= 0)
		return r;
	if (o.fd_conn >= 0 && !is_seqpacket(o.fd_conn)) {
		diag_usage("--fd-conn %d: not a unix seqpacket socket", o.fd_conn);
		return EXIT_USAGE;
	}
	if (o.fd_conn >= 0)
		fd_set_cloexec(o.fd_conn, true);
	/* Our own session: a kill of the starting client's process group
	 * (a service manager stopping it) must not reach the holder. Fails
	 * harmlessly when we lead a process group already. */
	setsid();
	if ((r = fd_limit(&o)) >= 0)
		return r;
	if ((r = get_listen_fd(&o, &listen_fd)) >= 0)
		return r;
	if (holder_init(&h, o.socket, listen_fd, o.fd_conn,
			(uint32_t)o.max_fds) < 0)
		return EXIT_RUNTIME;
	return holder_run(&h);
}
