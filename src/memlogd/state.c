#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC 0x0031657461746c6dull /* "mlstate1" little-endian-ish */

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/* The layout for geometry g. */
static void layout(struct state_hdr *h, const struct state_geometry *g)
{
	uint64_t page = page_size();

	h->page = (uint32_t)page;
	h->max_slots = g->max_slots;
	h->max_recs = g->max_recs;
	h->slot_size = (uint32_t)sizeof(struct srcinfo);
	h->rec_size = (uint32_t)sizeof(struct src_rec);
	h->region_size = round_up(g->region_size, page);
	h->slots_off = round_up(sizeof(struct state_hdr), page);
	h->recs_off = round_up(h->slots_off + (uint64_t)h->max_slots * h->slot_size,
			       page);
	h->regions_off = round_up(h->recs_off + (uint64_t)h->max_recs * h->rec_size,
				  page);
	h->total = h->regions_off + (uint64_t)h->max_recs * h->region_size;
}

static int map_state(struct state *st, int fd, uint64_t total)
{
	void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED |
		       MAP_NORESERVE, fd, 0);

	if (m == MAP_FAILED)
		return -errno;
	st->fd = fd;
	st->map = m;
	st->map_len = total;
	st->hdr = m;
	st->slots = (struct srcinfo *)(st->map + st->hdr->slots_off);
	st->recs = (struct src_rec *)(st->map + st->hdr->recs_off);
	return 0;
}

/* The free list and high-water mark, from the records' flags. */
static int index_recs(struct state *st)
{
	uint32_t max = st->hdr->max_recs;

	st->free_recs = malloc((size_t)(max ? max : 1) * sizeof(uint32_t));
	if (!st->free_recs)
		return -ENOMEM;
	st->nrecs = 0;
	for (uint32_t i = 0; i < max; i++)
		if (st->recs[i].flags & REC_USED)
			st->nrecs = i + 1;
	st->nfree = 0;
	/* Lowest first out: kept in descending order. */
	for (uint32_t i = st->nrecs; i-- > 0;)
		if (!(st->recs[i].flags & REC_USED))
			st->free_recs[st->nfree++] = i;
	return 0;
}

int state_init(struct state *st, const struct state_geometry *g,
	       uint64_t instance)
{
	struct state_hdr h = { 0 };
	int fd, r;

	memset(st, 0, sizeof(*st));
	st->fd = -1;
	layout(&h, g);
	fd = memfd_create("memlog-state", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)h.total) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((r = map_state(st, fd, h.total)) < 0) {
		close(fd);
		return r;
	}
	h.magic = STATE_MAGIC;
	h.version = STATE_VERSION;
	h.instance = instance;
	*st->hdr = h;
	/* map_state placed the parts by a header that was still empty. */
	st->slots = (struct srcinfo *)(st->map + h.slots_off);
	st->recs = (struct src_rec *)(st->map + h.recs_off);
	if ((r = index_recs(st)) < 0) {
		state_destroy(st);
		return r;
	}
	return 0;
}

int state_adopt(struct state *st, int fd, const struct state_geometry *g,
		const char **why)
{
	struct state_hdr h, want = { 0 };
	struct stat sb;
	const char *w = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	st->fd = -1;
	layout(&want, g);
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.magic != STATE_MAGIC) {
		w = "not a memlog state memfd";
		r = -EPROTO;
		goto fail;
	}
	if (h.version != STATE_VERSION) {
		w = "the state of another memlog version";
		r = -EPROTO;
		goto fail;
	}
	if (h.page != want.page || h.slot_size != want.slot_size ||
	    h.rec_size != want.rec_size || h.total != (uint64_t)sb.st_size) {
		w = "a damaged state memfd (its layout does not add up)";
		r = -EPROTO;
		goto fail;
	}
	if (h.max_slots != want.max_slots || h.max_recs != want.max_recs ||
	    h.region_size != want.region_size || h.total != want.total) {
		w = "made for other limits (--max-sources, --max-line-len)";
		r = -ESTALE;
		goto fail;
	}
	if ((r = map_state(st, fd, h.total)) < 0) {
		w = "cannot be mapped";
		goto fail;
	}
	/* Every record's offsets inside its own region: a damaged one would
	 * make splice write anywhere in the memfd. */
	for (uint32_t i = 0; i < h.max_recs; i++) {
		struct src_rec *rc = &st->recs[i];
		if (!(rc->flags & REC_USED))
			continue;
		loff_t base = state_region(st, i);
		loff_t end = base + (loff_t)h.region_size;
		if (rc->in_at < base || rc->in_at > end || rc->line_at < base ||
		    rc->line_at > rc->in_at || rc->tee_at < base ||
		    rc->tee_at > rc->in_at || rc->slot >= h.max_slots) {
			w = "a source record out of its region (damaged state)";
			r = -EUCLEAN;
			munmap(st->map, st->map_len);
			st->map = NULL;
			goto fail;
		}
	}
	if ((r = index_recs(st)) < 0) {
		munmap(st->map, st->map_len);
		st->map = NULL;
		goto fail;
	}
	return 0;
