#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int runc_conf_defaults(struct runc_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->socket = CONF_DEFAULT_SOCKET;
	c->runtime = CONF_DEFAULT_RUNTIME;
	c->docker_root = CONF_DEFAULT_DOCKER_ROOT;
	c->view_dir = CONF_DEFAULT_VIEW_DIR;
	c->pids_limit = CONF_DEFAULT_PIDS_LIMIT;
	c->id_length = CONF_DEFAULT_ID_LENGTH;
	c->capture = true;
	/* The names engines put in config.json, most specific first:
	 * a name given by hand (podman/nerdctl --annotation memlog.name=web),
	 * Kubernetes through containerd's CRI, Kubernetes through CRI-O,
	 * nerdctl. Docker's names are read from its own files instead. */
	c->name_annotations = json_pack(
		"[s, [s,s,s], [s,s,s], s]",
		"memlog.name",
		"io.kubernetes.cri.sandbox-namespace",
		"io.kubernetes.cri.sandbox-name",
		"io.kubernetes.cri.container-name",
		"io.kubernetes.pod.namespace",
		"io.kubernetes.pod.name",
		"io.kubernetes.container.name",
		"nerdctl/name");
	return c->name_annotations ? 0 : -ENOMEM;
}

void runc_conf_free(struct runc_conf *c)
{
	json_decref(c->name_annotations);
	json_decref(c->doc);
	c->name_annotations = c->doc = NULL;
}

static int conf_error(char *err, size_t cap, const char *fmt, const char *key)
{
	snprintf(err, cap, fmt, key);
	return -EINVAL;
}

static bool valid_rules(const json_t *rules)
{
	size_t i, j;
	const json_t *r, *k;

	if (!json_is_array(rules))
		return false;
	json_array_foreach(rules, i, r) {
		if (json_is_string(r))
			continue;
		if (!json_is_array(r) || json_array_size(r) == 0)
			return false;
		json_array_foreach(r, j, k)
			if (!json_is_string(k))
				return false;
	}
	return true;
}

/* A non-empty string without NUL. */
static bool valid_text(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

int runc_conf_parse(struct runc_conf *c, const char *text, size_t len,
		    char *err, size_t cap)
{
	json_error_t jerr;
	json_t *doc, *v;
	const char *key;
	struct runc_conf n = *c;

	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(err, cap, "not valid JSON: line %d: %s", jerr.line,
			 jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return conf_error(err, cap, "not a JSON object%s", "");
	}
	json_object_foreach(doc, key, v) {
		int r = 0;

		if (!strcmp(key, "socket") || !strcmp(key, "runtime") ||
		    !strcmp(key, "docker_root") || !strcmp(key, "view_dir") ||
		    !strcmp(key, "kmsgfs")) {
			if (!valid_text(v))
				r = conf_error(err, cap, "\"%s\" must be a non-empty "
					       "string", key);
			else if (!strcmp(key, "socket"))
				n.socket = json_string_value(v);
			else if (!strcmp(key, "runtime"))
				n.runtime = json_string_value(v);
			else if (!strcmp(key, "view_dir"))
				n.view_dir = json_string_value(v);
			else if (!strcmp(key, "kmsgfs"))
				n.kmsgfs = json_string_value(v);
			else
				n.docker_root = json_string_value(v);
		} else if (!strcmp(key, "pids_limit")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				r = conf_error(err, cap, "\"%s\" must be an integer, "
					       "0 (set none) or more", key);
			else
				n.pids_limit = json_integer_value(v);
		} else if (!strcmp(key, "id_length")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 64)
				r = conf_error(err, cap, "\"%s\" must be an integer "
					       "from 0 (the whole id) to 64", key);
			else
				n.id_length = (unsigned)json_integer_value(v);
		} else if (!strcmp(key, "capture")) {
			if (!json_is_boolean(v))
				r = conf_error(err, cap, "\"%s\" must be true or "
					       "false", key);
			else
				n.capture = json_is_true(v);
		} else if (!strcmp(key, "name_annotations")) {
			if (!valid_rules(v))
				r = conf_error(err, cap, "\"%s\" must be an array "
					       "of annotation keys (strings) and "
					       "arrays of keys", key);
			else
				n.name_annotations = v;
		} else {
			r = conf_error(err, cap, "unknown key \"%s\"", key);
		}
		if (r < 0) {
			json_decref(doc);
			return r;
		}
	}
	if (n.name_annotations != c->name_annotations) {
		json_incref(n.name_annotations);
		json_decref(c->name_annotations);
	}
	/* Strings of a file applied earlier may still be in use: keep every
	 * document until runc_conf_free(). */
	if (!n.doc)
		n.doc = json_array();
	if (!n.doc || json_array_append_new(n.doc, doc) < 0) {
		if (n.name_annotations != c->name_annotations)
			json_decref(n.name_annotations);
		if (!c->doc)
			json_decref(n.doc);
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	*c = n;
	return 0;
}

int runc_conf_load(struct runc_conf *c, const char *path, bool missing_ok,
		   char *err, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok)
			return 0;
		snprintf(err, cap, "cannot open it: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, cap, "it is not a regular file");
		return -EINVAL;
	}
	if ((uintmax_t)st.st_size > CONF_MAX_BYTES) {
		close(fd);
		snprintf(err, cap, "it is larger than %u bytes", CONF_MAX_BYTES);
		return -EFBIG;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	while (len <= (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, cap, "cannot read it: %s", strerror(-r));
			free(text);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = runc_conf_parse(c, text, len, err, cap);
	free(text);
	return r;
}
