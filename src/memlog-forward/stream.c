#include "stream.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rfc5424.h"

static void ssl_err(struct stream *s, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(s->err, sizeof(s->err), "%s: %s", what, buf);
	} else {
		snprintf(s->err, sizeof(s->err), "%s", what);
	}
	ERR_clear_error();
}

/* Called when the receiver asks for a client certificate and none is
 * configured: none is sent, which many receivers accept (rsyslog's anon
 * mode asks). Remembered for settle(). */
static int no_client_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct stream *s = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (s)
		s->cert_requested = true;
	return 0;
}

int stream_init(struct stream *s, const struct fwd_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->opts = opts;
	s->fd = -1;
	pending_init(&s->pending);
	if (opts->target.scheme != URL_TLS)
		return 0;
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ctx) {
		ssl_err(s, "cannot create a TLS context");
		return -1;
	}
	/* RFC 5425 requires TLS 1.2 or later in current practice (RFC 9662). */
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	if (opts->tls_ca ? SSL_CTX_load_verify_locations(s->ctx, opts->tls_ca, NULL) != 1
	    : SSL_CTX_set_default_verify_paths(s->ctx) != 1) {
		ssl_err(s, opts->tls_ca ? "cannot load --tls-ca" : "cannot load the system CAs");
		return -1;
	}
	if (opts->tls_cert) {
		if (SSL_CTX_use_certificate_chain_file(s->ctx, opts->tls_cert) != 1) {
			ssl_err(s, "cannot load --tls-cert");
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(s->ctx, opts->tls_key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(s->ctx) != 1) {
			ssl_err(s, "cannot load --tls-key (or it does not match --tls-cert)");
			return -1;
		}
	} else {
		SSL_CTX_set_client_cert_cb(s->ctx, no_client_cert);
	}
	return 0;
}

void stream_close(struct stream *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	s->ssl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->addrs)
		freeaddrinfo(s->addrs);
	s->addrs = s->next = NULL;
	s->state = STREAM_DOWN;
	s->want_write = false;
	s->proto_err = false;
	strbuf_reset(&s->out);
	s->out_off = 0;
	s->queued = s->written = 0;
	pending_clear(&s->pending);
}

void stream_free(struct stream *s)
{
	stream_close(s);
	strbuf_free(&s->out);
	pending_free(&s->pending);
	if (s->ctx)
		SSL_CTX_free(s->ctx);
	s->ctx = NULL;
}

/* Starts connect() to s->next and the following addresses until one is
 * in progress or done. */
static int try_addrs(struct stream *s)
{
	int last = ECONNREFUSED;

	for (; s->next; s->next = s->next->ai_next) {
		struct addrinfo *a = s->next;
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);

		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
			s->fd = fd;
			s->state = STREAM_CONNECTING;
			return 0;
		}
		last = errno;
		close(fd);
	}
	snprintf(s->err, sizeof(s->err), "cannot connect to %s: %s",
		 s->opts->target_text, strerror(last));
	return -1;
}

int stream_connect(struct stream *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	int r;

	stream_close(s);
	/* getaddrinfo() blocks; a receiver is normally an address or a name
	 * in /etc/hosts or a local resolver, and this runs only on
	 * (re)connects. */
	r = getaddrinfo(s->opts->target.host, s->opts->target.port, &hints, &s->addrs);
	if (r != 0) {
		snprintf(s->err, sizeof(s->err), "cannot resolve %s: %s",
			 s->opts->target.host, gai_strerror(r));
		s->addrs = NULL;
		return -1;
	}
	s->next = s->addrs;
	return try_addrs(s);
}

