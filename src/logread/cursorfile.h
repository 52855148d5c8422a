/* The cursor file (--cursor-file): where a reader keeps its place between
 * runs. It holds one cursor and a newline; it is replaced atomically (a
 * temporary file beside it, fsync, rename, fsync of the directory), so a
 * crash leaves the old cursor or the new one, never a torn one. */
#ifndef LOGREAD_CURSORFILE_H
#define LOGREAD_CURSORFILE_H

#include <stddef.h>

#include "request.h"

/* Reads the cursor kept in path into out (NUL-terminated). Returns 1, 0 if
 * there is none (no file, or an empty one), -EINVAL if the file holds
 * something that is not a cursor, or -errno. */
int cursorfile_read(const char *path, char out[CURSOR_TEXT_MAX + 1]);

/* Finds out now, rather than at exit, whether path can be replaced: creates
 * and removes its temporary file. Returns 0 or -errno. */
int cursorfile_probe(const char *path);

/* Replaces the file's content with cursor. Returns 0 or -errno. */
int cursorfile_write(const char *path, const char *cursor, size_t len);

#endif
