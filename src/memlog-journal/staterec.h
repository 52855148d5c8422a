/* The records that carry memlog-journal's position across its deaths
 * (docs/memlog-journal.md, "Exactly once"). Pure encoders and decoders.
 *
 * The commit record lives in the state memfd, in two slots of
 * JSTATE_SLOT_SIZE bytes at offsets 0 and JSTATE_SLOT_SIZE; commits go to
 * the slots in turn, so a commit torn by a SIGKILL leaves the previous one
 * whole. One slot, little-endian:
 *
 *   0  "MLJS"  4  u16 version  6  u16 reserved (0)  8  u32 cursor length
 *  12  u32 reserved (0)  16 u64 generation  24 u64 wal id  32 u64 committed
 *  end of the WAL  40 u64 entries committed  48 u64 FNV-1a of bytes 0-47
 *  and the cursor  56 the cursor (not NUL-terminated), zeros to the end
 *
 * The saved file (a clean stop's cursor and the lines it could not deliver,
 * for a start that finds neither memfd):
 *
 *   0  "MLJC"  4  u16 version  6  u16 reserved (0)  8  u32 cursor length
 *  12  u32 pending length  16 u64 FNV-1a of bytes 0-15 and everything
 *  after byte 24  24 the cursor  then the pending bytes; nothing after */
#ifndef MEMLOG_JOURNAL_STATEREC_H
#define MEMLOG_JOURNAL_STATEREC_H

#include <stddef.h>
#include <stdint.h>

#include "jcursor.h"

#define JSTATE_VERSION 1
#define JSTATE_SLOT_SIZE 1024
#define JSTATE_HDR 56
_Static_assert(JSTATE_HDR + JCURSOR_MAX <= JSTATE_SLOT_SIZE,
	       "a slot holds the longest cursor");
/* The WAL's first page is its header: the wal id, so that a WAL and a state
 * memfd that do not belong together are told apart. Lines start after it. */
#define JWAL_HDR 4096
#define JWAL_MAGIC "MLJW"

#define JSAVE_VERSION 1
#define JSAVE_HDR 24
/* The most pending bytes a saved file holds (the agent never keeps more
 * than this undelivered: main.c checks). */
#define JSAVE_PENDING_MAX (128u << 20)

struct jstate {
	uint64_t gen;        /* 1 for the first commit, then +1 each */
	uint64_t wal_id;     /* random, the same in the WAL's header */
	uint64_t wal_end;    /* the WAL's committed bytes end here */
	uint64_t entries;    /* entries read so far, over all commits */
	char cursor[JCURSOR_MAX + 1]; /* the last entry read; "" none yet */
};

/* Encodes s into one slot (JSTATE_SLOT_SIZE bytes at buf). Returns
 * JSTATE_SLOT_SIZE, or -EINVAL for a cursor longer than JCURSOR_MAX. */
int jstate_encode(void *buf, const struct jstate *s);

/* Decodes one slot: 0, -EBADMSG (not a whole valid slot: torn, never
 * written, another format), -EPROTONOSUPPORT (another version). *s is
 * written only on success. */
int jstate_decode(const void *buf, size_t len, struct jstate *s);

/* Of the two slots in area (2 * JSTATE_SLOT_SIZE bytes), the valid one
 * with the higher generation: 0 slot 0, 1 slot 1, -ENOENT neither is
 * valid; *s holds it. */
int jstate_pick(const void *area, size_t len, struct jstate *s);

/* The WAL header page's first 16 bytes: "MLJW", u32 version, u64 wal id. */
void jwal_header(unsigned char out[16], uint64_t wal_id);
/* The wal id in a header, or -EBADMSG. */
int jwal_header_id(const void *buf, size_t len, uint64_t *wal_id);

struct jsave {
	const char *cursor;  /* into the decoded buffer, not NUL-terminated */
	size_t cursor_len;
	const char *pending; /* into the decoded buffer */
	size_t pending_len;
};

/* Bytes a saved file of these sizes takes. */
size_t jsave_size(size_t cursor_len, size_t pending_len);

/* Encodes into buf (cap bytes): the size, or -EINVAL (cursor empty or
 * longer than JCURSOR_MAX, pending over JSAVE_PENDING_MAX), -ENOSPC. */
int jsave_encode(void *buf, size_t cap, const char *cursor, size_t cursor_len,
		 const void *pending, size_t pending_len);

/* Decodes a whole file: 0, -EBADMSG, -EPROTONOSUPPORT. */
int jsave_decode(const void *buf, size_t len, struct jsave *s);

/* FNV-1a, 64-bit, continued from h (start with JSTATE_FNV_INIT). */
#define JSTATE_FNV_INIT 0xcbf29ce484222325ull
uint64_t jstate_fnv(uint64_t h, const void *p, size_t n);

#endif
