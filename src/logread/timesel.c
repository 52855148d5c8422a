#include "timesel.h"

#include <errno.h>
#include <time.h>

#define NS 1000000000ull

int timesel_resolve(const struct timearg *t, uint64_t now_ns, bool utc,
		    uint64_t *out)
{
	switch (t->kind) {
	case TIMEARG_ABS:
		*out = t->ns;
		return 0;
	case TIMEARG_REL:
		if (t->rel < 0)
			*out = (uint64_t)-t->rel > now_ns ? 0
			       : now_ns - (uint64_t)-t->rel;
		else if ((uint64_t)t->rel > UINT64_MAX - now_ns)
			return -ERANGE;
		else
			*out = now_ns + (uint64_t)t->rel;
		return 0;
	case TIMEARG_CIVIL:
		break;
	}
	utc = utc || t->utc;
	struct tm tm = { 0 };
	if (t->has_date) {
		tm.tm_year = t->year - 1900;
		tm.tm_mon = t->mon - 1;
		tm.tm_mday = t->day;
	} else {
		time_t now = (time_t)(now_ns / NS);
		if (!(utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)))
			return -ERANGE;
		tm.tm_mday += t->day_offset; /* mktime/timegm normalise it */
	}
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	tm.tm_isdst = -1; /* the zone's rule for that day decides */
	errno = 0;
	time_t secs = utc ? timegm(&tm) : mktime(&tm);
	if (secs < 0 || (uint64_t)secs > UINT64_MAX / NS - 1)
		return -ERANGE;
	*out = (uint64_t)secs * NS + t->nsec;
	return 0;
}
