/* logwrite's source-name-to-file-name mapping (name.c), with the stream
 * where the name does not tell it, and its SHA-256. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "sha256.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Checks the promises every encoding keeps. */
static void check_safe(const char *enc, size_t len)
{
	assert_true(len >= 1 && len <= NAME_BASE_MAX);
	assert_int_equal(strlen(enc), len);
	assert_true(enc[0] != '.');
	assert_true(enc[len - 1] != '.');
	assert_null(strstr(enc, ".."));
	assert_null(strchr(enc, '/'));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)enc[i];
		assert_true(c > 0x20 && c < 0x7f);
	}
	assert_true(name_is_encoded(enc, len));
}

static void expect_enc(const char *src, size_t len, const char *want)
{
	char out[NAME_BASE_MAX + 1], back[NAME_BASE_MAX];
	size_t n = name_encode(src, len, out);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	check_safe(out, n);
	assert_int_equal(name_decode(out, n, back, sizeof(back)), (int)len);
	assert_memory_equal(back, src, len);
}

#define ENC(lit, want) expect_enc(lit, sizeof(lit) - 1, want)

static void test_plain_names_unchanged(void **state)
{
	ENC("docker", "docker");
	ENC("onboot.001-dhcpcd.out", "onboot.001-dhcpcd.out");
	ENC("memlogd", "memlogd");
	ENC("A_Z-0.9", "A_Z-0.9");
}

static void test_unsafe_bytes(void **state)
{
	ENC("../../etc/passwd", "%2E%2E%2F.%2E%2Fetc%2Fpasswd");
	ENC("/etc/passwd", "%2Fetc%2Fpasswd");
	ENC(".", "%2E");
	ENC("..", "%2E%2E");
	ENC(".hidden", "%2Ehidden");
	ENC("a.", "a%2E");
	ENC("a..b", "a.%2Eb");
	ENC("", "%");
	ENC("%", "%25");
	ENC("%41", "%2541");
	ENC("~", "%7E");
	ENC("a b", "a%20b");
	ENC("tab\there", "tab%09here");
	ENC("nl\nx", "nl%0Ax");
	ENC("nul\0x", "nul%00x");
	ENC("\x7f\xff", "%7F%FF");
	ENC("caf\xc3\xa9", "caf%C3%A9");
}

/* Names that differ only in unsafe characters get different files. */
static void test_unsafe_variants_differ(void **state)
{
	static const char *const names[] = {
		"a/b", "a:b", "a b", "a%b", "a\nb", "a\\b", "a..b", "a.%2Eb",
		"a%2Fb", "a~b", "a\x01" "b", "a\xff" "b", "ab", "a.b", "a_b",
		"a%2fb", "A/b",
	};
	char enc[NELEM(names)][NAME_BASE_MAX + 1];

	for (size_t i = 0; i < NELEM(names); i++) {
		size_t n = name_encode(names[i], strlen(names[i]), enc[i]);
		check_safe(enc[i], n);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(enc[i], enc[j]);
	}
}

/* Every name of up to three bytes over an alphabet with the tricky bytes
 * maps to its own file name and back. */
static void test_exhaustive_short_names(void **state)
{
	static const char alpha[] = { 'a', '.', '/', '%', '\0', '~', ' ', 'A',
				      '2', 'F', '\xff' };
	const size_t na = sizeof(alpha);
	size_t total = 1 + na + na * na + na * na * na, k = 0;
	char (*enc)[NAME_BASE_MAX + 1] = calloc(total, sizeof(*enc));

	assert_non_null(enc);
	for (size_t len = 0; len <= 3; len++) {
		size_t count = len == 0 ? 1 : len == 1 ? na : len == 2 ? na * na
							 : na * na * na;
		for (size_t idx = 0; idx < count; idx++) {
			char src[3], back[NAME_BASE_MAX];
			size_t v = idx;
			for (size_t i = 0; i < len; i++) {
				src[i] = alpha[v % na];
				v /= na;
			}
			size_t n = name_encode(src, len, enc[k]);
			check_safe(enc[k], n);
			assert_int_equal(name_decode(enc[k], n, back, sizeof(back)),
					 (int)len);
			assert_memory_equal(back, src, len);
			k++;
		}
	}
	assert_int_equal(k, total);
	/* Pairwise distinct: sort and compare neighbours. */
	qsort(enc, total, sizeof(*enc),
	      (int (*)(const void *, const void *))strcmp);
	for (size_t i = 1; i < total; i++)
		assert_string_not_equal(enc[i - 1], enc[i]);
	free(enc);
}

