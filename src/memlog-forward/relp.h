/* The RELP transport, with librelp (rsyslog's own implementation).
 *
 * librelp's client API is synchronous and does not say which message a
 * response acknowledged. What it does guarantee is its window: before
 * relpCltSendSyslog() sends a message it waits (reading responses) until
 * fewer than W messages are unacknowledged. So once message k has been
 * sent, at most W messages are unacknowledged, and they are the newest:
 * messages 1..k-W are acknowledged. That is the delivered position this
 * module reports (pending.h keyed by the message number). At a clean close
 * librelp sends "close" and waits for its response, which comes after the
 * responses to every earlier message: if no error was reported, all of
 * them are acknowledged. When the session breaks, the unacknowledged
 * messages are sent again by the caller (memlogd is asked again after the
 * delivered cursor), never by librelp's own resend (relpCltReconnect),
 * whose messages the program could not account for. */
#ifndef FORWARD_RELP_H
#define FORWARD_RELP_H

#include <stdbool.h>
#include <stddef.h> /* librelp.h needs size_t and does not include it */
#include <stdint.h>

#include <librelp.h>

#include "options.h"
#include "pending.h"

#define RELP_ERR_MAX 512

struct relp {
	const struct fwd_opts *opts;
	relpEngine_t *engine;    /* for the program's lifetime */
	relpClt_t *clt;          /* the session, NULL when down */
	uint64_t sent;           /* messages sent in this session */
	bool failed;             /* librelp reported an error in this session */
	struct pending pending;  /* entries not known to be acknowledged */
	char err[RELP_ERR_MAX];
};

/* Returns 0, or -1 with err set. */
int relp_init(struct relp *r, const struct fwd_opts *opts);
void relp_free(struct relp *r);

/* Opens a session (blocks up to the connect timeout). 0 or -1 (err). */
int relp_connect(struct relp *r);
/* Ends the session. clean: politely, and if every message turns out to be
 * acknowledged, returns what relp_delivered() does for all of them. */
size_t relp_close(struct relp *r, bool clean, char out[CURSOR_TEXT_MAX + 1],
		  size_t *nsent);

/* Ends the session politely and tells whether that confirmed every
 * message: 0 with *count entries delivered (*nsent of them sent), the
 * newest one's cursor in out; -1 (err) when the session turned out
 * broken, its messages not known to be acknowledged. Either way the
 * session is closed. */
int relp_drain(struct relp *r, char out[CURSOR_TEXT_MAX + 1], size_t *count,
	       size_t *nsent);

/* Sends a message (blocks while the window is full, up to the timeout).
 * Returns 0 or -1 (err; the session is broken: close it). */
int relp_send(struct relp *r, const char *msg, size_t len, const char *cursor);
int relp_skip(struct relp *r, const char *cursor);
/* Messages sent and not yet known to be acknowledged. */
size_t relp_unacked(const struct relp *r);
/* The entries known acknowledged since the last call: their number
 * (*nsent of them sent, the others filtered), the newest one's cursor in
 * out. */
size_t relp_delivered(struct relp *r, char out[CURSOR_TEXT_MAX + 1], size_t *nsent);

#endif
