#include "pri.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* A decimal number up to max, or -EINVAL. */
static int small_number(const char *s, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -EINVAL;
}

static int lookup(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == n && !strncasecmp(names[i], s, n))
			return i;
	/* The aliases syslog.conf(5) keeps for old configurations. */
	if (names == severities) {
		if (n == 5 && !strncasecmp(s, "error", 5))
			return 3;
		if (n == 4 && !strncasecmp(s, "warn", 4))
			return 4;
		if (n == 5 && !strncasecmp(s, "panic", 5))
			return 0;
	}
	return -EINVAL;
}

int pri_parse_severity(const char *text, size_t len)
{
	int v = small_number(text, len, 7);

	return v >= 0 ? v : lookup(severities, 8, text, len);
}

int pri_parse(const char *text, size_t len)
{
	const char *dot = memchr(text, '.', len);
	int fac, sev;

	if (!dot)
		return small_number(text, len, PRI_MAX);
	fac = lookup(facilities, 24, text, (size_t)(dot - text));
	if (fac < 0)
		return -EINVAL;
	sev = pri_parse_severity(dot + 1, len - (size_t)(dot - text) - 1);
	if (sev < 0)
		return -EINVAL;
	return fac * 8 + sev;
}
