/* libFuzzer target: logwrite's state file parser on any bytes. What
 * parses must be built back by the state_text functions into a text that
 * parses to the same state (files, parks, the ledger's own lines, the
 * rotation), and every listed base must be one that name_file_base() can
 * write. scripts/fuzz compiles only src/lib, so the
 * logwrite modules this needs are included here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/client/name.c"
#include "../src/client/sha256.c"
#include "../src/logwrite/state.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_state s, back;
	struct state_text t = { 0 };
	char err[STATE_ERR_MAX];

	if (state_parse((const char *)data, size, &s, err) != 0)
		return 0;
	CHECK(s.nfiles <= STATE_FILES_MAX);
	CHECK(s.cursor[0] == '\0' || cursor_text_valid(s.cursor, strlen(s.cursor)));
	state_text_begin(&t, s.cursor);
	for (size_t i = 0; i < s.nfiles; i++) {
		CHECK(name_base_ok(s.files[i].base, strlen(s.files[i].base)));
		CHECK(!strchr(s.files[i].base, '/'));
		CHECK(s.files[i].base[0] != '.');
		state_text_file(&t, s.files[i].base, s.files[i].committed);
	}
	for (size_t i = 0; i < s.nparks; i++) {
		CHECK(name_base_ok(s.parks[i].base, strlen(s.parks[i].base)));
		state_text_park(&t, s.parks[i].base, s.parks[i].dropped);
	}
	for (size_t i = 0; i < s.nowns; i++) {
		CHECK(name_base_ok(s.owns[i].base, strlen(s.owns[i].base)));
		CHECK(s.owns[i].n > 0 || s.owns[i].creating);
		CHECK(s.owns[i].n <= STATE_INOS_MAX);
		state_text_own(&t, s.owns[i].base, s.owns[i].creating,
			       s.owns[i].inos, s.owns[i].n);
	}
	/* Version 1 has no own lines; written again (as version 2) its files
	 * and rotation get one, as logwrite's upgrade gives them. */
	for (size_t i = 0; s.version == 1 && i < s.nfiles; i++)
		state_text_own(&t, s.files[i].base, true, NULL, 0);
	if (s.version == 1 && s.rot_step != ROT_NONE) {
		bool listed = false;
		for (size_t i = 0; i < s.nfiles; i++)
			listed = listed || !strcmp(s.files[i].base, s.rot_base);
		if (!listed)
			state_text_own(&t, s.rot_base, true, NULL, 0);
	}
	if (s.rot_step != ROT_NONE)
		state_text_rotate(&t, s.rot_step, s.rot_base, s.rot_len);
	CHECK(state_text_end(&t) == 0);
	CHECK(state_parse(t.buf, t.len, &back, err) == 0);
	CHECK(!strcmp(back.cursor, s.cursor));
	CHECK(back.nfiles == s.nfiles);
	for (size_t i = 0; i < s.nfiles; i++) {
		CHECK(!strcmp(back.files[i].base, s.files[i].base));
		CHECK(back.files[i].committed == s.files[i].committed);
	}
	CHECK(back.nparks == s.nparks);
	for (size_t i = 0; i < s.nparks; i++) {
		CHECK(!strcmp(back.parks[i].base, s.parks[i].base));
		CHECK(back.parks[i].dropped == s.parks[i].dropped);
	}
	CHECK(back.version == 2);
	CHECK(s.version == 1 || back.nowns == s.nowns);
	for (size_t i = 0; s.version == 2 && i < s.nowns; i++) {
		CHECK(!strcmp(back.owns[i].base, s.owns[i].base));
		CHECK(back.owns[i].creating == s.owns[i].creating);
		CHECK(back.owns[i].n == s.owns[i].n);
		for (size_t k = 0; k < s.owns[i].n; k++)
			CHECK(back.owns[i].inos[k] == s.owns[i].inos[k]);
	}
	CHECK(back.rot_step == s.rot_step);
	if (s.rot_step != ROT_NONE) {
		CHECK(!strcmp(back.rot_base, s.rot_base));
		CHECK(back.rot_len == s.rot_len);
	}
	state_free(&back);
	state_free(&s);
	state_text_free(&t);
	return 0;
}
