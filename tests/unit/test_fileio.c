/* fd_write_all, file_replace (atomic state-file replace) and the diag
 * helpers of libmemlog. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "fileio.h"

const char *diag_prog = "test_fileio";

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_fileio.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void test_write_all_pipe(void **state)
{
	int p[2];
	char big[100000], back[100000];
	size_t got = 0;

	assert_int_equal(pipe(p), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	/* More than a pipe holds: the child drains while we write. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(fd_write_all(p[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], back + got, sizeof(back) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(got, sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
}

static void test_write_all_error(void **state)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fd_write_all(fd, "x", 1), -EBADF);
	close(fd);
}

static void test_replace_new_and_over(void **state)
{
	char buf[64];
	const char *op = "untouched";

	assert_int_equal(file_replace(AT_FDCWD, path_of("a"), "one\n", 4, 0600,
				      FILE_REPLACE_SYNC, &op), 0);
	assert_string_equal(op, "untouched"); /* written only on failure */
	assert_int_equal(slurp(path_of("a"), buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "one\n", 4);
	struct stat st;
	assert_int_equal(stat(path_of("a"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	int d = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(d >= 0);
	assert_int_equal(file_replace(d, "a", "second", 6, 0644, 0, NULL), 0);
	close(d);
	assert_int_equal(slurp(path_of("a"), buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "second", 6);
	/* No temporary left behind. */
	assert_int_equal(access(path_of("a.tmp"), F_OK), -1);
}

static void test_replace_never_through_symlink(void **state)
{
	char buf[64];
	const char *op = NULL;

	/* Someone plants NAME.tmp -> victim: the victim must stay whole. */
	int fd = open(path_of("victim"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	char target[256];
	snprintf(target, sizeof(target), "%s", path_of("victim"));
	assert_int_equal(symlink(target, path_of("s.tmp")), 0);
	assert_int_equal(file_replace(AT_FDCWD, path_of("s"), "evil", 4, 0644,
				      0, &op), -ELOOP);
	assert_string_equal(op, "create");
	assert_int_equal(slurp(path_of("victim"), buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "precious", 8);
	assert_int_equal(access(path_of("s"), F_OK), -1);
}

static void test_replace_errors(void **state)
{
	const char *op = NULL;
	char longname[5000];

	assert_int_equal(file_replace(AT_FDCWD, path_of("nodir/x"), "a", 1,
				      0644, 0, &op), -ENOENT);
	assert_string_equal(op, "create");

	/* The target is a non-empty directory: the rename fails and the
	 * temporary is removed again. */
	assert_int_equal(mkdir(path_of("d"), 0755), 0);
	assert_int_equal(mkdir(path_of("d/sub"), 0755), 0);
	int r = file_replace(AT_FDCWD, path_of("d"), "a", 1, 0644, 0, &op);
	assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	assert_string_equal(op, "rename");
	assert_int_equal(access(path_of("d.tmp"), F_OK), -1);

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(file_replace(AT_FDCWD, longname, "a", 1, 0644, 0, &op),
			 -ENAMETOOLONG);
	assert_string_equal(op, "name");
}

/* Runs fn in a child with stderr into a file; returns what it printed
 * and its exit status. */
static int capture(void (*fn)(void), char *out, size_t cap)
{
	char *p = path_of("stderr");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		fn();
		fflush(stderr);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	size_t n = slurp(p, out, cap - 1);
	out[n] = '\0';
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void say_warn(void) { diag_warn("cannot do %s", "it"); }
static void say_err(void) { diag_warn_err(-ENOENT, "open %s", "/x"); }
static void say_err_pos(void) { diag_warn_err(EACCES, "save"); }
static void say_usage(void) { diag_usage("unknown option: %s", "--bad"); }
static void say_die(void) { diag_die_err(5, -EIO, "state file"); }

static void test_diag(void **state)
{
	char out[512];

	assert_int_equal(capture(say_warn, out, sizeof(out)), 0);
	assert_string_equal(out, "test_fileio: cannot do it\n");
	assert_int_equal(capture(say_err, out, sizeof(out)), 0);
	assert_string_equal(out, "test_fileio: open /x: No such file or directory\n");
	assert_int_equal(capture(say_err_pos, out, sizeof(out)), 0);
	assert_string_equal(out, "test_fileio: save: Permission denied\n");
	assert_int_equal(capture(say_usage, out, sizeof(out)), 0);
	assert_string_equal(out, "test_fileio: unknown option: --bad\n"
			    "Try 'test_fileio --help'.\n");
	assert_int_equal(capture(say_die, out, sizeof(out)), 5);
	assert_string_equal(out, "test_fileio: state file: Input/output error\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_all_pipe),
		cmocka_unit_test(test_write_all_error),
		cmocka_unit_test(test_replace_new_and_over),
		cmocka_unit_test(test_replace_never_through_symlink),
		cmocka_unit_test(test_replace_errors),
		cmocka_unit_test(test_diag),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
