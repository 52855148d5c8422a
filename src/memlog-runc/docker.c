#include "docker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The files Docker bind-mounts into every container from its directory
 * ROOT/containers/CID (daemon/container_operations_unix.go). */
static const char *const docker_files[] = { "hostname", "hosts", "resolv.conf" };

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* An absolute path without empty, "." or ".." components. */
static bool clean_absolute(const char *p, size_t len)
{
	size_t i = 0;

	if (len == 0 || p[0] != '/')
		return false;
	while (i < len) {
		size_t start = ++i, n;

		while (i < len && p[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
	}
	return true;
}

/* ROOT's length if source is ROOT/containers/CID/file, else -1. */
static long root_of(const char *src, size_t len, const char *file)
{
	static const char mid[] = "/containers/";
	size_t fl = strlen(file), ml = sizeof(mid) - 1;
	size_t tail = ml + 64 + 1 + fl; /* /containers/CID/file */

	if (len <= tail || memcmp(src + len - fl, file, fl) != 0 ||
	    src[len - fl - 1] != '/' || !is_hex64(src + len - fl - 65, 64) ||
	    memcmp(src + len - tail, mid, ml) != 0)
		return -1;
	return (long)(len - tail);
}

int docker_root_from_spec(const json_t *spec, char *out, size_t cap)
{
	const json_t *mounts = json_object_get(spec, "mounts"), *m;
	size_t i;

	json_array_foreach(mounts, i, m) {
		const json_t *dst = json_object_get(m, "destination");
		const json_t *src = json_object_get(m, "source");
		const json_t *type = json_object_get(m, "type");
		const char *s;
		size_t sl;

		if (!json_is_string(dst) || !json_is_string(src) ||
		    (type && !(json_is_string(type) &&
			       !strcmp(json_string_value(type), "bind"))))
			continue;
		s = json_string_value(src);
		sl = json_string_length(src);
		if (strlen(s) != sl || !clean_absolute(s, sl))
			continue;
		for (size_t f = 0; f < sizeof(docker_files) / sizeof(*docker_files); f++) {
			char want[32];
			long rl;

			snprintf(want, sizeof(want), "/etc/%s", docker_files[f]);
			if (strcmp(json_string_value(dst), want) != 0)
				continue;
			rl = root_of(s, sl, docker_files[f]);
			if (rl <= 0)
				continue;
			if ((size_t)rl >= cap)
				return -ENAMETOOLONG;
			memcpy(out, s, (size_t)rl);
			out[rl] = '\0';
			return (int)rl;
		}
	}
	return -ENOENT;
}

int docker_ctr_parse(const char *text, size_t len, const char *label_key,
		     struct docker_ctr *out)
{
	/* NULs in strings are valid JSON: a name keeps them (as '_'). */
	json_t *doc = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	const json_t *name, *label, *image, *driver;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	out->name_len = -ENOENT;
	if (!json_is_object(doc))
		goto out;
	r = 0;
	name = json_object_get(doc, "Name");
	if (json_is_string(name)) {
		const char *s = json_string_value(name);
		size_t n = json_string_length(name);

		if (n > 0 && s[0] == '/') {
			s++;
			n--;
		}
		if (n > 0)
			out->name_len = (int)cname_clean(s, n, out->name);
	}
	label = json_object_get(json_object_get(json_object_get(doc, "Config"),
						"Labels"), label_key);
	if (json_is_string(label)) {
		size_t n = json_string_length(label);

		out->has_label = true;
		out->label_len = n;
		n = n < DOCKER_LABEL_MAX ? n : DOCKER_LABEL_MAX;
		memcpy(out->label, json_string_value(label), n);
		out->label[n] = '\0';
	}
	image = json_object_get(doc, "Image");
	if (json_is_string(image) && json_string_length(image) == 7 + 64 &&
	    !strncmp(json_string_value(image), "sha256:", 7) &&
	    is_hex64(json_string_value(image) + 7, 64))
		memcpy(out->image, json_string_value(image) + 7, 65);
	driver = json_object_get(doc, "Driver");
	if (json_is_string(driver) &&
	    json_string_length(driver) < sizeof(out->driver) &&
	    strlen(json_string_value(driver)) == json_string_length(driver) &&
	    cname_id_is_path_safe(json_string_value(driver)))
		memcpy(out->driver, json_string_value(driver),
		       json_string_length(driver) + 1);
out:
	json_decref(doc);
	return r;
}

int docker_image_has_label(const char *text, size_t len, const char *key)
{
	json_t *doc = json_loadb(text, len, 0, NULL);
	const json_t *labels;
	int r;

	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	labels = json_object_get(json_object_get(doc, "config"), "Labels");
	r = json_object_get(labels, key) != NULL;
	json_decref(doc);
	return r;
}
