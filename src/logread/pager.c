#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t pager_start(void)
{
	const char *pager = getenv("PAGER");
	int p[2];
	pid_t pid;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (!pager)
		pager = "less";
	if (!*pager || !strcmp(pager, "cat"))
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(127);
		/* As journalctl: quit at the end of a short log, keep
		 * colours, leave the screen as it was. */
		setenv("LESS", "FRX", 0);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (dup2(p[1], STDOUT_FILENO) < 0) {
		int e = errno;
		close(p[1]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -e;
	}
	close(p[1]);
	return pid;
}

void pager_wait(pid_t pid)
{
	if (pid <= 0)
		return;
	close(STDOUT_FILENO);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
