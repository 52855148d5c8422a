/* logwrite's state file (state.c): the parser, the text builder, and the
 * atomic save. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

static int parse(const char *text, struct lw_state *s, char err[STATE_ERR_MAX])
{
	return state_parse(text, strlen(text), s, err);
}

static void test_parse_full(void **state)
{
	static const char text[] =
		"logwrite-state 1\n"
		"cursor m1-90a8240469430d14-000000000000000c\n"
		"file docker 1048577\n"
		"file %2E%2E%2F.%2E%2Fetc%2Fpasswd 0\n"
		"file %2541 18446744073709551615\n"
		"rotate docker shift 1048577\n"
		"end\n";
	char err[STATE_ERR_MAX];
	struct lw_state s;

	assert_int_equal(parse(text, &s, err), 0);
	assert_string_equal(s.cursor, "m1-90a8240469430d14-000000000000000c");
	assert_int_equal(s.nfiles, 3);
	assert_string_equal(s.files[0].base, "docker");
	assert_true(s.files[0].committed == 1048577);
	assert_string_equal(s.files[1].base, "%2E%2E%2F.%2E%2Fetc%2Fpasswd");
	assert_true(s.files[1].committed == 0);
	assert_true(s.files[2].committed == UINT64_MAX);
	assert_int_equal(s.rot_step, ROT_SHIFT);
	assert_string_equal(s.rot_base, "docker");
	assert_true(s.rot_len == 1048577);
	state_free(&s);
}

static void test_parse_minimal(void **state)
{
	char err[STATE_ERR_MAX];
	struct lw_state s;

	assert_int_equal(parse("logwrite-state 1\nend\n", &s, err), 0);
	assert_string_equal(s.cursor, "");
	assert_int_equal(s.nfiles, 0);
	assert_int_equal(s.rot_step, ROT_NONE);
	state_free(&s);
	assert_int_equal(parse("logwrite-state 1\nrotate a compress 5\nend\n",
			       &s, err), 0);
	assert_int_equal(s.rot_step, ROT_COMPRESS);
	state_free(&s);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"logwrite-state 1\n",                          /* cut short */
		"logwrite-state 1\nend",                       /* no newline */
		"logwrite-state 3\nend\n",
		"logwrite-state 1\npark a 1\nend\n",            /* not in v1 */
		"logwrite-state 2\npark a\nend\n",
		"logwrite-state 2\npark a x\nend\n",
		"logwrite-state 2\npark a/b 1\nend\n",
		"logwrite-state 2\nfile a 1\npark a 1\nend\n",  /* both */
		"logwrite-state 2\npark a 1\npark a 2\nend\n",
		"logwrite-state 2\nrotate a shift 1\npark b 1\nend\n",
		/* own lines (version 2 only) */
		"logwrite-state 1\nown a 1\nend\n",
		"logwrite-state 2\nown a\nend\n",              /* nothing */
		"logwrite-state 2\nown a 0\nend\n",
		"logwrite-state 2\nown a 1 1\nend\n",          /* twice */
		"logwrite-state 2\nown a 1 x\nend\n",
		"logwrite-state 2\nown a 1 new\nend\n",
		"logwrite-state 2\nown a new new\nend\n",
		"logwrite-state 2\nown a 1 \nend\n",
		"logwrite-state 2\nown a  1\nend\n",
		"logwrite-state 2\nown a/b 1\nend\n",
		"logwrite-state 2\nown a 1\nown a 2\nend\n",
		"logwrite-state 2\nown a 18446744073709551616\nend\n",
		"logwrite-state 2\nrotate a shift 1\nown a 1\nend\n",
		/* a listed file, a rotation, without their own line */
		"logwrite-state 2\nfile a 1\nend\n",
		"logwrite-state 2\nfile a 1\nown b 1\nend\n",
		"Logwrite-state 1\nend\n",
		"logwrite-state 1\r\nend\n",
		"logwrite-state 1\nend\nend\n",
		"logwrite-state 1\nend\nfile a 1\n",
		"logwrite-state 1\ncursor\nend\n",
		"logwrite-state 1\ncursor a b\nend\n",
		"logwrite-state 1\ncursor a%b\nend\n",
		/* damaged cursors: shaped like one, but memlogd would refuse
		 * them ("malformed cursor") */
		"logwrite-state 1\ncursor m1-90a8240469430d14-00000000000000g c\nend\n",
		"logwrite-state 1\ncursor m1-90a8240469430d14-000000000000000g\nend\n",
		"logwrite-state 1\ncursor m1-90a8240469430d1-000000000000000c\nend\n",
		"logwrite-state 1\ncursor m1-90A8240469430d14-000000000000000c\nend\n",
		"logwrite-state 1\ncursor m1-90a8240469430d14+000000000000000c\nend\n",
		"logwrite-state 1\ncursor c\nend\n",
		"logwrite-state 1\nfile a 1\ncursor c\nend\n",  /* order */
		"logwrite-state 1\ncursor c\ncursor c\nend\n",
		"logwrite-state 1\nfile a\nend\n",
		"logwrite-state 1\nfile a 1 2\nend\n",
		"logwrite-state 1\nfile a -1\nend\n",
		"logwrite-state 1\nfile a 1x\nend\n",
		"logwrite-state 1\nfile a 18446744073709551616\nend\n",
		"logwrite-state 1\nfile  a 1\nend\n",
		"logwrite-state 1\nfile a 1 \nend\n",
		"logwrite-state 1\nfile a/b 1\nend\n",          /* not an encoding */
		"logwrite-state 1\nfile ../x 1\nend\n",
		"logwrite-state 1\nfile .x 1\nend\n",
		"logwrite-state 1\nfile %41 1\nend\n",
		"logwrite-state 1\nfile a 1\nfile a 2\nend\n",   /* twice */
		"logwrite-state 1\nrotate a spin 1\nend\n",
		"logwrite-state 1\nrotate a shift\nend\n",
		"logwrite-state 1\nrotate a shift 1\nfile a 1\nend\n",
		"logwrite-state 1\nrotate a shift 1\nrotate a shift 1\nend\n",
		"logwrite-state 1\nbogus\nend\n",
		"logwrite-state 1\n\nend\n",
	};
	char err[STATE_ERR_MAX];
	struct lw_state s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i], &s, err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_parse_parks(void **state)
{
	static const char text[] =
		"logwrite-state 2\n"
		"cursor m1-90a8240469430d14-000000000000000c\n"
		"file docker 10\n"
		"park web 12\n"
		"file memlogd 5\n"
		"park web@syslog 0\n"
		"own docker 12 13\n"
		"own memlogd 7\n"
		"end\n";
	char err[STATE_ERR_MAX];
	struct lw_state s;

