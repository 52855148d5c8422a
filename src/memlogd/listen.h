/* Getting the two sockets: bound here (replacing a stale file, never a live
 * daemon's), inherited (-fd-log/-fd-query, -daemonize), or from systemd's
 * socket activation; and readiness notification. */
#ifndef MEMLOGD_LISTEN_H
#define MEMLOGD_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

/* Binds a unix socket of type (SOCK_DGRAM or SOCK_STREAM, listening) at
 * path with the given mode (0600 for memlogd's own sockets). A socket file
 * nobody serves is replaced; returns -EADDRINUSE if a live process serves
 * it and -EEXIST if path is not a socket. Returns the fd or negative errno. */
int listen_unix(const char *path, int type, mode_t mode);

/* Checks an inherited fd is a unix socket of the given type. */
int listen_check_fd(int fd, int type);

/* systemd socket activation: fills *dgram / *stream (left alone when not
 * passed) from LISTEN_FDS when LISTEN_PID is us. */
void listen_activation(int *dgram, int *stream);

/* sd_notify("READY=1") and friends, when NOTIFY_SOCKET is set. */
void listen_notify(const char *state);

#endif
