/* binstream: a client's reading of the binary stream: HELLO first, names
 * resolved through the SOURCE definitions (a redefinition replaces the
 * name), cursors from the HELLO's instance, records out of place
 * refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "binstream.h"

/* Takes every record of buf; the ENTRY items' names, in order, joined by
 * ','. Returns the last result (1 when all were taken). */
static int take_all(struct binstream *s, const char *buf, size_t len,
		    char *names, size_t cap)
{
	size_t at = 0, used;
	struct binstream_item it;
	int k = 1;

	names[0] = '\0';
	while (at < len && (k = binstream_next(s, buf + at, len - at, &it,
					       &used)) == 1) {
		if (it.type == BINREC_ENTRY) {
			size_t n = strlen(names);
			snprintf(names + n, cap - n, "%s%.*s", n ? "," : "",
				 (int)it.source_len, it.source);
		}
		at += used;
	}
	return k;
}

static void test_names_and_redefinition(void **state)
{
	(void)state;
	char buf[1024], names[256], cur[CURSOR_LEN + 1];
	size_t o = 0;
	struct binstream s;

	o += binrec_hello(buf + o, 0xabcdef0123456789ull);
	o += binrec_source(buf + o, 3, 1, "web.out", 7);
	o += binrec_entry(buf + o, 10, 1, 3, 0, -1, -1, "a", 1, NULL, 0);
	o += binrec_source(buf + o, 70000, 2, "", 0);
	o += binrec_entry(buf + o, 11, 1, 70000, 0, -1, -1, "b", 1, NULL, 0);
	o += binrec_source(buf + o, 3, 4, "sys", 3);
	o += binrec_entry(buf + o, 12, 1, 3, 0, 3, 1, "c", 1, NULL, 0);
	o += binrec_marker(buf + o, 5, 2, 13, 14, "lagged", "x");
	binstream_init(&s);
	assert_int_equal(take_all(&s, buf, o, names, sizeof(names)), 1);
	assert_string_equal(names, "web.out,,sys");
	binstream_cursor(&s, 12, cur);
	assert_string_equal(cur, "m1-abcdef0123456789-000000000000000c");

	/* The stream of sid 3 is the one of its last definition. */
	struct binstream_item it;
	size_t used;
	char e[64];
	size_t n = binrec_entry(e, 13, 1, 3, 0, -1, -1, "d", 1, NULL, 0);
	assert_int_equal(binstream_next(&s, e, n, &it, &used), 1);
	assert_int_equal(it.stream, 4);
	assert_int_equal(used, n);
	/* A record cut short needs more bytes. */
	assert_int_equal(binstream_next(&s, e, n - 1, &it, &used), 0);

	/* A new connection forgets everything. */
	binstream_reset(&s);
	assert_int_equal(binstream_next(&s, e, n, &it, &used), -EPROTO);
	binstream_free(&s);
}

static void test_out_of_place(void **state)
{
	(void)state;
	char buf[256], names[64];
	size_t o;
	struct binstream s;

	/* A record before HELLO. */
	binstream_init(&s);
	o = binrec_source(buf, 1, 1, "x", 1);
	assert_int_equal(take_all(&s, buf, o, names, sizeof(names)), -EPROTO);
	binstream_free(&s);

	/* An entry of an undefined sid. */
	binstream_init(&s);
	o = binrec_hello(buf, 1);
	o += binrec_source(buf + o, 1, 1, "x", 1);
	o += binrec_entry(buf + o, 1, 1, 2, 0, -1, -1, "", 0, NULL, 0);
	assert_int_equal(take_all(&s, buf, o, names, sizeof(names)), -EPROTO);
	assert_non_null(s.why);
	binstream_free(&s);

	/* Two HELLOs; a version not known. */
	binstream_init(&s);
	o = binrec_hello(buf, 1);
	o += binrec_hello(buf + o, 1);
	assert_int_equal(take_all(&s, buf, o, names, sizeof(names)), -EPROTO);
	binstream_free(&s);
	binstream_init(&s);
	o = binrec_hello(buf, 1);
	buf[5] = 2; /* version 2 */
	assert_int_equal(take_all(&s, buf, o, names, sizeof(names)), -EPROTO);
	binstream_free(&s);

	/* An error may come first (a refusal after the request). */
	binstream_init(&s);
	o = binrec_error(buf, "no", 2);
	struct binstream_item it;
	size_t used;
	assert_int_equal(binstream_next(&s, buf, o, &it, &used), 1);
	assert_int_equal(it.type, BINREC_ERROR);
	/* Not a record at all. */
	memcpy(buf, "{\"error\":\"x\"}\n", 14);
	assert_int_equal(binstream_next(&s, buf, 14, &it, &used), -EBADMSG);
	binstream_free(&s);
}

/* Many sids: the table grows and keeps every name. */
static void test_many_sources(void **state)
{
	(void)state;
	static char buf[1 << 20];
	char name[16];
	size_t o = binrec_hello(buf, 7);
	struct binstream s;

	for (uint32_t i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "s%u", i * 7919u);
		o += binrec_source(buf + o, i * 7919u, 1, name, (size_t)n);
	}
	for (uint32_t i = 0; i < 5000; i++)
		o += binrec_entry(buf + o, i + 1, 1, i * 7919u, 0, -1, -1, "",
				  0, NULL, 0);
	binstream_init(&s);
	size_t at = 0, used;
	uint32_t k = 0;
	struct binstream_item it;
	while (at < o) {
		assert_int_equal(binstream_next(&s, buf + at, o - at, &it, &used), 1);
		if (it.type == BINREC_ENTRY) {
			snprintf(name, sizeof(name), "s%u", k++ * 7919u);
			assert_string_equal(it.source, name);
		}
		at += used;
	}
	assert_int_equal(k, 5000);
	assert_int_equal(s.n, 5000);
	binstream_free(&s);
}

static void test_ring_entry(void **state)
{
	(void)state;
	char buf[128];
	struct binrec r;
	struct ring_entry e;
	size_t used, n = binrec_entry(buf, 9, 8, 1, BINREC_PARTIAL | BINREC_NOTICE |
				      BINREC_NOEOL, 2, 3, "m", 1, "k=v", 3);

	assert_int_equal(binrec_next(buf, n, &r, &used), 1);
	binstream_ring_entry(&r, &e);
	assert_true(e.seq == 9 && e.time_ns == 8);
	assert_int_equal(e.flags, RING_F_PARTIAL | RING_F_MARKER | RING_F_NOEOL |
			 RING_F_ATTRS);
	assert_int_equal(e.priority, 2);
	assert_int_equal(e.facility, 3);
	assert_int_equal(e.len, 1);
	assert_int_equal(e.attrs_len, 3);
	assert_memory_equal(e.attrs, "k=v", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_redefinition),
		cmocka_unit_test(test_out_of_place),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_ring_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
