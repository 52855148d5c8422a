/* The source table: one slot per distinct (name, stream), shared by every fd
 * registered under it. A slot lives while an fd is open under it or the ring
 * still holds one of its entries: the slot remembers the seq of its newest
 * entry, so no per-entry reference count is kept, and eviction costs
 * nothing here. Dead slots are reclaimed when their name comes back, a few
 * at a time by srctab_sweep(), and all at once when the table is full.
 *
 * The slots hold no pointers and their names inline, in storage the caller
 * gives (memlogd's state memfd, which outlives memlogd), so that a later
 * memlogd takes the table over as it is (srctab_adopt) and every entry in
 * the ring still names its source. A slot is written whole before its
 * `used` byte is set, so a crash never leaves a half-made slot in use. The
 * lookup index (a hash of name and stream) is derived, in private memory.
 * Slot 0 is the daemon's own source "memlogd". */
#ifndef MEMLOGD_SRCTAB_H
#define MEMLOGD_SRCTAB_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ratelimit.h"
#include "regmsg.h"

#define SRCTAB_SELF 0u

struct srcinfo {
	uint64_t last_seq;      /* seq of the newest entry stored; 0 = none */
	uint32_t fds;           /* open fds registered under this slot */
	uint16_t name_len;
	uint8_t stream;         /* enum stream */
	uint8_t used;           /* holds a name (live, or dead not yet reclaimed) */
	uint32_t gen;           /* which name it holds: bumped when made afresh */
	int32_t pid;            /* last registrant's credentials, or -1 */
	uint32_t uid;
	uint64_t lines;         /* entries stored */
	uint64_t bytes;         /* message bytes stored */
	uint64_t dropped;       /* lines dropped by the rate limit */
	uint64_t partial;       /* entries that were parts of a split line */
	uint64_t copied;        /* bytes copied on by tees (tee.h) */
	uint64_t copy_waits;    /* times a tee'd source waited for room */
	struct ratelimit rl;
	char name[REG_NAME_MAX + 1]; /* NUL-terminated */
};

struct srctab {
	struct srcinfo *slots;  /* the caller's storage: max slots */
	uint32_t max;
	uint32_t nslots;        /* slots [0, nslots) have ever been used */
	uint32_t nused;         /* slots holding a name */
	uint32_t *index;        /* open addressing: slot + 1, or 0 = empty */
	uint32_t index_mask;    /* index size - 1 (a power of two) */
	uint32_t *free;         /* slots below nslots not in use */
	uint32_t nfree;
	uint32_t sweep_at;      /* where srctab_sweep goes on */
	uint64_t made;          /* slots made, ever (for sweeping policies) */
};

/* An empty table in slots[0..max) (max >= 2), with the "memlogd" slot.
 * Returns 0 or -ENOMEM. */
int srctab_init(struct srctab *t, struct srcinfo *slots, uint32_t max);

/* The table an earlier memlogd left in slots[0..max): the index is built
 * again and every slot's fds count starts from 0 (the caller counts the
 * fds it takes back). Returns 0, -ENOMEM, or -EUCLEAN if the slots do not
 * look like a table (a damaged name length, no "memlogd" slot). */
int srctab_adopt(struct srctab *t, struct srcinfo *slots, uint32_t max);

/* Frees the index (not the slots: they are the caller's). */
void srctab_free(struct srctab *t);

/* The slot for (name, stream), found or made. A dead slot of the same name
 * is made afresh (its counters start again). Returns the slot index,
 * -ENOSPC when the table is full of live slots, -ENOMEM. */
int srctab_get(struct srctab *t, const char *name, size_t len,
	       enum stream stream, uint64_t oldest_seq);

/* The slot for (name, stream) if it is live, else -ENOENT. */
int srctab_find(struct srctab *t, const char *name, size_t len,
		enum stream stream, uint64_t oldest_seq);

/* Reclaims dead slots among the next `budget` slots (round robin), so that
 * names that never come back do not hold slots for ever. Returns how many
 * it reclaimed. */
uint32_t srctab_sweep(struct srctab *t, uint64_t oldest_seq, uint32_t budget);

static inline struct srcinfo *srctab_at(struct srctab *t, uint32_t i)
{
	assert(i < t->nslots);
	return &t->slots[i];
}

static inline const char *srctab_name(const struct srctab *t,
				      const struct srcinfo *s)
{
	(void)t;
	return s->name;
}

/* Does the slot still matter: an open fd, or an entry in the ring? */
static inline bool srctab_live(const struct srcinfo *s, uint64_t oldest_seq)
{
	return s->used && (s->fds > 0 || (s->last_seq && s->last_seq >= oldest_seq));
}

#endif
