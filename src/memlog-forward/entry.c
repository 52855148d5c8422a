#include "entry.h"

#include <errno.h>
#include <string.h>

static int64_t get_int(json_t *o, const char *key, int64_t min, int64_t max)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	return i >= min && i <= max ? (int64_t)i : -1;
}

static struct reply_field get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return (struct reply_field){ 0 };
	return (struct reply_field){ json_string_value(v), json_string_length(v) };
}

int entry_parse(const char *line, size_t len, json_t **root, struct fwd_entry *e,
		char err[REPLY_ERR_MAX])
{
	struct reply_entry re;
	json_t *j, *v, *attrs;
	int r;

	memset(e, 0, sizeof(*e));
	e->priority = e->facility = -1;
	e->missed = -1;
	r = reply_entry_parse(line, len, root, &re, err);
	e->msg = re.msg;
	if (r != REPLY_OK)
		return r;
	j = *root;
	e->time = re.time;
	e->source = re.source;
	e->stream = re.stream;
	e->cursor = re.cursor;
	e->partial = re.partial;
	v = json_object_get(j, "seq");
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		e->seq = (uint64_t)json_integer_value(v);
		e->has_seq = true;
	}
	e->priority = (int)get_int(j, "priority", 0, 7);
	e->facility = (int)get_int(j, "facility", 0, 23);
	attrs = json_object_get(j, "attrs");
	if (json_is_object(attrs)) {
		e->pid = get_str(attrs, "_pid");
		if (!e->pid.ptr)
			e->pid = get_str(attrs, "pid");
	}
	if (re.marker) {
		v = json_object_get(j, "marker");
		e->marker = json_is_string(v) ? get_str(j, "marker")
			: (struct reply_field){ "notice", 6 };
		e->missed = get_int(j, "missed", 0, INT64_MAX);
	}
	return REPLY_OK;
}
