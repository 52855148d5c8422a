/* The live upgrade's handover blob: a round trip of every field, a blob of
 * version 1 (without the time, stream and message filters) still taken,
 * and the refusals (another version, truncated, counts the blob cannot
 * hold, negative fds, a NUL inside a glob or the pattern, trailing
 * bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handover.h"

static size_t sample(char **blob)
{
	static struct handover_source src[] = { { 3, 10, 11 }, { 7, 12, -1 } };
	static struct handover_reader rd[2];
	struct handover h = { .version = HANDOVER_VERSION, .own_sockets = true,
			      .nsources = 2, .sources = src, .nreaders = 2,
			      .readers = rd };

	for (int i = 0; i < HO_NFDS; i++)
		h.fds[i] = 20 + i;
	h.fds[HO_SYSLOG] = -1;
	memset(rd, 0, sizeof(rd));
	rd[0] = (struct handover_reader){
		.fd = 30, .fmt = 1, .state = 3, .follow = 1, .pollable = 1,
		.has_prio = 1, .prio_min = 2, .prio_max = 5, .fac_mask = 0x11,
		.pos_seq = 123456789012ull, .pos_off = 4242, .end_seq = UINT64_MAX,
		.sent = 99, .missed = 3, .nglobs = 2, .out_len = 5, .out = "abc\n{",
	};
	rd[0].globs[0] = "web*";
	rd[0].globs[1] = "db.out";
	rd[0].has_since = 1;
	rd[0].since_ns = 1764756000123456789ull;
	rd[0].has_until = 1;
	rd[0].until_ns = 1764759600000000000ull;
	rd[0].stream_mask = 0x6;
	rd[0].grep = "time(out)?";
	rd[0].grep_len = 10;
	rd[0].grep_icase = 1;
	rd[1] = (struct handover_reader){
		.fd = 31, .state = 0, .req_len = 4, .req = "dum", .is_console = 1,
	};
	size_t n = handover_size(&h);
	*blob = malloc(n);
	assert_non_null(*blob);
	assert_int_equal(handover_encode(&h, *blob), n);
	return n;
}

static void test_round_trip(void **state)
{
	char *b;
	size_t n = sample(&b);
	struct handover h;

	assert_int_equal(handover_decode(b, n, &h), 0);
	assert_int_equal(h.version, HANDOVER_VERSION);
	assert_true(h.own_sockets);
	for (int i = 0; i < HO_NFDS; i++)
		assert_int_equal(h.fds[i], i == HO_SYSLOG ? -1 : 20 + i);
	assert_int_equal(h.nsources, 2);
	assert_int_equal(h.sources[0].rec, 3);
	assert_int_equal(h.sources[0].tee_fd, 11);
	assert_int_equal(h.sources[1].tee_fd, -1);
	assert_int_equal(h.nreaders, 2);
	const struct handover_reader *r = &h.readers[0];
	assert_int_equal(r->fd, 30);
	assert_int_equal(r->fmt, 1);
	assert_int_equal(r->state, 3);
	assert_int_equal(r->prio_min, 2);
	assert_int_equal(r->prio_max, 5);
	assert_int_equal(r->fac_mask, 0x11);
	assert_true(r->pos_seq == 123456789012ull && r->pos_off == 4242);
	assert_true(r->end_seq == UINT64_MAX);
	assert_true(r->sent == 99 && r->missed == 3);
	assert_int_equal(r->nglobs, 2);
	assert_int_equal(r->glob_len[0], 4);
	assert_memory_equal(r->globs[0], "web*", 4);
	assert_memory_equal(r->globs[1], "db.out", 6);
	assert_true(r->has_since && r->since_ns == 1764756000123456789ull);
	assert_true(r->has_until && r->until_ns == 1764759600000000000ull);
	assert_int_equal(r->stream_mask, 0x6);
	assert_int_equal(r->grep_len, 10);
	assert_memory_equal(r->grep, "time(out)?", 10);
	assert_int_equal(r->grep_icase, 1);
	assert_null(h.readers[1].grep);
	assert_int_equal(h.readers[1].has_since, 0);
	assert_int_equal(r->out_len, 5);
	assert_memory_equal(r->out, "abc\n{", 5);
	assert_int_equal(h.readers[1].req_len, 4);
	assert_memory_equal(h.readers[1].req, "dum", 4);
	assert_int_equal(h.readers[1].is_console, 1);
	handover_free(&h);
	free(b);
}

static void test_refusals(void **state)
{
	char *b;
	size_t n = sample(&b);
	struct handover h;

	/* Every truncation is refused, never read past. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(handover_decode(b, k, &h), -EBADMSG);
	/* Trailing bytes. */
	char *longer = malloc(n + 1);
	memcpy(longer, b, n);
	longer[n] = 0;
	assert_int_equal(handover_decode(longer, n + 1, &h), -EBADMSG);
	free(longer);
	/* Another version: not ours to guess. */
	uint32_t v = HANDOVER_VERSION + 1;
	memcpy(b + 8, &v, 4);
	assert_int_equal(handover_decode(b, n, &h), -EPROTONOSUPPORT);
	v = 0;
	memcpy(b + 8, &v, 4);
	assert_int_equal(handover_decode(b, n, &h), -EPROTONOSUPPORT);
	v = HANDOVER_VERSION;
	memcpy(b + 8, &v, 4);
	/* Bad magic. */
	b[0] ^= 1;
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[0] ^= 1;
	/* A negative fd in the fixed table. */
	int32_t fd = -2;
	memcpy(b + 12, &fd, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	fd = 20;
	memcpy(b + 12, &fd, 4);
	/* Counts the blob cannot hold are refused before any allocation. */
	size_t counts = 12 + 4 * HO_NFDS + 4;
	uint32_t huge = 0x7fffffff;
	memcpy(b + counts, &huge, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	uint32_t two = 2;
	memcpy(b + counts, &two, 4);
	memcpy(b + counts + 4, &huge, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	memcpy(b + counts + 4, &two, 4);
	/* A NUL inside a glob. */
	char *g = memmem(b, n, "web*", 4);
	assert_non_null(g);
	g[1] = '\0';
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	g[1] = 'e';
	assert_int_equal(handover_decode(b, n, &h), 0);
	handover_free(&h);
	free(b);
}

/* A memlogd of the first release hands over version 1: the same layout
 * without the 27 bytes of filters after each reader's globs. */
static void test_version1(void **state)
{
	char *b;
	size_t n = sample(&b);
	struct handover h;
	/* The fixed part, the sources, reader 0 up to its globs' end. */
	size_t r0 = 8 + 4 + 4 * HO_NFDS + 4 + 4 + 4 + 2 * 12;
	size_t f0 = r0 + 67 + (4 + 4) + (4 + 6);
	size_t v2 = 1 + 8 + 1 + 8 + 4 + 1 + 4;
	size_t g0 = v2 + 10; /* reader 0 has a 10-byte pattern */
	/* Reader 1: its fixed part ends after its (no) globs. */
	size_t r1 = f0 + g0 + 4 + 0 + 4 + 5;
	size_t f1 = r1 + 67;
	char *old = malloc(n);
	size_t k = 0;
	(void)state;

	assert_memory_equal(b + f0 + v2, "time(out)?", 10);
	memcpy(old + k, b, f0);
	k += f0;
	memcpy(old + k, b + f0 + g0, f1 - (f0 + g0));
	k += f1 - (f0 + g0);
	memcpy(old + k, b + f1 + v2, n - (f1 + v2));
	k += n - (f1 + v2);
	uint32_t one = 1;
	memcpy(old + 8, &one, 4);
	assert_int_equal(handover_decode(old, k, &h), 0);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.nreaders, 2);
	assert_int_equal(h.readers[0].nglobs, 2);
	assert_int_equal(h.readers[0].has_since, 0);
	assert_null(h.readers[0].grep);
	assert_int_equal(h.readers[0].out_len, 5);
	assert_memory_equal(h.readers[1].req, "dum", 4);
	handover_free(&h);
	/* The same bytes read as version 2 are short: refused. */
	uint32_t two = 2;
	memcpy(old + 8, &two, 4);
	assert_int_equal(handover_decode(old, k, &h), -EBADMSG);
	/* A NUL inside the pattern of a version 2 blob. */
	b[f0 + v2 + 3] = '\0';
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	free(old);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_version1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
