/* memlog-runc's own lines in the runtime log: the file the engine gives
 * runc with --log, in the format it asks for with --log-format, so that
 * whoever reads runc's log (containerd reads it for error messages,
 * `docker info`, an administrator) sees ours among runc's. runc writes it
 * with logrus: "json" is one object per line with the keys level, msg,
 * time; "text" is logfmt, time="..." level=... msg="...". Both carry the
 * time in RFC 3339 with the local offset, to the second. */
#ifndef MEMLOG_RUNC_RUNTIMELOG_H
#define MEMLOG_RUNC_RUNTIMELOG_H

#include <stdbool.h>
#include <time.h>

enum rtlog_format {
	RTLOG_TEXT, /* logrus TextFormatter, runc's default */
	RTLOG_JSON, /* logrus JSONFormatter */
};

struct rtlog {
	const char *path;        /* runc's --log, or NULL: nothing is written */
	enum rtlog_format format;
};

/* --log-format's value: "json" is JSON, anything else text (as runc). */
enum rtlog_format rtlog_parse_format(const char *s);

/* One line, ending in '\n' (malloc'd), or NULL when out of memory.
 * level: "info", "warning", "error". gmtoff: seconds east of UTC. */
char *rtlog_format_line(enum rtlog_format f, const char *level,
			const char *msg, time_t t, long gmtoff);

/* Formats msg (printf-style) with the current local time and appends it to
 * the log, best effort: a log that cannot be written is skipped (it must
 * never keep a container from starting). Returns 0 or -errno. */
int rtlog_printf(const struct rtlog *log, const char *level,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
