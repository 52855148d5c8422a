#include "srctab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int srctab_init(struct srctab *t, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max < 2 ? 2 : max;
	int r = srctab_get(t, "memlogd", 7, STREAM_NONE, 0);
	if (r < 0)
		return r;
	/* The daemon's own slot never goes away. */
	t->slots[SRCTAB_SELF].fds = 1;
	return 0;
}

void srctab_free(struct srctab *t)
{
	free(t->slots);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

static void reclaim(struct srctab *t, struct srcinfo *s)
{
	s->used = false;
	t->nused--;
	t->names_dead += s->name_len + 1u;
}

/* Room for need more bytes of names: compact when half the arena is dead
 * names, else grow it. */
static int names_reserve(struct srctab *t, uint32_t need)
{
	if (t->names_cap - t->names_len >= need)
		return 0;
	if (t->names_dead >= t->names_len / 2 && t->names_dead >= need) {
		char *n = malloc(t->names_cap);
		uint32_t len = 0;
		if (!n)
			return -ENOMEM;
		for (uint32_t i = 0; i < t->nslots; i++) {
			struct srcinfo *s = &t->slots[i];
			if (!s->used)
				continue;
			memcpy(n + len, t->names + s->name_off, s->name_len + 1u);
			s->name_off = len;
			len += s->name_len + 1u;
		}
		free(t->names);
		t->names = n;
		t->names_len = len;
		t->names_dead = 0;
		if (t->names_cap - t->names_len >= need)
			return 0;
	}
	uint32_t cap = t->names_cap ? t->names_cap : 4096;
	while (cap - t->names_len < need)
		cap *= 2;
	char *n = realloc(t->names, cap);
	if (!n)
		return -ENOMEM;
	t->names = n;
	t->names_cap = cap;
	return 0;
}

static int lookup(struct srctab *t, const char *name, size_t len,
		  enum stream stream, uint64_t oldest_seq, bool create)
{
	uint32_t free_slot = UINT32_MAX;

	if (len > REG_NAME_MAX)
		len = REG_NAME_MAX;
	/* Linear: registrations are rare next to lines, and a table of a few
	 * thousand names is scanned in microseconds. */
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct srcinfo *s = &t->slots[i];
		if (s->used && !srctab_live(s, oldest_seq))
			reclaim(t, s);
		if (!s->used) {
			if (free_slot == UINT32_MAX)
				free_slot = i;
			continue;
		}
		if (s->stream == stream && s->name_len == len &&
		    memcmp(t->names + s->name_off, name, len) == 0)
			return (int)i;
	}
	if (!create)
		return -ENOENT;
	if (free_slot == UINT32_MAX) {
		if (t->nslots == t->max)
			return -ENOSPC;
		if (t->nslots == t->cap) {
			uint32_t cap = t->cap ? t->cap * 2 : 64;
			if (cap > t->max)
				cap = t->max;
			struct srcinfo *n = realloc(t->slots, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			t->slots = n;
			t->cap = cap;
		}
		t->slots[t->nslots].used = false;
		free_slot = t->nslots++;
	}
	if (names_reserve(t, (uint32_t)len + 1) < 0)
		return -ENOMEM;
	struct srcinfo *s = &t->slots[free_slot];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->stream = (uint8_t)stream;
	s->name_len = (uint16_t)len;
	s->name_off = t->names_len;
	s->pid = -1;
	memcpy(t->names + t->names_len, name, len);
	t->names[t->names_len + len] = '\0';
	t->names_len += (uint32_t)len + 1;
	t->nused++;
	return (int)free_slot;
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
