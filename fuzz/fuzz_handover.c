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

static const char *cstr(const char *p, size_t len)
{
	char *c = malloc(len + 1);

	CHECK(c);
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handover h;

	if (handover_decode((const char *)data, size, &h) != 0)
		return 0;
	/* Globs and views' names as the encoder wants them: C strings. */
	for (uint32_t i = 0; i < h.nreaders; i++) {
		struct handover_reader *x = &h.readers[i];
		for (uint32_t g = 0; g < x->nglobs; g++)
			x->globs[g] = cstr(x->globs[g], x->glob_len[g]);
		if (x->view_id) {
			x->view_id = cstr(x->view_id, x->view_id_len);
			x->view_name = cstr(x->view_name, x->view_name_len);
		}
	}
	size_t n = handover_size(&h);
	char *out = malloc(n ? n : 1);
	CHECK(out);
	CHECK(handover_encode(&h, out) == n);
	if (h.version == HANDOVER_VERSION) {
		CHECK(n == size);
		CHECK(memcmp(out, data, n) == 0);
	} else {
		/* Version 1: no filters of version 2 (27 bytes a reader);
		 * 1 and 2: no view or uid (14 bytes a reader, no view of
		 * its own here), no views' sockets (their count) and no
		 * uid-since memfd. */
		struct handover again;
		size_t older = (h.version < 2 ? 27 : 0) + 14;
		CHECK(n == size + older * (size_t)h.nreaders + 4 + 4);
		CHECK(handover_decode(out, n, &again) == 0);
		CHECK(again.nreaders == h.nreaders);
		handover_free(&again);
	}
	free(out);
	for (uint32_t i = 0; i < h.nreaders; i++) {
		for (uint32_t g = 0; g < h.readers[i].nglobs; g++)
			free((char *)h.readers[i].globs[g]);
		free((char *)h.readers[i].view_id);
		free((char *)h.readers[i].view_name);
	}
	handover_free(&h);
	return 0;
}
