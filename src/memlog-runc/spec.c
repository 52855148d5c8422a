#include "spec.h"

#include <errno.h>
#include <stdio.h>

json_t *spec_parse(const char *text, size_t len, char *why, size_t cap)
{
	json_error_t err;
	json_t *doc;

	if (len > SPEC_MAX_BYTES) {
		snprintf(why, cap, "it is larger than %u bytes", SPEC_MAX_BYTES);
		return NULL;
	}
	/* NULs inside strings are valid JSON and kept as they are. */
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!doc) {
		if (json_error_code(&err) == json_error_numeric_overflow)
			snprintf(why, cap, "it has a number beyond the 64-bit "
				 "integer range, which could not be written back "
				 "exactly (line %d: %s)", err.line, err.text);
		else
			snprintf(why, cap, "it is not JSON that can be edited "
				 "exactly (line %d: %s)", err.line, err.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		snprintf(why, cap, "it is not a JSON object");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

char *spec_dump(const json_t *spec)
{
	/* Key order is kept (jansson keeps insertion order). */
	return json_dumps(spec, JSON_COMPACT);
}

/* obj[key] as an object, created if absent or null. NULL if it is there
 * with another type. */
static json_t *object_member(json_t *obj, const char *key)
{
	json_t *m = json_object_get(obj, key);

	if (json_is_object(m))
		return m;
	if (m && !json_is_null(m))
		return NULL;
	m = json_object();
	if (!m || json_object_set_new(obj, key, m) < 0)
		return NULL;
	return m;
}

int spec_pids_default(json_t *spec, json_int_t limit, json_int_t *old)
{
	json_t *linux_, *res, *pids, *cur;
	const char *path[] = { "linux", "resources", "pids" };
	json_t *o = spec;

	if (old)
		*old = 0;
	/* Check the whole shape before creating anything, so that a spec
	 * this cannot change is not changed at all. */
	for (unsigned i = 0; i < 3 && o; i++) {
		json_t *m = json_object_get(o, path[i]);

		if (m && !json_is_null(m) && !json_is_object(m))
			return -EINVAL;
		o = json_is_object(m) ? m : NULL;
	}
	cur = o ? json_object_get(o, "limit") : NULL;
	if (cur && !json_is_null(cur) && !json_is_integer(cur))
		return -EINVAL;
	if (json_is_integer(cur) && json_integer_value(cur) != 0) {
		if (old)
			*old = json_integer_value(cur);
		return 0;
	}
	if (limit <= 0)
		return 0;
	linux_ = object_member(spec, "linux");
	res = linux_ ? object_member(linux_, "resources") : NULL;
	pids = res ? object_member(res, "pids") : NULL;
	if (!pids || json_object_set_new(pids, "limit", json_integer(limit)) < 0)
		return -ENOMEM;
	return 1;
}

int spec_terminal(const json_t *spec)
{
	const json_t *process = json_object_get(spec, "process");
	const json_t *t;

	if (!process || json_is_null(process))
		return 0;
	if (!json_is_object(process))
		return -EINVAL;
	t = json_object_get(process, "terminal");
	if (!t || json_is_null(t))
		return 0;
	if (!json_is_boolean(t))
		return -EINVAL;
	return json_is_true(t);
}
