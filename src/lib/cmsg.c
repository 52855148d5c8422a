#include "cmsg.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

void cmsg_collect(const struct msghdr *mh, struct cmsg_info *out)
{
	out->nfds = 0;
	out->has_cred = false;
	/* CMSG_NXTHDR takes a non-const msghdr but does not write it. */
	struct msghdr *m = (struct msghdr *)mh;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				       sizeof(int));
				/* Cannot overflow with a control buffer sized
				 * for CMSG_FDS_MAX; if it ever were larger,
				 * the extra fds are closed, not leaked. */
				if (out->nfds < CMSG_FDS_MAX)
					out->fds[out->nfds++] = fd;
				else
					fd_close_nowait(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&out->cred, CMSG_DATA(c), sizeof(out->cred));
			out->has_cred = true;
		}
	}
}

void cmsg_close_fds(struct cmsg_info *info)
{
	/* Received fds: a lingering socket among them must not hold us. */
	for (int i = 0; i < info->nfds; i++)
		fd_close_nowait(info->fds[i]);
	info->nfds = 0;
}
