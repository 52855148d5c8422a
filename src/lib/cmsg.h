/* Reading the control messages of a received unix socket message: the
 * passed fds (SCM_RIGHTS) and the sender's credentials (SCM_CREDENTIALS).
 * One walker for memlogd's registration socket, its syslog socket and
 * anything else that receives fds. */
#ifndef MEMLOG_CMSG_H
#define MEMLOG_CMSG_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The most fds the kernel passes in one message (SCM_MAX_FD). A control
 * buffer with room for this many lets every fd sent reach the receiver, to
 * be kept or closed, never leaked in limbo. */
#define CMSG_FDS_MAX 253

struct cmsg_info {
	int fds[CMSG_FDS_MAX];   /* received fds, in order */
	int nfds;
	bool has_cred;           /* SCM_CREDENTIALS was present */
	struct ucred cred;       /* the sender's pid, uid, gid */
};

/* Collects what mh's control messages carry into *out. Every received fd
 * ends up in out->fds (the caller owns them all). */
void cmsg_collect(const struct msghdr *mh, struct cmsg_info *out);

/* Receives one message from fd without waiting (MSG_DONTWAIT, received
 * fds close-on-exec; EINTR retried), with room for every fd the kernel can
 * pass and the sender's credentials, and collects them into *out.
 * extra_flags is added to recvmsg's (MSG_TRUNC: the datagram's real
 * length is returned). *msg_flags gets the message's flags (MSG_TRUNC,
 * MSG_CTRUNC). Returns the length, or -errno (-EAGAIN: none waiting); on
 * error out holds no fd. */
ssize_t cmsg_recv(int fd, void *buf, size_t len, int extra_flags,
		  struct cmsg_info *out, int *msg_flags);

/* Closes every fd in info, never waiting (fd_close_nowait). */
void cmsg_close_fds(struct cmsg_info *info);

#endif
