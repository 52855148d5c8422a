/* libFuzzer target: memlog-forward's state file parser on any bytes. A
 * state that parses formats back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-forward/fstate.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cur[CURSOR_TEXT_MAX + 1], text[FSTATE_FORMAT_MAX];
	const char *why;
	int n;

	if (fstate_parse((const char *)data, size, cur, &why) < 0)
		return 0;
	n = fstate_format(text, cur);
	CHECK(n > 0);
	CHECK((size_t)n == size && !memcmp(text, data, size));
	return 0;
}
