/* libFuzzer target: logwrite's line formats. The input is cut into a
 * time, a source and a message; whatever they hold, a text line is
 * exactly one line with no control character but tab, and no format
 * writes more than format_bound() says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/client/format.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_entry e;
	size_t a, b, n;
	char *out;

	if (size < 3 || size > 65536)
		return 0;
	a = data[0] % (size - 2); /* a <= size - 3 */
	b = data[1] % (size - 3 - a + 1);
	memset(&e, 0, sizeof(e));
	e.partial = data[2] & 1;
	e.time = (struct lw_field){ (const char *)data + 3, a };
	e.source = (struct lw_field){ (const char *)data + 3 + a, b };
	e.msg = (struct lw_field){ (const char *)data + 3 + a + b, size - 3 - a - b };
	e.line = (struct lw_field){ (const char *)data, size };
	for (int f = LW_FORMAT_TEXT; f <= LW_FORMAT_RAW; f++) {
		size_t bound = format_bound((enum lw_format)f, &e);
		out = malloc(bound ? bound : 1);
		CHECK(out);
		n = format_entry((enum lw_format)f, &e, out);
		CHECK(n <= bound);
		if (f == LW_FORMAT_TEXT) {
			CHECK(n > 0 && out[n - 1] == '\n');
			for (size_t i = 0; i + 1 < n; i++) {
				unsigned char c = (unsigned char)out[i];
				CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
			}
		}
		free(out);
	}
	return 0;
}
