#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "regmsg.h"

#define CUR_A "m1-00000000000000ab-0000000000000010"

/* struct query_req is large (16 globs of 1 KiB): keep it off the stack. */
static struct query_req req;

static int parse(const char *line, const char **err)
{
	*err = NULL;
	return query_parse(line, strlen(line), &req, err);
}

static void parse_ok(const char *line)
{
	const char *err;

	if (parse(line, &err) != 0)
		fail_msg("\"%s\" refused: %s", line, err ? err : "(no message)");
	assert_true(req.v2);
}

/* Refused, with a message that names the problem. */
static void parse_bad(const char *line, const char *why)
{
	const char *err;
	int r = parse(line, &err);

	if (r != -EINVAL)
		fail_msg("\"%.60s\" gave %d, want -EINVAL", line, r);
	assert_non_null(err);
	if (!strstr(err, why))
		fail_msg("\"%.60s\": message \"%s\" lacks \"%s\"", line, err, why);
}

static void test_legacy(void **state)
{
	memset(&req, 0xff, sizeof(req));
	assert_true(query_legacy(0, &req));
	assert_int_equal(req.mode, QUERY_DUMP);
	assert_false(req.v2);
	assert_false(req.has_after);
	assert_false(req.has_last);
	assert_int_equal(req.nglobs, 0);

	memset(&req, 0xff, sizeof(req));
	assert_true(query_legacy(1, &req));
	assert_int_equal(req.mode, QUERY_FOLLOW);
	assert_false(req.v2);
	assert_false(req.has_after || req.has_last);
	assert_int_equal(req.nglobs, 0);

	memset(&req, 0xff, sizeof(req));
	assert_true(query_legacy(2, &req));
	assert_int_equal(req.mode, QUERY_DUMP_FOLLOW);
	assert_false(req.v2);
	assert_false(req.has_after || req.has_last);
	assert_int_equal(req.nglobs, 0);

	/* Not legacy, and req left alone. */
	memset(&req, 0x11, sizeof(req));
	assert_false(query_legacy(3, &req));
	assert_false(query_legacy('0', &req));
	assert_false(query_legacy('d', &req));
	assert_false(query_legacy(255, &req));
	assert_int_equal(req.nglobs, 0x11111111);
}

/* memlog's binary records behind LinuxKit's byte: exactly the byte and
 * the tag, as one read brings them. */
static void test_legacy_binary(void **state)
{
	static const char t[] = QUERY_LEGACY_BINARY;
	char b[64];

	for (int byte = 0; byte <= 2; byte++) {
		b[0] = (char)byte;
		memcpy(b + 1, t, sizeof(t) - 1);
		assert_true(query_legacy_binary(b, sizeof(t)));
		/* The byte alone, a cut tag (a read that split the write),
		 * more after it: LinuxKit's request. */
		assert_false(query_legacy_binary(b, 1));
		assert_false(query_legacy_binary(b, sizeof(t) - 1));
		b[sizeof(t)] = 'x';
		assert_false(query_legacy_binary(b, sizeof(t) + 1));
	}
	b[0] = 3;
	assert_false(query_legacy_binary(b, sizeof(t)));
	b[0] = 0;
	b[15] ^= 0x20; /* "memlog format=Binary" */
	assert_false(query_legacy_binary(b, sizeof(t)));
}

static void test_text_start(void **state)
{
	for (int c = 0; c < 256; c++)
		assert_int_equal(query_text_start((unsigned char)c),
				 c >= 'a' && c <= 'z');
}

static void test_modes(void **state)
{
	parse_ok("dump");
	assert_int_equal(req.mode, QUERY_DUMP);
	assert_false(req.has_after || req.has_last);
	assert_int_equal(req.nglobs, 0);
	parse_ok("follow");
	assert_int_equal(req.mode, QUERY_FOLLOW);
	parse_ok("dump-follow");
	assert_int_equal(req.mode, QUERY_DUMP_FOLLOW);
	parse_ok("stats");
	assert_int_equal(req.mode, QUERY_STATS);
	/* A telnet-style CR before the '\n' is tolerated. */
	parse_ok("dump-follow\r");
	assert_int_equal(req.mode, QUERY_DUMP_FOLLOW);
	parse_ok("dump last=3\r");
	assert_int_equal(req.last, 3);
}

