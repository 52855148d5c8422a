/* Per source slot, the first seq its current registrant may see: the
 * readers limited to a uid and containers' views show a slot's entries
 * from then on only, because a name can change hands (reader.h). Kept in
 * a memfd that outlives memlogd like the ring and the state (under
 * KEY_UID_SINCE, and handed over by a live upgrade), so that after a
 * restart or an upgrade a container's logread and a user's reader still
 * see the history of their own sources. One made afresh (no earlier one,
 * or one of another ring or geometry) starts every slot at the ring's next
 * seq: what came before is then nobody's. */
#ifndef MEMLOGD_UIDSINCE_H
#define MEMLOGD_UIDSINCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uidsince {
	int fd;                  /* the memfd, or -1 */
	uint64_t *seq;           /* n slots, in the memfd */
	uint32_t n;
	void *map;
	size_t map_len;
};

/* fd >= 0: an earlier memlogd's, taken over when it was made for ring
 * instance and n slots (*adopted), else closed; then (or with fd -1) a new
 * one with every slot at first_seq. Returns 0 or negative errno (u is then
 * empty, safe to close). */
int uidsince_open(struct uidsince *u, int fd, uint32_t n, uint64_t instance,
		  uint64_t first_seq, bool *adopted);

void uidsince_close(struct uidsince *u);

#endif
