/* memlog-run: runs a command with its stdout and stderr registered with
 * memlogd, LinuxKit's way (a socketpair per stream, one end handed over
 * with SCM_RIGHTS). It then execs the command in its own place: no wrapper
 * process stays behind, so the command keeps this pid, receives signals
 * directly and its exit status is its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "options.h"
#include "register.h"
#include "regmsg.h"
#include "util.h"

/* Exit codes, as env(1) and nohup(1) use them. */
#define EXIT_SETUP 125     /* memlog-run's own usage or setup error */
#define EXIT_CANNOT_RUN 126 /* CMD found but not executable */
#define EXIT_NOT_FOUND 127 /* CMD not found */

const char *diag_prog = "memlog-run";

/* One of the command's output streams. */
struct run_stream {
	const char *label;  /* "stdout" or "stderr", for messages */
	int target;         /* the fd the command writes: 1 or 2 */
	enum stream stream; /* what the daemon is told */
	char name[REG_NAME_MAX + 1]; /* source name: NAME.out or NAME */
	size_t name_len;
	int local;          /* our end, becomes target; -1 when falling back */
	int remote;         /* the end handed to the daemon, -1 once sent */
};

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	char err[256];

	switch (run_parse_args(argc, argv, o, err, sizeof(err), stdout)) {
	case OPT_RUN:
		return -1;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_SETUP;
	default:
		return 0;
	}
}

/* Moves fd above the standard fds (keeping close-on-exec) so that dup2()
 * onto 1 and 2 cannot clobber a descriptor still needed when memlog-run
 * was started with some of 0-2 closed. Returns the fd or -errno. */
static int fd_above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -errno;
	close(fd);
	return nfd;
}

static int stream_open(struct run_stream *s)
{
	int sp[2];

	s->local = s->remote = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	s->local = fd_above_stdio(sp[0]);
	s->remote = fd_above_stdio(sp[1]);
	if (s->local < 0 || s->remote < 0) {
		int err = s->local < 0 ? s->local : s->remote;
		if (s->local >= 0)
			close(s->local);
		if (s->remote >= 0)
			close(s->remote);
		s->local = s->remote = -1;
		return err;
	}
	return 0;
}

static void stream_close(struct run_stream *s)
{
	if (s->local >= 0)
		close(s->local);
	if (s->remote >= 0)
		close(s->remote);
	s->local = s->remote = -1;
}

static const char *send_error_text(int err)
{
	if (err == -EAGAIN)
		return "it is not reading: registration timed out";
	return strerror(-err);
}

static void stream_init(struct run_stream *s, const char *name, bool out)
{
	size_t len = strlen(name);

	s->label = out ? "stdout" : "stderr";
	s->target = out ? STDOUT_FILENO : STDERR_FILENO;
	s->stream = out ? STREAM_STDOUT : STREAM_STDERR;
	memcpy(s->name, name, len);
	if (out) {
		memcpy(s->name + len, ".out", 4);
		len += 4;
	}
	s->name[len] = '\0';
	s->name_len = len;
	s->local = s->remote = -1;
}

/* Writes the exec failure to fd, best effort: in diag's shape, but to a
 * given fd, as the original stderr is no longer fd 2. */
static void say_exec_error(int fd, const char *cmd, int err)
{
	dprintf(fd, "%s: %s: %s\n", diag_prog, cmd,
		err == ENOENT ? "command not found" : strerror(err));
}

int main(int argc, char **argv)
{
	struct run_opts opts;
	struct registrar reg;
	struct run_stream streams[2];
	int orig_stderr = -1;
	int r, err;

	r = parse_args(argc, argv, &opts);
	if (r >= 0)
		return r;

	stream_init(&streams[0], opts.name, true);
	stream_init(&streams[1], opts.name, false);

	r = registrar_open(&reg, opts.socket);
	if (r == -ENAMETOOLONG || r == -EINVAL) {
		diag_warn("socket path '%s' is %s", opts.socket,
			  r == -EINVAL ? "empty" : "too long for a unix socket");
		return EXIT_SETUP;
	}
	if (r < 0) {
		diag_warn_err(r, "cannot create a socket");
		return EXIT_SETUP;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(streams); i++) {
		r = stream_open(&streams[i]);
		if (r < 0) {
			diag_warn_err(r, "cannot create a socketpair");
			return EXIT_SETUP;
		}
	}

	/* stdout first: if even that fails the daemon is absent and nothing
	 * changes; if only stderr fails, stdout stays logged. */
	for (unsigned i = 0; i < ARRAY_SIZE(streams); i++) {
		struct run_stream *s = &streams[i];

		r = registrar_send(&reg, s->name, s->name_len, s->stream, s->remote);
		close(s->remote);
		s->remote = -1;
		if (r == 0)
			continue;
		if (i == 0) {
			diag_warn("memlogd not reachable at %s (%s); running %s "
				  "with output unchanged", opts.socket,
				  send_error_text(r), opts.cmd[0]);
			for (unsigned j = 0; j < ARRAY_SIZE(streams); j++)
				stream_close(&streams[j]);
			break;
		}
		diag_warn("memlogd not reachable at %s (%s) to register %s; "
			  "running %s with %s unchanged", opts.socket,
			  send_error_text(r), s->label, opts.cmd[0], s->label);
		stream_close(s);
	}
	registrar_close(&reg);

	if (streams[1].local >= 0)
		orig_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	for (unsigned i = 0; i < ARRAY_SIZE(streams); i++) {
		struct run_stream *s = &streams[i];

		if (s->local < 0)
			continue;
		/* local is above 2, so dup2 always makes a new fd without
		 * close-on-exec. A failed dup2 left fd 2 as it was. */
		if (dup2(s->local, s->target) < 0) {
			diag_warn_err(errno, "cannot attach %s", s->label);
			return EXIT_SETUP;
		}
		close(s->local);
		s->local = -1;
	}

	execvp(opts.cmd[0], opts.cmd);
	err = errno;
	/* The failure goes to the log (the new stderr) and to whoever started
	 * us (the old one), who would otherwise see nothing. */
	say_exec_error(STDERR_FILENO, opts.cmd[0], err);
	if (orig_stderr >= 0)
		say_exec_error(orig_stderr, opts.cmd[0], err);
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
