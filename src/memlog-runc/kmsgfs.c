#include "kmsgfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int kmsgfs_start(const char *prog, const char *sock, const char *mnt,
		 char *why, size_t cap)
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Nothing of memlog-runc's stays open in the file system's
		 * process (a capture pipe kept open would never end). Its
		 * error, if any, goes to stderr: runc's own. */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		syscall(SYS_close_range, 3u, ~0u, 0u);
		execl(prog, "memlog-kmsgfs", "--socket", sock, "--gone-exit",
		      KMSGFS_GONE_EXIT, mnt, (char *)NULL);
		fprintf(stderr, "memlog-runc: cannot run %s: %s\n", prog,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, cap, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, cap, "%s exited with status %d", prog,
			 WEXITSTATUS(st));
	else
		snprintf(why, cap, "%s was killed by signal %d", prog,
			 WTERMSIG(st));
	return -1;
}
