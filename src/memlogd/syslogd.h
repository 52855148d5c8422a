/* /dev/log: syslog(3) clients as sources. Each message becomes one entry
 * named after its tag (RFC 3164) or APP-NAME (RFC 5424), stream "syslog",
 * with its priority and facility, and as attributes its pid, host name,
 * MSGID and structured data, plus the sender's credentials from
 * SCM_CREDENTIALS as _pid and _uid. A datagram that is not syslog is kept
 * whole under the source "syslog". */
#ifndef MEMLOGD_SYSLOGD_H
#define MEMLOGD_SYSLOGD_H

#include "loop.h"
#include "store.h"

struct syslog_listener;

/* Binds path (mode 0666: every local program may log). On failure says
 * why in one notice and on stderr and returns NULL. */
struct syslog_listener *syslogd_open(struct loop *loop, struct store *store,
				     const char *path);
/* The same on a socket a live upgrade handed over (bound at path). */
struct syslog_listener *syslogd_adopt(struct loop *loop, struct store *store,
				      const char *path, int fd);

/* Its socket (for the handover). */
int syslogd_fd(const struct syslog_listener *l);

void syslogd_close(struct syslog_listener *l);

#endif
