/* memlog's text query protocol (v2) against the real memlogd: modes,
 * parameters, stats values, cursors and their markers, bad requests, slow
 * or idle clients and the reader limit. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char *instance_of(const struct mld *m)
{
	json_t *st = h_stats(m);
	char *inst = strdup(h_jstr(st, "instance"));
	json_decref(st);
	assert_int_equal(strlen(inst), 16);
	assert_int_equal(strspn(inst, "0123456789abcdef"), 16);
	return inst;
}

static void cursor_of(char out[64], const char *inst, uint64_t seq)
{
	snprintf(out, 64, "m1-%s-%016" PRIx64, inst, seq);
}

/* An ordinary v2 entry: exactly these keys in this order, these values. */
static void check_v2(json_t *e, uint64_t seq, const char *inst,
		     const char *source, const char *stream, const char *msg)
{
	static const char *const keys[] = { "seq", "cursor", "time", "source",
					    "stream", "msg", "partial" };
	const char *k;
	json_t *v;
	size_t i = 0;
	char cur[64];

	json_object_foreach(e, k, v) {
		if (i >= 7) {
			char *d = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fail_msg("extra key %s in %s", k, d);
		}
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_int_equal(i, 7);
	assert_int_equal(h_jint(e, "seq"), (json_int_t)seq);
	cursor_of(cur, inst, seq);
	assert_string_equal(h_jstr(e, "cursor"), cur);
	const char *t = h_jstr(e, "time");
	assert_true(h_parse_rfc3339nano(t, strlen(t), NULL));
	assert_string_equal(h_jstr(e, "source"), source);
	assert_string_equal(h_jstr(e, "stream"), stream);
	if (msg)
		assert_string_equal(h_jstr(e, "msg"), msg);
	assert_false(h_jbool(e, "partial"));
}

static void test_dump_fields(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	char *inst = instance_of(&m);
	int a = h_register_pipe(&m, "a.out");
	int b = h_register_pipe(&m, "b");
	h_writef(a, "x1\n");
	h_wait_source_stat(&m, "a.out", "stdout", "lines", 1);
	h_writef(b, "y <1> & \"q\"\n");
	h_wait_source_stat(&m, "b", "stderr", "lines", 1);
	h_writef(a, "x2\n");
	h_wait_source_stat(&m, "a.out", "stdout", "lines", 2);
	json_t *arr = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(arr), 3);
	check_v2(json_array_get(arr, 0), 1, inst, "a.out", "stdout", "x1");
	check_v2(json_array_get(arr, 1), 2, inst, "b", "stderr", "y <1> & \"q\"");
	check_v2(json_array_get(arr, 2), 3, inst, "a.out", "stdout", "x2");
	json_decref(arr);

	/* The raw bytes escape like the legacy output does. */
	size_t len;
	char *raw = h_read_all_close(h_query(&m, "dump source=b\n"), H_TIMEOUT_MS,
				     &len);
	assert_non_null(strstr(raw, "\"msg\":\"y \\u003c1\\u003e \\u0026 \\\"q\\\"\""));
	free(raw);
	free(inst);
	close(a);
	close(b);
	mld_stop(&m);
}

static void test_follow(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	char *inst = instance_of(&m);
	int w = h_register_pipe(&m, "f");
	h_writef(w, "old\n");
	h_wait_source_stat(&m, "f", "stderr", "lines", 1);
	h_conn_init(&c, h_query(&m, "follow\n"));
	h_barrier(&m);
	h_writef(w, "new1\nnew2\n");
	for (int i = 0; i < 2; i++) {
		char msg[8];
		snprintf(msg, sizeof(msg), "new%d", i + 1);
		json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
		assert_non_null(e);
		check_v2(e, (uint64_t)i + 2, inst, "f", "stderr", msg);
		json_decref(e);
	}
	h_conn_close(&c);
	free(inst);
	close(w);
	mld_stop(&m);
}

static void test_dump_follow(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	char *inst = instance_of(&m);
	int w = h_register_pipe(&m, "df.out");
	h_writef(w, "m1\nm2\nm3\n");
	h_wait_source_stat(&m, "df.out", "stdout", "lines", 3);
	h_conn_init(&c, h_query(&m, "dump-follow\n"));
	for (int i = 1; i <= 5; i++) {
		char msg[8];
		if (i == 4)
			h_writef(w, "m4\nm5\n");
		snprintf(msg, sizeof(msg), "m%d", i);
		json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
		assert_non_null(e);
		check_v2(e, (uint64_t)i, inst, "df.out", "stdout", msg);
		json_decref(e);
	}
	h_conn_close(&c);
	free(inst);
	close(w);
	mld_stop(&m);
}

static void expect_msgs(json_t *arr, int first, int count)
{
	assert_int_equal(json_array_size(arr), (size_t)count);
	for (int i = 0; i < count; i++) {
		char msg[16];
		snprintf(msg, sizeof(msg), "n%d", first + i);
		assert_string_equal(h_jstr(json_array_get(arr, (size_t)i), "msg"),
				    msg);
		assert_int_equal(h_jint(json_array_get(arr, (size_t)i), "seq"),
				 first + i);
	}
}

static void test_last(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "l");
	for (int i = 1; i <= 10; i++)
		h_writef(w, "n%d\n", i);
	h_wait_source_stat(&m, "l", "stderr", "lines", 10);
	json_t *a = h_dump(&m, "dump last=3\n");
	expect_msgs(a, 8, 3);
	json_decref(a);
	a = h_dump(&m, "dump last=0\n");
	expect_msgs(a, 1, 0);
	json_decref(a);
	a = h_dump(&m, "dump last=1000\n");
	expect_msgs(a, 1, 10);
	json_decref(a);

	h_conn_init(&c, h_query(&m, "dump-follow last=2\n"));
	for (int i = 9; i <= 11; i++) {
		char msg[16];
		if (i == 11)
			h_writef(w, "n11\n");
		snprintf(msg, sizeof(msg), "n%d", i);
		json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
		assert_non_null(e);
		assert_string_equal(h_jstr(e, "msg"), msg);
		json_decref(e);
	}
	h_conn_close(&c);
	close(w);
	mld_stop(&m);
}

