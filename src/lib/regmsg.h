/* The registration datagram: the source name as raw bytes, then (memlog's
 * extension, invisible to LinuxKit senders, which never send a NUL) optional
 * NUL-separated key=value attributes (stream=, tee= and ack= are the daemon's
 * own; others are kept for the source's entries):
 *
 *     NAME [ "\0" KEY "=" VALUE ]*
 *
 * Pure parser: no I/O; the result points into the caller's buffer. */
#ifndef MEMLOG_REGMSG_H
#define MEMLOG_REGMSG_H

#include <stdbool.h>
#include <stddef.h>

#define REG_NAME_MAX   512 /* LinuxKit's daemon truncates names here too */
#define REG_ATTRS_MAX  16  /* attributes beyond this are counted, not kept */
#define REG_DGRAM_MAX  4096

enum stream {
	STREAM_UNKNOWN = 0,
	STREAM_STDOUT = 1,
	STREAM_STDERR = 2,
	STREAM_NONE = 3, /* the daemon's own entries */
	STREAM_SYSLOG = 4, /* messages to /dev/log */
	STREAM_KERNEL = 5, /* the kernel log, /dev/kmsg */
};

/* "stdout", "stderr", "none", "syslog", "kernel", or "unknown". */
const char *stream_name(enum stream s);

/* The stream named by s (len bytes; "daemon" also names STREAM_NONE, the
 * daemon's own entries), or -1. */
int stream_parse(const char *s, size_t len);

struct reg_attr {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

struct reg_msg {
	const char *name;       /* source name, not NUL-terminated */
	size_t name_len;        /* at most REG_NAME_MAX */
	bool name_truncated;    /* the name was longer and was cut */
	enum stream stream;     /* from stream=, else from the name (see below) */
	bool stream_given;      /* a valid stream= attribute was present */
	bool tee;               /* tee=1: two fds, a source and a copy
				 * destination (docs/protocol.md) */
	bool ack;               /* ack=1: the last fd takes the answer */
	unsigned nattrs;        /* well-formed attributes kept in attrs[] */
	struct reg_attr attrs[REG_ATTRS_MAX];
	unsigned bad_attrs;     /* malformed, unknown-valued or beyond the cap */
};

/* Parses one datagram. Never fails: every input gives a registration, as in
 * LinuxKit (the empty name included). Without stream=, the stream follows
 * LinuxKit's naming convention: a name ending in ".out" is stdout, any other
 * stderr. */
void reg_parse(const void *buf, size_t len, struct reg_msg *out);

/* Builds a datagram (used by memlog-run and tests). Returns its length, or
 * -ENOSPC if it does not fit in cap bytes, -EINVAL for a NUL in the name or
 * a NUL or '=' in a key. */
int reg_build(char *out, size_t cap, const char *name, size_t name_len,
	      const struct reg_attr *attrs, unsigned nattrs);

/* The value of attribute key, or NULL. */
const struct reg_attr *reg_find(const struct reg_msg *m, const char *key);

#endif
