/* Container registrations (ctrmsg): what memlogd takes and refuses, and
 * the containers file's lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ctrmsg.h"

static int parse(const char *buf, size_t len, struct ctr_msg *c,
		 const char **why)
{
	struct reg_msg m;

	reg_parse(buf, len, &m);
	return ctr_msg_parse(&m, c, why);
}

#define P(lit, c, why) parse(lit, sizeof(lit) - 1, c, why)

static void test_parse(void **state)
{
	struct ctr_msg c;
	const char *why;

	assert_int_equal(P("web\0container=abc\0pid=12\0start=99\0cgroup=/docker/abc"
			   "\0ns.pid=7\0ns.net=8", &c, &why), 0);
	assert_string_equal(c.name, "web");
	assert_string_equal(c.id, "abc");
	assert_int_equal(c.pid, 12);
	assert_int_equal(c.start_ticks, 99);
	assert_string_equal(c.cgroup, "/docker/abc");
	assert_int_equal(c.ns_pid, 7);
	assert_int_equal(c.ns_net, 8);
	/* An announcement: no pid yet. */
	assert_int_equal(P("web\0container=abc", &c, &why), 0);
	assert_int_equal(c.pid, 0);
	/* Refused, with a reason. */
	const struct { const char *buf; size_t len; } bad[] = {
#define B(lit) { lit, sizeof(lit) - 1 }
		B("\0container=abc"),                    /* no name */
		B("w\nb\0container=abc"),                /* control byte */
		B("web\0container=a/b"),                 /* id with '/' */
		B("web\0container=.."),
		B("web\0container="),
		B("web"),                                /* no id */
		B("web\0container=abc\0pid=12"),         /* pid alone */
		B("web\0container=abc\0pid=0\0start=1\0cgroup=/a"),
		B("web\0container=abc\0pid=-1\0start=1\0cgroup=/a"),
		B("web\0container=abc\0pid=1\0start=1\0cgroup=/"),
		B("web\0container=abc\0pid=1\0start=1\0cgroup=a"),
		B("web\0container=abc\0pid=1\0start=x\0cgroup=/a"),
		B("web\0container=abc\0pid=1\0start=1\0cgroup=/a\0ns.net=0"),
		B("web\0container=abc\0pid=99999999999\0start=1\0cgroup=/a"),
#undef B
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (parse(bad[i].buf, bad[i].len, &c, &why) != -EINVAL)
			fail_msg("bad case %zu taken", i);
		assert_non_null(why);
	}
}

static void test_roundtrip(void **state)
{
	struct ctr_msg c = { .name = "default/web/nginx", .id = "4485837dd712",
			     .pid = 4242, .start_ticks = 123456,
			     .cgroup = "/kubepods/pod1/4485837dd712",
			     .ns_pid = 4026532383, .ns_net = 4026532384,
			     .uid = 0, .gone = true }, d;
	char buf[4096];
	const char *why;
	struct reg_msg m;

	int n = ctr_msg_build(buf, sizeof(buf), &c);
	assert_true(n > 0);
	reg_parse(buf, (size_t)n, &m);
	assert_int_equal(ctr_msg_parse(&m, &d, &why), 0);
	assert_string_equal(d.name, c.name);
	assert_string_equal(d.cgroup, c.cgroup);
	assert_int_equal(d.ns_net, c.ns_net);
	n = ctr_line_format(buf, sizeof(buf), &c);
	assert_true(n > 0 && buf[n - 1] == '\n');
	assert_int_equal(ctr_line_parse(buf, (size_t)n, &d), 0);
	assert_string_equal(d.id, c.id);
	assert_true(d.gone);
	assert_int_equal(d.start_ticks, 123456);
	assert_int_equal(ctr_line_parse("a\tb\t1\t2\t-\t0\t0\t0\t0\n", strlen("a\tb\t1\t2\t-\t0\t0\t0\t0\n"), &d),
			 -EINVAL); /* a pid without a cgroup */
	assert_int_equal(ctr_line_parse("a\tb\t0\t0\t-\t0\t0\t0\t2\n", strlen("a\tb\t0\t0\t-\t0\t0\t0\t2\n"), &d),
			 -EINVAL);
	assert_int_equal(ctr_line_parse("a\tb\t0\t0\t-\t0\t0\t0\t0\n", strlen("a\tb\t0\t0\t-\t0\t0\t0\t0\n"), &d), 0);
	assert_int_equal(ctr_msg_build(buf, 10, &c), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