static void expect_sources(const struct mld *m, const char *req, int n,
			   const char *const *names)
{
	json_t *a = h_dump(m, req);
	if (json_array_size(a) != (size_t)n)
		fail_msg("%s: %zu entries, want %d", req, json_array_size(a), n);
	for (int i = 0; i < n; i++)
		assert_string_equal(h_jstr(json_array_get(a, (size_t)i), "source"),
				    names[i]);
	json_decref(a);
}

static void test_source_glob(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	const char *names[] = { "my app.out", "my apple", "other", "my%app" };
	int w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = h_register_pipe(&m, names[i]);
		h_writef(w[i], "from %s\n", names[i]);
		h_wait_source_stat(&m, names[i], NULL, "lines", 1);
	}
	expect_sources(&m, "dump source=my%20app*\n", 2,
		       (const char *[]){ "my app.out", "my apple" });
	expect_sources(&m, "dump source=my%20app.out\n", 1,
		       (const char *[]){ "my app.out" });
	expect_sources(&m, "dump source=other source=my%20apple\n", 2,
		       (const char *[]){ "my apple", "other" });
	expect_sources(&m, "dump source=my%25app\n", 1,
		       (const char *[]){ "my%app" });
	expect_sources(&m, "dump source=*e*\n", 2,
		       (const char *[]){ "my apple", "other" });
	expect_sources(&m, "dump source=nomatch\n", 0, NULL);
	expect_sources(&m, "dump last=1 source=my*\n", 1,
		       (const char *[]){ "my%app" });
	for (int i = 0; i < 4; i++)
		close(w[i]);
	mld_stop(&m);
}

/* Writes "PREFIXi" lines first..last to w and waits until the source has
 * `total` lines. */
static void write_lines(const struct mld *m, int w, const char *name,
			const char *prefix, int first, int last, int total)
{
	for (int i = first; i <= last; i++)
		h_writef(w, "%s%d\n", prefix, i);
	h_wait_source_stat(m, name, "stderr", "lines", total);
}

/* Expects the messages of a dump to be exactly want[] (n of them). */
static void expect_dump(const struct mld *m, const char *req,
			const char *const *want, size_t n)
{
	json_t *a = h_dump(m, req);
	size_t got = json_array_size(a);
	for (size_t i = 0; i < got || i < n; i++) {
		const char *msg = i < got ? h_jstr(json_array_get(a, i), "msg")
					  : "(none)";
		if (i >= n || strcmp(msg, want[i]) != 0)
			fail_msg("%.*s: entry %zu is \"%s\", want \"%s\" "
				 "(%zu entries, want %zu)", (int)strlen(req) - 1,
				 req, i, msg, i < n ? want[i] : "(none)", got, n);
	}
	json_decref(a);
}

/* last=N with a filter gives the last N entries that match, not the
 * matching ones among the last N of the ring (as journalctl -u X -n N). */
static void test_last_filtered(void **state)
{
	struct mld m = { 0 };
	struct h_conn c;
	(void)state;

	mld_start(&m, NULL);
	int a = h_register_pipe(&m, "appA");
	int b = h_register_pipe(&m, "appB");
	write_lines(&m, a, "appA", "a", 1, 3, 3);
	write_lines(&m, b, "appB", "b", 1, 10, 10);
	expect_dump(&m, "dump last=3 source=appA*\n",
		    (const char *[]){ "a1", "a2", "a3" }, 3);
	expect_dump(&m, "dump last=2 source=appA*\n",
		    (const char *[]){ "a2", "a3" }, 2);
	expect_dump(&m, "dump last=1000 source=appA\n",
		    (const char *[]){ "a1", "a2", "a3" }, 3);
	expect_dump(&m, "dump last=0 source=appA\n", NULL, 0);
	expect_dump(&m, "dump last=3 source=nomatch\n", NULL, 0);
	/* Two globs: the last N of either. */
	expect_dump(&m, "dump last=4 source=appB source=appA\n",
		    (const char *[]){ "b7", "b8", "b9", "b10" }, 4);
	/* Interleaved: counted among the matching entries only. */
	write_lines(&m, a, "appA", "a", 4, 4, 4);
	write_lines(&m, b, "appB", "b", 11, 11, 11);
	write_lines(&m, a, "appA", "a", 5, 5, 5);
	expect_dump(&m, "dump last=3 source=appA\n",
		    (const char *[]){ "a3", "a4", "a5" }, 3);
	expect_dump(&m, "dump last=2 source=appB\n",
		    (const char *[]){ "b10", "b11" }, 2);

	/* dump-follow: the last 2 that match, then new ones that match. */
	h_conn_init(&c, h_query(&m, "dump-follow last=2 source=appA\n"));
	write_lines(&m, b, "appB", "b", 12, 12, 12);
	write_lines(&m, a, "appA", "a", 6, 6, 6);
	const char *follow[] = { "a4", "a5", "a6" };
	for (int i = 0; i < 3; i++) {
		json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
		assert_non_null(e);
		assert_string_equal(h_jstr(e, "msg"), follow[i]);
		json_decref(e);
	}
	h_conn_close(&c);
	close(a);
	close(b);
	mld_stop(&m);
}

