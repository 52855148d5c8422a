/* libFuzzer target: time_parse_rfc3339() on any bytes. What parses must be
 * stable under format then parse; the first 8 bytes, read as a time, must
 * format to something that parses back to the same instant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[TIMEFMT_MAX], out2[TIMEFMT_MAX];
	uint64_t ns, back;

	if (time_parse_rfc3339((const char *)data, size, &ns) == 0) {
		size_t n = time_format_rfc3339nano(out, ns);
		CHECK(n <= TIMEFMT_MAX);
		CHECK(time_parse_rfc3339(out, n, &back) == 0);
		CHECK(back == ns);
		CHECK(time_format_rfc3339nano(out2, back) == n);
		CHECK(!memcmp(out, out2, n));
	}
	if (size >= 8) {
		memcpy(&ns, data, 8);
		size_t n = time_format_rfc3339nano(out, ns);
		CHECK(n >= 20 && n <= 30);
		CHECK(time_parse_rfc3339(out, n, &back) == 0);
		CHECK(back == ns);
		n = time_format_rfc3339(out, ns);
		CHECK(n == 20);
		CHECK(time_parse_rfc3339(out, n, &back) == 0);
		CHECK(back == ns - ns % 1000000000ull);
	}
	return 0;
}
