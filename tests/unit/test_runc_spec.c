/* memlog-runc's edits of config.json (spec.c) and container names
 * (cname.c): the PID limit default only where the engine set none, every
 * other field kept, the per-container memlog.pids-limit setting, names from
 * annotations and ids (Docker's files: test_runc_docker.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cname.h"
#include "conf.h"
#include "spec.h"

static json_t *parse(const char *text)
{
	char why[256];
	json_t *j = spec_parse(text, strlen(text), why, sizeof(why));

	if (!j)
		fail_msg("spec_parse: %s", why);
	return j;
}

/* A spec as engines write it, with every kind of value. */
static const char full_spec[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":false,"
	"\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\",\"-c\",\"echo \\u00e9 \\\"x\\\"\"],"
	"\"env\":[\"PATH=/bin\",\"NUL=a\\u0000b\"],\"cwd\":\"/\",\"oomScoreAdj\":-999,"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1048576,\"soft\":1024}]},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"h\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":null}],"
	"\"annotations\":{\"a\":\"1\"},"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775807,\"swappiness\":0},"
	"\"cpu\":{\"shares\":1024,\"quota\":-1,\"period\":100000,\"realtimeRuntime\":0.5},"
	"\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}],\"maskedPaths\":[]}}";

/* Everything but linux.resources.pids is equal. */
static void assert_same_but_pids(const json_t *before, json_t *after)
{
	json_t *b = json_deep_copy(before), *a = json_deep_copy(after);
	json_t *res;

	res = json_object_get(json_object_get(b, "linux"), "resources");
	if (res)
		json_object_del(res, "pids");
	res = json_object_get(json_object_get(a, "linux"), "resources");
	if (res) {
		json_object_del(res, "pids");
		/* Objects the default created. */
		if (json_object_size(res) == 0 &&
		    !json_object_get(json_object_get(b, "linux"), "resources"))
			json_object_del(json_object_get(a, "linux"), "resources");
	}
	if (json_object_size(json_object_get(a, "linux")) == 0 &&
	    !json_object_get(b, "linux"))
		json_object_del(a, "linux");
	assert_true(json_equal(b, a));
	json_decref(a);
	json_decref(b);
}

static json_int_t pids_limit(const json_t *spec)
{
	json_t *l = json_object_get(json_object_get(json_object_get(
		json_object_get(spec, "linux"), "resources"), "pids"), "limit");

	assert_true(json_is_integer(l));
	return json_integer_value(l);
}

static void test_pids_absent_set(void **state)
{
	json_t *s = parse(full_spec), *orig = json_deep_copy(s);
	json_int_t old = 99;
	char *text;
	json_t *back;
	(void)state;

	assert_int_equal(spec_pids_default(s, 4096, &old), 1);
	assert_int_equal(old, 0);
	assert_int_equal(pids_limit(s), 4096);
	assert_same_but_pids(orig, s);
	/* What is written parses back to the same document, key order and
	 * all, and the NUL in the string survives. */
	text = spec_dump(s);
	assert_non_null(text);
	back = parse(text);
	assert_true(json_equal(back, s));
	assert_non_null(strstr(text, "\"ociVersion\":\"1.0.2-dev\",\"process\""));
	assert_non_null(strstr(text, "a\\u0000b"));
	assert_non_null(strstr(text, "9223372036854775807"));
	assert_non_null(strstr(text, "\"pids\":{\"limit\":4096}"));
	free(text);
	json_decref(back);
	json_decref(s);
	json_decref(orig);
}

static void test_pids_no_linux(void **state)
{
	json_t *s = parse("{\"ociVersion\":\"1.0.0\"}"), *orig = json_deep_copy(s);
	(void)state;

	assert_int_equal(spec_pids_default(s, 7, NULL), 1);
	assert_int_equal(pids_limit(s), 7);
	assert_same_but_pids(orig, s);
	json_decref(s);
	json_decref(orig);

	s = parse("{\"linux\":{\"resources\":null}}");
	assert_int_equal(spec_pids_default(s, 7, NULL), 1);
	assert_int_equal(pids_limit(s), 7);
	json_decref(s);
}

static void test_pids_zero_is_unset(void **state)
{
	json_t *s = parse("{\"linux\":{\"resources\":{\"pids\":{\"limit\":0},\"x\":1}}}");
	(void)state;

	assert_int_equal(spec_pids_default(s, 100, NULL), 1);
	assert_int_equal(pids_limit(s), 100);
	json_decref(s);
}

static void test_pids_engine_set_kept(void **state)
{
	const char *texts[] = {
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":-1}}}}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":50}}}}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":100000}}}}",
	};
	json_int_t want[] = { -1, 50, 100000 };
	(void)state;

	for (unsigned i = 0; i < 3; i++) {
		json_t *s = parse(texts[i]), *orig = json_deep_copy(s);
		json_int_t old = 0;

		assert_int_equal(spec_pids_default(s, 4096, &old), 0);
		assert_int_equal(old, want[i]);
		assert_true(json_equal(s, orig));
		json_decref(s);
		json_decref(orig);
	}
}

