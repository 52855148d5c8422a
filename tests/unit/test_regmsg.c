#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "regmsg.h"

#define LIT(s) s, sizeof(s) - 1

static void assert_name(const struct reg_msg *m, const char *want)
{
	assert_int_equal(m->name_len, strlen(want));
	assert_memory_equal(m->name, want, m->name_len);
}

static void assert_attr(const struct reg_attr *a, const char *k, const char *v)
{
	assert_non_null(a);
	assert_int_equal(a->key_len, strlen(k));
	assert_memory_equal(a->key, k, a->key_len);
	assert_int_equal(a->val_len, strlen(v));
	assert_memory_equal(a->val, v, a->val_len);
}

static void test_stream_name(void **state)
{
	assert_string_equal(stream_name(STREAM_STDOUT), "stdout");
	assert_string_equal(stream_name(STREAM_STDERR), "stderr");
	assert_string_equal(stream_name(STREAM_NONE), "none");
	/* The header says "" and the code says "unknown": pin neither, only
	 * that it is not mistaken for a real stream. */
	const char *u = stream_name(STREAM_UNKNOWN);
	assert_non_null(u);
	assert_string_not_equal(u, "stdout");
	assert_string_not_equal(u, "stderr");
	assert_string_not_equal(u, "none");
	assert_string_equal(stream_name((enum stream)99), u);
}