/* format=: how entries are sent; the last one given counts. */
static void test_format(void **state)
{
	(void)state;
	parse_ok("dump");
	assert_false(req.binary || req.export_fmt);
	parse_ok("dump format=binary");
	assert_true(req.binary && !req.export_fmt);
	parse_ok("dump-follow format=export last=3");
	assert_true(req.export_fmt && !req.binary);
	parse_ok("dump format=binary format=json");
	assert_false(req.binary || req.export_fmt);
	parse_bad("dump format=xml", "format takes json, binary or export");
	parse_bad("dump format=", "format takes");
}

static void test_params(void **state)
{
	parse_ok("dump after=" CUR_A);
	assert_true(req.has_after);
	assert_true(req.after.instance == 0xab);
	assert_true(req.after.seq == 0x10);
	assert_false(req.has_last);

	parse_ok("dump-follow after=" CUR_A);
	assert_int_equal(req.mode, QUERY_DUMP_FOLLOW);
	assert_true(req.has_after);

	parse_ok("dump-follow last=10");
	assert_true(req.has_last);
	assert_int_equal(req.last, 10);
	assert_false(req.has_after);

	parse_ok("dump last=0");
	assert_true(req.has_last);
	assert_int_equal(req.last, 0);

	parse_ok("dump last=18446744073709551615");
	assert_true(req.last == UINT64_MAX);

	parse_ok("dump source=onboot.* source=kmsg");
	assert_int_equal(req.nglobs, 2);
	assert_string_equal(req.globs[0], "onboot.*");
	assert_string_equal(req.globs[1], "kmsg");

	/* follow takes source globs. */
	parse_ok("follow source=*.out");
	assert_int_equal(req.mode, QUERY_FOLLOW);
	assert_int_equal(req.nglobs, 1);

	/* Parameters in any order. */
	parse_ok("dump-follow source=a last=5 source=b");
	assert_int_equal(req.last, 5);
	assert_int_equal(req.nglobs, 2);
	assert_string_equal(req.globs[1], "b");

	/* An empty glob is allowed (it matches the empty name). */
	parse_ok("dump source=");
	assert_int_equal(req.nglobs, 1);
	assert_string_equal(req.globs[0], "");
}

static void test_percent_decoding(void **state)
{
	parse_ok("dump source=a%20b%25c");
	assert_string_equal(req.globs[0], "a b%c");
	parse_ok("dump source=%2a%2A");
	assert_string_equal(req.globs[0], "**");
	parse_ok("dump source=%e2%82%ac%FF");
	assert_string_equal(req.globs[0], "\xe2\x82\xac\xff");
	parse_ok("dump source=%3d=x");
	assert_string_equal(req.globs[0], "==x");
	parse_ok("dump source=%41");
	assert_string_equal(req.globs[0], "A");
}

static void test_glob_limits(void **state)
{
	static char line[QUERY_LINE_MAX + 64];
	const char *err;
	int n;

	/* 16 globs is the cap. */
	n = sprintf(line, "dump");
	for (int i = 0; i < QUERY_GLOBS_MAX; i++)
		n += sprintf(line + n, " source=g%d", i);
	parse_ok(line);
	assert_int_equal(req.nglobs, QUERY_GLOBS_MAX);
	assert_string_equal(req.globs[15], "g15");
	sprintf(line + n, " source=more");
	parse_bad(line, "too many");

	/* A glob of exactly QUERY_GLOB_MAX bytes is kept, one more is not. */
	n = sprintf(line, "dump source=");
	memset(line + n, 'x', QUERY_GLOB_MAX);
	line[n + QUERY_GLOB_MAX] = '\0';
	parse_ok(line);
	assert_int_equal(strlen(req.globs[0]), QUERY_GLOB_MAX);
	strcpy(line + n + QUERY_GLOB_MAX, "y");
	parse_bad(line, "too long");

	/* The limit is on decoded bytes: 1024 "%41" is 3072 on the wire. */
	n = sprintf(line, "dump source=");
	for (int i = 0; i < QUERY_GLOB_MAX; i++)
		n += sprintf(line + n, "%%41");
	parse_ok(line);
	assert_int_equal(strlen(req.globs[0]), QUERY_GLOB_MAX);
	assert_int_equal(req.globs[0][QUERY_GLOB_MAX - 1], 'A');
	sprintf(line + n, "%%41");
	parse_bad(line, "too long");

	/* Line length: QUERY_LINE_MAX is allowed, one byte more is not.
	 * Four globs of 1015 bytes: 4 + 4 * (8 + 1015) = 4096. */
	n = sprintf(line, "dump");
	for (int i = 0; i < 4; i++) {
		n += sprintf(line + n, " source=");
		memset(line + n, 'a' + i, 1015);
		n += 1015;
	}
	line[n] = '\0';
	assert_int_equal(n, QUERY_LINE_MAX);
	parse_ok(line);
	assert_int_equal(req.nglobs, 4);
	line[n] = 'a';
	line[n + 1] = '\0';
	assert_int_equal(query_parse(line, (size_t)n + 1, &req, &err), -EINVAL);
	assert_non_null(strstr(err, "too long"));
}

