/* logread's request (src/logread/request.c): what is sent first, and what
 * is sent to go on after a lost connection (-f, -F). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "regmsg.h"
#include "request.h"

static const char cur[] = "m1-0123456789abcdef-000000000000002a";

/* The bytes request_build() makes of r, as a string. */
static const char *built(const struct request *r)
{
	static char buf[REQUEST_MAX + 1];
	int n = request_build(r, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void test_first(void **state)
{
	static const char *const globs[] = { "web*" };
	struct request r = { .mode = QUERY_DUMP_FOLLOW, .v2 = true,
			     .has_last = true, .last = 5, .globs = globs,
			     .nglobs = 1 };
	(void)state;

	assert_string_equal(built(&r), "dump-follow last=5 source=web*\n");
	r = (struct request){ .mode = QUERY_DUMP_FOLLOW };
	assert_memory_equal(built(&r), "\x02", 2);
	/* memlog's binary records, asked last; kept when resuming. */
	r = (struct request){ .mode = QUERY_DUMP, .v2 = true, .binary = true,
			      .has_last = true, .last = 1 };
	assert_string_equal(built(&r), "dump last=1 format=binary\n");
	struct request again;
	request_resume(&r, cur, &again);
	assert_string_equal(built(&again), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a format=binary\n");
	/* Not with LinuxKit's byte, nor with stats. */
	char buf[64];
	r = (struct request){ .mode = QUERY_DUMP, .binary = true };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
	r = (struct request){ .mode = QUERY_STATS, .v2 = true, .binary = true };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
}

/* The selection keys, as query_parse() reads them; kept on resuming. */
static void test_selection(void **state)
{
	struct request r = { .mode = QUERY_FOLLOW, .v2 = true,
			     .has_since = true, .since_ns = 5,
			     .has_until = true, .until_ns = 7,
			     .stream_mask = (1u << STREAM_STDOUT) |
					    (1u << STREAM_KERNEL),
			     .grep = "fail(ed)? now%", .grep_icase = true };
	struct query_req q;
	const char *err;
	char buf[128];
	(void)state;

	assert_string_equal(built(&r), "follow since=5 until=7 stream=stdout,"
			    "kernel igrep=fail(ed)?%20now%25\n");
	const char *line = built(&r);
	assert_int_equal(query_parse(line, strlen(line) - 1, &q, &err), 0);
	assert_string_equal(q.grep, "fail(ed)? now%");
	assert_true(q.grep_icase && q.since_ns == 5 && q.until_ns == 7);
	assert_int_equal(q.stream_mask, r.stream_mask);
	struct request again;
	request_resume(&r, cur, &again);
	assert_string_equal(built(&again), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a since=5 until=7 stream=stdout,"
			    "kernel igrep=fail(ed)?%20now%25\n");
	r = (struct request){ .mode = QUERY_DUMP, .v2 = true, .has_until = true,
			      .grep = "X" };
	assert_string_equal(built(&r), "dump until=0 grep=X\n");
	/* Not expressible: refused before anything is sent. */
	r = (struct request){ .mode = QUERY_DUMP, .v2 = true, .has_since = true,
			      .since_ns = 2, .has_until = true, .until_ns = 1 };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
	r = (struct request){ .mode = QUERY_DUMP, .v2 = true, .stream_mask = 1 };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
	r = (struct request){ .mode = QUERY_DUMP, .stream_mask = 2 };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
	r = (struct request){ .mode = QUERY_STATS, .v2 = true, .grep = "x" };
	assert_int_equal(request_build(&r, buf, sizeof(buf)), -EINVAL);
}

/* memlog's protocol: after the last entry printed, with the filters, and
 * without last=N, which would start elsewhere. */
static void test_resume_after_cursor(void **state)
{
	static const char *const globs[] = { "web*", "db" };
	struct request first = { .mode = QUERY_DUMP_FOLLOW, .v2 = true,
				 .has_last = true, .last = 5, .globs = globs,
				 .nglobs = 2, .has_prio = true, .prio_min = 0,
				 .prio_max = 3 };
	struct request r;
	(void)state;

	request_resume(&first, cur, &r);
	assert_string_equal(built(&r), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a priority=0..3 source=web* "
			    "source=db\n");
	/* -f: follow becomes dump-follow after the cursor. */
	first = (struct request){ .mode = QUERY_FOLLOW, .v2 = true };
	request_resume(&first, cur, &r);
	assert_string_equal(built(&r), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a\n");
	/* A start cursor given first is replaced by the newer one. */
	first = (struct request){ .mode = QUERY_DUMP_FOLLOW, .v2 = true,
				  .after = "m1-0123456789abcdef-0000000000000001" };
	request_resume(&first, cur, &r);
	assert_string_equal(built(&r), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a\n");
}

/* Nothing printed yet: the first request again. */
static void test_resume_without_cursor(void **state)
{
	struct request first = { .mode = QUERY_FOLLOW, .v2 = true,
				 .fac_mask = 1u << 3 };
	struct request r;
	(void)state;

	request_resume(&first, NULL, &r);
	assert_string_equal(built(&r), "follow facility=3\n");
	request_resume(&first, "", &r);
	assert_string_equal(built(&r), "follow facility=3\n");
	first = (struct request){ .mode = QUERY_DUMP_FOLLOW, .v2 = true,
				  .has_last = true, .last = 7 };
	request_resume(&first, NULL, &r);
	assert_string_equal(built(&r), "dump-follow last=7\n");
}

/* LinuxKit's protocol has no cursor: follow, never dump again. */
static void test_resume_legacy(void **state)
{
	struct request first = { .mode = QUERY_DUMP_FOLLOW };
	struct request r;
	(void)state;

	request_resume(&first, NULL, &r);
	assert_memory_equal(built(&r), "\x01", 2);
	first.mode = QUERY_FOLLOW;
	request_resume(&first, NULL, &r);
	assert_memory_equal(built(&r), "\x01", 2);
}

/* LinuxKit's byte with memlog's request for binary records behind it;
 * resumed as LinuxKit's (follow) until a binary answer gave a cursor,
 * then after it as memlog's request. */
static void test_upgrade(void **state)
{
	struct request first = { .mode = QUERY_DUMP, .upgrade = true };
	struct request r;
	char small[21];
	(void)state;

	assert_memory_equal(built(&first), "\0memlog format=binary\n", 23);
	first.mode = QUERY_DUMP_FOLLOW;
	assert_memory_equal(built(&first), "\2memlog format=binary\n", 23);
	assert_int_equal(request_build(&first, small, sizeof(small)), -ENOSPC);
	request_resume(&first, NULL, &r);
	assert_memory_equal(built(&r), "\1memlog format=binary\n", 23);
	request_resume(&first, cur, &r);
	assert_false(r.upgrade);
	assert_string_equal(built(&r), "dump-follow after=m1-0123456789abcdef-"
			    "000000000000002a format=binary\n");
	/* Stats has no such form. */
	first.mode = QUERY_STATS;
	assert_int_equal(request_build(&first, small, sizeof(small)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_resume_after_cursor),
		cmocka_unit_test(test_resume_without_cursor),
		cmocka_unit_test(test_resume_legacy),
		cmocka_unit_test(test_upgrade),
	};

	return cmocka_run_group_tests_name("logread_request", tests, NULL, NULL);
}
