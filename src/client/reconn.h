/* Telling on stderr that a follower lost memlogd and that it has it back:
 * one line when the connection is lost (however many attempts fail
 * after it) and one when memlogd answers again. The caller says both;
 * this decides when.
 *
 * "Connected" is not "back": while memlogd restarts, its fd holder keeps
 * the listening socket open, so connect() succeeds at once and the
 * request waits in the socket's queue until a memlogd accepts it. memlogd
 * is back once it has read the request (nothing we sent is still queued:
 * SIOCOUTQ is 0) or has sent something. Until then the caller looks
 * again now and then (reconn_deadline()). */
#ifndef MEMLOG_CLIENT_RECONN_H
#define MEMLOG_CLIENT_RECONN_H

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"

/* Looking whether the server has taken the request: after 100 ms, then
 * twice as long each time, up to 1 s. */
#define RECONN_CHECK_MIN_MS 100
#define RECONN_CHECK_MAX_MS 1000

struct reconn {
	bool lost;          /* a loss was said, and no "back" since */
	bool waiting;       /* connected again after it: is memlogd there? */
	struct backoff bo;  /* the pauses between two looks */
	uint64_t at;        /* monotonic ms of the next look */
};

void reconn_init(struct reconn *r);

/* The connection was lost, or connecting failed. Returns true when that
 * is to be said: the first time since memlogd last answered. */
bool reconn_lost(struct reconn *r);

/* Connected and the request sent, at now (monotonic ms). */
void reconn_connected(struct reconn *r, uint64_t now);

/* Returns true when "back" is to be said now, once: got is true when
 * bytes have just been received on the connection fd; else, once the time
 * has come, fd is looked at (the request taken and the connection still
 * open). */
bool reconn_back(struct reconn *r, int fd, bool got, uint64_t now);

/* When reconn_back() should look next (monotonic ms), UINT64_MAX for
 * never. */
uint64_t reconn_deadline(const struct reconn *r);

/* Has the peer read everything sent on the connected stream socket fd,
 * with the connection still open? Returns 1, 0, or -errno. */
int reconn_request_taken(int fd);

#endif
