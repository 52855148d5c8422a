/* Storing: the ring and the source table, and the only ways entries get
 * into them. Sources, the kernel log and the syslog socket hand their lines
 * here; readers read the ring and the table directly. Nothing here knows of
 * fds or the loop. */
#ifndef MEMLOGD_STORE_H
#define MEMLOGD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "srctab.h"

struct store {
	struct ring ring;
	struct srctab srcs;
	struct srcinfo *slots;   /* the table's storage */
	size_t slots_bytes;
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
	uint32_t rate_lines, rate_seconds;
};

/* A new, empty ring and table. Returns 0 or negative errno. */
int store_init(struct store *s, const struct store_config *c);
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

/* A line without priority or attributes (fd sources). */
static inline void store_line(struct store *s, uint32_t slot,
			      uint64_t time_ns, uint32_t flags,
			      const char *msg, size_t len)
{
	store_entry(s, slot, time_ns, flags, -1, -1, msg, len, NULL, 0);
}

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