/* Checks "dump last=N source=GLOB" against the last N entries of a full
 * dump whose source is one of names[] (n of them). */
static void expect_last_of(const struct mld *m, json_t *all, int n,
			   const char *glob, const char *const *names,
			   int nnames)
{
	size_t total = json_array_size(all), match = 0, first;
	char req[96];

	for (size_t i = 0; i < total; i++)
		for (int k = 0; k < nnames; k++)
			match += !strcmp(h_jstr(json_array_get(all, i), "source"),
					 names[k]);
	size_t want = (size_t)n < match ? (size_t)n : match;
	snprintf(req, sizeof(req), "dump last=%d source=%s\n", n, glob);
	json_t *a = h_dump(m, req);
	if (json_array_size(a) != want)
		fail_msg("%.*s: %zu entries, want %zu", (int)strlen(req) - 1,
			 req, json_array_size(a), want);
	/* Walk the full dump from the end, pairing matches with a. */
	first = want;
	for (size_t i = total; i-- > 0 && first > 0;) {
		json_t *e = json_array_get(all, i);
		bool hit = false;
		for (int k = 0; k < nnames; k++)
			hit |= !strcmp(h_jstr(e, "source"), names[k]);
		if (!hit)
			continue;
		first--;
		if (h_jint(e, "seq") != h_jint(json_array_get(a, first), "seq"))
			fail_msg("%.*s: entry %zu has seq %lld, want %lld",
				 (int)strlen(req) - 1, req, first,
				 (long long)h_jint(json_array_get(a, first), "seq"),
				 (long long)h_jint(e, "seq"));
	}
	json_decref(a);
}

/* A filtered last=N over a ring of many entries of many sources, for N
 * below, around and above the marks the search keeps (1024), against the
 * answer computed here from a full dump. */
static void test_last_filtered_large(void **state)
{
	struct mld m = { 0 };
	enum { NSRC = 5, PER = 1200 };
	char names[NSRC][16];
	int w[NSRC];
	(void)state;

	mld_start(&m, NULL);
	for (int s = 0; s < NSRC; s++) {
		snprintf(names[s], sizeof(names[s]), "src%d", s);
		w[s] = h_register_pipe(&m, names[s]);
	}
	for (int i = 1; i <= PER; i++)
		for (int s = 0; s < NSRC; s++)
			h_writef(w[s], "s%d-%d\n", s, i);
	for (int s = 0; s < NSRC; s++)
		h_wait_source_stat(&m, names[s], "stderr", "lines", PER);
	json_t *all = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(all), NSRC * PER);
	static const int counts[] = { 1, 7, 1023, 1024, 1025, 1199, 1200, 2047,
				      2048, 2049, 2399, 2400, 2401, 100000 };
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		expect_last_of(&m, all, counts[c], "src1",
			       (const char *[]){ "src1" }, 1);
		expect_last_of(&m, all, counts[c], "src[13]",
			       (const char *[]){ "src1", "src3" }, 2);
	}
	json_decref(all);
	for (int s = 0; s < NSRC; s++)
		close(w[s]);
	mld_stop(&m);
}

static void test_stats_values(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	int o = h_register_pipe(&m, "s1.out");
	int e = h_register_pipe(&m, "s1");
	h_writef(o, "abc\nde\n\n");
	h_writef(e, "zzzz\n");
	h_wait_source_stat(&m, "s1.out", "stdout", "lines", 3);
	h_wait_source_stat(&m, "s1", "stderr", "lines", 1);
	json_t *st = h_stats(&m);
	assert_string_equal(h_jstr(st, "version"), h_jstr(st, "version"));
	assert_int_equal(strlen(h_jstr(st, "instance")), 16);
	assert_true(h_jint(st, "uptime_ms") >= 0);
	assert_int_equal(h_jint(st, "ring.size"), 4 << 20);
	assert_int_equal(h_jint(st, "ring.entries"), 4);
	assert_int_equal(h_jint(st, "ring.used"), 4 * 24 + 9);
	assert_int_equal(h_jint(st, "ring.oldest_seq"), 1);
	assert_int_equal(h_jint(st, "ring.newest_seq"), 4);
	assert_int_equal(h_jint(st, "ring.max_entries"), 0);
	assert_int_equal(h_jint(st, "ring.max_line_len"), 8192);
	assert_int_equal(h_jint(st, "readers.connected"), 1);
	assert_int_equal(h_jint(st, "readers.max"), 256);
	assert_int_equal(h_jint(st, "readers.refused"), 0);
	assert_int_equal(h_jint(st, "readers.bad_requests"), 0);
	assert_int_equal(h_jint(st, "registrations.sources_open"), 2);
	assert_int_equal(h_jint(st, "registrations.accepted"), 2);
	assert_int_equal(h_jint(st, "registrations.refused"), 0);
	assert_int_equal(h_jint(st, "registrations.without_fd"), 0);
	assert_int_equal(h_jint(st, "registrations.fds_lost"), 0);
	assert_int_equal(h_jint(st, "registrations.names_truncated"), 0);
	assert_int_equal(h_jint(st, "registrations.bad_attributes"), 0);
	json_t *s = h_stats_source(st, "s1.out", "stdout");
	assert_non_null(s);
	assert_int_equal(h_jint(s, "fds"), 1);
	assert_int_equal(h_jint(s, "lines"), 3);
	assert_int_equal(h_jint(s, "bytes"), 5);
	assert_int_equal(h_jint(s, "dropped"), 0);
	assert_int_equal(h_jint(s, "partial"), 0);
	assert_int_equal(h_jint(s, "pid"), getpid());
	assert_int_equal(h_jint(s, "uid"), getuid());
	s = h_stats_source(st, "s1", "stderr");
	assert_non_null(s);
	assert_int_equal(h_jint(s, "lines"), 1);
	assert_int_equal(h_jint(s, "bytes"), 4);
	s = h_stats_source(st, "memlogd", "none");
	assert_non_null(s);
	assert_int_equal(h_jint(s, "lines"), 0);
	assert_int_equal(json_array_size(json_object_get(st, "sources")), 3);
	json_decref(st);
	close(o);
	close(e);
	mld_stop(&m);
}

