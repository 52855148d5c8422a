#include "binstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void binstream_init(struct binstream *s)
{
	memset(s, 0, sizeof(*s));
}

void binstream_reset(struct binstream *s)
{
	for (uint32_t i = 0; i < s->cap; i++) {
		free(s->srcs[i].name);
		s->srcs[i] = (struct binstream_src){ 0 };
	}
	s->n = 0;
	s->hello = false;
	s->instance = 0;
	s->why = NULL;
}

void binstream_free(struct binstream *s)
{
	binstream_reset(s);
	free(s->srcs);
	memset(s, 0, sizeof(*s));
}

static uint32_t hash_sid(uint32_t sid, uint32_t mask)
{
	return (sid * 2654435761u) & mask;
}

/* The table slot of sid: where it is, or the empty slot where it would go. */
static struct binstream_src *slot_of(const struct binstream *s, uint32_t sid)
{
	uint32_t mask = s->cap - 1;

	for (uint32_t at = hash_sid(sid, mask);; at = (at + 1) & mask) {
		struct binstream_src *x = &s->srcs[at];
		if (x->sid1 == 0 || x->sid1 == sid + 1)
			return x;
	}
}

/* Keeps the table at most half full. */
static int grow(struct binstream *s)
{
	if (s->cap && (s->n + 1) * 2 <= s->cap)
		return 0;
	uint32_t ncap = s->cap ? s->cap * 2 : 64;
	struct binstream_src *old = s->srcs, *nt = calloc(ncap, sizeof(*nt));
	uint32_t ocap = s->cap;

	if (!nt)
		return -ENOMEM;
	s->srcs = nt;
	s->cap = ncap;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].sid1)
			*slot_of(s, old[i].sid1 - 1) = old[i];
	free(old);
	return 0;
}

static int define(struct binstream *s, const struct binrec *r)
{
	struct binstream_src *x;
	char *name = malloc(r->name_len + 1);

	if (!name) {
		s->why = "out of memory";
		return -ENOMEM;
	}
	memcpy(name, r->name, r->name_len);
	name[r->name_len] = '\0';
	x = s->cap ? slot_of(s, r->sid) : NULL;
	if (!x || !x->sid1) {
		if (s->n >= BINSTREAM_SOURCES_MAX) {
			free(name);
			s->why = "too many sources defined";
			return -ENOSPC;
		}
		if (grow(s) < 0) {
			free(name);
			s->why = "out of memory";
			return -ENOMEM;
		}
		x = slot_of(s, r->sid);
		s->n++;
	}
	free(x->name);
	x->sid1 = r->sid + 1;
	x->stream = r->stream;
	x->name_len = (uint16_t)r->name_len;
	x->name = name;
	return 0;
}

int binstream_next(struct binstream *s, const char *buf, size_t len,
		   struct binstream_item *it, size_t *used)
{
	struct binrec *r = &it->rec;
	int k = binrec_next(buf, len, r, used);

	if (k == 0)
		return 0;
	if (k < 0) {
		s->why = "a malformed record";
		return k;
	}
	it->type = r->type;
	it->source = NULL;
	it->source_len = 0;
	it->stream = 0;
	if (r->type == BINREC_ERROR)
		return 1; /* an error may come in place of anything */
	if (r->type == BINREC_HELLO) {
		if (s->hello) {
			s->why = "a second HELLO record";
			return -EPROTO;
		}
		if (r->version != BINREC_VERSION) {
			s->why = "a binary record version this program does not know";
			return -EPROTO;
		}
		s->hello = true;
		s->instance = r->instance;
		return 1;
	}
	if (!s->hello) {
		s->why = "a record before the HELLO record";
		return -EPROTO;
	}
	switch (r->type) {
	case BINREC_SOURCE:
		k = define(s, r);
		return k < 0 ? k : 1;
	case BINREC_ENTRY: {
		struct binstream_src *x = s->cap ? slot_of(s, r->sid) : NULL;
		if (!x || !x->sid1) {
			s->why = "an entry of a source that was not defined";
			return -EPROTO;
		}
		it->source = x->name;
		it->source_len = x->name_len;
		it->stream = x->stream;
		return 1;
	}
	default: /* BINREC_MARKER */
		return 1;
	}
}

void binstream_cursor(const struct binstream *s, uint64_t seq, char *out)
{
	cursor_format(out, (struct cursor){ s->instance, seq });
}

void binstream_ring_entry(const struct binrec *r, struct ring_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = r->seq;
	e->time_ns = r->time_ns;
	e->flags = ((r->flags & BINREC_PARTIAL) ? RING_F_PARTIAL : 0) |
		   ((r->flags & BINREC_NOTICE) ? RING_F_MARKER : 0) |
		   ((r->flags & BINREC_NOEOL) ? RING_F_NOEOL : 0) |
		   (r->attrs_len ? RING_F_ATTRS : 0);
	e->priority = r->priority;
	e->facility = r->facility;
	e->len = (uint32_t)r->msg_len;
	e->msg = r->msg;
	e->attrs = r->attrs_len ? r->attrs : NULL;
	e->attrs_len = (uint32_t)r->attrs_len;
}
