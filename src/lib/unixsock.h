/* Unix socket files: the address of a path, whether someone serves it, and
 * binding one safely next to a stale file. One implementation for memlogd's
 * sockets and the fd holder's. */
#ifndef MEMLOG_UNIXSOCK_H
#define MEMLOG_UNIXSOCK_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* sa and *len for path (a file name, not abstract). -EINVAL for an empty
 * path, -ENAMETOOLONG for one that does not fit. */
int unixsock_addr(const char *path, struct sockaddr_un *sa, socklen_t *len);

/* Does a process serve path with a socket of this type? 1 yes, 0 no (a
 * socket file nobody is bound to), or -errno (-ENOENT: no file). */
int unixsock_probe(const char *path, int type);

/* A new socket of type (non-blocking, close-on-exec) bound at path, whose
 * file gets exactly mode. A socket file left by a process that is gone is
 * replaced; anything else at path (a live socket: -EADDRINUSE; not a
 * socket: -EEXIST) is left alone. Sets the umask for the moment of bind():
 * call it while the process has one thread. Returns the fd or -errno. */
int unixsock_bind(const char *path, int type, mode_t mode);

#endif
