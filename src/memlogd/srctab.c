#include "srctab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash(const char *name, size_t len, uint8_t stream)
{
	uint32_t h = 2166136261u ^ stream; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t slot_hash(const struct srcinfo *s)
{
	return hash(s->name, s->name_len, s->stream);
}

static bool same(const struct srcinfo *s, const char *name, size_t len,
		 uint8_t stream)
{
	return s->stream == stream && s->name_len == len &&
	       memcmp(s->name, name, len) == 0;
}

/* Index of the index entry holding slot i, or of the empty entry where
 * (name, stream) would go. */
static uint32_t probe(const struct srctab *t, const char *name, size_t len,
		      uint8_t stream, bool *found)
{
	uint32_t at = hash(name, len, stream) & t->index_mask;

	for (;; at = (at + 1) & t->index_mask) {
		uint32_t v = t->index[at];
		if (v == 0) {
			*found = false;
			return at;
		}
		if (same(&t->slots[v - 1], name, len, stream)) {
			*found = true;
			return at;
		}
	}
}

/* The index stays at most half full: size it for n names. */
static int index_size(struct srctab *t, uint32_t n)
{
	uint32_t size = 64;

	while (size < 2 * (uint64_t)n + 2)
		size *= 2;
	if (t->index && size <= t->index_mask + 1)
		return 0;
	uint32_t *ni = calloc(size, sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	uint32_t *old = t->index, oldsize = t->index ? t->index_mask + 1 : 0;
	t->index = ni;
	t->index_mask = size - 1;
	for (uint32_t i = 0; i < oldsize; i++) {
		if (!old[i])
			continue;
		uint32_t at = slot_hash(&t->slots[old[i] - 1]) & t->index_mask;
		while (t->index[at])
			at = (at + 1) & t->index_mask;
		t->index[at] = old[i];
	}
	free(old);
	return 0;
}

/* Removes index entry `at`, moving later entries of the same run back so
 * that every entry stays reachable from its home (linear probing's
 * deletion without tombstones). */
static void index_remove(struct srctab *t, uint32_t at)
{
	uint32_t hole = at;

	t->index[hole] = 0;
	for (uint32_t i = (hole + 1) & t->index_mask; t->index[i];
	     i = (i + 1) & t->index_mask) {
		uint32_t home = slot_hash(&t->slots[t->index[i] - 1]) &
				t->index_mask;
		/* Can the entry at i move to the hole? Only if its home is
		 * not in the (cyclic) range (hole, i]. */
		bool stays = hole <= i ? (home > hole && home <= i)
				       : (home > hole || home <= i);
		if (stays)
			continue;
		t->index[hole] = t->index[i];
		t->index[i] = 0;
		hole = i;
	}
}

static void reclaim(struct srctab *t, uint32_t i)
{
	struct srcinfo *s = &t->slots[i];
	bool found;
	uint32_t at = probe(t, s->name, s->name_len, s->stream, &found);

	/* Out of use first: a crash from here on leaves a free slot. */
	__atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
	if (found && t->index[at] == i + 1)
		index_remove(t, at);
	t->free[t->nfree++] = i;
	t->nused--;
}

/* Reclaims every dead slot (the table is full). */
static void sweep_all(struct srctab *t, uint64_t oldest_seq)
{
	for (uint32_t i = 1; i < t->nslots; i++)
		if (t->slots[i].used && !srctab_live(&t->slots[i], oldest_seq))
			reclaim(t, i);
}

static int take_free(struct srctab *t, uint64_t oldest_seq)
{
	if (t->nfree)
		return (int)t->free[--t->nfree];
	if (t->nslots < t->max)
		return (int)t->nslots++;
	sweep_all(t, oldest_seq);
	if (t->nfree)
		return (int)t->free[--t->nfree];
	return -ENOSPC;
}

static int make(struct srctab *t, const char *name, size_t len, uint8_t stream,
		uint64_t oldest_seq)
{
	if (index_size(t, t->nused + 1) < 0)
		return -ENOMEM;
	int i = take_free(t, oldest_seq);
	if (i < 0)
		return i;
	struct srcinfo *s = &t->slots[i];
	uint32_t gen = s->gen + 1;
	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->stream = stream;
	s->name_len = (uint16_t)len;
	s->pid = -1;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	/* Whole before it is in use (see srctab.h). */
	__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
	t->nused++;
	t->made++;
	/* The index may have grown or changed in a sweep: probe again. */
	bool found;
	uint32_t at = probe(t, name, len, stream, &found);
	t->index[at] = (uint32_t)i + 1;
	return i;
}

static int lookup(struct srctab *t, const char *name, size_t len,
		  enum stream stream, uint64_t oldest_seq, bool create)
{
	bool found;

	if (len > REG_NAME_MAX)
		len = REG_NAME_MAX;
	uint32_t at = probe(t, name, len, (uint8_t)stream, &found);
	if (found) {
		uint32_t i = t->index[at] - 1;
		if (srctab_live(&t->slots[i], oldest_seq))
			return (int)i;
		reclaim(t, i); /* dead: made afresh below, if asked to */
	}
	if (!create)
		return -ENOENT;
	return make(t, name, len, (uint8_t)stream, oldest_seq);
}

int srctab_get(struct srctab *t, const char *name, size_t len,
	       enum stream stream, uint64_t oldest_seq)
{
	return lookup(t, name, len, stream, oldest_seq, true);
}

int srctab_find(struct srctab *t, const char *name, size_t len,
		enum stream stream, uint64_t oldest_seq)
{
	return lookup(t, name, len, stream, oldest_seq, false);
}

uint32_t srctab_sweep(struct srctab *t, uint64_t oldest_seq, uint32_t budget)
{
	uint32_t got = 0;

	for (uint32_t n = 0; n < budget && t->nslots > 1; n++) {
		if (t->sweep_at < 1 || t->sweep_at >= t->nslots)
			t->sweep_at = 1;
		uint32_t i = t->sweep_at++;
		if (t->slots[i].used && !srctab_live(&t->slots[i], oldest_seq)) {
			reclaim(t, i);
			got++;
		}
	}
	return got;
}

static int alloc_free(struct srctab *t)
{
	t->free = malloc((size_t)t->max * sizeof(*t->free));
	return t->free ? 0 : -ENOMEM;
}

int srctab_init(struct srctab *t, struct srcinfo *slots, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->slots = slots;
	t->max = max < 2 ? 2 : max;
	if (alloc_free(t) < 0 || index_size(t, 1) < 0) {
		srctab_free(t);
		return -ENOMEM;
	}
	int r = srctab_get(t, "memlogd", 7, STREAM_NONE, 0);
	if (r < 0) {
		srctab_free(t);
		return r;
	}
	/* The daemon's own slot never goes away. */
	t->slots[SRCTAB_SELF].fds = 1;
	return 0;
}

int srctab_adopt(struct srctab *t, struct srcinfo *slots, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->slots = slots;
	t->max = max < 2 ? 2 : max;
	if (alloc_free(t) < 0)
		return -ENOMEM;
	const struct srcinfo *self = &slots[SRCTAB_SELF];
	if (!self->used || self->name_len != 7 || memcmp(self->name, "memlogd", 7)) {
		srctab_free(t);
		return -EUCLEAN;
	}
	for (uint32_t i = 0; i < t->max; i++) {
		struct srcinfo *s = &slots[i];
		if (!s->used)
			continue;
		if (s->name_len > REG_NAME_MAX || s->name[s->name_len] != '\0') {
			srctab_free(t);
			return -EUCLEAN;
		}
		t->nslots = i + 1;
		t->nused++;
	}
	if (index_size(t, t->nused) < 0) {
		srctab_free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct srcinfo *s = &slots[i];
		bool found;
		if (!s->used) {
			t->free[t->nfree++] = i;
			continue;
		}
		s->fds = 0;
		uint32_t at = probe(t, s->name, s->name_len, s->stream, &found);
		if (found) {
			/* Two slots of one name (a crash between a reclaim
			 * and its remake): the other stays, unindexed, until
			 * its entries are gone. */
			continue;
		}
		t->index[at] = i + 1;
	}
	slots[SRCTAB_SELF].fds = 1;
	return 0;
}

void srctab_free(struct srctab *t)
{
	free(t->index);
	free(t->free);
	t->index = NULL;
	t->free = NULL;
	t->nfree = 0;
}
