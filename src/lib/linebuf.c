#include "linebuf.h"
#include "jsonenc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A pending buffer larger than this is given back once its line is done, so
 * a thousand sources that once saw a long line do not keep a megabyte each. */
#define LINEBUF_KEEP 1024

void linebuf_init(struct linebuf *lb, size_t max)
{
	if (max < LINEBUF_MIN_MAX)
		max = LINEBUF_MIN_MAX;
	if (max > LINEBUF_MAX_MAX)
		max = LINEBUF_MAX_MAX;
	lb->buf = NULL;
	lb->len = 0;
	lb->cap = 0;
	lb->max = max;
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = 0;
	lb->cap = 0;
}

static int reserve(struct linebuf *lb, size_t need)
{
	if (need <= lb->cap)
		return 0;
	size_t cap = lb->cap ? lb->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > lb->max + 1)
		cap = lb->max + 1;
	char *nb = realloc(lb->buf, cap);
	if (!nb)
		return -ENOMEM;
	lb->buf = nb;
	lb->cap = cap;
	return 0;
}

/* Emits one partial piece from the front of the pending bytes. */
static void emit_piece(struct linebuf *lb, linebuf_emit_fn emit, void *arg)
{
	size_t k = lb->max < lb->len ? lb->max : lb->len;

	if (k > 1 && lb->buf[k - 1] == '\r')
		k--; /* it may be the first half of "\r\n": keep it */
	size_t u = utf8_complete_prefix(lb->buf, k);
	if (u > 0)
		k = u;
	emit(arg, lb->buf, k, LINE_PARTIAL);
	memmove(lb->buf, lb->buf + k, lb->len - k);
	lb->len -= k;
}

static void line_done(struct linebuf *lb)
{
	lb->len = 0;
	if (lb->cap > LINEBUF_KEEP) {
		free(lb->buf);
		lb->buf = NULL;
		lb->cap = 0;
	}
}

/* Out of memory for the pending line: emit what is held and the new bytes
 * as pieces straight from the caller's buffer. Rare enough to be simple. */
static void emit_unstored(struct linebuf *lb, const char *data, size_t n,
			  linebuf_emit_fn emit, void *arg)
{
	if (lb->len)
		emit(arg, lb->buf, lb->len, LINE_PARTIAL);
	lb->len = 0;
	while (n > 0) {
		size_t k = n < lb->max ? n : lb->max;
		emit(arg, data, k, LINE_PARTIAL);
		data += k;
		n -= k;
	}
}

int linebuf_feed(struct linebuf *lb, const char *data, size_t n,
		 linebuf_emit_fn emit, void *arg)
{
	int rc = 0;

	while (n > 0) {
		const char *nl = memchr(data, '\n', n);

		if (lb->len == 0 && nl) {
			/* Fast path: a whole line in the caller's buffer. */
			size_t l = (size_t)(nl - data), c = l;
			if (c && data[c - 1] == '\r')
				c--;
			if (c <= lb->max) {
				emit(arg, data, c, 0);
				data += l + 1;
				n -= l + 1;
				continue;
			}
		}

		size_t seg = nl ? (size_t)(nl - data) : n;
		size_t room = lb->max + 1 - lb->len;
		size_t take = seg < room ? seg : room;
		if (reserve(lb, lb->len + take) < 0) {
			bool eol = take == seg && nl;
			/* take > 0 here, so a '\r' before the '\n' is ours. */
			emit_unstored(lb, data, eol && data[take - 1] == '\r' ?
					  take - 1 : take, emit, arg);
			data += take;
			n -= take;
			if (eol) {
				/* The line ends here: an empty final piece
				 * closes it so readers see where it ended. */
				emit(arg, data, 0, 0);
				data++;
				n--;
			}
			rc = -ENOMEM;
			continue;
		}
		memcpy(lb->buf + lb->len, data, take);
		lb->len += take;
		data += take;
		n -= take;

		if (take == seg && nl) {
			/* The whole line is now pending; data[0] is its '\n'. */
			for (;;) {
				size_t c = lb->len;
				if (c && lb->buf[c - 1] == '\r')
					c--;
				if (c <= lb->max) {
					emit(arg, lb->buf, c, 0);
					break;
				}
				emit_piece(lb, emit, arg);
			}
			line_done(lb);
			data++;
			n--;
			continue;
		}
		/* The line goes on. Hold a trailing '\r' one byte past max only
		 * while we cannot yet see whether '\n' follows it. */
		while (lb->len > lb->max &&
		       !(n == 0 && lb->len == lb->max + 1 &&
			 lb->buf[lb->max] == '\r'))
			emit_piece(lb, emit, arg);
	}
	return rc;
}

void linebuf_finish(struct linebuf *lb, linebuf_emit_fn emit, void *arg)
{
	while (lb->len > lb->max)
		emit_piece(lb, emit, arg);
	if (lb->len)
		emit(arg, lb->buf, lb->len, LINE_NOEOL);
	linebuf_free(lb);
}

/* Where a piece of a line that is longer than max ends: at most max bytes,
 * not on a '\r' that may be half of "\r\n", not inside a UTF-8
 * character (as emit_piece). */
static size_t piece_len(const char *p, size_t avail, size_t max)
{
	size_t k = max < avail ? max : avail;

	if (k > 1 && p[k - 1] == '\r')
		k--;
	size_t u = utf8_complete_prefix(p, k);
	return u > 0 ? u : k;
}

size_t linebuf_scan(const char *data, size_t n, size_t max, bool eof,
		    linebuf_scan_fn emit, void *arg)
{
	size_t pos = 0;

	if (max < LINEBUF_MIN_MAX)
		max = LINEBUF_MIN_MAX;
	if (max > LINEBUF_MAX_MAX)
		max = LINEBUF_MAX_MAX;
	while (pos < n) {
		const char *p = data + pos;
		size_t avail = n - pos;
		const char *nl = memchr(p, '\n', avail);
		if (nl) {
			size_t l = (size_t)(nl - p), c = l;
			if (c && p[c - 1] == '\r')
				c--;
			if (c <= max) {
				emit(arg, p, c, 0, pos + l + 1);
				pos += l + 1;
				continue;
			}
			/* Too long: a piece from the front; the rest of the
			 * line is looked at again. */
			size_t k = piece_len(p, l, max);
			emit(arg, p, k, LINE_PARTIAL, pos + k);
			pos += k;
			continue;
		}
		/* No end of line in sight. */
		if (eof) {
			if (avail > max) {
				size_t k = piece_len(p, avail, max);
				emit(arg, p, k, LINE_PARTIAL, pos + k);
				pos += k;
				continue;
			}
			emit(arg, p, avail, LINE_NOEOL, n);
			return n;
		}
		/* Pieces only while more than max bytes wait, and a '\r'
		 * just past max is held until we see whether '\n' follows. */
		if (avail <= max || (avail == max + 1 && p[max] == '\r'))
			break;
		size_t k = piece_len(p, avail, max);
		emit(arg, p, k, LINE_PARTIAL, pos + k);
		pos += k;
	}
	return pos;
}
