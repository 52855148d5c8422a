/* systemd's Journal Export Format (format=export in a v2 request, and
 * `logread -o export`): one entry is its fields, one a line, then an
 * empty line; a field whose value is not printable on one line goes in
 * the binary-safe form (NAME, '\n', the length as a little-endian u64,
 * the bytes, '\n'). `systemd-journal-remote -o FILE.journal -` turns it
 * into a journal file (docs/protocol.md, "Journal Export Format").
 *
 * An entry's fields:
 *   __REALTIME_TIMESTAMP   the entry's time, microseconds
 *   MESSAGE                the message as stored
 *   SYSLOG_IDENTIFIER      the source
 *   PRIORITY, SYSLOG_FACILITY   where the entry has them
 *   _TRANSPORT             stdout (fd sources), syslog, kernel, driver
 *                          (memlogd's own entries)
 *   _PID, _UID             the sender's credentials (attributes _pid, _uid)
 *   SYSLOG_PID             syslog's pid attribute
 *   _KERNEL_KEY            a kernel record's dictionary (as journald)
 *   MEMLOG_KEY             any other attribute, the key upper-cased and
 *                          every byte but [A-Z0-9_] as '_'
 *   MEMLOG_SEQ, MEMLOG_CURSOR, MEMLOG_STREAM, MEMLOG_PARTIAL
 *                          memlog's own: seq, cursor, stream, partial
 *                          (true or false); MEMLOG_EOF=true and
 *                          MEMLOG_NOTICE=true where set
 * A reader's loss marker has MESSAGE (the marker's text),
 * SYSLOG_IDENTIFIER=memlogd, _TRANSPORT=driver, PRIORITY=4,
 * MEMLOG_MARKER (the reason), MEMLOG_MISSED, MEMLOG_FIRST_SEQ,
 * MEMLOG_LAST_SEQ (when known), MEMLOG_CURSOR.
 * Pure functions; out must hold the *_BOUND bytes. */
#ifndef MEMLOG_EXPORT_H
#define MEMLOG_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "ring.h"

/* An entry of a source named name_len bytes, msg_len bytes of message
 * and attrs_len bytes of attributes. */
#define EXPORT_BOUND(name_len, msg_len, attrs_len) \
	(512 + CURSOR_LEN + (name_len) + (msg_len) + 10 * (attrs_len))
size_t export_entry(char *out, const struct ring_entry *e, uint64_t instance,
		    const struct record_source *src);

#define EXPORT_MARKER_BOUND (600 + CURSOR_LEN)
/* As record_marker_v2 (record.h): msg is cut at 256 bytes. */
size_t export_marker(char *out, uint64_t time_ns, uint64_t instance,
		     const char *reason, int64_t missed, uint64_t first_seq,
		     uint64_t last_seq, const char *msg);

#endif
