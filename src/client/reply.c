#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int reply_parse(const char *text, size_t len, json_t **root,
		struct reply_field *error, char err[REPLY_ERR_MAX])
{
	json_error_t jerr;
	json_t *j, *e;

	j = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
	if (!j) {
		snprintf(err, REPLY_ERR_MAX, "invalid JSON (%s at byte %d)",
			 jerr.text, jerr.position);
		return -EPROTO;
	}
	if (!json_is_object(j)) {
		snprintf(err, REPLY_ERR_MAX, "a JSON value that is not an object");
		json_decref(j);
		return -EPROTO;
	}
	*root = j;
	e = json_object_get(j, "error");
	if (e) {
		if (json_is_string(e)) {
			error->ptr = json_string_value(e);
			error->len = json_string_length(e);
		} else {
			error->ptr = "(an error of an unexpected type)";
			error->len = strlen(error->ptr);
		}
		return REPLY_SERVER_ERROR;
	}
	return REPLY_OK;
}

/* Reads field name: 1 if present, 0 if absent and optional, -EPROTO. */
static int get_string(json_t *obj, const char *name, bool required,
		      struct reply_field *f, char err[REPLY_ERR_MAX])
{
	json_t *v = json_object_get(obj, name);

	f->ptr = NULL;
	f->len = 0;
	if (!v) {
		if (!required)
			return 0;
		snprintf(err, REPLY_ERR_MAX, "an entry without \"%s\"", name);
		return -EPROTO;
	}
	if (!json_is_string(v)) {
		snprintf(err, REPLY_ERR_MAX, "\"%s\" is not a string", name);
		return -EPROTO;
	}
	f->ptr = json_string_value(v);
	f->len = json_string_length(v);
	return 1;
}

int reply_entry_parse(const char *line, size_t len, json_t **root, struct reply_entry *e,
		char err[REPLY_ERR_MAX])
{
	struct reply_field error;
	json_t *j, *v;
	int r;

	memset(e, 0, sizeof(*e));
	r = reply_parse(line, len, root, &error, err);
	if (r == REPLY_SERVER_ERROR)
		e->msg = error;
	if (r != REPLY_OK)
		return r;
	j = *root;
	if (get_string(j, "time", true, &e->time, err) < 0 ||
	    get_string(j, "source", true, &e->source, err) < 0 ||
	    get_string(j, "msg", true, &e->msg, err) < 0 ||
	    get_string(j, "stream", false, &e->stream, err) < 0 ||
	    get_string(j, "cursor", false, &e->cursor, err) < 0)
		goto bad;

	v = json_object_get(j, "partial");
	if (v && !json_is_boolean(v)) {
		snprintf(err, REPLY_ERR_MAX, "\"partial\" is not a boolean");
		goto bad;
	}
	e->partial = json_is_true(v);
	/* The daemon's own notices carry "marker":true, a reader's own ones
	 * the reason as a string. */
	v = json_object_get(j, "marker");
	e->marker = json_is_string(v) || json_is_true(v);
	return REPLY_OK;
bad:
	json_decref(j);
	*root = NULL;
	return -EPROTO;
}
