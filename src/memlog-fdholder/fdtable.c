#include "fdtable.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* The smallest table, and the load above which it doubles (3/4) and below
 * which it halves (1/8: far enough from the growth point that a key put and
 * dropped over and over at the boundary does not rehash every time). */
#define FDTABLE_MIN_CAP 64

/* Keys are chosen by the client, often small counters: mix all 64 bits
 * into the slot number (the finalizer of splitmix64). */
static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & (cap - 1);
}

void fdtable_init(struct fdtable *t)
{
	memset(t, 0, sizeof(*t));
}

/* Both arrays live in one anonymous mapping of their own, not on the
 * malloc heap: a table that grew (or shrank) gives the old one back to the
 * kernel whole, so the holder's RSS is what it holds now, not the sum of
 * every size it went through. */
static size_t map_size(size_t cap)
{
	return cap * (sizeof(uint64_t) + sizeof(int));
}

static void unmap(struct fdtable *t)
{
	if (t->cap)
		munmap(t->keys, map_size(t->cap));
}

void fdtable_free(struct fdtable *t)
{
	unmap(t);
	fdtable_init(t);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct fdtable *t, uint64_t key)
{
	size_t mask = t->cap - 1;
	size_t i = slot_of(key, t->cap);

	while (t->fds[i] >= 0 && t->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

/* Moves every entry into a table of cap slots. Returns 0 or -ENOMEM (the
 * table is unchanged then). */
static int resize(struct fdtable *t, size_t cap)
{
	struct fdtable n = { .cap = cap };
	void *p = mmap(NULL, map_size(cap), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	n.keys = p; /* keys first: 8-byte aligned at the page start */
	n.fds = (int *)(n.keys + cap);
	memset(n.fds, 0xff, cap * sizeof(*n.fds)); /* all -1: empty */
	for (size_t i = 0; i < t->cap; i++) {
		if (t->fds[i] < 0)
			continue;
		size_t j = find(&n, t->keys[i]);
		n.keys[j] = t->keys[i];
		n.fds[j] = t->fds[i];
		n.count++;
	}
	unmap(t);
	*t = n;
	return 0;
}

int fdtable_get(const struct fdtable *t, uint64_t key)
{
	if (t->count == 0)
		return -1;
	return t->fds[find(t, key)];
}

int fdtable_put(struct fdtable *t, uint64_t key, int fd, int *old)
{
	if (t->cap == 0 || (t->count + 1) * 4 > t->cap * 3) {
		/* Grown before it is known whether key is new: at most one
		 * doubling early, and the probe below stays simple. */
		int r = resize(t, t->cap ? t->cap * 2 : FDTABLE_MIN_CAP);
		if (r < 0 && (t->cap == 0 || t->count + 1 > t->cap - 1))
			return r;
		/* Otherwise the old table still has room: go on in it. */
	}
	size_t i = find(t, key);
	*old = t->fds[i];
	if (*old < 0)
		t->count++;
	t->keys[i] = key;
	t->fds[i] = fd;
	return 0;
}

int fdtable_del(struct fdtable *t, uint64_t key)
{
	if (t->count == 0)
		return -1;
	size_t mask = t->cap - 1;
	size_t i = find(t, key);
	int fd = t->fds[i];
	if (fd < 0)
		return -1;
	/* Backward shift: pull later entries of the same probe run into the
	 * hole, so that no tombstones are needed and lookups stay short. */
	for (size_t j = (i + 1) & mask; t->fds[j] >= 0; j = (j + 1) & mask) {
		size_t home = slot_of(t->keys[j], t->cap);
		/* Entry j may move to i unless its home lies cyclically in
		 * (i, j]: then i is before its home and it would be lost. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->keys[i] = t->keys[j];
			t->fds[i] = t->fds[j];
			i = j;
		}
	}
	t->fds[i] = -1;
	t->count--;
	if (t->cap > FDTABLE_MIN_CAP && t->count * 8 < t->cap)
		IGNORE_RESULT(resize(t, t->cap / 2)); /* no memory: stays as it is */
	return fd;
}

bool fdtable_next(const struct fdtable *t, size_t *pos, uint64_t *key, int *fd)
{
	for (size_t i = *pos; i < t->cap; i++) {
		if (t->fds[i] >= 0) {
			*key = t->keys[i];
			*fd = t->fds[i];
			*pos = i + 1;
			return true;
		}
	}
	*pos = t->cap;
	return false;
}