	assert_int_equal(parse(text, &s, err), 0);
	assert_int_equal(s.version, 2);
	assert_int_equal(s.nfiles, 2);
	assert_int_equal(s.nparks, 2);
	assert_string_equal(s.parks[0].base, "web");
	assert_true(s.parks[0].dropped == 12);
	assert_string_equal(s.parks[1].base, "web@syslog");
	state_free(&s);
	/* Version 1, written before parks existed, is still read. */
	assert_int_equal(parse("logwrite-state 1\nfile a 3\nend\n", &s, err), 0);
	assert_int_equal(s.version, 1);
	assert_int_equal(s.nfiles, 1);
	state_free(&s);
}

static void test_text_round_trip(void **state)
{
	struct state_text t = { 0 };
	char err[STATE_ERR_MAX];
	struct lw_state s;

	state_text_begin(&t, "m1-0000000000000001-0000000000000002");
	state_text_file(&t, "a", 10);
	state_text_file(&t, "b%2Fc", 0);
	state_text_park(&t, "d@syslog", 7);
	state_text_own(&t, "a", false, (const uint64_t[]){ 5, 18446744073709551615ull }, 2);
	state_text_own(&t, "b%2Fc", true, (const uint64_t[]){ 9 }, 1);
	state_text_own(&t, "new@syslog", true, NULL, 0);
	state_text_rotate(&t, ROT_COMPRESS, "a", 99);
	assert_int_equal(state_text_end(&t), 0);
	assert_int_equal(state_parse(t.buf, t.len, &s, err), 0);
	assert_string_equal(s.cursor, "m1-0000000000000001-0000000000000002");
	assert_int_equal(s.nfiles, 2);
	assert_string_equal(s.files[1].base, "b%2Fc");
	assert_int_equal(s.nparks, 1);
	assert_string_equal(s.parks[0].base, "d@syslog");
	assert_true(s.parks[0].dropped == 7);
	assert_int_equal(s.nowns, 3);
	assert_string_equal(s.owns[0].base, "a");
	assert_false(s.owns[0].creating);
	assert_int_equal(s.owns[0].n, 2);
	assert_true(s.owns[0].inos[1] == 18446744073709551615ull);
	assert_true(s.owns[1].creating);
	assert_int_equal(s.owns[1].n, 1);
	assert_true(s.owns[2].creating);
	assert_int_equal(s.owns[2].n, 0);
	assert_int_equal(s.rot_step, ROT_COMPRESS);
	assert_true(s.rot_len == 99);
	state_free(&s);

	/* Reused for the next text; no cursor, no rotation. */
	state_text_begin(&t, "");
	state_text_rotate(&t, ROT_NONE, "a", 1);
	assert_int_equal(state_text_end(&t), 0);
	assert_int_equal(t.len, strlen("logwrite-state 2\nend\n"));
	assert_memory_equal(t.buf, "logwrite-state 2\nend\n", t.len);
	state_text_free(&t);
}

