/* logwrite's rotation (rotate.c): the pure plans, and the steps run in a
 * temporary directory, including every point where a crash can stop the
 * shift, and a crash inside compression; files that are not logwrite's
 * (not in its ledger) are never moved or deleted. */
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

#include "ledger.h"
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

/* The ledger of the files logwrite made, with base "s". */
static struct ledger led;
static struct owned *own;
static char why[ROTATE_WHY_MAX];

static void ledger_start(void)
{
	bool full;

	assert_int_equal(ledger_init(&led), 0);
	own = ledger_add(&led, "s", &full);
	assert_non_null(own);
}


static void tdir_make(struct tdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/lw-rot-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	assert_true(d->fd >= 0);
	ledger_start();
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
	ledger_free(&led);
}

static void put_file(struct tdir *d, const char *name, const char *text)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A file logwrite made. */
static void put_own(struct tdir *d, const char *name, const char *text)
{
	struct stat st;

	put_file(d, name, text);
	assert_int_equal(fstatat(d->fd, name, &st, 0), 0);
	assert_int_equal(owned_add(&led, own, (uint64_t)st.st_ino), 0);
}

/* A file of logwrite's that the test deletes, forgotten as logwrite's
 * scan forgets it: left in the set, its inode number could be given to
 * a file the test makes next, which would then pass as logwrite's. */
static void unlink_own(struct tdir *d, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(d->fd, name, &st, 0), 0);
	owned_del(&led, own, (uint64_t)st.st_ino);
	assert_int_equal(unlinkat(d->fd, name, 0), 0);
}

static bool is_owned(struct tdir *d, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(d->fd, name, &st, 0), 0);
	return owned_has(own, (uint64_t)st.st_ino);
}

static int step(struct rotate_cfg *c, enum rot_step st, int64_t now)
{
	struct io_err e = { 0 };

	return rotate_step(c, &led, own, st, now, &e, why);
}

static int trim(struct rotate_cfg *c, int64_t now)
{
	struct io_err e = { 0 };

	return rotate_trim(c, &led, own, now, &e);
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
	struct stat st;

	assert_int_equal(fstat(d->fd, &st), 0);
	return (struct rotate_cfg){ .dirfd = d->fd, .dev = st.st_dev,
				    .max_files = n, .max_size = 100,
				    .sync = true };
}

static void test_shift_step(void **state)
{
	struct tdir d;
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 3);
	put_own(&d, "s.log", "L");
	put_own(&d, "s.log.0", "r0");
	put_own(&d, "s.log.1", "r1");
	put_own(&d, "s.log.2", "r2");
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "");
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", "L");
	expect_file(&d, "s.log.1", "r0");
	expect_file(&d, "s.log.2", "r1");
	expect_file(&d, "s.log.3", NULL);
	/* The new live file is logwrite's; the dropped one left the set. */
	assert_true(is_owned(&d, "s.log"));
	assert_int_equal(own->n, 4);
	/* Run again, as after a crash right after it: nothing moves. */
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", "L");
	expect_file(&d, "s.log.1", "r0");
	expect_file(&d, "s.log.2", "r1");
	/* With compression the next step is compress. */
	c.compress = true;
	put_file(&d, "s.log", "M"); /* written in place: the same inode */
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_COMPRESS);
	expect_file(&d, "s.log.0", "M");
	expect_file(&d, "s.log.1", "L");
	expect_file(&d, "s.log.2", "r0");
	tdir_remove(&d);
}

/* The shift with N files and all taken is: drop .N-1, move .N-2 to .N-1,
 * ..., .0 to .1, live to .0, create live. A crash can stop it after any
 * of these; running the step again must end exactly as an uninterrupted
 * run. The first `done` operations are done here by hand (the new live
 * file too, which the ledger does not have then). */
static void crash_after(unsigned n, unsigned have, unsigned done)
{
	struct tdir d;
	struct rotate_cfg c;
	char from[64], to[64], want[16];
	unsigned op = 0, h;

	tdir_make(&d);
	c = cfg_for(&d, n);
	put_own(&d, "s.log", "L");
	for (unsigned k = 0; k < have; k++) {
		snprintf(to, sizeof(to), "s.log.%u%s", k, k % 2 ? ".gz" : "");
		snprintf(want, sizeof(want), "r%u", k);
		put_own(&d, to, want);
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

	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "");

	expect_file(&d, "s.log", "");
	assert_true(is_owned(&d, "s.log"));
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
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 0);
	put_own(&d, "s.log", "L");
	put_own(&d, "s.log.0", "old");
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	expect_file(&d, "s.log", "");
	expect_file(&d, "s.log.0", NULL);
	tdir_remove(&d);
}

