/* RFC 3339 time stamps as Go's time.RFC3339Nano writes them in UTC. */
#ifndef MEMLOG_TIMEFMT_H
#define MEMLOG_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest output: "-292277-01-01T00:00:00.999999999Z" is never reached for
 * uint64 ns (year <= 2554); 40 bytes is ample. */
#define TIMEFMT_MAX 40

/* Writes ns since the epoch as "2019-02-22T16:04:23.84945236Z": nanosecond
 * fraction with trailing zeros trimmed, no fraction at all when it is zero.
 * Returns the length written (no NUL is written). */
size_t time_format_rfc3339nano(char out[TIMEFMT_MAX], uint64_t ns);

/* The same with the fraction cut to whole seconds (LinuxKit's logwrite). */
size_t time_format_rfc3339(char out[TIMEFMT_MAX], uint64_t ns);

/* Parses the subset written above (UTC "Z" only, 0-9 fraction digits).
 * Returns 0, -EINVAL, or -ERANGE for a time past what uint64 ns holds. */
int time_parse_rfc3339(const char *s, size_t len, uint64_t *ns);

#endif
