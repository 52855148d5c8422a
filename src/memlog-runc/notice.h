/* A notice to memlogd about a container that memlog-runc does not capture
 * (or captures only in part): one line under the source name
 * "memlog-runc", through the ordinary registration protocol (a pipe with
 * the line in it, registered and closed). The runtime log says the same,
 * but engines delete it with the container; memlogd keeps the notice
 * where the operator looks for the container's output. */
#ifndef MEMLOG_RUNC_NOTICE_H
#define MEMLOG_RUNC_NOTICE_H

#include <stddef.h>

#define NOTICE_SOURCE "memlog-runc"
/* Longest line, newline included (well within a pipe's capacity, so the
 * write never blocks). */
#define NOTICE_LINE_MAX 1024

/* Pure. "container NAME (id ID) not captured: WHY\n", or with stream
 * (e.g. "stderr") "container NAME (id ID): stream not captured: WHY\n";
 * "container ID ..." when name is empty or the id itself. Control
 * characters become '_'; a line longer than cap - 1 bytes is cut (never
 * inside a UTF-8 character) and still ends in '\n'. NUL-terminated;
 * returns the length. cap must be at least 2. */
size_t notice_format(char *out, size_t cap, const char *name, const char *id,
		     const char *stream, const char *why);

/* Hands the line to memlogd at socket, never waiting: the datagram is
 * sent non-blocking (a daemon whose queue is full, or no daemon, loses
 * the notice and nothing else happens). Returns 0 or -errno. */
int notice_send(const char *socket, const char *line, size_t len);

#endif
