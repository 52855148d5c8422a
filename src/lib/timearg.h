/* Times as journalctl's --since and --until take them, for logread:
 *
 *   2026-12-03 10:00:00[.fff]   2026-12-03T10:00   2026-12-03
 *   10:00[:00[.fff]]            (today at that time)
 *   today  yesterday  tomorrow  (that day at 00:00)  now
 *   -1h  +15min  -1d12h  "2 days ago"  (relative to now)
 *   @1764756000[.fff]           (seconds since the epoch)
 *
 * A date or time of day may end in " UTC" (else the caller's zone
 * applies). Units: us usec ms msec s sec second(s) m min minute(s) h hr
 * hour(s) d day(s) w week(s) M month(s) (30.44 days) y year(s) (365.25
 * days), as systemd.time(7). Pure parser: no I/O; the caller resolves a
 * civil time in its zone (timesel in logread). */
#ifndef MEMLOG_TIMEARG_H
#define MEMLOG_TIMEARG_H

#include <stdbool.h>
#include <stdint.h>

#define TIMEARG_MAX 64  /* longer arguments are refused */

enum timearg_kind {
	TIMEARG_ABS,    /* ns since the epoch */
	TIMEARG_REL,    /* ns from now (rel) */
	TIMEARG_CIVIL,  /* a wall-clock date and time in some zone */
};

struct timearg {
	enum timearg_kind kind;
	uint64_t ns;       /* TIMEARG_ABS */
	int64_t rel;       /* TIMEARG_REL */
	bool has_date;     /* CIVIL: year, mon, day given; else the day of
			    * "now" plus day_offset */
	int year, mon, day;
	int day_offset;    /* -1 yesterday, 0 today, 1 tomorrow */
	int hour, min, sec;
	uint32_t nsec;
	bool utc;          /* " UTC" given: not the caller's zone */
};

/* Parses s (NUL-terminated). Returns 0, -EINVAL (not a time) or -ERANGE
 * (a time or span past what 64-bit ns hold). */
int timearg_parse(const char *s, struct timearg *t);

/* ns since the epoch of a civil date and time taken as UTC (no leap
 * seconds), or -ERANGE before 1970 or past 2554. */
int timearg_civil_utc(int year, int mon, int day, int hour, int min, int sec,
		      uint32_t nsec, uint64_t *ns);

#endif
