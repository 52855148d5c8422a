/* The TCP and TLS transports: RFC 5424 messages with octet-counting
 * framing (RFC 6587) on a non-blocking socket, optionally inside TLS
 * (RFC 5425, OpenSSL: the receiver's certificate chain and host name are
 * verified; a client certificate is offered when configured). Frames are
 * queued in one output buffer and written as the socket takes them; an
 * entry counts as delivered once the last byte of its frame was written
 * (handed to the kernel, or to OpenSSL which writes whole records). */
#ifndef FORWARD_STREAM_H
#define FORWARD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netdb.h>
#include <openssl/ssl.h>

#include "options.h"
#include "pending.h"
#include "strbuf.h"

#define STREAM_ERR_MAX 512
/* TLS 1.3, a client certificate asked for and none sent: how long to wait
 * for a refusal before writing (stream.c, settle()). */
#define STREAM_SETTLE_MS 300

enum stream_state {
	STREAM_DOWN = 0,
	STREAM_CONNECTING,  /* connect() in progress */
	STREAM_HANDSHAKE,   /* TLS handshake in progress */
	STREAM_UP,
};

struct stream {
	const struct fwd_opts *opts;
	SSL_CTX *ctx;            /* TLS only, for the program's lifetime */
	SSL *ssl;                /* the connection's TLS state */
	int fd;                  /* -1 when down */
	enum stream_state state;
	bool want_write;         /* TLS: the handshake waits for writability */
	bool cert_requested;     /* TLS: the receiver asked for a client
				  * certificate and none was configured */
	struct addrinfo *addrs;  /* the receiver's addresses, tried in order */
	struct addrinfo *next;   /* the one being tried */
	struct strbuf out;       /* frames not yet written whole */
	size_t out_off;          /* bytes of out already written */
	uint64_t queued;         /* bytes queued since the connection began */
	uint64_t written;        /* bytes written since then */
	struct pending pending;  /* entries not yet written whole */
	char err[STREAM_ERR_MAX];/* why the last operation failed */
	bool proto_err;          /* it failed because the receiver sent data */
};

/* Sets up (the TLS context with its verification). Returns 0, or -1 with
 * err set. */
int stream_init(struct stream *s, const struct fwd_opts *opts);
void stream_free(struct stream *s);

/* Looks the receiver up and starts connecting. Returns 0 or -1 (err). */
int stream_connect(struct stream *s);
/* Closes the connection and forgets what was queued. */
void stream_close(struct stream *s);

/* The epoll events the stream needs now (0 when down). */
uint32_t stream_events(const struct stream *s);
/* Handles events: completes the connect and the handshake, writes what
 * is queued, notices a receiver that closed. Returns 0 or -1 (err). */
int stream_io(struct stream *s, uint32_t events);

/* Queues a framed message (msg, len) for the entry with cursor. Returns 0
 * or -ENOMEM. */
int stream_queue(struct stream *s, const char *msg, size_t len, const char *cursor);
/* An entry that is not sent (filtered): delivered with what precedes it. */
int stream_skip(struct stream *s, const char *cursor);
/* Bytes queued and not yet written. */
size_t stream_backlog(const struct stream *s);
/* The entries delivered since the last call: their number (*nsent of
 * them sent, the others filtered), the newest one's cursor in out. */
size_t stream_delivered(struct stream *s, char out[CURSOR_TEXT_MAX + 1], size_t *nsent);

#endif
