#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The module is compiled in here, with realloc() swapped for one that can be
 * told to fail, so the out-of-memory path can be tested too. */
static bool oom;

static void *failing_realloc(void *p, size_t n)
{
	return oom ? NULL : realloc(p, n);
}

#define realloc failing_realloc
#include "linebuf.c"
#undef realloc

#include "../common/utf8ref.h"
#include "util.h"

struct piece {
	char *data;
	size_t len;
	unsigned flags;
};

struct out {
	struct piece *v;
	size_t n, cap;
};

static void collect(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct out *o = arg;

	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		assert_non_null(o->v);
	}
	o->v[o->n].data = malloc(len + 1);
	assert_non_null(o->v[o->n].data);
	memcpy(o->v[o->n].data, msg, len);
	o->v[o->n].len = len;
	o->v[o->n].flags = flags;
	o->n++;
}

static void out_free(struct out *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].data);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* Feeds in in chunks of chunk bytes (0: all at once), then finishes. */
static void run(const char *in, size_t n, size_t max, size_t chunk,
		struct out *o)
{
	struct linebuf lb;

	memset(o, 0, sizeof(*o));
	linebuf_init(&lb, max);
	if (chunk == 0)
		chunk = n ? n : 1;
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		assert_int_equal(linebuf_feed(&lb, in + off, k, collect, o), 0);
	}
	linebuf_finish(&lb, collect, o);
	assert_null(lb.buf);
	assert_int_equal(lb.len, 0);
}

/* The same bytes through linebuf_scan, as memlogd's sources use it: the
 * bytes stay in one buffer, arriving chunk bytes at a time, and each scan
 * consumes what it completed. The progress it reports must match. */
struct scan_run {
	struct out *o;
	size_t consumed;
};

static void collect_scan(void *arg, const char *msg, size_t len,
			 unsigned flags, size_t consumed)
{
	struct scan_run *sr = arg;

	assert_true(consumed > sr->consumed || flags == LINE_NOEOL);
	sr->consumed = consumed;
	collect(sr->o, msg, len, flags);
}

static void run_scan(const char *in, size_t n, size_t max, size_t chunk,
		     struct out *o)
{
	size_t start = 0;

	memset(o, 0, sizeof(*o));
	if (chunk == 0)
		chunk = n ? n : 1;
	for (size_t have = 0; have < n;) {
		have += n - have < chunk ? n - have : chunk;
		struct scan_run sr = { o, 0 };
		size_t used = linebuf_scan(in + start, have - start, max, false,
					   collect_scan, &sr);
		assert_int_equal(used, sr.consumed);
		start += used;
	}
	struct scan_run sr = { o, 0 };
	assert_int_equal(linebuf_scan(in + start, n - start, max, true,
				      collect_scan, &sr), n - start);
}

static void expect_piece(const struct out *o, size_t i, const char *data,
			 size_t len, unsigned flags)
{
	if (i >= o->n)
		fail_msg("piece %zu missing (%zu emitted)", i, o->n);
	if (o->v[i].len != len || memcmp(o->v[i].data, data, len) != 0)
		fail_msg("piece %zu: got \"%.*s\" (%zu), want \"%.*s\" (%zu)", i,
			 (int)o->v[i].len, o->v[i].data, o->v[i].len, (int)len,
			 data, len);
	if (o->v[i].flags != flags)
		fail_msg("piece %zu: flags %u, want %u", i, o->v[i].flags, flags);
}

#define PIECE(o, i, lit, flags) expect_piece(o, i, lit, sizeof(lit) - 1, flags)

