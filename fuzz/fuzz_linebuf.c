/* libFuzzer target: line assembly. Byte 0 picks max, bytes 1-2 seed the
 * chunking, the rest is the stream. Fed whole and fed in chunks it must give
 * the same pieces (and linebuf_scan over bytes that stay in place, as
 * memlogd's sources use it, the same again, with exact progress), and those must follow the rules: the pieces of each line
 * concatenate to the line ('\n' removed, and one '\r' before it), none is
 * longer than max, all but the last of a line carry LINE_PARTIAL and are cut
 * neither inside a valid UTF-8 character nor far short of max, a line of at
 * most max bytes is one piece, and only the unterminated last line gets
 * LINE_NOEOL. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"
#include "../tests/common/utf8ref.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct piece {
	size_t off; /* into out.bytes */
	size_t len;
	unsigned flags;
};

struct out {
	struct piece *v;
	size_t n, cap;
	char *bytes;
	size_t blen, bcap;
};

static void collect(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct out *o = arg;

	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 64;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		CHECK(o->v);
	}
	if (o->blen + len > o->bcap) {
		while (o->blen + len > o->bcap)
			o->bcap = o->bcap ? 2 * o->bcap : 4096;
		o->bytes = realloc(o->bytes, o->bcap);
		CHECK(o->bytes);
	}
	if (len)
		memcpy(o->bytes + o->blen, msg, len);
	o->v[o->n++] = (struct piece){ o->blen, len, flags };
	o->blen += len;
}

static void run(const char *in, size_t n, size_t max, uint32_t seed,
		struct out *o)
{
	struct linebuf lb;

	memset(o, 0, sizeof(*o));
	linebuf_init(&lb, max);
	for (size_t off = 0; off < n;) {
		size_t k = n - off;
		if (seed) {
			seed = seed * 1103515245 + 12345;
			k = 1 + (seed >> 16) % (seed & 0x100 ? 3 : 2 * max + 2);
			if (k > n - off)
				k = n - off;
		}
		CHECK(linebuf_feed(&lb, in + off, k, collect, o) == 0);
		off += k;
	}
	linebuf_finish(&lb, collect, o);
	CHECK(lb.buf == NULL && lb.len == 0);
}


/* What a memlogd source does: the bytes arrive in chunks into a buffer
 * that keeps the unfinished line; linebuf_scan takes what is complete. */
struct scanned {
	struct out *o;
	size_t last;      /* consumed, as reported by the last piece */
	size_t base;      /* where data[0] of this scan is in the stream */
	const char *in;   /* the whole stream, to check each piece's place */
};

static void collect_scan(void *arg, const char *msg, size_t len,
			 unsigned flags, size_t consumed)
{
	struct scanned *sc = arg;

	/* Progress moves forward and covers the piece. */
	CHECK(consumed > sc->last || (consumed == sc->last && len == 0 &&
				      flags == LINE_NOEOL));
	CHECK(sc->base + consumed >= (size_t)(msg - sc->in) + len);
	sc->last = consumed;
	collect(sc->o, msg, len, flags);
}

static void run_scan(const char *in, size_t n, size_t max, uint32_t seed,
		     struct out *o)
{
	char *buf = malloc(n + 1);
	size_t have = 0, start = 0, off = 0;

	CHECK(buf);
	memset(o, 0, sizeof(*o));
	while (off < n) {
		size_t k = n - off;
		if (seed) {
			seed = seed * 1103515245 + 12345;
			k = 1 + (seed >> 16) % (seed & 0x100 ? 3 : 2 * max + 2);
			if (k > n - off)
				k = n - off;
		}
		memcpy(buf + have, in + off, k);
		have += k;
		off += k;
		struct scanned sc = { o, 0, start, buf };
		size_t used = linebuf_scan(buf + start, have - start, max, false,
					   collect_scan, &sc);
		CHECK(used == sc.last);
		start += used;
		/* What is left is an unfinished line, held to at most max
		 * bytes (one more for a '\r' that may be half of "\r\n"). */
		CHECK(!memchr(buf + start, '\n', have - start));
		CHECK(have - start <= max + 1);
	}
	struct scanned sc = { o, 0, start, buf };
	CHECK(linebuf_scan(buf + start, have - start, max, true, collect_scan,
			   &sc) == have - start);
	free(buf);
}

static void check_rules(const char *in, size_t n, size_t max,
			const struct out *o)
{
	size_t pos = 0, j = 0;

	while (pos < n) {
		const char *nl = memchr(in + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - in) : n, len = end - pos;
		if (nl && len && in[end - 1] == '\r')
			len--;
		const char *line = in + pos;
		size_t cl = 0, first = j;

		for (;;) {
			CHECK(j < o->n);
			const struct piece *p = &o->v[j++];
			CHECK(p->len <= max);
			CHECK(cl + p->len <= len);
			CHECK(!p->len ||
			      !memcmp(o->bytes + p->off, line + cl, p->len));
			cl += p->len;
			if (!(p->flags & LINE_PARTIAL)) {
				CHECK(p->flags == (nl ? 0u : LINE_NOEOL));
				break;
			}
			CHECK(p->flags == LINE_PARTIAL);
			CHECK(p->len + 4 >= max);
			for (size_t b = cl >= 3 ? cl - 3 : 0; b < cl; b++) {
				size_t l = utf8ref_seq((const unsigned char *)line + b,
						   len - b, &(uint32_t){ 0 });
				CHECK(l <= 1 || b + l <= cl);
			}
		}
		CHECK(cl == len);
		if (len <= max)
			CHECK(j - first == 1);
		pos = end + 1;
	}
	CHECK(j == o->n);
}

static void out_free(struct out *o)
{
	free(o->v);
	free(o->bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out whole, chunked;

	if (size < 3)
		return 0;
	/* Mostly tiny maxima, where every rule is hit; sometimes larger. */
	size_t max = data[0] < 224 ? LINEBUF_MIN_MAX + data[0] % 32
				   : (size_t)64 << (data[0] % 8);
	uint32_t seed = (uint32_t)data[1] << 8 | data[2] | 1;
	const char *in = (const char *)data + 3;
	size_t n = size - 3;

	run(in, n, max, 0, &whole);
	check_rules(in, n, max, &whole);
	run(in, n, max, seed, &chunked);
	CHECK(chunked.n == whole.n && chunked.blen == whole.blen);
	for (size_t i = 0; i < whole.n; i++)
		CHECK(chunked.v[i].len == whole.v[i].len &&
		      chunked.v[i].flags == whole.v[i].flags);
	CHECK(!whole.blen || !memcmp(chunked.bytes, whole.bytes, whole.blen));
	for (int round = 0; round < 2; round++) {
		struct out scanned;
		run_scan(in, n, max, round ? seed : 0, &scanned);
		CHECK(scanned.n == whole.n && scanned.blen == whole.blen);
		for (size_t i = 0; i < whole.n; i++)
			CHECK(scanned.v[i].len == whole.v[i].len &&
			      scanned.v[i].flags == whole.v[i].flags);
		CHECK(!whole.blen ||
		      !memcmp(scanned.bytes, whole.bytes, whole.blen));
		out_free(&scanned);
	}
	out_free(&whole);
	out_free(&chunked);
	return 0;
}
