/* When the container's PID 1 started, for --from start: the start time in
 * /proc/1/stat (field 22, clock ticks since boot). Pure parser. */
#ifndef MEMLOG_JOURNAL_PROCSTAT_H
#define MEMLOG_JOURNAL_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

/* The starttime field of a /proc/PID/stat text (len bytes). The command
 * name in parentheses may hold anything, spaces and ')' too: fields are
 * counted after the last ')'. Returns 0 or -EINVAL. */
int procstat_starttime(const char *text, size_t len, uint64_t *ticks);

#endif
