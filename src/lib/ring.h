/* The ring: a byte-bounded FIFO of log entries, oldest overwritten first.
 *
 * Entries are packed back to back: a 24-byte header then the message, no
 * padding, no per-entry pointer. The data area lives in a memfd mapped twice
 * in a row, so every entry is contiguous in memory even where it wraps, and
 * the whole state (the meta page and the data) is a file descriptor that a
 * re-exec'd daemon could map again (live upgrade, later).
 *
 * Readers are positions (seq, offset), not copies: a reader whose position
 * was overwritten finds out from its seq being below the oldest seq, and the
 * exact number it missed is the difference. Single-threaded. */
#ifndef MEMLOG_RING_H
#define MEMLOG_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_HDR 24u
#define RING_MSG_MAX ((1u << 21) - 1)

/* Entry flags, as kept in the header beside the length. */
#define RING_F_PARTIAL (1u << 21) /* the line goes on in this source's next entry */
#define RING_F_MARKER  (1u << 22) /* the daemon's own notice of lost lines */
#define RING_F_NOEOL   (1u << 23) /* the stream ended before a newline */
#define RING_F_ATTRS   (1u << 29) /* payload: u32 msg length, msg, attributes */
#define RING_F_MASK    (RING_F_PARTIAL | RING_F_MARKER | RING_F_NOEOL | \
			RING_F_ATTRS)

#define RING_SOURCE_MAX ((1u << 24) - 1)
#define RING_NO_PRIORITY (-1)

struct ring_entry {
	uint64_t seq;
	uint64_t time_ns;   /* wall clock when the bytes were read */
	uint32_t source;    /* source table slot */
	uint32_t flags;     /* RING_F_* */
	int priority;       /* 0-7, or RING_NO_PRIORITY */
	int facility;       /* 0-23, or RING_NO_PRIORITY */
	uint32_t len;       /* message bytes */
	const char *msg;    /* valid until the next append */
	const char *attrs;  /* "KEY=VALUE\0KEY=VALUE" (RING_F_ATTRS), or NULL */
	uint32_t attrs_len;
	uint32_t size;      /* payload bytes in the ring: msg, or all three */
};

/* Lives in the first page of the memfd. Written only by ring.c; a new
 * field goes at the end (and RING_VERSION changes if an old reader could
 * not ignore it). */
struct ring_meta {
	uint64_t magic;
	uint64_t version;
	uint64_t size;        /* bytes in the data area */
	uint64_t instance;    /* random id of the daemon instance */
	uint64_t head;        /* offset where the next entry goes */
	uint64_t tail;        /* offset of the oldest entry */
	uint64_t used;        /* bytes from tail to head */
	uint64_t oldest_seq;  /* seq at tail; == next_seq when empty */
	uint64_t next_seq;    /* seq the next entry gets */
	uint64_t max_entries; /* 0 = bounded by bytes only */
};

struct ring {
	struct ring_meta *meta;
	char *data;            /* data area, mapped twice back to back */
	size_t map_len;        /* the whole mapping, meta page included */
	int memfd;
};

struct ring_pos {
	uint64_t seq;
	uint64_t off;
};

/* size is rounded up to whole pages. Returns 0 or negative errno. */
int ring_init(struct ring *r, size_t size, uint64_t max_entries,
	      uint64_t instance);

/* Takes over the ring in memfd, left by an earlier memlogd (a crash, a
 * restart, an upgrade): maps it, checks the meta page (magic, version,
 * size against the file) and walks every entry from the oldest to the
 * newest published one, so that a crash at any instant leaves nothing
 * half-written that would be served: an entry is published by the store
 * of next_seq, and everything else (head, tail, used, oldest_seq, which a
 * crash may have left half-updated) is worked out again from the walk.
 * max_entries is the new configuration's. On success the ring owns memfd;
 * on failure memfd is left to the caller, and *why (if not NULL) says
 * what was wrong, for a message. Returns 0, -EPROTO (not a memlog ring,
 * or another version), -EUCLEAN (damaged), or another negative errno. */
int ring_adopt(struct ring *r, int memfd, uint64_t max_entries,
	       const char **why);

void ring_destroy(struct ring *r);

/* The ring's version as written in its meta page: a later memlogd that
 * adopts a ring checks it. */
#define RING_VERSION 2

/* The longest message an entry can hold in this ring. */
uint32_t ring_msg_max(const struct ring *r);

/* Makes room for a message of len bytes (evicting the oldest entries) and
 * returns where to write it; ring_commit() then publishes it. len must not
 * exceed ring_msg_max(): callers bound their lines by configuration. */
char *ring_reserve(struct ring *r, uint32_t len);
/* Publishes the entry reserved last, of len bytes (as reserved or fewer),
 * and returns its seq. */
uint64_t ring_commit(struct ring *r, uint64_t time_ns, uint32_t source,
		     uint32_t flags, int priority, int facility, uint32_t len);

static inline uint64_t ring_count(const struct ring *r)
{
	return r->meta->next_seq - r->meta->oldest_seq;
}

struct ring_pos ring_oldest(const struct ring *r);
struct ring_pos ring_end(const struct ring *r);

/* Reads the entry at pos: 1 if there is one, 0 if pos is at the end,
 * -ESTALE if it was overwritten (pos->seq < oldest). */
int ring_get(const struct ring *r, const struct ring_pos *pos,
	     struct ring_entry *e);
/* Moves pos past e (as returned by ring_get for pos). */
void ring_next(const struct ring *r, struct ring_pos *pos,
	       const struct ring_entry *e);

/* Position of entry seq (oldest <= seq <= next_seq). Walks from the oldest
 * entry: for resuming readers, not for the ingest path. */
int ring_seek(const struct ring *r, uint64_t seq, struct ring_pos *pos);

/* Which entries a search counts (a reader's filters). */
typedef bool (*ring_match_fn)(const struct ring_entry *e, void *arg);

/* Where a reader that wants the last n entries that match() must start:
 * the position of the n-th newest matching entry, of the oldest matching
 * one when fewer match, or the end when none does (or n is 0).
 *
 * The ring has no backward links, so this walks it forward once from the
 * oldest entry, keeping in marks[] (nmarks >= 2, the caller's memory) the
 * position of every k-th match, k = ceil(n / (nmarks - 1)), which is just
 * enough to still hold the wanted one's predecessor; then it walks on from
 * that mark past fewer than k more matches. Memory is nmarks positions
 * whatever n is; time is one pass plus, when n >= nmarks, a part of one. */
void ring_seek_last(const struct ring *r, uint64_t n, ring_match_fn match,
		    void *arg, struct ring_pos *marks, size_t nmarks,
		    struct ring_pos *pos);

#endif
