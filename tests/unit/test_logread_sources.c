/* logread --sources' rendering (src/logread/sources.c): -o cat's contract
 * (each name once, in order, nothing else), the JSON objects, the table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sources.h"

static const struct source_row rows[] = {
	{ .name = "memlogd", .stream = "none", .lines = 1, .bytes = 9 },
	{ .name = "web.out", .stream = "stdout", .has_pid = true, .pid = 42,
	  .uid = 0, .lines = 2, .bytes = 22, .fds = 1,
	  .first_ns = 1796292000000000001ull, .last_ns = 1796292001500000000ull },
	{ .name = "web", .stream = "stderr", .has_pid = true, .pid = 42,
	  .lines = 1, .bytes = 3, .dropped = 7, .partial = 2 },
	{ .name = "web.out", .stream = "stdout", .lines = 0 }, /* a repeat */
	{ .name = "a b\"c", .stream = "stderr", .fds = 2 },
};

static char *render(enum out_format f)
{
	size_t len;
	char *s = sources_render(rows, sizeof(rows) / sizeof(rows[0]), f,
				 false, &len);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	return s;
}

static void test_cat(void **state)
{
	char *s = render(OUT_CAT);
	assert_string_equal(s, "memlogd\nweb.out\nweb\na b\"c\n");
	free(s);
	size_t len;
	s = sources_render(rows, 0, OUT_CAT, false, &len);
	assert_string_equal(s, "");
	free(s);
	(void)state;
}

static void test_json(void **state)
{
	char *s = render(OUT_JSON);
	assert_non_null(strstr(s,
		"{\"name\":\"web.out\",\"stream\":\"stdout\",\"pid\":42,\"uid\":0,"
		"\"lines\":2,\"bytes\":22,\"dropped\":0,\"partial\":0,"
		"\"first\":\"2026-12-03T10:00:00.000000001Z\","
		"\"last\":\"2026-12-03T10:00:01.5Z\",\"open\":true}\n"));
	assert_non_null(strstr(s,
		"{\"name\":\"web\",\"stream\":\"stderr\",\"pid\":42,\"uid\":0,"
		"\"lines\":1,\"bytes\":3,\"dropped\":7,\"partial\":2,"
		"\"open\":false}\n"));
	/* The daemon's own source is open while it runs. */
	assert_non_null(strstr(s, "{\"name\":\"memlogd\",\"stream\":\"none\","
			       "\"lines\":1,\"bytes\":9,\"dropped\":0,"
			       "\"partial\":0,\"open\":true}\n"));
	assert_non_null(strstr(s, "\"name\":\"a b\\\"c\""));
	free(s);
	(void)state;
}

static void test_table(void **state)
{
	char *s = render(OUT_LEGACY);
	assert_memory_equal(s, "NAME    STREAM     PID ", 23);
	assert_non_null(strstr(s, "\nweb.out stdout      42      0         2 "
			       "        22       0       0 2026-12-03T10:00:00Z "
			       "2026-12-03T10:00:01Z open\n"));
	assert_non_null(strstr(s, "\nweb     stderr      42      0         1 "
			       "         3       7       2 -                    "
			       "-                    ended\n"));
	free(s);
	(void)state;
}

/* memlog-runc's names: NAME (stderr) and NAME.out (stdout), registered by
 * root; nothing else takes a container's name. */
static void test_containers(void **state)
{
	struct source_row r[] = {
		{ .name = "web.out", .stream = "stdout", .has_pid = true },
		{ .name = "web", .stream = "stderr", .has_pid = true },
		{ .name = "web", .stream = "stdout", .has_pid = true },
		{ .name = "web.out", .stream = "stderr", .has_pid = true },
		{ .name = "web", .stream = "stderr", .has_pid = true, .uid = 1000 },
		{ .name = "web", .stream = "syslog" },
		{ .name = "db", .stream = "stderr", .has_pid = true },
		{ .name = ".out", .stream = "stdout", .has_pid = true },
	};
	const char *const names[] = { "web", "x" };
	const size_t n = sizeof(r) / sizeof(r[0]);
	(void)state;

	sources_attach_containers(r, n, names, 2);
	assert_string_equal(r[0].container, "web");
	assert_string_equal(r[1].container, "web");
	for (size_t i = 2; i < n; i++)
		if (r[i].container)
			fail_msg("row %zu (%s, %s) has container %s", i,
				 r[i].name, r[i].stream, r[i].container);
	size_t len;
	char *s = sources_render(r, 2, OUT_JSON, false, &len);
	assert_non_null(strstr(s, "\"uid\":0,\"container\":\"web\","));
	free(s);
	s = sources_render(r, n, OUT_LEGACY, false, &len);
	assert_non_null(strstr(s, "STATE CONTAINER\n"));
	assert_non_null(strstr(s, "ended web\n"));
	assert_non_null(strstr(s, "ended -\n"));
	free(s);
	/* Without containers the table is as before: no column. */
	s = render(OUT_LEGACY);
	assert_null(strstr(s, "CONTAINER"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cat),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_containers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
