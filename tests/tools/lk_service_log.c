/* lk_service_log: LinuxKit init's registration path, for the tests of the
 * LinuxKit package (scripts/check-linuxkit). LinuxKit's `service` program
 * (pkg/init/cmd/service: logging.go, remoteLog.Open; runc.go) gives each
 * onboot or service container's stdout and stderr to memlogd this way:
 * a socketpair (AF_UNIX, SOCK_STREAM) per stream, one end sent to the
 * registration socket in one datagram whose payload is the source name
 * ("onboot.NAME.out" for stdout, "onboot.NAME" for stderr) and whose
 * SCM_RIGHTS message holds the fd, no answer asked for or awaited; the
 * other end becomes the container's stdout or stderr.
 *
 *   lk_service_log [-s SOCKET] NAME CMD [ARGS...]
 *
 * registers NAME.out and NAME so, then executes CMD with those stdout and
 * stderr. SOCKET defaults to /var/run/linuxkit-external-logging.sock. A
 * registration that cannot be sent is an error (exit 2), as it is for
 * LinuxKit's service; CMD that cannot be executed: 127. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int give(int reg, const struct sockaddr_un *sa, const char *name,
		int target)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	int r = send_with_fds(reg, sa, sizeof(*sa), name, strlen(name),
			      &sp[1], 1, 0);
	close(sp[1]);
	if (r == 0 && dup2(sp[0], target) < 0)
		r = -errno;
	close(sp[0]);
	return r;
}

int main(int argc, char **argv)
{
	const char *path = "/var/run/linuxkit-external-logging.sock";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[600];
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		path = argv[2];
		i = 3;
	}
	if (argc - i < 2 || strlen(path) >= sizeof(sa.sun_path) ||
	    strlen(argv[i]) + 5 > sizeof(name)) {
		fprintf(stderr, "usage: lk_service_log [-s SOCKET] NAME CMD [ARGS...]\n");
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path));
	int reg = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (reg < 0) {
		perror("lk_service_log: socket");
		return 2;
	}
	snprintf(name, sizeof(name), "%s.out", argv[i]);
	int r = give(reg, &sa, name, STDOUT_FILENO);
	if (r == 0)
		r = give(reg, &sa, argv[i], STDERR_FILENO);
	if (r < 0) {
		fprintf(stderr, "lk_service_log: %s: %s\n", path, strerror(-r));
		return 2;
	}
	close(reg);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "lk_service_log: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
