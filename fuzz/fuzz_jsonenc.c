/* libFuzzer target: json_escape() on any bytes. The output must be a valid
 * JSON string body (valid UTF-8, no raw control character or quote) with no
 * raw '<' '>' '&', within JSON_ESCAPE_BOUND, and must decode to the input
 * with each invalid byte replaced by U+FFFD. Also checks
 * utf8_complete_prefix() never cuts a character and holds back only the
 * start of one. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonenc.h"
#include "../tests/common/jsonref.h"
#include "../tests/common/utf8ref.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* What Go's encoder escapes beyond JSON's needs must not stand raw in the
 * body: '<' '>' '&' (for HTML) and U+2028, U+2029 (line ends to
 * JavaScript). */
static void check_no_raw(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK(s[i] != '<' && s[i] != '>' && s[i] != '&');
	CHECK(!memmem(s, n, "\xe2\x80\xa8", 3));
	CHECK(!memmem(s, n, "\xe2\x80\xa9", 3));
}

/* Could the have bytes at p, a lead byte and continuations, become a valid
 * character with more continuation bytes? */
static bool completable(const uint8_t *p, size_t have)
{
	size_t need = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
		      (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	unsigned char tmp[4];
	uint32_t cp;

	if (have >= need)
		return false;
	for (unsigned f = 0x80; f <= 0xbf; f++) {
		memcpy(tmp, p, have);
		for (size_t k = have; k < need; k++)
			tmp[k] = (unsigned char)f;
		if (utf8ref_seq(tmp, need, &cp) == need)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t bound = JSON_ESCAPE_BOUND(size);
	char *out = malloc(bound + 1);
	char *dec = malloc(3 * size + 1), *want = malloc(3 * size + 1);

	CHECK(out && dec && want);
	size_t n = json_escape(out, in, size);
	CHECK(n <= bound);
	size_t dl;
	CHECK(jsonref_unescape(out, n, dec, &dl));
	check_no_raw(out, n);
	size_t wl = jsonref_sanitize(in, size, want);
	bool valid = utf8ref_valid(in, size);
	CHECK(dl == wl && !memcmp(dec, want, wl));

	/* utf8_complete_prefix holds back exactly the start of a final
	 * sequence that more bytes could still make valid. */
	size_t expect = size;
	for (size_t back = 1; back <= 3 && back <= size; back++) {
		if ((data[size - back] & 0xc0) == 0x80)
			continue;
		if (completable(data + size - back, back))
			expect = size - back;
		break;
	}
	CHECK(utf8_complete_prefix(in, size) == expect);
	if (valid)
		CHECK(expect == size);
	free(out);
	free(dec);
	free(want);
	return 0;
}
