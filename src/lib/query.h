/* The query request. A client's first byte 0, 1 or 2 is LinuxKit's request
 * (dump, follow, dump then follow); any other first byte begins memlog's
 * text request, one line of at most QUERY_LINE_MAX bytes ending in '\n':
 *
 *     MODE *( " " KEY "=" VALUE )
 *     MODE  = "dump" / "follow" / "dump-follow" / "stats"
 *     KEY   = "after"  (a cursor: start after that entry)
 *           / "last"   (a count: the last N entries that pass the
 *                       filters below)
 *           / "source" (a glob on the source name, repeatable; a source
 *                       matching any of them is sent)
 *           / "priority" (N: 0 to N, or A..B: priorities A to B; entries
 *                       without a priority do not match)
 *           / "facility" (N[,N...]: facilities 0-23; entries without a
 *                       facility do not match)
 *           / "since", "until" (ns since the epoch: entries with
 *                       since <= time <= until)
 *           / "stream" (stdout, stderr, kernel, syslog, daemon; comma
 *                       list, repeatable: a stream named anywhere is sent)
 *           / "grep", "igrep" (an extended regular expression on the
 *                       message, at most QUERY_GREP_MAX bytes; igrep
 *                       ignores case)
 *           / "format" (json, binary or export: how entries are sent)
 *
 * VALUE is percent-encoded (%XX) where it holds a space, '%', or a byte
 * outside printable ASCII. See docs/protocol.md. Pure parser: no I/O. */
#ifndef MEMLOG_QUERY_H
#define MEMLOG_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define QUERY_LINE_MAX 4096
#define QUERY_GLOBS_MAX 16
#define QUERY_GLOB_MAX 1024
#define QUERY_GREP_MAX 256   /* a bound on what a client's pattern costs */

enum query_mode {
	QUERY_DUMP = 0,        /* send what the ring holds, then close */
	QUERY_FOLLOW = 1,      /* send only entries that arrive from now on */
	QUERY_DUMP_FOLLOW = 2, /* both */
	QUERY_STATS = 3,       /* one JSON object with counters, then close */
};

struct query_req {
	enum query_mode mode;
	bool v2;                /* text request: v2 output fields */
	bool binary;            /* format=binary: binrec.h records */
	bool export_fmt;        /* format=export: systemd's Journal Export
				 * Format (export.h) */
	bool has_after;
	struct cursor after;
	bool has_last;
	uint64_t last;
	bool has_prio;
	int prio_min, prio_max;  /* inclusive, 0-7 */
	uint32_t fac_mask;       /* bit N: facility N wanted; 0 = no filter */
	unsigned nglobs;
	char globs[QUERY_GLOBS_MAX][QUERY_GLOB_MAX + 1]; /* NUL-terminated */
	bool has_since, has_until;
	uint64_t since_ns, until_ns;  /* entries with since <= time <= until */
	uint32_t stream_mask;    /* bit N: enum stream N wanted; 0 = no filter */
	char grep[QUERY_GREP_MAX + 1]; /* extended regex on the message, or "" */
	bool grep_icase;         /* grep without regard to case */
};

/* The error texts with which memlogd refuses an after= cursor, so that a
 * client can tell "your cursor" from other refusals: a malformed one is
 * answered "bad request: " QUERY_ERR_CURSOR_MALFORMED, one of this
 * instance past the newest entry QUERY_ERR_CURSOR_NEWER. docs/protocol.md
 * promises them. */
#define QUERY_ERR_BAD_REQUEST "bad request: "
#define QUERY_ERR_CURSOR_MALFORMED "malformed cursor"
#define QUERY_ERR_CURSOR_NEWER "cursor is newer than the newest entry"

/* Is the server's error text (len bytes) one of those? */
bool query_error_refuses_cursor(const char *msg, size_t len);

/* Is this first byte a legacy request? Fills req if so. */
bool query_legacy(unsigned char byte, struct query_req *req);

/* memlog's clients that would send LinuxKit's byte (logread without a
 * memlog option) ask for binary records behind it, in one write:
 *
 *     BYTE "memlog format=binary\n"
 *
 * LinuxKit's daemon reads the byte alone and answers in its JSON lines;
 * memlogd, which reads what came with the byte, answers the same request
 * in binary records (HELLO first). The client tells the two apart by the
 * answer's first byte ('{' or not). */
#define QUERY_LEGACY_BINARY "memlog format=binary\n"

/* Does buf (len bytes: the legacy byte and what the same read brought
 * with it) ask for binary records so? Anything else after the byte is
 * ignored, as LinuxKit does. */
bool query_legacy_binary(const char *buf, size_t len);

/* Could this first byte begin a text request (a lowercase letter)? Anything
 * else is answered with an error at once. */
bool query_text_start(unsigned char byte);

/* Parses one request line (without its '\n'). Returns 0, or -EINVAL with a
 * static message in *err. */
int query_parse(const char *line, size_t len, struct query_req *req,
		const char **err);

/* A priority argument as users write it (journalctl's -p): a name (emerg,
 * alert, crit, err, warning, notice, info, debug) or digit N meaning 0..N,
 * or a range A..B of names or digits. Returns 0 or -EINVAL. */
int query_priority_arg(const char *s, int *lo, int *hi);

/* A facility list as users write it: comma-separated names (kern, user,
 * mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp,
 * security, console, solaris-cron, local0-local7) or numbers 0-23. Sets
 * the bit mask. Returns 0 or -EINVAL. */
int query_facility_arg(const char *s, uint32_t *mask);

/* Does the source name match the request's globs (true if it has none)? */
bool query_match_source(const struct query_req *req, const char *name);

#endif
