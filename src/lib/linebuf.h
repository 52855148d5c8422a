/* Line assembly: turns the byte stream of one source into lines.
 *
 * Rules (LinuxKit's, plus splitting): '\n' ends a line and a '\r' just before
 * it is removed; empty lines and NUL bytes are kept; a line longer than max
 * bytes is split into pieces of at most max bytes, each but the last flagged
 * LINE_PARTIAL, never cut. A piece is not ended inside a UTF-8 character or
 * on a '\r' that may be half of "\r\n". A final line without '\n' is emitted
 * by linebuf_finish() with LINE_NOEOL. Pure: no I/O, no clock. */
#ifndef MEMLOG_LINEBUF_H
#define MEMLOG_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_PARTIAL 1u /* more pieces of the same line follow */
#define LINE_NOEOL   2u /* the stream ended before a '\n' */

#define LINEBUF_MIN_MAX 8u
#define LINEBUF_MAX_MAX (1u << 20)

/* Called once per line or piece; msg is valid only during the call. */
typedef void (*linebuf_emit_fn)(void *arg, const char *msg, size_t len,
				unsigned flags);

struct linebuf {
	char *buf;  /* bytes of the unfinished line, allocated on first need */
	size_t len; /* bytes held in buf */
	size_t cap; /* allocated size of buf, grows up to max + 1 */
	size_t max; /* longest piece, in bytes */
};

/* max is clamped to [LINEBUF_MIN_MAX, LINEBUF_MAX_MAX]. */
void linebuf_init(struct linebuf *lb, size_t max);

/* Feeds n bytes; emits every line or piece they complete. Returns 0, or
 * -ENOMEM if the pending line could not be stored: then the bytes that did
 * not fit were emitted as LINE_PARTIAL pieces instead, so nothing is lost. */
int linebuf_feed(struct linebuf *lb, const char *data, size_t n,
		 linebuf_emit_fn emit, void *arg);

/* End of stream: emits the unfinished line, if any, and frees the buffer. */
void linebuf_finish(struct linebuf *lb, linebuf_emit_fn emit, void *arg);

void linebuf_free(struct linebuf *lb);

/* The same rules over bytes that stay where they are (memlogd keeps a
 * source's unfinished line in memory that outlives it, not in a struct
 * linebuf): emits every line and piece that data[0..n) completes, and
 * returns how many bytes of data that consumed. The rest, an unfinished
 * line, is to be scanned again with whatever follows it. With eof, the
 * rest is emitted too (LINE_NOEOL), and all of n is consumed. emit gets,
 * besides the piece, how many bytes of data are consumed once the piece
 * is stored (so the caller can record its progress piece by piece). Gives
 * the same lines as linebuf_feed/linebuf_finish for the same bytes, however
 * they are split into calls. */
typedef void (*linebuf_scan_fn)(void *arg, const char *msg, size_t len,
				unsigned flags, size_t consumed);
size_t linebuf_scan(const char *data, size_t n, size_t max, bool eof,
		    linebuf_scan_fn emit, void *arg);

#endif