/* Tiny deterministic generator, so a failure replays the same way. */
static uint32_t rng_state = 42;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

static void test_resume_by_cursor(void **state)
{
	struct mld m = { 0 };
	char cursor[64] = "";
	int produced = 0, got = 0, sessions = 0;
	(void)state;

	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "seq");
	for (; produced < 500; produced++)
		h_writef(w, "n%04d\n", produced + 1);
	rng_state = 42;
	while (got < 1000) {
		char req[128];
		struct h_conn c;
		if (produced < 1000) {
			for (int i = 0; i < 50; i++, produced++)
				h_writef(w, "n%04d\n", produced + 1);
		}
		if (cursor[0])
			snprintf(req, sizeof(req), "dump-follow after=%s\n", cursor);
		else
			snprintf(req, sizeof(req), "dump-follow\n");
		h_conn_init(&c, h_query(&m, req));
		sessions++;
		int k = 1 + (int)(rng() % 150);
		if (k > produced - got)
			k = produced - got;
		for (int i = 0; i < k; i++) {
			json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
			char want[16];
			assert_non_null(e);
			if (json_object_get(e, "marker"))
				fail_msg("unexpected marker %s after %d entries",
					 h_jstr(e, "marker"), got);
			snprintf(want, sizeof(want), "n%04d", got + 1);
			assert_string_equal(h_jstr(e, "msg"), want);
			assert_int_equal(h_jint(e, "seq"), got + 1);
			snprintf(cursor, sizeof(cursor), "%s", h_jstr(e, "cursor"));
			got++;
			json_decref(e);
		}
		h_conn_close(&c); /* mid-stream: unread entries are dropped */
	}
	assert_int_equal(got, 1000);
	assert_true(sessions >= 10);
	/* Nothing after the last one. */
	char req[128];
	snprintf(req, sizeof(req), "dump after=%s\n", cursor);
	json_t *a = h_dump(&m, req);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	close(w);
	mld_stop(&m);
}

static void test_foreign_cursor(void **state)
{
	struct mld m = { 0 };
	char cur[64];
	(void)state;

	mld_start(&m, NULL);
	char *inst = instance_of(&m);
	int w = h_register_pipe(&m, "fc");
	for (int i = 1; i <= 5; i++)
		h_writef(w, "n%d\n", i);
	h_wait_source_stat(&m, "fc", "stderr", "lines", 5);
	char orig = inst[0];
	inst[0] = orig == '0' ? '1' : '0';
	cursor_of(cur, inst, 3);
	inst[0] = orig;
	char req[128];
	snprintf(req, sizeof(req), "dump after=%s\n", cur);
	json_t *a = h_dump(&m, req);
	assert_int_equal(json_array_size(a), 6);
	json_t *mk = json_array_get(a, 0);
	assert_string_equal(h_jstr(mk, "marker"), "foreign-cursor");
	assert_string_equal(h_jstr(mk, "source"), "memlogd");
	assert_string_equal(h_jstr(mk, "stream"), "none");
	assert_null(json_object_get(mk, "missed"));
	assert_non_null(strstr(h_jstr(mk, "msg"), "another memlogd instance"));
	for (int i = 1; i <= 5; i++) {
		char msg[8];
		snprintf(msg, sizeof(msg), "n%d", i);
		check_v2(json_array_get(a, (size_t)i), (uint64_t)i, inst, "fc",
			 "stderr", msg);
	}
	json_decref(a);
	free(inst);
	close(w);
	mld_stop(&m);
}

/* Reads a dump after cursor seq `after` and checks: one "overwritten"
 * marker covering exactly the lost range, then every entry from the
 * oldest on; received + missed == produced after the cursor. */
static void check_overwritten(const struct mld *m, const char *inst,
			      uint64_t after, uint64_t newest)
{
	char cur[64], req[128];
	json_t *st = h_stats(m);
	uint64_t oldest = (uint64_t)h_jint(st, "ring.oldest_seq");
	json_decref(st);
	assert_true(oldest > after + 1);

	cursor_of(cur, inst, after);
	snprintf(req, sizeof(req), "dump after=%s\n", cur);
	json_t *a = h_dump(m, req);
	json_t *mk = json_array_get(a, 0);
	assert_non_null(mk);
	assert_string_equal(h_jstr(mk, "marker"), "overwritten");
	uint64_t missed = (uint64_t)h_jint(mk, "missed");
	assert_int_equal(missed, oldest - (after + 1));
	assert_int_equal(h_jint(mk, "first_seq"), after + 1);
	assert_int_equal(h_jint(mk, "last_seq"), oldest - 1);
	assert_string_equal(h_jstr(mk, "source"), "memlogd");
	uint64_t received = json_array_size(a) - 1;
	for (uint64_t i = 0; i < received; i++) {
		json_t *e = json_array_get(a, (size_t)i + 1);
		char msg[16];
		snprintf(msg, sizeof(msg), "n%" PRIu64, oldest + i);
		check_v2(e, oldest + i, inst, "ow", "stderr", msg);
	}
	assert_int_equal(received + missed, newest - after);
	json_decref(a);
}