static void test_decode_refuses_foreign_spellings(void **state)
{
	char out[NAME_BASE_MAX];
	static const char *const bad[] = {
		"%41",       /* "A" is written as A */
		"%2e",       /* lower-case hex is never written */
		"a%",        /* cut escape */
		"a%2",
		"%GG",
		".x",        /* a leading dot is escaped */
		"x.",
		"a..b",
		"a/b",
		"a b",
		"%%",
		"~",
		"a~0123",
	};

	for (size_t i = 0; i < NELEM(bad); i++) {
		assert_int_equal(name_decode(bad[i], strlen(bad[i]), out,
					     sizeof(out)), -EINVAL);
		assert_false(name_is_encoded(bad[i], strlen(bad[i])));
	}
	assert_int_equal(name_decode("", 0, out, sizeof(out)), -EINVAL);
	assert_false(name_is_encoded("", 0));
}

static void test_long_names(void **state)
{
	char a[512], b[512], ea[NAME_BASE_MAX + 1], eb[NAME_BASE_MAX + 1];
	char out[NAME_BASE_MAX];
	size_t na, nb;

	/* 512 bytes that all need escaping, differing only in the last. */
	memset(a, '/', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[511] = ':';
	na = name_encode(a, sizeof(a), ea);
	nb = name_encode(b, sizeof(b), eb);
	check_safe(ea, na);
	check_safe(eb, nb);
	assert_string_not_equal(ea, eb);
	assert_non_null(strchr(ea, '~'));
	assert_true(na <= NAME_LONG_PREFIX + 1 + NAME_HASH_HEX);
	/* The prefix ends at an escape boundary. */
	assert_int_equal((size_t)(strchr(ea, '~') - ea) % 3, 0);
	assert_int_equal(name_decode(ea, na, out, sizeof(out)), -E2BIG);

	/* The longest short form: 200 plain bytes; one more goes long. */
	memset(a, 'x', sizeof(a));
	na = name_encode(a, NAME_BASE_MAX, ea);
	assert_int_equal(na, NAME_BASE_MAX);
	assert_null(strchr(ea, '~'));
	na = name_encode(a, NAME_BASE_MAX + 1, ea);
	assert_non_null(strchr(ea, '~'));
	assert_int_equal(na, NAME_LONG_PREFIX + 1 + NAME_HASH_HEX);
	check_safe(ea, na);
	/* A long form with a broken hash is not ours. */
	ea[na - 1] = 'G';
	assert_false(name_is_encoded(ea, na));
}

static void expect_base(const char *src, size_t len, const char *stream,
			const char *want)
{
	char out[FILE_BASE_MAX + 1];
	size_t n = name_file_base(src, len, stream, stream ? strlen(stream) : 0,
				  out);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_true(name_base_ok(out, n));
}

#define BASE(lit, stream, want) expect_base(lit, sizeof(lit) - 1, stream, want)

/* Sources of different streams never share a file; LinuxKit's names stay
 * where the name tells the stream. */
static void test_file_base_streams(void **state)
{
	/* LinuxKit's convention: NAME.out is stdout, NAME stderr. */
	BASE("web", "stderr", "web");
	BASE("web.out", "stdout", "web.out");
	BASE("onboot.001-dhcpcd.out", "stdout", "onboot.001-dhcpcd.out");
	BASE("web", NULL, "web");
	/* A stream the name does not tell (memlog's stream= attribute). */
	BASE("web", "stdout", "web@stdout");
	BASE("web.out", "stderr", "web.out@stderr");
	/* Other streams always say theirs. */
	BASE("web", "syslog", "web@syslog");
	BASE("syslog", "syslog", "syslog@syslog");
	BASE("kmsg", "kernel", "kmsg@kernel");
	BASE("../x", "syslog", "%2E%2E%2Fx@syslog");
	BASE("", "syslog", "%@syslog");
	/* memlogd.log is memlogd's own entries only. */
	BASE("memlogd", "none", "memlogd");
	BASE("memlogd", "stderr", "memlogd@stderr");
	BASE("memlogd", "syslog", "memlogd@syslog");
	BASE("memlogd", NULL, "memlogd@stderr");
	BASE("memlogd.out", "stdout", "memlogd.out");
	BASE("other", "none", "other@none");
	/* A stream word that could not be a file name. */
	BASE("a", "Kernel", "a@unknown");
	BASE("a", "x/y", "a@unknown");
	BASE("a", "abcdefghijklmnopq", "a@unknown"); /* 17 bytes */
	BASE("a", "abcdefghijklmnop", "a@abcdefghijklmnop");
}

static void test_file_base_long(void **state)
{
	char a[600], out[FILE_BASE_MAX + 1];
	size_t n;

	memset(a, '/', sizeof(a));
	n = name_file_base(a, sizeof(a), "abcdefghijklmnop", 16, out);
	assert_true(n <= FILE_BASE_MAX);
	assert_true(name_base_ok(out, n));
	assert_non_null(strchr(out, '~'));
	memset(a, 'x', sizeof(a));
	n = name_file_base(a, NAME_BASE_MAX, "abcdefghijklmnop", 16, out);
	assert_int_equal(n, FILE_BASE_MAX);
	assert_true(name_base_ok(out, n));
}

static void test_base_ok(void **state)
{
	static const char *const good[] = {
		"web", "web@syslog", "%@none", "kmsg@kernel", "memlogd",
		"a@0", "%2E%2E@syslog",
	};
	static const char *const bad[] = {
		"", "@syslog", "web@", "web@Syslog", "web@sys/log", "web@a@b",
		"a/b@syslog", ".x@syslog", "web@abcdefghijklmnopq", "%41@x",
	};

	for (size_t i = 0; i < NELEM(good); i++)
		assert_true(name_base_ok(good[i], strlen(good[i])));
	for (size_t i = 0; i < NELEM(bad); i++)
		if (name_base_ok(bad[i], strlen(bad[i])))
			fail_msg("accepted: %s", bad[i]);
}

static void expect_parse(const char *name, bool ok, const char *base,
			 enum name_kind kind, unsigned index)
{
	struct file_name fn;

	if (name_file_parse(name, &fn) != ok)
		fail_msg("%s: %s", name, ok ? "refused" : "accepted");
	if (!ok)
		return;
	assert_int_equal(fn.base_len, strlen(base));
	assert_memory_equal(name, base, fn.base_len);
	assert_int_equal(fn.kind, kind);
	assert_int_equal(fn.index, index);
}

/* The names of a base's files: only these are ever logwrite's. */
static void test_file_parse(void **state)
{
	expect_parse("web.log", true, "web", NAME_LIVE, 0);
	expect_parse("web.log.0", true, "web", NAME_ROTATED, 0);
	expect_parse("web.log.12.gz", true, "web", NAME_ROTATED_GZ, 12);
	expect_parse("web.log.0.gz.tmp", true, "web", NAME_GZ_TMP, 0);
	expect_parse("web@syslog.log.3", true, "web@syslog", NAME_ROTATED, 3);
	expect_parse("a.log.log", true, "a.log", NAME_LIVE, 0);
	expect_parse("a.log.1.log.2", true, "a.log.1", NAME_ROTATED, 2);
	expect_parse("%.log", true, "%", NAME_LIVE, 0);
	expect_parse("x.log.99999", true, "x", NAME_ROTATED, 99999);
	expect_parse(".log", false, NULL, 0, 0);
	expect_parse("web.log.", false, NULL, 0, 0);
	expect_parse("web.log.01", false, NULL, 0, 0);   /* never written */
	expect_parse("web.log.100000", false, NULL, 0, 0);
	expect_parse("web.log.1.tmp", false, NULL, 0, 0);
	expect_parse("web.log.1.gz.tmp", false, NULL, 0, 0);
	expect_parse("web.log.x", false, NULL, 0, 0);
	expect_parse("web.log.0.bz2", false, NULL, 0, 0);
	expect_parse(".hidden.log", false, NULL, 0, 0);  /* not an encoding */
	expect_parse("a b.log", false, NULL, 0, 0);
	expect_parse("web@Syslog.log", false, NULL, 0, 0);
	expect_parse("web.txt", false, NULL, 0, 0);
	expect_parse(".logwrite.state", false, NULL, 0, 0);
	expect_parse("", false, NULL, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_names_unchanged),
		cmocka_unit_test(test_unsafe_bytes),
		cmocka_unit_test(test_unsafe_variants_differ),
		cmocka_unit_test(test_exhaustive_short_names),
		cmocka_unit_test(test_decode_refuses_foreign_spellings),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_file_base_streams),
		cmocka_unit_test(test_file_base_long),
		cmocka_unit_test(test_base_ok),
		cmocka_unit_test(test_file_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
