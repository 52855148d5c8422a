/* libFuzzer target: memlog-journal's position records (staterec.c) on any
 * bytes: a commit slot, the pick of two slots, the WAL header and the saved
 * file. What a decoder accepts must encode back to exactly the same bytes
 * (one way to write each record, so that no record can mean two things),
 * and nothing may read past the input. scripts/fuzz compiles only src/lib,
 * so the module is included here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-journal/staterec.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jstate s, t;
	struct jsave v;
	uint64_t id;

	if (jstate_decode(data, size, &s) == 0) {
		unsigned char slot[JSTATE_SLOT_SIZE];
		CHECK(strlen(s.cursor) <= JCURSOR_MAX);
		CHECK(jstate_encode(slot, &s) == JSTATE_SLOT_SIZE);
		CHECK(memcmp(slot, data, JSTATE_SLOT_SIZE) == 0);
	}
	int k = jstate_pick(data, size, &t);
	CHECK(k == -ENOENT || k == 0 || k == 1);
	if (k >= 0)
		CHECK(size >= (size_t)(k + 1) * JSTATE_SLOT_SIZE);
	if (jwal_header_id(data, size, &id) == 0) {
		unsigned char h[16];
		jwal_header(h, id);
		CHECK(memcmp(h, data, 16) == 0);
	}
	if (jsave_decode(data, size, &v) == 0) {
		CHECK(v.cursor_len >= 1 && v.cursor_len <= JCURSOR_MAX);
		CHECK(v.pending_len <= JSAVE_PENDING_MAX);
		CHECK(jsave_size(v.cursor_len, v.pending_len) == size);
		unsigned char *b = malloc(size);
		CHECK(b);
		CHECK(jsave_encode(b, size, v.cursor, v.cursor_len, v.pending,
				   v.pending_len) == (int)size);
		CHECK(memcmp(b, data, size) == 0);
		free(b);
	}
	return 0;
}
