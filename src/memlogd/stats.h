/* The stats reply: one JSON object describing the ring, every source,
 * the readers and the registration counters. */
#ifndef MEMLOGD_STATS_H
#define MEMLOGD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrreg.h"
#include "reader.h"
#include "regsock.h"
#include "source.h"
#include "store.h"

/* What the reply describes (the daemon fills it in). */
struct stats_view {
	const struct store *store;
	const struct sources *sources;
	const struct readers *readers;
	const struct reg_counters *reg;
	uint64_t uptime_ms;
	int pid;                 /* memlogd's, for memlogd --upgrade */
	int holder;              /* 1 an fd holder is connected, 0 it is
				  * gone, -1 none is used */
	uint64_t holder_put_failed, holder_respawns;
	uint32_t holder_waiting; /* PUTs and DROPs not yet sent */
	int holder_pid;          /* 0: not known */
	bool fd_store;           /* --fd-store: fds kept by the manager */
	uint32_t fd_store_waiting;
	uint64_t fd_store_failed;
	uint32_t max_line_len;
	uint32_t max_readers;
	const struct ctrreg *ctrs;
	uint64_t now_ms;
	bool kmsg;               /* the kernel log is read (--kmsg, relay) */
	uint64_t kmsg_relays;    /* relays taken (memlog-kmsg --relay) */
	bool kmsg_clock_known;
	int64_t kmsg_clock_offset_us; /* kclock.h's estimate */
};

/* Allocates *out and returns its length (ending in '\n'), or 0 when out of
 * memory. */
size_t stats_encode(const struct stats_view *v, char **out);

#endif
