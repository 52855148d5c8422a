/* logwrite's durable state: the cursor of the last entry whose line is in
 * the files, each file's committed length, and the step of a rotation in
 * progress. It is one small text file, replaced atomically (temporary
 * file, fsync, rename, fsync of the directory):
 *
 *     logwrite-state 2
 *     cursor m1-90a8240469430d14-000000000000000c     (absent: none yet)
 *     file BASE LENGTH                               (any number)
 *     park BASE DROPPED                              (any number)
 *     own BASE [new] INODE...                        (any number)
 *     rotate BASE shift|compress LENGTH              (at most one)
 *     end
 *
 * BASE is a file base (name_file_base() in name.h): BASE.log is the live
 * file. LENGTH is decimal. A file's bytes past its committed length were
 * written after the last commit and are cut off at start; a file that is
 * not listed has no such bytes. A parked BASE is one logwrite does not
 * write (BASE.log is a directory, a FIFO...): DROPPED entries for it were
 * dropped and not yet reported in a notice. An own line is the ledger's
 * entry of BASE (ledger.h): the inodes of the files logwrite made, "new"
 * when it is creating BASE.log; a listed file always has one. Version 1 (what logwrite wrote before version 2) has
 * no park and own lines; it is read, and version 2 written. Parsing and
 * formatting are pure; loading and saving do the I/O. */
#ifndef LOGWRITE_STATE_H
#define LOGWRITE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursortext.h"
#include "name.h"

#define STATE_MAGIC_V1 "logwrite-state 1"
#define STATE_MAGIC "logwrite-state 2"
#define STATE_FILES_MAX 4096         /* files and parks listed at most */
#define STATE_INOS_MAX 2048          /* inodes on one own line at most */
#define STATE_TEXT_MAX (8u << 20)    /* bytes of a state file at most: room
				      * for a full ledger (ledger.h) */
#define STATE_ERR_MAX 128

/* Where a rotation stands (rotate.h has the steps). */
enum rot_step {
	ROT_NONE = 0,     /* no rotation in progress */
	ROT_SHIFT,        /* the live file is complete and synced: shift the
			   * rotated files, rename it to .0, create a new one */
	ROT_COMPRESS,     /* .0 is in place: compress it, then trim */
};

struct state_file {
	char base[FILE_BASE_MAX + 1]; /* a file base (name.h) */
	uint64_t committed;           /* bytes of BASE.log that are durable */
};

struct state_park {
	char base[FILE_BASE_MAX + 1]; /* a file base */
	uint64_t dropped;             /* entries dropped, not yet noticed */
};

struct state_own {
	char base[FILE_BASE_MAX + 1];
	bool creating;                /* "new" */
	uint64_t *inos;               /* malloc'd, n of them (may be NULL) */
	size_t n;
};

struct lw_state {
	unsigned version;                  /* 1 or 2 */
	char cursor[CURSOR_TEXT_MAX + 1]; /* last entry written; "" = none */
	struct state_file *files;          /* malloc'd, nfiles of them */
	size_t nfiles;
	struct state_park *parks;          /* malloc'd, nparks of them */
	size_t nparks;
	struct state_own *owns;            /* malloc'd, nowns of them */
	size_t nowns;
	enum rot_step rot_step;            /* ROT_NONE: the rest is unused */
	char rot_base[FILE_BASE_MAX + 1];  /* the source being rotated */
	uint64_t rot_len;                  /* its live file's length then */
};

/* Parses a whole state file. Returns 0 (out filled; state_free() it) or
 * -EINVAL with the reason in err, or -ENOMEM. */
int state_parse(const char *text, size_t len, struct lw_state *out,
		char err[STATE_ERR_MAX]);
void state_free(struct lw_state *s);

/* Builds a state file's text, line by line. */
struct state_text {
	char *buf;   /* malloc'd */
	size_t len;
	size_t cap;
	bool nomem;  /* an append failed: the text is incomplete */
};
void state_text_begin(struct state_text *t, const char *cursor);
void state_text_file(struct state_text *t, const char *base,
		     uint64_t committed);
void state_text_park(struct state_text *t, const char *base,
		     uint64_t dropped);
void state_text_own(struct state_text *t, const char *base, bool creating,
		    const uint64_t *inos, size_t n);
void state_text_rotate(struct state_text *t, enum rot_step step,
		       const char *base, uint64_t len);
/* Appends "end". Returns 0 or -ENOMEM. */
int state_text_end(struct state_text *t);
void state_text_free(struct state_text *t);

/* Reads the state file name in directory dirfd into a malloc'd buffer.
 * Returns 1, 0 if there is none, or -errno (-EFBIG past STATE_TEXT_MAX). */
int state_load(int dirfd, const char *name, char **text, size_t *len);

/* Replaces the state file atomically: name.tmp is written, fsynced (when
 * sync), renamed over name, and the directory fsynced (when sync). Returns
 * 0 or -errno with the failed operation in *op. Once the rename is done
 * the call succeeds: the new state is what a restart reads. */
int state_save(int dirfd, const char *name, const char *text, size_t len,
	       bool sync, const char **op);

#endif
