/* The holder's table: opaque 64-bit keys to the fds held under them. An
 * open-addressing hash table (linear probing, deletion by backward shift)
 * in two flat arrays, grown and shrunk with the number of entries, so that
 * 10,000 fds cost 192 KiB. Plain memory: it never closes an fd, the caller
 * does. */
#ifndef FDHOLDER_FDTABLE_H
#define FDHOLDER_FDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdtable {
	uint64_t *keys;  /* key of each slot */
	int *fds;        /* fd of each slot; -1: the slot is empty */
	size_t cap;      /* slots: 0 or a power of two */
	size_t count;    /* slots in use */
};

void fdtable_init(struct fdtable *t);
/* Frees the table's memory (the fds are the caller's to close first). */
void fdtable_free(struct fdtable *t);

/* The fd held under key, or -1. */
int fdtable_get(const struct fdtable *t, uint64_t key);

/* Holds fd (>= 0) under key. *old gets the fd it replaces (to be closed by
 * the caller), or -1 for a new key. Returns 0, or -ENOMEM when the table
 * could not grow (nothing changed then). */
int fdtable_put(struct fdtable *t, uint64_t key, int fd, int *old);

/* Forgets key. Returns the fd it held (to be closed by the caller), or -1
 * if it held none. */
int fdtable_del(struct fdtable *t, uint64_t key);

/* Walks the entries: *pos starts at 0; each call gives the next entry and
 * returns true, or false at the end. The walk is exact while the table is
 * not changed. */
bool fdtable_next(const struct fdtable *t, size_t *pos, uint64_t *key, int *fd);

#endif
