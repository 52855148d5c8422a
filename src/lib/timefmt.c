#include "timefmt.h"
#include "put.h"

#include <errno.h>

/* Days since 1970-01-01 to civil date, and back (Howard Hinnant's
 * algorithms): pure arithmetic, no time zone database, no locale. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned char n[12] = { 31, 28, 31, 30, 31, 30,
					     31, 31, 30, 31, 30, 31 };
	unsigned leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return n[m - 1] + (m == 2 ? leap : 0);
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static size_t format(char *out, uint64_t ns, int frac)
{
	uint64_t secs = ns / 1000000000ull;
	unsigned nsec = (unsigned)(ns % 1000000000ull);
	int y;
	unsigned mo, d;
	civil_from_days((int64_t)(secs / 86400), &y, &mo, &d);
	unsigned sod = (unsigned)(secs % 86400);
	char *p = out;

	p = put2(p, (unsigned)y / 100);
	p = put2(p, (unsigned)y % 100);
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	if (frac)
		p = put_frac_ns(p, (uint32_t)nsec);
	*p++ = 'Z';
	return (size_t)(p - out);
}

size_t time_format_rfc3339nano(char out[TIMEFMT_MAX], uint64_t ns)
{
	return format(out, ns, 1);
}

size_t time_format_rfc3339(char out[TIMEFMT_MAX], uint64_t ns)
{
	return format(out, ns, 0);
}

static int digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int time_parse_rfc3339(const char *s, size_t len, uint64_t *ns)
{
	unsigned y, mo, d, h, mi, se, frac = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	if (s[i] == '.') {
		unsigned n = 0;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (n == 9)
				return -EINVAL;
			frac = frac * 10 + (unsigned)(s[i] - '0');
			n++;
			i++;
		}
		if (n == 0)
			return -EINVAL;
		for (; n < 9; n++)
			frac *= 10;
	}
	if (i + 1 != len || s[i] != 'Z')
		return -EINVAL;
	int64_t days = days_from_civil((int)y, mo, d);
	uint64_t secs = (uint64_t)days * 86400 + h * 3600 + mi * 60 + se;
	if (secs > (UINT64_MAX - frac) / 1000000000ull)
		return -ERANGE;
	*ns = secs * 1000000000ull + frac;
	return 0;
}
