/* startup: time from exec of a receiver to its first accepted registration.
 *
 *   startup -r REGSOCK [-q QUERYSOCK] [-n COUNT] -- RECEIVER [ARGS...]
 *
 * For each start: remove REGSOCK, take the time, posix_spawn the receiver,
 * then send a registration datagram (a pipe's read end, name
 * "startup.out", exactly as LinuxKit init does) to REGSOCK in a loop until
 * sendmsg() stops failing with ENOENT (no socket file yet) or ECONNREFUSED
 * (file there, nobody bound yet); take the time again; with -q, wait
 * (untimed) until the receiver answers a connection to QUERYSOCK, i.e. its
 * loop runs and it handles signals (memlogd binds its sockets before it
 * blocks them, and a signal before that kills it outright); stop the
 * receiver with SIGINT and wait for it (SIGINT, not SIGTERM: memlogd keeps its
 * sockets and state in its fd holder over a SIGTERM, and the next start
 * would take them back instead of starting afresh; SIGINT lets the holder
 * go, and startup, a subreaper, waits for the holder too). Prints one line
 * per start: the time in microseconds. */
#include "bench.h"

#include <spawn.h>
#include <sys/prctl.h>

extern char **environ;

int main(int argc, char **argv)
{
	const char *regpath = NULL, *qpath = NULL;
	int count = 1, opt;

	while ((opt = getopt(argc, argv, "r:q:n:")) != -1) {
		switch (opt) {
		case 'r': regpath = optarg; break;
		case 'q': qpath = optarg; break;
		case 'n': count = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!regpath || optind >= argc || count < 1)
		goto usage;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_un sa;
	socklen_t salen = unix_addr(&sa, regpath);
	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int p[2];
	if (sock < 0 || pipe2(p, O_CLOEXEC) < 0)
		die("socket/pipe:");

	for (int i = 0; i < count; i++) {
		pid_t pid;
		int status, r;

		unlink(regpath);
		uint64_t t0 = mono_ns();
		if ((r = posix_spawn(&pid, argv[optind], NULL, NULL, argv + optind,
				     environ)) != 0) {
			errno = r;
			die("spawn %s:", argv[optind]);
		}
		uint64_t t1;
		for (;;) {
			r = send_fd(sock, &sa, salen, p[0], "startup.out");
			t1 = mono_ns();
			if (r == 0)
				break;
			if (r != -ENOENT && r != -ECONNREFUSED) {
				errno = -r;
				die("sendmsg:");
			}
			if (t1 - t0 > 10000000000ull)
				die("%s did not bind %s within 10 s", argv[optind], regpath);
			if (waitpid(pid, &status, WNOHANG) == pid)
				die("%s exited before binding its socket", argv[optind]);
			sleep_ns(10000);
		}
		printf("%.1f\n", (double)(t1 - t0) / 1e3);
		fflush(stdout);
		if (qpath) {
			char *a = NULL;
			for (int k = 0; k < 1000 && !(a && a[0]); k++) {
				free(a);
				a = query_all(qpath, "stats\n", 6, NULL, 1000);
				if (!a || !a[0])
					sleep_ns(1000000);
			}
			if (!a || !a[0])
				die("%s never answered on %s", argv[optind], qpath);
			free(a);
		}
		kill(pid, SIGINT);
		waitpid(pid, &status, 0);
		/* Its fd holder, released, is ours now: reap it (untimed). */
		for (int k = 0; k < 500; k++) {
			r = waitpid(-1, &status, WNOHANG);
			if (r < 0)
				break;
			if (r == 0)
				sleep_ns(10000000);
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: startup -r REGSOCK [-q QUERYSOCK] [-n COUNT] -- RECEIVER [ARGS...]\n");
	return 2;
}
