#include "nflink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* rtnetlink's wire format (Linux's uapi, a stable ABI), written out here:
 * musl's static build has no <linux/rtnetlink.h>. */
#ifndef AF_NETLINK
#define AF_NETLINK 16
#endif
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 1
#define NLMSG_ERROR 2
#define RTM_GETLINK 18
#define RTM_GETNSID 90
#define IFLA_IFNAME 3
#define IFLA_LINK_NETNSID 37
#define NETNSA_NSID 1
#define NETNSA_FD 3

struct nl_hdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};

struct nl_attr {
	uint16_t len, type;
};

#define NL_ALIGN(n) (((n) + 3u) & ~3u)

/* One request, one answer: the attribute of type want in the answer
 * (after a family header of hdr_len bytes), as an int32. Returns 0, or
 * -ENOENT when the answer has none, or another negative errno. */
static int ask(const void *req, size_t req_len, size_t hdr_len,
	       uint16_t want, int32_t *out)
{
	union {
		char buf[8192];
		struct nl_hdr align;
	} ans;
	struct sockaddr_storage kernel = { .ss_family = AF_NETLINK };
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int r = -ENOENT;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, req, req_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		r = -errno;
		goto out;
	}
	ssize_t n = recv(fd, ans.buf, sizeof(ans.buf), 0);
	if (n < (ssize_t)sizeof(struct nl_hdr)) {
		r = n < 0 ? -errno : -EPROTO;
		goto out;
	}
	const struct nl_hdr *h = &ans.align;
	if (h->type == NLMSG_ERROR || h->len > (size_t)n ||
	    h->len < sizeof(*h) + hdr_len) {
		r = -ENOENT;
		goto out;
	}
	for (size_t off = sizeof(*h) + NL_ALIGN(hdr_len); off + 4 <= h->len;) {
		struct nl_attr a;
		memcpy(&a, ans.buf + off, sizeof(a));
		if (a.len < 4 || off + a.len > h->len)
			break;
		if (a.type == want && a.len >= 8) {
			memcpy(out, ans.buf + off + 4, 4);
			r = 0;
			break;
		}
		off += NL_ALIGN(a.len);
	}
out:
	close(fd);
	return r;
}

/* The netnsid of the namespace at the other end of host interface name,
 * or -1 (not a veth into another namespace, no such interface). */
static int32_t link_nsid(const char *name, size_t len)
{
	struct {
		struct nl_hdr h;
		struct { uint8_t family, pad; uint16_t type; int32_t index;
			 uint32_t flags, change; } ifi;
		struct nl_attr a;
		char name[20];
	} req;
	int32_t id;

	if (len == 0 || len > 15)
		return -1;
	memset(&req, 0, sizeof(req));
	req.h.type = RTM_GETLINK;
	req.h.flags = NLM_F_REQUEST;
	req.a.type = IFLA_IFNAME;
	req.a.len = (uint16_t)(4 + len + 1);
	memcpy(req.name, name, len);
	req.h.len = (uint32_t)(sizeof(req.h) + sizeof(req.ifi) +
			       NL_ALIGN(req.a.len));
	return ask(&req, req.h.len, sizeof(req.ifi), IFLA_LINK_NETNSID, &id) == 0
		? id : -1;
}

/* The netnsid (in memlogd's namespace) of process pid's network
 * namespace, or -1. */
static int32_t pid_nsid(int32_t pid)
{
	struct {
		struct nl_hdr h;
		struct { uint8_t family, pad[3]; } g;
		struct nl_attr a;
		int32_t fd;
	} req;
	char path[64];
	int32_t id = -1;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/ns/net", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.h.type = RTM_GETNSID;
	req.h.flags = NLM_F_REQUEST;
	req.a.type = NETNSA_FD;
	req.a.len = 8;
	req.fd = fd;
	req.h.len = sizeof(req);
	if (ask(&req, sizeof(req), sizeof(req.g), NETNSA_NSID, &id) < 0)
		id = -1;
	close(fd);
	return id;
}

struct ctr *nflink_container(struct ctrreg *r, const struct kevent *ev)
{
	for (int i = 0; i < KEV_NIFS; i++) {
		const struct kstr *n = &ev->ifs[i];
		int32_t nsid = link_nsid(n->p, n->len);
		if (nsid < 0)
			continue;
		for (uint32_t j = 0; j < r->n; j++) {
			struct ctr *c = r->v[j];
			if (c->recognized || c->m.pid <= 0 || c->gone_ms)
				continue;
			/* Kept once known: a namespace's id does not change
			 * while the container lives, and a LOG rule may
			 * fire thousands of times a second. Not kept while
			 * it has none (one is given when a veth is moved
			 * there). */
			int32_t id = c->netnsid >= 0 ? c->netnsid
						     : pid_nsid(c->m.pid);
			if (id >= 0)
				c->netnsid = id;
			if (id == nsid)
				return c;
		}
	}
	return NULL;
}
