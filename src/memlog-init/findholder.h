/* Where the fd holder program is: memlog-init starts it, and
 * memlog-journal starts a new one when it died. */
#ifndef MEMLOG_INIT_FINDHOLDER_H
#define MEMLOG_INIT_FINDHOLDER_H

#include <stddef.h>

#define HOLDER_NAME "memlog-fdholder"

/* given if not NULL (it must be executable), else memlog-fdholder next to
 * the running program (they are installed together), else on PATH.
 * Returns 0 with the path in out, or -ENOENT. */
int holder_find(const char *given, char *out, size_t cap);

#endif
