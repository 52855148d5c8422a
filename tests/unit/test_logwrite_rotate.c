/* logwrite's rotation (rotate.c): the pure plans, and the steps run in a
 * temporary directory, including every point where a crash can stop the
 * shift, and a crash inside compression. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "rotate.h"

/* ---- pure plans ---- */

static void test_plan_shift(void **state)
{
	bool drop = true;
	unsigned char none[4] = { 0, 0, 0, 0 };
	unsigned char gap[4] = { ROT_PLAIN, ROT_GZ, 0, ROT_PLAIN };
	unsigned char full[3] = { ROT_PLAIN, ROT_GZ, ROT_PLAIN };
	unsigned char one[1] = { ROT_GZ };

	assert_int_equal(rotate_plan_shift(none, 4, &drop), 0);
	assert_false(drop);
	assert_int_equal(rotate_plan_shift(gap, 4, &drop), 2);
	assert_false(drop);
	assert_int_equal(rotate_plan_shift(full, 3, &drop), 2);
	assert_true(drop);
	assert_int_equal(rotate_plan_shift(one, 1, &drop), 0);
	assert_true(drop);
}

static void test_plan_trim(void **state)
{
	struct rot_info f[6];
	bool del[6];
	struct trim_limits lim = { .max_files = 4 };

	for (int k = 0; k < 6; k++)
		f[k] = (struct rot_info){ ROT_PLAIN, 100, 1000 - 10 * k };
	f[2].exists = 0;
	/* Count: indexes 4 and 5 go. */
	rotate_plan_trim(f, 6, &lim, del);
	for (int k = 0; k < 6; k++)
		assert_int_equal(del[k], k >= 4);
	/* Age: mtime below 975 goes (k = 3, 4, 5). */
	lim.max_files = 10;
	lim.by_age = true;
	lim.cutoff = 975;
	rotate_plan_trim(f, 6, &lim, del);
	for (int k = 0; k < 6; k++)
		assert_int_equal(del[k], k >= 3);
	/* Size: the newest that fit in 250 bytes stay: 0 and 1. */
	lim.by_age = false;
	lim.by_size = true;
	lim.budget = 250;
	rotate_plan_trim(f, 6, &lim, del);
	for (int k = 0; k < 6; k++)
		assert_int_equal(del[k], k >= 3);
	/* All three at once; a budget of 0 keeps no rotated file. */
	lim.by_age = true;
	lim.budget = 0;
	rotate_plan_trim(f, 6, &lim, del);
	for (int k = 0; k < 6; k++)
		assert_int_equal(del[k], f[k].exists != 0);
}

/* ---- steps in a directory ---- */

struct tdir {
	char path[64];
	int fd;
};

static void tdir_make(struct tdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/lw-rot-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	assert_true(d->fd >= 0);
}

static void tdir_remove(struct tdir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.'))
			unlinkat(d->fd, e->d_name, 0);
	closedir(dir);
	close(d->fd);
	rmdir(d->path);
}