static int tls_start(struct stream *s)
{
	const char *name = s->opts->tls_name ? s->opts->tls_name : s->opts->target.host;
	struct in6_addr a6;
	struct in_addr a4;

	s->cert_requested = false;
	s->ssl = SSL_new(s->ctx);
	if (s->ssl)
		SSL_set_app_data(s->ssl, s);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
		ssl_err(s, "cannot set up TLS");
		return -1;
	}
	/* Partial writes let the loop write what the socket takes; the
	 * buffer may move (it grows) between a retry and the next call. */
	SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
		     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* An address is checked against the certificate's IP SANs, a name
	 * against its DNS names (and sent as SNI). */
	if (inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) != 1) {
			ssl_err(s, "cannot set the address to verify");
			return -1;
		}
	} else if (SSL_set1_host(s->ssl, name) != 1 ||
		   SSL_set_tlsext_host_name(s->ssl, name) != 1) {
		ssl_err(s, "cannot set the host name to verify");
		return -1;
	}
	s->state = STREAM_HANDSHAKE;
	return 0;
}

/* With TLS 1.3 the client's handshake ends before the server has judged
 * the client's certificate: a server that requires one and got none sends
 * its refusal after SSL_connect() succeeded. Frames written by then would
 * count as delivered and be lost, on every reconnect. So when the server
 * asked for a certificate and none was sent, wait STREAM_SETTLE_MS for a
 * refusal before writing anything. This blocks the loop, but only in that
 * configuration and once per connection; a refusal slower than that (a
 * round trip over STREAM_SETTLE_MS) still loses what was written. */
static int settle(struct stream *s)
{
	uint64_t end, now = now_mono_ms();
	char buf[512];

	end = now + STREAM_SETTLE_MS;
	while (now < end) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int r;

		if (poll(&p, 1, (int)(end - now)) > 0) {
			r = SSL_read(s->ssl, buf, sizeof(buf));
			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
					snprintf(s->err, sizeof(s->err), "TLS: %s refused the "
						 "connection after the handshake; it asked for a "
						 "client certificate and none is configured "
						 "(--tls-cert, --tls-key)", s->opts->target_text);
					ERR_clear_error();
					return -1;
				}
			}
		}
		now = now_mono_ms();
	}
	return 0;
}

static int handshake(struct stream *s)
{
	int r = SSL_connect(s->ssl), e;

	if (r == 1) {
		if (s->cert_requested && SSL_version(s->ssl) >= TLS1_3_VERSION &&
		    settle(s) < 0)
			return -1;
		s->state = STREAM_UP;
		s->want_write = false;
		return 0;
	}
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		s->want_write = e == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	if (SSL_get_verify_result(s->ssl) != X509_V_OK) {
		snprintf(s->err, sizeof(s->err), "TLS: the certificate of %s is not "
			 "accepted: %s", s->opts->target_text,
			 X509_verify_cert_error_string(SSL_get_verify_result(s->ssl)));
		ERR_clear_error();
		return -1;
	}
	ssl_err(s, "TLS handshake failed");
	return -1;
}

static int connected(struct stream *s)
{
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		close(s->fd);
		s->fd = -1;
		s->next = s->next->ai_next;
		if (s->next)
			return try_addrs(s);
		snprintf(s->err, sizeof(s->err), "cannot connect to %s: %s",
			 s->opts->target_text, strerror(err));
		return -1;
	}
	/* Frames are written as soon as they are complete, several per
	 * write() under load: Nagle would only add latency. */
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(s->addrs);
	s->addrs = s->next = NULL;
	if (s->ctx)
		return tls_start(s) < 0 ? -1 : handshake(s);
	s->state = STREAM_UP;
	return 0;
}

