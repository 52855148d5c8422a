#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonenc.h"
#include "../common/jsonref.h"
#include "../common/utf8ref.h"

/* Escapes in (n bytes) and compares with the exact expected body, checking
 * that nothing is written past the returned length or the bound. */
static void check_n(const char *in, size_t n, const char *want)
{
	size_t bound = JSON_ESCAPE_BOUND(n);
	char *out = malloc(bound + 16);

	assert_non_null(out);
	memset(out, 0x5a, bound + 16);
	size_t len = json_escape(out, in, n);
	if (len != strlen(want) || memcmp(out, want, len) != 0)
		fail_msg("escape of %zu bytes: got \"%.*s\", want \"%s\"", n,
			 (int)len, out, want);
	assert_true(len <= bound);
	for (size_t i = len; i < bound + 16; i++)
		assert_int_equal((unsigned char)out[i], 0x5a);
	free(out);
}

static void check(const char *in, const char *want)
{
	check_n(in, strlen(in), want);
}

static void test_plain(void **state)
{
	check("", "");
	check("hello, world", "hello, world");
	check("a/b'c`~!@#$%^*()_+=-[]{}|;:,.?", "a/b'c`~!@#$%^*()_+=-[]{}|;:,.?");
	/* DEL is not a control character to Go's encoder. */
	check("\x7f", "\x7f");
}

static void test_go_short_escapes(void **state)
{
	check("\"", "\\\"");
	check("\\", "\\\\");
	check("\n", "\\n");
	check("\r", "\\r");
	check("\t", "\\t");
	check("\b", "\\b");
	check("\f", "\\f");
	check("say \"hi\"\\n", "say \\\"hi\\\"\\\\n");
}

static void test_control_chars(void **state)
{
	check_n("\0", 1, "\\u0000");
	check("\x01", "\\u0001");
	check("\x0b", "\\u000b");
	check("\x1b[31m", "\\u001b[31m");
	check("\x1f", "\\u001f");
	check_n("a\0b", 3, "a\\u0000b");

	/* Every byte below 0x20 is escaped, none is written raw. */
	for (int c = 0; c < 0x20; c++) {
		char in = (char)c, out[6];
		size_t len = json_escape(out, &in, 1);
		assert_true(len == 2 || len == 6);
		assert_int_equal(out[0], '\\');
	}
}

static void test_html_escapes(void **state)
{
	check("<a&b>", "\\u003ca\\u0026b\\u003e");
	check("<script>alert(1)</script>",
	      "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e");
	check("&&", "\\u0026\\u0026");
}

static void test_valid_utf8_raw(void **state)
{
	check("caf\xc3\xa9", "caf\xc3\xa9");                   /* é */
	check("\xe2\x82\xac", "\xe2\x82\xac");                 /* € */
	check("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");         /* 😀 */
	check("\xc2\x80", "\xc2\x80");                         /* U+0080 */
	check("\xdf\xbf", "\xdf\xbf");                         /* U+07FF */
	check("\xe0\xa0\x80", "\xe0\xa0\x80");                 /* U+0800 */
	check("\xed\x9f\xbf", "\xed\x9f\xbf");                 /* U+D7FF */
	check("\xee\x80\x80", "\xee\x80\x80");                 /* U+E000 */
	check("\xef\xbf\xbd", "\xef\xbf\xbd");                 /* U+FFFD itself */
	check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");         /* U+10FFFF */
	check("\xe2\x80\xa7", "\xe2\x80\xa7");                 /* U+2027 */
	check("\xe2\x80\xaa", "\xe2\x80\xaa");                 /* U+202A */
}

static void test_line_separators(void **state)
{
	check("\xe2\x80\xa8", "\\u2028");
	check("\xe2\x80\xa9", "\\u2029");
	check("a\xe2\x80\xa8z\xe2\x80\xa9", "a\\u2028z\\u2029");
}

