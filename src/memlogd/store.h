/* Storing: the ring, the source table and the state that outlives memlogd
 * (state.h), and the only ways entries get into them. Sources, the kernel
 * log and the syslog socket hand their lines here; readers read the ring
 * and the table directly. Nothing here knows of fds or the loop. */
#ifndef MEMLOGD_STORE_H
#define MEMLOGD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "srctab.h"
#include "state.h"

struct store {
	struct ring ring;
	struct srctab srcs;      /* its slots are in state */
	struct state state;
	uint64_t instance;       /* random per ring; part of every cursor */
	uint32_t max_line_len;   /* longest entry before a split */
	uint32_t rate_lines;     /* per-source rate limit (0 = none) ... */
	uint32_t rate_seconds;   /* ... per this many seconds */
};

struct store_config {
	uint64_t buffer_size;    /* ring bytes */
	uint64_t max_lines;      /* entry cap; 0 = bytes only */
	uint32_t max_line_len;
	uint32_t max_slots;      /* source table slots */
	uint32_t max_recs;       /* sources */
	uint64_t region_size;    /* bytes of each source's region */
	uint32_t rate_lines, rate_seconds;
};

/* A new, empty ring, table and state. Returns 0 or negative errno. */
int store_init(struct store *s, const struct store_config *c);

/* The ring and state an earlier memlogd left (ring_fd, state_fd): taken
 * over as they are, the commit in flight redone if it took effect. When
 * the ring cannot be taken (another version, damaged) a new one is made
 * with a new instance, and the state is kept without its entries; when
 * the state cannot, a new one is made and the ring is kept without names
 * for its entries' sources... (docs/memlogd.md). The fds are the store's
 * on success. *ring_why and *state_why say what was not taken (NULL when
 * it was). Returns 0 or negative errno (nothing usable: start afresh). */
int store_adopt(struct store *s, const struct store_config *c, int ring_fd,
		int state_fd, const char **ring_why, const char **state_why);

void store_destroy(struct store *s);

static inline uint64_t store_oldest(const struct store *s)
{
	return s->ring.meta->oldest_seq;
}

/* Stores one entry of at most max_line_len bytes (the ring always has
 * room for that), with priority and facility (or RING_NO_PRIORITY) and
 * attributes ("KEY=VALUE\0KEY=VALUE", at most RECORD_ATTRS_MAX bytes, or
 * attrs_len 0). */
void store_entry(struct store *s, uint32_t slot, uint64_t time_ns,
		 uint32_t flags, int priority, int facility, const char *msg,
		 size_t len, const char *attrs, size_t attrs_len);

/* A line of source record rec, stored together with the record's
 * progress: line_at and flags take their new values in the same commit
 * (state.h). */
void store_source_line(struct store *s, uint32_t rec, uint64_t time_ns,
		       uint32_t eflags, const char *msg, size_t len,
		       loff_t line_at, uint32_t rflags);

/* A record's progress without an entry (a line the rate limit dropped). */
void store_source_skip(struct store *s, uint32_t rec, loff_t line_at,
		       uint32_t rflags);

/* A record's live bytes moved to the start of its region (they are there
 * already): its three offsets take their new values at once. */
void store_source_move(struct store *s, uint32_t rec, loff_t in_at,
		       loff_t line_at, loff_t tee_at);

/* A line of memlogd's own without priority or attributes (the kernel
 * log's gap marker), with flags: in parts of at most max_line_len, as
 * store_message stores a message (--max-line-len may be as small as 8). */
void store_line(struct store *s, uint32_t slot, uint64_t time_ns,
		uint32_t flags, const char *msg, size_t len);

/* A whole message (kernel record, syslog datagram) that may be longer than
 * max_line_len: stored in parts as a long line would be, never cut inside
 * a UTF-8 character, the attributes with the first part. */
void store_message(struct store *s, uint32_t slot, uint64_t time_ns,
		   int priority, int facility, const char *msg, size_t len,
		   const char *attrs, size_t attrs_len);

/* The daemon's own entry (source "memlogd"); marker flags a loss notice.
 * Rate-limited, so that a misbehaving client cannot flood the ring with
 * notices about itself. */
void store_notice(struct store *s, bool marker, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The per-source rate limit (--rate-limit), decided once per line: false
 * when the line is to be dropped (the caller counts it). A window that
 * ends with lines dropped is reported in one notice. */
bool store_rate_pass(struct store *s, uint32_t slot, uint64_t now_ms);

/* Reports what the rate limit dropped in a window that is over (or now,
 * with force: the source ends). */
void store_rate_flush(struct store *s, uint32_t slot, uint64_t now_ms,
		      bool force);

#endif