static void test_overwritten_cursor_max_lines(void **state)
{
	struct mld m = { 0 };
	(void)state;

	const char *args[] = { "--max-lines", "100", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	char *inst = instance_of(&m);
	int w = h_register_pipe(&m, "ow");
	for (int i = 1; i <= 300; i++)
		h_writef(w, "n%d\n", i);
	h_wait_source_stat(&m, "ow", "stderr", "lines", 300);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "ring.oldest_seq"), 201);
	json_decref(st);
	check_overwritten(&m, inst, 50, 300);
	free(inst);
	close(w);
	mld_stop(&m);
}

static void test_overwritten_cursor_bytes(void **state)
{
	struct mld m = { 0 };
	(void)state;

	const char *args[] = { "--buffer-size", "64K", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	char *inst = instance_of(&m);
	int w = h_register_pipe(&m, "ow");
	char *buf = malloc(5000 * 16);
	size_t n = 0;
	for (int i = 1; i <= 5000; i++)
		n += (size_t)sprintf(buf + n, "n%d\n", i);
	h_write_all(w, buf, n);
	free(buf);
	h_wait_source_stat(&m, "ow", "stderr", "lines", 5000);
	check_overwritten(&m, inst, 10, 5000);
	free(inst);
	close(w);
	mld_stop(&m);
}

/* Sends a request and expects exactly one {"error":...} line (whose text
 * starts with want) and the connection closed, within timeout_ms. */
static void expect_error(const struct mld *m, const void *req, size_t len,
			 const char *want, int timeout_ms)
{
	size_t n;
	char *out = h_read_all_close(h_query_bytes(m, req, len), timeout_ms, &n);
	json_t *a = h_ndjson(out, n);
	if (json_array_size(a) != 1)
		fail_msg("want one error line, got: %s", out);
	json_t *e = json_array_get(a, 0);
	assert_int_equal(json_object_size(e), 1);
	const char *msg = h_jstr(e, "error");
	if (strncmp(msg, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", msg, want);
	json_decref(a);
	free(out);
}

static void test_bad_requests(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	char *inst = instance_of(&m);
	/* Not a request byte: answered at once, no newline awaited (the
	 * request timeout is 10 s; the answer must come within 1 s). */
	expect_error(&m, "\x07", 1, "unknown request byte 0x07", 1000);
	expect_error(&m, "\xff", 1, "unknown request byte 0xff", 1000);
	expect_error(&m, "bogus\n", 6, "bad request: unknown mode", H_TIMEOUT_MS);
	expect_error(&m, "dump after=xyz\n", 15, "bad request: malformed cursor",
		     H_TIMEOUT_MS);
	expect_error(&m, "dump last=x\n", 12, "bad request: last needs a number",
		     H_TIMEOUT_MS);
	expect_error(&m, "dump \n", 6, "bad request: trailing space", H_TIMEOUT_MS);
	expect_error(&m, "dump color=red\n", 15, "bad request: unknown parameter",
		     H_TIMEOUT_MS);
	expect_error(&m, "follow last=3\n", 14, "bad request: follow starts",
		     H_TIMEOUT_MS);
	expect_error(&m, "stats last=3\n", 13, "bad request: stats takes no",
		     H_TIMEOUT_MS);

	/* Line length: 4096 bytes and '\n' is the longest accepted. */
	char *big = malloc(8192);
	size_t n = (size_t)sprintf(big, "dump");
	for (int g = 0; g < 4; g++) {
		n += (size_t)sprintf(big + n, " source=");
		memset(big + n, 'x', 1000);
		n += 1000;
	}
	n += (size_t)sprintf(big + n, " source=");
	memset(big + n, 'y', 4096 - n);
	n = 4096;
	big[n++] = '\n';
	size_t olen;
	char *out = h_read_all_close(h_query_bytes(&m, big, n), H_TIMEOUT_MS,
				     &olen);
	if (olen != 0)
		fail_msg("a 4096-byte request was refused: %s", out);
	free(out);
	/* 4097 bytes before the '\n': too long. */
	n = (size_t)sprintf(big, "dump source=");
	memset(big + n, 'z', 4097 - n);
	big[4097] = '\n';
	expect_error(&m, big, 4098, "request line too long", H_TIMEOUT_MS);
	/* 5000 bytes and no newline at all. */
	memset(big, 'd', 5000);
	expect_error(&m, big, 5000, "request line too long", H_TIMEOUT_MS);
	free(big);

	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "readers.bad_requests"), 11);
	json_decref(st);
	/* A cursor of this instance past the newest entry. */
	char req[128], cur[64];
	cursor_of(cur, inst, 1000);
	snprintf(req, sizeof(req), "dump after=%s\n", cur);
	expect_error(&m, req, strlen(req), "cursor is newer", H_TIMEOUT_MS);
	free(inst);
	mld_stop(&m);
}

static void test_idle_client(void **state)
{
	struct mld m = { 0 };
	(void)state;

	const char *args[] = { "--request-timeout", "300", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "i");
	h_writef(w, "x\n");
	h_wait_source_stat(&m, "i", "stderr", "lines", 1);
	uint64_t t0 = h_now_ms();
	int idle = h_connect(m.query);             /* sends nothing */
	int half = h_query(&m, "dum");             /* never finishes */
	/* Another client is served meanwhile. */
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 1);
	json_decref(a);
	assert_true(h_now_ms() - t0 < 300);
	size_t n;
	char *out = h_read_all_close(idle, 3000, &n);
	uint64_t waited = h_now_ms() - t0;
	json_t *e = h_json(out, n);
	assert_string_equal(h_jstr(e, "error"), "no request received in time");
	json_decref(e);
	free(out);
	print_message("# the idle client was cut off after %llu ms\n",
		      (unsigned long long)waited);
	if (waited < 300)
		fail_msg("cut off after %llu ms, before the 300 ms timeout",
			 (unsigned long long)waited);
	/* The upper bound only shows that --request-timeout, not the 10 s
	 * default, applied; it is loose on purpose (no timing assertions on a
	 * shared machine). */
	if (waited > 2500)
		fail_msg("cut off only after %llu ms (timeout 300 ms)",
			 (unsigned long long)waited);
	out = h_read_all_close(half, 3000, &n);
	e = h_json(out, n);
	assert_string_equal(h_jstr(e, "error"), "no request received in time");
	json_decref(e);
	free(out);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "readers.bad_requests"), 2);
	json_decref(st);
	close(w);
	mld_stop(&m);
}

