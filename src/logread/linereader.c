#include "linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void line_reader_init(struct line_reader *lr, int fd, size_t max)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->max = max;
}

void line_reader_free(struct line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->cap = lr->start = lr->end = lr->scan = 0;
}

int line_reader_next(struct line_reader *lr, const char **line, size_t *len)
{
	size_t avail = lr->end - lr->start;
	char *nl = NULL;

	if (!lr->buf)
		return 0; /* nothing read yet (no pointer arithmetic on NULL) */
	char *base = lr->buf + lr->start;
	if (avail > lr->scan)
		nl = memchr(base + lr->scan, '\n', avail - lr->scan);
	if (nl) {
		*line = base;
		*len = (size_t)(nl - base);
		lr->start += *len + 1;
		lr->scan = 0;
		return *len > lr->max ? -EMSGSIZE : 1;
	}
	lr->scan = avail;
	if (avail > lr->max)
		return -EMSGSIZE;
	if (lr->eof && avail > 0 && lr->drop_cut) {
		lr->start = lr->end;
		lr->scan = 0;
		return 0;
	}
	if (lr->eof && avail > 0) {
		*line = base;
		*len = avail;
		lr->start = lr->end;
		lr->scan = 0;
		return 1;
	}
	return 0;
}

/* Makes at least LINE_READER_CHUNK bytes of room after end, moving the
 * unreturned bytes to the front first. */
static int make_room(struct line_reader *lr)
{
	size_t pending = lr->end - lr->start;
	size_t want = pending + LINE_READER_CHUNK;

	if (lr->cap - lr->end >= LINE_READER_CHUNK)
		return 0;
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, pending);
		lr->start = 0;
		lr->end = pending;
	}
	if (lr->cap < want) {
		size_t ncap = lr->cap ? lr->cap * 2 : 4 * LINE_READER_CHUNK;
		char *nbuf;

		/* A line of max bytes, its '\n' and one read's worth. */
		size_t limit = lr->max + 1 + LINE_READER_CHUNK;

		if (ncap > limit)
			ncap = limit;
		if (ncap < want)
			ncap = want;
		nbuf = realloc(lr->buf, ncap);
		if (!nbuf)
			return -ENOMEM;
		lr->buf = nbuf;
		lr->cap = ncap;
	}
	return 0;
}

ssize_t line_reader_fill(struct line_reader *lr)
{
	ssize_t n;
	int r = make_room(lr);

	if (r < 0)
		return r;
	do
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
	while (n < 0 && errno == EINTR);
	/* On a unix socket ECONNRESET comes only once every byte the peer
	 * wrote has been read: it closed with bytes of ours unread (e.g. it
	 * refused the request with an error line). What it sent is all there
	 * is, as at end of file. */
	if (n < 0 && errno == ECONNRESET)
		n = 0;
	if (n < 0)
		return -errno;
	if (n == 0)
		lr->eof = true;
	lr->end += (size_t)n;
	return n;
}
