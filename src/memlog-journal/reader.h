/* Reading the journal with libsystemd's sd-journal: positioning, the next
 * entry as a struct jentry (every field copied, values cut to a limit),
 * and waiting for new entries. */
#ifndef MEMLOG_JOURNAL_READER_H
#define MEMLOG_JOURNAL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "jcursor.h"

/* Fields of one entry kept at most (journald writes far fewer), and their
 * bytes at most beyond one field of the largest size: the rest of such an
 * entry is left out (counted in dropped). */
#define JREADER_FIELDS_MAX 1024
#define JREADER_ENTRY_MAX (1u << 20)

struct sd_journal;

struct jreader {
	struct sd_journal *j;
	uint64_t field_max;     /* longest value kept */
	char *arena;            /* the current entry's names and values */
	size_t arena_len, arena_cap;
	struct jfield *fields;  /* JREADER_FIELDS_MAX */
	size_t dropped;         /* fields of this entry past the limits */
	char cursor[JCURSOR_MAX + 1];
	char boot_id[33];
	struct jentry entry;
};

/* Opens the local journal (all of it, as journalctl does), or the files in
 * directory. Returns 0 or negative errno. */
int jreader_open(struct jreader *r, const char *directory, uint64_t field_max);
void jreader_close(struct jreader *r);

int jreader_seek_head(struct jreader *r);
int jreader_seek_realtime(struct jreader *r, uint64_t usec);
int jreader_seek_cursor(struct jreader *r, const char *cursor);
/* Is the current entry the one cursor names? */
bool jreader_at_cursor(struct jreader *r, const char *cursor);
/* The cursor of the newest entry, "" when the journal is empty. */
int jreader_last_cursor(struct jreader *r, char out[JCURSOR_MAX + 1]);

/* Moves to the next entry and reads it into *e (valid until the next
 * call): 1, 0 at the end for now, or negative errno. An entry whose data
 * cannot be read (corrupt) is skipped, as journalctl does. */
int jreader_next(struct jreader *r, const struct jentry **e);

/* For poll(): the fd and events to wait for, and how long at most (ms,
 * -1: no limit). After it was readable, jreader_process(). */
int jreader_fd(struct jreader *r, short *events);
int jreader_timeout_ms(struct jreader *r);
int jreader_process(struct jreader *r);

#endif
