/* Readers: query clients (and the console mirror). A reader owns a
 * position in the ring and a bounded output buffer, never a copy of
 * entries, so a slow reader costs the daemon nothing but that buffer: when
 * the ring overwrites its position it skips to the oldest entry and is told
 * exactly how many entries it missed.
 *
 * The set (struct readers) schedules them: readers with work are pumped
 * once per loop turn, followers that have read everything wait for new
 * entries, readers whose socket is full wait for EPOLLOUT. */
#ifndef MEMLOGD_READER_H
#define MEMLOGD_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <regex.h>
#include <stdint.h>

#include "list.h"
#include "loop.h"
#include "query.h"
#include "store.h"

enum reader_format {
	FMT_LEGACY,  /* LinuxKit NDJSON: time, source, msg */
	FMT_V2,      /* memlog NDJSON: seq, cursor, ... */
	FMT_TEXT,    /* console: TIME;SOURCE;MSG */
	FMT_BIN,     /* memlog's binary records (binrec.h) */
	FMT_EXPORT,  /* systemd's Journal Export Format (export.h) */
};

enum reader_state {
	R_REQUEST,   /* waiting for the request (byte or line) */
	R_ACTIVE,    /* has entries or bytes to send: in readers.active */
	R_BLOCKED,   /* socket full: waiting for EPOLLOUT */
	R_WAITING,   /* follower with nothing new: in readers.waiting */
};

struct readers;

struct reader {
	struct ev ev;
	struct list link;        /* in the list that matches state */
	struct readers *set;
	enum reader_state state;
	enum reader_format fmt;
	bool pollable;           /* epoll can watch ev.fd */
	bool follow;             /* keep going at the end of the ring */
	bool closing;            /* close once out is drained */
	size_t stats_held;       /* bytes of a stats reply in out, counted in
				  * readers.stats_inflight */
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
	bool has_since, has_until; /* time filter */
	uint64_t since_ns, until_ns;
	uint32_t stream_mask;    /* stream filter; 0 = none */
	bool has_grep;           /* message filter */
	regex_t grep;
	char *grep_text;         /* its pattern, for a live upgrade */
	bool grep_icase;
	uint32_t *defs;          /* FMT_BIN: slot + 1 and gen of the source
				  * definitions sent, a small hash table */
	uint32_t ndefs;
	char *out;               /* encoded bytes not yet written */
	size_t out_off, out_len, out_cap;
	/* A container's view (view.h): only its own sources, its kernel
	 * events and the kernel log's gap markers; no stats. NULL: all. */
	char *view_name, *view_id;
	/* A client of the main socket that is neither root nor of
	 * --readers-group: only the sources uid registered. */
	bool uid_only;
	uint32_t uid;
	uint64_t sent;           /* entries sent */
	uint64_t missed;         /* entries reported missed */
};

/* The stats reply, made by whoever knows the whole daemon: allocates *out
 * and returns its length, or 0 when out of memory. */
typedef size_t (*readers_stats_fn)(void *arg, char **out);

struct readers_config {
	uint32_t max_readers;
	uint32_t reader_buffer;      /* per-reader output buffer bytes */
	uint32_t request_timeout_ms; /* a query client must ask within this */
};

struct readers {
	struct loop *loop;
	struct store *store;
	struct readers_config cfg;
	readers_stats_fn stats;
	void *stats_arg;
	struct list active;      /* readers with work to do this turn */
	struct list waiting;     /* followers that have read everything */
	struct list idle;        /* waiting for a request or for EPOLLOUT */
	uint32_t n;              /* query clients (the console not counted) */
	uint64_t refused;        /* clients refused (too many, no memory) */
	uint64_t requests_bad;   /* malformed or late requests */
	uint64_t requests_legacy; /* LinuxKit's byte alone (JSON lines) */
	uint64_t requests_binary; /* answered in binary records (binrec.h),
				   * an upgraded LinuxKit byte included */
	size_t stats_inflight;   /* bytes of stats replies not yet sent */
	uint64_t seen_seq;       /* next_seq when waiting readers were woken */
	uint64_t next_deadline_ms; /* earliest request deadline (or MAX) */
	struct reader *console;
	char *scratch;           /* encode buffer for one maximal entry */
	char *grep_buf;          /* one message as a C string, for grep= */
	size_t scratch_size;
	/* Per source slot: the first seq its current registrant's uid may
	 * see (uid_only readers), or NULL (daemon.c). */
	const uint64_t *uid_since;
};

int readers_init(struct readers *rs, struct loop *loop, struct store *store,
		 const struct readers_config *cfg, readers_stats_fn stats,
		 void *stats_arg);

/* A new query client on fd (already non-blocking); refused with an error
 * line when there are too many. */
void readers_accept(struct readers *rs, int fd);

/* A query client of the main socket with uid (not root, not of
 * --readers-group): it sees only stdout and stderr sources that uid
 * registered, from when it did (uid_since), and no stats. */
void readers_accept_uid(struct readers *rs, int fd, uint32_t uid);

/* A query client of container id's view (its sources are name and
 * name.out); refused when the view has max clients already. */
void readers_accept_view(struct readers *rs, int fd, const char *name,
			 const char *id, uint32_t max);

/* The console mirror on fd; follows from the oldest entry. Returns 0 or
 * -ENOMEM. */
int readers_console(struct readers *rs, int fd);

/* One turn: readers with new entries or room are sent what they can take
 * within a fair share each. */
void readers_pump(struct readers *rs);

/* Readers have work for the next turn (the loop must not sleep). */
static inline bool readers_busy(const struct readers *rs)
{
	return !list_empty(&rs->active);
}

/* Housekeeping: request time-outs. Returns when it is next needed
 * (UINT64_MAX: no request pending). */
uint64_t readers_tick(struct readers *rs);

struct handover_reader;

/* Every reader as it stands, for a live upgrade: *out (malloc'd, n of
 * them) points into the readers, which must stay as they are until the
 * exec. Returns 0 or -ENOMEM. */
int readers_export(struct readers *rs, struct handover_reader **out,
		   uint32_t *n);

/* A reader the last memlogd handed over (its fd is ours now). Returns 0
 * or negative errno (the fd is then closed). */
int readers_import(struct readers *rs, const struct handover_reader *x);

/* Closes every reader (followers get nothing more). */
void readers_destroy(struct readers *rs);

#endif
