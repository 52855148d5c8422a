#include "sockpeer.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The kernel's ABI (linux/netlink.h, linux/sock_diag.h, linux/unix_diag.h),
 * written out: the static musl build has no kernel headers. */
#define NETLINK_SOCK_DIAG_ 4
#define SOCK_DIAG_BY_FAMILY_ 20
#define NLM_F_REQUEST_ 1
#define NLMSG_ERROR_ 2
#define NLMSG_DONE_ 3
#define UDIAG_SHOW_PEER_ 0x4
#define UNIX_DIAG_PEER_ 2

struct nlhdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};

struct unix_req {
	uint8_t family, protocol;
	uint16_t pad;
	uint32_t states, ino, show, cookie[2];
};

struct unix_msg {
	uint8_t family, type, state, pad;
	uint32_t ino, cookie[2];
};

struct rta {
	uint16_t len, type;
};

int unix_peer_inode(uint32_t ino, uint32_t *peer)
{
	struct {
		struct nlhdr h;
		struct unix_req r;
	} req = {
		.h = { sizeof(req), SOCK_DIAG_BY_FAMILY_, NLM_F_REQUEST_, 1, 0 },
		.r = { .family = AF_UNIX, .states = ~0u, .ino = ino,
		       .show = UDIAG_SHOW_PEER_, .cookie = { ~0u, ~0u } },
	};
	union {
		char b[1024];
		struct nlhdr align;
	} ans;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG_);
	int r = -ENOENT;

	if (fd < 0)
		return -errno;
	struct timeval tv = { 1, 0 };
	IGNORE_RESULT(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		r = -errno;
		goto out;
	}
	ssize_t n = recv(fd, ans.b, sizeof(ans.b), 0);
	if (n < (ssize_t)sizeof(struct nlhdr)) {
		r = n < 0 ? -errno : -EPROTO;
		goto out;
	}
	const struct nlhdr *h = &ans.align;
	if (h->type == NLMSG_ERROR_ || h->type == NLMSG_DONE_ ||
	    h->len > (size_t)n || h->len < sizeof(*h) + sizeof(struct unix_msg))
		goto out;
	size_t off = sizeof(*h) + sizeof(struct unix_msg);
	while (off + sizeof(struct rta) <= h->len) {
		struct rta a;
		memcpy(&a, ans.b + off, sizeof(a));
		if (a.len < sizeof(a) || off + a.len > h->len)
			break;
		if (a.type == UNIX_DIAG_PEER_ && a.len >= sizeof(a) + 4) {
			memcpy(peer, ans.b + off + sizeof(a), 4);
			r = 0;
			break;
		}
		off += (a.len + 3u) & ~3u;
	}
out:
	close(fd);
	return r;
}
