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
#include "name.h"

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

static void tmp_name(char out[IOERR_FILE_MAX], const char *base)
{
	snprintf(out, IOERR_FILE_MAX, "%s.log.0.gz.tmp", base);
}

/* ---- whose files ---- */

int rotate_whose(const struct rotate_cfg *c, const struct owned *o,
		 const char *name, struct stat *st)
{
	if (fstatat(c->dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? WHOSE_NONE : -errno;
	if (S_ISREG(st->st_mode) && st->st_dev == c->dev && o &&
	    owned_has(o, (uint64_t)st->st_ino))
		return WHOSE_OURS;
	return WHOSE_OTHER;
}

/* A file logwrite made that the state does not have yet (a crash came
 * before the save; see rotate.h): taken into o's set if it is a regular
 * file. Returns WHOSE_OURS, WHOSE_OTHER or -errno. */
static int adopt(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		 const char *name, const struct stat *st)
{
	int r;

	if (!S_ISREG(st->st_mode) || st->st_dev != c->dev)
		return WHOSE_OTHER;
	r = owned_add(l, o, (uint64_t)st->st_ino);
	return r < 0 ? r : WHOSE_OURS;
}

/* Deletes name if it is o's. Returns 0 or -errno. */
static int remove_ours(const struct rotate_cfg *c, struct ledger *l,
		       struct owned *o, const char *name, struct io_err *e)
{
	struct stat st;
	int w = rotate_whose(c, o, name, &st);

	if (w < 0)
		return io_fail(e, -w, "stat", name);
	if (w != WHOSE_OURS)
		return 0;
	if (unlinkat(c->dirfd, name, 0) < 0 && errno != ENOENT)
		return io_fail(e, errno, "remove", name);
	owned_del(l, o, (uint64_t)st.st_ino);
	return 0;
}

/* Renames without ever replacing what is at to. */
static int rename_new(int dirfd, const char *from, const char *to)
{
	struct stat st;

	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: look first (logwrite holds
	 * the directory's lock, so only another program could race it). */
	if (fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dirfd, from, dirfd, to);
}

/* What exists at index k: info (o's files only) and other (the variants
 * taken by files that are not o's). Returns 0 or -errno. */
static int probe(const struct rotate_cfg *c, const struct owned *o,
		 const char *base, unsigned k, struct rot_info *info,
		 unsigned char *other, struct io_err *e)
{
	char name[IOERR_FILE_MAX];
	struct stat st;

	memset(info, 0, sizeof(*info));
	*other = 0;
	for (int gz = 0; gz < 2; gz++) {
		rotated_name(name, base, k, gz);
		int w = rotate_whose(c, o, name, &st);
		if (w < 0)
			return io_fail(e, -w, "stat", name);
		if (w == WHOSE_NONE)
			continue;
		if (w == WHOSE_OTHER) {
			*other |= gz ? ROT_GZ : ROT_PLAIN;
			continue;
		}
		if (!info->exists || st.st_mtim.tv_sec > info->mtime)
			info->mtime = st.st_mtim.tv_sec;
		info->exists |= gz ? ROT_GZ : ROT_PLAIN;
		info->size += (uint64_t)st.st_size;
	}
	return 0;
}

/* Deletes o's variants of index k. */
static int remove_index(const struct rotate_cfg *c, struct ledger *l,
			struct owned *o, unsigned k, struct io_err *e)
{
	char name[IOERR_FILE_MAX];

	for (int gz = 0; gz < 2; gz++) {
		rotated_name(name, o->base, k, gz);
		if (remove_ours(c, l, o, name, e) < 0)
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
		if (rename_new(c->dirfd, from, to) < 0 && errno != ENOENT)
			return io_fail(e, errno, "rename", from);
	}
	return 0;
}

int rotate_family_taken(const struct rotate_cfg *c, const struct owned *o,
			const char *base, char why[ROTATE_WHY_MAX],
			struct io_err *e)
{
	char name[IOERR_FILE_MAX];
	struct stat st;
	unsigned n = c->max_files ? c->max_files : 1;

	for (unsigned k = 0; k <= n; k++) {
		for (int gz = 0; gz < 2; gz++) {
			if (k == n)
				tmp_name(name, base);
			else
				rotated_name(name, base, k, gz);
			int w = rotate_whose(c, o, name, &st);
			if (w < 0)
				return io_fail(e, -w, "stat", name);
			if (w == WHOSE_OTHER) {
				snprintf(why, ROTATE_WHY_MAX, "%s is there and "
					 "was not created by logwrite", name);
				return 1;
			}
			if (k == n)
				break;
		}
	}
	return 0;
}

/* Shifts o's rotated files up into the lowest free index and renames the
 * live file to .0, unless that would move or replace a file that is not
 * logwrite's (why). */
static int shift(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		 const char *live, struct io_err *e, char why[ROTATE_WHY_MAX])
{
	char zero[IOERR_FILE_MAX];
	unsigned char *exists, *other;
	struct rot_info info;
	bool drop;
	unsigned h, last;
	int r = 0;

	if (c->max_files == 0) /* nothing is kept */
		return remove_ours(c, l, o, live, e);
	exists = calloc(c->max_files, 1);
	other = calloc(c->max_files, 1);
	if (!exists || !other) {
		free(exists);
		free(other);
		return io_fail(e, ENOMEM, "rotate", live);
	}
	for (unsigned k = 0; k < c->max_files && r == 0; k++) {
		r = probe(c, o, o->base, k, &info, &other[k], e);
		exists[k] = info.exists | other[k];
	}
	if (r == 0) {
		h = rotate_plan_shift(exists, c->max_files, &drop);
		/* Indexes 0..h-1 move up, and with drop h goes first. */
		last = drop ? h : (h ? h - 1 : 0);
		for (unsigned k = 0; k <= last && (h || drop); k++) {
			if (!other[k])
				continue;
			rotated_name(zero, o->base, k, !(other[k] & ROT_PLAIN));
			snprintf(why, ROTATE_WHY_MAX, "%s was not created by "
				 "logwrite", zero);
			free(exists);
			free(other);
			return 0;
		}
		if (drop)
			r = remove_index(c, l, o, h, e);
		for (unsigned k = h; k >= 1 && r == 0; k--)
			r = move_up(c, o->base, k, e);
	}
	free(exists);
	free(other);
	if (r < 0)
		return r;
	rotated_name(zero, o->base, 0, false);
	if (rename_new(c->dirfd, live, zero) < 0)
		return io_fail(e, errno, "rename", live);
	return 0;
}

static int step_shift(const struct rotate_cfg *c, struct ledger *l,
		      struct owned *o, struct io_err *e,
		      char why[ROTATE_WHY_MAX])
{
	char live[IOERR_FILE_MAX];
	struct stat st;
	int fd, w;

	live_name(live, o->base);
	w = rotate_whose(c, o, live, &st);
	if (w < 0)
		return io_fail(e, -w, "stat", live);
	/* An empty BASE.log that is not in the set is the new live file of
	 * a shift a crash stopped before the state had it. */
	if (w == WHOSE_OTHER && st.st_size == 0) {
		w = adopt(c, l, o, live, &st);
		if (w < 0)
			return io_fail(e, -w, "rotate", live);
	}
	if (w == WHOSE_OTHER) {
		snprintf(why, ROTATE_WHY_MAX, "%s was not created by logwrite",
			 live);
		return 0;
	}
	/* The rotated live file is never empty (it went over the size
	 * limit); the new one is, until the step is committed. */
	if (w == WHOSE_OURS && st.st_size > 0) {
		if (!ledger_room(l, 1)) {
			snprintf(why, ROTATE_WHY_MAX, "logwrite keeps track of "
				 "%u files already", LEDGER_FILES_MAX);
			return 0;
		}
		int r = shift(c, l, o, live, e, why);
		if (r < 0 || why[0])
			return r;
		w = WHOSE_NONE;
	}
	if (w == WHOSE_NONE) {
		fd = openat(c->dirfd, live, O_WRONLY | O_CREAT | O_EXCL |
			    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
		if (fd < 0)
			return io_fail(e, errno, "create", live);
		if (fstat(fd, &st) < 0) {
			int err = errno;
			close(fd);
			return io_fail(e, err, "stat", live);
		}
		close(fd);
		int r = owned_add(l, o, (uint64_t)st.st_ino);
		if (r < 0)
			return io_fail(e, -r, "create", live);
	}
	if (c->sync && fsync(c->dirfd) < 0)
		return io_fail(e, errno, "fsync the directory of", live);
	return 0;
}

static int step_compress(const struct rotate_cfg *c, struct ledger *l,
			 struct owned *o, struct io_err *e,
			 char why[ROTATE_WHY_MAX])
{
	char plain[IOERR_FILE_MAX], gz[IOERR_FILE_MAX], tmp[IOERR_FILE_MAX];
	struct stat st, pst;
	uint64_t ino;
	int w, r;

	rotated_name(plain, o->base, 0, false);
	rotated_name(gz, o->base, 0, true);
	tmp_name(tmp, o->base);
	w = rotate_whose(c, o, gz, &st);
	if (w == WHOSE_OTHER)
		w = adopt(c, l, o, gz, &st); /* renamed before a crash */
	if (w < 0)
		return io_fail(e, -w, "stat", gz);
	if (w == WHOSE_OTHER) { /* not a regular file: not logwrite's */
		snprintf(why, ROTATE_WHY_MAX, "%s was not created by logwrite",
			 gz);
		return 0;
	}
	if (w == WHOSE_OURS) {
		/* The copy is durable (it was fsynced before its rename): the
		 * crash came before the original was removed. */
		if (remove_ours(c, l, o, plain, e) < 0)
			return -e->err;
	}
	w = rotate_whose(c, o, tmp, &st);
	if (w == WHOSE_OTHER)
		w = adopt(c, l, o, tmp, &st); /* half written before a crash */
	if (w < 0)
		return io_fail(e, -w, "stat", tmp);
	if (w == WHOSE_OTHER) {
		snprintf(why, ROTATE_WHY_MAX, "%s was not created by logwrite",
			 tmp);
		return 0;
	}
	if (w == WHOSE_OURS && remove_ours(c, l, o, tmp, e) < 0)
		return -e->err;
	w = rotate_whose(c, o, plain, &pst);
	if (w < 0)
		return io_fail(e, -w, "stat", plain);
	if (w != WHOSE_OURS) /* compressed, trimmed, or -max-log-files 0 */
		return 0;
	r = compress_file(c->dirfd, plain, gz, c->sync, &ino, e);
	if (r < 0)
		return r;
	owned_del(l, o, (uint64_t)pst.st_ino);
	r = owned_add(l, o, ino);
	return r < 0 ? io_fail(e, -r, "compress", gz) : 0;
}

int rotate_step(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		enum rot_step step, int64_t now_s, struct io_err *e,
		char why[ROTATE_WHY_MAX])
{
	int r;

	why[0] = '\0';
	switch (step) {
	case ROT_SHIFT:
		r = step_shift(c, l, o, e, why);
		if (r < 0 || why[0])
			return r < 0 ? r : ROT_NONE;
		if (c->compress)
			return ROT_COMPRESS;
		break;
	case ROT_COMPRESS:
		r = step_compress(c, l, o, e, why);
		if (r < 0)
			return r;
		break;
	case ROT_NONE:
	default:
		break;
	}
	r = rotate_trim(c, l, o, now_s, e);
	return r < 0 ? r : ROT_NONE;
}

int rotate_trim(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		int64_t now_s, struct io_err *e)
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
	unsigned char other;
	int r = 0;

	if (!info || !del) {
		free(info);
		free(del);
		return io_fail(e, ENOMEM, "trim", o->base);
	}
	/* Indexes 0..N-1, then any left past N (a smaller -max-log-files
	 * than last time). Files that are not logwrite's are passed over. */
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
				r = io_fail(e, ENOMEM, "trim", o->base);
				break;
			}
			cap = ncap;
		}
		r = probe(c, o, o->base, count, &info[count], &other, e);
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
				r = remove_index(c, l, o, k, e);
	}
	free(info);
	free(del);
	return r;
}

