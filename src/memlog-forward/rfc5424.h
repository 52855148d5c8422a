/* An entry as an RFC 5424 syslog message, and RFC 6587 octet-counting
 * framing. Pure: no I/O, no clock, no globals; unit-tested and fuzzed.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [memlog@32473 ...] MSG
 *
 * - PRI: the entry's facility * 8 + priority; entries without a priority
 *   get the configured default of their stream (stdout, stderr), memlogd's
 *   own entries (loss markers, notices) cfg->daemon_pri.
 * - TIMESTAMP: memlogd's time cut (not rounded) to microseconds, "Z".
 * - HOSTNAME, APP-NAME (from the source), PROCID (the sender's pid), MSGID
 *   (the stream): every byte outside printable US-ASCII (33-126) becomes
 *   '_', cut at 255, 48, 128 and 32 bytes; empty becomes "-".
 * - Structured data: one element, SD-ID "memlog@32473" (32473 is the
 *   example private enterprise number of RFC 5612, so the ID cannot clash
 *   with a registered one), params cursor, seq, source (exact), stream,
 *   partial, and for loss markers marker and missed. '"', '\' and ']' in a
 *   value are escaped with '\' (RFC 5424 6.3.3).
 * - MSG: UTF-8 without a BOM. Each byte of invalid UTF-8 becomes U+FFFD;
 *   control characters other than tab (0x00-0x1f, 0x7f) are written \xNN
 *   (lower-case hex), as logwrite's text format does, so a message is one
 *   line even for receivers that frame by newline. The same applies to
 *   structured-data values. */
#ifndef FORWARD_RFC5424_H
#define FORWARD_RFC5424_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "strbuf.h"
#include "timecache.h"

#define RFC5424_SD_ID "memlog@32473"
#define RFC5424_APP_NAME_MAX 48
#define RFC5424_HOSTNAME_MAX 255
#define RFC5424_PROCID_MAX 128
#define RFC5424_MSGID_MAX 32
/* "2026-11-22T05:07:16.484369Z" */
#define RFC5424_TIME_LEN 27

struct rfc5424_cfg {
	const char *hostname; /* as given; cleaned by the encoder */
	int stdout_pri;       /* PRI of stdout entries without a priority */
	int stderr_pri;       /* the same for stderr (and legacy entries) */
	int daemon_pri;       /* memlogd's own entries: markers, notices */
	int facility;         /* facility of entries that have a priority but
			       * no facility */
	struct timecache *times; /* the dates of entries given in ns, worked
				  * out once per second; NULL: each anew */
};

/* The PRI (0-191) the entry is sent with. */
int rfc5424_pri(const struct rfc5424_cfg *cfg, const struct fwd_entry *e);

/* Writes s as a header field: bytes outside 33-126 as '_', at most max
 * bytes, "-" when empty. out must hold max + 1 bytes; NUL-terminated.
 * Returns the length. */
size_t rfc5424_token(char *out, size_t max, const char *s, size_t len);

/* Converts memlogd's "YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z" to exactly six
 * fraction digits. Returns RFC5424_TIME_LEN, or 0 when the input is not
 * in that form (the caller writes "-"). out holds RFC5424_TIME_LEN + 1. */
size_t rfc5424_time(char out[RFC5424_TIME_LEN + 1], const char *s, size_t len);

/* The same from ns since the epoch (cut to microseconds), the date from
 * tc (NULL: worked out here). Returns RFC5424_TIME_LEN. */
size_t rfc5424_time_ns(struct timecache *tc, char out[RFC5424_TIME_LEN + 1],
		       uint64_t ns);

/* Appends s as MSG text (sd = false) or as an SD-PARAM value (sd = true,
 * '"' '\' ']' escaped too), as described above. */
void rfc5424_text(struct strbuf *b, const char *s, size_t len, int sd);

/* Appends the whole message. Returns 0 or -ENOMEM. */
int rfc5424_encode(const struct rfc5424_cfg *cfg, const struct fwd_entry *e,
		   struct strbuf *out);

/* Appends "LEN SP" and the len bytes of msg (RFC 6587 3.4.1). Returns 0 or
 * -ENOMEM. */
int rfc5424_frame(struct strbuf *out, const char *msg, size_t len);

#endif
