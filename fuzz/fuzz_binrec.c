/* libFuzzer target: memlog's binary records. Whatever binrec_next accepts
 * is within the input, and encoding what it decoded gives the same bytes
 * back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binrec.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	static char out[BINREC_MAX + 64];

	while (size) {
		struct binrec r;
		size_t used = 0, n = 0;
		int k = binrec_next(p, size, &r, &used);
		if (k <= 0)
			return 0;
		CHECK(used >= 5 && used <= size);
		switch (r.type) {
		case BINREC_HELLO:
			n = binrec_hello(out, r.instance);
			/* the version is what the encoder writes */
			if (r.version != BINREC_VERSION)
				n = 0;
			break;
		case BINREC_SOURCE:
			n = binrec_source(out, r.sid, r.stream, r.name, r.name_len);
			break;
		case BINREC_ENTRY:
			CHECK(r.msg >= p && r.attrs + r.attrs_len <= p + used);
			n = binrec_entry(out, r.seq, r.time_ns, r.sid, r.flags,
					 r.priority, r.facility, r.msg, r.msg_len,
					 r.attrs, r.attrs_len);
			break;
		case BINREC_MARKER: {
			static char reason[256], text[BINREC_MAX];
			/* The encoder takes C strings: only NUL-free ones
			 * can be compared. */
			if (memchr(r.reason, 0, r.reason_len) ||
			    memchr(r.msg, 0, r.msg_len) || r.msg_len >= sizeof(text))
				break;
			memcpy(reason, r.reason, r.reason_len);
			reason[r.reason_len] = 0;
			memcpy(text, r.msg, r.msg_len);
			text[r.msg_len] = 0;
			n = binrec_marker(out, r.time_ns, r.missed, r.first, r.last,
					  reason, text);
			break;
		}
		case BINREC_ERROR:
			n = binrec_error(out, r.msg, r.msg_len);
			break;
		}
		if (n)
			CHECK(n == used && memcmp(out, p, n) == 0);
		p += used;
		size -= used;
	}
	return 0;
}
