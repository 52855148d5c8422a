#include "wal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <unistd.h>

#define TRIM_STEP (1u << 20)

static int write_at(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;

	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int read_at(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG; /* shorter than it says */
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The WAL's file offset: what was delivered. Negative errno on failure. */
static int64_t offset(const struct wal *w)
{
	off_t o = lseek(w->wal_fd, 0, SEEK_CUR);

	return o < 0 ? -errno : (int64_t)o;
}

static int write_slot(struct wal *w, const struct jstate *s)
{
	unsigned char slot[JSTATE_SLOT_SIZE];
	int r = jstate_encode(slot, s);

	if (r < 0)
		return r;
	/* One pwrite of one slot: a SIGKILL tears it at worst, and a torn
	 * slot fails its checksum, so the other one counts. */
	return write_at(w->state_fd, slot, sizeof(slot),
			(uint64_t)w->next_slot * JSTATE_SLOT_SIZE);
}

int wal_create(struct wal *w)
{
	unsigned char hdr[16];
	uint64_t id;
	int r;

	*w = (struct wal){ .wal_fd = -1, .state_fd = -1 };
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -errno;
	w->wal_fd = memfd_create("memlog-journal-wal", MFD_CLOEXEC);
	w->state_fd = memfd_create("memlog-journal-state", MFD_CLOEXEC);
	if (w->wal_fd < 0 || w->state_fd < 0) {
		r = -errno;
		goto fail;
	}
	jwal_header(hdr, id);
	r = write_at(w->wal_fd, hdr, sizeof(hdr), 0);
	if (r < 0)
		goto fail;
	if (lseek(w->wal_fd, JWAL_HDR, SEEK_SET) < 0) {
		r = -errno;
		goto fail;
	}
	struct jstate s = { .gen = 1, .wal_id = id, .wal_end = JWAL_HDR };
	r = write_slot(w, &s);
	if (r < 0)
		goto fail;
	w->st = s;
	w->next_slot = 1;
	w->trimmed = JWAL_HDR;
	return 0;
fail:
	wal_close(w);
	return r;
}

int wal_adopt(struct wal *w, int wal_fd, int state_fd)
{
	unsigned char area[2 * JSTATE_SLOT_SIZE] = { 0 };
	unsigned char hdr[16];
	struct wal t = { .wal_fd = wal_fd, .state_fd = state_fd };
	uint64_t id;
	int64_t off;
	ssize_t n;
	int slot;

	n = pread(state_fd, area, sizeof(area), 0);
	if (n < 0)
		return -errno;
	slot = jstate_pick(area, (size_t)n, &t.st);
	if (slot < 0 || read_at(wal_fd, hdr, sizeof(hdr), 0) < 0 ||
	    jwal_header_id(hdr, sizeof(hdr), &id) < 0 || id != t.st.wal_id ||
	    (off = offset(&t)) < JWAL_HDR || (uint64_t)off > t.st.wal_end ||
	    t.st.wal_end < JWAL_HDR)
		return -EBADMSG;
	t.next_slot = (unsigned)slot ^ 1;
	t.trimmed = JWAL_HDR;
	*w = t;
	return 0;
}

int wal_stage(struct wal *w, const void *p, size_t n)
{
	int r = write_at(w->wal_fd, p, n, w->st.wal_end + w->staged);

	if (r == 0)
		w->staged += n;
	return r;
}

void wal_unstage(struct wal *w)
{
	w->staged = 0;
}

int wal_commit(struct wal *w, const char *cursor, uint64_t entries)
{
	struct jstate s = w->st;
	size_t cl = strlen(cursor);
	int r;

	if (cl > JCURSOR_MAX)
		return -EINVAL;
	s.gen++;
	s.wal_end += w->staged;
	s.entries += entries;
	memcpy(s.cursor, cursor, cl + 1);
	r = write_slot(w, &s);
	if (r < 0)
		return r;
	w->st = s;
	w->staged = 0;
	w->next_slot ^= 1;
	return 0;
}

int wal_pending(const struct wal *w, uint64_t *pending)
{
	int64_t off = offset(w);

	if (off < 0)
		return (int)off;
	*pending = (uint64_t)off < w->st.wal_end ? w->st.wal_end - (uint64_t)off : 0;
	return 0;
}

/* The fallback for an output that takes neither splice nor sendfile (a
 * file opened O_APPEND): read, write, then move the offset. A kill between
 * the write and the move repeats those bytes. */
static int64_t copy_out(struct wal *w, int out, uint64_t off, size_t n)
{
	char buf[65536];
	ssize_t k, m;

	n = MIN(n, sizeof(buf));
	k = pread(w->wal_fd, buf, n, (off_t)off);
	if (k <= 0)
		return k < 0 ? -errno : -EIO;
	m = write(out, buf, (size_t)k);
	if (m < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (lseek(w->wal_fd, (off_t)(off + (uint64_t)m), SEEK_SET) < 0)
		return -errno;
	return m;
}

int64_t wal_deliver(struct wal *w, int out, bool out_is_pipe, size_t max)
{
	ssize_t n;
	int64_t o = offset(w);

	if (o < 0)
		return o;
	uint64_t off = (uint64_t)o;
	if (off >= w->st.wal_end)
		return 0;
	size_t want = (size_t)MIN(w->st.wal_end - off, (uint64_t)max);
	if (w->copy)
		return copy_out(w, out, off, want);
	do {
		/* No offset argument: the kernel moves the WAL's own offset
		 * by exactly what went out, in this one call. */
		if (out_is_pipe)
			n = splice(w->wal_fd, NULL, out, NULL, want,
				   SPLICE_F_NONBLOCK);
		else
			n = sendfile(out, w->wal_fd, NULL, want);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EINVAL || errno == ENOSYS) && !out_is_pipe) {
		w->copy = true;
		return copy_out(w, out, off, want);
	}
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

int wal_read_pending(const struct wal *w, struct jbuf *b)
{
	int64_t o = offset(w);
	int r;

	if (o < 0)
		return (int)o;
	uint64_t off = (uint64_t)o;
	if (off >= w->st.wal_end)
		return 0;
	uint64_t n = w->st.wal_end - off;
	if (n > SIZE_MAX / 2)
		return -EFBIG;
	r = jbuf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	r = read_at(w->wal_fd, b->p + b->len, (size_t)n, off);
	if (r == 0)
		b->len += (size_t)n;
	return r;
}

void wal_trim(struct wal *w)
{
	int64_t o = offset(w);

	if (o < 0)
		return;
	uint64_t off = (uint64_t)o;
	off &= ~(uint64_t)(TRIM_STEP - 1);
	if (off <= w->trimmed || off - w->trimmed < TRIM_STEP)
		return;
	/* Best effort: a WAL that keeps its pages only costs memory. */
	if (fallocate(w->wal_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)w->trimmed, (off_t)(off - w->trimmed)) == 0)
		w->trimmed = off;
}

void wal_close(struct wal *w)
{
	if (w->wal_fd >= 0)
		close(w->wal_fd);
	if (w->state_fd >= 0)
		close(w->state_fd);
	w->wal_fd = w->state_fd = -1;
}
