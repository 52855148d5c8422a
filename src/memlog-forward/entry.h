/* One entry of memlogd's answer as memlog-forward needs it: the fields
 * of src/client/reply.h plus seq, priority, facility, the sender's pid and
 * a loss marker's counts. Strings point into memlogd's binary record
 * (entry_from_record) or anywhere else (the encoder's tests and fuzzers
 * build them by hand). */
#ifndef FORWARD_ENTRY_H
#define FORWARD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../client/reply.h" /* relative: the fuzz targets have no -Isrc/client */
#include "binstream.h"

struct fwd_entry {
	struct reply_field time;   /* RFC 3339 as memlogd writes it ... */
	bool has_time_ns;          /* ... or, when set, time_ns */
	uint64_t time_ns;
	struct reply_field source;
	struct reply_field msg;
	struct reply_field stream; /* "stdout", "stderr", "kernel", ...; NULL ptr: legacy */
	struct reply_field cursor; /* NULL ptr: none (legacy) */
	struct reply_field pid;    /* attrs "_pid" or syslog's "pid"; NULL ptr: unknown */
	struct reply_field marker; /* a loss marker's kind ("lagged", ...); NULL ptr: not one */
	uint64_t seq;              /* valid when has_seq */
	bool has_seq;
	bool partial;              /* the line goes on in the next entry */
	int priority;              /* 0-7, -1: none */
	int facility;              /* 0-23, -1: none */
	int64_t missed;            /* a marker's count; -1: unknown or not a marker */
};

/* An ENTRY or MARKER record of bs's connection as e, its cursor written
 * into cursor (e->cursor points there). A marker is an entry from source
 * memlogd, stream none, as in memlogd's JSON; the daemon's own notices
 * are markers of kind "notice". Nothing is allocated. */
void entry_from_record(const struct binstream *bs,
		       const struct binstream_item *it, struct fwd_entry *e,
		       char cursor[CURSOR_LEN + 1]);

#endif
