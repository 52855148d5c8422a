/* A reader: one query client (or the console mirror). It owns a position in
 * the ring and a bounded output buffer, never a copy of entries, so a slow
 * reader costs the daemon nothing but that buffer: when the ring overwrites
 * its position it skips to the oldest entry and is told exactly how many
 * entries it missed. */
#ifndef MEMLOGD_READER_H
#define MEMLOGD_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "query.h"

enum reader_format {
	FMT_LEGACY,  /* LinuxKit NDJSON: time, source, msg */
	FMT_V2,      /* memlog NDJSON: seq, cursor, ... */
	FMT_TEXT,    /* console: TIME;SOURCE;MSG */
};

enum reader_state {
	R_REQUEST,   /* waiting for the request (byte or line) */
	R_ACTIVE,    /* has entries or bytes to send: in daemon.active */
	R_BLOCKED,   /* socket full: waiting for EPOLLOUT */
	R_WAITING,   /* follower with nothing new: in daemon.waiting */
};

struct reader {
	struct ev ev;
	struct list link;        /* in the list that matches state */
	struct daemon *d;
	enum reader_state state;
	enum reader_format fmt;
	bool pollable;           /* epoll can watch ev.fd */
	bool follow;             /* keep going at the end of the ring */
	bool closing;            /* close once out is drained */
	size_t stats_held;       /* bytes of a stats reply in out, counted in
				  * daemon.stats_inflight */
	bool is_console;
	struct ring_pos pos;     /* next entry to send */
	uint64_t end_seq;        /* a dump stops before this seq */
	uint64_t deadline_ms;    /* for the request */
	char *req;               /* request bytes so far (text requests) */
	size_t req_len;
	bool has_prio;           /* priority filter */
	int prio_min, prio_max;
	uint32_t fac_mask;       /* facility filter; 0 = none */
	unsigned nglobs;         /* source filter */
	char **globs;
	char *out;               /* encoded bytes not yet written */
	size_t out_off, out_len, out_cap;
	uint64_t sent;           /* entries sent */
	uint64_t missed;         /* entries reported missed */
};

/* A new query client on fd (already non-blocking). */
void reader_accept(struct daemon *d, int fd);

/* The console mirror on fd; follows from the oldest entry. */
struct reader *reader_console(struct daemon *d, int fd);

/* Sends what it can within a fair share; moves itself between lists. */
void reader_pump(struct reader *r);

/* Housekeeping at a tick: request timeouts. Returns when this reader next
 * needs a tick (its request deadline), or UINT64_MAX. */
uint64_t reader_tick(struct reader *r);

void reader_close(struct reader *r);

#endif