static void test_max_readers(void **state)
{
	struct mld m = { 0 };
	struct h_conn a, b;
	(void)state;

	const char *args[] = { "--max-readers", "2", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "mr");
	h_conn_init(&a, h_query(&m, "follow\n"));
	h_conn_init(&b, h_query(&m, "follow\n"));
	size_t n;
	char *out = h_read_all_close(h_connect(m.query), H_TIMEOUT_MS, &n);
	assert_string_equal(out, "{\"error\":\"too many query clients\"}\n");
	free(out);
	/* The two admitted followers work. */
	h_writef(w, "hello\n");
	json_t *e = h_conn_json(&a, H_TIMEOUT_MS);
	assert_string_equal(h_jstr(e, "msg"), "hello");
	json_decref(e);
	e = h_conn_json(&b, H_TIMEOUT_MS);
	assert_string_equal(h_jstr(e, "msg"), "hello");
	json_decref(e);
	/* A slot frees when a client leaves. */
	h_conn_close(&a);
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	int refused = 1;
	json_t *st;
	while (!(st = h_stats_try(&m))) {
		refused++;
		if (h_now_ms() > deadline)
			fail_msg("no reader slot freed after a client left");
		h_sleep_ms(2);
	}
	assert_int_equal(h_jint(st, "readers.refused"), refused);
	assert_int_equal(h_jint(st, "readers.connected"), 2);
	assert_int_equal(h_jint(st, "readers.max"), 2);
	json_decref(st);
	h_conn_close(&b);
	close(w);
	mld_stop(&m);
}

/* A closed source stays in stats (and its entries keep their name) while
 * the ring holds one of its entries, and is forgotten once they are all
 * overwritten. */
static void test_source_lifetime(void **state)
{
	struct mld m = { 0 };
	const char *args[] = { "--max-lines", "3", NULL };
	struct mld_opts o = { .args = args };
	(void)state;

	mld_start(&m, &o);
	int gone = h_register_pipe(&m, "gone");
	h_writef(gone, "last words\n");
	close(gone);
	h_wait_stat(&m, "registrations.sources_open", 0);
	json_t *st = h_stats(&m);
	json_t *s = h_stats_source(st, "gone", "stderr");
	assert_non_null(s);
	assert_int_equal(h_jint(s, "fds"), 0);
	assert_int_equal(h_jint(s, "lines"), 1);
	json_decref(st);
	json_t *d = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(h_jstr(json_array_get(d, 0), "source"), "gone");
	assert_string_equal(h_jstr(json_array_get(d, 0), "msg"), "last words");
	json_decref(d);

	/* Three newer entries push it out of the 3-entry ring. */
	int next = h_register_pipe(&m, "next");
	h_writef(next, "a\nb\nc\n");
	h_wait_source_stat(&m, "next", "stderr", "lines", 3);
	st = h_stats(&m);
	assert_null(h_stats_source(st, "gone", "stderr"));
	assert_non_null(h_stats_source(st, "next", "stderr"));
	json_decref(st);
	/* The name can come back, with fresh counters. */
	gone = h_register_pipe(&m, "gone");
	h_writef(gone, "again\n");
	h_wait_source_stat(&m, "gone", "stderr", "lines", 1);
	close(gone);
	close(next);
	mld_stop(&m);
}

/* stats replies are sized by the source table, not --reader-buffer: clients
 * that ask and never read are held to a budget, told "busy" beyond it, and
 * stats works again once they go. */
static void test_stats_budget(void **state)
{
	struct mld m = { 0 };
	int p[2], cl[12];
	char name[300];
	(void)state;

	mld_start(&m, NULL);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	/* 1000 sources with 200-byte names: a reply of about 300 KB. */
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(name, sizeof(name), "%0200d", i);
		assert_int_equal(h_register(m.log, name, (size_t)n, &p[0], 1), 0);
	}
	h_wait_stat(&m, "registrations.sources_open", 1000);
	int busy = 0;
	for (int i = 0; i < 12; i++) {
		cl[i] = h_connect(m.query);
		h_write_all(cl[i], "stats\n", 6);
	}
	/* The first ones hold their replies (unread); the later ones are
	 * answered with the error at once and closed. memlogd takes the
	 * requests in order: once the last has its answer, every one has. */
	struct pollfd last = { .fd = cl[11], .events = POLLIN };
	assert_int_equal(poll(&last, 1, H_TIMEOUT_MS), 1);
	for (int i = 0; i < 12; i++) {
		char buf[128];
		ssize_t n = recv(cl[i], buf, sizeof(buf) - 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			buf[n] = '\0';
			busy += strstr(buf, "\"error\":\"busy: too many stats") != NULL;
		}
	}
	assert_true(busy >= 1);
	assert_true(busy <= 10);
	for (int i = 0; i < 12; i++)
		close(cl[i]);
	/* Budget given back: a full reply again. */
	json_t *st = NULL;
	for (int i = 0; i < 50 && !st; i++) {
		st = h_stats_try(&m);
		if (!st)
			h_sleep_ms(20);
	}
	assert_non_null(st);
	assert_int_equal(json_array_size(h_jget(st, "sources")), 1001);
	json_decref(st);
	close(p[0]);
	close(p[1]);
	h_wait_stat(&m, "registrations.sources_open", 0);
	mld_stop(&m);
}

