/* The stats reply: one JSON object describing the ring, every source,
 * the readers and the registration counters. */
#ifndef MEMLOGD_STATS_H
#define MEMLOGD_STATS_H

#include <stddef.h>

#include "daemon.h"

/* Allocates *out and returns its length (ending in '\n'), or 0 when out of
 * memory. */
size_t stats_encode(struct daemon *d, char **out);

#endif