/* ---- the whole directory ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct seen {
	uint64_t *inos;
	size_t n;
	size_t cap;
};

static int seen_add(struct seen *v, uint64_t ino)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? 2 * v->cap : 256;
		uint64_t *ni = realloc(v->inos, ncap * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		v->inos = ni;
		v->cap = ncap;
	}
	v->inos[v->n++] = ino;
	return 0;
}

static bool seen_has(const struct seen *v, uint64_t ino)
{
	return v->n && bsearch(&ino, v->inos, v->n, sizeof(ino), cmp_u64);
}

/* Forgets the inodes no file of the family has any more. */
static void forget_unseen(struct ledger *l, struct seen *v)
{
	if (v->n)
		qsort(v->inos, v->n, sizeof(*v->inos), cmp_u64);
	for (size_t i = 0; i < l->n; i++) {
		struct owned *o = l->all[i];
		for (size_t k = o->n; k-- > 0;)
			if (!seen_has(v, o->inos[k]))
				owned_del(l, o, o->inos[k]);
	}
	ledger_prune(l);
}

/* Calls fn for each file of the directory that is named as one of the
 * ledger's families names its files, with the family (o) and the parsed
 * name; stops at fn's first error (an io_fail). */
typedef int (*owned_file_fn)(const struct rotate_cfg *c, struct ledger *l,
			     struct owned *o, const char *name,
			     const struct file_name *fn, void *ctx,
			     struct io_err *e);

