/* Entries handed to a transport and not yet delivered, oldest first: each
 * with a key that grows with the sending order (the byte offset its frame
 * ends at for TCP/TLS, the number of RELP messages sent up to it) and its
 * cursor. When the transport reports "delivered up to key K", the entries
 * with keys <= K are dropped and the newest of them gives the delivered
 * cursor. An entry that is filtered out gets the key of the message before
 * it, so it is delivered together with that one. Pure. */
#ifndef FORWARD_PENDING_H
#define FORWARD_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

struct pending_item {
	uint64_t key;
	bool sent;          /* false: filtered out, never sent */
	char cursor[CURSOR_TEXT_MAX + 1];
};

struct pending {
	struct pending_item *items; /* malloc'd ring of cap items */
	size_t head;                /* index of the oldest */
	size_t count;
	size_t cap;
};

void pending_init(struct pending *p);
void pending_free(struct pending *p);
/* Forgets every entry (the transport failed; they are sent again). */
void pending_clear(struct pending *p);
/* Returns 0 or -ENOMEM. keys must not decrease; cursor is NUL-terminated
 * and at most CURSOR_TEXT_MAX bytes (longer ones are refused: -EINVAL). */
int pending_push(struct pending *p, uint64_t key, bool sent, const char *cursor);
/* Drops the entries with key <= upto; copies the cursor of the newest one
 * dropped into out (untouched when none is) and returns how many were
 * dropped; *nsent (if not NULL) gets how many of them were sent. */
size_t pending_pop(struct pending *p, uint64_t upto, char out[CURSOR_TEXT_MAX + 1],
		   size_t *nsent);
/* The same for all of them. */
size_t pending_pop_all(struct pending *p, char out[CURSOR_TEXT_MAX + 1], size_t *nsent);

#endif