static void test_errors(void **state)
{
	parse_bad("", "empty request");
	parse_bad("\r", "empty request");
	parse_bad(" dump", "empty word");
	parse_bad("dump  last=1", "empty word");
	parse_bad("dump ", "trailing space");
	parse_bad("dump last=1 ", "trailing space");
	parse_bad("list", "unknown mode");
	parse_bad("DUMP", "unknown mode");
	parse_bad("dumpx", "unknown mode");
	parse_bad("dump\r\r", "unknown mode");
	parse_bad("last=1", "unknown mode");
	parse_bad("dump last", "without '='");
	parse_bad("dump dump", "without '='");
	parse_bad("dump source=a b", "without '='");
	parse_bad("stats last=1", "stats");
	parse_bad("stats source=x", "stats");
	parse_bad("dump after=" CUR_A " after=" CUR_A, "twice");
	parse_bad("dump after=bogus", "cursor");
	parse_bad("dump after=", "cursor");
	parse_bad("dump after=M1-00000000000000ab-0000000000000010", "cursor");
	parse_bad("dump last=1 last=2", "twice");
	parse_bad("dump last=", "number");
	parse_bad("dump last=abc", "number");
	parse_bad("dump last=-1", "number");
	parse_bad("dump last=+1", "number");
	parse_bad("dump last=1x", "number");
	parse_bad("dump last=18446744073709551616", "number");
	parse_bad("dump last=000000000000000000000001", "number");
	parse_bad("dump source=%", "percent");
	parse_bad("dump source=%4", "percent");
	parse_bad("dump source=ab%4", "percent");
	parse_bad("dump source=%zz", "percent");
	parse_bad("dump source=%g0", "percent");
	parse_bad("dump source=%00", "percent");
	parse_bad("dump foo=1", "unknown parameter");
	parse_bad("dump =1", "unknown parameter");
	parse_bad("dump After=" CUR_A, "unknown parameter");
	parse_bad("dump after=" CUR_A " last=5", "exclude");
	parse_bad("dump-follow last=5 after=" CUR_A, "exclude");
	parse_bad("follow last=5", "follow");
	parse_bad("follow after=" CUR_A, "follow");
}

static void test_length_not_nul(void **state)
{
	const char *err;
	const char line[] = "dump-follow last=7 garbage";

	/* Only len bytes are read: no NUL needed. */
	assert_int_equal(query_parse(line, 18, &req, &err), 0);
	assert_int_equal(req.mode, QUERY_DUMP_FOLLOW);
	assert_int_equal(req.last, 7);

	/* A '%' escape cut by the end of the line is not completed from the
	 * bytes after it. */
	assert_int_equal(query_parse("dump source=%41", 14, &req, &err), -EINVAL);
	assert_int_equal(query_parse("dump source=%41", 13, &req, &err), -EINVAL);
	assert_int_equal(query_parse("dump source=%41", 15, &req, &err), 0);
	assert_string_equal(req.globs[0], "A");

	/* A NUL byte inside the line is just a byte. */
	assert_int_equal(query_parse("dump\0", 5, &req, &err), -EINVAL);
}