/* Writes what is queued. */
static int flush(struct stream *s)
{
	while (s->out_off < s->out.len) {
		size_t want = s->out.len - s->out_off;
		ssize_t n;

		if (s->ssl) {
			int r = SSL_write(s->ssl, s->out.p + s->out_off,
					  want > (1u << 30) ? (1 << 30) : (int)want), e;

			if (r > 0) {
				n = r;
			} else {
				e = SSL_get_error(s->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					break;
				ssl_err(s, "TLS write failed");
				return -1;
			}
		} else {
			n = send(s->fd, s->out.p + s->out_off, want, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n < 0) {
				snprintf(s->err, sizeof(s->err), "cannot write to %s: %s",
					 s->opts->target_text, strerror(errno));
				return -1;
			}
		}
		s->out_off += (size_t)n;
		s->written += (uint64_t)n;
	}
	if (s->out_off == s->out.len) {
		strbuf_reset(&s->out);
		s->out_off = 0;
	} else if (s->out_off > (1u << 20) && s->out_off > s->out.len / 2) {
		/* Keep the buffer from creeping: move the rest to the front. */
		memmove(s->out.p, s->out.p + s->out_off, s->out.len - s->out_off);
		s->out.len -= s->out_off;
		s->out_off = 0;
	}
	return 0;
}

/* A syslog receiver never sends anything over TCP or TLS (RFC 6587, RFC
 * 5425): readable means it closed (or reset) the connection, or, with TLS,
 * a record OpenSSL handles itself (a session ticket, an alert). Data is a
 * protocol error that ends the connection: read and thrown away, a peer
 * that sends without pause would keep the loop busy for ever. */
static int drain(struct stream *s)
{
	char buf[512];
	ssize_t n;

	if (s->ssl) {
		/* Bounded: the rest waits for the next turn of the loop. */
		for (int i = 0; i < 16; i++) {
			int r = SSL_read(s->ssl, buf, sizeof(buf)), e;

			if (r > 0)
				goto data;
			e = SSL_get_error(s->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) {
				snprintf(s->err, sizeof(s->err), "%s closed the connection",
					 s->opts->target_text);
				ERR_clear_error();
				return -1;
			}
			ssl_err(s, "TLS read failed");
			return -1;
		}
		return 0;
	}
	n = recv(s->fd, buf, sizeof(buf), 0);
	if (n > 0)
		goto data;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	snprintf(s->err, sizeof(s->err), "%s closed the connection%s%s",
		 s->opts->target_text, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	return -1;
data:
	s->proto_err = true;
	snprintf(s->err, sizeof(s->err), "protocol error: %s sent data, which a syslog "
		 "receiver never does", s->opts->target_text);
	return -1;
}

int stream_io(struct stream *s, uint32_t events)
{
	if (s->state == STREAM_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		if (connected(s) < 0)
			return -1;
		if (s->state != STREAM_UP)
			return 0;
	} else if (s->state == STREAM_HANDSHAKE) {
		if (handshake(s) < 0)
			return -1;
		if (s->state != STREAM_UP)
			return 0;
	}
	if (s->state != STREAM_UP)
		return 0;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && drain(s) < 0)
		return -1;
	return flush(s);
}

uint32_t stream_events(const struct stream *s)
{
	switch (s->state) {
	case STREAM_CONNECTING:
		return EPOLLOUT;
	case STREAM_HANDSHAKE:
		return s->want_write ? EPOLLOUT : EPOLLIN;
	case STREAM_UP:
		return EPOLLIN | (s->out_off < s->out.len ? EPOLLOUT : 0);
	default:
		return 0;
	}
}

int stream_queue(struct stream *s, const char *msg, size_t len, const char *cursor)
{
	size_t before = s->out.len;

	if (rfc5424_frame(&s->out, msg, len) < 0) {
		s->out.len = before;
		s->out.nomem = false;
		return -ENOMEM;
	}
	s->queued += s->out.len - before;
	return pending_push(&s->pending, s->queued, true, cursor);
}

int stream_skip(struct stream *s, const char *cursor)
{
	return pending_push(&s->pending, s->queued, false, cursor);
}

size_t stream_backlog(const struct stream *s)
{
	return s->out.len - s->out_off;
}

size_t stream_delivered(struct stream *s, char out[CURSOR_TEXT_MAX + 1], size_t *nsent)
{
	return pending_pop(&s->pending, s->written, out, nsent);
}
