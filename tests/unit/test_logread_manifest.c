/* What a bundle counts and its manifest.json (src/logread/manifest.c):
 * sources told apart by name and stream, the counts of their entries,
 * every loss marker listed (and counted past the list's bound), drops
 * taken from the stats, a restart between the dump and the stats said,
 * names that are not UTF-8 kept readable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "regmsg.h"

static struct binstream_item entry(uint64_t seq, uint64_t ns, uint8_t flags,
				   const char *msg)
{
	struct binstream_item it;

	memset(&it, 0, sizeof(it));
	it.type = BINREC_ENTRY;
	it.rec.type = BINREC_ENTRY;
	it.rec.seq = seq;
	it.rec.time_ns = ns;
	it.rec.flags = flags;
	it.rec.msg = msg;
	it.rec.msg_len = strlen(msg);
	return it;
}

static struct binstream_item marker(int64_t missed, uint64_t first,
				    uint64_t last)
{
	struct binstream_item it;

	memset(&it, 0, sizeof(it));
	it.type = BINREC_MARKER;
	it.rec.type = BINREC_MARKER;
	it.rec.missed = missed;
	it.rec.first = first;
	it.rec.last = last;
	it.rec.time_ns = 5000000000ull;
	it.rec.reason = "lagged";
	it.rec.reason_len = 6;
	it.rec.msg = "lost some";
	it.rec.msg_len = 9;
	return it;
}

static json_t *stats(const char *instance)
{
	json_t *s = json_pack("{s:s, s:s, s:i, s:i, s:{s:i, s:i, s:i, s:i, "
			      "s:i}, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}",
		"version", "0.1.0", "instance", instance,
		"upgrades", 0, "takeovers", 1,
		"ring", "size", 4096, "used", 100, "entries", 4,
		"oldest_seq", 7, "newest_seq", 10,
		"sources", "name", "web", "stream", "stderr", "dropped", 3,
		"name", "web", "stream", "stdout", "dropped", 9);
	assert_non_null(s);
	return s;
}

static json_t *make(const struct manifest *m, json_t *st)
{
	static const char *const files[] = { "b/logs/web.log",
					     "b/logs/web@stdout.log" };
	static const char *const redact[] = { "pw=.*" };
	struct manifest_info i = {
		.host = "box", .now_ns = 1000000000ull, .request = "dump",
		.redact = redact, .nredact = 1, .files = files, .nfiles = 2,
		.stats = st,
	};
	json_t *j = manifest_json(m, &i);

	assert_non_null(j);
	return j;
}

static json_int_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_counts(void **state)
{
	(void)state;
	struct manifest m;
	struct binstream_item it;

	manifest_init(&m);
	m.hello = true;
	m.instance = 0xabcdef;
	assert_int_equal(manifest_source(&m, "web", 3, STREAM_STDERR), 0);
	assert_int_equal(manifest_source(&m, "web", 3, STREAM_STDOUT), 1);
	assert_int_equal(manifest_source(&m, "web", 3, STREAM_STDERR), 0);
	m.srcs[1].file = 1;
	it = entry(7, 1000, BINREC_PARTIAL, "abcd");
	assert_int_equal(manifest_entry(&m, 0, &it, it.rec.msg,
					 it.rec.msg_len, 0), 0);
	it = entry(8, 2000, 0, "ef");
	assert_int_equal(manifest_entry(&m, 0, &it, it.rec.msg,
					 it.rec.msg_len, 2), 0);
	/* Listed with its text as it enters the bundle (redacted). */
	it = entry(9, 3000, BINREC_NOTICE, "dropped 4 of pw=x");
	assert_int_equal(manifest_entry(&m, 1, &it, "dropped 4 of [r]", 16,
					1), 0);
	it = marker(5, 10, 14);
	assert_int_equal(manifest_marker(&m, &it), 0);
	it = marker(-1, 0, 20);
	assert_int_equal(manifest_marker(&m, &it), 0);

	json_t *st = stats("0000000000abcdef");
	json_t *j = make(&m, st);
	json_t *s0 = json_array_get(json_object_get(j, "sources"), 0);
	json_t *s1 = json_array_get(json_object_get(j, "sources"), 1);
	assert_string_equal(json_string_value(json_object_get(s0, "name")),
			    "web");
	assert_string_equal(json_string_value(json_object_get(s0, "stream")),
			    "stderr");
	assert_string_equal(json_string_value(json_object_get(s0, "file")),
			    "b/logs/web.log");
	assert_int_equal(jint(s0, "entries"), 2);
	assert_int_equal(jint(s0, "lines"), 1);
	assert_int_equal(jint(s0, "partial"), 1);
	assert_int_equal(jint(s0, "bytes"), 6);
	assert_int_equal(jint(s0, "first_seq"), 7);
	assert_int_equal(jint(s0, "last_seq"), 8);
	assert_int_equal(jint(s0, "dropped"), 3);
	assert_int_equal(jint(s0, "redacted"), 2);
	assert_string_equal(json_string_value(json_object_get(s0,
			    "first_time")), "1970-01-01T00:00:00.000001Z");
	assert_int_equal(jint(s1, "dropped"), 9);
	assert_int_equal(jint(s1, "notices"), 1);
	assert_int_equal(jint(s1, "redacted"), 1);
	assert_int_equal(jint(s1, "bytes"), 17);
	assert_int_equal(jint(j, "redacted"), 3);

	/* Every loss marker, in order, with its count. */
	json_t *l = json_object_get(j, "loss_markers");
	assert_int_equal(json_array_size(l), 3);
	json_t *n = json_array_get(l, 0), *a = json_array_get(l, 1),
	       *b = json_array_get(l, 2);
	assert_string_equal(json_string_value(json_object_get(n, "kind")),
			    "notice");
	assert_int_equal(jint(n, "seq"), 9);
	assert_string_equal(json_string_value(json_object_get(n, "stream")),
			    "stdout");
	assert_string_equal(json_string_value(json_object_get(n, "text")),
			    "dropped 4 of [r]");
	assert_string_equal(json_string_value(json_object_get(a, "reason")),
			    "lagged");
	assert_int_equal(jint(a, "missed"), 5);
	assert_int_equal(jint(a, "first_seq"), 10);
	assert_int_equal(jint(a, "last_seq"), 14);
	assert_true(json_is_null(json_object_get(b, "missed")));
	assert_true(json_is_null(json_object_get(b, "first_seq")));
	json_t *loss = json_object_get(j, "losses");
	assert_int_equal(jint(loss, "markers"), 2);
	assert_int_equal(jint(loss, "notices"), 1);
	assert_int_equal(jint(loss, "missed"), 5);
	assert_true(json_is_true(json_object_get(loss, "missed_unknown")));
	assert_int_equal(jint(loss, "not_listed"), 0);

	/* The daemon, the ring, what was asked and redacted. */
	json_t *d = json_object_get(j, "memlogd");
	assert_string_equal(json_string_value(json_object_get(d, "instance")),
			    "0000000000abcdef");
	assert_true(json_is_true(json_object_get(d, "same_instance")));
	assert_int_equal(jint(d, "takeovers"), 1);
	json_t *r = json_object_get(j, "ring");
	assert_int_equal(jint(r, "size"), 4096);
	assert_int_equal(jint(r, "oldest_seq"), 7);
	assert_int_equal(jint(r, "newest_seq"), 10);
	assert_string_equal(json_string_value(json_object_get(j, "host")),
			    "box");
	assert_string_equal(json_string_value(json_array_get(
			    json_object_get(j, "redact"), 0)), "pw=.*");
	json_decref(j);
	json_decref(st);

	/* Stats of another instance: memlogd started anew between the dump
	 * and the stats, which the manifest says. */
	st = stats("00000000000000ff");
	j = make(&m, st);
	d = json_object_get(j, "memlogd");
	assert_true(json_is_false(json_object_get(d, "same_instance")));
	assert_string_equal(json_string_value(json_object_get(d,
			    "stats_instance")), "00000000000000ff");
	json_decref(j);
	json_decref(st);
	manifest_free(&m);
}

