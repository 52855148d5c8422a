/* The connection to memlogd's query socket: a v2 "dump-follow" request,
 * resuming after a cursor when there is one, then the answer split into
 * lines. Reconnecting and its backoff are the caller's (logwrite's run.h,
 * memlog-forward's run.h). */
#ifndef MEMLOG_CLIENT_CLIENT_H
#define MEMLOG_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "binstream.h"

/* Longest line accepted: a 1 MiB message escaped as JSON takes up to
 * 6 MiB. A longer one is a protocol error, not unbounded memory. */
#define CLIENT_LINE_MAX (8u << 20)
#define CLIENT_READ_CHUNK (256u << 10) /* least room offered to read() */

struct client {
	const char *path; /* query socket */
	const char *params; /* more " KEY=VALUE" for the request (filters),
			     * already percent-encoded; NULL: none */
	int fd;           /* the connection (non-blocking), or -1 */
	char *buf;        /* bytes received and not yet returned */
	size_t start;     /* first byte not returned */
	size_t end;       /* end of the bytes received */
	size_t scan;      /* bytes after start already searched for '\n' */
	size_t cap;
	bool eof;         /* the server closed the connection */
	bool binary;      /* ask for and read memlog's binary records
			   * (format=binary, binrec.h) rather than JSON lines */
	struct binstream bs; /* binary: the connection's HELLO and sources */
	json_t *err_root; /* binary: a JSON error line the last item's text
			   * points into, or NULL */
};

void client_init(struct client *c, const char *path);
void client_free(struct client *c);

/* Connects and sends "dump-follow after=CURSOR\n" ("dump-follow\n" when
 * cursor is empty), with params (if set) and " format=binary" (if binary)
 * before the newline. Returns 0
 * or -errno (-ENAMETOOLONG: the path does not
 * fit a unix socket address). A send that fails because the server has
 * already closed the connection (EPIPE, ECONNRESET) still returns 0 with
 * the connection kept: the server's answer (an error line) is read as
 * any other. */
int client_connect(struct client *c, const char *cursor);

/* Closes the connection and forgets what was received. */
void client_close(struct client *c);

/* One read(): the number of bytes, 0 at the end (eof is set; also when
 * the server reset the connection), -EAGAIN, -ENOMEM or -errno. */
ssize_t client_fill(struct client *c);

/* The next complete line, without its '\n', valid until the next call.
 * Returns 1, 0 if more must be read first, -EMSGSIZE for a line longer
 * than CLIENT_LINE_MAX. A last line without '\n' is dropped: memlogd
 * ends every line, so it can only be cut short. */
int client_line(struct client *c, const char **line, size_t *len);

/* binary: the next record, a new connection's records starting with
 * HELLO. Returns 1 with *it (HELLO and SOURCE items are taken in already:
 * the caller skips them), 0 if more must be read first, or -EPROTO,
 * -EBADMSG, -ENOSPC, -ENOMEM with c->bs.why saying what was wrong. A
 * request refused before memlogd took it is answered with the JSON error
 * line (docs/protocol.md): it comes as a BINREC_ERROR item, its text
 * valid until the next call. Pointers are valid until the next call. */
int client_record(struct client *c, struct binstream_item *it);

#endif
