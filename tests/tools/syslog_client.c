/* syslog_client: sends one message through the C library's syslog(3), as a
 * legacy program does, for the integration tests of memlogd --syslog.
 *
 *   syslog_client IDENT FACILITY PRIORITY MESSAGE
 *
 * FACILITY is a name (user, daemon, local0 ... local7, ...) or its number
 * (0-23); PRIORITY a level name (emerg ... debug, also warn and error) or
 * 0-7. openlog(IDENT, LOG_PID, FACILITY), syslog(PRIORITY, "%s", MESSAGE),
 * closelog(). The message goes to /dev/log, the C library's fixed path: run
 * it where a test has put its socket there (a mount namespace). Prints its
 * pid on stdout so a test can compare it with what arrived. Exit status 0,
 * or 2 for bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

struct name {
	const char *name;
	int value;
};

static const struct name facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 },
	{ "auth", 4 }, { "syslog", 5 }, { "lpr", 6 }, { "news", 7 },
	{ "uucp", 8 }, { "cron", 9 }, { "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
	{ NULL, 0 },
};

static const struct name levels[] = {
	{ "emerg", 0 }, { "alert", 1 }, { "crit", 2 }, { "err", 3 },
	{ "error", 3 }, { "warning", 4 }, { "warn", 4 }, { "notice", 5 },
	{ "info", 6 }, { "debug", 7 },
	{ NULL, 0 },
};

/* A name from the table or a number from 0 to max; -1 if neither. */
static int lookup(const struct name *t, const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		return v >= 0 && v <= max ? (int)v : -1;
	for (; t->name; t++)
		if (!strcasecmp(t->name, s))
			return t->value;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: syslog_client IDENT FACILITY PRIORITY "
			"MESSAGE\n");
		return 2;
	}
	int fac = lookup(facilities, argv[2], 23);
	int lvl = lookup(levels, argv[3], 7);
	if (fac < 0 || lvl < 0) {
		fprintf(stderr, "syslog_client: bad facility %s or priority %s\n",
			argv[2], argv[3]);
		return 2;
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	openlog(argv[1], LOG_PID, fac << 3);
	syslog(lvl, "%s", argv[4]);
	closelog();
	return 0;
}
