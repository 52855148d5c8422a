/* The notice memlog-runc gives memlogd about a container it does not
 * capture (notice.c): one line naming the container (name and id) and
 * the reason, safe for a log line whatever the name, id or reason hold,
 * cut to its buffer without splitting a UTF-8 character. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notice.h"

static void test_format(void **state)
{
	char line[NOTICE_LINE_MAX];
	size_t n;
	(void)state;

	n = notice_format(line, sizeof(line), "web", "4485837dd712ced8", NULL,
			  "the container has a terminal");
	assert_string_equal(line, "container web (id 4485837dd712ced8) not "
			    "captured: the container has a terminal\n");
	assert_int_equal(n, strlen(line));
	/* The name is the id, or there is none: the id alone. */
	notice_format(line, sizeof(line), "c1", "c1", NULL, "why");
	assert_string_equal(line, "container c1 not captured: why\n");
	notice_format(line, sizeof(line), "", "c1", NULL, "why");
	assert_string_equal(line, "container c1 not captured: why\n");
	notice_format(line, sizeof(line), NULL, "c1", NULL, "why");
	assert_string_equal(line, "container c1 not captured: why\n");
	/* One stream. */
	notice_format(line, sizeof(line), "web", "c1", "stderr",
		      "refused: too many sources");
	assert_string_equal(line, "container web (id c1): stderr not captured: "
			    "refused: too many sources\n");
}

/* Newlines and other control characters cannot make a second line. */
static void test_format_control(void **state)
{
	char line[NOTICE_LINE_MAX];
	(void)state;

	notice_format(line, sizeof(line), "a\nb", "i\td", NULL,
		      "cannot read /x\n/config.json: \x1b[31mno\x7f");
	assert_string_equal(line, "container a_b (id i_d) not captured: cannot "
			    "read /x_/config.json: _[31mno_\n");
}

/* Too long: cut, still one line, never inside a UTF-8 character. */
static void test_format_cut(void **state)
{
	char why[3000], line[64], small[2];
	size_t n;
	(void)state;

	for (size_t i = 0; i + 2 < sizeof(why); i += 2)
		memcpy(why + i, "\xc3\xa9", 2); /* é */
	why[sizeof(why) - 2] = '\0';
	n = notice_format(line, sizeof(line), "web", "c1", NULL, why);
	assert_true(n <= sizeof(line) - 1);
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(strlen(line), n);
	/* The last byte before the newline ends a character. */
	assert_int_equal((unsigned char)line[n - 2], 0xa9);
	assert_memory_equal(line, "container web (id c1) not captured: ", 36);

	/* A long name in a full-size buffer. */
	char big[NOTICE_LINE_MAX];
	char name[2000];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n = notice_format(big, sizeof(big), name, "c1", "stderr", "why");
	assert_int_equal(n, sizeof(big) - 1);
	assert_int_equal(big[n - 1], '\n');

	n = notice_format(small, sizeof(small), "web", "c1", NULL, "why");
	assert_int_equal(n, 1);
	assert_string_equal(small, "\n");
}

/* No memlogd: an error, at once. */
static void test_send_no_daemon(void **state)
{
	(void)state;

	assert_int_equal(notice_send("/nonexistent/memlog.sock", "x\n", 2),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_control),
		cmocka_unit_test(test_format_cut),
		cmocka_unit_test(test_send_no_daemon),
	};
	return cmocka_run_group_tests_name("test_runc_notice", tests, NULL, NULL);
}