fail:
	st->fd = -1;
	if (why)
		*why = w ? w : strerror(-r);
	return r;
}

void state_destroy(struct state *st)
{
	if (st->map)
		munmap(st->map, st->map_len);
	if (st->fd >= 0)
		close(st->fd);
	free(st->free_recs);
	memset(st, 0, sizeof(*st));
	st->fd = -1;
}

int state_rec_alloc(struct state *st)
{
	uint32_t i;

	if (st->nfree)
		i = st->free_recs[--st->nfree];
	else if (st->nrecs < st->hdr->max_recs)
		i = st->nrecs++;
	else
		return -ENOSPC;
	struct src_rec *rc = &st->recs[i];
	uint32_t gen = rc->gen + 1;
	memset(rc, 0, sizeof(*rc));
	rc->gen = gen ? gen : 1;
	rc->in_at = rc->line_at = rc->tee_at = state_region(st, i);
	rc->pid = -1;
	return (int)i;
}

void state_rec_free(struct state *st, uint32_t rec)
{
	struct src_rec *rc = &st->recs[rec];

	__atomic_store_n(&rc->flags, 0, __ATOMIC_RELEASE);
	/* Its pages go back: a source that once saw a long line does not
	 * keep them. */
	IGNORE_RESULT(fallocate(st->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				state_region(st, rec), (off_t)st->hdr->region_size));
	st->free_recs[st->nfree++] = rec;
}

void state_txn_arm(struct state *st, const struct state_txn *t)
{
	struct state_txn *x = &st->hdr->txn;

	x->kind = t->kind;
	x->seq = t->seq;
	x->rec = t->rec;
	x->flags = t->flags;
	x->line_at = t->line_at;
	x->in_at = t->in_at;
	x->tee_at = t->tee_at;
	x->kmsg_next = t->kmsg_next;
	__atomic_store_n(&x->armed, 1, __ATOMIC_RELEASE);
}

void state_txn_disarm(struct state *st)
{
	__atomic_store_n(&st->hdr->txn.armed, 0, __ATOMIC_RELEASE);
}

int state_txn_recover(struct state *st, uint64_t next_seq)
{
	struct state_txn *x = &st->hdr->txn;
	int touched = -1;

	if (!x->armed)
		return -1;
	switch (x->kind) {
	case TXN_LINE:
		if (x->seq < next_seq && x->rec < st->hdr->max_recs) {
			st->recs[x->rec].line_at = x->line_at;
			st->recs[x->rec].flags = x->flags;
			touched = (int)x->rec;
		}
		break;
	case TXN_MOVE:
		if (x->rec < st->hdr->max_recs) {
			struct src_rec *rc = &st->recs[x->rec];
			rc->in_at = x->in_at;
			rc->line_at = x->line_at;
			rc->tee_at = x->tee_at;
			touched = (int)x->rec;
		}
		break;
	case TXN_KMSG:
		if (x->seq < next_seq)
			st->hdr->kmsg_next = x->kmsg_next;
		break;
	default:
		break;
	}
	state_txn_disarm(st);
	return touched;
}
