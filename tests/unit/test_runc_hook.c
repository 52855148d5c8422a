/* memlog-runc's hook: the OCI state runc passes on stdin, and the hook
 * and bind mount it adds to config.json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "spec.h"

static void test_state(void **state)
{
	static const char st[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"web\","
		"\"status\":\"creating\",\"pid\":4242,\"bundle\":\"/b\"}";
	char id[16];
	int32_t pid;
	const char *why = NULL;

	assert_int_equal(hook_state_parse(st, sizeof(st) - 1, id, sizeof(id),
					  &pid, &why), 0);
	assert_string_equal(id, "web");
	assert_int_equal(pid, 4242);
	const char *bad[] = { "[]", "{\"id\":\"web\"}", "{\"id\":\"\",\"pid\":1}",
			      "{\"id\":\"web\",\"pid\":0}", "{\"id\":\"web\",\"pid\":\"1\"}",
			      "{\"id\":\"0123456789abcdef\",\"pid\":1}", "nope",
			      "{\"id\":\"a\",\"id\":\"b\",\"pid\":1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(hook_state_parse(bad[i], strlen(bad[i]), id,
						  sizeof(id), &pid, &why), -EINVAL);
		assert_non_null(why);
	}
}

#define SPEC1 "{\"hooks\":{\"prestart\":[]},\"mounts\":[]}"
#define SPEC2 "{\"hooks\":[],\"mounts\":{}}"

static void test_spec_edits(void **state)
{
	char why[128];
	json_t *s = spec_parse(SPEC1, strlen(SPEC1),
			       why, sizeof(why));
	const char *args[] = { "memlog-runc", "--memlog-hook", "web", NULL };

	assert_non_null(s);
	assert_int_equal(spec_add_hook(s, "createRuntime", "/x", args, 10), 0);
	assert_int_equal(spec_add_hook(s, "createRuntime", "/y", args, 10), 0);
	assert_int_equal(spec_add_bind(s, "/run/v.sock", "/var/run/memlogdq.sock"), 0);
	char *text = spec_dump(s);
	assert_string_equal(text, "{\"hooks\":{\"prestart\":[],\"createRuntime\":["
			    "{\"path\":\"/x\",\"args\":[\"memlog-runc\",\"--memlog-hook\","
			    "\"web\"],\"timeout\":10},{\"path\":\"/y\",\"args\":["
			    "\"memlog-runc\",\"--memlog-hook\",\"web\"],\"timeout\":10}]},"
			    "\"mounts\":[{\"destination\":\"/var/run/memlogdq.sock\","
			    "\"type\":\"bind\",\"source\":\"/run/v.sock\",\"options\":"
			    "[\"bind\",\"nosuid\"]}]}");
	free(text);
	json_decref(s);
	s = spec_parse(SPEC2, strlen(SPEC2), why, sizeof(why));
	assert_int_equal(spec_add_hook(s, "createRuntime", "/x", args, 10), -EINVAL);
	assert_int_equal(spec_add_bind(s, "/a", "/b"), -EINVAL);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_spec_edits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
