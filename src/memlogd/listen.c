#include "listen.h"
#include "unixsock.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int listen_bound_path(int fd, char *out, size_t cap)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	size_t n = len > offsetof(struct sockaddr_un, sun_path)
		   ? len - offsetof(struct sockaddr_un, sun_path) : 0;
	/* Unnamed, or abstract (no file to be next to). */
	if (sa.sun_family != AF_UNIX || n == 0 || sa.sun_path[0] == '\0')
		return -EADDRNOTAVAIL;
	n = strnlen(sa.sun_path, n);
	if (n + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out, sa.sun_path, n);
	out[n] = '\0';
	return 0;
}

int listen_probe(const char *path, int type)
{
	return unixsock_probe(path, type);
}

int listen_unix(const char *path, int type, mode_t mode)
{
	int fd = unixsock_bind(path, type, mode);

	if (fd < 0)
		return fd;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
		int r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

int listen_group_lookup(const char *group, const char *group_file,
			gid_t *gid)
{
	uint64_t v;

	if (parse_u64(group, UINT32_MAX - 1, &v) == 0) {
		*gid = (gid_t)v;
		return 0;
	}
	FILE *f = fopen(group_file, "re");
	if (!f)
		return -errno;
	struct group *g;
	errno = 0;
	while ((g = fgetgrent(f)) && strcmp(g->gr_name, group) != 0)
		;
	int err = errno;
	if (g)
		*gid = g->gr_gid;
	fclose(f);
	if (!g)
		return err && err != ENOENT ? -err : -ENOENT;
	return 0;
}

int listen_access_from(const char *group, int mode, const char *group_file,
		       struct listen_access *out)
{
	struct listen_access a = { (gid_t)-1, mode >= 0 ? (mode_t)mode : 0600 };

	if (group) {
		int r = listen_group_lookup(group, group_file, &a.gid);
		if (r < 0)
			return r;
		if (mode < 0)
			a.mode = 0660;
	}
	*out = a;
	return 0;
}

int listen_unix_access(const char *path, int type,
		       const struct listen_access *a)
{
	int fd = listen_unix(path, type, a->mode & 0700);

	if (fd < 0)
		return fd;
	if ((a->gid != (gid_t)-1 && chown(path, (uid_t)-1, a->gid) < 0) ||
	    ((a->mode & 0077) && chmod(path, a->mode) < 0)) {
		int r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

int listen_check_fd(int fd, int type)
{
	int t;
	socklen_t l = sizeof(t);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) < 0)
		return -errno;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	if (ss.ss_family != AF_UNIX || t != type)
		return -EPROTOTYPE;
	int r = fd_set_nonblock(fd);
	if (r < 0)
		return r;
	return fd_set_cloexec(fd, true);
}

static bool is_listening(int fd)
{
	int on = 0;
	socklen_t l = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) == 0 && on;
}

int listen_activation(int *dgram, int *stream, struct stored_fd *stored,
		      int max_stored)
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	uint64_t p, n;
	int nstored = 0;

	if (!pid || !fds || parse_u64(pid, UINT32_MAX, &p) < 0 ||
	    parse_u64(fds, 4096, &n) < 0 || (pid_t)p != getpid())
		return 0;
	for (int fd = 3; fd < 3 + (int)n; fd++) {
		/* This fd's name: the next of the colon-separated list. */
		const char *nm = names ? names : "";
		size_t nl = strcspn(nm, ":");
		if (names)
			names = nm[nl] ? nm + nl + 1 : NULL;
		if (nl > 7 && memcmp(nm, "memlog.", 7) == 0) {
			/* A source a previous memlogd kept in the store. */
			if (nstored < max_stored && nl <= FDNAME_MAX) {
				fd_set_cloexec(fd, true);
				stored[nstored].fd = fd;
				memcpy(stored[nstored].name, nm, nl);
				stored[nstored].name_len = nl;
				nstored++;
			} else {
				close(fd);
			}
			continue;
		}
		if (*dgram < 0 && listen_check_fd(fd, SOCK_DGRAM) == 0)
			*dgram = fd;
		else if (*stream < 0 && is_listening(fd) &&
			 listen_check_fd(fd, SOCK_STREAM) == 0)
			*stream = fd;
	}
	/* Not for our children (memlogd has none, but be exact). */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return nstored;
}

/* NOTIFY_SOCKET's address (a path, or @ for the abstract namespace). */
static int notify_addr(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");

	if (!path || (path[0] != '/' && path[0] != '@'))
		return -ENOTCONN;
	if (unixsock_addr(path, sa, len) < 0)
		return -EINVAL;
	if (path[0] == '@') {
		sa->sun_path[0] = '\0'; /* abstract namespace */
		(*len)--;               /* no trailing NUL for abstract names */
	}
	return 0;
}

int listen_notify_fds(const char *state, const int *fds, int nfds)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = notify_addr(&sa, &len);

	if (r < 0)
		return r;
	if (nfds > 2)
		return -EINVAL;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = send_with_fds(fd, &sa, len, state, strlen(state), fds, nfds,
			  MSG_DONTWAIT);
	close(fd);
	return r;
}

int listen_notify_connect(void)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = notify_addr(&sa, &len);

	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void listen_notify(const char *state)
{
	/* readiness is advisory: the service manager may be gone */
	IGNORE_RESULT(listen_notify_fds(state, NULL, 0));
}