/* No stats (they could not be asked): the counts still, no drops. */
static void test_without_stats(void **state)
{
	(void)state;
	struct manifest m;
	struct binstream_item it = entry(1, 1, 0, "x");

	manifest_init(&m);
	assert_int_equal(manifest_source(&m, "\xff" "bad\x01", 5,
					 STREAM_NONE), 0);
	assert_int_equal(manifest_entry(&m, 0, &it, it.rec.msg,
					it.rec.msg_len, 0), 0);
	json_t *j = make(&m, NULL);
	json_t *s = json_array_get(json_object_get(j, "sources"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "name")),
			    "\\xffbad\x01");
	assert_true(json_is_null(json_object_get(s, "dropped")));
	assert_true(json_is_null(json_object_get(j, "ring")));
	assert_true(json_is_false(json_object_get(json_object_get(j,
				  "memlogd"), "same_instance")));
	json_decref(j);
	manifest_free(&m);
}

/* Past MANIFEST_LOSSES_MAX markers are counted, not listed. */
static void test_losses_bounded(void **state)
{
	(void)state;
	struct manifest m;

	manifest_init(&m);
	assert_int_equal(manifest_source(&m, "memlogd", 7, STREAM_NONE), 0);
	for (unsigned i = 0; i < MANIFEST_LOSSES_MAX + 5; i++) {
		struct binstream_item it = entry(i + 1, i, BINREC_NOTICE, "n");
		assert_int_equal(manifest_entry(&m, 0, &it, it.rec.msg,
						it.rec.msg_len, 0), 0);
	}
	assert_int_equal(m.nlosses, MANIFEST_LOSSES_MAX);
	json_t *j = make(&m, NULL);
	json_t *loss = json_object_get(j, "losses");
	assert_int_equal(jint(loss, "notices"), MANIFEST_LOSSES_MAX + 5);
	assert_int_equal(jint(loss, "not_listed"), 5);
	json_decref(j);
	manifest_free(&m);
}