static void put_file(struct tdir *d, const char *name, const char *text)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The file's content, or NULL if it does not exist. Static buffer. */
static const char *get_file(struct tdir *d, const char *name)
{
	static char buf[4096];
	int fd = openat(d->fd, name, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void expect_file(struct tdir *d, const char *name, const char *want)
{
	const char *got = get_file(d, name);

	if (!want && got)
		fail_msg("%s exists (holding '%s'), want none", name, got);
	if (want && !got)
		fail_msg("%s is missing, want '%s'", name, want);
	if (want)
		assert_string_equal(got, want);
}

/* Decompresses a gzip file into a static buffer. */
static const char *gunzip(struct tdir *d, const char *name)
{
	static char out[65536];
	char path[256];
	gzFile gz;
	int n;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	n = gzread(gz, out, sizeof(out) - 1);
	gzclose(gz);
	assert_true(n >= 0);
	out[n] = '\0';
	return out;
}

static struct rotate_cfg cfg_for(struct tdir *d, unsigned n)
{
	return (struct rotate_cfg){ .dirfd = d->fd, .max_files = n,
				    .max_size = 100, .sync = true };
}

static void test_shift_step(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 3);
	put_file(&d, "s.log", "L");
	put_file(&d, "s.log.0", "r0");
	put_file(&d, "s.log.1", "r1");
	put_file(&d, "s.log.2", "r2");
	assert_int_equal(rotate_step(&c, "s", ROT_SHIFT, time(NULL), &e), ROT_NONE);
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", "L");
	expect_file(&d, "s.log.1", "r0");
	expect_file(&d, "s.log.2", "r1");
	expect_file(&d, "s.log.3", NULL);
	/* Run again, as after a crash right after it: nothing moves. */
	assert_int_equal(rotate_step(&c, "s", ROT_SHIFT, time(NULL), &e), ROT_NONE);
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", "L");
	expect_file(&d, "s.log.1", "r0");
	expect_file(&d, "s.log.2", "r1");
	/* With compression the next step is compress. */
	c.compress = true;
	put_file(&d, "s.log", "M");
	assert_int_equal(rotate_step(&c, "s", ROT_SHIFT, time(NULL), &e),
			 ROT_COMPRESS);
	expect_file(&d, "s.log.0", "M");
	expect_file(&d, "s.log.1", "L");
	expect_file(&d, "s.log.2", "r0");
	tdir_remove(&d);
}

/* The shift with N files and all taken is: drop .N-1, move .N-2 to .N-1,
 * ..., .0 to .1, live to .0, create live. A crash can stop it after any
 * of these; running the step again must end exactly as an uninterrupted
 * run. The first `done` operations are done here by hand. */
static void crash_after(unsigned n, unsigned have, unsigned done)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;
	char from[64], to[64], want[16];
	unsigned op = 0, h;

	tdir_make(&d);
	c = cfg_for(&d, n);
	put_file(&d, "s.log", "L");
	for (unsigned k = 0; k < have; k++) {
		snprintf(to, sizeof(to), "s.log.%u%s", k, k % 2 ? ".gz" : "");
		snprintf(want, sizeof(want), "r%u", k);
		put_file(&d, to, want);
	}
	h = have < n ? have : n - 1;
	if (have >= n && op++ < done) {
		snprintf(to, sizeof(to), "s.log.%u%s", n - 1, (n - 1) % 2 ? ".gz" : "");
		assert_int_equal(unlinkat(d.fd, to, 0), 0);
	}
	for (unsigned k = h; k >= 1; k--) {
		if (op++ >= done)
			break;
		const char *gz = (k - 1) % 2 ? ".gz" : "";
		snprintf(from, sizeof(from), "s.log.%u%s", k - 1, gz);
		snprintf(to, sizeof(to), "s.log.%u%s", k, gz);
		assert_int_equal(renameat(d.fd, from, d.fd, to), 0);
	}
	if (op++ < done)
		assert_int_equal(renameat(d.fd, "s.log", d.fd, "s.log.0"), 0);
	if (op++ < done)
		put_file(&d, "s.log", "");

	assert_int_equal(rotate_step(&c, "s", ROT_SHIFT, time(NULL), &e), ROT_NONE);

	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", "L");
	for (unsigned k = 1; k < n; k++) {
		/* .k holds what .k-1 held, in its variant. */
		const char *gz = (k - 1) % 2 ? ".gz" : "";
		const char *other = (k - 1) % 2 ? "" : ".gz";
		snprintf(to, sizeof(to), "s.log.%u%s", k, gz);
		snprintf(want, sizeof(want), "r%u", k - 1);
		expect_file(&d, to, k - 1 < have ? want : NULL);
		snprintf(to, sizeof(to), "s.log.%u%s", k, other);
		expect_file(&d, to, NULL);
	}
	snprintf(to, sizeof(to), "s.log.%u", n);
	expect_file(&d, to, NULL);
	tdir_remove(&d);
}

static void test_shift_resumes_after_any_crash(void **state)
{
	/* N = 4: full (5 ops + create), and with 2 files (hole at 2). */
	for (unsigned done = 0; done <= 7; done++)
		crash_after(4, 4, done);
	for (unsigned done = 0; done <= 5; done++)
		crash_after(4, 2, done);
	for (unsigned done = 0; done <= 3; done++)
		crash_after(1, 1, done);
}

static void test_zero_files_kept(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 0);
	put_file(&d, "s.log", "L");
	put_file(&d, "s.log.0", "old");
	assert_int_equal(rotate_step(&c, "s", ROT_SHIFT, time(NULL), &e), ROT_NONE);
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", NULL);
	tdir_remove(&d);
}

