/* Docker's files as memlog-runc reads them (docker.c): the data root from
 * the mounts Docker gives every container, and from config.v2.json the
 * name, a label, the image and the storage driver; whether an image
 * config carries a label. Paths are taken only when every part is plain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

#define CID "4485837dd712ced885398a9d1206aa3049a0be3da26b064444ebc5b8d24bc10b"

static json_t *json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("test JSON: %s", e.text);
	return j;
}

/* The root named by a spec with one mount dst <- src (type bind). */
static int root_of_mount(const char *dst, const char *src, char *out,
			 size_t cap)
{
	char text[1024];
	json_t *spec;
	int r;

	snprintf(text, sizeof(text), "{\"mounts\":[{\"destination\":\"/proc\","
		 "\"type\":\"proc\",\"source\":\"proc\"},{\"destination\":\"%s\","
		 "\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\"]}]}",
		 dst, src);
	spec = json(text);
	r = docker_root_from_spec(spec, out, cap);
	json_decref(spec);
	return r;
}

/* As dockerd writes them, whatever its --data-root. */
static void test_root_from_mounts(void **state)
{
	char root[256];
	(void)state;

	assert_int_equal(root_of_mount("/etc/hostname", "/var/lib/docker/"
				       "containers/" CID "/hostname", root,
				       sizeof(root)), 15);
	assert_string_equal(root, "/var/lib/docker");
	assert_int_equal(root_of_mount("/etc/hosts", "/srv/d r/containers/"
				       CID "/hosts", root, sizeof(root)), 8);
	assert_string_equal(root, "/srv/d r");
	assert_int_equal(root_of_mount("/etc/resolv.conf", "/tmp/x/data/"
				       "containers/" CID "/resolv.conf", root,
				       sizeof(root)), 11);
	assert_string_equal(root, "/tmp/x/data");
	/* Too long for out. */
	assert_int_equal(root_of_mount("/etc/hosts", "/var/lib/docker/"
				       "containers/" CID "/hosts", root, 15),
			 -ENAMETOOLONG);
}

/* Anything else names no root: other engines' layouts, other files,
 * other destinations, ids that are not Docker's, unclean paths. */
static void test_root_not_docker(void **state)
{
	char root[256];
	const char *bad[][2] = {
		{ "/etc/hostname", "/containers/" CID "/hostname" }, /* root "" */
		{ "/etc/hostname", "var/lib/docker/containers/" CID "/hostname" },
		{ "/etc/hostname", "/var/lib/docker/containers/" CID "/hosts" },
		{ "/etc/hosts", "/var/lib/docker/containers/" CID "/hostname" },
		{ "/etc/hostname2", "/var/lib/docker/containers/" CID "/hostname" },
		{ "/hostname", "/var/lib/docker/containers/" CID "/hostname" },
		{ "/etc/hostname", "/var/lib/docker/containers/" CID "x/hostname" },
		{ "/etc/hostname", "/var/lib/docker/containers/abc/hostname" },
		{ "/etc/hostname", "/var/lib/docker/containers/"
		  "4485837DD712CED885398A9D1206AA3049A0BE3DA26B064444EBC5B8D24BC10B"
		  "/hostname" },
		{ "/etc/hostname", "/var/lib/nerdctl/1935db59/containers/default/"
		  CID "/hostname" },
		{ "/etc/hostname", "/run/containers/storage/overlay-containers/"
		  CID "/userdata/hostname" },
		{ "/etc/hostname", "/a/../containers/" CID "/hostname" },
		{ "/etc/hostname", "/a/./containers/" CID "/hostname" },
		{ "/etc/hostname", "/a//containers/" CID "/hostname" },
		{ "/etc/hostname", "/a/mycontainers/" CID "/hostname" },
	};
	json_t *spec;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (root_of_mount(bad[i][0], bad[i][1], root, sizeof(root)) !=
		    -ENOENT)
			fail_msg("%s <- %s named the root %s", bad[i][0],
				 bad[i][1], root);
	/* Not a bind mount; no mounts; mounts of the wrong type. */
	spec = json("{\"mounts\":[{\"destination\":\"/etc/hostname\","
		    "\"type\":\"tmpfs\",\"source\":\"/d/containers/" CID
		    "/hostname\"}]}");
	assert_int_equal(docker_root_from_spec(spec, root, sizeof(root)),
			 -ENOENT);
	json_decref(spec);
	spec = json("{\"mounts\":{\"destination\":\"/etc/hostname\"}}");
	assert_int_equal(docker_root_from_spec(spec, root, sizeof(root)),
			 -ENOENT);
	json_decref(spec);
	spec = json("{\"mounts\":[5,{\"destination\":3,\"source\":\"/d\"}]}");
	assert_int_equal(docker_root_from_spec(spec, root, sizeof(root)),
			 -ENOENT);
	json_decref(spec);
	/* A NUL in the source. */
	spec = json_loads("{\"mounts\":[{\"destination\":\"/etc/hostname\","
			  "\"source\":\"/d\\u0000/containers/" CID "/hostname\"}]}",
			  JSON_ALLOW_NUL, NULL);
	assert_non_null(spec);
	assert_int_equal(docker_root_from_spec(spec, root, sizeof(root)),
			 -ENOENT);
	json_decref(spec);
}