static void test_too_many_files(void **state)
{
	struct state_text t = { 0 };
	char err[STATE_ERR_MAX], base[32];
	struct lw_state s;

	state_text_begin(&t, NULL);
	for (unsigned i = 0; i <= STATE_FILES_MAX; i++) {
		snprintf(base, sizeof(base), "f%u", i);
		state_text_file(&t, base, i);
	}
	assert_int_equal(state_text_end(&t), 0);
	assert_int_equal(state_parse(t.buf, t.len, &s, err), -EINVAL);
	state_text_free(&t);
}

static void test_save_load(void **state)
{
	char dir[] = "/tmp/lw-state-XXXXXX";
	const char *op = NULL;
	char *text = NULL;
	size_t len = 0;
	int dfd;

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(state_load(dfd, "st", &text, &len), 0);
	assert_int_equal(state_save(dfd, "st", "one\n", 4, true, &op), 0);
	assert_int_equal(state_save(dfd, "st", "two!\n", 5, false, &op), 0);
	assert_int_equal(state_load(dfd, "st", &text, &len), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(text, "two!\n", 5);
	free(text);
	/* No temporary file is left behind. */
	assert_int_equal(faccessat(dfd, "st.tmp", F_OK, 0), -1);
	/* A directory in the way of the rename fails, and says where. */
	assert_int_equal(mkdirat(dfd, "d", 0700), 0);
	assert_int_equal(mkdirat(dfd, "d/x", 0700), 0);
	assert_true(state_save(dfd, "d", "x\n", 2, true, &op) < 0);
	assert_string_equal(op, "rename");
	assert_int_equal(faccessat(dfd, "d.tmp", F_OK, 0), -1);
	assert_int_equal(state_load(dfd, "d", &text, &len), -EINVAL);
	unlinkat(dfd, "d/x", AT_REMOVEDIR);
	unlinkat(dfd, "d", AT_REMOVEDIR);
	unlinkat(dfd, "st", 0);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_parks),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_too_many_files),
		cmocka_unit_test(test_save_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
