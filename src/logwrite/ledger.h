/* The files logwrite created, which are the only ones it ever appends
 * to, renames, compresses or deletes. For each file base (name.h) the
 * ledger holds the inode numbers of the base's files that logwrite made:
 * its live file, and the rotated and compressed files that came from it
 * (a rotation renames, which keeps the inode; a compression makes a new
 * file, whose inode is added as the old one's is taken out). A file of
 * the family is logwrite's when it is a regular file on the log
 * directory's device whose inode is in the set; anything else with such
 * a name (another program's log, a file put in place of logwrite's) is
 * never touched. The device is not kept: it is the log directory's,
 * whose number can change when the file system is mounted again.
 *
 * creating marks a base whose live file logwrite is about to create (the
 * name was free): it is saved before the file is made, so that after a
 * crash in between, the file found there is known to be the one
 * logwrite made. The ledger is saved in every state file (state.h).
 * Pure: no I/O. */
#ifndef LOGWRITE_LEDGER_H
#define LOGWRITE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"

#define LEDGER_BASES_MAX 16384   /* bases with files at most */
#define LEDGER_FILES_MAX 65536   /* files (inodes) at most, all bases */

struct owned {
	char base[FILE_BASE_MAX + 1];
	uint64_t *inos;          /* malloc'd, n of them, no duplicates */
	size_t n;
	size_t cap;
	bool creating;           /* BASE.log is being created */
	struct owned *hnext;     /* hash chain */
};

struct ledger {
	struct owned **all;      /* in the order they came */
	size_t n;
	size_t cap;
	struct owned **hash;
	size_t nbuckets;
	size_t ninos;            /* over all bases */
};

int ledger_init(struct ledger *l);
void ledger_free(struct ledger *l);
/* Forgets every base. */
void ledger_clear(struct ledger *l);

struct owned *ledger_get(const struct ledger *l, const char *base);
/* base's entry, made if there is none. NULL: out of memory, or
 * LEDGER_BASES_MAX reached (*full set). */
struct owned *ledger_add(struct ledger *l, const char *base, bool *full);

bool owned_has(const struct owned *o, uint64_t ino);
/* Adds ino to o's set (nothing if it is there). 0, -ENOMEM, or -ENOSPC
 * when LEDGER_FILES_MAX is reached. */
int owned_add(struct ledger *l, struct owned *o, uint64_t ino);
void owned_del(struct ledger *l, struct owned *o, uint64_t ino);
/* Is there room for n more files? */
bool ledger_room(const struct ledger *l, size_t n);

/* Drops the bases with no file and no creation under way. */
void ledger_prune(struct ledger *l);

#endif
