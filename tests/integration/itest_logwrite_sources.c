/* logwrite following 100 sources that write at once, the short version of
 * bench/sustained.sh: every line of every source on disk exactly once, in
 * order, and no loss marker. The ring (64 MiB) holds everything written,
 * so however slowly logwrite runs on a busy machine nothing may be lost:
 * a marker or a missing or repeated line is a defect, never timing.
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOURCES 100
#define LINES 500   /* per source */
#define CHUNK 25    /* lines per write() */

/* Line j of source k: 21 bytes. */
static int line(char *p, int k, int j)
{
	return sprintf(p, "%03d %05d-aaaaaaaaaa\n", k, j);
}

static void test_hundred_sources_exactly_once(void **state)
{
	static const char *const margs[] = { "--buffer-size", "64M", NULL };
	struct mld_opts o = { .args = margs };
	struct mld m = { 0 };
	struct lw l;
	int w[SOURCES];
	char name[16], buf[CHUNK * 32], *want;
	(void)state;

	lw_need();
	mld_start(&m, &o);
	lw_init(&l, &m);
	lw_start(&l, &m, (const char *const[]){ "-format", "raw",
		 "-max-log-size", "1G", NULL });
	for (int k = 0; k < SOURCES; k++) {
		snprintf(name, sizeof(name), "s%03d", k);
		w[k] = h_register_pipe(&m, name);
	}
	/* Round-robin, CHUNK lines to each source in turn, while logwrite
	 * follows. */
	for (int j = 0; j < LINES; j += CHUNK) {
		for (int k = 0; k < SOURCES; k++) {
			size_t n = 0;
			for (int i = j; i < j + CHUNK; i++)
				n += (size_t)line(buf + n, k, i);
			h_write_all(w[k], buf, n);
		}
	}
	for (int k = 0; k < SOURCES; k++) {
		char last[32];

		snprintf(name, sizeof(name), "s%03d.log", k);
		line(last, k, LINES - 1);
		lw_wait_contains(&l, name, last);
	}
	/* A stop commits what is pending: nothing may be written twice then
	 * either. */
	lw_stop(&l);
	want = malloc((size_t)LINES * 32);
	assert_non_null(want);
	for (int k = 0; k < SOURCES; k++) {
		size_t n = 0;

		snprintf(name, sizeof(name), "s%03d.log", k);
		for (int j = 0; j < LINES; j++)
			n += (size_t)line(want + n, k, j);
		char *got = lw_file(&l, name, NULL);
		assert_non_null(got);
		if (strcmp(got, want)) {
			/* the first difference, not 10 KiB of text */
			size_t d = 0;
			while (got[d] && got[d] == want[d])
				d++;
			fail_msg("%s differs at byte %zu: has \"%.40s\", want \"%.40s\"",
				 name, d, got + d, want + d);
		}
		free(got);
	}
	free(want);
	assert_false(lw_exists(&l, "memlogd.log")); /* no loss marker */
	for (int k = 0; k < SOURCES; k++)
		close(w[k]);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hundred_sources_exactly_once,
					  h_teardown),
	};
	return h_run_tests("itest_logwrite_sources", tests, NULL, NULL);
}
