/* libFuzzer target: the live upgrade's handover decoder. Whatever it
 * accepts must encode back to exactly the bytes it was given (nothing
 * dropped or invented), and nothing it is given may make it read past the
 * input or allocate unbounded memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlogd/handover.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handover h;

	if (handover_decode((const char *)data, size, &h) != 0)
		return 0;
	/* Globs as the encoder wants them: C strings. */
	for (uint32_t i = 0; i < h.nreaders; i++)
		for (uint32_t g = 0; g < h.readers[i].nglobs; g++) {
			char *c = malloc(h.readers[i].glob_len[g] + 1);
			CHECK(c);
			memcpy(c, h.readers[i].globs[g], h.readers[i].glob_len[g]);
			c[h.readers[i].glob_len[g]] = '\0';
			h.readers[i].globs[g] = c;
		}
	size_t n = handover_size(&h);
	CHECK(n == size);
	char *out = malloc(n ? n : 1);
	CHECK(out);
	CHECK(handover_encode(&h, out) == n);
	CHECK(memcmp(out, data, n) == 0);
	free(out);
	for (uint32_t i = 0; i < h.nreaders; i++)
		for (uint32_t g = 0; g < h.readers[i].nglobs; g++)
			free((char *)h.readers[i].globs[g]);
	handover_free(&h);
	return 0;
}
