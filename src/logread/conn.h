/* The connection to the query socket. */
#ifndef LOGREAD_CONN_H
#define LOGREAD_CONN_H

#include <stdbool.h>
#include <stddef.h>

/* Connects a SOCK_STREAM socket to path. Returns the fd, or -errno
 * (-ENAMETOOLONG for a path that does not fit in a sockaddr_un). nowait:
 * a server whose backlog is full gives -EAGAIN instead of a wait (the
 * socket is blocking either way once connected). */
int conn_open(const char *path, bool nowait);

/* Sends all len bytes. Returns 0 or -errno. */
int conn_send(int fd, const char *buf, size_t len);

#endif
