/* libFuzzer target: the live upgrade's handover decoder. Whatever it
 * accepts of the current version must encode back to exactly the bytes it
 * was given (nothing dropped or invented); an older version it accepts
 * encodes to the current one, which decodes again, larger by exactly the
 * fields the older one lacked. Nothing it is given may make it read past
 * the input or allocate unbounded memory. */
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
	char *out = malloc(n ? n : 1);
	CHECK(out);
	CHECK(handover_encode(&h, out) == n);
	if (h.version == HANDOVER_VERSION) {
		CHECK(n == size);
		CHECK(memcmp(out, data, n) == 0);
	} else {
		/* Version 1: no filters of version 2 (27 bytes a reader). */
		struct handover again;
		CHECK(n == size + 27 * (size_t)h.nreaders);
		CHECK(handover_decode(out, n, &again) == 0);
		CHECK(again.nreaders == h.nreaders);
		handover_free(&again);
	}
	free(out);
	for (uint32_t i = 0; i < h.nreaders; i++)
		for (uint32_t g = 0; g < h.readers[i].nglobs; g++)
			free((char *)h.readers[i].globs[g]);
	handover_free(&h);
	return 0;
}
