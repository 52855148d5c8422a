#include "rotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"

unsigned rotate_plan_shift(const unsigned char *exists, unsigned n,
			   bool *drop_last)
{
	for (unsigned k = 0; k < n; k++) {
		if (!exists[k]) {
			*drop_last = false;
			return k;
		}
	}
	*drop_last = true;
	return n - 1;
}

void rotate_plan_trim(const struct rot_info *f, unsigned count,
		      const struct trim_limits *lim, bool *del)
{
	uint64_t total = 0;

	for (unsigned k = 0; k < count; k++) {
		del[k] = f[k].exists &&
			 (k >= lim->max_files ||
			  (lim->by_age && f[k].mtime < lim->cutoff));
		if (f[k].exists && !del[k])
			total += f[k].size;
	}
	if (!lim->by_size)
		return;
	for (unsigned k = count; k-- > 0 && total > lim->budget;) {
		if (f[k].exists && !del[k]) {
			del[k] = true;
			total -= f[k].size;
		}
	}
}

/* ---- file names ---- */

static void live_name(char out[IOERR_FILE_MAX], const char *base)
{
	snprintf(out, IOERR_FILE_MAX, "%s.log", base);
}

static void rotated_name(char out[IOERR_FILE_MAX], const char *base,
			 unsigned k, bool gz)
{
	snprintf(out, IOERR_FILE_MAX, "%s.log.%u%s", base, k, gz ? ".gz" : "");
}

/* Stats a file: 1 if it exists, 0 if not, -errno. */
static int stat_at(int dirfd, const char *name, struct stat *st)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* Fills what exists at index k. Returns 0 or -errno. */
static int probe(const struct rotate_cfg *c, const char *base, unsigned k,
		 struct rot_info *info, struct io_err *e)
{
	char name[IOERR_FILE_MAX];
	struct stat st;

	memset(info, 0, sizeof(*info));
	for (int gz = 0; gz < 2; gz++) {
		rotated_name(name, base, k, gz);
		int r = stat_at(c->dirfd, name, &st);
		if (r < 0)
			return io_fail(e, -r, "stat", name);
		if (r == 0)
			continue;
		if (!info->exists || st.st_mtim.tv_sec > info->mtime)
			info->mtime = st.st_mtim.tv_sec;
		info->exists |= gz ? ROT_GZ : ROT_PLAIN;
		info->size += (uint64_t)st.st_size;
	}
	return 0;
}

static int remove_at(const struct rotate_cfg *c, const char *name,
		     struct io_err *e)
{
	if (unlinkat(c->dirfd, name, 0) < 0 && errno != ENOENT)
		return io_fail(e, errno, "remove", name);
	return 0;
}

/* Deletes both variants of index k. */
static int remove_index(const struct rotate_cfg *c, const char *base,
			unsigned k, struct io_err *e)
{
	char name[IOERR_FILE_MAX];

	for (int gz = 0; gz < 2; gz++) {
		rotated_name(name, base, k, gz);
		if (remove_at(c, name, e) < 0)
			return -e->err;
	}
	return 0;
}

/* Moves both variants of index k-1 to k (a missing one is skipped). */
static int move_up(const struct rotate_cfg *c, const char *base, unsigned k,
		   struct io_err *e)
{
	char from[IOERR_FILE_MAX], to[IOERR_FILE_MAX];

	for (int gz = 0; gz < 2; gz++) {
		rotated_name(from, base, k - 1, gz);
		rotated_name(to, base, k, gz);
		if (renameat(c->dirfd, from, c->dirfd, to) < 0 && errno != ENOENT)
			return io_fail(e, errno, "rename", from);
	}
	return 0;
}

/* Shifts the rotated files up into the lowest free index and renames the
 * live file to .0. */
static int shift(const struct rotate_cfg *c, const char *base,
		 const char *live, struct io_err *e)
{
	char zero[IOERR_FILE_MAX];
	unsigned char *exists;
	struct rot_info info;
	bool drop;
	unsigned h;
	int r = 0;

	if (c->max_files == 0) /* nothing is kept */
		return remove_at(c, live, e);
	exists = calloc(c->max_files, 1);
	if (!exists)
		return io_fail(e, ENOMEM, "rotate", live);
	for (unsigned k = 0; k < c->max_files && r == 0; k++) {
		r = probe(c, base, k, &info, e);
		exists[k] = info.exists;
	}
	if (r == 0) {
		h = rotate_plan_shift(exists, c->max_files, &drop);
		if (drop)
			r = remove_index(c, base, h, e);
		for (unsigned k = h; k >= 1 && r == 0; k--)
			r = move_up(c, base, k, e);
	}
	free(exists);
	if (r < 0)
		return r;
	rotated_name(zero, base, 0, false);
	if (renameat(c->dirfd, live, c->dirfd, zero) < 0)
		return io_fail(e, errno, "rename", live);
	return 0;
}

static int step_shift(const struct rotate_cfg *c, const char *base,
		      struct io_err *e)
{
	char live[IOERR_FILE_MAX];
	struct stat st;
	int fd, r;

	live_name(live, base);
	r = stat_at(c->dirfd, live, &st);
	if (r < 0)
		return io_fail(e, -r, "stat", live);
	/* The rotated live file is never empty (it went over the size
	 * limit); the new one is, until the step is committed. */
	if (r == 1 && st.st_size > 0) {
		r = shift(c, base, live, e);
		if (r < 0)
			return r;
	}
	fd = openat(c->dirfd, live, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK, 0644);
	if (fd < 0)
		return io_fail(e, errno, "create", live);
	close(fd);
	if (c->sync && fsync(c->dirfd) < 0)
		return io_fail(e, errno, "fsync the directory of", live);
	return 0;
}

