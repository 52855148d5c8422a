/* libFuzzer target: memlog-forward's --target URL parser on any bytes.
 * What parses has a known scheme, a port of 1-65535 and a host that
 * formats back into a URL that parses to the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-forward/url.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url u, back;
	const char *why;
	char text[URL_HOST_MAX + 32];
	int n;

	if (url_parse((const char *)data, size, &u, &why) < 0)
		return 0;
	CHECK(u.scheme >= URL_TCP && u.scheme <= URL_UDP);
	CHECK(atoi(u.port) >= 1 && atoi(u.port) <= 65535);
	CHECK(strlen(u.host) >= 1 && strlen(u.host) <= URL_HOST_MAX);
	n = snprintf(text, sizeof(text), strchr(u.host, ':') ? "%s://[%s]:%s" : "%s://%s:%s",
		     url_scheme_name(u.scheme), u.host, u.port);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(url_parse(text, (size_t)n, &back, &why) == 0);
	CHECK(back.scheme == u.scheme && !strcmp(back.host, u.host) &&
	      !strcmp(back.port, u.port) && back.is_ip == u.is_ip);
	return 0;
}
