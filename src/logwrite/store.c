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

static int save_again(struct store *s);

static void why_full(char why[STORE_WHY_MAX])
{
	snprintf(why, STORE_WHY_MAX, "logwrite keeps track of %u files (or "
		 "%u sources) already", LEDGER_FILES_MAX, LEDGER_BASES_MAX);
}

/* Makes f's live file where the name is free (see store.h). Returns as
 * file_open(). */
static int file_create(struct store *s, struct lw_file *f,
		       char why[STORE_WHY_MAX])
{
	char name[IOERR_FILE_MAX], rwhy[ROTATE_WHY_MAX];
	struct owned *o = ledger_get(&s->ledger, f->base);
	struct stat st;
	bool full;
	int fd, r;

	live_name(name, f->base);
	if (!o || o->n == 0) {
		/* Nothing of this name is logwrite's: its rotated names
		 * must be free too, or rotating would meet them. */
		r = rotate_family_taken(&s->cfg->rot, o, f->base, rwhy, &s->err);
		if (r < 0)
			return r;
		if (r > 0) {
			snprintf(why, STORE_WHY_MAX, "%.*s", STORE_WHY_MAX - 1,
				 rwhy);
			return 1;
		}
	}
	if (!o)
		o = ledger_add(&s->ledger, f->base, &full);
	if (!o && !full)
		return io_fail(&s->err, ENOMEM, "create", name);
	if (!o || !ledger_room(&s->ledger, 1)) {
		why_full(why);
		return 1;
	}
	if (!o->creating) {
		o->creating = true;
		r = save_again(s);
		if (r < 0)
			return r;
	}
	fd = openat(s->cfg->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
	if (fd < 0) {
		int e = errno;
		o->creating = false;
		if (e == EEXIST) {
			snprintf(why, STORE_WHY_MAX, "another program created "
				 "it just then");
			return 1;
		}
		if (file_only(e)) {
			why_errno(why, e);
			return 1;
		}
		return io_fail(&s->err, e, "create", name);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return io_fail(&s->err, e, "stat", name);
	}
	r = owned_add(&s->ledger, o, (uint64_t)st.st_ino);
	if (r < 0) { /* room was checked: only memory */
		close(fd);
		return io_fail(&s->err, -r, "create", name);
	}
	o->creating = false;
	f->fd = fd;
	f->size = 0;
	f->ino = (uint64_t)st.st_ino;
	s->dir_dirty = true;
	return 0;
}

/* Opens f's live file for appending; f->size is its length. It must be
 * logwrite's (its inode in the ledger); where the name is free it is
 * made (create), else nothing is done. Returns 0; 1 when this file
 * cannot be written (why says why: the caller parks it); 2 when there is
 * no file and create is false; -errno for a failure of the disk
 * (s->err). It never blocks: O_NONBLOCK (a FIFO), and the type is checked
 * on the fd. */
static int file_open(struct store *s, struct lw_file *f, bool create,
		     char why[STORE_WHY_MAX])
{
	char name[IOERR_FILE_MAX];
	struct owned *o;
	struct stat st;
	int fd;

	live_name(name, f->base);
	fd = openat(s->cfg->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return create ? file_create(s, f, why) : 2;
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
	o = ledger_get(&s->ledger, f->base);
	if (st.st_dev != s->cfg->rot.dev || !o ||
	    (!owned_has(o, (uint64_t)st.st_ino) && !o->creating)) {
		close(fd);
		snprintf(why, STORE_WHY_MAX, "it was not created by logwrite "
			 "(another program's file, or one put in place of "
			 "logwrite's)");
		return 1;
	}
	if (o->creating) {
		/* Made by logwrite right before a crash (see store.h). */
		int r = owned_add(&s->ledger, o, (uint64_t)st.st_ino);
		if (r < 0) {
			close(fd);
			if (r == -ENOSPC) {
				why_full(why);
				return 1;
			}
			return io_fail(&s->err, -r, "open", name);
		}
		o->creating = false;
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	f->ino = (uint64_t)st.st_ino;
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
	r = file_open(s, f, true, why);
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

/* A new table entry for base, its file open (made, with create) or the
 * entry parked; committed is its length now (an unlisted file holds
 * nothing uncommitted). NULL after a failure of the disk or memory
 * (s->err), or when there is no file and create is false (s->err.err
 * 0). */
static struct lw_file *file_new(struct store *s, const char *base, bool create)
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
	r = file_open(s, f, create, why);
	if (r < 0 || r == 2) {
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
			f = file_new(s, NOTICE_BASE, true);
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

/* Saves a state file listing every open file, every parked one and the
 * ledger, with the rotation step given (ROT_NONE: none) of rot_base at
 * rot_len. sizes: files at their current lengths and counts (else at
 * their committed ones, which go with the durable cursor). */
/* The cursor of the last entry appended, as text. */
static const char *cursor_now(struct store *s)
{
	if (s->cursor_stale) {
		cursor_format(s->cursor, s->cur);
		s->cursor_stale = false;
	}
	return s->cursor;
}

static void take_cursor(struct store *s, const struct lw_entry *e)
{
	if (e->has_cur) {
		s->cur = e->cur;
		s->cursor_stale = true;
		return;
	}
	memcpy(s->cursor, e->cursor.ptr, e->cursor.len);
	s->cursor[e->cursor.len] = '\0';
	s->cursor_stale = false;
}

static int save_state(struct store *s, const char *cursor, bool sizes,
		      enum rot_step step, const char *rot_base, uint64_t rot_len)
{
	struct state_text t;
	const char *op = "save";
	int r;

	state_text_begin(&s->text, cursor);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct lw_file *f = s->files[i];
		if (f->fd >= 0)
			state_text_file(&s->text, f->base,
					sizes ? f->size : f->committed);
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct lw_file *f = s->files[i];
		if (f->parked)
			state_text_park(&s->text, f->base,
					sizes ? f->dropped : f->dropped_durable);
	}
	for (size_t i = 0; i < s->ledger.n; i++) {
		const struct owned *o = s->ledger.all[i];
		if (o->n || o->creating)
			state_text_own(&s->text, o->base, o->creating, o->inos,
				       o->n);
	}
	if (step != ROT_NONE)
		state_text_rotate(&s->text, step, rot_base, rot_len);
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
	s->dur_step = step;
	if (step != ROT_NONE && rot_base != s->dur_rot)
		snprintf(s->dur_rot, sizeof(s->dur_rot), "%s", rot_base);
	s->dur_rot_len = rot_len;
	return 0;
}

/* Saves the durable state again as it is (cursor, committed lengths,
 * rotation step) with what changed beside it: files about to get their
 * first bytes (the pre-commit), a file about to be made (its base marked
 * creating). Every file with an fd is listed from then on. */
static int save_again(struct store *s)
{
	int r = save_state(s, s->durable_cursor, false, s->dur_step, s->dur_rot,
			   s->dur_rot_len);

	if (r < 0)
		return r;
	for (size_t i = 0; i < s->nfiles; i++)
		s->files[i]->in_state = s->files[i]->fd >= 0;
	return 0;
}

/* Lists files that are about to get their first bytes, at their current
 * length, with the old cursor: the pre-commit (see store.h). */
static int precommit(struct store *s)
{
	bool need = false;

	for (size_t i = 0; i < s->nfiles && !need; i++)
		need = s->files[i]->len > 0 && !s->files[i]->in_state &&
		       !s->files[i]->parked;
	return need ? save_again(s) : 0;
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
	if (f->cap > STORE_BUF_KEEP) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	return 0;
}

static int write_all_files(struct store *s)
{
	int r = precommit(s);

	for (size_t i = 0; i < s->nfiles && r == 0; i++)
		if (s->files[i]->len)
			r = write_file(s, s->files[i]);
	if (r == 0)
		s->appended = 0;
	return r;
}

/* With this many files written in a batch, one syncfs() of the log
 * directory's filesystem replaces their fdatasync()s: each of those waits
 * for the disk on its own (with 100 busy sources they were 73 % of
 * logwrite's time), while syncfs() flushes them all in one go. It may
 * also flush other programs' data on that filesystem; since Linux 5.8 it
 * reports write-back errors of the filesystem. */
#define STORE_SYNCFS_FILES 8

static int sync_files(struct store *s)
{
	size_t unsynced = 0;

	if (s->cfg->sync == LW_SYNC_NONE)
		return 0;
	for (size_t i = 0; i < s->nfiles; i++)
		unsynced += s->files[i]->unsynced;
	if (unsynced >= STORE_SYNCFS_FILES) {
		if (syncfs(s->cfg->dirfd) < 0)
			return io_fail(&s->err, errno, "syncfs", ".");
		for (size_t i = 0; i < s->nfiles; i++)
			s->files[i]->unsynced = false;
		s->dir_dirty = false;
		return 0;
	}
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
		r = save_state(s, cursor_now(s), true, step, rot ? rot->base : "",
			       rot ? rot->size : 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->nfiles; i++) {
		s->files[i]->committed = s->files[i]->size;
		s->files[i]->dropped_durable = s->files[i]->dropped;
		s->files[i]->in_state = s->files[i]->fd >= 0;
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

/* A rotation that a file of another program would be in the way of is
 * skipped (nothing moved), said once, and tried again after the live
 * file has grown by another --max-log-size. */
static void rotation_skipped(struct store *s, struct lw_file *f,
			     const char *why)
{
	f->rot_retry_at = f->size + s->cfg->rot.max_size;
	if (f->rot_said)
		return;
	f->rot_said = true;
	notice(s, TO_STDERR | TO_FILE, "not rotating %s.log in %s: %s; it grows "
	       "past -max-log-size until that file is moved away", f->base,
	       s->cfg->dir_name, why);
}

/* Runs a rotation of f from step on, committing each next step. The
 * state already records step. */
static int run_rotation(struct store *s, struct lw_file *f, enum rot_step step)
{
	struct owned *o = ledger_get(&s->ledger, f->base);
	char why[ROTATE_WHY_MAX];

	if (!o) { /* (its live file is logwrite's, so there is one) */
		rotation_skipped(s, f, "logwrite has no record of its files");
		return commit_with(s, ROT_NONE, NULL);
	}
	/* The live file is renamed in the shift; it stays open otherwise. */
	if (step == ROT_SHIFT && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	while (step != ROT_NONE) {
		int next = rotate_step(&s->cfg->rot, &s->ledger, o, step, now_s(),
				       &s->err, why);
		if (next < 0)
			return next;
		if (why[0] && step == ROT_SHIFT) {
			rotation_skipped(s, f, why);
		} else if (why[0]) {
			notice(s, TO_STDERR | TO_FILE, "not compressing %s.log.0 "
			       "in %s: %s", f->base, s->cfg->dir_name, why);
		} else if (step == ROT_SHIFT) {
			f->rot_said = false;
			f->rot_retry_at = 0;
		}
		if (step == ROT_SHIFT) {
			/* The new live file (or the old one, not rotated). */
			char pwhy[STORE_WHY_MAX];
			int r = file_open(s, f, false, pwhy);
			if (r < 0)
				return r;
			if (r == 2)
				snprintf(pwhy, sizeof(pwhy), "it is gone");
			if (r > 0)
				park(s, f, pwhy);
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
		f = file_new(s, base, true);
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
	struct lw_file *f;

	if (s->recovering) {
		/* No file may be made before every listed one is back in
		 * the table (a save would leave them out): later. */
		if (s->npending < ARRAY_SIZE(s->pending)) {
			s->pending[s->npending] = strdup(msg);
			if (s->pending[s->npending])
				s->npending++;
		}
		return;
	}
	f = notice_target(s);

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
	take_cursor(s, e);
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
	size_t n = format_entry(fmt, e, f->buf + f->len);
	f->len += n;
	s->appended += n;
	f->used = s->commits;
	take_cursor(s, e);
	s->dirty = true;
	if (f->size + f->len > s->cfg->rot.max_size &&
	    f->size + f->len >= f->rot_retry_at)
		return rotate(s, f);
	if (s->cfg->sync == LW_SYNC_ENTRY)
		return store_commit(s);
	if (s->appended >= STORE_BUFFERED_MAX)
		return write_all_files(s);
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
	if (!s->hash || ledger_init(&s->ledger) < 0) {
		free(s->hash);
		return -ENOMEM;
	}
	return 0;
}

void store_drop(struct store *s)
{
	while (s->nfiles)
		table_remove(s, s->nfiles - 1);
	s->last = NULL;
	s->last_src_len = SIZE_MAX;
	memcpy(s->cursor, s->durable_cursor, sizeof(s->cursor));
	s->cursor_stale = false;
	s->dirty = false;
	memset(&s->err, 0, sizeof(s->err));
}

void store_free(struct store *s)
{
	store_drop(s);
	for (size_t i = 0; i < s->npending; i++)
		free(s->pending[i]);
	ledger_free(&s->ledger);
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
		f = file_new(s, sf->base, false);
	if (!f) /* gone (moved away, deleted): nothing to cut */
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

/* A rotation resumed without its live file open: during the shift (the
 * shift finds what is there: the old live file, the new one, or none),
 * or when it is gone. It runs on a table entry without a file, and the
 * shift opens the new one. */
static int resume_without_live(struct store *s, const char *base,
			       enum rot_step step)
{
	struct lw_file *f = calloc(1, sizeof(*f));
	int r;

	if (f)
		snprintf(f->base, sizeof(f->base), "%s", base);
	if (!f || table_add(s, f) < 0) {
		free(f);
		return io_fail(&s->err, ENOMEM, "allocate", base);
	}
	f->fd = -1;
	f->used = s->commits;
	r = run_rotation(s, f, step);
	if (r == 0 && f->fd < 0 && !f->parked) {
		for (size_t i = 0; i < s->nfiles; i++)
			if (s->files[i] == f)
				table_remove(s, i);
	}
	return r;
}

/* The ledger as the durable state has it. */
static int ledger_load(struct store *s, const struct lw_state *st)
{
	ledger_clear(&s->ledger);
	for (size_t i = 0; i < st->nowns; i++) {
		const struct state_own *so = &st->owns[i];
		bool full;
		struct owned *o = ledger_add(&s->ledger, so->base, &full);

		if (!o)
			return io_fail(&s->err, ENOMEM, "read back",
				       s->cfg->state_name);
		o->creating = so->creating;
		for (size_t k = 0; k < so->n; k++)
			if (owned_add(&s->ledger, o, so->inos[k]) == -ENOMEM)
				return io_fail(&s->err, ENOMEM, "read back",
					       s->cfg->state_name);
	}
	return 0;
}

/* A live file logwrite was about to make when it stopped: the file at
 * its name, if there is one, is the one it made (store.h). */
static int settle_creations(struct store *s)
{
	for (size_t i = 0; i < s->ledger.n; i++) {
		struct owned *o = s->ledger.all[i];
		char name[IOERR_FILE_MAX];
		struct stat st;

		if (!o->creating)
			continue;
		live_name(name, o->base);
		int w = rotate_whose(&s->cfg->rot, o, name, &st);
		if (w < 0)
			return io_fail(&s->err, -w, "stat", name);
		if (w == WHOSE_OTHER && S_ISREG(st.st_mode) &&
		    st.st_dev == s->cfg->rot.dev &&
		    owned_add(&s->ledger, o, (uint64_t)st.st_ino) == -ENOMEM)
			return io_fail(&s->err, ENOMEM, "open", name);
		o->creating = false;
	}
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
	s->cursor_stale = false;
	s->dur_step = st.rot_step;
	snprintf(s->dur_rot, sizeof(s->dur_rot), "%s", st.rot_base);
	s->dur_rot_len = st.rot_len;
	r = ledger_load(s, &st);
	if (r == 0)
		r = settle_creations(s);
	s->recovering = true;
	for (size_t i = 0; i < st.nparks && r == 0; i++)
		r = recover_park(s, &st.parks[i]);
	for (size_t i = 0; i < st.nfiles && r == 0; i++) {
		/* A live file being shifted was complete when the step was
		 * saved (nothing to cut), and its name may hold the new,
		 * empty live file that the state does not have yet: the
		 * shift below takes care of both. */
		if (st.rot_step == ROT_SHIFT &&
		    !strcmp(st.files[i].base, st.rot_base))
			continue;
		r = recover_file(s, &st.files[i]);
	}
	s->recovering = false;
	/* Every listed file is back: notices may make memlogd.log now. */
	for (size_t i = 0; i < s->npending; i++) {
		if (r == 0)
			notice_put(s, s->pending[i]);
		free(s->pending[i]);
	}
	s->npending = 0;
	if (r == 0 && st.rot_step != ROT_NONE) {
		struct lw_file *f = lookup(s, st.rot_base);
		if (!f && st.rot_step == ROT_COMPRESS)
			f = file_new(s, st.rot_base, false);
		if (!f && s->err.err)
			r = -s->err.err;
		else if (f && !f->parked) /* else its live file is not ours */
			r = run_rotation(s, f, st.rot_step);
		else if (!f)
			r = resume_without_live(s, st.rot_base, st.rot_step);
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

/* A state file of version 1 kept no record of which files logwrite
 * made: the live files it lists and their rotated and compressed files,
 * which that version managed as its own, are taken as logwrite's; no
 * other file is. The durable text becomes version 2. */
static int upgrade_v1(struct store *s, const struct lw_state *st)
{
	struct state_text t = { 0 };
	size_t files = 0;
	bool full;
	int r;

	ledger_clear(&s->ledger);
	for (size_t i = 0; i <= st->nfiles; i++) {
		const char *base = i < st->nfiles ? st->files[i].base :
				   st->rot_step != ROT_NONE ? st->rot_base : NULL;
		if (base && !ledger_add(&s->ledger, base, &full))
			return io_fail(&s->err, ENOMEM, "read", s->cfg->state_name);
	}
	r = rotate_adopt_all(&s->cfg->rot, &s->ledger, &s->err);
	if (r < 0)
		return r;
	state_text_begin(&t, st->cursor);
	for (size_t i = 0; i < st->nfiles; i++)
		state_text_file(&t, st->files[i].base, st->files[i].committed);
	for (size_t i = 0; i < s->ledger.n; i++) {
		const struct owned *o = s->ledger.all[i];
		/* A listed file with nothing left is listed as being made:
		 * it is made again or forgotten at the recovery. */
		state_text_own(&t, o->base, o->n == 0, o->inos, o->n);
		files += o->n;
	}
	state_text_rotate(&t, st->rot_step, st->rot_base, st->rot_len);
	if (state_text_end(&t) < 0) {
		state_text_free(&t);
		return io_fail(&s->err, ENOMEM, "read", s->cfg->state_name);
	}
	state_text_free(&s->durable);
	s->durable = t;
	notice(s, TO_STDERR, "the state file %s is of version 1: took the %zu "
	       "files of the %zu sources it lists as logwrite's (their live, "
	       "rotated and compressed files); no other file is touched",
	       s->cfg->state_name, files, s->ledger.n);
	return 0;
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
		state_text_free(&s->durable);
		s->durable.buf = malloc(len ? len : 1);
		if (!s->durable.buf) {
			state_free(&st);
			return io_fail(&s->err, ENOMEM, "read", s->cfg->state_name);
		}
		memcpy(s->durable.buf, text, len);
		s->durable.len = s->durable.cap = len;
		r = st.version == 1 ? upgrade_v1(s, &st) : 0;
		state_free(&st);
		if (r < 0)
			return r;
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

int store_scan(struct store *s, int64_t now_s)
{
	size_t n = 0, before_bases = s->ledger.n, before = s->ledger.ninos;
	uint64_t *keep = malloc((s->nfiles + 1) * sizeof(*keep));
	int r;

	if (!keep)
		return io_fail(&s->err, ENOMEM, "scan", ".");
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i]->fd >= 0)
			keep[n++] = s->files[i]->ino;
	r = rotate_scan(&s->cfg->rot, &s->ledger, now_s, keep, n, &s->err);
	free(keep);
	if (r < 0)
		return r;
	/* Saved with the next commit; until then a restart just finds the
	 * same again. */
	if (s->ledger.n != before_bases || s->ledger.ninos != before)
		s->dirty = true;
	return 0;
}

const char *store_cursor(const struct store *s)
{
	return s->durable_cursor;
}