static void assert_same(const struct out *a, const struct out *b)
{
	if (a->n != b->n)
		fail_msg("%zu pieces against %zu", a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		expect_piece(b, i, a->v[i].data, a->v[i].len, a->v[i].flags);
}

/* Runs lit all at once, one byte at a time and in threes, checks they agree
 * and leaves the result in o. */
static void run_all(const char *in, size_t n, size_t max, struct out *o)
{
	struct out b;

	run(in, n, max, 0, o);
	run(in, n, max, 1, &b);
	assert_same(o, &b);
	out_free(&b);
	run(in, n, max, 3, &b);
	assert_same(o, &b);
	out_free(&b);
	for (size_t chunk = 0; chunk <= 3; chunk += 1 + (chunk == 1)) {
		run_scan(in, n, max, chunk, &b);
		assert_same(o, &b);
		out_free(&b);
	}
}


static void test_init_clamps(void **state)
{
	struct linebuf lb;

	linebuf_init(&lb, 0);
	assert_int_equal(lb.max, LINEBUF_MIN_MAX);
	linebuf_init(&lb, 7);
	assert_int_equal(lb.max, 8);
	linebuf_init(&lb, 1024);
	assert_int_equal(lb.max, 1024);
	linebuf_init(&lb, LINEBUF_MAX_MAX + 1);
	assert_int_equal(lb.max, LINEBUF_MAX_MAX);
	linebuf_init(&lb, SIZE_MAX);
	assert_int_equal(lb.max, LINEBUF_MAX_MAX);
	assert_null(lb.buf);
	assert_int_equal(lb.len, 0);
	linebuf_free(&lb);
}

/* A whole stream, run all at once and in pieces (run_all), and the pieces
 * it must give, in order (data NULL ends the list). */
struct piece_want {
	const char *data;
	size_t len;
	unsigned flags;
};

struct lb_case {
	const char *in;
	size_t len;
	size_t max;
	struct piece_want want[4];
};

#define S(lit) lit, sizeof(lit) - 1
#define P(lit, flags) { lit, sizeof(lit) - 1, flags }

static void check_cases(const struct lb_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++, c++) {
		struct out o;
		size_t k = 0;

		run_all(c->in, c->len, c->max, &o);
		while (k < 4 && c->want[k].data)
			k++;
		if (o.n != k)
			fail_msg("case %zu (\"%.*s\", max %zu): %zu pieces, want %zu",
				 i, (int)c->len, c->in, c->max, o.n, k);
		for (size_t p = 0; p < k; p++) {
			const struct piece_want *w = &c->want[p];
			const struct piece *g = &o.v[p];
			if (g->len != w->len || memcmp(g->data, w->data, w->len) ||
			    g->flags != w->flags)
				fail_msg("case %zu (\"%.*s\", max %zu): piece %zu is "
					 "\"%.*s\" flags %u, want \"%.*s\" flags %u",
					 i, (int)c->len, c->in, c->max, p,
					 (int)g->len, g->data, g->flags,
					 (int)w->len, w->data, w->flags);
		}
		out_free(&o);
	}
}

