/* The UDP transport (RFC 5426): one RFC 5424 message per datagram, no
 * framing, on a non-blocking connected socket. Nothing is acknowledged: a
 * message counts as sent once send() took it; what the kernel refuses
 * (EAGAIN, ENOBUFS, an earlier ICMP "port unreachable") is dropped and
 * counted, never retried, so a slow or absent receiver never stalls the
 * forwarder. Messages longer than --udp-max are cut at a UTF-8 boundary. */
#ifndef FORWARD_UDP_H
#define FORWARD_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define UDP_ERR_MAX 512
/* RFC 5426 3.2: receivers SHOULD take datagrams of 2048 bytes; 480 is
 * what every IPv4 receiver MUST take; 65507 the largest IPv4 payload. */
#define UDP_MAX_DEFAULT 2048
#define UDP_MAX_MIN 480
#define UDP_MAX_MAX 65507

struct udp {
	const struct fwd_opts *opts;
	int fd;                  /* -1 when down */
	uint64_t truncated;      /* messages cut to --udp-max */
	uint64_t unsent;         /* messages the kernel refused: dropped */
	char err[UDP_ERR_MAX];   /* why the last operation failed */
};

void udp_init(struct udp *u, const struct fwd_opts *opts);
/* Looks the receiver up, opens and connects the socket (no packet is
 * sent). Returns 0 or -1 (err). */
int udp_connect(struct udp *u);
void udp_close(struct udp *u);

/* The length of msg cut to at most max bytes without splitting a UTF-8
 * sequence (a cut never ends in a lead or continuation byte of an
 * incomplete character). Pure. */
size_t udp_cut(const char *msg, size_t len, size_t max);

/* Sends msg (cut to --udp-max) as one datagram. Returns 0 (sent), 1
 * (dropped: the kernel refused it for now, counted in unsent) or -1 (err:
 * the socket is unusable, reconnect). */
int udp_send(struct udp *u, const char *msg, size_t len);

#endif
