/* memlog-init: the entrypoint of a container whose PID 1 is systemd
 * (docs/memlog-journal.md). systemd closes every fd it inherits early in
 * its main(), so the container engine's stdout and stderr pipes would be
 * gone for good. memlog-init starts an fd holder (memlog-fdholder), puts
 * both into it, and executes systemd in its own place: the holder keeps the
 * pipes open outside systemd, and memlog-journal.service takes stdout back
 * from it to write the journal there.
 *
 * No LD_PRELOAD, no ptrace, no capability beyond what systemd itself needs:
 * a fork, a unix socket and SCM_RIGHTS. libc only, linked static. */
#include "diag.h"
#include "fdhold.h"
#include "holdkeys.h"
#include "options.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

const char *diag_prog = "memlog-init";

/* Exit codes, as env(1) uses them, when SYSTEMD could not be executed. */
#define EXIT_SETUP 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

/* Is dir a mount point? A different device than its parent says yes; on
 * the same device, the mount ids of the two (as systemd compares them)
 * tell a bind mount apart. */
static bool is_mount_point(const char *dir, const char *parent)
{
	struct stat a, b;

	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return false;
	if (a.st_dev != b.st_dev)
		return true;
	struct {
		struct file_handle fh;
		unsigned char space[MAX_HANDLE_SZ];
	} ha, hb;
	int ma, mb;
	ha.fh.handle_bytes = hb.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, dir, &ha.fh, &ma, 0) < 0 ||
	    name_to_handle_at(AT_FDCWD, parent, &hb.fh, &mb, 0) < 0)
		return false;
	return ma != mb;
}

/* systemd mounts a tmpfs on /run when /run is not a mount point yet, which
 * would hide the holder's socket from everything systemd starts. Mounting
 * the same tmpfs first (systemd's options) keeps it visible: systemd then
 * finds a mount point and leaves it. Without the right to mount (no
 * CAP_SYS_ADMIN), systemd could not mount it either and stops booting;
 * engines give such containers a tmpfs on /run themselves. */
static void mount_run(void)
{
	if (access("/run", F_OK) < 0 || is_mount_point("/run", "/"))
		return;
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		  "mode=0755,size=20%,nr_inodes=800k") < 0)
		diag_warn_err(errno, "/run is not a mount point and a tmpfs "
			      "cannot be mounted there (systemd will try too)");
}

/* mkdir -p of path's directory, mode 0755. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			return 0;
	}
}

/* Starts the holder (or finds one a previous memlog-init of this container
 * left, which then gets the current stdout and stderr) and puts fds 1 and 2
 * into it. Returns 0 or negative errno; what failed is said. */
static int hold_stdio(const struct init_opts *o)
{
	char holder[PATH_MAX];
	uint64_t keys[2];
	int fds[2], n = 0, sock = -1, r;
	pid_t pid;

	for (int fd = 1; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue; /* closed: nothing to keep */
		keys[n] = fd == 1 ? INIT_KEY_STDOUT : INIT_KEY_STDERR;
		fds[n++] = fd;
	}
	if (!n) {
		diag_warn("stdout and stderr are closed: nothing to keep");
		return 0;
	}
	r = make_parent(o->holder_socket);
	if (r < 0) {
		diag_warn_err(r, "cannot make the directory of %s",
			      o->holder_socket);
		return r;
	}
	r = fdhold_find_binary(o->fd_holder, holder, sizeof(holder));
	if (r < 0) {
		diag_warn("%s not found%s", o->fd_holder ? o->fd_holder : FDHOLD_PROGRAM,
			  o->fd_holder ? "" : " next to memlog-init or on PATH");
		return r;
	}
	r = fdhold_spawn(o->holder_socket, holder, &sock, &pid);
	if (r == -EADDRINUSE) {
		/* A holder of this container still runs (memlog-init started
		 * again in the same /run): it gets the stdout of now. */
		struct fdhold_hello hello;
		sock = r = fdhold_connect(o->holder_socket, &hello);
	}
	if (r < 0) {
		diag_warn_err(r, "cannot start the fd holder %s on %s", holder,
			      o->holder_socket);
		return r;
	}
	r = fdhold_put(sock, keys, fds, (size_t)n, 0);
	/* The holder reads what is queued before it sees the session end:
	 * closing at once (as the exec would) loses nothing. */
	close(sock);
	if (r < 0)
		diag_warn_err(r, "cannot hand stdout and stderr to the fd holder");
	return r;
}

int main(int argc, char **argv)
{
	struct init_opts o;
	char err[256];

	switch (init_parse_args(argc, argv, &o, err, sizeof(err), stdout)) {
	case OPT_RUN:
		break;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_SETUP;
	default:
		return 0;
	}
	if (!o.no_mount_run && strncmp(o.holder_socket, "/run/", 5) == 0)
		mount_run();
	/* Whatever happened, systemd runs: a container that boots without
	 * its units' output on stdout beats one that does not boot. */
	IGNORE_RESULT(hold_stdio(&o));
	if (strchr(o.cmd[0], '/'))
		execv(o.cmd[0], o.cmd);
	else
		execvp(o.cmd[0], o.cmd);
	int e = errno;
	diag_warn_err(e, "cannot execute %s", o.cmd[0]);
	return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