/* A file that is not logwrite's where the shift would have to move or
 * replace it: nothing moves, and why says which. Beyond the free index
 * it is simply left alone. */
static void test_shift_never_moves_others(void **state)
{
	struct tdir d;
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 3);
	put_own(&d, "s.log", "L");
	put_own(&d, "s.log.0", "r0");
	put_file(&d, "s.log.1.gz", "theirs");
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "s.log.1.gz was not created by logwrite");
	expect_file(&d, "s.log", "L");
	expect_file(&d, "s.log.0", "r0");
	expect_file(&d, "s.log.1.gz", "theirs");
	expect_file(&d, "s.log.2", NULL);
	/* All N taken, the last one theirs: it would be deleted. */
	c.max_files = 2;
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "s.log.1.gz was not created by logwrite");
	expect_file(&d, "s.log", "L");
	/* Past the free index it is no obstacle: .0 free, .1 theirs. */
	c.max_files = 3;
	unlink_own(&d, "s.log.0");
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "");
	expect_file(&d, "s.log.0", "L");
	expect_file(&d, "s.log.1.gz", "theirs");
	expect_file(&d, "s.log", "");
	/* A live file that is not logwrite's (put in its place) is never
	 * rotated, and not adopted unless empty. (Made before the old one
	 * goes, so that it cannot get the old one's inode number.) */
	put_file(&d, "x", "theirs too");
	assert_int_equal(renameat(d.fd, "x", d.fd, "s.log"), 0);
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "s.log was not created by logwrite");
	expect_file(&d, "s.log", "theirs too");
	expect_file(&d, "s.log.0", "L");
	/* A symbolic link in the way is not followed, nor moved. */
	assert_int_equal(unlinkat(d.fd, "s.log", 0), 0);
	put_own(&d, "s.log", "M");
	assert_int_equal(symlinkat("/etc/passwd", d.fd, "s.log.1"), 0);
	assert_int_equal(unlinkat(d.fd, "s.log.1.gz", 0), 0);
	assert_int_equal(step(&c, ROT_SHIFT, time(NULL)), ROT_NONE);
	assert_string_equal(why, "s.log.1 was not created by logwrite");
	expect_file(&d, "s.log", "M");
	struct stat st;
	assert_int_equal(fstatat(d.fd, "s.log.1", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlinkat(d.fd, "s.log.1", 0);
	tdir_remove(&d);
}

static void test_family_taken(void **state)
{
	struct tdir d;
	struct rotate_cfg c;
	struct io_err e = { 0 };

	tdir_make(&d);
	c = cfg_for(&d, 3);
	assert_int_equal(rotate_family_taken(&c, NULL, "s", why, &e), 0);
	put_file(&d, "s.log.2.gz", "theirs");
	assert_int_equal(rotate_family_taken(&c, NULL, "s", why, &e), 1);
	assert_string_equal(why, "s.log.2.gz is there and was not created by "
			    "logwrite");
	/* Past -max-log-files it is no concern. */
	c.max_files = 2;
	assert_int_equal(rotate_family_taken(&c, own, "s", why, &e), 0);
	put_file(&d, "s.log.0.gz.tmp", "theirs");
	assert_int_equal(rotate_family_taken(&c, own, "s", why, &e), 1);
	assert_int_equal(unlinkat(d.fd, "s.log.0.gz.tmp", 0), 0);
	put_own(&d, "s.log.1", "ours");
	assert_int_equal(rotate_family_taken(&c, own, "s", why, &e), 0);
	tdir_remove(&d);
}

static void test_compress_step(void **state)
{
	struct tdir d;
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
	put_own(&d, "s.log.0", text);
	assert_int_equal(utimensat(d.fd, "s.log.0", old, 0), 0);
	/* A crash left a half-written copy (the state had no time to
	 * list it): it is redone. */
	put_file(&d, "s.log.0.gz.tmp", "garbage");
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	expect_file(&d, "s.log.0", NULL);
	expect_file(&d, "s.log.0.gz.tmp", NULL);
	assert_string_equal(gunzip(&d, "s.log.0.gz"), text);
	assert_true(is_owned(&d, "s.log.0.gz"));
	assert_int_equal(own->n, 1);
	/* It keeps the time the file was last written. */
	assert_int_equal(fstatat(d.fd, "s.log.0.gz", &st, 0), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1000000);

	/* A crash after the rename, before the original was removed: the
	 * durable copy stays, the original goes. */
	put_own(&d, "s.log.0", "stale original");
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	expect_file(&d, "s.log.0", NULL);
	assert_string_equal(gunzip(&d, "s.log.0.gz"), text);

	/* The same before the state had the copy: it is taken. */
	bool full;
	own->n = 0;
	led.ninos = 0;
	put_own(&d, "s.log.0", "stale original");
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	expect_file(&d, "s.log.0", NULL);
	assert_true(is_owned(&d, "s.log.0.gz"));
	(void)full;

	/* Nothing to compress (trimmed already): fine. */
	unlink_own(&d, "s.log.0.gz");
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	/* An .0 that is not logwrite's is not compressed. */
	put_file(&d, "s.log.0", "theirs");
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	expect_file(&d, "s.log.0", "theirs");
	assert_string_equal(why, "");
	/* Something that is not a file in the copy's place: .0 stays, the
	 * link is neither followed nor removed, and why says so. */
	assert_int_equal(unlinkat(d.fd, "s.log.0", 0), 0);
	put_own(&d, "s.log.0", "ours");
	assert_int_equal(symlinkat("/nowhere", d.fd, "s.log.0.gz.tmp"), 0);
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	assert_string_equal(why, "s.log.0.gz.tmp was not created by logwrite");
	expect_file(&d, "s.log.0", "ours");
	unlinkat(d.fd, "s.log.0.gz.tmp", 0);
	assert_int_equal(mkdirat(d.fd, "s.log.0.gz", 0700), 0);
	assert_int_equal(step(&c, ROT_COMPRESS, 2000000), ROT_NONE);
	assert_string_equal(why, "s.log.0.gz was not created by logwrite");
	expect_file(&d, "s.log.0", "ours");
	unlinkat(d.fd, "s.log.0.gz", AT_REMOVEDIR);
	tdir_remove(&d);
}

static void test_trim(void **state)
{
	struct tdir d;
	struct rotate_cfg c;
	struct timespec old[2] = { { 5000, 0 }, { 5000, 0 } };
	char name[32];

	tdir_make(&d);
	c = cfg_for(&d, 3);
	/* .3 and .4 are left from a larger -max-log-files. */
	for (unsigned k = 0; k < 5; k++) {
		snprintf(name, sizeof(name), "s.log.%u", k);
		put_own(&d, name, "0123456789");
	}
	put_own(&d, "s.log", "live");
	/* Another program's file at .5.gz: passed over. */
	put_file(&d, "s.log.5.gz", "theirs");
	assert_int_equal(trim(&c, time(NULL)), 0);
	expect_file(&d, "s.log.2", "0123456789");
	expect_file(&d, "s.log.3", NULL);
	expect_file(&d, "s.log.4", NULL);
	expect_file(&d, "s.log.5.gz", "theirs");
	/* Age: .1 and .2 were last written long ago. */
	c.max_age_s = 3600;
	assert_int_equal(utimensat(d.fd, "s.log.1", old, 0), 0);
	assert_int_equal(utimensat(d.fd, "s.log.2", old, 0), 0);
	assert_int_equal(utimensat(d.fd, "s.log.5.gz", old, 0), 0);
	assert_int_equal(trim(&c, time(NULL)), 0);
	expect_file(&d, "s.log.0", "0123456789");
	expect_file(&d, "s.log.1", NULL);
	expect_file(&d, "s.log.2", NULL);
	expect_file(&d, "s.log.5.gz", "theirs");
	/* Size: the total must leave max_size (100) for the live file; a
	 * file that is not logwrite's does not count. */
	c.max_age_s = 0;
	put_own(&d, "s.log.1", "0123456789");
	put_file(&d, "s.log.2", "0123456789");
	put_own(&d, "s.log.3", "0123456789");
	c.max_total = 125; /* 25 bytes for rotated files: two fit */
	c.max_files = 10;
	assert_int_equal(trim(&c, time(NULL)), 0);
	expect_file(&d, "s.log.0", "0123456789");
	expect_file(&d, "s.log.1", "0123456789");
	expect_file(&d, "s.log.2", "0123456789");
	expect_file(&d, "s.log.3", NULL);
	expect_file(&d, "s.log", "live");
	tdir_remove(&d);
}

static void test_scan(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;
	struct timespec old[2] = { { 5000, 0 }, { 5000, 0 } };
	static const char *const gone[] = { "s.log.0", "s.log.1.gz" };
	static const char *const kept[] = {
		/* another program's, or not a rotated file */
		"s.log.2", "a.log.0", "notours.txt", "x.log.0.gz.tmp",
		".hidden.log.0", "s.log.x", "s.log.0.bz2", "b%2F.log.3",
	};
	struct stat st;
	bool full;

	tdir_make(&d);
	c = cfg_for(&d, 10);
	c.max_age_s = 60;
	for (size_t i = 0; i < 2; i++) {
		put_own(&d, gone[i], "x");
		assert_int_equal(utimensat(d.fd, gone[i], old, 0), 0);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		put_file(&d, kept[i], "x");
		assert_int_equal(utimensat(d.fd, kept[i], old, 0), 0);
	}
	/* Old, but the live file: never deleted by age. */
	put_own(&d, "s.log", "x");
	assert_int_equal(utimensat(d.fd, "s.log", old, 0), 0);
	put_own(&d, "s.log.3", "recent");
	/* A file of logwrite's that someone else deleted, and one that is
	 * open but was moved out of the family: forgotten, kept. */
	put_own(&d, "s.log.4", "x");
	put_own(&d, "s.log.5", "x"); /* before .4 goes: not its inode */
	assert_int_equal(unlinkat(d.fd, "s.log.4", 0), 0);
	assert_int_equal(fstatat(d.fd, "s.log.5", &st, 0), 0);
	uint64_t keep = (uint64_t)st.st_ino;
	assert_int_equal(renameat(d.fd, "s.log.5", d.fd, "moved"), 0);
	/* A base whose files are all gone leaves the ledger. */
	struct owned *t = ledger_add(&led, "t", &full);
	assert_int_equal(owned_add(&led, t, 12345), 0);

	assert_int_equal(rotate_scan(&c, &led, time(NULL), &keep, 1, &e), 0);
	for (size_t i = 0; i < 2; i++)
		expect_file(&d, gone[i], NULL);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		expect_file(&d, kept[i], "x");
	expect_file(&d, "s.log", "x");
	expect_file(&d, "s.log.3", "recent");
	assert_int_equal(own->n, 3); /* s.log, s.log.3, the moved one */
	assert_true(owned_has(own, keep));
	assert_null(ledger_get(&led, "t"));
	unlinkat(d.fd, "moved", 0);
	tdir_remove(&d);
}

/* A state file of version 1: the files of the bases it lists are taken
 * as logwrite's, those of other bases are not. */
static void test_adopt_all(void **state)
{
	struct tdir d;
	struct io_err e = { 0 };
	struct rotate_cfg c;

	tdir_make(&d);
	c = cfg_for(&d, 10);
	put_file(&d, "s.log", "L");
	put_file(&d, "s.log.0", "r0");
	put_file(&d, "s.log.1.gz", "r1");
	put_file(&d, "s.log.0.gz.tmp", "half");
	put_file(&d, "other.log.1", "theirs");
	assert_int_equal(symlinkat("/etc/passwd", d.fd, "s.log.2"), 0);
	assert_int_equal(rotate_adopt_all(&c, &led, &e), 0);
	assert_int_equal(own->n, 4);
	assert_true(is_owned(&d, "s.log.1.gz"));
	assert_null(ledger_get(&led, "other"));
	unlinkat(d.fd, "s.log.2", 0);
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
		cmocka_unit_test(test_shift_never_moves_others),
		cmocka_unit_test(test_family_taken),
		cmocka_unit_test(test_compress_step),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_adopt_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
