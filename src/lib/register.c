#include "register.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

int registrar_open(struct registrar *r, const char *path)
{
	size_t len = strlen(path);
	struct timeval tv = { .tv_sec = REGISTRAR_SEND_TIMEOUT_S };

	r->sock = -1;
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(r->addr.sun_path))
		return -ENAMETOOLONG;
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.sun_family = AF_UNIX;
	memcpy(r->addr.sun_path, path, len);
	r->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);

	r->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->sock < 0)
		return -errno;
	/* A bound daemon that does not read fills its queue and would block
	 * us forever; give up after a while and let the caller fall back. */
	(void)setsockopt(r->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

/* Builds the payload: the name alone when LinuxKit's naming convention
 * already tells the daemon the right stream (always, with NAME.out and
 * NAME), so that LinuxKit's own daemon, which takes the whole payload as
 * the name, sees exactly what its init would send; the name and memlog's
 * stream= attribute only when the convention would be wrong (a stderr name
 * that ends in ".out"). tee adds memlog's tee=1. */
static int build_payload(char *out, size_t cap, const char *name,
			 size_t name_len, enum stream s, bool tee)
{
	const char *sname = stream_name(s);
	struct reg_attr attrs[2];
	unsigned n_attrs = 0;
	struct reg_msg inferred;
	int n = reg_build(out, cap, name, name_len, NULL, 0);

	if (n < 0)
		return n;
	reg_parse(out, (size_t)n, &inferred);
	if (inferred.stream != s)
		attrs[n_attrs++] = (struct reg_attr){
			.key = "stream", .key_len = 6,
			.val = sname, .val_len = strlen(sname),
		};
	if (tee)
		attrs[n_attrs++] = (struct reg_attr){
			.key = "tee", .key_len = 3, .val = "1", .val_len = 1,
		};
	if (!n_attrs)
		return n;
	return reg_build(out, cap, name, name_len, attrs, n_attrs);
}

static int send_fds(struct registrar *r, const char *name, size_t name_len,
		    enum stream s, const int *fds, int nfds)
{
	char payload[REG_DGRAM_MAX];
	int n = build_payload(payload, sizeof(payload), name, name_len, s,
			      nfds == 2);
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;

	if (n < 0)
		return n;
	iov.iov_base = payload;
	iov.iov_len = (size_t)n;
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_name = &r->addr;
	msg.msg_namelen = r->addr_len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));

	for (;;) {
		if (sendmsg(r->sock, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

int registrar_send(struct registrar *r, const char *name, size_t name_len,
		   enum stream s, int fd)
{
	return send_fds(r, name, name_len, s, &fd, 1);
}

int registrar_send_tee(struct registrar *r, const char *name, size_t name_len,
		       enum stream s, int fd, int copy_fd)
{
	int fds[2] = { fd, copy_fd };

	return send_fds(r, name, name_len, s, fds, 2);
}

void registrar_close(struct registrar *r)
{
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
}
