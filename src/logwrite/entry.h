/* One record of memlogd's binary answer (binrec.h, read by src/client's
 * client_record()) as the entry logwrite stores: an entry, a reader's
 * loss marker (an entry from source "memlogd", as in memlogd's JSON), or
 * the server's error. Only what the file format needs is made: the v2
 * JSON line (memlogd's own encoder, record.h) for json, the RFC 3339
 * time for text; the cursor as (instance, seq), which the store writes
 * as text only when it saves it. Nothing is allocated per entry: the
 * fields point into the record, or into the builder, whose line buffer
 * grows only for a larger entry than any before. */
#ifndef LOGWRITE_ENTRY_H
#define LOGWRITE_ENTRY_H

#include <stddef.h>

#include "binstream.h"
#include "cursor.h"
#include "cursortext.h"
#include "format.h"
#include "timecache.h"

enum entry_kind {
	ENTRY_OK = 0,           /* an entry */
	ENTRY_SERVER_ERROR = 1, /* memlogd's error: its text is in e->msg */
};

/* What the fields of the last entry made point into. */
struct entry_builder {
	char *line;                    /* json: the v2 line */
	size_t cap;
	char time[TIMEFMT_MAX];        /* text: the time */
	struct timecache tc;           /* ... and the second it was in */
	char text[257];                /* a marker's text, NUL-terminated */
};

void entry_builder_init(struct entry_builder *b);
void entry_builder_free(struct entry_builder *b);

/* Makes e of it (an ENTRY, MARKER or ERROR item of bs's connection) for
 * files of format f; e's fields stay valid until the next call or until
 * the record's buffer changes. Returns ENTRY_OK, ENTRY_SERVER_ERROR or
 * -ENOMEM. */
int entry_from_record(struct entry_builder *b, enum lw_format f,
		      const struct binstream *bs,
		      const struct binstream_item *it, struct lw_entry *e);

#endif
