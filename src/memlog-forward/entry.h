/* One entry of memlogd's v2 answer as memlog-forward needs it: the fields
 * of src/client/reply.h plus seq, priority, facility, the sender's pid and
 * a loss marker's counts. Strings point into the parsed JSON (entry_parse)
 * or anywhere else (the encoder's tests and fuzzers build them by hand). */
#ifndef FORWARD_ENTRY_H
#define FORWARD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../client/reply.h" /* relative: the fuzz targets have no -Isrc/client */

struct fwd_entry {
	struct reply_field time;   /* RFC 3339 as memlogd writes it */
	struct reply_field source;
	struct reply_field msg;
	struct reply_field stream; /* "stdout", "stderr", "kernel", ...; NULL ptr: legacy */
	struct reply_field cursor; /* NULL ptr: none (legacy) */
	struct reply_field pid;    /* attrs "_pid" or syslog's "pid"; NULL ptr: unknown */
	struct reply_field marker; /* a loss marker's kind ("lagged", ...); NULL ptr: not one */
	uint64_t seq;              /* valid when has_seq */
	bool has_seq;
	bool partial;              /* the line goes on in the next entry */
	int priority;              /* 0-7, -1: none */
	int facility;              /* 0-23, -1: none */
	int64_t missed;            /* a marker's count; -1: unknown or not a marker */
};

/* Parses one line of the answer into e (pointing into *root, which the
 * caller json_decref()s). Returns what reply_entry_parse() does. */
int entry_parse(const char *line, size_t len, json_t **root, struct fwd_entry *e,
		char err[REPLY_ERR_MAX]);

#endif
