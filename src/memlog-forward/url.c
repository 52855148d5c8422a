#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	enum url_scheme scheme;
} schemes[] = {
	{ "tcp", URL_TCP }, { "tls", URL_TLS }, { "relp", URL_RELP },
	{ "relps", URL_RELPS }, { "udp", URL_UDP },
};

const char *url_scheme_name(enum url_scheme s)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].scheme == s)
			return schemes[i].name;
	return "?";
}

/* A host name as DNS allows it (letters, digits, '-', '.', and '_' which
 * real networks use): anything else, '/' '@' '%' a space, is refused so a
 * mistyped URL fails at start rather than at the first lookup. */
static int host_name_ok(const char *h, size_t n)
{
	if (n == 0 || n > URL_HOST_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

int url_parse(const char *text, size_t len, struct url *out, const char **why)
{
	struct url u = { 0 };
	const char *p = text, *end = text + len, *sep, *host, *hend, *port;
	size_t i, hlen, plen;
	unsigned long pn = 0;

	sep = len >= 3 ? memmem(text, len, "://", 3) : NULL;
	if (!sep) {
		*why = "expected SCHEME://HOST:PORT";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if ((size_t)(sep - p) == strlen(schemes[i].name) &&
		    !strncasecmp(p, schemes[i].name, (size_t)(sep - p)))
			u.scheme = schemes[i].scheme;
	if (!u.scheme) {
		*why = "the scheme is not tcp, tls, relp, relps or udp";
		return -EINVAL;
	}
	host = sep + 3;
	if (host < end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close) {
			*why = "an IPv6 address without its ']'";
			return -EINVAL;
		}
		hend = close;
		host++;
		port = close + 1;
		if (port >= end || *port != ':') {
			*why = "no :PORT after the host";
			return -EINVAL;
		}
		port++;
	} else {
		const char *colon = memrchr(host, ':', (size_t)(end - host));

		if (!colon) {
			*why = "no :PORT after the host";
			return -EINVAL;
		}
		hend = colon;
		port = colon + 1;
	}
	hlen = (size_t)(hend - host);
	plen = (size_t)(end - port);
	if (plen == 0 || plen > 5) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	for (i = 0; i < plen; i++) {
		if (port[i] < '0' || port[i] > '9') {
			*why = "the port is not a number from 1 to 65535";
			return -EINVAL;
		}
		pn = pn * 10 + (unsigned long)(port[i] - '0');
	}
	if (pn == 0 || pn > 65535) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	if (hlen == 0 || hlen > URL_HOST_MAX) {
		*why = "no host, or a host name longer than 253 bytes";
		return -EINVAL;
	}
	memcpy(u.host, host, hlen);
	u.host[hlen] = '\0';
	if (host[-1] == '[') {
		struct in6_addr a6;

		if (inet_pton(AF_INET6, u.host, &a6) != 1) {
			*why = "not an IPv6 address inside [ ]";
			return -EINVAL;
		}
		u.is_ip = 1;
	} else {
		struct in_addr a4;

		if (!host_name_ok(u.host, hlen)) {
			*why = "the host is not a DNS name or address "
			       "(IPv6 addresses go in [ ])";
			return -EINVAL;
		}
		u.is_ip = inet_pton(AF_INET, u.host, &a4) == 1;
	}
	memcpy(u.port, port, plen);
	u.port[plen] = '\0';
	*out = u;
	return 0;
}
