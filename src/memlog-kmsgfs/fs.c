#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmsgenc.h"

#define INO_ROOT 1
#define INO_KMSG 2

/* An open kmsg. */
struct kfile {
	struct kfile *next, **pprev;
	struct kmsgfs *fs;
	struct kpos pos;
	off_t expect;               /* the offset the next read has when the
				     * reader did not seek */
	fuse_req_t waiting;         /* a read waiting for a record, or NULL */
	size_t waiting_size;
	struct fuse_pollhandle *ph; /* a poll waiting for a record */
};

void kmsgfs_init(struct kmsgfs *fs, size_t max_bytes)
{
	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->lock, NULL);
	kring_init(&fs->ring, max_bytes);
}

void kmsgfs_free(struct kmsgfs *fs)
{
	kring_free(&fs->ring);
	pthread_mutex_destroy(&fs->lock);
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == INO_ROOT) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		/* As /dev/kmsg: root may write (journald opens it O_RDWR). */
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = KMSGFS_END_OFF;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != INO_ROOT || strcmp(name, "kmsg")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = INO_KMSG;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fill_attr(INO_KMSG, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != INO_ROOT && ino != INO_KMSG) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", "kmsg" };
	static const fuse_ino_t inos[] = { INO_ROOT, INO_ROOT, INO_KMSG };
	char buf[512];
	size_t n = 0;

	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < 3; i++) {
		struct stat st;
		fill_attr(inos[i], &st);
		size_t l = fuse_add_direntry(req, buf + n, size - n, names[i],
					     &st, i + 1);
		if (l > size - n)
			break;
		n += l;
	}
	fuse_reply_buf(req, buf, n);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct kmsgfs *fs = fuse_req_userdata(req);

	if (ino != INO_KMSG) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	struct kfile *f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->fs = fs;
	/* Every read goes to memlog-kmsgfs, with the reader's size. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	pthread_mutex_lock(&fs->lock);
	f->pos.next = kring_begin(&fs->ring);
	f->next = fs->files;
	if (fs->files)
		fs->files->pprev = &f->next;
	f->pprev = &fs->files;
	fs->files = f;
	pthread_mutex_unlock(&fs->lock);
	fi->fh = (uintptr_t)f;
	if (fuse_reply_open(req, fi) < 0) {
		pthread_mutex_lock(&fs->lock);
		*f->pprev = f->next;
		if (f->next)
			f->next->pprev = f->pprev;
		pthread_mutex_unlock(&fs->lock);
		free(f);
	}
}

/* Answers req with f's next record: 1 answered, 0 nothing to read. Under
 * the lock. */
static int answer(struct kfile *f, fuse_req_t req, size_t size)
{
	char buf[KMSGENC_MAX];
	size_t len;
	int r = kring_read(&f->fs->ring, &f->pos, buf,
			   size < sizeof(buf) ? size : sizeof(buf), &len);

	if (r == 0)
		return 0;
	if (r < 0) {
		fuse_reply_err(req, -r);
		return 1;
	}
	f->expect += (off_t)len;
	fuse_reply_buf(req, buf, len);
	return 1;
}

static void on_interrupt(fuse_req_t req, void *data)
{
	struct kfile *f = data;

	pthread_mutex_lock(&f->fs->lock);
	if (f->waiting == req) {
		f->waiting = NULL;
		fuse_reply_err(req, EINTR);
	}
	pthread_mutex_unlock(&f->fs->lock);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct kfile *f = (struct kfile *)(uintptr_t)fi->fh;
	struct kmsgfs *fs = f->fs;

	/* Registered first, outside the lock: libfuse calls it at once
	 * when the reader was interrupted already, and calls it holding its
	 * own lock, which must come before ours. */
	fuse_req_interrupt_func(req, on_interrupt, f);
	pthread_mutex_lock(&fs->lock);
	if (f->waiting) {
		/* One read at a time on an open file (two threads reading
		 * one fd): the second is refused, the place kept. */
		fuse_reply_err(req, EBUSY);
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	if (off != f->expect) {
		/* The reader seeked: SEEK_END, or SEEK_SET (to 0: the oldest
		 * record; /dev/kmsg takes no other offset). */
		f->pos.next = off >= KMSGFS_END_OFF ? kring_end(&fs->ring)
						    : kring_begin(&fs->ring);
		f->expect = off;
	}
	if (answer(f, req, size))
		;
	else if (fi->flags & O_NONBLOCK)
		fuse_reply_err(req, EAGAIN);
	else if (fuse_req_interrupted(req))
		fuse_reply_err(req, EINTR);
	else {
		f->waiting = req;
		f->waiting_size = size;
	}
	pthread_mutex_unlock(&fs->lock);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	/* Taken and dropped: a line written here would not be the kernel's
	 * (docs/kernel.md), and journald, which writes its own start-up
	 * lines to /dev/kmsg, must not fail on them. */
	fuse_reply_write(req, size);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct kfile *f = (struct kfile *)(uintptr_t)fi->fh;

	if (whence != SEEK_DATA || off != 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&f->fs->lock);
	f->pos.next = kring_begin(&f->fs->ring);
	f->expect = 0;
	pthread_mutex_unlock(&f->fs->lock);
	fuse_reply_lseek(req, 0);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct kfile *f = (struct kfile *)(uintptr_t)fi->fh;
	unsigned ev = 0;

	pthread_mutex_lock(&f->fs->lock);
	if (ph) {
		if (f->ph)
			fuse_pollhandle_destroy(f->ph);
		f->ph = ph;
	}
	if (kring_ready(&f->fs->ring, &f->pos))
		ev |= POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&f->fs->lock);
	fuse_reply_poll(req, ev);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct kfile *f = (struct kfile *)(uintptr_t)fi->fh;

	pthread_mutex_lock(&f->fs->lock);
	*f->pprev = f->next;
	if (f->next)
		f->next->pprev = f->pprev;
	if (f->waiting)
		fuse_reply_err(f->waiting, EINTR);
	if (f->ph)
		fuse_pollhandle_destroy(f->ph);
	pthread_mutex_unlock(&f->fs->lock);
	free(f);
	fuse_reply_err(req, 0);
}

int kmsgfs_push(struct kmsgfs *fs, uint64_t seq, bool gap, const char *text,
		size_t len)
{
	pthread_mutex_lock(&fs->lock);
	int r = kring_push(&fs->ring, seq, gap, text, len);
	if (r == 1)
		for (struct kfile *f = fs->files; f; f = f->next) {
			if (f->waiting && answer(f, f->waiting, f->waiting_size))
				f->waiting = NULL;
			if (f->ph) {
				fuse_lowlevel_notify_poll(f->ph);
				fuse_pollhandle_destroy(f->ph);
				f->ph = NULL;
			}
		}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.lseek = op_lseek,
	.poll = op_poll,
	.release = op_release,
};

const struct fuse_lowlevel_ops *kmsgfs_ops(void)
{
	return &ops;
}
