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
#include "../tests/common/utf8ref.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)


static size_t put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	p[0] = (char)(0xe0 | cp >> 12);
	p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
	p[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes the body strictly; aborts on anything a JSON parser refuses. */
static size_t unescape(const char *in, size_t n, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < n) {
		CHECK(s[i] >= 0x20 && s[i] != '"');
		CHECK(s[i] != '<' && s[i] != '>' && s[i] != '&');
		if (s[i] != '\\') {
			size_t l = utf8ref_seq(s + i, n - i, &cp);
			CHECK(l > 0);
			CHECK(cp != 0x2028 && cp != 0x2029);
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		CHECK(i + 1 < n);
		switch (s[i + 1]) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			CHECK(i + 6 <= n);
			cp = 0;
			for (int k = 2; k < 6; k++) {
				int h = hexval(in[i + k]);
				CHECK(h >= 0);
				cp = cp << 4 | (uint32_t)h;
			}
			CHECK(cp < 0xd800 || cp >= 0xe000);
			o += put_utf8(out + o, cp);
			i += 4;
			break;
		default:
			abort();
		}
		i += 2;
	}
	return o;
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
	uint32_t cp;

	CHECK(out && dec && want);
	size_t n = json_escape(out, in, size);
	CHECK(n <= bound);
	size_t dl = unescape(out, n, dec);

	size_t wl = 0;
	bool valid = true;
	for (size_t i = 0; i < size;) {
		size_t l = utf8ref_seq(data + i, size - i, &cp);
		if (l == 0) {
			memcpy(want + wl, "\xef\xbf\xbd", 3);
			wl += 3;
			i++;
			valid = false;
		} else {
			memcpy(want + wl, data + i, l);
			wl += l;
			i += l;
		}
	}
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
