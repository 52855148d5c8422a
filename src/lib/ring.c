#include "ring.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING_MAGIC 0x676e69726d656d6dull /* "mmemring" */

/* Header layout, little-endian as the host:
 *   u64 seq | u64 time_ns | u32 source:24 prio:4 - | u32 len:21 flags:3 fac:5 -
 * Priority and facility are stored plus one so that 0 means "none". */
#define SRC_MASK   0x00ffffffu
#define PRIO_SHIFT 24
#define LEN_MASK   0x001fffffu
#define FAC_SHIFT  24

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

/* Maps fd (a meta page and size bytes of data) with the data twice back
 * to back: address space for meta + data + data is reserved, then the
 * data pages are mapped a second time right after the first copy. */
static int map_ring(struct ring *r, int fd, size_t size)
{
	size_t page = page_size();
	size_t map_len = page + 2 * size;
	char *va = mmap(NULL, map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	int err;

	if (va == MAP_FAILED)
		return -errno;
	if (mmap(va, page + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED ||
	    mmap(va + page + size, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, (off_t)page) == MAP_FAILED) {
		err = -errno;
		munmap(va, map_len);
		return err;
	}
	r->meta = (struct ring_meta *)va;
	r->data = va + page;
	r->map_len = map_len;
	r->memfd = fd;
	return 0;
}

int ring_init(struct ring *r, size_t size, uint64_t max_entries,
	      uint64_t instance)
{
	size_t page = page_size();
	int err;

	if (size < 2 * page)
		size = 2 * page;
	size = (size + page - 1) / page * page;
	memset(r, 0, sizeof(*r));
	r->memfd = -1;

	/* Named, so that a person looking at /proc/PID/fd knows it; a live
	 * upgrade clears close-on-exec on the fds it hands over. */
	int fd = memfd_create("memlog-ring", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(page + size)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((err = map_ring(r, fd, size)) < 0) {
		close(fd);
		return err;
	}
	r->meta->magic = RING_MAGIC;
	r->meta->version = RING_VERSION;
	r->meta->size = size;
	r->meta->instance = instance;
	r->meta->max_entries = max_entries;
	r->meta->next_seq = 1; /* 0 is never a valid seq: "before the first" */
	r->meta->oldest_seq = 1;
	return 0;
}

void ring_destroy(struct ring *r)
{
	if (r->meta)
		munmap(r->meta, r->map_len);
	if (r->memfd >= 0)
		close(r->memfd);
	r->meta = NULL;
	r->data = NULL;
	r->memfd = -1;
}

uint32_t ring_msg_max(const struct ring *r)
{
	uint64_t m = r->meta->size - RING_HDR;
	return m < RING_MSG_MAX ? (uint32_t)m : RING_MSG_MAX;
}

static void decode(const struct ring *r, uint64_t off, struct ring_entry *e)
{
	const char *p = r->data + off;
	uint32_t w1, w2;

	memcpy(&e->seq, p, 8);
	memcpy(&e->time_ns, p + 8, 8);
	memcpy(&w1, p + 16, 4);
	memcpy(&w2, p + 20, 4);
	e->source = w1 & SRC_MASK;
	e->priority = (int)((w1 >> PRIO_SHIFT) & 0xf) - 1;
	e->size = w2 & LEN_MASK;
	e->flags = w2 & RING_F_MASK;
	e->facility = (int)((w2 >> FAC_SHIFT) & 0x1f) - 1;
	e->msg = p + RING_HDR;
	e->len = e->size;
	e->attrs = NULL;
	e->attrs_len = 0;
	if (e->flags & RING_F_ATTRS) {
		uint32_t ml;
		memcpy(&ml, e->msg, 4);
		/* Written by us, but a corrupt length must not read past the
		 * entry. */
		if (e->size >= 4 && ml <= e->size - 4) {
			e->msg += 4;
			e->len = ml;
			e->attrs = e->msg + ml;
			e->attrs_len = e->size - 4 - ml;
		}
	}
}

static uint64_t wrap(const struct ring *r, uint64_t off)
{
	return off >= r->meta->size ? off - r->meta->size : off;
}

static void evict_oldest(struct ring *r)
{
	struct ring_meta *m = r->meta;
	uint32_t w2, len;

	/* The hot path when the ring is full: only the length is read. */
	assert(m->used > 0);
	memcpy(&w2, r->data + m->tail + 20, 4);
	len = w2 & LEN_MASK;
	m->tail = wrap(r, m->tail + RING_HDR + len);
	m->used -= RING_HDR + len;
	m->oldest_seq++;
}

/* The entry header at off: seq and payload size. */
static void peek(const struct ring *r, uint64_t off, uint64_t *seq,
		 uint32_t *size)
{
	uint32_t w2;

	memcpy(seq, r->data + off, 8);
	memcpy(&w2, r->data + off + 20, 4);
	*size = w2 & LEN_MASK;
}

int ring_adopt(struct ring *r, int memfd, uint64_t max_entries,
	       const char **why)
{
	size_t page = page_size();
	struct ring_meta m0;
	struct stat st;
	const char *w = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	r->memfd = -1;
	if (fstat(memfd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < page + 2 * page) {
		w = "too small to be a ring";
		err = -EPROTO;
		goto fail;
	}
	if (pread(memfd, &m0, sizeof(m0), 0) != (ssize_t)sizeof(m0)) {
		w = "meta page unreadable";
		err = -EPROTO;
		goto fail;
	}
	if (m0.magic != RING_MAGIC) {
		w = "not a memlog ring (bad magic)";
		err = -EPROTO;
		goto fail;
	}
	if (m0.version != RING_VERSION) {
		w = "a ring of another memlog version";
		err = -EPROTO;
		goto fail;
	}
	if (m0.size % page || m0.size < 2 * page ||
	    (uint64_t)st.st_size != page + m0.size) {
		w = "its size does not match its file";
		err = -EUCLEAN;
		goto fail;
	}
	if ((err = map_ring(r, memfd, m0.size)) < 0) {
		w = "cannot be mapped";
		goto fail_nomap;
	}

	/* Published entries are the seqs [oldest, next); the entry at tail
	 * is the oldest, unless a crash came in the middle of an eviction
	 * (then tail already points at the one after it). Bytes past the
	 * newest published entry are never looked at: a crash in the middle
	 * of an append leaves them unpublished. */
	struct ring_meta *m = r->meta;
	uint64_t next = __atomic_load_n(&m->next_seq, __ATOMIC_ACQUIRE);
	uint64_t msg_max = ring_msg_max(r);
	if (next == 0 || m->oldest_seq > next || m->tail >= m->size) {
		w = "inconsistent sequence numbers or offsets";
		err = -EUCLEAN;
		goto fail;
	}
	uint64_t off = m->tail, start = next, bytes = 0;
	if (m->oldest_seq < next) {
		uint64_t s;
		uint32_t size;
		peek(r, off, &s, &size);
		if (s == m->oldest_seq || s == m->oldest_seq + 1) {
			start = s;
		} else if (m->oldest_seq + 1 == next && m->tail == m->head) {
			/* An eviction of the only entry: tail has reached the
			 * head, where no entry has been published. */
			start = next;
		} else {
			w = "the oldest entry is not where the meta page says "
			    "(damaged ring)";
			err = -EUCLEAN;
			goto fail;
		}
	}
	for (uint64_t seq = start; seq < next; seq++) {
		uint64_t s;
		uint32_t size;
		peek(r, off, &s, &size);
		if (s != seq) {
			w = "entries out of sequence (damaged ring)";
			err = -EUCLEAN;
			goto fail;
		}
		if (size > msg_max || bytes + RING_HDR + size > m->size) {
			w = "an entry's length runs past the ring (damaged ring)";
			err = -EUCLEAN;
			goto fail;
		}
		bytes += RING_HDR + size;
		off = wrap(r, off + RING_HDR + size);
	}
	m->oldest_seq = start;
	m->tail = bytes ? m->tail : off;
	m->head = off;
	m->used = bytes;
	m->max_entries = max_entries;
	while (max_entries && ring_count(r) > max_entries)
		evict_oldest(r);
	return 0;
fail:
	if (r->meta) {
		munmap(r->meta, r->map_len);
		r->meta = NULL;
	}
fail_nomap:
	r->memfd = -1;
	if (why)
		*why = w ? w : strerror(-err);
	return err;
}

char *ring_reserve(struct ring *r, uint32_t len)
{
	struct ring_meta *m = r->meta;
	uint64_t need = RING_HDR + (uint64_t)len;

	/* Callers bound their entries by configuration (options.c checks
	 * that the ring holds two of the longest): a longer one would evict
	 * everything and still not fit. */
	assert(len <= ring_msg_max(r));
	while (m->size - m->used < need ||
	       (m->max_entries && m->next_seq - m->oldest_seq >= m->max_entries))
		evict_oldest(r);
	return r->data + m->head + RING_HDR;
}

uint64_t ring_commit(struct ring *r, uint64_t time_ns, uint32_t source,
		     uint32_t flags, int priority, int facility, uint32_t len)
{
	struct ring_meta *m = r->meta;
	char *p = r->data + m->head;
	uint64_t seq = m->next_seq;
	uint32_t w1 = source & SRC_MASK;
	uint32_t w2 = (len & LEN_MASK) | (flags & RING_F_MASK);

	assert(len <= ring_msg_max(r) && source <= RING_SOURCE_MAX);
	assert(m->size - m->used >= RING_HDR + (uint64_t)len);
	if (priority >= 0 && priority <= 7)
		w1 |= (uint32_t)(priority + 1) << PRIO_SHIFT;
	if (facility >= 0 && facility <= 23)
		w2 |= (uint32_t)(facility + 1) << FAC_SHIFT;
	memcpy(p, &seq, 8);
	memcpy(p + 8, &time_ns, 8);
	memcpy(p + 16, &w1, 4);
	memcpy(p + 20, &w2, 4);
	m->head = wrap(r, m->head + RING_HDR + len);
	m->used += RING_HDR + len;
	/* The entry is published by this store, after every byte of it: a
	 * crash before it leaves the entry unpublished (ring_adopt never
	 * serves it), a crash after it leaves it whole. */
	__atomic_store_n(&m->next_seq, seq + 1, __ATOMIC_RELEASE);
	return seq;
}

struct ring_pos ring_oldest(const struct ring *r)
{
	return (struct ring_pos){ r->meta->oldest_seq, r->meta->tail };
}

struct ring_pos ring_end(const struct ring *r)
{
	return (struct ring_pos){ r->meta->next_seq, r->meta->head };
}

int ring_get(const struct ring *r, const struct ring_pos *pos,
	     struct ring_entry *e)
{
	if (pos->seq < r->meta->oldest_seq)
		return -ESTALE;
	if (pos->seq >= r->meta->next_seq)
		return 0;
	decode(r, pos->off, e);
	return 1;
}

void ring_next(const struct ring *r, struct ring_pos *pos,
	       const struct ring_entry *e)
{
	pos->off = wrap(r, pos->off + RING_HDR + e->size);
	pos->seq++;
}

int ring_seek(const struct ring *r, uint64_t seq, struct ring_pos *pos)
{
	struct ring_pos p = ring_oldest(r);
	struct ring_entry e;

	if (seq < r->meta->oldest_seq)
		return -ESTALE;
	if (seq > r->meta->next_seq)
		return -ERANGE;
	while (p.seq < seq) {
		decode(r, p.off, &e);
		ring_next(r, &p, &e);
	}
	*pos = p;
	return 0;
}

void ring_seek_last(const struct ring *r, uint64_t n, ring_match_fn match,
		    void *arg, struct ring_pos *marks, size_t nmarks,
		    struct ring_pos *pos)
{
	struct ring_pos p = ring_oldest(r);
	struct ring_entry e;
	uint64_t k, m = 0; /* stride of the marks; matches seen */

	assert(nmarks >= 2);
	if (n == 0) {
		*pos = ring_end(r);
		return;
	}
	/* (n-1)/(nmarks-1)+1: ceil without overflow for any n. With it the
	 * marks kept span at least n matches back from the newest. */
	k = (n - 1) / (nmarks - 1) + 1;
	while (p.seq < r->meta->next_seq) {
		decode(r, p.off, &e);
		if (match(&e, arg)) {
			if (m % k == 0)
				marks[(m / k) % nmarks] = p;
			m++;
		}
		ring_next(r, &p, &e);
	}
	if (m == 0) {
		*pos = p; /* the end */
		return;
	}
	if (m <= n) {
		*pos = marks[0]; /* the first match: its mark is never reused */
		return;
	}
	/* The first wanted match is number t; the mark at or before it is
	 * number j*k, and t - j*k < k matches lie between them. */
	uint64_t t = m - n, j = t / k, skip = t - j * k;
	p = marks[j % nmarks];
	for (;;) {
		assert(p.seq < r->meta->next_seq); /* match t is ahead */
		decode(r, p.off, &e);
		if (match(&e, arg) && skip-- == 0)
			break;
		ring_next(r, &p, &e);
	}
	*pos = p;
}
