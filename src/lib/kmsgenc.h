/* memlogd's kernel entries encoded back into /dev/kmsg's record format
 * (Documentation/ABI/testing/dev-kmsg), for memlog-kmsgfs:
 *
 *     PRI,SEQ,USEC,-;MESSAGE\n
 *      KEY=VALUE\n             (one line per attribute)
 *
 * memlogd stores a kernel record's text as the kernel escaped it (\xNN
 * for unprintable bytes and backslashes), so the text is passed on as it
 * is; only bytes a record must not hold (control bytes: a newline would
 * end the record, a NUL would cut it) are escaped as the kernel does.
 * Pure: no I/O. */
#ifndef MEMLOG_KMSGENC_H
#define MEMLOG_KMSGENC_H

#include <stddef.h>
#include <stdint.h>

/* A record's largest size: util-linux dmesg reads /dev/kmsg with a
 * buffer of BUFSIZ (8192) bytes, so a longer record could never be read
 * by it. A longer message is cut (at a whole escape), attributes that no
 * longer fit are left out. */
#define KMSGENC_MAX 8192

/* Writes the record into out (KMSGENC_MAX bytes) and returns its length.
 * priority and facility < 0 (an entry without them) are taken as 6
 * (info) and 0 (kernel). attrs holds KEY=VALUE strings separated by NUL
 * bytes (memlog's binary records); a string without '=' or with an empty
 * key is left out. */
size_t kmsgenc_record(char *out, uint64_t seq, uint64_t usec, int priority,
		      int facility, const char *msg, size_t msg_len,
		      const char *attrs, size_t attrs_len);

/* A wall-clock time (ns) as /dev/kmsg's time stamp, us since boot, given
 * the wall-clock time of boot as memlogd computed it (realtime minus
 * CLOCK_MONOTONIC, kmsgstate.c): 0 for a time before boot. */
uint64_t kmsgenc_usec(uint64_t time_ns, uint64_t boot_ns);

#endif
