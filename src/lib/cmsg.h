/* Reading the control messages of a received unix socket message: the
 * passed fds (SCM_RIGHTS) and the sender's credentials (SCM_CREDENTIALS).
 * One walker for memlogd's registration socket, its syslog socket and
 * anything else that receives fds. */
#ifndef MEMLOG_CMSG_H
#define MEMLOG_CMSG_H

#include <stdbool.h>
#include <sys/socket.h>

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

/* Closes every fd in info, never waiting (fd_close_nowait). */
void cmsg_close_fds(struct cmsg_info *info);

#endif