static void test_pids_bad_shape_untouched(void **state)
{
	const char *texts[] = {
		"{\"linux\":[]}",
		"{\"linux\":{\"resources\":1}}",
		"{\"linux\":{\"resources\":{\"pids\":\"x\"}}}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":1.5}}}}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":\"1\"}}}}",
	};
	(void)state;

	for (unsigned i = 0; i < 5; i++) {
		json_t *s = parse(texts[i]), *orig = json_deep_copy(s);

		assert_int_equal(spec_pids_default(s, 4096, NULL), -EINVAL);
		assert_true(json_equal(s, orig));
		json_decref(s);
		json_decref(orig);
	}
}

static void test_pids_off(void **state)
{
	json_t *s = parse("{}");
	(void)state;

	assert_int_equal(spec_pids_default(s, 0, NULL), 0);
	assert_int_equal(json_object_size(s), 0);
	json_decref(s);
}

/* Documents jansson cannot hold exactly are refused, never rewritten. */
static void test_parse_refuses(void **state)
{
	const char *bad[] = {
		"{\"linux\":{\"resources\":{\"cpu\":{\"shares\":18446744073709551615}}}}",
		"{\"a\":1,\"a\":2}",
		"{\"a\":\"\xff\"}",
		"[1]",
		"{} x",
		"",
	};
	char why[256];
	(void)state;

	for (unsigned i = 0; i < 6; i++) {
		why[0] = '\0';
		assert_null(spec_parse(bad[i], strlen(bad[i]), why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	assert_null(spec_parse(bad[0], strlen(bad[0]), why, sizeof(why)));
	assert_non_null(strstr(why, "64-bit"));
}

/* Numbers jansson would write back differently (1e3 as 1000.0, 0.1 as
 * 0.10000000000000001, -0 as 0) leave the file alone; numbers it writes
 * as they are (strings with digits and escapes around them too) do not. */
static void test_parse_numbers_exact(void **state)
{
	const char *changed[] = {
		"{\"a\":1e3}",
		"{\"a\":1E2}",
		"{\"a\":-0}",
		"{\"a\":0.1}",
		"{\"a\":1.5e-7}",
		"{\"s\":\"1e3 \\\" 2\",\"a\":[1, 2.50]}",
		"{\"linux\":{\"resources\":{\"pids\":{\"limit\":0}}},\"x\":1.0e0}",
	};
	const char *kept[] = {
		"{\"a\":0.5,\"b\":-1,\"c\":1.0,\"d\":-0.0,\"e\":[1, 2.25]}",
		"{\"s\":\"1e3 \\\" -0 \\\\\",\"n\":-9223372036854775808}",
		"{\"k\\\"0.1\":7}",
	};
	char why[256];
	(void)state;

	for (unsigned i = 0; i < sizeof(changed) / sizeof(*changed); i++) {
		why[0] = '\0';
		if (spec_parse(changed[i], strlen(changed[i]), why, sizeof(why)))
			fail_msg("taken, would change a number: %s", changed[i]);
		assert_non_null(strstr(why, "number"));
	}
	for (unsigned i = 0; i < sizeof(kept) / sizeof(*kept); i++) {
		json_t *j = spec_parse(kept[i], strlen(kept[i]), why, sizeof(why));

		if (!j)
			fail_msg("refused %s: %s", kept[i], why);
		json_decref(j);
	}
}

static void test_terminal(void **state)
{
	struct { const char *text; int want; } cases[] = {
		{ "{}", 0 },
		{ "{\"process\":{}}", 0 },
		{ "{\"process\":{\"terminal\":false}}", 0 },
		{ "{\"process\":{\"terminal\":true}}", 1 },
		{ "{\"process\":{\"terminal\":1}}", -EINVAL },
		{ "{\"process\":[]}", -EINVAL },
	};
	(void)state;

	for (unsigned i = 0; i < 6; i++) {
		json_t *s = parse(cases[i].text);

		assert_int_equal(spec_terminal(s), cases[i].want);
		json_decref(s);
	}
}

static int name_of(const char *spec_text, char out[CNAME_MAX + 1])
{
	struct runc_conf c;
	json_t *s = parse(spec_text);
	int n;

	assert_int_equal(runc_conf_defaults(&c), 0);
	n = cname_from_annotations(s, c.name_annotations, out);
	runc_conf_free(&c);
	json_decref(s);
	return n;
}

/* memlog.pids-limit: "unlimited", "-1" and "0" lift the default; anything
 * else is invalid (and the default applies); only a string annotation. */
static void test_pids_setting(void **state)
{
	const char *ok[] = { "unlimited", "-1", "0" };
	const char *bad[] = { "", "1", "-2", "Unlimited", "unlimited ", "none",
			      "00", "-1x" };
	json_t *spec;
	(void)state;

	assert_int_equal(pids_setting_parse(NULL, 0), PIDS_SETTING_NONE);
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		assert_int_equal(pids_setting_parse(ok[i], strlen(ok[i])),
				 PIDS_SETTING_UNLIMITED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(pids_setting_parse(bad[i], strlen(bad[i])),
				 PIDS_SETTING_INVALID);
	/* A NUL inside is not the same value. */
	assert_int_equal(pids_setting_parse("-1\0", 3), PIDS_SETTING_INVALID);

	spec = json_loads("{\"annotations\":{\"memlog.pids-limit\":\"-1\","
			  "\"n\":5}}", 0, NULL);
	assert_non_null(spec);
	assert_string_equal(json_string_value(spec_annotation(spec,
			    SPEC_PIDS_KEY)), "-1");
	assert_null(spec_annotation(spec, "n"));
	assert_null(spec_annotation(spec, "absent"));
	json_decref(spec);
	spec = json_loads("{\"annotations\":[\"memlog.pids-limit\"]}", 0, NULL);
	assert_null(spec_annotation(spec, SPEC_PIDS_KEY));
	json_decref(spec);
}

static void test_name_annotations(void **state)
{
	char name[CNAME_MAX + 1];
	(void)state;

	assert_int_equal(name_of("{\"annotations\":{"
		"\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.container-name\":\"nginx\","
		"\"io.kubernetes.cri.sandbox-name\":\"web-7d9f\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"default\"}}", name),
		(int)strlen("default/web-7d9f/nginx"));
	assert_string_equal(name, "default/web-7d9f/nginx");
	/* A sandbox (pause) container has no container name: not this rule. */
	assert_int_equal(name_of("{\"annotations\":{"
		"\"io.kubernetes.cri.sandbox-name\":\"web\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"default\"}}", name),
		-ENOENT);
	assert_int_equal(name_of("{\"annotations\":{\"nerdctl/name\":\"db\"}}",
				 name), 2);
	assert_string_equal(name, "db");
	/* memlog.name comes first; an empty value does not count. */
	assert_int_equal(name_of("{\"annotations\":{\"nerdctl/name\":\"db\","
				 "\"memlog.name\":\"mine\"}}", name), 4);
	assert_string_equal(name, "mine");
	assert_int_equal(name_of("{\"annotations\":{\"nerdctl/name\":\"db\","
				 "\"memlog.name\":\"\"}}", name), 2);
	assert_int_equal(name_of("{\"annotations\":{\"memlog.name\":\"a\\nb\\u0000c\"}}",
				 name), 5);
	assert_string_equal(name, "a_b_c");
	assert_int_equal(name_of("{}", name), -ENOENT);
	assert_int_equal(name_of("{\"annotations\":[]}", name), -ENOENT);
	assert_int_equal(name_of("{\"annotations\":{\"nerdctl/name\":5}}", name),
			 -ENOENT);
}

static void test_name_long_cut(void **state)
{
	char name[CNAME_MAX + 1];
	char big[CNAME_MAX + 10];
	char text[2 * CNAME_MAX];
	(void)state;

	/* 'a' then 2-byte characters: the cut falls inside one. */
	big[0] = 'a';
	for (size_t i = 1; i + 1 < sizeof(big); i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"annotations\":{\"memlog.name\":\"%s\"}}",
		 big);
	int n = name_of(text, name);
	assert_int_equal(n, CNAME_MAX - 1);
	assert_int_equal((unsigned char)name[n - 1], 0xa9);
}

static void test_name_id(void **state)
{
	char name[CNAME_MAX + 1];
	const char *id64 =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	(void)state;

	assert_int_equal(cname_from_id(id64, 12, name), 12);
	assert_string_equal(name, "0123456789ab");
	assert_int_equal(cname_from_id(id64, 0, name), 64);
	assert_int_equal(cname_from_id("my-long-container-name", 12, name), 22);
	assert_int_equal(cname_from_id("", 12, name), -ENOENT);

	assert_true(cname_id_is_path_safe(id64));
	assert_false(cname_id_is_path_safe("../x"));
	assert_false(cname_id_is_path_safe(".."));
	assert_false(cname_id_is_path_safe("a/b"));
	assert_false(cname_id_is_path_safe(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pids_absent_set),
		cmocka_unit_test(test_pids_no_linux),
		cmocka_unit_test(test_pids_zero_is_unset),
		cmocka_unit_test(test_pids_engine_set_kept),
		cmocka_unit_test(test_pids_bad_shape_untouched),
		cmocka_unit_test(test_pids_off),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_parse_numbers_exact),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_pids_setting),
		cmocka_unit_test(test_name_annotations),
		cmocka_unit_test(test_name_long_cut),
		cmocka_unit_test(test_name_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