static void test_priority_param(void **state)
{
	parse_ok("dump");
	assert_false(req.has_prio);

	/* N: 0 to N. */
	for (int n = 0; n <= 7; n++) {
		char line[32];
		snprintf(line, sizeof(line), "dump priority=%d", n);
		parse_ok(line);
		assert_true(req.has_prio);
		assert_int_equal(req.prio_min, 0);
		assert_int_equal(req.prio_max, n);
	}
	/* A..B, every valid pair. */
	for (int a = 0; a <= 7; a++) {
		for (int b = a; b <= 7; b++) {
			char line[32];
			snprintf(line, sizeof(line), "dump-follow priority=%d..%d",
				 a, b);
			parse_ok(line);
			assert_true(req.has_prio);
			assert_int_equal(req.prio_min, a);
			assert_int_equal(req.prio_max, b);
		}
	}
	/* With the other parameters, in any place; follow takes it. */
	parse_ok("follow priority=3 source=kmsg");
	assert_int_equal(req.mode, QUERY_FOLLOW);
	assert_true(req.has_prio);
	assert_int_equal(req.prio_min, 0);
	assert_int_equal(req.prio_max, 3);
	assert_int_equal(req.nglobs, 1);
	parse_ok("dump last=5 priority=4..6");
	assert_int_equal(req.last, 5);
	assert_int_equal(req.prio_min, 4);
	assert_int_equal(req.prio_max, 6);
	parse_ok("dump-follow after=" CUR_A " priority=0..0\r");
	assert_true(req.has_after);
	assert_int_equal(req.prio_min, 0);
	assert_int_equal(req.prio_max, 0);

	/* Legacy requests have none. */
	memset(&req, 0xff, sizeof(req));
	assert_true(query_legacy(2, &req));
	assert_false(req.has_prio);

	parse_bad("dump priority=", "priority takes");
	parse_bad("dump priority=8", "priority takes");
	parse_bad("dump priority=9", "priority takes");
	parse_bad("dump priority=-1", "priority takes");
	parse_bad("dump priority=03", "priority takes");
	parse_bad("dump priority=10", "priority takes");
	parse_bad("dump priority=3 ", "trailing space");
	parse_bad("dump priority=5..2", "priority takes");
	parse_bad("dump priority=7..0", "priority takes");
	parse_bad("dump priority=0..8", "priority takes");
	parse_bad("dump priority=8..8", "priority takes");
	parse_bad("dump priority=1..", "priority takes");
	parse_bad("dump priority=..1", "priority takes");
	parse_bad("dump priority=..", "priority takes");
	parse_bad("dump priority=1.2", "priority takes");
	parse_bad("dump priority=1...2", "priority takes");
	parse_bad("dump priority=1..2..3", "priority takes");
	parse_bad("dump priority=1-2", "priority takes");
	parse_bad("dump priority=1,2", "priority takes");
	parse_bad("dump priority=%33", "priority takes");
	/* Names are logread's business: the protocol takes digits. */
	parse_bad("dump priority=err", "priority takes");
	parse_bad("dump priority=emerg..err", "priority takes");
	parse_bad("dump priority=3 priority=3", "twice");
	parse_bad("dump priority=3 last=1 priority=1..2", "twice");
	parse_bad("dump Priority=3", "unknown parameter");
	parse_bad("dump prio=3", "unknown parameter");
	parse_bad("stats priority=3", "stats");

	/* Only len bytes: "priority=3" cut from "priority=34". */
	const char *err;
	assert_int_equal(query_parse("dump priority=34", 15, &req, &err), 0);
	assert_int_equal(req.prio_max, 3);
	assert_int_equal(query_parse("dump priority=2..67", 18, &req, &err), 0);
	assert_int_equal(req.prio_min, 2);
	assert_int_equal(req.prio_max, 6);
	assert_int_equal(query_parse("dump priority=2..6", 17, &req, &err),
			 -EINVAL);
}

static void prio_arg(const char *s, int lo, int hi)
{
	int l = -99, h = -99;

	if (query_priority_arg(s, &l, &h) != 0)
		fail_msg("\"%s\" refused", s);
	if (l != lo || h != hi)
		fail_msg("\"%s\": %d..%d, want %d..%d", s, l, h, lo, hi);
}

static void prio_arg_bad(const char *s)
{
	int l = -99, h = -99;

	if (query_priority_arg(s, &l, &h) != -EINVAL)
		fail_msg("\"%s\" accepted (%d..%d)", s, l, h);
	/* Left alone. */
	assert_int_equal(l, -99);
	assert_int_equal(h, -99);
}

