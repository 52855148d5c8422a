/* The records memlog-kmsgfs holds and what each open file has read of
 * them, with /dev/kmsg's rules (Documentation/ABI/testing/dev-kmsg):
 * one record per read, EINVAL for a buffer too small for it, EPIPE once
 * when records the reader had not read yet were dropped (or were lost
 * before they got here: memlogd's "missed N kernel messages" markers and
 * its reader loss markers become such gaps), then the next record there
 * is. Bounded by bytes: the oldest records go first, as in the kernel's
 * ring buffer. Pure (no I/O, no locking: the caller locks). */
#ifndef KMSGFS_KRING_H
#define KMSGFS_KRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct krec {
	uint64_t seq;
	bool gap;         /* a loss: no text, read as EPIPE */
	uint32_t len;
	char *text;       /* malloc'd */
};

struct kring {
	struct krec *v;   /* circular, oldest at head */
	size_t cap, head, n;
	size_t bytes, max_bytes;
	uint64_t last_seq;    /* the newest seq pushed (0: none yet) */
	uint64_t dropped_seq; /* the newest seq dropped (0: none) */
};

/* An open file's place: the seq of the next record it reads. */
struct kpos {
	uint64_t next;
};

void kring_init(struct kring *r, size_t max_bytes);
void kring_free(struct kring *r);

/* Adds a record (gap: a loss, text ignored) of seq, which must be newer
 * than every record before: 0, 1 (taken), -EALREADY (not newer: dropped,
 * as after a reconnection that sends entries again), -E2BIG (longer than
 * max_bytes), -ENOMEM. */
int kring_push(struct kring *r, uint64_t seq, bool gap, const char *text,
	       size_t len);

/* Where a new open file starts (the oldest record held) and where
 * SEEK_END puts it (after the newest). */
uint64_t kring_begin(const struct kring *r);
uint64_t kring_end(const struct kring *r);

/* The next record for p into buf (cap bytes): 1 with *len, p moved past
 * it; 0 when there is none yet; -EPIPE (p moved past the loss); -EINVAL
 * (cap too small for the record; p unchanged). */
int kring_read(const struct kring *r, struct kpos *p, char *buf, size_t cap,
	       size_t *len);

/* Whether kring_read would return something other than 0. */
bool kring_ready(const struct kring *r, const struct kpos *p);

#endif
