/* Syslog priorities as options name them: "FACILITY.SEVERITY" with the
 * names of syslog.conf(5) ("user.info", "daemon.err", "local3.debug") or a
 * PRI number from 0 to 191. Pure. */
#ifndef FORWARD_PRI_H
#define FORWARD_PRI_H

#include <stddef.h>

#define PRI_MAX 191 /* facility 23, severity 7 */

/* Returns the PRI (facility * 8 + severity) or -EINVAL. */
int pri_parse(const char *text, size_t len);

/* A severity alone ("err", "warning", or 0-7): the severity or -EINVAL. */
int pri_parse_severity(const char *text, size_t len);

#endif
