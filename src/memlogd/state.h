/* The state that outlives memlogd: one memfd, held by the fd holder (or
 * systemd's fd store) together with the ring, so that the next memlogd,
 * after a crash, a restart or an upgrade, goes on exactly where this one
 * stopped. It holds the source table's slots (names and counters: every
 * entry in the ring names one), one record per source (where its bytes
 * are), each source's region (the bytes read from it and not yet stored as
 * lines, and those not yet copied on to its tee), and the one commit in
 * flight (struct state_txn).
 *
 * Nothing of what a source wrote is ever only in memlogd's own memory:
 * bytes move from the source into its region by splice(2), whose offset
 * argument points into this memfd, so the kernel records how far it got in
 * the same call that moves the bytes; a stored line moves the record's
 * line_at with the ring's publishing store (state_txn); a copy on to a tee
 * moves tee_at the same way splice moves in_at. docs/memlogd.md "What a
 * crash can lose" says what that covers.
 *
 * The memfd is sparse: it is sized for every slot and source memlogd may
 * have, and only the pages in use take memory. */
#ifndef MEMLOGD_STATE_H
#define MEMLOGD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/types.h>

#include "srctab.h"

#define STATE_VERSION 1

/* Record flags. */
#define REC_USED     (1u << 0)  /* the record is a source */
#define REC_TEE      (1u << 1)  /* its bytes are copied on to a tee */
#define REC_IN_LINE  (1u << 2)  /* pieces of a split line are being stored */
#define REC_DROPPING (1u << 3)  /* the rate limit dropped this line's start */

/* One source. Offsets are absolute in the memfd, within the record's
 * region: base <= min(line_at, tee_at) <= in_at. */
struct src_rec {
	loff_t in_at;        /* end of the bytes received (splice moves it) */
	loff_t tee_at;       /* next byte to copy on (splice moves it) */
	loff_t line_at;      /* first byte not yet stored as a line */
	uint64_t read_ns;    /* when the bytes at line_at were read */
	uint32_t slot;       /* srctab slot: name, stream, counters */
	uint32_t flags;      /* REC_* */
	uint32_t gen;        /* which use of the record (in the holder's keys) */
	int32_t pid;         /* registrant, or -1 */
	uint32_t uid;
	uint32_t pad;
};

enum state_txn_kind {
	TXN_NONE = 0,
	TXN_LINE,            /* a line stored: record's line_at and flags */
	TXN_MOVE,            /* a region's live bytes moved to its base */
	TXN_KMSG,            /* a kernel record stored: next kernel seq */
};

/* The commit in flight. Its fields are written, then `armed`; then the
 * change it describes is made (an entry published, the record's fields
 * written); then it is disarmed. A later memlogd that finds it armed redoes
 * it if it took effect: a TXN_LINE or TXN_KMSG when its entry (seq) was
 * published, a TXN_MOVE always (its bytes were moved before it was armed). */
struct state_txn {
	uint32_t armed;
	uint32_t kind;       /* enum state_txn_kind */
	uint64_t seq;        /* TXN_LINE, TXN_KMSG: the entry's seq */
	uint32_t rec;
	uint32_t flags;      /* TXN_LINE: the record's new flags */
	loff_t line_at, in_at, tee_at;
	uint64_t kmsg_next;  /* TXN_KMSG */
};

struct state_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t page;
	uint64_t instance;   /* the ring's: they belong together */
	uint32_t max_slots, max_recs;
	uint32_t slot_size, rec_size;
	uint64_t region_size;
	uint64_t slots_off, recs_off, regions_off, total;
	struct state_txn txn;
	uint64_t kmsg_next;  /* next kernel record to store (with kmsg_boot) */
	char kmsg_boot[40];  /* boot id it belongs to; "" = none yet */
	uint32_t bounce_rec; /* the record whose bytes the bounce pipe holds,
			      * + 1; 0 = none */
	uint32_t pad;
	uint64_t upgrades;   /* live upgrades done (for memlogd --upgrade) */
	uint64_t upgrades_failed;
	uint64_t takeovers;  /* starts that took over from an earlier memlogd */
};

struct state_geometry {
	uint32_t max_slots;
	uint32_t max_recs;
	uint64_t region_size;
};

struct state {
	int fd;
	char *map;
	size_t map_len;
	struct state_hdr *hdr;
	struct srcinfo *slots;
	struct src_rec *recs;
	uint32_t *free_recs;     /* records not in use (derived) */
	uint32_t nfree;
	uint32_t nrecs;          /* records [0, nrecs) have been used */
};

/* A new, empty state memfd. Returns 0 or negative errno. */
int state_init(struct state *st, const struct state_geometry *g,
	       uint64_t instance);

/* Takes over a state memfd an earlier memlogd left. On success st owns fd.
 * The geometry must be the one it was made with (*why says otherwise).
 * Returns 0, -EPROTO (not a state memfd, another version), -ESTALE (made
 * for another geometry), or another negative errno. */
int state_adopt(struct state *st, int fd, const struct state_geometry *g,
		const char **why);

void state_destroy(struct state *st);

static inline loff_t state_region(const struct state *st, uint32_t rec)
{
	return (loff_t)(st->hdr->regions_off + (uint64_t)rec * st->hdr->region_size);
}

static inline char *state_at(const struct state *st, loff_t off)
{
	return st->map + off;
}

/* A free record (its gen bumped, offsets at its region's base, flags
 * still 0: the caller fills it in and sets REC_USED last), or -ENOSPC. */
int state_rec_alloc(struct state *st);
void state_rec_free(struct state *st, uint32_t rec);

/* The commit protocol of struct state_txn. */
void state_txn_arm(struct state *st, const struct state_txn *t);
void state_txn_disarm(struct state *st);

/* After adoption: redoes the commit in flight if it took effect
 * (next_seq: the adopted ring's). Returns the record it touched or -1. */
int state_txn_recover(struct state *st, uint64_t next_seq);

#endif
