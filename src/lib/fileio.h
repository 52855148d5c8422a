/* Writing files whole: one write-all loop and one atomic replace, for every
 * program's state files (cursor files, logwrite's state, memlog-forward's
 * state, the kernel log position, memlog-runc's bundle edits). */
#ifndef MEMLOG_FILEIO_H
#define MEMLOG_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes (retrying EINTR and short writes). Returns 0 or
 * negative errno; -EAGAIN if fd is non-blocking and full. */
int fd_write_all(int fd, const void *buf, size_t len);

#define FILE_REPLACE_SYNC (1u << 0)  /* fsync the file and its directory */

/* Replaces dirfd/name (dirfd may be AT_FDCWD, name then a path) with the
 * len bytes of buf, so that a crash leaves either the old content or the
 * new one: written to NAME.tmp (never through a symlink), then renamed
 * over NAME. With FILE_REPLACE_SYNC the data is on disk before the rename
 * and the rename is durable before this returns (as far as the file system
 * can sync a directory). Returns 0 or negative errno; *op (if not NULL)
 * names the step that failed: "name", "create", "write", "fsync", "close"
 * or "rename". NAME.tmp is removed on failure. */
int file_replace(int dirfd, const char *name, const void *buf, size_t len,
		 mode_t mode, unsigned flags, const char **op);

#endif
