/* Times a follower's catch-up (bench/clients.sh): starts the command,
 * reads FILE every 0.5 ms until it contains STRING (logwrite's state file
 * naming the last entry's cursor), then stops the command with SIGTERM
 * and waits for it. Prints the seconds from the start to the moment the
 * string was seen. Polling here, not in the shell, so the wait costs no
 * fork per check on a busy machine.
 * Usage: catchup FILE STRING -- COMMAND [ARG...] */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int contains(const char *path, const char *s)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

int main(int argc, char **argv)
{
	struct timespec half = { 0, 500000 };
	pid_t pid;
	int st;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: catchup FILE STRING -- COMMAND [ARG...]\n");
		return 2;
	}
	double t0 = now();
	if (posix_spawn(&pid, argv[4], NULL, NULL, argv + 4, environ) != 0) {
		perror("catchup: spawn");
		return 1;
	}
	for (;;) {
		if (contains(argv[1], argv[2]))
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "catchup: %s ended before %s had the string\n",
				argv[4], argv[1]);
			return 1;
		}
		nanosleep(&half, NULL);
	}
	double t1 = now();
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	printf("%.6f\n", t1 - t0);
	return 0;
}
