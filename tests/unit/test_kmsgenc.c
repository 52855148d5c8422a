/* /dev/kmsg records made of memlogd's kernel entries (src/lib/kmsgenc.c),
 * each read back with the project's /dev/kmsg parser (kmsg.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kmsg.h"
#include "kmsgenc.h"

static char out[KMSGENC_MAX];

#define LIT(s) s, sizeof(s) - 1

static void test_plain_record(void **state)
{
	size_t n = kmsgenc_record(out, 42, 1234567, 3, 0, LIT("hello"), NULL, 0);

	assert_int_equal(n, strlen("3,42,1234567,-;hello\n"));
	assert_memory_equal(out, "3,42,1234567,-;hello\n", n);
}

static void test_attributes_as_dictionary(void **state)
{
	static const char attrs[] = "event=segfault\0container=a\0pid=7";
	size_t n = kmsgenc_record(out, 5, 9, 6, 0, LIT("x[7]: segfault"),
				  attrs, sizeof(attrs) - 1);
	static const char want[] = "6,5,9,-;x[7]: segfault\n"
				   " event=segfault\n container=a\n pid=7\n";

	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);

	struct kmsg_record r;
	size_t used, pos = 0, kvl;
	const char *kv;
	assert_int_equal(kmsg_parse(out, n, &r, &used), 0);
	assert_int_equal(used, n);
	assert_int_equal(r.seq, 5);
	assert_true(kmsg_dict_next(&r, &pos, &kv, &kvl));
	assert_memory_equal(kv, "event=segfault", kvl);
}

/* A newline or NUL in the text would end or cut the record; the
 * kernel's own escapes (already in memlogd's text) are left as they are. */
static void test_control_bytes_escaped(void **state)
{
	static const char msg[] = "a\nb\0c\\x41\x7f";
	size_t n = kmsgenc_record(out, 1, 0, 6, 0, msg, sizeof(msg) - 1,
				  "k=v\nw", 5);
	static const char want[] = "6,1,0,-;a\\x0ab\\x00c\\x41\\x7f\n"
				   " k=v\\x0aw\n";

	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
}

/* Entries without priority or facility, or out of range: info, kernel. */
static void test_priority_defaults(void **state)
{
	size_t n = kmsgenc_record(out, 1, 2, -1, -1, LIT("m"), NULL, 0);

	assert_memory_equal(out, "6,1,2,-;m\n", n);
	n = kmsgenc_record(out, 1, 2, 9, 40, LIT("m"), NULL, 0);
	assert_memory_equal(out, "6,1,2,-;m\n", n);
	n = kmsgenc_record(out, 1, 2, 2, 3, LIT("m"), NULL, 0);
	assert_memory_equal(out, "26,1,2,-;m\n", n);
}

/* Attributes without a key or '=' are left out. */
static void test_bad_attributes_left_out(void **state)
{
	static const char attrs[] = "noequals\0=v\0\0ok=1";
	size_t n = kmsgenc_record(out, 1, 2, 6, 0, LIT("m"), attrs,
				  sizeof(attrs) - 1);

	assert_int_equal(n, strlen("6,1,2,-;m\n ok=1\n"));
	assert_memory_equal(out, "6,1,2,-;m\n ok=1\n", n);
}

/* A message longer than a record may be is cut, never past
 * KMSGENC_MAX, never inside an escape, and still ends in a newline;
 * an attribute that no longer fits is left out whole. */
static void test_long_message_cut(void **state)
{
	static char msg[3 * KMSGENC_MAX];
	memset(msg, '\n', sizeof(msg));
	size_t n = kmsgenc_record(out, 1, 2, 6, 0, msg, sizeof(msg), "k=v", 3);

	assert_true(n <= KMSGENC_MAX);
	assert_true(n > KMSGENC_MAX - 8);
	assert_int_equal(out[n - 1], '\n');
	assert_null(memchr(out, '\n', n - 1));
	/* The escapes are whole: the text is "\x0a" repeated. */
	const char *semi = memchr(out, ';', n);
	assert_int_equal((size_t)(out + n - 1 - (semi + 1)) % 4, 0);
	assert_null(memmem(out, n, "k=v", 3));

	memset(msg, 'a', sizeof(msg));
	n = kmsgenc_record(out, 1, 2, 6, 0, msg, sizeof(msg), NULL, 0);
	assert_int_equal(n, KMSGENC_MAX);
	assert_int_equal(out[n - 1], '\n');
}

static void test_usec(void **state)
{
	assert_int_equal(kmsgenc_usec(5000000000ull, 2000000000ull), 3000000);
	assert_int_equal(kmsgenc_usec(1, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_record),
		cmocka_unit_test(test_attributes_as_dictionary),
		cmocka_unit_test(test_control_bytes_escaped),
		cmocka_unit_test(test_priority_defaults),
		cmocka_unit_test(test_bad_attributes_left_out),
		cmocka_unit_test(test_long_message_cut),
		cmocka_unit_test(test_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
