#include "client.h"
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void client_init(struct client *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->fd = -1;
	binstream_init(&c->bs);
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->start = c->end = c->scan = 0;
	c->eof = false;
	binstream_reset(&c->bs);
	json_decref(c->err_root);
	c->err_root = NULL;
}

void client_free(struct client *c)
{
	client_close(c);
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	binstream_free(&c->bs);
}

int client_connect(struct client *c, const char *cursor)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char req[4096]; /* memlogd's limit of a request line */
	size_t plen = strlen(c->path);
	int fd, n, err;

	client_close(c);
	if (plen == 0)
		return -ENOENT;
	if (plen >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, c->path, plen);
	const char *fmt = c->binary ? " format=binary" : "";
	n = cursor && *cursor
		? snprintf(req, sizeof(req), "dump-follow after=%s%s%s\n", cursor,
			   c->params ? c->params : "", fmt)
		: snprintf(req, sizeof(req), "dump-follow%s%s\n",
			   c->params ? c->params : "", fmt);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -EINVAL;
	/* Non-blocking: a daemon that is stopped and has a full backlog
	 * makes connect() fail with EAGAIN instead of hanging the loop. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* A fresh socket's buffer takes the short request at once. */
	ssize_t w = send(fd, req, (size_t)n, MSG_NOSIGNAL);
	/* A server that refuses a client before reading its request (too
	 * many query clients) writes its error line, shuts the connection
	 * down for reading and closes: the send fails, but the line waits
	 * in our receive queue. Reading it tells the caller why. */
	if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
		w = n;
	if (w != n) {
		err = w < 0 ? -errno : -EAGAIN;
		close(fd);
		return err;
	}
	c->fd = fd;
	return 0;
}

int client_line(struct client *c, const char **line, size_t *len)
{
	size_t avail = c->end - c->start;
	char *base, *nl = NULL;

	if (!c->buf)
		return 0;
	base = c->buf + c->start;
	if (avail > c->scan)
		nl = memchr(base + c->scan, '\n', avail - c->scan);
	if (!nl) {
		c->scan = avail;
		return avail > CLIENT_LINE_MAX ? -EMSGSIZE : 0;
	}
	*line = base;
	*len = (size_t)(nl - base);
	c->start += *len + 1;
	c->scan = 0;
	return *len > CLIENT_LINE_MAX ? -EMSGSIZE : 1;
}

/* Makes at least CLIENT_READ_CHUNK bytes of room after end. */
static int make_room(struct client *c)
{
	size_t pending = c->end - c->start;

	if (c->cap - c->end >= CLIENT_READ_CHUNK)
		return 0;
	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, pending);
		c->start = 0;
		c->end = pending;
	}
	if (c->cap - c->end < CLIENT_READ_CHUNK) {
		size_t ncap = c->cap ? 2 * c->cap : 2 * CLIENT_READ_CHUNK;
		char *nb;

		while (ncap - c->end < CLIENT_READ_CHUNK)
			ncap *= 2;
		nb = realloc(c->buf, ncap);
		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = ncap;
	}
	return 0;
}

ssize_t client_fill(struct client *c)
{
	ssize_t n;
	int r;

	if (c->fd < 0)
		return -ENOTCONN;
	r = make_room(c);
	if (r < 0)
		return r;
	do
		n = read(c->fd, c->buf + c->end, c->cap - c->end);
	while (n < 0 && errno == EINTR);
	/* On a unix socket ECONNRESET comes only once every byte the peer
	 * wrote has been read: it closed with bytes of ours unread. What it
	 * sent is all there is, as at end of file. */
	if (n < 0 && errno == ECONNRESET)
		n = 0;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		c->eof = true;
	c->end += (size_t)n;
	return n;
}

int client_record(struct client *c, struct binstream_item *it)
{
	size_t avail = c->end - c->start, used;
	int k;

	json_decref(c->err_root);
	c->err_root = NULL;
	if (!c->buf || !avail)
		return 0;
	if (!c->bs.hello && c->buf[c->start] == '{') {
		/* Refused before the request was taken: the JSON error
		 * line. */
		const char *line;
		size_t len;
		struct reply_field error;
		char err[REPLY_ERR_MAX];

		k = client_line(c, &line, &len);
		if (k <= 0) {
			if (k < 0)
				c->bs.why = "a line longer than the limit";
			return k < 0 ? -EPROTO : 0;
		}
		if (reply_parse(line, len, &c->err_root, &error, err) !=
		    REPLY_SERVER_ERROR) {
			c->bs.why = "a JSON line in place of binary records";
			return -EPROTO;
		}
		memset(it, 0, sizeof(*it));
		it->type = BINREC_ERROR;
		it->rec.type = BINREC_ERROR;
		it->rec.msg = error.ptr;
		it->rec.msg_len = error.len;
		return 1;
	}
	k = binstream_next(&c->bs, c->buf + c->start, avail, it, &used);
	if (k == 1)
		c->start += used;
	return k;
}
