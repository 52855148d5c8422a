#include "kring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void kring_init(struct kring *r, size_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->max_bytes = max_bytes;
}

static struct krec *at(const struct kring *r, size_t i)
{
	return &r->v[(r->head + i) % r->cap];
}

void kring_free(struct kring *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(at(r, i)->text);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void drop_oldest(struct kring *r)
{
	struct krec *o = at(r, 0);

	r->dropped_seq = o->seq;
	r->bytes -= o->len;
	free(o->text);
	o->text = NULL;
	r->head = (r->head + 1) % r->cap;
	r->n--;
}

static int grow(struct kring *r)
{
	size_t cap = r->cap ? 2 * r->cap : 64;
	struct krec *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		v[i] = *at(r, i);
	free(r->v);
	r->v = v;
	r->cap = cap;
	r->head = 0;
	return 0;
}

int kring_push(struct kring *r, uint64_t seq, bool gap, const char *text,
	       size_t len)
{
	if (gap)
		len = 0;
	if (r->last_seq && seq <= r->last_seq)
		return -EALREADY;
	if (len > r->max_bytes || len > UINT32_MAX)
		return -E2BIG;
	char *t = NULL;
	if (len) {
		t = malloc(len);
		if (!t)
			return -ENOMEM;
		memcpy(t, text, len);
	}
	while (r->n && r->bytes + len > r->max_bytes)
		drop_oldest(r);
	if (r->n == r->cap && grow(r) < 0) {
		free(t);
		return -ENOMEM;
	}
	struct krec *e = &r->v[(r->head + r->n) % r->cap];
	e->seq = seq;
	e->gap = gap;
	e->len = (uint32_t)len;
	e->text = t;
	r->n++;
	r->bytes += len;
	r->last_seq = seq;
	return 1;
}

uint64_t kring_begin(const struct kring *r)
{
	return r->n ? at(r, 0)->seq : r->last_seq + 1;
}

uint64_t kring_end(const struct kring *r)
{
	return r->last_seq + 1;
}

/* The index of the first record of seq >= next (r->n: none). */
static size_t find(const struct kring *r, uint64_t next)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (at(r, mid)->seq < next)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int kring_read(const struct kring *r, struct kpos *p, char *buf, size_t cap,
	       size_t *len)
{
	/* Records at or after p's place were dropped before it read them. */
	if (r->dropped_seq && p->next <= r->dropped_seq) {
		p->next = kring_begin(r);
		return -EPIPE;
	}
	size_t i = find(r, p->next);
	if (i == r->n)
		return 0;
	const struct krec *e = at(r, i);
	if (e->gap) {
		p->next = e->seq + 1;
		return -EPIPE;
	}
	if (e->len > cap)
		return -EINVAL;
	memcpy(buf, e->text, e->len);
	*len = e->len;
	p->next = e->seq + 1;
	return 1;
}

bool kring_ready(const struct kring *r, const struct kpos *p)
{
	if (r->dropped_seq && p->next <= r->dropped_seq)
		return true;
	return find(r, p->next) < r->n;
}
