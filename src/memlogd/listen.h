/* Getting the two sockets: bound here (replacing a stale file, never a live
 * daemon's), inherited (-fd-log/-fd-query, -daemonize), or from systemd's
 * socket activation; and readiness notification. */
#ifndef MEMLOGD_LISTEN_H
#define MEMLOGD_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

#include "fdname.h"

/* Binds a unix socket of type (SOCK_DGRAM or SOCK_STREAM, listening) at
 * path with the given mode (0600 for memlogd's own sockets). A socket file
 * nobody serves is replaced; returns -EADDRINUSE if a live process serves
 * it and -EEXIST if path is not a socket. Returns the fd or negative errno. */
int listen_unix(const char *path, int type, mode_t mode);

/* Who may use the sockets memlogd binds: their group and mode. */
struct listen_access {
	gid_t gid;   /* (gid_t)-1: left as created (the owner's group) */
	mode_t mode;
};

/* A group (--socket-group, --readers-group) into *gid: a number, or a
 * name in group_file, read with fgetgrent(3) rather than through NSS:
 * memlogd is linked statically and starts before any name service.
 * Returns 0, or -ENOENT (no such group) or -errno (the file). */
int listen_group_lookup(const char *group, const char *group_file,
			gid_t *gid);

/* --socket-group and --socket-mode (-1: not given) into *out; the group
 * as listen_group_lookup finds it. Returns what it returns. */
int listen_access_from(const char *group, int mode, const char *group_file,
		       struct listen_access *out);

/* listen_unix, then the file gets a's group and mode (bound with the
 * owner's bits only, so that nobody else can connect before it has its
 * group). On failure the file is removed again. */
int listen_unix_access(const char *path, int type,
		       const struct listen_access *a);

/* The path a unix socket fd is bound to, into out. Returns 0, or
 * -EADDRNOTAVAIL (unnamed or abstract), -ENAMETOOLONG, -errno. */
int listen_bound_path(int fd, char *out, size_t cap);

/* Does a live process serve the unix socket at path? 1 yes, 0 no (a
 * socket file nobody is bound to), or negative errno (-ENOENT: no file). */
int listen_probe(const char *path, int type);

/* Checks an inherited fd is a unix socket of the given type. */
int listen_check_fd(int fd, int type);

/* An fd a previous memlogd left in the service manager's fd store. */
struct stored_fd {
	int fd;
	char name[FDNAME_MAX + 1]; /* not NUL-terminated */
	size_t name_len;
};

/* systemd socket activation: fills *dgram / *stream (left alone when not
 * passed) from LISTEN_FDS when LISTEN_PID is us; fds named "memlog.*" in
 * LISTEN_FDNAMES go to stored[] (at most max_stored, the rest closed).
 * Returns how many were stored. */
int listen_activation(int *dgram, int *stream, struct stored_fd *stored,
		      int max_stored);

/* sd_notify("READY=1") and friends, when NOTIFY_SOCKET is set. */
void listen_notify(const char *state);

/* The same with up to 2 fds (FDSTORE=1). Returns 0 or negative errno
 * (-ENOTCONN: no NOTIFY_SOCKET). Never waits. */
int listen_notify_fds(const char *state, const int *fds, int nfds);

/* A socket connected to NOTIFY_SOCKET (non-blocking), for a stream of
 * notifications that must wait for room rather than be lost: it is
 * writable (EPOLLOUT) when the manager's queue has room. Returns the fd,
 * -ENOTCONN (no NOTIFY_SOCKET) or negative errno. */
int listen_notify_connect(void);

#endif
