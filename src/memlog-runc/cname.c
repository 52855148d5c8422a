#include "cname.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

size_t cname_clean(const char *in, size_t len, char out[CNAME_MAX + 1])
{
	size_t n = len;

	if (n > CNAME_MAX) {
		n = CNAME_MAX;
		/* Back up over continuation bytes to the start of the
		 * character that would be cut, and drop it whole. */
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = c < 0x20 || c == 0x7f ? '_' : (char)c;
	}
	out[n] = '\0';
	return n;
}

/* The annotation's value, or NULL. */
static const json_t *annotation(const json_t *annotations, const json_t *key)
{
	const json_t *v;

	if (!json_is_string(key))
		return NULL;
	v = json_object_getn(annotations, json_string_value(key),
			     json_string_length(key));
	return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

int cname_from_annotations(const json_t *spec, const json_t *rules,
			   char out[CNAME_MAX + 1])
{
	const json_t *annotations = json_object_get(spec, "annotations");
	size_t i;
	const json_t *rule;

	if (!json_is_object(annotations) || !json_is_array(rules))
		return -ENOENT;
	json_array_foreach(rules, i, rule) {
		/* Joined values, cut once they pass the limit. */
		char joined[CNAME_MAX + 2];
		size_t n = 0, j;
		const json_t *key;
		bool all = true;

		if (json_is_string(rule)) {
			const json_t *v = annotation(annotations, rule);

			if (v)
				return (int)cname_clean(json_string_value(v),
							json_string_length(v), out);
			continue;
		}
		if (!json_is_array(rule) || json_array_size(rule) == 0)
			continue;
		json_array_foreach(rule, j, key) {
			const json_t *v = annotation(annotations, key);
			size_t vl, room;

			if (!v) {
				all = false;
				break;
			}
			if (j > 0 && n < sizeof(joined))
				joined[n++] = '/';
			vl = json_string_length(v);
			room = sizeof(joined) - n;
			vl = vl < room ? vl : room;
			memcpy(joined + n, json_string_value(v), vl);
			n += vl;
		}
		if (all)
			return (int)cname_clean(joined, n, out);
	}
	return -ENOENT;
}

static bool is_generated_id(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return i == 64;
}

int cname_from_id(const char *id, unsigned id_length, char out[CNAME_MAX + 1])
{
	size_t n = strlen(id);

	if (n == 0)
		return -ENOENT;
	if (id_length > 0 && is_generated_id(id) && n > id_length)
		n = id_length;
	return (int)cname_clean(id, n, out);
}

int cname_id_is_path_safe(const char *id)
{
	return id[0] != '\0' && id[0] != '.' && !strchr(id, '/');
}
