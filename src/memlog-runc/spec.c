#include "spec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next number token in JSON text p[0..end) at or after *pos (strings
 * skipped); false at the end. The text is valid JSON. */
static bool next_number(const char *p, size_t end, size_t *pos,
			const char **tok, size_t *tok_len)
{
	size_t i = *pos;

	while (i < end) {
		char c = p[i];

		if (c == '"') {
			for (i++; i < end && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;

			while (i < end && strchr("+-.0123456789eE", p[i]) && p[i])
				i++;
			*tok = p + start;
			*tok_len = i - start;
			*pos = i;
			return true;
		} else {
			i++;
		}
	}
	*pos = i;
	return false;
}

/* Would jansson write every number of doc back as text has it? Its writer
 * changes what is not in its own form: 1e3 becomes 1000.0, 0.1
 * 0.10000000000000001, -0 0. Go reads some of those differently (1e3 does
 * not fit an integer field, 1000.0 neither, but 0.1 and its long form are
 * the same double only by luck of the digits), so such a file is left
 * alone. jansson keeps key order, so the numbers come in the same order. */
static bool numbers_round_trip(const char *text, size_t len, const json_t *doc)
{
	char *dumped = json_dumps(doc, JSON_COMPACT);
	size_t a = 0, b = 0, dlen;
	bool same = dumped != NULL;

	dlen = dumped ? strlen(dumped) : 0;
	while (same) {
		const char *ta, *tb;
		size_t la, lb;
		bool ha = next_number(text, len, &a, &ta, &la);
		bool hb = next_number(dumped, dlen, &b, &tb, &lb);

		if (!ha || !hb) {
			same = ha == hb;
			break;
		}
		same = la == lb && !memcmp(ta, tb, la);
	}
	free(dumped);
	return same;
}

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
	if (!numbers_round_trip(text, len, doc)) {
		snprintf(why, cap, "it has a number that would not be written "
			 "back as it is (such as 1e3, 0.1 or -0)");
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

enum pids_setting pids_setting_parse(const char *v, size_t len)
{
	static const char *const unlimited[] = { "unlimited", "-1", "0" };

	if (!v)
		return PIDS_SETTING_NONE;
	for (size_t i = 0; i < sizeof(unlimited) / sizeof(*unlimited); i++)
		if (len == strlen(unlimited[i]) && !memcmp(v, unlimited[i], len))
			return PIDS_SETTING_UNLIMITED;
	return PIDS_SETTING_INVALID;
}

const json_t *spec_annotation(const json_t *spec, const char *key)
{
	const json_t *v = json_object_get(json_object_get(spec, "annotations"),
					  key);

	return json_is_string(v) ? v : NULL;
}

int spec_add_hook(json_t *spec, const char *kind, const char *path,
		  const char *const *args, int timeout_s)
{
	json_t *hooks = json_object_get(spec, "hooks"), *list, *av, *h;

	if (hooks && !json_is_object(hooks))
		return -EINVAL;
	list = hooks ? json_object_get(hooks, kind) : NULL;
	if (list && !json_is_array(list))
		return -EINVAL;
	if (!(av = json_array()))
		return -ENOMEM;
	for (const char *const *a = args; *a; a++)
		if (json_array_append_new(av, json_string(*a)) < 0) {
			json_decref(av);
			return -ENOMEM;
		}
	h = json_pack("{s:s, s:o, s:i}", "path", path, "args", av,
		      "timeout", timeout_s);
	if (!h)
		return -ENOMEM;
	if (!hooks) {
		hooks = json_object();
		if (!hooks || json_object_set_new(spec, "hooks", hooks) < 0) {
			json_decref(h);
			return -ENOMEM;
		}
	}
	if (!list) {
		list = json_array();
		if (!list || json_object_set_new(hooks, kind, list) < 0) {
			json_decref(h);
			return -ENOMEM;
		}
	}
	return json_array_append_new(list, h) < 0 ? -ENOMEM : 0;
}

int spec_add_bind(json_t *spec, const char *source, const char *destination)
{
	json_t *mounts = json_object_get(spec, "mounts"), *m;

	if (mounts && !json_is_array(mounts))
		return -EINVAL;
	m = json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination", destination,
		      "type", "bind", "source", source, "options", "bind", "nosuid");
	if (!m)
		return -ENOMEM;
	if (!mounts) {
		mounts = json_array();
		if (!mounts || json_object_set_new(spec, "mounts", mounts) < 0) {
			json_decref(m);
			return -ENOMEM;
		}
	}
	return json_array_append_new(mounts, m) < 0 ? -ENOMEM : 0;
}
