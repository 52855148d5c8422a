/* How an entry is written into its file, one line per entry:
 *   text  TIME SOURCE MSG   (LinuxKit's format with memlogd's nanosecond
 *                            RFC 3339 time; control characters other than
 *                            tab in SOURCE and MSG as \xNN, so an entry is
 *                            always exactly one line)
 *   json  the v2 NDJSON object exactly as memlogd sent it (seq, cursor,
 *         time, source, stream, msg, partial, ...)
 *   raw   MSG only, as it came; the parts of a split line (partial) are
 *         joined again: a part gets its '\n' only when it is the last.
 * Pure: no I/O. */
#ifndef LOGWRITE_FORMAT_H
#define LOGWRITE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "cursor.h"

enum lw_format {
	LW_FORMAT_TEXT = 0,
	LW_FORMAT_JSON,
	LW_FORMAT_RAW,
};

/* A string of an entry; may hold NUL bytes. */
struct lw_field {
	const char *ptr;
	size_t len;
};

/* One entry as received from memlogd (see entry.h for the parser). */
struct lw_entry {
	struct lw_field line;   /* the JSON object as received, without '\n' */
	struct lw_field cursor; /* where to resume after this entry ... */
	bool has_cur;           /* ... or, when set, cur, written as text
				 * only when the store saves it */
	struct cursor cur;
	struct lw_field time;   /* RFC 3339, as memlogd formatted it */
	struct lw_field source;
	struct lw_field stream; /* stdout, stderr, kernel, syslog, none...;
				 * len 0 when absent */
	struct lw_field msg;
	bool partial;           /* the line goes on in the next entry */
	bool marker;            /* memlogd's notice that entries were lost */
};

/* "text", "json" or "raw". Returns 0 or -EINVAL. */
int format_parse(const char *s, enum lw_format *out);

/* Bytes format_entry() may write at most. */
size_t format_bound(enum lw_format f, const struct lw_entry *e);

/* Writes the entry's line into out; returns its length. */
size_t format_entry(enum lw_format f, const struct lw_entry *e, char *out);

#endif
