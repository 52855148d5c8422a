/* Long lines are split into marked pieces, never cut: through the real
 * daemon, with ASCII and with multi-byte UTF-8 on every boundary. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE (100u << 10)
#define PIECE 8192u

/* Reads the pieces of source name back and checks them: count, partial
 * flags, size bound, valid UTF-8 with no U+FFFD, and that they join to
 * want. */
static void check_pieces(const struct mld *m, const char *name,
			 const char *want, size_t want_len, size_t npieces)
{
	char req[128];
	snprintf(req, sizeof(req), "dump source=%s\n", name);
	json_t *a = h_dump(m, req);
	size_t n = json_array_size(a);
	if (n != npieces)
		fail_msg("%zu pieces, want %zu", n, npieces);
	char *joined = malloc(want_len + 1);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		json_t *mv = json_object_get(e, "msg");
		const char *msg = json_string_value(mv);
		size_t len = json_string_length(mv);
		assert_non_null(msg);
		if (len > PIECE)
			fail_msg("piece %zu has %zu bytes (max %u)", i, len, PIECE);
		if (len == 0)
			fail_msg("piece %zu is empty", i);
		if (!h_valid_utf8(msg, len) || memmem(msg, len, "\xef\xbf\xbd", 3))
			fail_msg("piece %zu is not clean UTF-8 (a character was cut)",
				 i);
		assert_int_equal(h_jbool(e, "partial"), i + 1 < n);
		if (off + len > want_len)
			fail_msg("the pieces are longer than the line");
		memcpy(joined + off, msg, len);
		off += len;
	}
	assert_int_equal(off, want_len);
	assert_memory_equal(joined, want, want_len);
	free(joined);
	json_decref(a);
}

static void test_100k_line(void **state)
{
	struct mld m = { 0 };
	(void)state;

	mld_start(&m, NULL);
	char *line = malloc(LINE + 1);
	uint32_t x = 7;
	for (size_t i = 0; i < LINE; i++) {
		x = x * 1103515245u + 12345u;
		line[i] = "abcdefghijklmnopqrstuvwxyz0123456789 <>&\"\\"[(x >> 16) % 42];
	}
	line[LINE] = '\n';
	int w = h_register_pipe(&m, "long");
	h_write_all(w, line, LINE + 1);
	h_wait_source_stat(&m, "long", "stderr", "lines", 13);
	check_pieces(&m, "long", line, LINE, 13);
	json_t *st = h_stats(&m);
	json_t *s = h_stats_source(st, "long", "stderr");
	assert_int_equal(h_jint(s, "partial"), 12);
	assert_int_equal(h_jint(s, "bytes"), LINE);
	json_decref(st);
	/* The next line is a line of its own again. */
	h_writef(w, "short\n");
	h_wait_source_stat(&m, "long", "stderr", "lines", 14);
	json_t *a = h_dump(&m, "dump last=1\n");
	assert_string_equal(h_jstr(json_array_get(a, 0), "msg"), "short");
	assert_false(h_jbool(json_array_get(a, 0), "partial"));
	json_decref(a);
	free(line);
	close(w);
	mld_stop(&m);
}

static void test_utf8_on_boundaries(void **state)
{
	struct mld m = { 0 };
	size_t plen[32], np = 0;
	(void)state;

	mld_start(&m, NULL);
	/* A 2-, 3- or 4-byte character straddles the 8192-byte mark of every
	 * piece (1, 2 or 3 bytes before it), so every cut must move back to
	 * the character's start: the pieces are predictable exactly. */
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80" };
	char *line = malloc(LINE + 64);
	size_t n = 0, start = 0;
	for (unsigned k = 0;; k++) {
		const char *c = chars[k % 3];
		size_t cl = strlen(c);
		size_t back = 1 + k % (cl - 1);
		size_t at = start + PIECE - back;
		if (at + cl > LINE)
			break;
		while (n < at) {
			line[n] = (char)('a' + n % 26);
			n++;
		}
		memcpy(line + n, c, cl);
		n += cl;
		plen[np++] = at - start;
		start = at;
		assert_true(np < 31);
	}
	while (n < LINE) {
		line[n] = (char)('a' + n % 26);
		n++;
	}
	/* What is left after the last cut: one or two more pieces. */
	while (n - start > PIECE) {
		plen[np++] = PIECE;
		start += PIECE;
	}
	plen[np++] = n - start;
	line[n] = '\n';
	assert_true(h_valid_utf8(line, n));
	int w = h_register_pipe(&m, "utf8");
	h_write_all(w, line, n + 1);
	close(w);
	h_wait_source_stat(&m, "utf8", "stderr", "fds", 0);
	h_wait_source_stat(&m, "utf8", "stderr", "lines", (json_int_t)np);
	check_pieces(&m, "utf8", line, n, np);
	json_t *a = h_dump(&m, "dump source=utf8\n");
	for (size_t i = 0; i < np; i++) {
		json_t *mv = json_object_get(json_array_get(a, i), "msg");
		if (json_string_length(mv) != plen[i])
			fail_msg("piece %zu: %zu bytes, want %zu", i,
				 json_string_length(mv), plen[i]);
	}
	json_decref(a);
	free(line);
	mld_stop(&m);
}

static void test_crlf_at_limit(void **state)
{
	struct mld m = { 0 };
	(void)state;

	const char *args[] = { "-max-line-len", "16", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "crlf");
	h_writef(w, "0123456789abcdef\r\n");
	h_wait_source_stat(&m, "crlf", "stderr", "lines", 1);
	/* The same with "\r" and "\n" read separately. */
	h_writef(w, "ABCDEFGHIJKLMNOP\r");
	h_barrier(&m); /* the daemon has read the '\r' */
	h_writef(w, "\n");
	/* And 17 bytes: two pieces. */
	h_writef(w, "0123456789abcdefg\n");
	h_wait_source_stat(&m, "crlf", "stderr", "lines", 4);
	json_t *a = h_dump(&m, "dump\n");
	assert_int_equal(json_array_size(a), 4);
	const char *want[] = { "0123456789abcdef", "ABCDEFGHIJKLMNOP",
			       "0123456789abcdef", "g" };
	const bool partial[] = { false, false, true, false };
	for (size_t i = 0; i < 4; i++) {
		json_t *e = json_array_get(a, i);
		assert_string_equal(h_jstr(e, "msg"), want[i]);
		assert_int_equal(h_jbool(e, "partial"), partial[i]);
	}
	json_decref(a);
	close(w);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_100k_line, h_teardown),
		cmocka_unit_test_teardown(test_utf8_on_boundaries, h_teardown),
		cmocka_unit_test_teardown(test_crlf_at_limit, h_teardown),
	};
	return h_run_tests("itest_split", tests, NULL, NULL);
}