static void test_priority_arg(void **state)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };

	for (int i = 0; i < 8; i++) {
		char digit[2] = { (char)('0' + i), '\0' };
		prio_arg(names[i], 0, i);
		prio_arg(digit, 0, i);
	}
	prio_arg("err..warning", 3, 4);
	prio_arg("emerg..debug", 0, 7);
	prio_arg("info..info", 6, 6);
	prio_arg("0..0", 0, 0);
	prio_arg("2..5", 2, 5);
	prio_arg("3..notice", 3, 5);
	prio_arg("crit..7", 2, 7);
	/* Either order. */
	prio_arg("warning..err", 3, 4);
	prio_arg("5..2", 2, 5);
	prio_arg("debug..emerg", 0, 7);

	prio_arg_bad("");
	prio_arg_bad("8");
	prio_arg_bad("9");
	prio_arg_bad("10");
	prio_arg_bad("07");
	prio_arg_bad("-1");
	prio_arg_bad(" 3");
	prio_arg_bad("3 ");
	prio_arg_bad("ERR");
	prio_arg_bad("Err");
	prio_arg_bad("error");
	prio_arg_bad("warn");
	prio_arg_bad("er");
	prio_arg_bad("emergency");
	prio_arg_bad("panic");
	prio_arg_bad("..");
	prio_arg_bad("3..");
	prio_arg_bad("..3");
	prio_arg_bad("err..");
	prio_arg_bad("1..8");
	prio_arg_bad("8..1");
	prio_arg_bad("1...3");
	prio_arg_bad("1..2..3");
	prio_arg_bad("1.3");
	prio_arg_bad("1-3");
	prio_arg_bad("err..bogus");
	prio_arg_bad("bogus..err");
}

static bool match(const char *line, const char *name)
{
	parse_ok(line);
	return query_match_source(&req, name);
}

static void test_match_source(void **state)
{
	assert_true(match("dump", "anything"));
	assert_true(match("dump", ""));
	assert_true(match("dump source=kmsg", "kmsg"));
	assert_false(match("dump source=kmsg", "kmsg.out"));
	assert_false(match("dump source=kmsg", "KMSG"));
	assert_true(match("dump source=onboot.*", "onboot.001-dhcpcd"));
	assert_true(match("dump source=onboot.*", "onboot."));
	assert_false(match("dump source=onboot.*", "dhcpcd"));
	assert_false(match("dump source=onboot.*", "xonboot.a"));
	assert_true(match("dump source=*.out", "sshd.out"));
	assert_false(match("dump source=*.out", "sshd"));
	assert_true(match("dump source=?", "a"));
	assert_false(match("dump source=?", "ab"));
	assert_true(match("dump source=[ab]x", "bx"));
	assert_false(match("dump source=[ab]x", "cx"));
	assert_true(match("dump source=a%20b", "a b"));
	/* Any of several globs. */
	assert_true(match("dump source=kmsg source=*.out", "kmsg"));
	assert_true(match("dump source=kmsg source=*.out", "x.out"));
	assert_false(match("dump source=kmsg source=*.out", "x"));
	/* The empty glob matches only the empty name. */
	assert_true(match("dump source=", ""));
	assert_false(match("dump source=", "a"));
	/* '*' also crosses '/' and leading dots: names are not paths. */
	assert_true(match("dump source=*", "a/b"));
	assert_true(match("dump source=*", ".hidden"));
}

static void test_facility(void **state)
{
	struct query_req *q = malloc(sizeof(*q));
	const char *err = NULL;
	uint32_t m = 0;

	assert_int_equal(query_parse("dump facility=1,3,23", 20, q, &err), 0);
	assert_int_equal(q->fac_mask, (1u << 1) | (1u << 3) | (1u << 23));
	assert_int_equal(query_parse("dump facility=24", 16, q, &err), -EINVAL);
	assert_int_equal(query_parse("dump facility=user", 18, q, &err), -EINVAL);
	assert_int_equal(query_parse("dump facility=", 14, q, &err), -EINVAL);
	assert_int_equal(query_parse("dump facility=1 facility=2", 26, q, &err),
			 -EINVAL);
	assert_int_equal(query_facility_arg("kern,local7,daemon", &m), 0);
	assert_int_equal(m, (1u << 0) | (1u << 23) | (1u << 3));
	assert_int_equal(query_facility_arg("5", &m), 0);
	assert_int_equal(m, 1u << 5);
	assert_int_equal(query_facility_arg("local8", &m), -EINVAL);
	assert_int_equal(query_facility_arg("1,", &m), -EINVAL);
	assert_int_equal(query_facility_arg("", &m), -EINVAL);
	free(q);
	(void)state;
}

static bool refuses(const char *msg)
{
	return query_error_refuses_cursor(msg, strlen(msg));
}

/* The texts a client takes as "your cursor was refused": exactly the
 * server's, and the parser's own message for a bad cursor is one. */
