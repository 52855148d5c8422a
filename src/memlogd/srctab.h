/* The source table: one slot per distinct (name, stream), shared by every fd
 * registered under it, and alive while an fd is open or an entry in the ring
 * still names it. Slots hold no pointers, so the table could be handed to a
 * re-exec'd daemon as it is. Slot 0 is the daemon's own source "memlogd". */
#ifndef MEMLOGD_SRCTAB_H
#define MEMLOGD_SRCTAB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ratelimit.h"
#include "regmsg.h"

#define SRCTAB_SELF 0u

struct srcinfo {
	uint32_t refs;          /* open fds + ring entries; 0 = free slot */
	uint32_t fds;           /* open fds registered under this slot */
	uint8_t stream;         /* enum stream */
	uint16_t name_len;
	int32_t pid;            /* last registrant's credentials, or -1 */
	uint32_t uid;
	uint64_t lines;         /* entries stored */
	uint64_t bytes;         /* message bytes stored */
	uint64_t dropped;       /* lines dropped by the rate limit */
	uint64_t partial;       /* entries that were parts of a split line */
	struct ratelimit rl;
	char name[REG_NAME_MAX + 1]; /* NUL-terminated; names hold no NUL */
};

struct srctab {
	struct srcinfo *slots;
	uint32_t nslots;        /* slots in use or free below this index */
	uint32_t cap;           /* allocated slots */
	uint32_t max;           /* hard cap on slots */
};

int srctab_init(struct srctab *t, uint32_t max);
void srctab_free(struct srctab *t);

/* The slot for (name, stream), taking one reference. Returns the slot index
 * or -ENOSPC when the table is full. */
int srctab_get(struct srctab *t, const char *name, size_t len,
	       enum stream stream);
static inline struct srcinfo *srctab_at(struct srctab *t, uint32_t i)
{
	return &t->slots[i];
}
void srctab_ref(struct srctab *t, uint32_t i);
void srctab_unref(struct srctab *t, uint32_t i);

#endif
