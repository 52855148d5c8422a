#include "udp.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void udp_init(struct udp *u, const struct fwd_opts *opts)
{
	memset(u, 0, sizeof(*u));
	u->opts = opts;
	u->fd = -1;
}

void udp_close(struct udp *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

int udp_connect(struct udp *u)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai, *a;
	int r, err = 0;

	udp_close(u);
	r = getaddrinfo(u->opts->target.host, u->opts->target.port, &hints, &ai);
	if (r != 0) {
		snprintf(u->err, sizeof(u->err), "cannot look up %s: %s",
			 u->opts->target.host, gai_strerror(r));
		return -1;
	}
	/* The first address that takes a socket and a connect (which for
	 * UDP only sets the destination: the receiver is not asked). */
	for (a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			u->fd = fd;
			break;
		}
		err = errno;
		close(fd);
	}
	freeaddrinfo(ai);
	if (u->fd < 0) {
		snprintf(u->err, sizeof(u->err), "cannot open a UDP socket to %s: %s",
			 u->opts->target_text, strerror(err));
		return -1;
	}
	return 0;
}

size_t udp_cut(const char *msg, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t n, start;

	if (len <= max)
		return len;
	n = max;
	/* Back to the first byte of the character at n; it is dropped with
	 * the rest when it does not fit whole. A UTF-8 character is at most
	 * 4 bytes, so at most 3 continuation bytes are skipped; anything
	 * else is not UTF-8 and cut where it is. */
	start = n;
	while (start > 0 && n - start < 3 && (p[start] & 0xc0) == 0x80)
		start--;
	if ((p[start] & 0xc0) == 0xc0)
		return start;
	return n;
}

int udp_send(struct udp *u, const char *msg, size_t len)
{
	size_t n = udp_cut(msg, len, u->opts->udp_max);
	ssize_t w;

	if (u->fd < 0) {
		snprintf(u->err, sizeof(u->err), "UDP socket to %s not open",
			 u->opts->target_text);
		return -1;
	}
	if (n < len)
		u->truncated++;
	w = send(u->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w == (ssize_t)n)
		return 0;
	/* The send queue is full or an earlier datagram drew an ICMP error
	 * (reported on this send, not about this message): dropped, UDP has
	 * no way to take it back. */
	if (w >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ||
	    errno == ECONNREFUSED || errno == EINTR) {
		u->unsent++;
		return 1;
	}
	snprintf(u->err, sizeof(u->err), "UDP send to %s failed: %s",
		 u->opts->target_text, strerror(errno));
	return -1;
}
