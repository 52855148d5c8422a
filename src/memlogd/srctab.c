#include "srctab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int srctab_init(struct srctab *t, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max < 2 ? 2 : max;
	int r = srctab_get(t, "memlogd", 7, STREAM_NONE);
	if (r < 0)
		return r;
	/* The daemon's own slot never goes away. */
	t->slots[SRCTAB_SELF].fds = 1;
	return 0;
}

void srctab_free(struct srctab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int srctab_get(struct srctab *t, const char *name, size_t len,
	       enum stream stream)
{
	uint32_t free_slot = UINT32_MAX;

	if (len > REG_NAME_MAX)
		len = REG_NAME_MAX;
	/* Linear: registrations are rare next to lines, and a table of a few
	 * thousand names is scanned in microseconds. */
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct srcinfo *s = &t->slots[i];
		if (s->refs == 0) {
			if (free_slot == UINT32_MAX)
				free_slot = i;
			continue;
		}
		if (s->stream == stream && s->name_len == len &&
		    memcmp(s->name, name, len) == 0) {
			s->refs++;
			return (int)i;
		}
	}
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
		free_slot = t->nslots++;
	}
	struct srcinfo *s = &t->slots[free_slot];
	memset(s, 0, offsetof(struct srcinfo, name));
	s->refs = 1;
	s->stream = (uint8_t)stream;
	s->name_len = (uint16_t)len;
	s->pid = -1;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	return (int)free_slot;
}

void srctab_ref(struct srctab *t, uint32_t i)
{
	t->slots[i].refs++;
}

void srctab_unref(struct srctab *t, uint32_t i)
{
	t->slots[i].refs--;
}
