/* Handing a stream to memlogd: one SOCK_DGRAM datagram per stream to the
 * registration socket, the source name as payload (plus memlog's stream=
 * attribute where the name alone would mislead) and the fd in one
 * SCM_RIGHTS control message, as LinuxKit's init does. There is no reply:
 * sendmsg() succeeding is all a sender can know. */
#ifndef MEMLOG_REGISTER_H
#define MEMLOG_REGISTER_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "regmsg.h"

/* How long a registration may wait for room in the daemon's queue (a
 * daemon that is bound but not reading) before it counts as unreachable. */
#define REGISTRAR_SEND_TIMEOUT_S 5

struct registrar {
	int sock;                /* unbound SOCK_DGRAM socket, or -1 */
	struct sockaddr_un addr; /* the daemon's registration socket */
	socklen_t addr_len;      /* bytes of addr in use */
};

/* Prepares to send to the socket at path. Returns 0, -ENAMETOOLONG if path
 * does not fit in sun_path, -EINVAL if it is empty, or socket()'s error. */
int registrar_open(struct registrar *r, const char *path);

/* Registers fd under name with stream s. Returns 0 or sendmsg()'s negative
 * errno (-ENOENT: no socket file, -ECONNREFUSED: nobody bound, -EAGAIN: the
 * daemon's queue stayed full for REGISTRAR_SEND_TIMEOUT_S); -ENOSPC or
 * -EINVAL if the datagram cannot be built. The caller keeps fd and may close
 * it afterwards: the daemon then holds its own copy. */
int registrar_send(struct registrar *r, const char *name, size_t name_len,
		   enum stream s, int fd);

/* memlog's tee registration (docs/protocol.md): fd is read as a source and
 * every byte read from it is copied on to copy_fd (open for writing), with
 * back-pressure: while copy_fd is full the daemon stops reading fd. The
 * daemon closes its copy of copy_fd after fd reaches end of file. Only
 * memlog's memlogd knows this; LinuxKit's would read fd and drop the copy.
 * Same returns as registrar_send(). */
int registrar_send_tee(struct registrar *r, const char *name, size_t name_len,
		       enum stream s, int fd, int copy_fd);

/* The same as registrar_send (copy_fd -1) or registrar_send_tee, with
 * memlog's ack=1: the daemon answers on a pipe whether it took the fds.
 * Waits at most timeout_ms for the answer. Returns 0 when they were taken;
 * -EPERM when refused (the daemon's reason in why); -ETIMEDOUT without an
 * answer in time (the daemon may still take them later); -EPROTO when the
 * daemon closed the answer pipe without answering (not memlog's memlogd);
 * or what registrar_send returns. */
int registrar_send_acked(struct registrar *r, const char *name,
			 size_t name_len, enum stream s, int fd, int copy_fd,
			 int timeout_ms, char *why, size_t why_cap);

/* A datagram as built (payload: a container registration, ctrmsg.h, or a
 * kernel log relay's, relay=kernel) with ack=1 appended; its fds are fd
 * (unless -1) and the answer pipe. Returns as registrar_send_acked. */
int registrar_send_payload_acked(struct registrar *r, const void *payload,
				 size_t len, int fd, int timeout_ms, char *why,
				 size_t why_cap);

void registrar_close(struct registrar *r);

#endif
