/* libFuzzer target: fdname_decode() on any bytes, and fdname_encode() of
 * any name. A decoded name encodes back to exactly the input (one way to
 * write each name), and every encoded name is a valid systemd FDNAME
 * (printable ASCII without ':', at most 255 bytes) that decodes back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdname.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdname f, g;
	char out[FDNAME_MAX + 1];

	if (fdname_decode((const char *)data, size, &f) == 0) {
		int n = fdname_encode(out, f.id, f.kind, f.stream, f.name,
				      f.name_len);
		CHECK(n == (int)size);
		CHECK(memcmp(out, data, size) == 0);
	}
	/* The input as a source name. */
	uint64_t id = 0;
	if (size >= 8)
		memcpy(&id, data, 8);
	int n = fdname_encode(out, id, FDNAME_SOURCE, size ? data[0] % 6 : 1,
			      (const char *)data, size);
	if (n < 0)
		return 0;
	CHECK(n <= FDNAME_MAX && out[n] == '\0');
	for (int i = 0; i < n; i++)
		CHECK(out[i] > 0x20 && out[i] < 0x7f && out[i] != ':');
	CHECK(fdname_decode(out, (size_t)n, &g) == 0);
	CHECK(g.id == id && g.kind == FDNAME_SOURCE);
	CHECK(g.name_len == size && memcmp(g.name, data, size) == 0);
	return 0;
}
