/* libFuzzer target: cursor_parse() on any bytes; what parses must format
 * back to exactly the input. The first 16 bytes, read as two numbers, must
 * survive format then parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CURSOR_LEN + 1];
	struct cursor c, back;

	if (cursor_parse((const char *)data, size, &c) == 0) {
		CHECK(size == CURSOR_LEN);
		cursor_format(out, c);
		CHECK(!memcmp(out, data, CURSOR_LEN));
	}
	if (size >= 16) {
		memcpy(&c.instance, data, 8);
		memcpy(&c.seq, data + 8, 8);
		cursor_format(out, c);
		CHECK(strlen(out) == CURSOR_LEN);
		CHECK(cursor_parse(out, CURSOR_LEN, &back) == 0);
		CHECK(back.instance == c.instance && back.seq == c.seq);
	}
	return 0;
}