/* A type-less mount (allowed by the spec) still counts. */
static void test_root_no_type(void **state)
{
	char root[256];
	json_t *spec = json("{\"mounts\":[{\"destination\":\"/etc/hosts\","
			    "\"source\":\"/d/containers/" CID "/hosts\"}]}");
	(void)state;

	assert_int_equal(docker_root_from_spec(spec, root, sizeof(root)), 2);
	assert_string_equal(root, "/d");
	json_decref(spec);
}

static const char ctr_json[] =
	"{\"ID\":\"" CID "\",\"Name\":\"/web-1\","
	"\"Config\":{\"Labels\":{\"memlog.pids-limit\":\"unlimited\",\"a\":\"b\"}},"
	"\"Image\":\"sha256:7c75d922117f1014a27115ee6fb404bbae458d890d50786da1c8a67395537573\","
	"\"Driver\":\"overlay2\",\"State\":{}}";

static void test_ctr_parse(void **state)
{
	struct docker_ctr c;
	(void)state;

	assert_int_equal(docker_ctr_parse(ctr_json, strlen(ctr_json),
					  "memlog.pids-limit", &c), 0);
	assert_int_equal(c.name_len, 5);
	assert_string_equal(c.name, "web-1");
	assert_true(c.has_label);
	assert_string_equal(c.label, "unlimited");
	assert_int_equal(c.label_len, 9);
	assert_string_equal(c.image, "7c75d922117f1014a27115ee6fb404bbae458d"
			    "890d50786da1c8a67395537573");
	assert_string_equal(c.driver, "overlay2");

	/* Another label key: not there. */
	assert_int_equal(docker_ctr_parse(ctr_json, strlen(ctr_json), "zz", &c),
			 0);
	assert_false(c.has_label);
	assert_int_equal(c.label_len, 0);
}

/* What is missing or unsafe is left empty; not JSON is -EINVAL. */
static void test_ctr_parse_partial(void **state)
{
	struct docker_ctr c;
	char big[300];
	const char *bad_paths =
		"{\"Name\":\"/\",\"Config\":{\"Labels\":{\"k\":5}},"
		"\"Image\":\"sha256:../../../etc\",\"Driver\":\"../x\"}";
	const char *nul = "{\"Name\":\"/a\\u0000b\",\"Driver\":\"v\\u0000fs\"}";
	(void)state;

	assert_int_equal(docker_ctr_parse(bad_paths, strlen(bad_paths), "k", &c),
			 0);
	assert_int_equal(c.name_len, -ENOENT);
	assert_false(c.has_label);
	assert_string_equal(c.image, "");
	assert_string_equal(c.driver, "");

	assert_int_equal(docker_ctr_parse(nul, strlen(nul), "k", &c), 0);
	assert_int_equal(c.name_len, 3);
	assert_string_equal(c.name, "a_b");
	assert_string_equal(c.driver, "");

	/* A long label value: cut, with its real length. */
	snprintf(big, sizeof(big), "{\"Config\":{\"Labels\":{\"k\":\"%0100d\"}},"
		 "\"Image\":\"7c75d922117f1014a27115ee6fb404bbae458d890d50786da1c"
		 "8a67395537573\"}", 0);
	assert_int_equal(docker_ctr_parse(big, strlen(big), "k", &c), 0);
	assert_true(c.has_label);
	assert_int_equal(c.label_len, 100);
	assert_int_equal(strlen(c.label), DOCKER_LABEL_MAX);
	assert_string_equal(c.image, ""); /* no "sha256:" */

	assert_int_equal(docker_ctr_parse("{", 1, "k", &c), -EINVAL);
	assert_int_equal(c.name_len, -ENOENT);
	assert_int_equal(docker_ctr_parse("[1]", 3, "k", &c), -EINVAL);
}

static void test_image_label(void **state)
{
	const char *with = "{\"architecture\":\"amd64\",\"config\":{\"Labels\":"
			   "{\"memlog.pids-limit\":\"-1\"}},\"container_config\":{}}";
	const char *without = "{\"config\":{\"Labels\":{\"x\":\"y\"}},"
			      "\"container_config\":{\"Labels\":"
			      "{\"memlog.pids-limit\":\"-1\"}}}";
	const char *none = "{\"config\":{\"Env\":[\"PATH=/bin\"],\"Labels\":null}}";
	(void)state;

	assert_int_equal(docker_image_has_label(with, strlen(with),
						"memlog.pids-limit"), 1);
	/* Only config's labels reach the container. */
	assert_int_equal(docker_image_has_label(without, strlen(without),
						"memlog.pids-limit"), 0);
	assert_int_equal(docker_image_has_label(none, strlen(none),
						"memlog.pids-limit"), 0);
	assert_int_equal(docker_image_has_label("x", 1, "k"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_from_mounts),
		cmocka_unit_test(test_root_not_docker),
		cmocka_unit_test(test_root_no_type),
		cmocka_unit_test(test_ctr_parse),
		cmocka_unit_test(test_ctr_parse_partial),
		cmocka_unit_test(test_image_label),
	};
	return cmocka_run_group_tests_name("test_runc_docker", tests, NULL, NULL);
}
