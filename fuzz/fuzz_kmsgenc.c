/* libFuzzer target: kmsgenc_record() on any message and attributes (the
 * input split at its first 0xff byte, or all of it as the message), the
 * record read back with the /dev/kmsg parser (kmsg.c): at most
 * KMSGENC_MAX bytes, one whole record ending in its newline, the seq and
 * priority given, a message without a newline, dictionary lines that are
 * KEY=VALUE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"
#include "kmsgenc.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[KMSGENC_MAX];
	const char *in = (const char *)data;
	const char *split = memchr(in, 0xff, size);
	size_t mlen = split ? (size_t)(split - in) : size;
	const char *attrs = split ? split + 1 : NULL;
	size_t alen = split ? size - mlen - 1 : 0;
	int pri = size ? data[0] % 10 - 1 : 6;      /* -1..8 */
	int fac = size > 1 ? data[1] % 26 - 1 : 0;  /* -1..24 */

	size_t n = kmsgenc_record(out, 123456789, 42, pri, fac, in, mlen, attrs,
				  alen);
	CHECK(n > 0 && n <= KMSGENC_MAX);
	CHECK(out[n - 1] == '\n');
	CHECK(!memchr(out, '\0', n));

	struct kmsg_record r;
	size_t used;
	CHECK(kmsg_parse(out, n, &r, &used) == 0);
	CHECK(used == n);
	CHECK(r.seq == 123456789 && r.usec == 42);
	CHECK(r.priority == (pri < 0 || pri > 7 ? 6 : pri));
	CHECK(r.facility == (fac < 0 || fac > 23 ? 0 : fac));
	CHECK(!memchr(r.msg, '\n', r.msg_len));
	size_t pos = 0, kvl;
	const char *kv;
	while (kmsg_dict_next(&r, &pos, &kv, &kvl)) {
		const char *eq = memchr(kv, '=', kvl);
		CHECK(eq && eq != kv);
		CHECK(!memchr(kv, '\n', kvl));
	}
	return 0;
}
