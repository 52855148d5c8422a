/* The source table: one slot per distinct (name, stream), shared by every fd
 * registered under it. A slot lives while an fd is open under it or the ring
 * still holds one of its entries: the slot remembers the seq of its newest
 * entry, so no per-entry reference count is kept, and eviction costs
 * nothing here. Dead slots are reclaimed lazily, when a name is looked up.
 *
 * Names live in one arena, addressed by offset: the table holds no
 * pointers, so slots and arena could be handed to a re-exec'd daemon as
 * they are. Slot 0 is the daemon's own source "memlogd". */
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
	uint32_t name_off;      /* name in srctab.names, NUL-terminated */
	uint16_t name_len;
	uint8_t stream;         /* enum stream */
	bool used;              /* holds a name (live, or dead not yet reclaimed) */
	int32_t pid;            /* last registrant's credentials, or -1 */
	uint32_t uid;
	uint64_t lines;         /* entries stored */
	uint64_t bytes;         /* message bytes stored */
	uint64_t dropped;       /* lines dropped by the rate limit */
	uint64_t partial;       /* entries that were parts of a split line */
	uint64_t copied;        /* bytes copied on by tees (tee.h) */
	uint64_t copy_waits;    /* times a tee'd source waited for room */
	struct ratelimit rl;
};

struct srctab {
	struct srcinfo *slots;
	uint32_t nslots;        /* slots ever handed out (used or free) */
	uint32_t cap;           /* allocated slots */
	uint32_t max;           /* hard cap on slots */
	uint32_t nused;         /* slots holding a name */
	char *names;            /* arena of NUL-terminated names */
	uint32_t names_len;     /* bytes of the arena in use */
	uint32_t names_cap;
	uint32_t names_dead;    /* bytes of reclaimed names, freed by compaction */
};

int srctab_init(struct srctab *t, uint32_t max);
void srctab_free(struct srctab *t);

/* The slot for (name, stream), found or made. Slots with no fd and no
 * entry at or after oldest_seq are reclaimed on the way. Returns the slot
 * index, -ENOSPC when the table is full, -ENOMEM. */
int srctab_get(struct srctab *t, const char *name, size_t len,
	       enum stream stream, uint64_t oldest_seq);

/* The slot for (name, stream) if it exists (reclaiming dead slots on the
 * way like srctab_get), else -ENOENT. */
int srctab_find(struct srctab *t, const char *name, size_t len,
		enum stream stream, uint64_t oldest_seq);

static inline struct srcinfo *srctab_at(struct srctab *t, uint32_t i)
{
	assert(i < t->nslots);
	return &t->slots[i];
}

static inline const char *srctab_name(const struct srctab *t,
				      const struct srcinfo *s)
{
	return t->names + s->name_off;
}

/* Does the slot still matter: an open fd, or an entry in the ring? */
static inline bool srctab_live(const struct srcinfo *s, uint64_t oldest_seq)
{
	return s->used && (s->fds > 0 || (s->last_seq && s->last_seq >= oldest_seq));
}

#endif
