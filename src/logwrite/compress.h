/* gzip of a rotated file with zlib. The original is removed only once the
 * compressed copy is durable: SRC is compressed into DST.tmp, which is
 * fsynced, given SRC's modification time (so --max-age still sees when
 * the file was last written) and renamed to DST; the directory is
 * fsynced; only then is SRC unlinked. A crash anywhere leaves SRC, or DST
 * (possibly with SRC still beside it), never neither. */
#ifndef LOGWRITE_COMPRESS_H
#define LOGWRITE_COMPRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "ioerr.h"

/* Both names are relative to dirfd. DST.tmp is created exclusively and
 * DST is never replaced (the caller has removed what a crash left).
 * sync: fsync the copy and the directory. Returns 0 with DST's inode in
 * *ino, or -errno (e says what failed; DST.tmp is removed). */
int compress_file(int dirfd, const char *src, const char *dst, bool sync,
		  uint64_t *ino, struct io_err *e);

#endif