static int each_family_file(const struct rotate_cfg *c, struct ledger *l,
			    owned_file_fn fn, void *ctx, struct io_err *e)
{
	struct dirent *d;
	DIR *dir;
	int fd, r = 0;

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
		char base[FILE_BASE_MAX + 1];
		struct file_name name;
		struct owned *o;

		if (!name_file_parse(d->d_name, &name))
			continue;
		memcpy(base, d->d_name, name.base_len);
		base[name.base_len] = '\0';
		o = ledger_get(l, base);
		if (o)
			r = fn(c, l, o, d->d_name, &name, ctx, e);
	}
	if (r == 0 && errno)
		r = io_fail(e, errno, "read", ".");
	closedir(dir);
	return r;
}

struct scan {
	int64_t cutoff;
	struct seen seen;
};

static int scan_one(const struct rotate_cfg *c, struct ledger *l,
		    struct owned *o, const char *name,
		    const struct file_name *fn, void *ctx, struct io_err *e)
{
	struct scan *sc = ctx;
	struct stat st;
	int w = rotate_whose(c, o, name, &st);

	if (w < 0)
		return io_fail(e, -w, "stat", name);
	if (w != WHOSE_OURS)
		return 0;
	if (c->max_age_s && st.st_mtim.tv_sec < sc->cutoff &&
	    (fn->kind == NAME_ROTATED || fn->kind == NAME_ROTATED_GZ))
		return remove_ours(c, l, o, name, e);
	if (seen_add(&sc->seen, (uint64_t)st.st_ino) < 0)
		return io_fail(e, ENOMEM, "scan", ".");
	return 0;
}

