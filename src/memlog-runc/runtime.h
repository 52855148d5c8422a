/* Finding the real runtime that memlog-runc hands every call to. */
#ifndef MEMLOG_RUNC_RUNTIME_H
#define MEMLOG_RUNC_RUNTIME_H

#include <stddef.h>
#include <sys/stat.h>

#define RUNTIME_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Resolves name as execvp() would (a name with a '/' as it is, else the
 * first executable regular file NAME in the directories of path_env, or
 * RUNTIME_DEFAULT_PATH when it is NULL or empty), except that a file that
 * is memlog-runc itself (self: st_dev and st_ino of /proc/self/exe, or
 * NULL) is skipped: memlog-runc installed as "runc" ahead of the real one
 * must not exec itself forever. Writes the path to out (cap bytes).
 * Returns 0, -ENOENT (none), -ELOOP (only memlog-runc itself was found),
 * -EACCES (found, not executable) or -ENAMETOOLONG. */
int runtime_find(const char *name, const char *path_env,
		 const struct stat *self, char *out, size_t cap);

#endif
