/* The delivery log: how memlog-journal writes every entry to the container's
 * stdout exactly once although it may be killed at any moment
 * (docs/memlog-journal.md, "Exactly once").
 *
 * Formatted lines are appended to a memfd (the WAL) and never rewritten. A
 * second memfd holds the commit record (staterec.h): the WAL's committed
 * end and the cursor of the last entry whose line is before it, written in
 * two slots in turn. Lines go to stdout by splice() or sendfile() from the
 * WAL with no offset given, so the kernel advances the WAL's own file
 * offset in the same call that fills the pipe: the offset IS what was
 * delivered, with no window between writing and remembering. Both memfds
 * are kept in systemd's fd store and the fd holder; they share the file
 * offset with every copy, so the next agent goes on from exactly that byte.
 * Pages already delivered are given back (punched out). */
#ifndef MEMLOG_JOURNAL_WAL_H
#define MEMLOG_JOURNAL_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "staterec.h"

struct wal {
	int wal_fd;          /* the lines; its file offset: delivered up to */
	int state_fd;        /* the two commit slots */
	struct jstate st;    /* the last commit */
	uint64_t staged;     /* bytes written after st.wal_end, not committed */
	unsigned next_slot;  /* where the next commit goes: 0 or 1 */
	uint64_t trimmed;    /* pages below this were given back */
	bool copy;           /* the output takes neither splice nor sendfile:
			      * read + write, not exactly once */
};

/* New memfds, the WAL's header, and a first commit with no cursor. */
int wal_create(struct wal *w);

/* Goes on with a WAL and state memfd a previous agent left: the newer
 * valid slot, a WAL whose header names the same wal id and whose offset
 * lies within what was committed. Takes both fds on success. Returns 0 or
 * -EBADMSG (they do not make a consistent pair). */
int wal_adopt(struct wal *w, int wal_fd, int state_fd);

/* Appends n bytes after what was committed and staged. 0 or negative
 * errno; nothing of it is delivered before wal_commit. */
int wal_stage(struct wal *w, const void *p, size_t n);

/* Publishes what was staged with the cursor of the last entry it holds and
 * the number of entries it covers. 0 or negative errno (then nothing
 * changed: the staged bytes are staged still). */
int wal_commit(struct wal *w, const char *cursor, uint64_t entries);

/* Forgets what was staged (it is written again after what is committed). */
void wal_unstage(struct wal *w);

/* Bytes committed and not delivered yet, from the kernel's offset. */
int wal_pending(const struct wal *w, uint64_t *pending);

/* Moves committed bytes to out, at most max: by splice with
 * SPLICE_F_NONBLOCK when out is a pipe (never waits), by sendfile
 * otherwise (may wait). Returns the bytes moved, 0 if nothing is pending,
 * -EAGAIN (a full pipe), -EPIPE, or negative errno. */
int64_t wal_deliver(struct wal *w, int out, bool out_is_pipe, size_t max);

/* The committed bytes not delivered yet (for the saved file). */
int wal_read_pending(const struct wal *w, struct jbuf *b);

/* Gives back the pages of what was delivered (about every MiB). */
void wal_trim(struct wal *w);

void wal_close(struct wal *w);

#endif