static void test_error_refuses_cursor(void **state)
{
	struct query_req *q = malloc(sizeof(*q));
	const char *err = NULL;
	char msg[128];

	assert_int_equal(query_parse("dump after=junk", 15, q, &err), -EINVAL);
	snprintf(msg, sizeof(msg), "bad request: %s", err);
	assert_true(refuses(msg));
	assert_true(refuses("cursor is newer than the newest entry"));
	assert_false(refuses("too many query clients"));
	assert_false(refuses("bad request: unknown parameter"));
	assert_false(refuses("malformed cursor"));
	assert_false(refuses("bad request: malformed cursor!"));
	assert_false(refuses("cursor is newer"));
	assert_false(refuses(""));
	/* Not NUL-terminated at len: only len bytes count. */
	assert_true(query_error_refuses_cursor("cursor is newer than the newest "
					       "entryXYZ", 37));
	free(q);
	(void)state;
}

static void test_selection_params(void **state)
{
	parse_ok("dump since=1700000000000000000 until=1700000001000000000");
	assert_true(req.has_since && req.has_until);
	assert_true(req.since_ns == 1700000000000000000ull);
	assert_true(req.until_ns == 1700000001000000000ull);
	parse_ok("dump-follow stream=stdout,stderr");
	assert_int_equal(req.stream_mask, (1u << STREAM_STDOUT) | (1u << STREAM_STDERR));
	parse_ok("dump stream=kernel");
	assert_int_equal(req.stream_mask, 1u << STREAM_KERNEL);
	parse_ok("dump stream=daemon,syslog");
	assert_int_equal(req.stream_mask, (1u << STREAM_NONE) | (1u << STREAM_SYSLOG));
	/* Repeated: the streams of all of them (journalctl-like). */
	parse_ok("dump stream=stdout stream=kernel,syslog");
	assert_int_equal(req.stream_mask, (1u << STREAM_STDOUT) |
			 (1u << STREAM_KERNEL) | (1u << STREAM_SYSLOG));
	/* The bounds are inclusive: since == until is one instant. */
	parse_ok("dump since=5 until=5");
	assert_true(req.since_ns == 5 && req.until_ns == 5);
	parse_ok("dump grep=fail(ed)?%20now");
	assert_string_equal(req.grep, "fail(ed)? now");
	assert_false(req.grep_icase);
	parse_ok("dump igrep=err");
	assert_string_equal(req.grep, "err");
	assert_true(req.grep_icase);
	parse_ok("dump format=binary");
	assert_true(req.binary);
	parse_ok("dump format=json");
	assert_false(req.binary);
	/* Without them: no filter. */
	parse_ok("dump");
	assert_false(req.has_since || req.has_until || req.stream_mask ||
		     req.grep[0] || req.binary);

	parse_bad("dump since=", "nanoseconds");
	parse_bad("dump since=12x", "nanoseconds");
	parse_bad("dump until=-5", "nanoseconds");
	parse_bad("dump since=1 since=2", "twice");
	parse_bad("dump stream=", "stream takes");
	parse_bad("dump stream=stdout,", "stream takes");
	parse_bad("dump stream=stdin", "stream takes");
	parse_bad("dump since=2 until=1", "later than until");
	parse_bad("dump stream=stdout,,stderr", "stream takes");
	parse_bad("dump stream=stdout%2Cstderr", "stream takes");
	parse_bad("dump grep=a grep=b", "twice");
	parse_bad("dump grep=", "grep");
	parse_bad("dump grep=%zz", "percent");
	/* A raw NUL byte would end the pattern early: refused as %00 is. */
	const char *err;
	assert_int_equal(query_parse("dump igrep=\0\0x", 14, &req, &err), -EINVAL);
	assert_int_equal(query_parse("dump source=a\0b", 15, &req, &err), -EINVAL);
	char big[400] = "dump grep=";
	memset(big + strlen(big), 'a', 300);
	parse_bad(big, "too long");
	parse_bad("dump format=xml", "format takes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facility),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_legacy_binary),
		cmocka_unit_test(test_text_start),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_percent_decoding),
		cmocka_unit_test(test_glob_limits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_match_source),
		cmocka_unit_test(test_priority_param),
		cmocka_unit_test(test_priority_arg),
		cmocka_unit_test(test_error_refuses_cursor),
		cmocka_unit_test(test_selection_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
