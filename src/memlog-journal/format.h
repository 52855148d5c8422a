/* The output formats: one journal entry as the line(s) memlog-journal
 * writes to the container's stdout (docs/memlog-journal.md, "Formats").
 *
 *   short      IDENT[PID]: MESSAGE
 *   short-iso  2026-01-02T03:04:05+0000 IDENT[PID]: MESSAGE
 *   cat        MESSAGE
 *   json       journalctl -o json's object, one per line
 *
 * No host name and, in short, no time: the engine (docker logs, kubectl
 * logs) stamps each line itself. The text formats take IDENT and PID as
 * journalctl does and indent a message's further lines under its first;
 * an entry without MESSAGE gives no line in them. Pure (short-iso reads the
 * local time zone, as journalctl does). */
#ifndef MEMLOG_JOURNAL_FORMAT_H
#define MEMLOG_JOURNAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "entry.h"

enum jformat {
	JFORMAT_SHORT,
	JFORMAT_SHORT_ISO,
	JFORMAT_CAT,
	JFORMAT_JSON,
};

/* "short", "short-iso", "cat", "json": 0, else -EINVAL. */
int jformat_parse(const char *s, enum jformat *f);
const char *jformat_name(enum jformat f);

/* Appends e's line(s), each ending in '\n', to b. Returns the number of
 * bytes appended (0: the entry has no line in this format) or -ENOMEM (b is
 * then as it was). */
int jformat_entry(struct jbuf *b, enum jformat f, const struct jentry *e);

/* Is the value what journalctl prints as a JSON string (valid UTF-8
 * without control characters but tab and newline, and without Unicode
 * noncharacters)? Otherwise it is an array of byte values. */
bool jformat_printable(const char *s, size_t len, bool allow_newline);

#endif
