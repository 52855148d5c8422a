/* memlog's binary stream for its own clients (docs/protocol.md, "Binary
 * records"), chosen with format=binary in a v2 request: length-framed
 * records with fixed headers and the message bytes as they are (no JSON
 * escaping to undo), each source's name sent once per connection in a
 * definition record. Pure encoders and a decoder that allocates nothing:
 * what it returns points into the caller's buffer.
 *
 * Every record: u32 length (of what follows it), u8 type, then the type's
 * fields, all little-endian:
 *
 *   HELLO   u32 version, u64 instance                 first, once
 *   SOURCE  u32 sid, u8 stream, u16 name length, name
 *   ENTRY   u64 seq, u64 time_ns, u32 sid, u8 flags, i8 priority,
 *           i8 facility, u8 0, u32 message length, message, attributes
 *           (the rest: KEY=VALUE, NUL-separated)
 *   MARKER  i64 missed, u64 first seq, u64 last seq, u64 time_ns,
 *           u8 reason length, reason, text (the rest)
 *   ERROR   text (the rest); the connection ends after it
 *
 * A sid is valid from its SOURCE record until another SOURCE record with
 * the same sid replaces it. */
#ifndef MEMLOG_BINREC_H
#define MEMLOG_BINREC_H

#include <stddef.h>
#include <stdint.h>

#define BINREC_VERSION 1
#define BINREC_MAX (16u << 20)   /* longest record, length field included */

enum binrec_type {
	BINREC_HELLO = 1,
	BINREC_SOURCE = 2,
	BINREC_ENTRY = 3,
	BINREC_MARKER = 4,
	BINREC_ERROR = 5,
};

/* Entry flags. */
#define BINREC_PARTIAL 1u  /* the line goes on in the next entry */
#define BINREC_NOTICE  2u  /* the daemon's own loss notice (a marker entry) */
#define BINREC_NOEOL   4u  /* the stream ended before a newline */

struct binrec {
	enum binrec_type type;
	uint32_t version;          /* HELLO */
	uint64_t instance;         /* HELLO */
	uint32_t sid;              /* SOURCE, ENTRY */
	uint8_t stream;            /* SOURCE */
	uint64_t seq, time_ns;     /* ENTRY (MARKER: time_ns) */
	uint8_t flags;             /* ENTRY */
	int priority, facility;    /* ENTRY, -1 for none */
	const char *name;          /* SOURCE */
	size_t name_len;
	const char *msg;           /* ENTRY message, MARKER/ERROR text */
	size_t msg_len;
	const char *attrs;         /* ENTRY */
	size_t attrs_len;
	int64_t missed;            /* MARKER */
	uint64_t first, last;      /* MARKER */
	const char *reason;        /* MARKER */
	size_t reason_len;
};

/* Upper bounds of what the encoders write. */
#define BINREC_HELLO_LEN 17
#define BINREC_SOURCE_BOUND(name_len) (12 + (name_len))
#define BINREC_ENTRY_BOUND(msg_len, attrs_len) (41 + (msg_len) + (attrs_len))
#define BINREC_MARKER_BOUND(reason_len, text_len) \
	(38 + (reason_len) + (text_len))

size_t binrec_hello(char *out, uint64_t instance);
size_t binrec_source(char *out, uint32_t sid, uint8_t stream,
		     const char *name, size_t name_len);
size_t binrec_entry(char *out, uint64_t seq, uint64_t time_ns, uint32_t sid,
		    uint8_t flags, int priority, int facility, const char *msg,
		    size_t msg_len, const char *attrs, size_t attrs_len);
size_t binrec_marker(char *out, uint64_t time_ns, int64_t missed,
		     uint64_t first, uint64_t last, const char *reason,
		     const char *text);
size_t binrec_error(char *out, const char *text, size_t len);

/* The record at the start of buf (len bytes): 1 and *used its length, 0
 * when more bytes are needed for it, -EBADMSG when it is not a record
 * (too long, unknown type, fields past its length). */
int binrec_next(const char *buf, size_t len, struct binrec *r, size_t *used);

#endif
