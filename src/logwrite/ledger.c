#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_base(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

int ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof(*l));
	l->nbuckets = 64;
	l->hash = calloc(l->nbuckets, sizeof(*l->hash));
	return l->hash ? 0 : -ENOMEM;
}

static void owned_free(struct owned *o)
{
	free(o->inos);
	free(o);
}

void ledger_clear(struct ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		owned_free(l->all[i]);
	l->n = 0;
	l->ninos = 0;
	memset(l->hash, 0, l->nbuckets * sizeof(*l->hash));
}

void ledger_free(struct ledger *l)
{
	if (l->hash)
		ledger_clear(l);
	free(l->all);
	free(l->hash);
	memset(l, 0, sizeof(*l));
}

struct owned *ledger_get(const struct ledger *l, const char *base)
{
	struct owned *o = l->hash[hash_base(base) & (l->nbuckets - 1)];

	while (o && strcmp(o->base, base))
		o = o->hnext;
	return o;
}

static void hash_insert(struct ledger *l, struct owned *o)
{
	struct owned **b = &l->hash[hash_base(o->base) & (l->nbuckets - 1)];

	o->hnext = *b;
	*b = o;
}

static int hash_grow(struct ledger *l)
{
	size_t nb = l->nbuckets * 2;
	struct owned **h = calloc(nb, sizeof(*h));

	if (!h)
		return -ENOMEM;
	free(l->hash);
	l->hash = h;
	l->nbuckets = nb;
	for (size_t i = 0; i < l->n; i++)
		hash_insert(l, l->all[i]);
	return 0;
}

struct owned *ledger_add(struct ledger *l, const char *base, bool *full)
{
	struct owned *o = ledger_get(l, base);

	*full = false;
	if (o)
		return o;
	if (l->n >= LEDGER_BASES_MAX) {
		*full = true;
		return NULL;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 64;
		struct owned **na = realloc(l->all, ncap * sizeof(*na));
		if (!na)
			return NULL;
		l->all = na;
		l->cap = ncap;
	}
	if (l->n >= l->nbuckets && hash_grow(l) < 0)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	snprintf(o->base, sizeof(o->base), "%s", base);
	l->all[l->n++] = o;
	hash_insert(l, o);
	return o;
}

bool owned_has(const struct owned *o, uint64_t ino)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->inos[i] == ino)
			return true;
	return false;
}

bool ledger_room(const struct ledger *l, size_t n)
{
	return l->ninos + n <= LEDGER_FILES_MAX;
}

int owned_add(struct ledger *l, struct owned *o, uint64_t ino)
{
	if (owned_has(o, ino))
		return 0;
	if (!ledger_room(l, 1))
		return -ENOSPC;
	if (o->n == o->cap) {
		size_t ncap = o->cap ? 2 * o->cap : 4;
		uint64_t *ni = realloc(o->inos, ncap * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		o->inos = ni;
		o->cap = ncap;
	}
	o->inos[o->n++] = ino;
	l->ninos++;
	return 0;
}

void owned_del(struct ledger *l, struct owned *o, uint64_t ino)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->inos[i] == ino) {
			o->inos[i] = o->inos[--o->n];
			l->ninos--;
			return;
		}
	}
}

void ledger_prune(struct ledger *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct owned *o = l->all[i];
		if (o->n || o->creating) {
			l->all[k++] = o;
			continue;
		}
		size_t b = hash_base(o->base) & (l->nbuckets - 1);
		struct owned **p = &l->hash[b];
		while (*p != o)
			p = &(*p)->hnext;
		*p = o->hnext;
		owned_free(o);
	}
	l->n = k;
}
