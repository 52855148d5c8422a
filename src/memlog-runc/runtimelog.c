#include "runtimelog.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum rtlog_format rtlog_parse_format(const char *s)
{
	return s && !strcmp(s, "json") ? RTLOG_JSON : RTLOG_TEXT;
}

/* Go's time.RFC3339: 2006-01-02T15:04:05Z07:00 ("Z" for UTC). */
static void rfc3339(char out[32], time_t t, long gmtoff)
{
	struct tm tm;
	time_t local = t + gmtoff;
	size_t n;
	long off = gmtoff < 0 ? -gmtoff : gmtoff;

	gmtime_r(&local, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	if (gmtoff == 0)
		snprintf(out + n, 32 - n, "Z");
	else
		snprintf(out + n, 32 - n, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+',
			 off / 3600 % 100, off / 60 % 60);
}

/* logfmt's quoting as logrus does it (Go's %q): backslash escapes for
 * '"', '\\' and control characters; other bytes as they are. */
static char *quote(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 4 + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': *p++ = '\\'; *p++ = '"'; break;
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		default:
			if (c < 0x20 || c == 0x7f)
				p += sprintf(p, "\\x%02x", c);
			else
				*p++ = (char)c;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* msg with each byte that is not part of valid UTF-8 replaced by '?'
 * (jansson refuses invalid UTF-8; a path may hold any bytes). */
static char *valid_utf8(const char *msg)
{
	size_t n = strlen(msg), i = 0;
	char *out = strdup(msg);

	while (out && i < n) {
		size_t l = utf8_decode(out + i, n - i, NULL);

		if (l == 0) {
			out[i] = '?';
			l = 1;
		}
		i += l;
	}
	return out;
}

char *rtlog_format_line(enum rtlog_format f, const char *level,
			const char *msg, time_t t, long gmtoff)
{
	char when[32], *line = NULL;

	rfc3339(when, t, gmtoff);
	if (f == RTLOG_JSON) {
		/* logrus sorts the keys: level, msg, time. jansson escapes
		 * msg; invalid UTF-8 in it (a path) is replaced first, since
		 * jansson refuses it. */
		json_t *o = json_object();
		char *clean = valid_utf8(msg);
		json_t *m = clean ? json_string(clean) : NULL;
		char *s = NULL;

		free(clean);
		if (o && m && !json_object_set_new(o, "level", json_string(level)) &&
		    !json_object_set_new(o, "msg", m) &&
		    !json_object_set_new(o, "time", json_string(when)))
			s = json_dumps(o, JSON_COMPACT);
		else if (!o)
			json_decref(m);
		json_decref(o);
		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
		return line;
	}
	char *q = quote(msg);

	if (q && asprintf(&line, "time=\"%s\" level=%s msg=%s\n", when, level,
			  q) < 0)
		line = NULL;
	free(q);
	return line;
}

int rtlog_printf(const struct rtlog *log, const char *level,
		 const char *fmt, ...)
{
	char *msg = NULL, *line;
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
	int fd, r = 0;
	size_t len;

	if (!log->path)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	localtime_r(&now, &tm);
	line = rtlog_format_line(log->format, level, msg, now, tm.tm_gmtoff);
	free(msg);
	if (!line)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO nobody reads fails at once instead of hanging
	 * the engine. runc opens the file the same way, appending. */
	fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		  O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		free(line);
		return -errno;
	}
	len = strlen(line);
	/* One write: with O_APPEND a line never interleaves with another
	 * writer's. */
	if (write(fd, line, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	free(line);
	return r;
}
