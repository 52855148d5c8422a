/* logread --stats for people and for monitoring, from memlogd's stats
 * object (docs/protocol.md): a short readable summary (on a terminal),
 * and Prometheus' text exposition format (-o prometheus, for
 * node_exporter's textfile collector). Pure: no I/O. */
#ifndef LOGREAD_STATSFMT_H
#define LOGREAD_STATSFMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Per-source series are written for at most this many sources (those
 * with the most lines); the rest are summed in memlog_source_other_*
 * without labels, so a host with many short-lived sources cannot make
 * the scrape unbounded. */
#define STATSFMT_PROM_SOURCES_MAX 200

/* The summary; oldest_ns: the oldest entry's time (0: unknown), now_ns:
 * the clock. malloc'd text (*len bytes), or NULL. */
char *statsfmt_summary(json_t *stats, uint64_t oldest_ns, uint64_t now_ns,
		       size_t *len);

/* The exposition text. malloc'd (*len bytes), or NULL. */
char *statsfmt_prometheus(json_t *stats, size_t *len);

#endif
