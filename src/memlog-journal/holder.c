#include "holder.h"
#include "fdhold.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 5000

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Does pid run (and is it not a zombie waiting to be reaped)? */
static bool running(pid_t pid)
{
	char p[64], st[512];
	ssize_t k;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill(pid, 0) == 0 || errno == EPERM;
	k = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (k <= 0)
		return false;
	st[k] = '\0';
	const char *e = strrchr(st, ')');
	return !(e && e[1] == ' ' && (e[2] == 'Z' || e[2] == 'X'));
}

int jholder_connect(const char *path)
{
	struct fdhold_hello hello;

	for (int i = 0;; i++) {
		int sock = fdhold_connect(path, &hello);
		pid_t s = hello.session_pid;
		if (sock < 0 || s <= 1 || s == getpid() || !running(s))
			return sock;
		close(sock);
		/* A killed agent's session ends a moment after it died. */
		if (i == 20)
			return -EADDRINUSE;
		sleep_ms(50);
	}
}

/* systemd-run --unit=UNIT --collect --quiet BINARY --socket PATH, waited
 * for (it returns once the unit runs). */
static int run_transient(const char *path, const char *binary, const char *unit)
{
	char unitarg[300];
	int st;

	snprintf(unitarg, sizeof(unitarg), "--unit=%s", unit);
	const char *argv[] = { "systemd-run", unitarg, "--collect", "--quiet",
			       binary,
			       "--socket", path, NULL };
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0)
			dup2(null, 0);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EIO;
	return WEXITSTATUS(st) == 0 ? 0 : WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
}

int jholder_respawn(const char *path, const char *binary, const char *unit)
{
	int sock, r;
	pid_t pid;

	if (!getenv("INVOCATION_ID")) {
		/* Not a systemd service: a direct child in a session of its
		 * own outlives us. It is not reaped if it dies before us. */
		r = fdhold_spawn(path, binary, &sock, &pid);
		return r < 0 ? r : sock;
	}
	/* The dead holder's socket file stays; the new one replaces it as
	 * nobody accepts on it any more. */
	r = run_transient(path, binary, unit);
	if (r < 0)
		return r;
	uint64_t deadline = now_mono_ms() + WAIT_MS;
	for (;;) {
		sock = jholder_connect(path);
		if (sock >= 0 || (sock != -ENOENT && sock != -ECONNREFUSED) ||
		    now_mono_ms() >= deadline)
			return sock;
		sleep_ms(20);
	}
}