static int step_compress(const struct rotate_cfg *c, const char *base,
			 struct io_err *e)
{
	char plain[IOERR_FILE_MAX], gz[IOERR_FILE_MAX], tmp[IOERR_FILE_MAX];
	struct stat st;
	int r;

	rotated_name(plain, base, 0, false);
	rotated_name(gz, base, 0, true);
	snprintf(tmp, sizeof(tmp), "%s.log.0.gz.tmp", base);
	r = stat_at(c->dirfd, gz, &st);
	if (r < 0)
		return io_fail(e, -r, "stat", gz);
	if (r == 1) {
		/* The copy is durable (it was fsynced before its rename): the
		 * crash came before the original was removed. */
		if (remove_at(c, plain, e) < 0 || remove_at(c, tmp, e) < 0)
			return -e->err;
		return 0;
	}
	r = stat_at(c->dirfd, plain, &st);
	if (r < 0)
		return io_fail(e, -r, "stat", plain);
	if (r == 0) /* trimmed already, or --max-log-files 0 */
		return remove_at(c, tmp, e);
	return compress_file(c->dirfd, plain, gz, c->sync, e);
}

int rotate_step(const struct rotate_cfg *c, const char *base,
		enum rot_step step, int64_t now_s, struct io_err *e)
{
	int r;

	switch (step) {
	case ROT_SHIFT:
		r = step_shift(c, base, e);
		if (r < 0)
			return r;
		if (c->compress)
			return ROT_COMPRESS;
		break;
	case ROT_COMPRESS:
		r = step_compress(c, base, e);
		if (r < 0)
			return r;
		break;
	case ROT_NONE:
	default:
		break;
	}
	r = rotate_trim(c, base, now_s, e);
	return r < 0 ? r : ROT_NONE;
}

int rotate_trim(const struct rotate_cfg *c, const char *base, int64_t now_s,
		struct io_err *e)
{
	struct trim_limits lim = {
		.max_files = c->max_files,
		.by_age = c->max_age_s > 0,
		.cutoff = now_s - (int64_t)c->max_age_s,
		.by_size = c->max_total > 0,
		.budget = c->max_total > c->max_size ? c->max_total - c->max_size : 0,
	};
	unsigned cap = c->max_files + 16, count = 0;
	struct rot_info *info = malloc(cap * sizeof(*info));
	bool *del = malloc(cap * sizeof(*del));
	int r = 0;

	if (!info || !del) {
		free(info);
		free(del);
		return io_fail(e, ENOMEM, "trim", base);
	}
	/* Indexes 0..N-1, then any left past N (a smaller -max-log-files
	 * than last time). */
	for (;;) {
		if (count == cap) {
			unsigned ncap = cap * 2;
			struct rot_info *ni = realloc(info, ncap * sizeof(*ni));
			bool *nd = ni ? realloc(del, ncap * sizeof(*nd)) : NULL;
			if (ni)
				info = ni;
			if (nd)
				del = nd;
			if (!ni || !nd) {
				r = io_fail(e, ENOMEM, "trim", base);
				break;
			}
			cap = ncap;
		}
		r = probe(c, base, count, &info[count], e);
		if (r < 0)
			break;
		if (count >= c->max_files && !info[count].exists)
			break;
		count++;
		if (count > c->max_files + ROTATE_FILES_MAX)
			break;
	}
	if (r == 0) {
		rotate_plan_trim(info, count, &lim, del);
		for (unsigned k = count; k-- > 0 && r == 0;)
			if (del[k])
				r = remove_index(c, base, k, e);
	}
	free(info);
	free(del);
	return r;
}

/* Is name BASE.log.K or BASE.log.K.gz? */
static bool is_rotated(const char *name)
{
	size_t len = strlen(name), d;

	if (len > 3 && !strcmp(name + len - 3, ".gz"))
		len -= 3;
	for (d = 0; d < len && d < 6 && name[len - 1 - d] >= '0' &&
		    name[len - 1 - d] <= '9'; d++)
		;
	if (d == 0 || d > 5 || len < d + 5)
		return false;
	len -= d;
	if (memcmp(name + len - 5, ".log.", 5))
		return false;
	return len - 5 <= FILE_BASE_MAX && name_base_ok(name, len - 5);
}

int rotate_age_scan(const struct rotate_cfg *c, int64_t now_s,
		    struct io_err *e)
{
	int64_t cutoff = now_s - (int64_t)c->max_age_s;
	struct dirent *d;
	DIR *dir;
	int fd, r = 0;

	if (c->max_age_s == 0)
		return 0;
	fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(e, errno, "open", ".");
	dir = fdopendir(fd);
	if (!dir) {
		r = io_fail(e, errno, "open", ".");
		close(fd);
		return r;
	}
	while (r == 0 && (errno = 0, d = readdir(dir))) {
		struct stat st;

		if (!is_rotated(d->d_name))
			continue;
		if (fstatat(c->dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtim.tv_sec >= cutoff)
			continue;
		r = remove_at(c, d->d_name, e);
	}
	if (r == 0 && errno)
		r = io_fail(e, errno, "read", ".");
	closedir(dir);
	return r;
}
