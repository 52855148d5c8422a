#include "reconn.h"

#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

void reconn_init(struct reconn *r)
{
	r->lost = false;
	r->waiting = false;
	backoff_init(&r->bo, RECONN_CHECK_MIN_MS, RECONN_CHECK_MAX_MS);
	r->at = 0;
}

bool reconn_lost(struct reconn *r)
{
	bool say = !r->lost;

	r->lost = true;
	r->waiting = false;
	return say;
}

void reconn_connected(struct reconn *r, uint64_t now)
{
	if (!r->lost)
		return;
	r->waiting = true;
	backoff_reset(&r->bo);
	r->at = now + backoff_next(&r->bo);
}

int reconn_request_taken(int fd)
{
	int queued;
	char c;
	ssize_t n;

	/* Bytes we sent stay charged to our socket until the peer has read
	 * them. */
	if (ioctl(fd, SIOCOUTQ, &queued) < 0)
		return -errno;
	if (queued > 0)
		return 0;
	/* Nothing queued also when the connection is gone (the listening
	 * socket was closed with it unaccepted): that is no answer. */
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
		return 1;
	if (n == 0 || errno == ECONNRESET)
		return 0;
	return -errno;
}

bool reconn_back(struct reconn *r, int fd, bool got, uint64_t now)
{
	if (!r->waiting)
		return false;
	if (!got) {
		if (now < r->at)
			return false;
		if (reconn_request_taken(fd) != 1) {
			r->at = now + backoff_next(&r->bo);
			return false;
		}
	}
	r->lost = false;
	r->waiting = false;
	return true;
}

uint64_t reconn_deadline(const struct reconn *r)
{
	return r->waiting ? r->at : UINT64_MAX;
}
