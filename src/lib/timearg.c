#include "timearg.h"

#include <errno.h>
#include <string.h>

#define NS 1000000000LL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at s. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* ".fff" (1-9 digits) at *p, if present: the fraction in ns. */
static bool fraction(const char **p, uint32_t *nsec)
{
	const char *s = *p;
	uint32_t v = 0;
	int n = 0;

	*nsec = 0;
	if (*s != '.')
		return true;
	for (s++; is_digit(*s); s++, n++) {
		if (n == 9)
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (n == 0)
		return false;
	for (int i = n; i < 9; i++)
		v *= 10;
	*nsec = v;
	*p = s;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int timearg_civil_utc(int year, int mon, int day, int hour, int min, int sec,
		      uint32_t nsec, uint64_t *ns)
{
	int64_t days = days_from_civil(year, mon, day);
	int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec;

	/* 2554-07-21T23:34:33Z is the last second uint64 ns hold. */
	if (secs < 0 || secs > (int64_t)(UINT64_MAX / NS) - 1)
		return -ERANGE;
	*ns = (uint64_t)secs * NS + nsec;
	return 0;
}

/* "HH:MM[:SS[.fff]]" at *p. */
static bool time_of_day(const char **p, struct timearg *t)
{
	const char *s = *p;

	if (!digits(s, 2, &t->hour) || s[2] != ':' || !digits(s + 3, 2, &t->min))
		return false;
	s += 5;
	t->sec = 0;
	t->nsec = 0;
	if (*s == ':') {
		if (!digits(s + 1, 2, &t->sec))
			return false;
		s += 3;
		if (!fraction(&s, &t->nsec))
			return false;
	}
	if (t->hour > 23 || t->min > 59 || t->sec > 59)
		return false;
	*p = s;
	return true;
}

struct unit {
	const char *name;
	int64_t ns;
};

/* systemd.time(7)'s units; longest names first where one is a prefix. */
static const struct unit units[] = {
	{ "usec", 1000 }, { "us", 1000 },
	{ "msec", 1000000 }, { "ms", 1000000 },
	{ "seconds", NS }, { "second", NS }, { "sec", NS }, { "s", NS },
	{ "minutes", 60 * NS }, { "minute", 60 * NS }, { "min", 60 * NS },
	{ "months", 2629800 * NS }, { "month", 2629800 * NS },
	{ "m", 60 * NS },
	{ "hours", 3600 * NS }, { "hour", 3600 * NS }, { "hr", 3600 * NS },
	{ "h", 3600 * NS },
	{ "days", 86400 * NS }, { "day", 86400 * NS }, { "d", 86400 * NS },
	{ "weeks", 604800 * NS }, { "week", 604800 * NS }, { "w", 604800 * NS },
	{ "M", 2629800 * NS },
	{ "years", 31557600 * NS }, { "year", 31557600 * NS },
	{ "y", 31557600 * NS },
};

/* "1h 30min", "2days": one or more NUMBER UNIT, spaces allowed between
 * and around; stops at the end or at a word that is not a span part
 * ("ago"). */
static int span(const char **p, int64_t *out)
{
	const char *s = *p;
	int64_t total = 0;
	bool any = false;

	for (;;) {
		while (*s == ' ')
			s++;
		if (!is_digit(*s))
			break;
		int64_t n = 0;
		for (; is_digit(*s); s++) {
			if (n > (INT64_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (*s - '0');
		}
		while (*s == ' ')
			s++;
		const struct unit *u = NULL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].name);
			if (strncmp(s, units[i].name, l) == 0 &&
			    !((s[l] >= 'a' && s[l] <= 'z') ||
			      (s[l] >= 'A' && s[l] <= 'Z'))) {
				u = &units[i];
				break;
			}
		}
		if (!u)
			return -EINVAL; /* journalctl wants a unit: "-5" is not a time */
		s += strlen(u->name);
		if (n > INT64_MAX / u->ns || total > INT64_MAX - n * u->ns)
			return -ERANGE;
		total += n * u->ns;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*p = s;
	*out = total;
	return 0;
}

int timearg_parse(const char *s, struct timearg *t)
{
	memset(t, 0, sizeof(*t));
	if (strnlen(s, TIMEARG_MAX + 1) > TIMEARG_MAX)
		return -EINVAL;

	if (!strcmp(s, "now")) {
		t->kind = TIMEARG_REL;
		return 0;
	}
	static const struct { const char *w; int off; } days[] = {
		{ "today", 0 }, { "yesterday", -1 }, { "tomorrow", 1 },
	};
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(s, days[i].w)) {
			t->kind = TIMEARG_CIVIL;
			t->day_offset = days[i].off;
			return 0;
		}

	if (*s == '@') {
		uint64_t secs = 0;
		uint32_t nsec;
		const char *p = s + 1;
		if (!is_digit(*p))
			return -EINVAL;
		for (; is_digit(*p); p++) {
			if (secs > UINT64_MAX / NS)
				return -ERANGE;
			secs = secs * 10 + (uint64_t)(*p - '0');
		}
		if (!fraction(&p, &nsec) || *p)
			return -EINVAL;
		if (secs > (UINT64_MAX - nsec) / NS)
			return -ERANGE;
		t->kind = TIMEARG_ABS;
		t->ns = secs * NS + nsec;
		return 0;
	}

	if (*s == '+' || *s == '-') {
		const char *p = s + 1;
		int64_t v;
		int r = span(&p, &v);
		if (r < 0)
			return r;
		if (*p)
			return -EINVAL;
		t->kind = TIMEARG_REL;
		t->rel = *s == '-' ? -v : v;
		return 0;
	}
	if (is_digit(*s)) {
		/* "2 days ago", "5min ago" */
		const char *p = s;
		int64_t v;
		if (span(&p, &v) == 0 && !strcmp(p, "ago")) {
			t->kind = TIMEARG_REL;
			t->rel = -v;
			return 0;
		}
	}

	const char *p = s;
	t->kind = TIMEARG_CIVIL;
	/* digits() stops at the NUL: p[4] is read only after 4 digits. */
	if (digits(p, 4, &t->year) && p[4] == '-') {
		if (!digits(p + 5, 2, &t->mon) || p[7] != '-' ||
		    !digits(p + 8, 2, &t->day))
			return -EINVAL;
		if (t->mon < 1 || t->mon > 12 || t->day < 1 ||
		    t->day > days_in_month(t->year, t->mon))
			return -EINVAL;
		t->has_date = true;
		p += 10;
		if ((*p == ' ' || *p == 'T') && is_digit(p[1])) {
			p++;
			if (!time_of_day(&p, t))
				return -EINVAL;
		}
	} else if (!time_of_day(&p, t)) {
		return -EINVAL;
	}
	if (!strcmp(p, " UTC") || (!strcmp(p, "Z") && t->has_date))
		t->utc = true;
	else if (*p)
		return -EINVAL;
	if (t->has_date) {
		uint64_t ns;
		int r = timearg_civil_utc(t->year, t->mon, t->day, t->hour,
					  t->min, t->sec, t->nsec, &ns);
		if (r < 0)
			return r; /* out of range in any zone near enough */
	}
	return 0;
}
