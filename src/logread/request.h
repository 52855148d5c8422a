/* What logread sends after connecting: LinuxKit's single byte (0 dump,
 * 1 follow, 2 dump then follow) when no memlog extension is asked for, so
 * logread also works against LinuxKit's Go daemon; otherwise memlog's text
 * request line (see src/lib/query.h). Pure: no I/O. */
#ifndef LOGREAD_REQUEST_H
#define LOGREAD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"


/* Room for any request: the line and its '\n'. */
#define REQUEST_MAX (QUERY_LINE_MAX + 1)

struct request {
	enum query_mode mode;
	bool v2;            /* memlog's text request; else LinuxKit's byte */
	const char *after;  /* cursor to start after, or NULL (v2 only) */
	bool has_last;      /* start last entries before the newest (v2 only) */
	uint64_t last;
	bool has_prio;      /* priorities prio_min..prio_max only (v2 only) */
	int prio_min, prio_max;
	uint32_t fac_mask;  /* facilities wanted (bit N), 0 = all (v2 only) */
	const char *const *globs; /* source globs (v2 only) */
	unsigned nglobs;
	bool has_since, has_until; /* entry times since_ns..until_ns only
				    * (v2 only) */
	uint64_t since_ns, until_ns;
	uint32_t stream_mask; /* streams wanted (bit N: enum stream N), 0 =
			       * all (v2 only) */
	const char *grep;   /* extended regex on the message, or NULL (v2) */
	bool grep_icase;
	bool binary;        /* format=binary: memlog's binary records
			     * (v2 only; not with stats) */
	bool upgrade;       /* LinuxKit's byte with memlog's request for
			     * binary records behind it (query.h
			     * QUERY_LEGACY_BINARY; not v2, not stats): the
			     * answer is either, told by its first byte */
};


/* The request that goes on after a lost connection (-f, -F), into out:
 * memlog's with a cursor (that of the last entry printed): dump-follow
 * after it, with the same filters; memlog's without one yet: first again;
 * LinuxKit's, which has no cursor: follow (also after -F, whose dump
 * would print everything again), unless it was answered in binary
 * records (an upgrade, which memlog's memlogd took), whose cursor it
 * then resumes after as memlog's request does. out->after points to
 * cursor. */
void request_resume(const struct request *first, const char *cursor,
		    struct request *out);

/* Writes the bytes to send into out. Returns their number, -ENOSPC if the
 * line would exceed QUERY_LINE_MAX, or -EINVAL for a request that cannot
 * be expressed (a legacy request with parameters or binary, stats with
 * parameters or binary,
 * a malformed cursor, too many or too long globs, a pattern longer
 * than QUERY_GREP_MAX). */
int request_build(const struct request *r, char *out, size_t cap);

#endif