int rotate_scan(const struct rotate_cfg *c, struct ledger *l, int64_t now_s,
		const uint64_t *keep, size_t nkeep, struct io_err *e)
{
	struct scan sc = { .cutoff = now_s - (int64_t)c->max_age_s };
	int r = 0;

	for (size_t i = 0; i < nkeep && r == 0; i++)
		r = seen_add(&sc.seen, keep[i]);
	if (r < 0)
		r = io_fail(e, ENOMEM, "scan", ".");
	if (r == 0)
		r = each_family_file(c, l, scan_one, &sc, e);
	/* Only a whole pass can tell what is gone. */
	if (r == 0)
		forget_unseen(l, &sc.seen);
	free(sc.seen.inos);
	return r;
}

static int adopt_one(const struct rotate_cfg *c, struct ledger *l,
		     struct owned *o, const char *name,
		     const struct file_name *fn, void *ctx, struct io_err *e)
{
	struct stat st;
	(void)fn;
	(void)ctx;

	if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : io_fail(e, errno, "stat", name);
	if (S_ISREG(st.st_mode) && st.st_dev == c->dev) {
		int k = owned_add(l, o, (uint64_t)st.st_ino);
		if (k < 0)
			return io_fail(e, -k, "take", name);
	}
	return 0;
}

int rotate_adopt_all(const struct rotate_cfg *c, struct ledger *l,
		     struct io_err *e)
{
	return each_family_file(c, l, adopt_one, NULL, e);
}
