/* libFuzzer target: query_parse() on the input as one request line (and
 * query_legacy_binary() on it as a legacy client's first read). When it
 * is accepted, the request must be coherent, and writing it out again in
 * canonical form must parse to the same request (globs, cursor, last,
 * priority range and facility set included). When it is refused, the
 * error names the cursor exactly when the cursor was refused
 * (query_error_refuses_cursor, which clients rely on). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "regmsg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct query_req req, req2;
static char line[3 * QUERY_LINE_MAX + 256];

static const char *const modes[] = { "dump", "follow", "dump-follow", "stats" };

/* Percent-encodes s at p; returns the new end. */
static char *enc(char *p, const char *s)
{
	for (const unsigned char *g = (const unsigned char *)s; *g; g++) {
		if (*g <= ' ' || *g == '%' || *g >= 0x7f)
			p += sprintf(p, "%%%02X", *g);
		else
			*p++ = (char)*g;
	}
	return p;
}

/* Writes the request back as a line, globs and pattern percent-encoded. */
static size_t unparse(const struct query_req *r, char *out)
{
	char *p = out;

	p += sprintf(p, "%s", modes[r->mode]);
	if (r->has_after) {
		char cur[CURSOR_LEN + 1];
		cursor_format(cur, r->after);
		p += sprintf(p, " after=%s", cur);
	}
	if (r->has_last)
		p += sprintf(p, " last=%" PRIu64, r->last);
	if (r->has_prio)
		p += sprintf(p, " priority=%d..%d", r->prio_min, r->prio_max);
	if (r->fac_mask) {
		const char *sep = " facility=";
		for (int f = 0; f < 24; f++)
			if (r->fac_mask & (1u << f)) {
				p += sprintf(p, "%s%d", sep, f);
				sep = ",";
			}
	}
	if (r->has_since)
		p += sprintf(p, " since=%" PRIu64, r->since_ns);
	if (r->has_until)
		p += sprintf(p, " until=%" PRIu64, r->until_ns);
	if (r->stream_mask) {
		const char *sep = " stream=";
		for (int i = 0; i < 32; i++)
			if (r->stream_mask & (1u << i)) {
				const char *name = stream_name((enum stream)i);
				CHECK(stream_parse(name, strlen(name)) == i);
				p += sprintf(p, "%s%s", sep, name);
				sep = ",";
			}
	}
	if (r->grep[0]) {
		p += sprintf(p, " %s=", r->grep_icase ? "igrep" : "grep");
		p = enc(p, r->grep);
	}
	for (unsigned i = 0; i < r->nglobs; i++) {
		p += sprintf(p, " source=");
		p = enc(p, r->globs[i]);
	}
	return (size_t)(p - out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err = NULL;
	int r = query_parse((const char *)data, size, &req, &err);

	/* Any text may come back as a server's error: never past len. */
	(void)query_error_refuses_cursor((const char *)data, size);
	/* The first read of a legacy client: the binary upgrade is exactly
	 * one byte 0-2 and QUERY_LEGACY_BINARY. */
	if (query_legacy_binary((const char *)data, size))
		CHECK(size == sizeof(QUERY_LEGACY_BINARY) && data[0] <= 2 &&
		      data[size - 1] == '\n');
	if (r != 0) {
		CHECK(r == -EINVAL);
		CHECK(err && *err);
		/* The server's answer names the cursor exactly when the
		 * cursor was what failed. */
		int n = snprintf(line, sizeof(line), QUERY_ERR_BAD_REQUEST "%s",
				 err);
		CHECK(query_error_refuses_cursor(line, (size_t)n) ==
		      !strcmp(err, QUERY_ERR_CURSOR_MALFORMED));
		return 0;
	}
	CHECK(size > 0 && size <= QUERY_LINE_MAX);
	CHECK(query_text_start(data[0]));
	CHECK(req.v2);
	CHECK((unsigned)req.mode <= QUERY_STATS);
	CHECK(!(req.has_after && req.has_last));
	if (req.mode == QUERY_FOLLOW)
		CHECK(!req.has_after && !req.has_last);
	if (req.mode == QUERY_STATS)
		CHECK(!req.has_after && !req.has_last && req.nglobs == 0);
	CHECK(req.nglobs <= QUERY_GLOBS_MAX);
	if (req.has_prio)
		CHECK(req.prio_min >= 0 && req.prio_min <= req.prio_max &&
		      req.prio_max <= 7);
	CHECK(req.fac_mask < (1u << 24));
	for (unsigned i = 0; i < req.nglobs; i++)
		CHECK(strnlen(req.globs[i], QUERY_GLOB_MAX + 1) <= QUERY_GLOB_MAX);
	CHECK(strnlen(req.grep, QUERY_GREP_MAX + 1) <= QUERY_GREP_MAX);
	CHECK(req.grep[0] || !req.grep_icase);
	if (req.has_since && req.has_until)
		CHECK(req.since_ns <= req.until_ns);
	CHECK(req.stream_mask < (1u << 6) && !(req.stream_mask & 1u));

	size_t n = unparse(&req, line);
	err = NULL;
	r = query_parse(line, n, &req2, &err);
	/* Re-encoding may make it longer than a line may be; else the same. */
	if (n > QUERY_LINE_MAX) {
		CHECK(r == -EINVAL);
		return 0;
	}
	CHECK(r == 0);
	CHECK(req2.mode == req.mode && req2.v2 == req.v2);
	CHECK(req2.has_after == req.has_after && req2.has_last == req.has_last);
	if (req.has_after)
		CHECK(req2.after.instance == req.after.instance &&
		      req2.after.seq == req.after.seq);
	if (req.has_last)
		CHECK(req2.last == req.last);
	CHECK(req2.has_prio == req.has_prio);
	if (req.has_prio)
		CHECK(req2.prio_min == req.prio_min &&
		      req2.prio_max == req.prio_max);
	CHECK(req2.fac_mask == req.fac_mask);
	CHECK(req2.has_since == req.has_since && req2.has_until == req.has_until);
	if (req.has_since)
		CHECK(req2.since_ns == req.since_ns);
	if (req.has_until)
		CHECK(req2.until_ns == req.until_ns);
	CHECK(req2.stream_mask == req.stream_mask);
	CHECK(!strcmp(req2.grep, req.grep) && req2.grep_icase == req.grep_icase);
	CHECK(req2.nglobs == req.nglobs);
	for (unsigned i = 0; i < req.nglobs; i++) {
		CHECK(!strcmp(req2.globs[i], req.globs[i]));
		/* A glob without pattern characters matches itself. */
		if (!strpbrk(req.globs[i], "*?[\\"))
			CHECK(query_match_source(&req, req.globs[i]));
	}
	if (req.nglobs == 0)
		CHECK(query_match_source(&req, "anything"));
	return 0;
}
