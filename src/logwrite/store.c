#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notice.h"
#include "util.h"

/* ---- the table of open files ---- */

static size_t hash_base(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

static struct lw_file *lookup(const struct store *s, const char *base)
{
	struct lw_file *f = s->hash[hash_base(base) & (s->nbuckets - 1)];

	while (f && strcmp(f->base, base))
		f = f->hnext;
	return f;
}

static void hash_insert(struct store *s, struct lw_file *f)
{
	struct lw_file **b = &s->hash[hash_base(f->base) & (s->nbuckets - 1)];

	f->hnext = *b;
	*b = f;
}

/* Keeps at most one file per bucket on average. */
static int hash_grow(struct store *s)
{
	size_t nb = s->nbuckets * 2;
	struct lw_file **h = calloc(nb, sizeof(*h));

	if (!h)
		return -ENOMEM;
	free(s->hash);
	s->hash = h;
	s->nbuckets = nb;
	for (size_t i = 0; i < s->nfiles; i++)
		hash_insert(s, s->files[i]);
	return 0;
}

static void file_free(struct lw_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f);
}

static int table_add(struct store *s, struct lw_file *f)
{
	if (s->nfiles == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 64;
		struct lw_file **nf = realloc(s->files, ncap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		s->files = nf;
		s->cap = ncap;
	}
	if (s->nfiles >= s->nbuckets && hash_grow(s) < 0)
		return -ENOMEM;
	s->files[s->nfiles++] = f;
	hash_insert(s, f);
	return 0;
}

static void hash_unlink(struct store *s, struct lw_file *f)
{
	struct lw_file **p = &s->hash[hash_base(f->base) & (s->nbuckets - 1)];

	while (*p != f)
		p = &(*p)->hnext;
	*p = f->hnext;
	if (s->last == f)
		s->last = NULL;
	if (s->notice_file == f)
		s->notice_file = NULL;
	if (f->parked)
		s->nparked--;
}

/* Removes files[i] (the last one takes its place). */
static void table_remove(struct store *s, size_t i)
{
	struct lw_file *f = s->files[i];

	hash_unlink(s, f);
	s->files[i] = s->files[--s->nfiles];
	file_free(f);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void live_name(char out[IOERR_FILE_MAX], const char *base)
{
	snprintf(out, IOERR_FILE_MAX, "%s.log", base);
}

/* Is this open() failure one of this file only (its name is taken by
 * something that is not a file logwrite can append to), rather than one
 * of the disk? */
static bool file_only(int err)
{
	switch (err) {
	case ELOOP: case EISDIR: case ENXIO: case ENODEV: case ETXTBSY:
	case EACCES: case EPERM: case ENAMETOOLONG: case EEXIST:
	case EOVERFLOW: case EFBIG: case ENOTDIR: case EWOULDBLOCK:
		return true;
	default:
		return false;
	}
}

static void why_errno(char why[STORE_WHY_MAX], int err)
{
	switch (err) {
	case ELOOP:
		snprintf(why, STORE_WHY_MAX, "it is a symbolic link");
		break;
	case EISDIR:
		snprintf(why, STORE_WHY_MAX, "it is a directory");
		break;
	case ENXIO:
		snprintf(why, STORE_WHY_MAX, "it is a FIFO without a reader "
			 "or a socket");
		break;
	default:
		snprintf(why, STORE_WHY_MAX, "%s", strerror(err));
		break;
	}
}

static void why_mode(char why[STORE_WHY_MAX], mode_t mode)
{
	snprintf(why, STORE_WHY_MAX, "it is %s",
		 S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device" :
		 S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" :
		 S_ISDIR(mode) ? "a directory" : "not a regular file");
}

/* Opens (creating) f's live file for appending; f->size is its length.
 * Returns 0; 1 when this file cannot be written (why says why: it is
 * parked by the caller); -errno for a failure of the disk (s->err). It
 * never blocks: O_NONBLOCK (a FIFO), and the type is checked on the fd. */
static int file_open(struct store *s, struct lw_file *f,
		     char why[STORE_WHY_MAX])
{
	char name[IOERR_FILE_MAX];
	struct stat st;
	int fd;

	live_name(name, f->base);
	fd = openat(s->cfg->dirfd, name, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
	if (fd < 0 && file_only(errno)) {
		why_errno(why, errno);
		return 1;
	}
	if (fd < 0)
		return io_fail(&s->err, errno, "open", name);
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return io_fail(&s->err, e, "stat", name);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		why_mode(why, st.st_mode);
		return 1;
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	s->dir_dirty = true; /* it may have been created */
	return 0;
}

/* ---- notices ---- */

static void notice_put(struct store *s, const char *msg);

enum { TO_STDERR = 1, TO_FILE = 2 };

static void notice(struct store *s, unsigned to, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Says a notice on stderr and (TO_FILE) writes it into memlogd.log as a
 * line of logwrite, "logwrite: ..." as memlogd's are "memlogd: ..."
 * (notice.h). */
static void notice(struct store *s, unsigned to, const char *fmt, ...)
{
	static const char prefix[] = NOTICE_SOURCE ": ";
	char msg[512];
	va_list ap;

	memcpy(msg, prefix, sizeof(prefix));
	va_start(ap, fmt);
	vsnprintf(msg + sizeof(prefix) - 1, sizeof(msg) - sizeof(prefix) + 1,
		  fmt, ap);
	va_end(ap);
	if ((to & TO_STDERR) && s->cfg->say)
		s->cfg->say(s->cfg->say_ctx, msg + sizeof(prefix) - 1);
	if (to & TO_FILE)
		notice_put(s, msg);
}

static void park_let_go(struct store *s, const struct lw_file *keep);

/* Parks f: its file cannot be written (why). Said on stderr once per
 * process, and in memlogd.log when it was not parked before (a park
 * read back from the state was noticed then). */
static void park(struct store *s, struct lw_file *f, const char *why)
{
	uint64_t now = now_mono_ms();
	unsigned to = f->parked ? TO_STDERR : TO_STDERR | TO_FILE;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->len = 0;
	f->unsynced = false;
	f->in_state = false;
	if (!f->parked) {
		f->parked = true;
		s->nparked++;
		backoff_init(&f->retry, PARK_RETRY_MIN_MS, PARK_RETRY_MAX_MS);
		f->noticed_at = now;
	}
	f->retry_at = now + backoff_next(&f->retry);
	if (!f->said) {
		f->said = true;
		notice(s, to, "not writing %s.log in %s: %s; its entries are "
		       "dropped and counted until that changes", f->base,
		       s->cfg->dir_name, why);
	}
	if (s->nparked > PARK_MAX)
		park_let_go(s, f);
}

/* The count of a parked file's dropped entries into a notice. */
static void park_count(struct store *s, struct lw_file *f, const char *tail)
{
	if (f->dropped)
		notice(s, TO_STDERR | TO_FILE,
		       "%llu entries for %s.log were dropped%s",
		       (unsigned long long)f->dropped, f->base, tail);
	f->dropped = 0;
	f->noticed_at = now_mono_ms();
}

/* Too many parked files: the one used longest ago is forgotten (its
 * count noticed first); if its name is still taken it is parked again
 * when its source writes. */
static void park_let_go(struct store *s, const struct lw_file *keep)
{
	struct lw_file *old = NULL;
	size_t at = 0;

	for (size_t i = 0; i < s->nfiles; i++) {
		struct lw_file *f = s->files[i];
		if (f->parked && f != keep && (!old || f->used < old->used)) {
			old = f;
			at = i;
		}
	}
	if (!old)
		return;
	park_count(s, old, "");
	hash_unlink(s, old);
	s->files[at] = s->files[--s->nfiles];
	file_free(old);
}

/* A parked file's next try, when it is due. Returns 0 (f->parked says
 * whether it still is) or -errno for a failure of the disk. */
static int park_try(struct store *s, struct lw_file *f)
{
	char why[STORE_WHY_MAX];
	uint64_t now = now_mono_ms();
	int r;

	if (now < f->retry_at)
		return 0;
	r = file_open(s, f, why);
	if (r < 0)
		return r;
	if (r > 0) {
		park(s, f, why);
		return 0;
	}
	f->parked = false;
	s->nparked--;
	f->committed = f->size;
	f->in_state = false; /* pre-committed before its first bytes */
	f->said = false;
	park_count(s, f, " while it could not be written");
	notice(s, TO_STDERR | TO_FILE, "writing %s.log again", f->base);
	return 0;
}

/* A new table entry for base, its file open or the entry parked;
 * committed is its length now (an unlisted file holds nothing
 * uncommitted). NULL after a failure of the disk or memory (s->err). */
static struct lw_file *file_new(struct store *s, const char *base)
{
	char why[STORE_WHY_MAX];
	struct lw_file *f = calloc(1, sizeof(*f));
	int r;

	if (!f) {
		io_fail(&s->err, ENOMEM, "allocate", base);
		return NULL;
	}
	snprintf(f->base, sizeof(f->base), "%s", base);
	f->fd = -1;
	f->used = s->commits;
	if (table_add(s, f) < 0) {
		io_fail(&s->err, ENOMEM, "allocate", base);
		file_free(f);
		return NULL;
	}
	r = file_open(s, f, why);
	if (r < 0) {
		hash_unlink(s, f);
		s->nfiles--; /* it is the last one */
		file_free(f);
		return NULL;
	}
	if (r > 0)
		park(s, f, why);
	f->committed = f->size;
	return f;
}

/* memlogd.log for a notice, pinned; NULL when it cannot be written (the
 * notice is then on stderr only). */
static struct lw_file *notice_target(struct store *s)
{
	struct lw_file *f = s->notice_file;

	if (!f) {
		f = lookup(s, NOTICE_BASE);
		if (!f) {
			struct io_err keep = s->err;
			f = file_new(s, NOTICE_BASE);
			/* A failing disk shows at the next write; the notice
			 * is on stderr meanwhile. */
			s->err = keep;
			if (!f)
				return NULL;
		}
		f->pinned = true;
		s->notice_file = f;
	}
	return f->parked ? NULL : f;
}

/* ---- committing ---- */

/* Saves a state file listing every open file and every parked one.
 * sizes: at its current length and count (else at its committed ones,
 * which go with the durable cursor). */
static int save_state(struct store *s, const char *cursor, bool sizes,
		      enum rot_step step, const struct lw_file *rot)
{
	struct state_text t;
	const char *op = "save";
	int r;

	state_text_begin(&s->text, cursor);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct lw_file *f = s->files[i];
		if (!f->parked)
			state_text_file(&s->text, f->base,
					sizes ? f->size : f->committed);
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct lw_file *f = s->files[i];
		if (f->parked)
			state_text_park(&s->text, f->base,
					sizes ? f->dropped : f->dropped_durable);
	}
	if (rot)
		state_text_rotate(&s->text, step, rot->base, rot->size);
	if (state_text_end(&s->text) < 0)
		return io_fail(&s->err, ENOMEM, "build", s->cfg->state_name);
	r = state_save(s->cfg->state_dirfd, s->cfg->state_name, s->text.buf,
		       s->text.len, s->cfg->sync != LW_SYNC_NONE, &op);
	if (r < 0)
		return io_fail(&s->err, -r, op, s->cfg->state_name);
	/* The text just saved is the durable one now; keep it for a
	 * recovery and reuse the old buffer next time. */
	t = s->durable;
	s->durable = s->text;
	s->text = t;
	if (cursor != s->durable_cursor)
		snprintf(s->durable_cursor, sizeof(s->durable_cursor), "%s", cursor);
	return 0;
}

/* Lists files that are about to get their first bytes, at their current
 * length, with the old cursor: the pre-commit (see store.h). */
static int precommit(struct store *s)
{
	bool need = false;
	int r;

	for (size_t i = 0; i < s->nfiles && !need; i++)
		need = s->files[i]->len > 0 && !s->files[i]->in_state &&
		       !s->files[i]->parked;
	if (!need)
		return 0;
	r = save_state(s, s->durable_cursor, false, ROT_NONE, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->nfiles; i++)
		s->files[i]->in_state = !s->files[i]->parked;
	return 0;
}

static int write_file(struct store *s, struct lw_file *f)
{
	size_t done = 0;

	while (done < f->len) {
		ssize_t n = write(f->fd, f->buf + done, f->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			char name[IOERR_FILE_MAX];
			live_name(name, f->base);
			return io_fail(&s->err, errno, "write", name);
		}
		done += (size_t)n;
		f->size += (uint64_t)n;
	}
	f->len = 0;
	f->unsynced = true;
	return 0;
}

static int write_all_files(struct store *s)
{
	int r = precommit(s);

	for (size_t i = 0; i < s->nfiles && r == 0; i++)
		if (s->files[i]->len)
			r = write_file(s, s->files[i]);
	return r;
}

static int sync_files(struct store *s)
{
	if (s->cfg->sync == LW_SYNC_NONE)
		return 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		struct lw_file *f = s->files[i];
		if (!f->unsynced)
			continue;
		if (fdatasync(f->fd) < 0) {
			char name[IOERR_FILE_MAX];
			live_name(name, f->base);
			return io_fail(&s->err, errno, "fsync", name);
		}
		f->unsynced = false;
	}
	if (s->dir_dirty) {
		if (fsync(s->cfg->dirfd) < 0)
			return io_fail(&s->err, errno, "fsync", ".");
		s->dir_dirty = false;
	}
	return 0;
}

/* Writes and syncs everything, then saves the state with the current
 * cursor and the rotation step given (for rot). */
static int commit_with(struct store *s, enum rot_step step,
		       const struct lw_file *rot)
{
	int r = write_all_files(s);

	if (r == 0)
		r = sync_files(s);
	if (r == 0)
		r = save_state(s, s->cursor, true, step, rot);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->nfiles; i++) {
		s->files[i]->committed = s->files[i]->size;
		s->files[i]->dropped_durable = s->files[i]->dropped;
		s->files[i]->in_state = !s->files[i]->parked;
	}
	s->dirty = false;
	s->commits++;
	return 0;
}

/* Files that hold an fd and may be closed to make room. */
static bool evictable(const struct lw_file *f)
{
	return !f->parked && !f->pinned;
}

static int cmp_used(const void *a, const void *b)
{
	const struct lw_file *x = *(struct lw_file *const *)a;
	const struct lw_file *y = *(struct lw_file *const *)b;

	if (evictable(x) != evictable(y))
		return evictable(x) ? -1 : 1;
	return x->used < y->used ? -1 : x->used > y->used;
}

/* Closes the files written longest ago when too many are open. Right
 * after a commit they hold nothing uncommitted, so they may leave the
 * list (the next state omits them). Parked files hold no fd and stay
 * (up to PARK_MAX); memlogd.log stays while notices go there. */
static void evict(struct store *s)
{
	size_t n, open = s->nfiles - s->nparked;

	if (open < STORE_OPEN_MAX)
		return;
	qsort(s->files, s->nfiles, sizeof(*s->files), cmp_used);
	n = open - STORE_OPEN_MAX * 3 / 4;
	for (size_t i = 0; i < n && evictable(s->files[i]); i++) {
		hash_unlink(s, s->files[i]);
		file_free(s->files[i]);
		s->files[i] = NULL;
	}
	for (size_t i = 0, k = 0; i < s->nfiles; i++) {
		if (s->files[i])
			s->files[k++] = s->files[i];
		if (i + 1 == s->nfiles)
			s->nfiles = k;
	}
}

int store_commit(struct store *s)
{
	int r;

	if (!s->dirty)
		return 0;
	r = commit_with(s, ROT_NONE, NULL);
	if (r == 0)
		evict(s);
	return r;
}

/* Runs a rotation of f from step on, committing each next step. The
 * state already records step. */
static int run_rotation(struct store *s, struct lw_file *f, enum rot_step step)
{
	/* The live file is renamed in the shift; it stays open otherwise. */
	if (step == ROT_SHIFT && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	while (step != ROT_NONE) {
		int next = rotate_step(&s->cfg->rot, f->base, step, now_s(),
				       &s->err);
		if (next < 0)
			return next;
		if (step == ROT_SHIFT) {
			/* The new live file. */
			char why[STORE_WHY_MAX];
			int r = file_open(s, f, why);
			if (r < 0)
				return r;
			if (r > 0)
				park(s, f, why);
			f->committed = f->size;
		}
		step = (enum rot_step)next;
		int r = commit_with(s, step, step == ROT_NONE ? NULL : f);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rotate(struct store *s, struct lw_file *f)
{
	/* The live file is complete: make it and the cursor durable, with
	 * the rotation's first step. */
	int r = commit_with(s, ROT_SHIFT, f);

	if (r < 0)
		return r;
	return run_rotation(s, f, ROT_SHIFT);
}

/* ---- entries ---- */

static struct lw_file *file_for(struct store *s, struct lw_field src,
				struct lw_field stream)
{
	char base[FILE_BASE_MAX + 1];
	struct lw_file *f;

	if (s->last && src.len == s->last_src_len &&
	    (src.len == 0 || !memcmp(src.ptr, s->last_src, src.len)) &&
	    stream.len == s->last_stream_len &&
	    (stream.len == 0 || !memcmp(stream.ptr, s->last_stream, stream.len)))
		return s->last;
	name_file_base(src.ptr, src.len, stream.ptr, stream.len, base);
	f = lookup(s, base);
	if (!f) {
		/* Room for it: commit (any entry boundary will do) so that
		 * the files written longest ago can be closed. */
		if (s->nfiles - s->nparked >= STORE_OPEN_MAX) {
			if (s->dirty && commit_with(s, ROT_NONE, NULL) < 0)
				return NULL;
			evict(s);
		}
		f = file_new(s, base);
		if (!f)
			return NULL;
	}
	s->last = f;
	if (src.len <= sizeof(s->last_src) && stream.len <= NAME_STREAM_MAX) {
		if (stream.len)
			memcpy(s->last_stream, stream.ptr, stream.len);
		s->last_stream_len = stream.len;
		if (src.len)
			memcpy(s->last_src, src.ptr, src.len);
		s->last_src_len = src.len;
	} else {
		s->last_src_len = SIZE_MAX;
	}
	return f;
}

static int reserve(struct store *s, struct lw_file *f, size_t n)
{
	if (f->cap - f->len >= n)
		return 0;
	size_t ncap = f->cap ? f->cap : 4096;
	while (ncap - f->len < n)
		ncap *= 2;
	char *nb = realloc(f->buf, ncap);
	if (!nb)
		return io_fail(&s->err, ENOMEM, "allocate a buffer for", f->base);
	f->buf = nb;
	f->cap = ncap;
	return 0;
}

static void notice_put(struct store *s, const char *msg)
{
	enum lw_format fmt = s->cfg->format;
	struct notice n;
	struct lw_file *f = notice_target(s);

	if (!f || notice_build(&n, fmt, msg, now_realtime_ns()) < 0)
		return;
	if (reserve(s, f, format_bound(fmt, &n.e)) == 0) {
		f->len += format_entry(fmt, &n.e, f->buf + f->len);
		f->used = s->commits;
		s->dirty = true;
	} else {
		memset(&s->err, 0, sizeof(s->err));
	}
	notice_free(&n);
}

/* An entry for a parked file: dropped, counted, and the cursor moves on
 * past it. */
static void drop(struct store *s, struct lw_file *f, const struct lw_entry *e)
{
	f->dropped++;
	f->used = s->commits;
	memcpy(s->cursor, e->cursor.ptr, e->cursor.len);
	s->cursor[e->cursor.len] = '\0';
	s->dirty = true;
	if (now_mono_ms() >= f->noticed_at + PARK_NOTICE_MS)
		park_count(s, f, " so far; it still cannot be written");
}

int store_append(struct store *s, const struct lw_entry *e)
{
	enum lw_format fmt = s->cfg->format;
	struct lw_file *f = file_for(s, e->source, e->stream);
	int r;

	if (!f)
		return -s->err.err;
	if (f->parked) {
		r = park_try(s, f);
		if (r < 0)
			return r;
		if (f->parked) {
			drop(s, f, e);
			return s->cfg->sync == LW_SYNC_ENTRY ? store_commit(s) : 0;
		}
	}
	r = reserve(s, f, format_bound(fmt, e));
	if (r < 0)
		return r;
	f->len += format_entry(fmt, e, f->buf + f->len);
	f->used = s->commits;
	memcpy(s->cursor, e->cursor.ptr, e->cursor.len);
	s->cursor[e->cursor.len] = '\0';
	s->dirty = true;
	if (f->size + f->len > s->cfg->rot.max_size)
		return rotate(s, f);
	if (s->cfg->sync == LW_SYNC_ENTRY)
		return store_commit(s);
	if (f->len >= STORE_FLUSH_AT) {
		r = precommit(s);
		if (r == 0)
			r = write_file(s, f);
	}
	return r;
}

/* ---- start, failure, recovery ---- */

int store_init(struct store *s, const struct store_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->nbuckets = 64;
	s->hash = calloc(s->nbuckets, sizeof(*s->hash));
	s->last_src_len = SIZE_MAX;
	return s->hash ? 0 : -ENOMEM;
}

void store_drop(struct store *s)
{
	while (s->nfiles)
		table_remove(s, s->nfiles - 1);
	s->last = NULL;
	s->last_src_len = SIZE_MAX;
	memcpy(s->cursor, s->durable_cursor, sizeof(s->cursor));
	s->dirty = false;
	memset(&s->err, 0, sizeof(s->err));
}

void store_free(struct store *s)
{
	store_drop(s);
	free(s->files);
	free(s->hash);
	state_text_free(&s->durable);
	state_text_free(&s->text);
	memset(s, 0, sizeof(*s));
}

/* Opens a listed file and cuts what was written after its last commit.
 * (A notice may have opened it already.) */
static int recover_file(struct store *s, const struct state_file *sf)
{
	struct lw_file *f = lookup(s, sf->base);

	if (!f)
		f = file_new(s, sf->base);
	if (!f)
		return -s->err.err;
	if (f->parked) /* its name is taken now: nothing of ours to cut */
		return 0;
	if (f->size > sf->committed) {
		if (ftruncate(f->fd, (off_t)sf->committed) < 0) {
			char name[IOERR_FILE_MAX];
			live_name(name, f->base);
			return io_fail(&s->err, errno, "truncate", name);
		}
		f->size = sf->committed;
		f->unsynced = true;
	}
	/* A file shorter than its committed length was cut or replaced by
	 * someone else; it is taken as it is. */
	f->committed = f->size;
	f->in_state = true;
	return 0;
}

/* A file parked in the durable state: parked again, its count kept, and
 * tried at its source's next entry (no new notice). */
static int recover_park(struct store *s, const struct state_park *sp)
{
	struct lw_file *f = lookup(s, sp->base);

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (f)
			snprintf(f->base, sizeof(f->base), "%s", sp->base);
		if (!f || table_add(s, f) < 0) {
			free(f);
			return io_fail(&s->err, ENOMEM, "allocate", sp->base);
		}
		f->fd = -1;
		f->used = s->commits;
	} else if (!f->parked) { /* memlogd.log, opened by a notice */
		return 0;
	}
	if (!f->parked) {
		f->parked = true;
		s->nparked++;
		backoff_init(&f->retry, PARK_RETRY_MIN_MS, PARK_RETRY_MAX_MS);
		f->noticed_at = now_mono_ms();
	}
	f->dropped += sp->dropped;
	f->dropped_durable = f->dropped;
	f->retry_at = 0;
	return 0;
}

int store_retry(struct store *s)
{
	struct lw_state st;
	char err[STATE_ERR_MAX];
	int r = 0;

	store_drop(s);
	memset(&st, 0, sizeof(st));
	if (s->durable.len) {
		r = state_parse(s->durable.buf, s->durable.len, &st, err);
		if (r < 0) /* our own text: only ENOMEM can fail */
			return io_fail(&s->err, -r, "read back", s->cfg->state_name);
	}
	snprintf(s->durable_cursor, sizeof(s->durable_cursor), "%s", st.cursor);
	memcpy(s->cursor, s->durable_cursor, sizeof(s->cursor));
	for (size_t i = 0; i < st.nparks && r == 0; i++)
		r = recover_park(s, &st.parks[i]);
	for (size_t i = 0; i < st.nfiles && r == 0; i++)
		r = recover_file(s, &st.files[i]);
	if (r == 0 && st.rot_step != ROT_NONE) {
		struct lw_file *f = lookup(s, st.rot_base);
		if (!f)
			f = file_new(s, st.rot_base);
		if (!f)
			r = -s->err.err;
		else if (!f->parked) /* else its live file is not ours now */
			r = run_rotation(s, f, st.rot_step);
	}
	state_free(&st);
	if (r == 0) {
		/* A baseline: the state now lists exactly the open files. */
		r = commit_with(s, ROT_NONE, NULL);
	}
	if (r < 0) {
		struct io_err keep = s->err;
		store_drop(s);
		s->err = keep;
	}
	return r;
}

int store_start(struct store *s, const char *text, size_t len,
		char err[STATE_ERR_MAX])
{
	if (text) {
		struct lw_state st;
		int r = state_parse(text, len, &st, err);

		if (r == -EINVAL)
			return r;
		if (r < 0)
			return io_fail(&s->err, -r, "read", s->cfg->state_name);
		state_free(&st);
		state_text_free(&s->durable);
		s->durable.buf = malloc(len ? len : 1);
		if (!s->durable.buf)
			return io_fail(&s->err, ENOMEM, "read", s->cfg->state_name);
		memcpy(s->durable.buf, text, len);
		s->durable.len = s->durable.cap = len;
	}
	return store_retry(s);
}

int store_reopen(struct store *s)
{
	int r = store_commit(s);

	if (r < 0)
		return r;
	/* Every file is clean now and may leave the list; parked files stay
	 * (with their counts) and are tried again at once. */
	for (size_t i = s->nfiles; i-- > 0;) {
		struct lw_file *f = s->files[i];
		if (f->parked) {
			f->retry_at = 0;
			backoff_reset(&f->retry);
		} else {
			hash_unlink(s, f);
			s->files[i] = s->files[--s->nfiles];
			file_free(f);
		}
	}
	s->last_src_len = SIZE_MAX;
	return 0;
}

void store_finish(struct store *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i]->parked && s->files[i]->dropped)
			park_count(s, s->files[i], "; it still cannot be written");
}

const char *store_cursor(const struct store *s)
{
	return s->durable_cursor;
}