static void test_compress_step(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;
	struct stat st;
	struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };
	char text[3000];

	tdir_make(&d);
	c = cfg_for(&d, 3);
	c.compress = true;
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + i % 26);
	text[sizeof(text) - 1] = '\0';
	put_file(&d, "s.log.0", text);
	assert_int_equal(utimensat(d.fd, "s.log.0", old, 0), 0);
	/* A crash left a half-written copy: it is redone. */
	put_file(&d, "s.log.0.gz.tmp", "garbage");
	assert_int_equal(rotate_step(&c, "s", ROT_COMPRESS, 2000000, &e), ROT_NONE);
	expect_file(&d, "s.log.0", NULL);
	expect_file(&d, "s.log.0.gz.tmp", NULL);
	assert_string_equal(gunzip(&d, "s.log.0.gz"), text);
	/* It keeps the time the file was last written. */
	assert_int_equal(fstatat(d.fd, "s.log.0.gz", &st, 0), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1000000);

	/* A crash after the rename, before the original was removed: the
	 * durable copy stays, the original goes. */
	put_file(&d, "s.log.0", "stale original");
	assert_int_equal(rotate_step(&c, "s", ROT_COMPRESS, 2000000, &e), ROT_NONE);
	expect_file(&d, "s.log.0", NULL);
	assert_string_equal(gunzip(&d, "s.log.0.gz"), text);

	/* Nothing to compress (trimmed already): fine. */
	assert_int_equal(unlinkat(d.fd, "s.log.0.gz", 0), 0);
	assert_int_equal(rotate_step(&c, "s", ROT_COMPRESS, 2000000, &e), ROT_NONE);
	tdir_remove(&d);
}

static void test_trim(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;
	struct timespec old[2] = { { 5000, 0 }, { 5000, 0 } };
	char name[32];

	tdir_make(&d);
	c = cfg_for(&d, 3);
	/* .3 and .4 are left from a larger -max-log-files. */
	for (unsigned k = 0; k < 5; k++) {
		snprintf(name, sizeof(name), "s.log.%u", k);
		put_file(&d, name, "0123456789");
	}
	put_file(&d, "s.log", "live");
	assert_int_equal(rotate_trim(&c, "s", time(NULL), &e), 0);
	expect_file(&d, "s.log.2", "0123456789");
	expect_file(&d, "s.log.3", NULL);
	expect_file(&d, "s.log.4", NULL);
	/* Age: .1 and .2 were last written long ago. */
	c.max_age_s = 3600;
	assert_int_equal(utimensat(d.fd, "s.log.1", old, 0), 0);
	assert_int_equal(utimensat(d.fd, "s.log.2", old, 0), 0);
	assert_int_equal(rotate_trim(&c, "s", time(NULL), &e), 0);
	expect_file(&d, "s.log.0", "0123456789");
	expect_file(&d, "s.log.1", NULL);
	expect_file(&d, "s.log.2", NULL);
	/* Size: the total must leave max_size (100) for the live file. */
	c.max_age_s = 0;
	put_file(&d, "s.log.1", "0123456789");
	put_file(&d, "s.log.2", "0123456789");
	c.max_total = 125; /* 25 bytes for rotated files: two fit */
	assert_int_equal(rotate_trim(&c, "s", time(NULL), &e), 0);
	expect_file(&d, "s.log.0", "0123456789");
	expect_file(&d, "s.log.1", "0123456789");
	expect_file(&d, "s.log.2", NULL);
	expect_file(&d, "s.log", "live");
	tdir_remove(&d);
}

static void test_age_scan(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;
	struct timespec old[2] = { { 5000, 0 }, { 5000, 0 } };
	static const char *const gone[] = { "a.log.0", "a.log.1.gz", "b%2F.log.3" };
	static const char *const kept[] = {
		"a.log", "notours.txt", "%2Ehidden.log", "x.log.0.gz.tmp",
		".hidden.log.0", "a.log.x", "a.log.0.bz2", "new.log.0",
	};

	tdir_make(&d);
	c = cfg_for(&d, 10);
	c.max_age_s = 60;
	for (size_t i = 0; i < 3; i++) {
		put_file(&d, gone[i], "x");
		assert_int_equal(utimensat(d.fd, gone[i], old, 0), 0);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		put_file(&d, kept[i], "x");
		if (strcmp(kept[i], "new.log.0"))
			assert_int_equal(utimensat(d.fd, kept[i], old, 0), 0);
	}
	assert_int_equal(rotate_age_scan(&c, time(NULL), &e), 0);
	for (size_t i = 0; i < 3; i++)
		expect_file(&d, gone[i], NULL);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		expect_file(&d, kept[i], "x");
	tdir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_shift),
		cmocka_unit_test(test_plan_trim),
		cmocka_unit_test(test_shift_step),
		cmocka_unit_test(test_shift_resumes_after_any_crash),
		cmocka_unit_test(test_zero_files_kept),
		cmocka_unit_test(test_compress_step),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_age_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
