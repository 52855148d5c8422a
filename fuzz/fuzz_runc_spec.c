/* libFuzzer target: memlog-runc's config.json handling (spec.c) and
 * container names (cname.c). For any input that parses: the PID default
 * either changes nothing or sets exactly linux.resources.pids.limit, and
 * the written text parses back to the same document; names are non-empty,
 * at most CNAME_MAX bytes, without control characters; a Docker data root
 * found in the mounts is a clean absolute path. The input is also tried
 * as Docker's config.v2.json and image config (docker.c), as a
 * memlog.pids-limit value, as the name and reason of a notice (one line,
 * no control characters), and as memlog-runc's config file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-runc/spec.c"
#include "../src/memlog-runc/cname.c"
#include "../src/memlog-runc/docker.c"
#include "../src/memlog-runc/notice.c"
#include "../src/memlog-runc/conf.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name, int n)
{
	if (n < 0) {
		CHECK(n == -ENOENT);
		return;
	}
	CHECK(n > 0);
	CHECK((size_t)n <= CNAME_MAX && strlen(name) == (size_t)n);
	for (int i = 0; i < n; i++)
		CHECK((unsigned char)name[i] >= 0x20 && name[i] != 0x7f);
}

/* b_parent[key] is an empty object the edit created where a_parent had
 * none (absent or another value): put back what was there. */
static void undo_created(json_t *a_parent, json_t *b_parent, const char *key)
{
	json_t *av = json_object_get(a_parent, key);
	json_t *bv = json_object_get(b_parent, key);

	if (!json_is_object(bv) || json_object_size(bv) != 0 || json_is_object(av))
		return;
	if (av)
		json_object_set(b_parent, key, av);
	else
		json_object_del(b_parent, key);
}

static void strip_pids(json_t *doc)
{
	json_t *res = json_object_get(json_object_get(doc, "linux"), "resources");
	if (json_is_object(res))
		json_object_del(res, "pids");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char why[256], name[CNAME_MAX + 1];
	struct runc_conf conf;
	json_t *spec, *orig;
	int r, n;

	if (size > 65536)
		return 0;
	CHECK(runc_conf_defaults(&conf) == 0);
	spec = spec_parse(text, size, why, sizeof(why));
	if (spec) {
		json_int_t old = -7;

		orig = json_deep_copy(spec);
		CHECK(orig);
		r = spec_pids_default(spec, 4096, &old);
		CHECK(r == 0 || r == 1 || r == -EINVAL);
		if (r == 1) {
			char *dumped = spec_dump(spec);
			json_t *back, *a, *b;

			CHECK(old == 0);
			CHECK(json_integer_value(json_object_get(json_object_get(
				json_object_get(json_object_get(spec, "linux"),
						"resources"), "pids"), "limit")) == 4096);
			CHECK(dumped);
			back = spec_parse(dumped, strlen(dumped), why, sizeof(why));
			CHECK(back && json_equal(back, spec));
			/* Nothing else changed (objects it created aside). */
			a = json_deep_copy(orig);
			b = json_deep_copy(spec);
			strip_pids(a);
			strip_pids(b);
			undo_created(json_object_get(a, "linux"),
				     json_object_get(b, "linux"), "resources");
			undo_created(a, b, "linux");
			CHECK(json_equal(a, b));
			json_decref(a);
			json_decref(b);
			json_decref(back);
			free(dumped);
		} else {
			CHECK(json_equal(spec, orig));
		}
		r = spec_terminal(spec);
		CHECK(r == 0 || r == 1 || r == -EINVAL);
		n = cname_from_annotations(spec, conf.name_annotations, name);
		check_name(name, n);
		{
			char root[4096];

			n = docker_root_from_spec(spec, root, sizeof(root));
			CHECK(n == -ENOENT || (n > 0 && root[0] == '/' &&
					       strlen(root) == (size_t)n &&
					       !strstr(root, "/../") &&
					       !strstr(root, "//")));
		}
		json_decref(orig);
		json_decref(spec);
	}
	{
		struct docker_ctr c;

		r = docker_ctr_parse(text, size, SPEC_PIDS_KEY, &c);
		CHECK(r == 0 || r == -EINVAL);
		check_name(c.name, c.name_len);
		CHECK(strlen(c.label) <= DOCKER_LABEL_MAX);
		CHECK(c.image[0] == '\0' || strlen(c.image) == 64);
		CHECK(!strchr(c.driver, '/') && c.driver[0] != '.');
		r = docker_image_has_label(text, size, SPEC_PIDS_KEY);
		CHECK(r == 0 || r == 1 || r == -EINVAL);
	}
	r = (int)pids_setting_parse(text, size);
	CHECK(r == PIDS_SETTING_UNLIMITED ? size <= 9 : r == PIDS_SETTING_INVALID);

	/* As an id (up to the first NUL). */
	char *id = strndup(text, size);
	CHECK(id);
	n = cname_from_id(id, 12, name);
	if (id[0]) {
		CHECK(n > 0);
		check_name(name, n);
	} else {
		CHECK(n == -ENOENT);
	}
	/* As a notice's name and reason: one line. */
	{
		char line[NOTICE_LINE_MAX];
		size_t len = notice_format(line, sizeof(line), id, "c1",
					   size & 1 ? "stderr" : NULL, id);

		CHECK(len >= 1 && len < sizeof(line) && strlen(line) == len);
		CHECK(line[len - 1] == '\n');
		for (size_t i = 0; i + 1 < len; i++)
			CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
	}
	free(id);

	/* As a config file: applied whole or not at all. */
	{
		char err[256];
		const char *sock = conf.socket;

		r = runc_conf_parse(&conf, text, size, err, sizeof(err));
		CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
		if (r < 0)
			CHECK(conf.socket == sock);
		CHECK(conf.id_length <= 64 && conf.pids_limit >= 0);
	}
	runc_conf_free(&conf);
	return 0;
}
