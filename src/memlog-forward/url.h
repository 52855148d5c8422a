/* The --target URL: SCHEME "://" HOST ":" PORT, with HOST a name, an IPv4
 * address or an IPv6 address in brackets. Pure: no name lookup here. */
#ifndef FORWARD_URL_H
#define FORWARD_URL_H

#include <stddef.h>

#define URL_HOST_MAX 253 /* longest DNS name; an IPv6 literal is shorter */

enum url_scheme {
	URL_TCP = 1, /* RFC 5424 over TCP, RFC 6587 octet counting */
	URL_TLS,     /* the same inside TLS (RFC 5425) */
	URL_RELP,    /* RELP (librelp) */
	URL_RELPS,   /* RELP inside TLS (librelp with OpenSSL) */
	URL_UDP,     /* one message per datagram (RFC 5426) */
};

struct url {
	enum url_scheme scheme;
	char host[URL_HOST_MAX + 1]; /* without the brackets of an IPv6 literal */
	char port[6];                /* decimal, 1-65535 */
	int is_ip;                   /* host is an IPv4 or IPv6 literal */
};

/* Parses text (len bytes, no NUL needed). Returns 0 (out filled) or
 * -EINVAL with a reason in *why (a static string). */
int url_parse(const char *text, size_t len, struct url *out, const char **why);

/* "tcp", "tls", "relp", "relps", "udp". */
const char *url_scheme_name(enum url_scheme s);

#endif
