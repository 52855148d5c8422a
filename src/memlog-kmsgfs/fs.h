/* The file system: a directory (inode 1) with one file, kmsg (inode 2),
 * on libfuse's low-level API. A read that finds no record is not
 * answered at once but kept with its open file until a record comes (or
 * the reader is interrupted), so no thread waits for a reader and one
 * thread serves every reader. */
#ifndef KMSGFS_FS_H
#define KMSGFS_FS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <pthread.h>

#include "kring.h"

/* The size kmsg says it has: lseek(SEEK_END) sets the file offset to it,
 * and a read at or after it means "after the newest record" (the kernel
 * handles SEEK_SET and SEEK_END itself and only tells the next read's
 * offset; SEEK_DATA is asked: the oldest record, as the kernel's /dev/kmsg
 * without a dmesg -C). */
#define KMSGFS_END_OFF (1ll << 40)

struct kfile;

struct kmsgfs {
	pthread_mutex_t lock;       /* ring and files */
	struct kring ring;
	struct kfile *files;        /* open files, a list */
	struct fuse_session *se;
};

void kmsgfs_init(struct kmsgfs *fs, size_t max_bytes);
void kmsgfs_free(struct kmsgfs *fs);
const struct fuse_lowlevel_ops *kmsgfs_ops(void);

/* Adds a record (as kring_push; gap: a loss) and answers the reads and
 * polls waiting for one. Any thread. */
int kmsgfs_push(struct kmsgfs *fs, uint64_t seq, bool gap, const char *text,
		size_t len);

#endif