static void test_linuxkit_names(void **state)
{
	struct reg_msg m;

	reg_parse(LIT("onboot.001-dhcpcd.out"), &m);
	assert_name(&m, "onboot.001-dhcpcd.out");
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_false(m.stream_given);
	assert_false(m.name_truncated);
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(m.bad_attrs, 0);

	reg_parse(LIT("onboot.001-dhcpcd"), &m);
	assert_name(&m, "onboot.001-dhcpcd");
	assert_int_equal(m.stream, STREAM_STDERR);

	reg_parse(LIT("sshd"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	reg_parse(LIT("sshd.out"), &m);
	assert_int_equal(m.stream, STREAM_STDOUT);
	reg_parse(LIT("shutdown.x.out"), &m);
	assert_int_equal(m.stream, STREAM_STDOUT);

	/* ".out" must be the very end, and exactly that. */
	reg_parse(LIT(".out"), &m);
	assert_int_equal(m.stream, STREAM_STDOUT);
	reg_parse(LIT("out"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	reg_parse(LIT("x.outx"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	reg_parse(LIT("x.OUT"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	reg_parse(LIT("xout"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);

	/* Any bytes are a name, as in LinuxKit. */
	reg_parse(LIT("we ird/na;me\n\xff"), &m);
	assert_name(&m, "we ird/na;me\n\xff");
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(m.bad_attrs, 0);
}

static void test_empty_name(void **state)
{
	struct reg_msg m;
	const char buf[1] = { 'x' };

	reg_parse(buf, 0, &m);
	assert_int_equal(m.name_len, 0);
	assert_ptr_equal(m.name, buf);
	assert_false(m.name_truncated);
	assert_int_equal(m.stream, STREAM_STDERR);
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(m.bad_attrs, 0);

	/* Empty name with attributes. */
	reg_parse(LIT("\0stream=stdout\0k=v"), &m);
	assert_int_equal(m.name_len, 0);
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_true(m.stream_given);
	assert_int_equal(m.nattrs, 1);
	assert_attr(&m.attrs[0], "k", "v");
}

static void test_long_name_truncated(void **state)
{
	char buf[600 + 32];
	struct reg_msg m;

	memset(buf, 'n', 600);
	reg_parse(buf, 600, &m);
	assert_int_equal(m.name_len, REG_NAME_MAX);
	assert_int_equal(m.name_len, 512);
	assert_ptr_equal(m.name, buf);
	assert_true(m.name_truncated);
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(m.bad_attrs, 0);

	/* Exactly 512 is not truncated, 513 is. */
	reg_parse(buf, 512, &m);
	assert_int_equal(m.name_len, 512);
	assert_false(m.name_truncated);
	reg_parse(buf, 513, &m);
	assert_int_equal(m.name_len, 512);
	assert_true(m.name_truncated);

	/* Truncation does not eat the attributes that follow the name. */
	memcpy(buf + 600, "\0stream=stdout\0a=b", 18);
	reg_parse(buf, 618, &m);
	assert_int_equal(m.name_len, 512);
	assert_true(m.name_truncated);
	assert_true(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_int_equal(m.nattrs, 1);
	assert_attr(&m.attrs[0], "a", "b");
}

static void test_stream_attr(void **state)
{
	struct reg_msg m;

	reg_parse(LIT("app\0stream=stdout"), &m);
	assert_name(&m, "app");
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_true(m.stream_given);
	assert_int_equal(m.nattrs, 0); /* stream= is consumed, not kept */
	assert_int_equal(m.bad_attrs, 0);
	assert_null(reg_find(&m, "stream"));

	/* The attribute overrides the naming convention both ways. */
	reg_parse(LIT("app.out\0stream=stderr"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	assert_true(m.stream_given);
	reg_parse(LIT("app\0stream=stdout"), &m);
	assert_int_equal(m.stream, STREAM_STDOUT);

	/* A later valid value wins. */
	reg_parse(LIT("app\0stream=stdout\0stream=stderr"), &m);
	assert_int_equal(m.stream, STREAM_STDERR);
	assert_int_equal(m.bad_attrs, 0);
}

static void test_bad_stream_value(void **state)
{
	struct reg_msg m;

	reg_parse(LIT("app.out\0stream=bogus"), &m);
	assert_false(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDOUT); /* from the name */
	assert_int_equal(m.bad_attrs, 1);
	assert_int_equal(m.nattrs, 0);

	reg_parse(LIT("app\0stream="), &m);
	assert_false(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDERR);
	assert_int_equal(m.bad_attrs, 1);

	reg_parse(LIT("app\0stream=STDOUT"), &m);
	assert_false(m.stream_given);
	assert_int_equal(m.bad_attrs, 1);

	reg_parse(LIT("app\0stream=stdout \0stream=none"), &m);
	assert_false(m.stream_given);
	assert_int_equal(m.bad_attrs, 2);

	/* A bad value after a good one leaves the good one. */
	reg_parse(LIT("app\0stream=stdout\0stream=x"), &m);
	assert_true(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_int_equal(m.bad_attrs, 1);
}

static void test_malformed_attrs(void **state)
{
	struct reg_msg m;

	/* Missing '=', empty key. */
	reg_parse(LIT("app\0novalue\0=v\0k=v"), &m);
	assert_name(&m, "app");
	assert_int_equal(m.bad_attrs, 2);
	assert_int_equal(m.nattrs, 1);
	assert_attr(&m.attrs[0], "k", "v");

	/* Empty segments (trailing or doubled NULs) are harmless. */
	reg_parse(LIT("app\0\0k=v\0"), &m);
	assert_int_equal(m.bad_attrs, 0);
	assert_int_equal(m.nattrs, 1);
	reg_parse(LIT("app\0"), &m);
	assert_name(&m, "app");
	assert_int_equal(m.bad_attrs, 0);
	assert_int_equal(m.nattrs, 0);

	/* Empty value, '=' inside the value. */
	reg_parse(LIT("app\0empty=\0eq=a=b"), &m);
	assert_int_equal(m.bad_attrs, 0);
	assert_int_equal(m.nattrs, 2);
	assert_attr(&m.attrs[0], "empty", "");
	assert_attr(&m.attrs[1], "eq", "a=b");
	assert_attr(reg_find(&m, "eq"), "eq", "a=b");
	assert_null(reg_find(&m, "e"));
	assert_null(reg_find(&m, "eqx"));
}

static void test_too_many_attrs(void **state)
{
	char buf[REG_DGRAM_MAX];
	size_t n = 0;
	struct reg_msg m;

	memcpy(buf, "app", 3);
	n = 3;
	for (int i = 0; i < REG_ATTRS_MAX + 4; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%ck%d=v%d", 0, i, i);
	/* stream= is handled apart and does not count against the cap. */
	memcpy(buf + n, "\0stream=stdout", 14);
	n += 14;

	reg_parse(buf, n, &m);
	assert_name(&m, "app");
	assert_int_equal(m.nattrs, REG_ATTRS_MAX);
	assert_int_equal(m.bad_attrs, 4);
	assert_true(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDOUT);
	for (int i = 0; i < REG_ATTRS_MAX; i++) {
		char k[16], v[16];
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		assert_attr(&m.attrs[i], k, v);
		assert_attr(reg_find(&m, k), k, v);
	}
	assert_null(reg_find(&m, "k16"));
}

static void test_attrs_point_into_input(void **state)
{
	static const char buf[] = "n\0a=1\0bb=22";
	struct reg_msg m;

	reg_parse(buf, sizeof(buf) - 1, &m);
	assert_int_equal(m.nattrs, 2);
	assert_ptr_equal(m.attrs[0].key, buf + 2);
	assert_ptr_equal(m.attrs[0].val, buf + 4);
	assert_ptr_equal(m.attrs[1].key, buf + 6);
	assert_ptr_equal(m.attrs[1].val, buf + 9);
	assert_int_equal(m.attrs[1].val_len, 2);
}

static void test_tee_attr(void **state)
{
	struct reg_msg m;

	reg_parse(LIT("c.out\0tee=1"), &m);
	assert_name(&m, "c.out");
	assert_true(m.tee);
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_int_equal(m.nattrs, 0); /* the daemon's own, not kept */
	assert_int_equal(m.bad_attrs, 0);

	reg_parse(LIT("c\0stream=stdout\0tee=1"), &m);
	assert_true(m.tee);
	assert_int_equal(m.stream, STREAM_STDOUT);

	reg_parse(LIT("c\0tee=1\0ack=1"), &m);
	assert_true(m.tee);
	assert_true(m.ack);
	assert_int_equal(m.nattrs, 0);
	reg_parse(LIT("c\0ack=2"), &m);
	assert_false(m.ack);
	assert_int_equal(m.bad_attrs, 1);

	reg_parse(LIT("c\0tee=0"), &m);
	assert_false(m.tee);
	assert_int_equal(m.bad_attrs, 0);

	/* Anything else is malformed and not a tee. */
	const char *bad[] = { "c\0tee=yes", "c\0tee=", "c\0tee=11", "c\0tee=1 " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reg_parse(bad[i], 2 + strlen(bad[i] + 2), &m);
		assert_false(m.tee);
		assert_int_equal(m.bad_attrs, 1);
	}

	/* LinuxKit's senders never send a NUL: no tee. */
	reg_parse(LIT("tee=1"), &m);
	assert_false(m.tee);
	assert_name(&m, "tee=1");
}

static void test_build_round_trip(void **state)
{
	const struct reg_attr attrs[] = {
		{ LIT("stream"), LIT("stdout") },
		{ LIT("pid"), LIT("1234") },
		{ LIT("empty"), "", 0 },
		{ LIT("sp ace"), LIT("a=b c") },
	};
	char buf[REG_DGRAM_MAX];
	struct reg_msg m;

	int n = reg_build(buf, sizeof(buf), LIT("onboot.x"), attrs, 4);
	static const char want[] = "onboot.x\0stream=stdout\0pid=1234\0empty="
				   "\0sp ace=a=b c";
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);

	reg_parse(buf, (size_t)n, &m);
	assert_name(&m, "onboot.x");
	assert_true(m.stream_given);
	assert_int_equal(m.stream, STREAM_STDOUT);
	assert_int_equal(m.nattrs, 3);
	assert_int_equal(m.bad_attrs, 0);
	assert_attr(reg_find(&m, "pid"), "pid", "1234");
	assert_attr(reg_find(&m, "empty"), "empty", "");
	assert_attr(reg_find(&m, "sp ace"), "sp ace", "a=b c");

	/* No attributes: exactly the LinuxKit datagram. */
	n = reg_build(buf, sizeof(buf), LIT("svc.out"), NULL, 0);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "svc.out", 7);

	/* The empty name. */
	n = reg_build(buf, sizeof(buf), "", 0, NULL, 0);
	assert_int_equal(n, 0);
}

static void test_build_errors(void **state)
{
	char buf[64];
	const struct reg_attr ok = { LIT("k"), LIT("v") };
	const struct reg_attr nul_key = { "k\0x", 3, LIT("v") };
	const struct reg_attr eq_key = { LIT("k=x"), LIT("v") };
	const struct reg_attr empty_key = { "", 0, LIT("v") };
	const struct reg_attr nul_val = { LIT("k"), "v\0x", 3 };

	assert_int_equal(reg_build(buf, sizeof(buf), "a\0b", 3, NULL, 0), -EINVAL);
	assert_int_equal(reg_build(buf, sizeof(buf), LIT("a"), &nul_key, 1),
			 -EINVAL);
	assert_int_equal(reg_build(buf, sizeof(buf), LIT("a"), &eq_key, 1),
			 -EINVAL);
	assert_int_equal(reg_build(buf, sizeof(buf), LIT("a"), &empty_key, 1),
			 -EINVAL);
	assert_int_equal(reg_build(buf, sizeof(buf), LIT("a"), &nul_val, 1),
			 -EINVAL);

	/* Space: the name alone, then each attribute, must fit exactly. */
	assert_int_equal(reg_build(buf, 3, LIT("abcd"), NULL, 0), -ENOSPC);
	assert_int_equal(reg_build(buf, 4, LIT("abcd"), NULL, 0), 4);
	assert_int_equal(reg_build(buf, 0, "", 0, NULL, 0), 0);
	/* "abcd" "\0k=v" is 8 bytes. */
	assert_int_equal(reg_build(buf, 7, LIT("abcd"), &ok, 1), -ENOSPC);
	assert_int_equal(reg_build(buf, 8, LIT("abcd"), &ok, 1), 8);
	assert_memory_equal(buf, "abcd\0k=v", 8);
	const struct reg_attr two[] = { ok, ok };
	assert_int_equal(reg_build(buf, 11, LIT("abcd"), two, 2), -ENOSPC);
	assert_int_equal(reg_build(buf, 12, LIT("abcd"), two, 2), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_name),
		cmocka_unit_test(test_linuxkit_names),
		cmocka_unit_test(test_empty_name),
		cmocka_unit_test(test_long_name_truncated),
		cmocka_unit_test(test_stream_attr),
		cmocka_unit_test(test_bad_stream_value),
		cmocka_unit_test(test_malformed_attrs),
		cmocka_unit_test(test_too_many_attrs),
		cmocka_unit_test(test_attrs_point_into_input),
		cmocka_unit_test(test_tee_attr),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