/* The selection keys (since, until, stream, grep, igrep) against a daemon
 * holding entries of every stream: stdout and stderr pipes, a stand-in
 * kernel log, a syslog datagram, memlogd's own entries. What each request
 * must give is worked out from a full dump, so the time bounds are checked
 * exactly at each entry's own time, one ns either side. */
struct sel_entry {
	uint64_t seq, time;
	char stream[8];
	char msg[64];
};

static size_t sel_load(const struct mld *m, struct sel_entry *v, size_t cap)
{
	json_t *a = h_dump(m, "dump\n");
	size_t n = json_array_size(a);

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		const char *t = h_jstr(e, "time");
		v[i].seq = (uint64_t)h_jint(e, "seq");
		assert_true(h_parse_rfc3339nano(t, strlen(t), &v[i].time));
		snprintf(v[i].stream, sizeof(v[i].stream), "%s",
			 h_jstr(e, "stream"));
		snprintf(v[i].msg, sizeof(v[i].msg), "%s", h_jstr(e, "msg"));
	}
	json_decref(a);
	return n;
}

/* The request must give exactly the entries of v (n) for which want(). */
static void sel_expect(const struct mld *m, const char *req,
		       const struct sel_entry *v, size_t n,
		       bool (*want)(const struct sel_entry *, const void *),
		       const void *arg)
{
	json_t *a = h_dump(m, req);
	size_t got = json_array_size(a), k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!want(&v[i], arg))
			continue;
		if (k >= got || (uint64_t)h_jint(json_array_get(a, k), "seq") != v[i].seq) {
			h_print_entries(a);
			fail_msg("%.*s: entry %zu should be seq %" PRIu64 " (%s)",
				 (int)strcspn(req, "\n"), req, k, v[i].seq, v[i].msg);
		}
		k++;
	}
	if (k != got) {
		h_print_entries(a);
		fail_msg("%.*s: %zu entries, want %zu", (int)strcspn(req, "\n"),
			 req, got, k);
	}
	json_decref(a);
}

struct sel_range { uint64_t lo, hi; };
static bool in_range(const struct sel_entry *e, const void *arg)
{
	const struct sel_range *r = arg;
	return e->time >= r->lo && e->time <= r->hi;
}

static bool of_streams(const struct sel_entry *e, const void *arg)
{
	/* arg: streams as ",a,b," */
	char key[16];
	snprintf(key, sizeof(key), ",%s,", e->stream);
	return strstr(arg, key) != NULL;
}

static bool has_text(const struct sel_entry *e, const void *arg)
{
	return strstr(e->msg, arg) != NULL;
}

static bool has_text_icase(const struct sel_entry *e, const void *arg)
{
	return strcasestr(e->msg, arg) != NULL;
}

static bool starts_out_db(const struct sel_entry *e, const void *arg)
{
	(void)arg;
	return !strncmp(e->msg, "out ", 4) || !strncmp(e->msg, "db ", 3);
}

static void send_syslog(const struct mld *m, const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/syslog.sock", m->dir);
	h_send_str(path, text);
}

