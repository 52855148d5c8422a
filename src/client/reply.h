/* One line of memlogd's query answer, parsed with jansson; shared by the
 * clients (logread, logwrite), kept out of libmemlog, which memlogd links
 * and which stays libc-only. Both of the server's dialects are read the
 * same way: LinuxKit's {time, source, msg}
 * and memlog's v2 objects, which add seq, cursor, stream, partial and the
 * rest. Loss markers are entries too (source "memlogd"). */
#ifndef MEMLOG_CLIENT_REPLY_H
#define MEMLOG_CLIENT_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define REPLY_ERR_MAX 256 /* room for a description of a bad line */

/* A string field; NULL ptr when the field is absent. May hold NUL bytes. */
struct reply_field {
	const char *ptr;
	size_t len;
};

struct reply_entry {
	struct reply_field time;
	struct reply_field source;
	struct reply_field msg;
	struct reply_field stream; /* v2 only */
	struct reply_field cursor; /* v2 only */
	bool partial;        /* more pieces of this line follow */
	bool marker;         /* a daemon or reader loss notice */
};

enum reply_kind {
	REPLY_OK = 0,           /* an entry */
	REPLY_SERVER_ERROR = 1, /* {"error":"..."}: its text is in msg */
};

/* Parses one JSON object (with NUL bytes allowed in strings) and checks
 * for the server's {"error":...} reply. Returns REPLY_OK or
 * REPLY_SERVER_ERROR with *root set (the caller json_decref()s it, and
 * error points into it), or -EPROTO with a description in err. */
int reply_parse(const char *text, size_t len, json_t **root,
		struct reply_field *error, char err[REPLY_ERR_MAX]);

/* Parses one line into e, whose fields point into *root. Returns what
 * reply_parse() does; -EPROTO also when a field is missing or has the wrong
 * type. */
int reply_entry_parse(const char *line, size_t len, json_t **root, struct reply_entry *e,
		char err[REPLY_ERR_MAX]);

#endif
