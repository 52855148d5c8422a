/* How entries are printed. Formats:
 *
 *   legacy  TIME;SOURCE;MSG       LinuxKit's logread; ';' in SOURCE as '\;'
 *   short   TIME SOURCE[STREAM]: MSG   ("[STREAM]" left out when the
 *                                       server sent no stream)
 *   json    memlogd's v2 JSON object (with LinuxKit's protocol: the
 *           server's line exactly as received)
 *   raw     MSG alone; the pieces of a split line are joined again
 *   export  systemd's Journal Export Format (src/lib/export.h), for
 *           systemd-journal-remote
 *   short-iso      as short, the time as 2026-12-03T10:00:00+00:00
 *   short-precise  as short, the time as Dec 03 10:00:00.123456
 *   cat            MSG alone, each entry (and piece) on its own line
 *   json-pretty    memlogd's v2 JSON object, indented (jansson)
 *
 * With reverse set (-r), nothing is written before output_finish(), which
 * writes the entries newest first: the whole formatted dump is held, at
 * most OUTPUT_REVERSE_MAX bytes (a dump is bounded by the ring anyway);
 * past that the entry is refused with -EFBIG.
 *
 * Every entry, marker and piece of a split line is one output line, except
 * in raw, where a partial piece is not followed by a newline (one is added
 * first if an entry of another source comes between the pieces).
 *
 * When the output is a terminal, control characters (C0 but tab, DEL, and
 * C1 as UTF-8) in the text formats are written as \xNN, one per byte, so a
 * log line cannot drive the terminal; otherwise bytes go out as they are.
 *
 * With local set, times are written in the local zone (TZ) with its
 * offset (2026-12-03T05:00:00.5-05:00) instead of UTC ("Z"). With color
 * set, MSG in the text formats is wrapped in SGR escapes: priority 0-3
 * bold red, 4 bold yellow, 5 bold, 7 dim; stderr without a priority red;
 * loss notices bold yellow. The caller sets both for a terminal only.
 *
 * Output is buffered; the caller decides when to flush. */
#ifndef LOGREAD_OUTPUT_H
#define LOGREAD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "binstream.h"
#include "reply.h"
#include "timecache.h"

enum out_format {
	OUT_LEGACY,
	OUT_SHORT,
	OUT_JSON,
	OUT_RAW,
	OUT_EXPORT,
	OUT_SHORT_ISO,
	OUT_SHORT_PRECISE,
	OUT_CAT,
	OUT_JSON_PRETTY,
	OUT_PROMETHEUS,   /* --stats only (statsfmt.h) */
};

#define OUTPUT_REVERSE_MAX (256u << 20)

/* Buffer size past which the caller should flush. */
#define OUTPUT_FLUSH_AT (64u << 10)

struct output {
	int fd;                 /* where output goes */
	enum out_format format;
	bool escape;            /* write control characters as \xNN */
	bool as_linuxkit;       /* binary records printed exactly as their
				 * LinuxKit JSON lines would be: each byte
				 * of invalid UTF-8 as U+FFFD, no colour by
				 * priority, stream or loss (the JSON says
				 * none of them) */
	bool chunked;           /* fd may block: write PIPE_BUF at a time */
	char *buf;              /* bytes not yet written */
	size_t len;             /* bytes in buf */
	size_t cap;             /* allocated size of buf */
	bool midline;           /* raw: a partial piece went out without '\n' */
	char *mid_key;          /* raw: source and stream of that piece */
	size_t mid_key_len;
	struct timecache tc;    /* the second the last time was in */
	bool reverse;           /* -r: hold everything, newest first at the end */
	bool local;             /* times in the local zone (TZ), with their
				 * offset, instead of UTC */
	bool color;             /* MSG coloured by priority, stderr and
				 * loss notices (SGR escapes) */
	size_t *starts;         /* reverse: where each entry begins in buf */
	size_t nstarts, starts_cap;
};

/* Parses a format name ("legacy", "short", "json", "raw", "export",
 * "short-iso", "short-precise", "cat", "json-pretty"): 0 or -EINVAL. */
int output_format_parse(const char *s, enum out_format *f);

/* escape: whether fd is a terminal (the caller decides, see isatty()). */
void output_init(struct output *o, int fd, enum out_format f, bool escape);
void output_free(struct output *o);

/* Formats one entry into the buffer; line is the JSON text it was parsed
 * from (for json). Only legacy, short, json and raw (LinuxKit's protocol
 * gives no more). Returns 0, -ENOMEM or (reverse) -EFBIG. */
int output_entry(struct output *o, const struct reply_entry *e, const char *line,
		 size_t line_len);

/* Formats a binary record (an ENTRY or a MARKER of bs's stream) into
 * the buffer: the same output as output_entry() gives for its JSON, the
 * message as stored (no JSON escaping to undo), with no allocation but
 * the buffer's growth. Returns 0, -ENOMEM or (reverse) -EFBIG. */
int output_record(struct output *o, const struct binstream *bs,
		  const struct binstream_item *it);

/* Appends bytes as they are (stats replies). Returns 0 or -ENOMEM. */
int output_bytes(struct output *o, const char *s, size_t len);

/* Writes the buffer out. If stopfd >= 0, waits for fd to be writable and
 * stopfd to stay unreadable before each write, so a signal read from a
 * signalfd stops a write stalled by a slow consumer: -EINTR then. Returns
 * 0 or -errno (-EPIPE: the reader went away). Bytes not written stay
 * buffered. */
int output_flush(struct output *o, int stopfd);

/* End of output: ends a pending raw line with '\n' and flushes (reverse:
 * the entries held, newest first). */
int output_finish(struct output *o, int stopfd);

#endif