static void test_selection(void **state)
{
	static const char *const args[] = {
		"--kmsg=%D/fake", "--state-dir", "%D/state",
		"--syslog=%D/syslog.sock", NULL };
	struct mld_opts o = { .args = args };
	struct mld m = { 0 };
	struct sel_entry v[64];
	char fake[160], req[256];
	(void)state;

	mld_init(&m);
	snprintf(fake, sizeof(fake), "%s/fake", m.dir);
	h_write_file(fake, "6,0,1000,-;kern Failed one\n"
			   "3,1,2000,-;kern two\n", 0644);
	mld_start(&m, &o);
	int out = h_register_pipe(&m, "web.out");
	int err = h_register_pipe(&m, "web");
	int db = h_register_pipe(&m, "db");
	h_writef(out, "out one\n");
	h_wait_source_stat(&m, "web.out", "stdout", "lines", 1);
	h_writef(err, "err Failed\n");
	h_wait_source_stat(&m, "web", "stderr", "lines", 1);
	h_writef(db, "db failed quietly\n");
	h_wait_source_stat(&m, "db", "stderr", "lines", 1);
	send_syslog(&m, "<11>app: syslog Failed here");
	json_decref(h_wait_dump_msg(&m, "dump\n", "syslog Failed here"));
	json_decref(h_wait_dump_msg(&m, "dump\n", "kern two"));
	h_writef(out, "out two\n");
	h_wait_source_stat(&m, "web.out", "stdout", "lines", 2);

	size_t n = sel_load(&m, v, 64);
	assert_true(n >= 7);

	/* Time: each entry's own time, and one ns either side of it. */
	for (size_t i = 0; i < n; i++) {
		uint64_t t = v[i].time;
		struct sel_range r;
		snprintf(req, sizeof(req), "dump since=%" PRIu64 "\n", t);
		r = (struct sel_range){ t, UINT64_MAX };
		sel_expect(&m, req, v, n, in_range, &r);
		snprintf(req, sizeof(req), "dump since=%" PRIu64 "\n", t + 1);
		r = (struct sel_range){ t + 1, UINT64_MAX };
		sel_expect(&m, req, v, n, in_range, &r);
		snprintf(req, sizeof(req), "dump until=%" PRIu64 "\n", t);
		r = (struct sel_range){ 0, t };
		sel_expect(&m, req, v, n, in_range, &r);
		snprintf(req, sizeof(req), "dump until=%" PRIu64 "\n", t - 1);
		r = (struct sel_range){ 0, t - 1 };
		sel_expect(&m, req, v, n, in_range, &r);
		snprintf(req, sizeof(req), "dump since=%" PRIu64 " until=%" PRIu64
			 "\n", t, t);
		r = (struct sel_range){ t, t };
		sel_expect(&m, req, v, n, in_range, &r);
	}

	/* Streams, one, a list, repeated. */
	sel_expect(&m, "dump stream=stdout\n", v, n, of_streams, ",stdout,");
	sel_expect(&m, "dump stream=stderr\n", v, n, of_streams, ",stderr,");
	sel_expect(&m, "dump stream=kernel\n", v, n, of_streams, ",kernel,");
	sel_expect(&m, "dump stream=syslog\n", v, n, of_streams, ",syslog,");
	sel_expect(&m, "dump stream=daemon\n", v, n, of_streams, ",none,");
	sel_expect(&m, "dump stream=stdout,kernel stream=syslog\n", v, n,
		   of_streams, ",stdout,kernel,syslog,");
	json_t *a = h_dump(&m, "dump stream=kernel\n");
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	a = h_dump(&m, "dump stream=stdout\n");
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);

	/* grep: case as given; igrep: without. */
	sel_expect(&m, "dump grep=Failed\n", v, n, has_text, "Failed");
	sel_expect(&m, "dump igrep=failed\n", v, n, has_text_icase, "failed");
	sel_expect(&m, "dump grep=^(out|db)%20\n", v, n, starts_out_db, NULL);
	a = h_dump(&m, "dump grep=^(out|db)%20\n");
	assert_int_equal(json_array_size(a), 3);
	json_decref(a);
	a = h_dump(&m, "dump igrep=failed\n");
	assert_int_equal(json_array_size(a), 4);
	json_decref(a);
	/* Together, and last=N counting only what passes them all. */
	expect_dump(&m, "dump igrep=failed stream=stderr,syslog last=2\n",
		    (const char *[]){ "db failed quietly",
				      "syslog Failed here" }, 2);
	expect_dump(&m, "dump grep=Failed stream=stderr,kernel last=5\n",
		    (const char *[]){ "kern Failed one", "err Failed" }, 2);
	expect_dump(&m, "dump grep=o stream=stdout last=1\n",
		    (const char *[]){ "out two" }, 1);

	/* Refused, with the reason. */
	expect_error(&m, "dump grep=a(\n", 13, "bad request: grep: ",
		     H_TIMEOUT_MS);
	char big[400] = "dump grep=";
	memset(big + strlen(big), 'a', 257);
	strcat(big, "\n");
	expect_error(&m, big, strlen(big), "bad request: grep pattern too long",
		     H_TIMEOUT_MS);
	expect_error(&m, "dump since=2 until=1\n", 21,
		     "bad request: since is later than until", H_TIMEOUT_MS);
	expect_error(&m, "dump stream=stdin\n", 18, "bad request: stream takes",
		     H_TIMEOUT_MS);

	/* A follower is sent only what passes its filters: what it must
	 * not get is written before what it must, in one order. (dump-follow:
	 * nothing stored matches yet, and no line can come before the
	 * request is read.) */
	struct h_conn c;
	h_conn_init(&c, h_query(&m, "dump-follow stream=stdout grep=^keep\n"));
	h_writef(err, "keep but stderr\n");
	h_wait_source_stat(&m, "web", "stderr", "lines", 2);
	h_writef(out, "drop: no match\n");
	h_writef(out, "keep this\n");
	h_wait_source_stat(&m, "web.out", "stdout", "lines", 4);
	h_writef(err, "keep but stderr again\n");
	h_wait_source_stat(&m, "web", "stderr", "lines", 3);
	h_writef(out, "keep last\n");
	const char *follow[] = { "keep this", "keep last" };
	for (int i = 0; i < 2; i++) {
		json_t *e = h_conn_json(&c, H_TIMEOUT_MS);
		assert_non_null(e);
		assert_string_equal(h_jstr(e, "msg"), follow[i]);
		json_decref(e);
	}
	h_conn_close(&c);
	close(out);
	close(err);
	close(db);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dump_fields, h_teardown),
		cmocka_unit_test_teardown(test_follow, h_teardown),
		cmocka_unit_test_teardown(test_dump_follow, h_teardown),
		cmocka_unit_test_teardown(test_last, h_teardown),
		cmocka_unit_test_teardown(test_source_glob, h_teardown),
		cmocka_unit_test_teardown(test_last_filtered, h_teardown),
		cmocka_unit_test_teardown(test_last_filtered_large, h_teardown),
		cmocka_unit_test_teardown(test_stats_values, h_teardown),
		cmocka_unit_test_teardown(test_resume_by_cursor, h_teardown),
		cmocka_unit_test_teardown(test_foreign_cursor, h_teardown),
		cmocka_unit_test_teardown(test_overwritten_cursor_max_lines,
					  h_teardown),
		cmocka_unit_test_teardown(test_overwritten_cursor_bytes,
					  h_teardown),
		cmocka_unit_test_teardown(test_bad_requests, h_teardown),
		cmocka_unit_test_teardown(test_idle_client, h_teardown),
		cmocka_unit_test_teardown(test_max_readers, h_teardown),
		cmocka_unit_test_teardown(test_source_lifetime, h_teardown),
		cmocka_unit_test_teardown(test_stats_budget, h_teardown),
		cmocka_unit_test_teardown(test_selection, h_teardown),
	};
	return h_run_tests("itest_query", tests, NULL, NULL);
}
