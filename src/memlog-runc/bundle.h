/* Small files memlog-runc reads and the one it rewrites: the bundle's
 * config.json and Docker's container config. */
#ifndef MEMLOG_RUNC_BUNDLE_H
#define MEMLOG_RUNC_BUNDLE_H

#include <stddef.h>

/* Reads a regular file of at most max bytes into a malloc'd,
 * NUL-terminated buffer. Returns 0, -EFBIG if it is larger, -EINVAL if it
 * is not a regular file, or -errno. */
int file_read_small(const char *path, size_t max, char **text, size_t *len);

/* Replaces path with text atomically: a temp file in the same directory
 * with the old file's mode and owner, written, fsync'ed, renamed over
 * path, then the directory fsync'ed. A crash leaves the old file or the
 * new one, never a mix. Returns 0 or -errno (path is then unchanged). */
int bundle_replace_file(const char *path, const char *text, size_t len);

#endif