static void test_invalid_utf8(void **state)
{
	check("\xff", "\\ufffd");
	check("\xfe", "\\ufffd");
	check("\x80", "\\ufffd");
	check("\xbf", "\\ufffd");
	check("\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
	check("a\xffz", "a\\ufffdz");
	/* Truncated sequences: one replacement per byte. */
	check("\xc3", "\\ufffd");
	check("\xe2\x82", "\\ufffd\\ufffd");
	check("\xe2\x82" "A", "\\ufffd\\ufffdA");
	check("\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd");
	check("\xf0\x9f\x98" "\xf0\x9f\x98\x80",
	      "\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80");
	/* Overlong forms. */
	check("\xc0\x80", "\\ufffd\\ufffd");
	check("\xc1\xbf", "\\ufffd\\ufffd");
	check("\xe0\x80\x80", "\\ufffd\\ufffd\\ufffd");
	check("\xe0\x9f\xbf", "\\ufffd\\ufffd\\ufffd");
	check("\xf0\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
	check("\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd");
	/* UTF-16 surrogates encoded as UTF-8. */
	check("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");
	check("\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd");
	check("\xed\xa0\xbd\xed\xb8\x80",
	      "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
	/* Above U+10FFFF. */
	check("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
	/* A lead byte followed by a character that is itself valid. */
	check("\xc3\xe2\x82\xac", "\\ufffd\xe2\x82\xac");
	check("\xe2<", "\\ufffd\\u003c");
}

static void test_bound_worst_case(void **state)
{
	/* Every byte a six-byte escape: exactly the bound. */
	check("\x01\x02\x03\x04", "\\u0001\\u0002\\u0003\\u0004");
	check("\xff\xff\xff", "\\ufffd\\ufffd\\ufffd");
	check("<<", "\\u003c\\u003c");
}


static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static void test_random_decodes_back(void **state)
{
	static const char *const frags[] = {
		"a", "Z", " ", "<", ">", "&", "\"", "\\", "\n", "\x01", "\x7f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8",
		"\xe2\x80\xa9", "\xff", "\x80", "\xe2\x82", "\xed\xa0\x80",
		"\xc0\xaf", "\xf4\x90\x80\x80", "\xef\xbf\xbd",
	};
	char in[256], esc[JSON_ESCAPE_BOUND(256)], dec[1024], want[1024];

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0, target = rnd() % 64;
		while (n < target) {
			if (rnd() % 4 == 0) {
				in[n++] = (char)rnd();
				continue;
			}
			const char *f = frags[rnd() % (sizeof(frags) / sizeof(frags[0]))];
			size_t fl = strlen(f);
			if (n + fl > sizeof(in))
				break;
			memcpy(in + n, f, fl);
			n += fl;
		}
		size_t len = json_escape(esc, in, n), dl;
		assert_true(len <= JSON_ESCAPE_BOUND(n));
		for (size_t i = 0; i < len; i++)
			assert_true(esc[i] != '<' && esc[i] != '>' && esc[i] != '&');
		if (!jsonref_unescape(esc, len, dec, &dl))
			fail_msg("iteration %d: output is not a JSON string body", iter);
		size_t wl = jsonref_sanitize(in, n, want);
		assert_int_equal(dl, wl);
		assert_memory_equal(dec, want, wl);
	}
}

static void check_prefix(const char *in, size_t n, size_t want)
{
	size_t got = utf8_complete_prefix(in, n);
	if (got != want)
		fail_msg("utf8_complete_prefix(%zu bytes) = %zu, want %zu", n, got,
			 want);
}

#define PREFIX(lit, want) check_prefix(lit, sizeof(lit) - 1, want)

static void test_utf8_complete_prefix(void **state)
{
	PREFIX("", 0);
	PREFIX("abc", 3);
	PREFIX("ab\xc3\xa9", 4);
	PREFIX("ab\xc3", 2);
	PREFIX("ab\xe2", 2);
	PREFIX("ab\xe2\x82", 2);
	PREFIX("ab\xe2\x82\xac", 5);
	PREFIX("ab\xf0", 2);
	PREFIX("ab\xf0\x9f", 2);
	PREFIX("ab\xf0\x9f\x98", 2);
	PREFIX("ab\xf0\x9f\x98\x80", 6);
	PREFIX("\xe2", 0);
	PREFIX("\xf0\x9f\x98", 0);
	/* A complete character then a stray continuation byte. */
	PREFIX("ab\xc3\xa9\x80", 5);
	PREFIX("\x80\x80\x80\x80", 4);
	/* Garbage that can never become valid is kept, not held back. */
	PREFIX("ab\xff", 3);
	PREFIX("ab\xc0", 3);
	PREFIX("ab\xc1", 3);
	PREFIX("ab\xf5", 3);
	PREFIX("ab\xe0\x80", 4);    /* overlong start */
	PREFIX("ab\xe0\xa0", 2);    /* U+0800.. start: could complete */
	PREFIX("ab\xed\xa0", 4);    /* surrogate start */
	PREFIX("ab\xed\x9f", 2);    /* U+D7xx: could complete */
	PREFIX("ab\xf0\x80", 4);    /* overlong start */
	PREFIX("ab\xf0\x90", 2);
	PREFIX("ab\xf4\x8f", 2);    /* up to U+10FFFF */
	PREFIX("ab\xf4\x90", 4);    /* beyond U+10FFFF */
	PREFIX("ab\xe2\x41", 4);    /* lead byte then ASCII: not pending */
	PREFIX("\xe2\x82\xac\xe2\x82", 3);
}

static void test_utf8_prefix_never_splits(void **state)
{
	/* Valid UTF-8 of mixed widths: every cut lands on a boundary and
	 * holds back less than one character. */
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"
				   "\xdf\xbf\xef\xbf\xbd\xf4\x8f\xbf\xbf";
	size_t n = sizeof(text) - 1;
	bool boundary[sizeof(text)] = { false };
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		boundary[i] = true;
		size_t l = utf8ref_seq((const unsigned char *)text + i, n - i, &cp);
		assert_true(l > 0);
		i += l;
	}
	boundary[n] = true;
	for (size_t k = 0; k <= n; k++) {
		size_t u = utf8_complete_prefix(text, k);
		assert_true(u <= k);
		assert_true(boundary[u]);
		for (size_t j = u + 1; j <= k; j++)
			assert_false(boundary[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_go_short_escapes),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_valid_utf8_raw),
		cmocka_unit_test(test_line_separators),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_bound_worst_case),
		cmocka_unit_test(test_random_decodes_back),
		cmocka_unit_test(test_utf8_complete_prefix),
		cmocka_unit_test(test_utf8_prefix_never_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
