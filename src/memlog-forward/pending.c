#include "pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pending_init(struct pending *p)
{
	memset(p, 0, sizeof(*p));
}

void pending_free(struct pending *p)
{
	free(p->items);
	pending_init(p);
}

void pending_clear(struct pending *p)
{
	p->head = p->count = 0;
}

/* The ring's capacity is a power of two (64, doubling): an index wraps
 * with a mask, not a division, on every push and pop. */
#define AT(p, i) ((p)->items[((p)->head + (i)) & ((p)->cap - 1)])

static int grow(struct pending *p)
{
	size_t ncap = p->cap ? 2 * p->cap : 64;
	struct pending_item *n = malloc(ncap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < p->count; i++)
		n[i] = AT(p, i);
	free(p->items);
	p->items = n;
	p->cap = ncap;
	p->head = 0;
	return 0;
}

int pending_push(struct pending *p, uint64_t key, bool sent, const char *cursor)
{
	size_t len = strlen(cursor);
	struct pending_item *it;

	if (len > CURSOR_TEXT_MAX)
		return -EINVAL;
	if (p->count == p->cap && grow(p) < 0)
		return -ENOMEM;
	it = &AT(p, p->count);
	it->key = key;
	it->sent = sent;
	memcpy(it->cursor, cursor, len + 1);
	p->count++;
	return 0;
}

size_t pending_pop(struct pending *p, uint64_t upto, char out[CURSOR_TEXT_MAX + 1],
		   size_t *nsent)
{
	const struct pending_item *last = NULL;
	size_t n = 0, ns = 0;

	while (p->count && p->items[p->head].key <= upto) {
		last = &p->items[p->head];
		ns += last->sent;
		n++;
		p->head = (p->head + 1) & (p->cap - 1);
		p->count--;
	}
	if (nsent)
		*nsent = ns;
	/* The slot is not reused before the next push. */
	if (last)
		memcpy(out, last->cursor, strlen(last->cursor) + 1);
	return n;
}

size_t pending_pop_all(struct pending *p, char out[CURSOR_TEXT_MAX + 1], size_t *nsent)
{
	return pending_pop(p, UINT64_MAX, out, nsent);
}
