/* listen_access_from: --socket-group and --socket-mode into the group and
 * mode memlogd gives its sockets; the group looked up in a group file
 * (listen_group_lookup, also --readers-group's). */
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

#include "listen.h"

static char group_file[64];

static int setup(void **state)
{
	snprintf(group_file, sizeof(group_file), "/tmp/memlog-group-XXXXXX");
	int fd = mkstemp(group_file);
	assert_true(fd >= 0);
	static const char text[] =
		"root:x:0:\n"
		"adm:x:4:syslog\n"
		"memlog:x:997:alice,bob\n"
		"memlogger:x:998:\n"
		"4000:x:5000:\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(group_file);
	return 0;
}

static void test_defaults(void **state)
{
	struct listen_access a;

	assert_int_equal(listen_access_from(NULL, -1, group_file, &a), 0);
	assert_true(a.gid == (gid_t)-1);
	assert_int_equal(a.mode, 0600);
	assert_int_equal(listen_access_from(NULL, 0666, group_file, &a), 0);
	assert_true(a.gid == (gid_t)-1);
	assert_int_equal(a.mode, 0666);
}

static void test_group_by_name(void **state)
{
	struct listen_access a;

	/* A group alone opens the sockets to it: 0660. */
	assert_int_equal(listen_access_from("memlog", -1, group_file, &a), 0);
	assert_int_equal(a.gid, 997);
	assert_int_equal(a.mode, 0660);
	/* A mode given wins. */
	assert_int_equal(listen_access_from("adm", 0640, group_file, &a), 0);
	assert_int_equal(a.gid, 4);
	assert_int_equal(a.mode, 0640);
	/* Whole names only: not a prefix, not a member list. */
	assert_int_equal(listen_access_from("memlogger", -1, group_file, &a), 0);
	assert_int_equal(a.gid, 998);
	a.gid = 1;
	assert_int_equal(listen_access_from("memlo", -1, group_file, &a), -ENOENT);
	assert_int_equal(listen_access_from("alice", -1, group_file, &a), -ENOENT);
	assert_int_equal(a.gid, 1); /* untouched on failure */
}

static void test_group_by_number(void **state)
{
	struct listen_access a;

	/* A number is a gid, as chown(1) reads it, even if a group has it as
	 * its name; it need not be in the file. */
	assert_int_equal(listen_access_from("4000", -1, group_file, &a), 0);
	assert_int_equal(a.gid, 4000);
	assert_int_equal(listen_access_from("123456", 0600, group_file, &a), 0);
	assert_int_equal(a.gid, 123456);
	assert_int_equal(a.mode, 0600);
	/* (gid_t)-1 means "unchanged" to chown: not a group. */
	assert_int_equal(listen_access_from("4294967295", -1, group_file, &a),
			 -ENOENT);
}

static void test_group_file_missing(void **state)
{
	struct listen_access a;

	assert_int_equal(listen_access_from("memlog", -1,
					    "/nonexistent/memlog/group", &a),
			 -ENOENT);
	/* Numbers need no file. */
	assert_int_equal(listen_access_from("997", -1,
					    "/nonexistent/memlog/group", &a), 0);
	assert_int_equal(a.gid, 997);
}

/* The lookup alone (--readers-group uses it too). */
static void test_group_lookup(void **state)
{
	gid_t g = 1;

	assert_int_equal(listen_group_lookup("memlog", group_file, &g), 0);
	assert_int_equal(g, 997);
	assert_int_equal(listen_group_lookup("4000", group_file, &g), 0);
	assert_int_equal(g, 4000);
	g = 1;
	assert_int_equal(listen_group_lookup("bob", group_file, &g), -ENOENT);
	assert_int_equal(listen_group_lookup("", group_file, &g), -ENOENT);
	assert_int_equal(listen_group_lookup("adm", "/nonexistent/memlog/group",
					     &g), -ENOENT);
	assert_int_equal(g, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_group_by_name),
		cmocka_unit_test(test_group_by_number),
		cmocka_unit_test(test_group_file_missing),
		cmocka_unit_test(test_group_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
