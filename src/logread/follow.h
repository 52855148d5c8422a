/* logread -f and -F across memlogd's restarts. When the connection ends
 * (memlogd closed it, or reading failed), logread says so once, connects
 * again after 100 ms, twice as long after each failure up to 5 s, and asks
 * again (request_resume()):
 *
 * - with memlog's protocol (any memlog option): for the entries after the
 *   cursor of the last entry printed, with the same filters, so nothing is
 *   printed twice or skipped (entries the ring overwrote meanwhile come as
 *   a marker with their count; a memlogd of another instance answers with
 *   a foreign-cursor marker, then its whole ring); before the first entry,
 *   with the first request again;
 * - with LinuxKit's (no memlog option) there is no cursor: it asks to
 *   follow (also after -F: the dump would print everything again), so
 *   nothing is printed twice, and what memlogd stored between the end of
 *   the connection and its answer to the new one is not printed, which is
 *   said when memlogd is back. A LinuxKit daemon is asked the same way.
 *
 * A line the end of the connection cut short is not printed (with
 * memlog's protocol memlogd sends it again). memlogd is said to be back
 * once it has read the new request or sent something (reconn.h: while it
 * restarts its fd holder keeps the socket, so connecting succeeds before
 * it is there). A stop signal taken from the signalfd ends the waits at
 * once; without a signalfd the signals keep their default action. */
#ifndef LOGREAD_FOLLOW_H
#define LOGREAD_FOLLOW_H

#include <stdbool.h>

#include "session.h"

#define FOLLOW_BACKOFF_MIN_MS 100
#define FOLLOW_BACKOFF_MAX_MS 5000

/* The connection ended: err is 0 (memlogd closed it) or the read error.
 * Returns -1 once connected again (the request sent), or the exit code
 * (a stop signal: LR_EXIT_OK). */
int follow_reconnect(struct session *s, int err);

/* Says that memlogd is back if it is, once: got is true when bytes have
 * just arrived; else the socket is looked at when it is time to. */
void follow_check_back(struct session *s, bool got);

#endif