static void test_simple_lines(void **state)
{
	static const struct lb_case cases[] = {
		{ S("a\nbb\n\nccc\n"), 16,
		  { P("a", 0), P("bb", 0), P("", 0), P("ccc", 0) } },
		{ S("\n\n"), 16, { P("", 0), P("", 0) } },
		{ S(""), 16, { { 0 } } },
	};

	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_crlf(void **state)
{
	static const struct lb_case cases[] = {
		{ S("a\r\nb\r\n\r\n"), 16, { P("a", 0), P("b", 0), P("", 0) } },
		/* Only one '\r', and only right before the '\n', is
		 * removed. */
		{ S("a\r\r\nb\rc\n\rd\n"), 16,
		  { P("a\r", 0), P("b\rc", 0), P("\rd", 0) } },
		/* A lone CR does not end a line. */
		{ S("one\rtwo"), 16, { P("one\rtwo", LINE_NOEOL) } },
		/* A '\r' at the end of the stream is data. */
		{ S("x\r"), 16, { P("x\r", LINE_NOEOL) } },
	};

	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_nul_bytes(void **state)
{
	static const struct lb_case cases[] = {
		{ S("a\0b\n\0\n"), 16, { P("a\0b", 0), P("\0", 0) } },
	};

	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_finish(void **state)
{
	struct linebuf lb;
	struct out o = { 0 };

	/* Nothing pending: nothing emitted. */
	linebuf_init(&lb, 16);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 0);
	linebuf_init(&lb, 16);
	assert_int_equal(linebuf_feed(&lb, "abc\n", 4, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 1);
	PIECE(&o, 0, "abc", 0);
	out_free(&o);

	/* Pending data: emitted once with LINE_NOEOL, buffer freed. */
	linebuf_init(&lb, 16);
	assert_int_equal(linebuf_feed(&lb, "abc\nde", 6, collect, &o), 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(lb.len, 2);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 2);
	PIECE(&o, 1, "de", LINE_NOEOL);
	assert_null(lb.buf);
	assert_int_equal(lb.len, 0);
	assert_int_equal(lb.cap, 0);
	/* A finished linebuf can take a new stream. */
	assert_int_equal(linebuf_feed(&lb, "f\ng", 3, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 4);
	PIECE(&o, 2, "f", 0);
	PIECE(&o, 3, "g", LINE_NOEOL);
	out_free(&o);

	/* Feeding nothing changes nothing. */
	linebuf_init(&lb, 16);
	assert_int_equal(linebuf_feed(&lb, "", 0, collect, &o), 0);
	assert_int_equal(o.n, 0);
	linebuf_free(&lb);
}

static void test_exact_max(void **state)
{
	static const struct lb_case cases[] = {
		/* max bytes: one piece. */
		{ S("12345678\n"), 8, { P("12345678", 0) } },
		/* max bytes and a CRLF: still one piece, the '\r' is not
		 * content. */
		{ S("12345678\r\n"), 8, { P("12345678", 0) } },
		/* max bytes at the end of the stream. */
		{ S("12345678"), 8, { P("12345678", LINE_NOEOL) } },
		/* max + 1: split. */
		{ S("123456789\n"), 8,
		  { P("12345678", LINE_PARTIAL), P("9", 0) } },
		{ S("123456789\r\n"), 8,
		  { P("12345678", LINE_PARTIAL), P("9", 0) } },
		{ S("123456789"), 8,
		  { P("12345678", LINE_PARTIAL), P("9", LINE_NOEOL) } },
		/* 2 * max + 1. */
		{ S("abcdefghABCDEFGHx\n"), 8,
		  { P("abcdefgh", LINE_PARTIAL), P("ABCDEFGH", LINE_PARTIAL),
		    P("x", 0) } },
		/* 2 * max exactly: the last piece is full, not empty. */
		{ S("abcdefghABCDEFGH\nz\n"), 8,
		  { P("abcdefgh", LINE_PARTIAL), P("ABCDEFGH", 0), P("z", 0) } },
	};

	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_cr_at_split(void **state)
{
	static const struct lb_case cases[] = {
		/* A '\r' at the split point is held for the next piece. */
		{ S("1234567\r9abc\n"), 8,
		  { P("1234567", LINE_PARTIAL), P("\r9abc", 0) } },
		/* A line of CRs. */
		{ S("\r\r\r\r\r\r\r\r\r\r\n"), 8,
		  { P("\r\r\r\r\r\r\r", LINE_PARTIAL), P("\r\r", 0) } },
	};
	struct out o = { 0 };
	struct linebuf lb;

	check_cases(cases, ARRAY_SIZE(cases));

	/* "\r\n" right after max bytes, in two feeds. */
	linebuf_init(&lb, 8);
	assert_int_equal(linebuf_feed(&lb, "12345678\r", 9, collect, &o), 0);
	assert_int_equal(o.n, 0); /* can't tell yet whether '\n' follows */
	assert_int_equal(linebuf_feed(&lb, "\n", 1, collect, &o), 0);
	assert_int_equal(o.n, 1);
	PIECE(&o, 0, "12345678", 0);
	linebuf_finish(&lb, collect, &o);
	out_free(&o);

	/* ... and when something else follows, the '\r' is content. */
	linebuf_init(&lb, 8);
	assert_int_equal(linebuf_feed(&lb, "12345678\r", 9, collect, &o), 0);
	assert_int_equal(linebuf_feed(&lb, "x\n", 2, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 2);
	PIECE(&o, 0, "12345678", LINE_PARTIAL);
	PIECE(&o, 1, "\rx", 0);
	out_free(&o);

	/* ... and when the stream ends there. */
	linebuf_init(&lb, 8);
	assert_int_equal(linebuf_feed(&lb, "12345678\r", 9, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 2);
	PIECE(&o, 0, "12345678", LINE_PARTIAL);
	PIECE(&o, 1, "\r", LINE_NOEOL);
	out_free(&o);
}

static void test_utf8_not_split(void **state)
{
	static const struct lb_case cases[] = {
		/* "1234567€": the euro sign would straddle byte 8. */
		{ S("1234567\xe2\x82\xac\n"), 8,
		  { P("1234567", LINE_PARTIAL), P("\xe2\x82\xac", 0) } },
		{ S("123456\xe2\x82\xac\n"), 8,
		  { P("123456", LINE_PARTIAL), P("\xe2\x82\xac", 0) } },
		/* Fits exactly. */
		{ S("12345\xe2\x82\xac\n"), 8, { P("12345\xe2\x82\xac", 0) } },
		/* A four-byte character at every offset around the
		 * boundary. */
		{ S("12345\xf0\x9f\x98\x80xy\n"), 8,
		  { P("12345", LINE_PARTIAL), P("\xf0\x9f\x98\x80xy", 0) } },
		{ S("1234\xf0\x9f\x98\x80xy\n"), 8,
		  { P("1234\xf0\x9f\x98\x80", LINE_PARTIAL), P("xy", 0) } },
		/* Two-byte characters only: pieces of 8, then the rest. */
		{ S("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n"), 8,
		  { P("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", LINE_PARTIAL),
		    P("\xc3\xa9", 0) } },
		/* Invalid bytes are not characters: cut at max. */
		{ S("1234567\xff\xff\n"), 8,
		  { P("1234567\xff", LINE_PARTIAL), P("\xff", 0) } },
		/* Overlong: can never be valid. */
		{ S("123456\xe0\x80zz\n"), 8,
		  { P("123456\xe0\x80", LINE_PARTIAL), P("zz", 0) } },
	};

	check_cases(cases, ARRAY_SIZE(cases));
}

/* Checks the pieces against the rules applied to the whole input: the
 * pieces of each line concatenate to it, none is longer than max, only the
 * last lacks LINE_PARTIAL, no cut inside a valid UTF-8 character. */
static void check_model(const char *in, size_t n, size_t max,
			const struct out *o)
{
	size_t pos = 0, j = 0;
	char *cat = malloc(n + 1);

	assert_non_null(cat);
	while (pos < n) {
		const char *nl = memchr(in + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - in) : n, len = end - pos;
		bool eol = nl != NULL;
		if (eol && len && in[end - 1] == '\r')
			len--;
		const char *line = in + pos;
		size_t cl = 0, first = j;

		for (;;) {
			if (j >= o->n)
				fail_msg("line at %zu: pieces missing", pos);
			const struct piece *p = &o->v[j++];
			assert_true(p->len <= max);
			assert_true(cl + p->len <= len);
			memcpy(cat + cl, p->data, p->len);
			cl += p->len;
			if (!(p->flags & LINE_PARTIAL)) {
				assert_int_equal(p->flags, eol ? 0 : LINE_NOEOL);
				break;
			}
			assert_int_equal(p->flags, LINE_PARTIAL);
			/* Never held back more than a '\r' and a character. */
			assert_true(p->len + 4 >= max);
			/* The cut is not inside a valid character. */
			for (size_t b = cl >= 3 ? cl - 3 : 0; b < cl; b++) {
				size_t l = utf8ref_seq((const unsigned char *)line + b,
						   len - b, &(uint32_t){ 0 });
				if (l > 1 && b + l > cl)
					fail_msg("line at %zu cut inside a "
						 "character at %zu", pos, cl);
			}
		}
		assert_int_equal(cl, len);
		assert_memory_equal(cat, line, len);
		if (len <= max)
			assert_int_equal(j - first, 1);
		pos = end + 1;
	}
	assert_int_equal(j, o->n);
	free(cat);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static size_t random_input(char *buf, size_t cap, bool valid_only)
{
	static const char *const frags[] = {
		"a", "b", "c", " ", "\n", "\r", "\r\n", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\0",
	};
	static const char *const junk[] = { "\xff", "\x80", "\xe2\x82", "\xf0\x9f",
					    "\xe0\x80", "\xc3" };
	size_t n = 0, target = rnd() % cap;
	unsigned nl_weight = 1 + rnd() % 8;

	while (n < target) {
		const char *f;
		unsigned r = rnd() % 100;
		if (r < nl_weight)
			f = "\n";
		else if (!valid_only && r < nl_weight + 5)
			f = junk[rnd() % (sizeof(junk) / sizeof(junk[0]))];
		else
			f = frags[rnd() % (sizeof(frags) / sizeof(frags[0]))];
		size_t fl = f[0] ? strlen(f) : 1;
		if (n + fl > cap)
			break;
		memcpy(buf + n, f, fl);
		n += fl;
	}
	return n;
}

static void run_random_chunks(const char *in, size_t n, size_t max,
			      struct out *o)
{
	struct linebuf lb;

	memset(o, 0, sizeof(*o));
	linebuf_init(&lb, max);
	for (size_t off = 0; off < n;) {
		size_t k = 1 + rnd() % (rnd() % 2 ? 4 : 3 * max);
		if (k > n - off)
			k = n - off;
		assert_int_equal(linebuf_feed(&lb, in + off, k, collect, o), 0);
		off += k;
	}
	linebuf_finish(&lb, collect, o);
}

static void test_random_chunkings(void **state)
{
	static char in[600];

	for (int iter = 0; iter < 4000; iter++) {
		size_t max = rnd() % 4 ? 8 + rnd() % 24 : 8;
		bool valid = rnd() % 2;
		size_t n = random_input(in, sizeof(in), valid);
		struct out whole, bytes, chunks;

		run(in, n, max, 0, &whole);
		check_model(in, n, max, &whole);
		if (valid)
			for (size_t i = 0; i < whole.n; i++)
				assert_true(utf8ref_valid(whole.v[i].data,
						       whole.v[i].len));
		run(in, n, max, 1, &bytes);
		assert_same(&whole, &bytes);
		for (int k = 0; k < 3; k++) {
			run_random_chunks(in, n, max, &chunks);
			assert_same(&whole, &chunks);
			out_free(&chunks);
		}
		out_free(&whole);
		out_free(&bytes);
	}
}

static void test_100k_line(void **state)
{
	static const char *const chars[] = { "a", "Z", " ", "\xc3\xa9",
					     "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	size_t total = 100 * 1024, n = 0;
	char *in = malloc(total + 8);
	struct out whole, other;

	assert_non_null(in);
	while (n < total) {
		const char *c = chars[rnd() % 6];
		size_t l = strlen(c);
		if (n + l > total)
			c = "x", l = 1;
		memcpy(in + n, c, l);
		n += l;
	}
	memcpy(in + n, "\r\nend\n", 6);
	n += 6;

	run(in, n, 1024, 0, &whole);
	check_model(in, n, 1024, &whole);
	assert_true(whole.n >= 101);
	size_t cat = 0;
	for (size_t i = 0; i < whole.n - 1; i++) {
		assert_true(utf8ref_valid(whole.v[i].data, whole.v[i].len));
		assert_memory_equal(whole.v[i].data, in + cat, whole.v[i].len);
		cat += whole.v[i].len;
		assert_int_equal(whole.v[i].flags,
				 i < whole.n - 2 ? LINE_PARTIAL : 0);
	}
	assert_int_equal(cat, total);
	PIECE(&whole, whole.n - 1, "end", 0);

	run(in, n, 1024, 1, &other);
	assert_same(&whole, &other);
	out_free(&other);
	run(in, n, 1024, 4093, &other);
	assert_same(&whole, &other);
	out_free(&other);
	out_free(&whole);
	free(in);
}

static void test_buffer_released(void **state)
{
	struct linebuf lb;
	struct out o = { 0 };
	char big[3000];

	memset(big, 'q', sizeof(big));
	linebuf_init(&lb, 4096);
	/* Short pending lines keep their small buffer. */
	assert_int_equal(linebuf_feed(&lb, "ab", 2, collect, &o), 0);
	assert_int_equal(linebuf_feed(&lb, "c\n", 2, collect, &o), 0);
	assert_non_null(lb.buf);
	assert_true(lb.cap <= 1024);
	/* A long one gives its buffer back once done. */
	assert_int_equal(linebuf_feed(&lb, big, sizeof(big), collect, &o), 0);
	assert_true(lb.cap >= sizeof(big));
	assert_true(lb.cap <= lb.max + 1);
	assert_int_equal(linebuf_feed(&lb, "\n", 1, collect, &o), 0);
	assert_null(lb.buf);
	assert_int_equal(lb.cap, 0);
	assert_int_equal(o.n, 2);
	PIECE(&o, 0, "abc", 0);
	assert_int_equal(o.v[1].len, sizeof(big));
	linebuf_free(&lb);
	out_free(&o);
}

static void test_out_of_memory(void **state)
{
	struct linebuf lb;
	struct out o = { 0 };
	char big[500];

	/* Pending bytes and the new ones go out as pieces; the end of the
	 * line is an empty final piece. The '\r' of "\r\n" is still removed. */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 2] = '\r';
	big[sizeof(big) - 1] = '\n';
	linebuf_init(&lb, 4096);
	assert_int_equal(linebuf_feed(&lb, "abc", 3, collect, &o), 0);
	oom = true;
	assert_int_equal(linebuf_feed(&lb, big, sizeof(big), collect, &o),
			 -ENOMEM);
	oom = false;
	assert_int_equal(o.n, 3);
	PIECE(&o, 0, "abc", LINE_PARTIAL);
	expect_piece(&o, 1, big, sizeof(big) - 2, LINE_PARTIAL);
	PIECE(&o, 2, "", 0);
	/* And it recovers. */
	assert_int_equal(linebuf_feed(&lb, "ok\nmore", 7, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	assert_int_equal(o.n, 5);
	PIECE(&o, 3, "ok", 0);
	PIECE(&o, 4, "more", LINE_NOEOL);
	out_free(&o);

	/* Nothing is lost and no piece is longer than max. */
	static const char in[] = "0123456789abcdefghij";
	linebuf_init(&lb, 8);
	oom = true;
	assert_int_equal(linebuf_feed(&lb, in, 20, collect, &o), -ENOMEM);
	oom = false;
	assert_int_equal(linebuf_feed(&lb, "\n", 1, collect, &o), 0);
	linebuf_finish(&lb, collect, &o);
	size_t cat = 0;
	for (size_t i = 0; i < o.n; i++) {
		assert_true(o.v[i].len <= 8);
		assert_memory_equal(o.v[i].data, in + cat, o.v[i].len);
		cat += o.v[i].len;
		assert_int_equal(o.v[i].flags, i + 1 < o.n ? LINE_PARTIAL : 0);
	}
	assert_int_equal(cat, 20);
	out_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_clamps),
		cmocka_unit_test(test_simple_lines),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_exact_max),
		cmocka_unit_test(test_cr_at_split),
		cmocka_unit_test(test_utf8_not_split),
		cmocka_unit_test(test_random_chunkings),
		cmocka_unit_test(test_100k_line),
		cmocka_unit_test(test_buffer_released),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
