/* The live upgrade's handover blob: a round trip of every field, and the
 * refusals (another version, truncated, counts the blob cannot hold,
 * negative fds, a NUL inside a glob, trailing bytes). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
