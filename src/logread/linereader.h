/* Splits what the server sends into lines, of any length up to a limit.
 * A 1 MiB message escaped as JSON can take 6 MiB, so the limit is generous;
 * a longer line is a protocol error rather than unbounded memory. */
#ifndef LOGREAD_LINEREADER_H
#define LOGREAD_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LINE_READER_MAX (64u << 20) /* longest line, '\n' not counted */
#define LINE_READER_CHUNK (64u << 10) /* least room offered to read() */

struct line_reader {
	int fd;       /* where lines come from */
	char *buf;    /* bytes read and not yet returned, from start to end */
	size_t start; /* first byte not yet returned as a line */
	size_t end;   /* end of the bytes read */
	size_t scan;  /* bytes after start already searched for '\n' */
	size_t cap;   /* allocated size of buf */
	size_t max;   /* longest accepted line */
	bool eof;     /* read() returned 0 */
	bool drop_cut; /* at the end, a last line without '\n' (cut short) is
			* dropped instead of returned */
};

void line_reader_init(struct line_reader *lr, int fd, size_t max);
void line_reader_free(struct line_reader *lr);

/* The next complete line, without its '\n', valid until the next call.
 * Returns 1 with a line, 0 if more must be read first (or, once eof is set,
 * at the end), or -EMSGSIZE for a line longer than max. At the end of the
 * stream a last line without '\n' is returned as a line, or dropped with
 * drop_cut. */
int line_reader_next(struct line_reader *lr, const char **line, size_t *len);

/* For a reader of records rather than lines (binary records): the bytes
 * received and not yet taken, and taking n of them. */
static inline const char *line_reader_data(const struct line_reader *lr,
					   size_t *avail)
{
	*avail = lr->end - lr->start;
	return lr->buf ? lr->buf + lr->start : NULL;
}

static inline void line_reader_take(struct line_reader *lr, size_t n)
{
	lr->start += n;
	lr->scan = 0;
}

/* One read(): returns the number of bytes read, 0 at the end of the
 * stream (also when the peer reset the connection), or -errno (-ENOMEM if
 * the buffer cannot grow). */
ssize_t line_reader_fill(struct line_reader *lr);

#endif
