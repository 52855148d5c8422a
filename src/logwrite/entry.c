#include "entry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void entry_parser_init(struct entry_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void entry_parser_free(struct entry_parser *p)
{
	json_decref(p->root);
	free(p->scratch);
	memset(p, 0, sizeof(*p));
}

/* Reads a required string member. Returns 0 or -EPROTO. */
static int get_string(json_t *obj, const char *name, struct lw_field *f,
		      char err[ENTRY_ERR_MAX])
{
	json_t *v = json_object_get(obj, name);

	if (!v) {
		snprintf(err, ENTRY_ERR_MAX, "an entry without \"%s\"", name);
		return -EPROTO;
	}
	if (!json_is_string(v)) {
		snprintf(err, ENTRY_ERR_MAX, "\"%s\" is not a string", name);
		return -EPROTO;
	}
	f->ptr = json_string_value(v);
	f->len = json_string_length(v);
	return 0;
}

/* The general case, with jansson. */
static int parse_json(struct entry_parser *p, const char *line, size_t len,
		      struct lw_entry *e, char err[ENTRY_ERR_MAX])
{
	json_error_t jerr;
	json_t *j, *v;

	memset(e, 0, sizeof(*e));
	j = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	if (!j) {
		snprintf(err, ENTRY_ERR_MAX, "invalid JSON (%s at byte %d)",
			 jerr.text, jerr.position);
		return -EPROTO;
	}
	p->root = j;
	if (!json_is_object(j)) {
		snprintf(err, ENTRY_ERR_MAX, "a JSON value that is not an object");
		return -EPROTO;
	}
	v = json_object_get(j, "error");
	if (v) {
		if (json_is_string(v)) {
			e->msg.ptr = json_string_value(v);
			e->msg.len = json_string_length(v);
		} else {
			e->msg.ptr = "(an error of an unexpected type)";
			e->msg.len = strlen(e->msg.ptr);
		}
		return ENTRY_SERVER_ERROR;
	}
	if (get_string(j, "cursor", &e->cursor, err) < 0 ||
	    get_string(j, "time", &e->time, err) < 0 ||
	    get_string(j, "source", &e->source, err) < 0 ||
	    get_string(j, "msg", &e->msg, err) < 0)
		return -EPROTO;
	v = json_object_get(j, "partial");
	if (v && !json_is_boolean(v)) {
		snprintf(err, ENTRY_ERR_MAX, "\"partial\" is not a boolean");
		return -EPROTO;
	}
	e->partial = json_is_true(v);
	/* The daemon's own notices carry "marker":true, a reader's loss
	 * markers the reason as a string. */
	v = json_object_get(j, "marker");
	e->marker = json_is_string(v) || json_is_true(v);
	e->line.ptr = line;
	e->line.len = len;
	return ENTRY_OK;
}

int entry_parse(struct entry_parser *p, const char *line, size_t len,
		struct lw_entry *e, char err[ENTRY_ERR_MAX])
{
	int r;

	json_decref(p->root);
	p->root = NULL;
	r = parse_json(p, line, len, e, err);
	if (r != ENTRY_OK)
		return r;
	if (!cursor_text_ok(e->cursor.ptr, e->cursor.len)) {
		snprintf(err, ENTRY_ERR_MAX, "a malformed cursor");
		return -EPROTO;
	}
	return ENTRY_OK;
}
