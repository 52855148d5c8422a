/* One line of the server's answer, parsed with jansson. Both of the
 * server's dialects are read the same way: LinuxKit's {time, source, msg}
 * and memlog's v2 objects, which add seq, cursor, stream, partial and the
 * rest. Loss markers are entries too (source "memlogd"). */
#ifndef LOGREAD_ENTRY_H
#define LOGREAD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define ENTRY_ERR_MAX 256 /* room for a description of a bad line */

/* A string field; NULL ptr when the field is absent. May hold NUL bytes. */
struct field {
	const char *ptr;
	size_t len;
};

struct entry {
	struct field time;
	struct field source;
	struct field msg;
	struct field stream; /* v2 only */
	struct field cursor; /* v2 only */
	bool partial;        /* more pieces of this line follow */
	bool marker;         /* a daemon or reader loss notice */
};

enum entry_kind {
	ENTRY_OK = 0,           /* an entry */
	ENTRY_SERVER_ERROR = 1, /* {"error":"..."}: its text is in msg */
};

/* Parses one JSON object (with NUL bytes allowed in strings) and checks
 * for the server's {"error":...} reply. Returns ENTRY_OK or
 * ENTRY_SERVER_ERROR with *root set (the caller json_decref()s it, and
 * error points into it), or -EPROTO with a description in err. */
int reply_parse(const char *text, size_t len, json_t **root,
		struct field *error, char err[ENTRY_ERR_MAX]);

/* Parses one line into e, whose fields point into *root. Returns what
 * reply_parse() does; -EPROTO also when a field is missing or has the wrong
 * type. */
int entry_parse(const char *line, size_t len, json_t **root, struct entry *e,
		char err[ENTRY_ERR_MAX]);

#endif
