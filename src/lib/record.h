/* Record encoders: how one ring entry is written on the query socket.
 * Pure functions; out must hold the matching *_BOUND bytes. */
#ifndef MEMLOG_RECORD_H
#define MEMLOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "jsonenc.h"
#include "regmsg.h"
#include "ring.h"
#include "timefmt.h"

/* What the encoders need of an entry's source. */
struct record_source {
	const char *name;
	size_t name_len;
	enum stream stream;
};

/* LinuxKit's NDJSON: {"time":"...","source":"...","msg":"..."}\n */
#define RECORD_LEGACY_BOUND(name_len, msg_len) \
	(40 + TIMEFMT_MAX + JSON_ESCAPE_BOUND(name_len) + JSON_ESCAPE_BOUND(msg_len))
size_t record_legacy(char *out, uint64_t time_ns, const char *name,
		     size_t name_len, const char *msg, size_t msg_len);

/* memlog's v2 NDJSON: seq, cursor, time, source, stream, msg, partial, then
 * priority and facility where the entry has them, "attrs":{...} for its
 * KEY=VALUE attributes, and "marker":true on the daemon's own loss notices.
 * RECORD_V2_BOUND is for an entry without attributes; each byte of
 * attributes adds at most RECORD_ATTR_BYTE. */
#define RECORD_V2_BOUND(name_len, msg_len) \
	(200 + CURSOR_LEN + TIMEFMT_MAX + JSON_ESCAPE_BOUND(name_len) + \
	 JSON_ESCAPE_BOUND(msg_len))
#define RECORD_ATTR_BYTE 10
#define RECORD_ATTRS_MAX 4096 /* attribute bytes the daemon keeps per entry */
size_t record_v2(char *out, const struct ring_entry *e, uint64_t instance,
		 const struct record_source *src);

/* A reader's own marker (v2): entries this reader will never receive.
 * reason is "lagged", "overwritten" or "foreign-cursor"; missed < 0 means
 * unknown (then first_seq and last_seq are not written). first_seq and
 * last_seq are the first and last seq missed; the marker's cursor names
 * last_seq, the seq to resume after. */
#define RECORD_MARKER_BOUND (400 + CURSOR_LEN + TIMEFMT_MAX)
size_t record_marker_v2(char *out, uint64_t time_ns, uint64_t instance,
			const char *reason, int64_t missed, uint64_t first_seq,
			uint64_t last_seq, const char *msg);

/* The console's text form: TIME;SOURCE;MSG\n with control characters other
 * than tab written as \xNN so nothing can drive the terminal. */
#define RECORD_TEXT_BOUND(name_len, msg_len) \
	(4 + TIMEFMT_MAX + 4 * (name_len) + 4 * (msg_len))
size_t record_text(char *out, uint64_t time_ns, const char *name,
		   size_t name_len, const char *msg, size_t msg_len);

#endif