/* memlogd's notes of a restart are listed (only from memlogd itself);
 * a cursor of another instance is said. */
static void test_restarts(void **state)
{
	(void)state;
	static const char *const msgs[] = {
		("took over the ring (5 entries) and the state of the last "
		 "memlogd"),
		"hello",
		"upgraded: memlog 0.1.0 took over live (2 sources, 1 readers)",
	};
	struct manifest m;
	struct binstream_item it;

	manifest_init(&m);
	assert_int_equal(manifest_source(&m, "memlogd", 7, STREAM_NONE), 0);
	assert_int_equal(manifest_source(&m, "memlogd", 7, STREAM_STDERR), 1);
	for (unsigned i = 0; i < 3; i++) {
		it = entry(10 + i, 100 + i, 0, msgs[i]);
		assert_int_equal(manifest_entry(&m, 0, &it, it.rec.msg,
						it.rec.msg_len, 0), 0);
		/* The same words from a source that is not memlogd's. */
		assert_int_equal(manifest_entry(&m, 1, &it, it.rec.msg,
						it.rec.msg_len, 0), 0);
	}
	it = marker(-1, 0, 3);
	it.rec.reason = "foreign-cursor";
	it.rec.reason_len = 14;
	assert_int_equal(manifest_marker(&m, &it), 0);
	json_t *j = make(&m, NULL);
	json_t *d = json_object_get(j, "memlogd");
	json_t *r = json_object_get(d, "restarts");
	assert_int_equal(jint(d, "restarts_seen"), 2);
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(jint(json_array_get(r, 0), "seq"), 10);
	assert_int_equal(jint(json_array_get(r, 1), "seq"), 12);
	assert_true(json_is_true(json_object_get(d, "foreign_cursor")));
	json_decref(j);
	manifest_free(&m);
	assert_false(manifest_is_restart("took over", 9));
}

/* Many sources: each found again at its own index. */
static void test_many_sources(void **state)
{
	(void)state;
	struct manifest m;
	char name[32];

	manifest_init(&m);
	for (int i = 0; i < 3000; i++) {
		int n = snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(manifest_source(&m, name, (size_t)n,
						 (uint8_t)(i % 3)), i);
	}
	for (int i = 2999; i >= 0; i--) {
		int n = snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(manifest_source(&m, name, (size_t)n,
						 (uint8_t)(i % 3)), i);
	}
	manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_without_stats),
		cmocka_unit_test(test_losses_bounded),
		cmocka_unit_test(test_restarts),
		cmocka_unit_test(test_many_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
