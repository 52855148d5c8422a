/* The live upgrade's handover blob: a round trip of every field, blobs of
 * version 1 (without the time, stream and message filters) and 2 (without
 * the views) still taken, and the refusals (another version, truncated,
 * counts the blob cannot hold, negative fds, a NUL inside a glob, the
 * pattern or a view's id, a reader of a view and of a uid at once,
 * trailing bytes). */
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
	static int32_t views[] = { 40, 41 };
	struct handover h = { .version = HANDOVER_VERSION, .own_sockets = true,
			      .nsources = 2, .sources = src, .nreaders = 2,
			      .readers = rd, .nviews = 2, .views = views,
			      .uid_since_fd = 45 };

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
	rd[0].view_id = "c0ffee";
	rd[0].view_name = "web";
	rd[1] = (struct handover_reader){
		.fd = 31, .state = 0, .req_len = 4, .req = "dum", .is_console = 1,
		.uid_only = 1, .uid = 1000,
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
	assert_int_equal(r->view_id_len, 6);
	assert_memory_equal(r->view_id, "c0ffee", 6);
	assert_int_equal(r->view_name_len, 3);
	assert_memory_equal(r->view_name, "web", 3);
	assert_int_equal(r->uid_only, 0);
	assert_null(h.readers[1].view_id);
	assert_int_equal(h.readers[1].uid_only, 1);
	assert_int_equal(h.readers[1].uid, 1000);
	assert_int_equal(h.nviews, 2);
	assert_int_equal(h.views[0], 40);
	assert_int_equal(h.views[1], 41);
	assert_int_equal(h.uid_since_fd, 45);
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

/* Where the parts of the sample blob are (offsets): each reader's end of
 * globs (f), end of version 2's filters (g), end of version 3's view and
 * uid (v); the end of the readers (e). */
struct layout {
	size_t f0, g0, v0, f1, g1, v1, e;
};

static struct layout layout(void)
{
	struct layout l;
	/* The fixed part, the sources, reader 0's 67 bytes and its globs. */
	l.f0 = 8 + 4 + 4 * HO_NFDS + 4 + 4 + 4 + 2 * 12 + 67 + (4 + 4) + (4 + 6);
	l.g0 = l.f0 + 27 + 10;            /* 10-byte pattern */
	l.v0 = l.g0 + 1 + 4 + 6 + 4 + 3 + 1 + 4; /* view c0ffee, web */
	l.f1 = l.v0 + 4 + 0 + 4 + 5 + 67; /* reader 0's req and out, 1's fixed */
	l.g1 = l.f1 + 27;
	l.v1 = l.g1 + 14;
	l.e = l.v1 + 4 + 4 + 4 + 0;       /* reader 1's req and out */
	return l;
}

/* b without the ranges [cut[2i], cut[2i+1]), with version v. */
static size_t without(const char *b, size_t n, const size_t *cut, size_t ncut,
		      uint32_t v, char *out)
{
	size_t k = 0, at = 0;

	for (size_t i = 0; i < ncut; i += 2) {
		memcpy(out + k, b + at, cut[i] - at);
		k += cut[i] - at;
		at = cut[i + 1];
	}
	memcpy(out + k, b + at, n - at);
	k += n - at;
	memcpy(out + 8, &v, 4);
	return k;
}

/* Memlogds of earlier releases hand over version 1 (no filters after a
 * reader's globs, no views) and 2 (no views: neither a reader's view and
 * uid nor the views' sockets at the end). */
static void test_older_versions(void **state)
{
	char *b;
	size_t n = sample(&b);
	struct handover h;
	struct layout l = layout();
	char *old = malloc(n);
	(void)state;

	assert_int_equal(l.e + 4 + 2 * 4 + 4, n);
	assert_memory_equal(b + l.g0 - 10, "time(out)?", 10);
	assert_memory_equal(b + l.g0 + 5, "c0ffee", 6);
	/* Version 2. */
	const size_t cut2[] = { l.g0, l.v0, l.g1, l.v1, l.e, n };
	size_t k = without(b, n, cut2, 6, 2, old);
	assert_int_equal(handover_decode(old, k, &h), 0);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.nreaders, 2);
	assert_int_equal(h.readers[0].grep_len, 10);
	assert_null(h.readers[0].view_id);
	assert_int_equal(h.readers[1].uid_only, 0);
	assert_int_equal(h.nviews, 0);
	assert_int_equal(h.uid_since_fd, -1);
	assert_memory_equal(h.readers[1].req, "dum", 4);
	handover_free(&h);
	/* The same bytes read as version 3 are short: refused. */
	uint32_t v = 3;
	memcpy(old + 8, &v, 4);
	assert_int_equal(handover_decode(old, k, &h), -EBADMSG);
	/* Version 1. */
	const size_t cut1[] = { l.f0, l.v0, l.f1, l.v1, l.e, n };
	k = without(b, n, cut1, 6, 1, old);
	assert_int_equal(handover_decode(old, k, &h), 0);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.nreaders, 2);
	assert_int_equal(h.readers[0].nglobs, 2);
	assert_int_equal(h.readers[0].has_since, 0);
	assert_null(h.readers[0].grep);
	assert_null(h.readers[0].view_id);
	assert_int_equal(h.readers[0].out_len, 5);
	assert_memory_equal(h.readers[1].req, "dum", 4);
	handover_free(&h);
	/* The same bytes read as version 2 are short: refused. */
	v = 2;
	memcpy(old + 8, &v, 4);
	assert_int_equal(handover_decode(old, k, &h), -EBADMSG);
	free(old);
	free(b);
}

/* What version 3 refuses: a NUL inside the pattern, a view's id or
 * name; a reader of a view and of a uid at once; a view without an id;
 * a negative view socket or uid-since memfd; more views than the blob
 * holds. */
static void test_refusals_v3(void **state)
{
	char *b;
	size_t n = sample(&b);
	struct handover h;
	struct layout l = layout();
	(void)state;

	b[l.g0 - 7] = '\0';
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[l.g0 - 7] = 'e';
	b[l.g0 + 5 + 2] = '\0';
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[l.g0 + 5 + 2] = 'f';
	b[l.g0 + 5 + 6 + 4 + 1] = '\0';
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[l.g0 + 5 + 6 + 4 + 1] = 'e';
	b[l.v0 - 5] = 1; /* uid_only beside the view */
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[l.v0 - 5] = 0;
	b[l.g1] = 1; /* reader 1: a view of an empty id */
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	b[l.g1] = 0;
	int32_t fd = -1;
	memcpy(b + n - 8, &fd, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	fd = 41;
	memcpy(b + n - 8, &fd, 4);
	fd = -2; /* the uid-since memfd: -1 (none) or an fd */
	memcpy(b + n - 4, &fd, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	fd = -1;
	memcpy(b + n - 4, &fd, 4);
	assert_int_equal(handover_decode(b, n, &h), 0);
	handover_free(&h);
	uint32_t many = 3;
	memcpy(b + l.e, &many, 4);
	assert_int_equal(handover_decode(b, n, &h), -EBADMSG);
	many = 2;
	memcpy(b + l.e, &many, 4);
	assert_int_equal(handover_decode(b, n, &h), 0);
	handover_free(&h);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_older_versions),
		cmocka_unit_test(test_refusals_v3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
