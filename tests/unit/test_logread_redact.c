/* logread --redact (src/logread/redact.c): what a message becomes, in one
 * pass over the original, and the patterns that are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "redact.h"

/* The result of pats on msg (len bytes), as a string; *n the count. */
static const char *apply(const char *const *pats, unsigned np,
			 const char *msg, size_t len, int *n)
{
	static char out[4096];
	struct redact r;
	char err[256];
	const char *o;
	size_t ol;

	assert_int_equal(redact_init(&r, pats, np, err, sizeof(err)), 0);
	*n = redact_apply(&r, msg, len, &o, &ol);
	assert_true(*n >= 0);
	assert_true(ol < sizeof(out));
	assert_true(ol <= len * REDACT_GROWTH);
	if (*n == 0)
		assert_ptr_equal(o, msg); /* untouched: no copy */
	memcpy(out, o, ol);
	out[ol] = '\0';
	/* NULs shown as '|' so the whole result compares as a string. */
	for (size_t i = 0; i < ol; i++)
		if (!out[i])
			out[i] = '|';
	redact_free(&r);
	return out;
}

#define APPLY(pats, msg, n) \
	apply(pats, sizeof(pats) / sizeof(pats[0]), msg, sizeof(msg) - 1, n)

static void test_replaces_every_match(void **state)
{
	(void)state;
	static const char *const p[] = { "token=[A-Za-z0-9]+" };
	int n;

	assert_string_equal(APPLY(p, "a token=abc b token=XYZ9 c", &n),
			    "a [redacted] b [redacted] c");
	assert_int_equal(n, 2);
	assert_string_equal(APPLY(p, "nothing here", &n), "nothing here");
	assert_int_equal(n, 0);
	assert_string_equal(APPLY(p, "token=", &n), "token=");
	assert_int_equal(n, 0);
}

/* The leftmost match of any pattern wins, the longest of those that
 * start there; the replacement is never matched again. */
static void test_one_pass_leftmost_longest(void **state)
{
	(void)state;
	static const char *const p[] = { "secret[0-9]", "pass=[^ ]+",
					 "red", "s" };
	int n;

	assert_string_equal(APPLY(p, "pass=secret1 x", &n), "[redacted] x");
	assert_int_equal(n, 1);
	assert_string_equal(APPLY(p, "secret1 pass=a", &n),
			    "[redacted] [redacted]");
	assert_int_equal(n, 2);
	/* "s" and "red" do not touch the "[redacted]" written. */
	assert_string_equal(APPLY(p, "xs", &n), "x[redacted]");
}

/* ^ anchors at the start of the message only, not after a match. */
static void test_anchor_only_at_start(void **state)
{
	(void)state;
	static const char *const p[] = { "^a" };
	int n;

	assert_string_equal(APPLY(p, "aaa", &n), "[redacted]aa");
	assert_int_equal(n, 1);
}

/* A NUL does not end the message: the parts after it are searched too,
 * and the NUL is kept. */
static void test_nul_inside(void **state)
{
	(void)state;
	static const char *const p[] = { "key=[0-9]+", "^b" };
	int n;

	assert_string_equal(APPLY(p, "a key=1\0b key=22\0", &n),
			    "a [redacted]|[redacted] [redacted]|");
	assert_int_equal(n, 3);
}

/* A pattern that may match the empty string inside a message (glibc's
 * word start "\<"), though not in an empty one, redacts only what it
 * matches with a byte at least. */
static void test_empty_match_inside(void **state)
{
	(void)state;
	static const char *const p[] = { "x|\\<" };
	int n;

	assert_string_equal(APPLY(p, "a xb yx", &n),
			    "a [redacted]b y[redacted]");
	assert_int_equal(n, 2);
}

static void test_refused(void **state)
{
	(void)state;
	struct redact r;
	char err[256];
	const char *bad[] = { "(" };
	const char *empty[] = { "a*" };
	const char *many[REDACT_MAX + 1];

	assert_int_equal(redact_init(&r, bad, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "-redact ("));
	assert_int_equal(redact_init(&r, empty, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "matches the empty string"));
	for (unsigned i = 0; i <= REDACT_MAX; i++)
		many[i] = "x";
	assert_int_equal(redact_init(&r, many, REDACT_MAX + 1, err,
				     sizeof(err)), -EINVAL);
	assert_int_equal(redact_init(&r, many, REDACT_MAX, err, sizeof(err)),
			 0);
	redact_free(&r);
}

/* No pattern: the message as it is. */
static void test_none(void **state)
{
	(void)state;
	struct redact r;
	char err[64];
	const char *o;
	size_t ol;

	assert_int_equal(redact_init(&r, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(redact_apply(&r, "abc", 3, &o, &ol), 0);
	assert_string_equal(o, "abc");
	assert_int_equal(ol, 3);
	redact_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replaces_every_match),
		cmocka_unit_test(test_one_pass_leftmost_longest),
		cmocka_unit_test(test_anchor_only_at_start),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_empty_match_inside),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
