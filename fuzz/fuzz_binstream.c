/* libFuzzer target: a client's reading of the binary stream (binstream).
 * Whatever it accepts lies within the input; an entry's name is one that
 * was defined; nothing leaks across inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binstream.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct binstream s;
	char cur[CURSOR_LEN + 1];

	binstream_init(&s);
	while (size) {
		struct binstream_item it;
		size_t used = 0;
		int k = binstream_next(&s, p, size, &it, &used);
		if (k <= 0) {
			CHECK(k == 0 || s.why);
			break;
		}
		CHECK(used >= 5 && used <= size);
		if (it.type == BINREC_ENTRY) {
			CHECK(it.source && strlen(it.source) <= it.source_len);
			binstream_cursor(&s, it.rec.seq, cur);
			CHECK(strlen(cur) == CURSOR_LEN);
		}
		p += used;
		size -= used;
	}
	binstream_free(&s);
	return 0;
}
