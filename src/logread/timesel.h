/* --since and --until: a parsed time argument (timearg.h) as ns since the
 * epoch, a civil time read in the local zone (TZ) unless --utc or the
 * argument says UTC. Not pure: the zone comes from the C library. */
#ifndef LOGREAD_TIMESEL_H
#define LOGREAD_TIMESEL_H

#include <stdbool.h>
#include <stdint.h>

#include "timearg.h"

/* Returns 0, or -ERANGE for a time before the epoch or past 2554. A
 * relative time before the epoch is the epoch. */
int timesel_resolve(const struct timearg *t, uint64_t now_ns, bool utc,
		    uint64_t *out);

#endif
