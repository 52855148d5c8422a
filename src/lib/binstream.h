/* A client's side of memlog's binary stream (binrec.h, docs/protocol.md
 * "Binary records"): the records of one connection read in order, with
 * what they depend on kept here: the HELLO's instance (for cursors) and
 * the SOURCE definitions (sid -> name and stream). What the caller gets
 * for an entry names its source directly.
 *
 * Pure (no I/O). Nothing is allocated per entry: a definition's name is
 * copied once when it is defined; the entry's message and attributes
 * point into the caller's buffer. */
#ifndef MEMLOG_BINSTREAM_H
#define MEMLOG_BINSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binrec.h"
#include "cursor.h"
#include "ring.h"

/* Distinct sids a connection may define (memlogd's source table is
 * smaller): a server that defines more is refused, not given memory. */
#define BINSTREAM_SOURCES_MAX (1u << 20)

struct binstream_src {
	uint32_t sid1;          /* sid + 1; 0: an empty slot of the table */
	uint8_t stream;         /* enum stream */
	uint16_t name_len;
	char *name;             /* malloc'd, name_len bytes and a NUL */
};

struct binstream {
	bool hello;             /* HELLO seen */
	uint64_t instance;      /* from HELLO */
	struct binstream_src *srcs; /* open addressing by sid */
	uint32_t cap;           /* a power of two, or 0 */
	uint32_t n;             /* defined sids */
	const char *why;        /* after an error: what was wrong (static) */
};

/* One record as the caller sees it. type is BINREC_ENTRY, BINREC_MARKER,
 * BINREC_ERROR, or BINREC_HELLO / BINREC_SOURCE (taken in already:
 * nothing to do). */
struct binstream_item {
	enum binrec_type type;
	struct binrec rec;          /* the record as decoded */
	const char *source;         /* ENTRY: the sid's name (NUL-terminated) */
	size_t source_len;
	uint8_t stream;             /* ENTRY: the sid's stream */
};

void binstream_init(struct binstream *s);
/* Forgets everything (a new connection starts with a new HELLO). */
void binstream_reset(struct binstream *s);
void binstream_free(struct binstream *s);

/* Takes the record at the start of buf (len bytes). Returns 1 with *it
 * and *used (the bytes it took), 0 when more bytes are needed for it, or
 * an error with s->why set: -EBADMSG (not a record: binrec_next),
 * -EPROTO (a record out of place: anything before HELLO, a second HELLO,
 * a version this client does not know, an entry of an undefined sid),
 * -ENOSPC (more than BINSTREAM_SOURCES_MAX sids), -ENOMEM. */
int binstream_next(struct binstream *s, const char *buf, size_t len,
		   struct binstream_item *it, size_t *used);

/* The cursor of seq ("m1-INSTANCE-SEQ"), NUL-terminated: out holds
 * CURSOR_LEN + 1 bytes. Only after HELLO. */
void binstream_cursor(const struct binstream *s, uint64_t seq, char *out);

/* The entry as a ring entry (flags as RING_F_*), for the encoders of
 * record.h and export.h. The source slot is left 0. */
void binstream_ring_entry(const struct binrec *r, struct ring_entry *e);

#endif
