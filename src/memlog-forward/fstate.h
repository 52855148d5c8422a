/* memlog-forward's state file: the cursor of the last entry delivered
 * (acknowledged by a RELP receiver, or written whole to the TCP/TLS
 * connection), so that a restart resumes right after it:
 *
 *     memlog-forward-state 1
 *     cursor m1-90a8240469430d14-000000000000000c     (absent: none yet)
 *     end
 *
 * Parsing and formatting are pure; loading and saving do the I/O. Saving
 * replaces the file atomically (temporary file, fsync, rename, fsync of
 * the directory), so a crash at any instant leaves the old or the new. */
#ifndef FORWARD_FSTATE_H
#define FORWARD_FSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cursor.h"

#define FSTATE_MAGIC "memlog-forward-state 1"
#define FSTATE_TEXT_MAX 4096 /* a longer file is not one of ours */
/* magic, cursor line, end, with room to spare */
#define FSTATE_FORMAT_MAX (CURSOR_TEXT_MAX + 64)

/* Is s (len bytes) a cursor as memlogd writes them? Cursors are opaque to
 * clients, but this one is kept to be given back as "after=", which
 * memlogd parses with cursor_parse(): one it would refuse (a damaged hex
 * digit) is refused here, at load, instead of being asked for forever.
 * Also the check on every entry's cursor, so that what is saved loads. */
bool fstate_cursor_ok(const char *s, size_t len);

/* Parses a whole file. Returns 0 with cursor set ("" = none) or -EINVAL
 * with the reason in *why (a static string). */
int fstate_parse(const char *text, size_t len, char cursor[CURSOR_TEXT_MAX + 1],
		 const char **why);

/* Writes the text for cursor ("" = none). Returns its length, or -EINVAL
 * when the cursor is not one fstate_cursor_ok() accepts. */
int fstate_format(char out[FSTATE_FORMAT_MAX], const char *cursor);

/* Reads path: 1 with cursor set, 0 if there is no such file, -EINVAL
 * (why set) for a file that is not a state file, or -errno. */
int fstate_load(const char *path, char cursor[CURSOR_TEXT_MAX + 1], const char **why);

/* Replaces path atomically with the state for cursor. Returns 0 or -errno
 * with the failed operation in *op. */
int fstate_save(const char *path, const char *cursor, const char **op);

#endif
