#include "entry.h"
#include "reply.h"

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
	memset(p, 0, sizeof(*p));
}

/* One line through the clients' shared reader; logwrite also needs the
 * cursor, and keeps the line itself for --format json. */
static int parse_json(struct entry_parser *p, const char *line, size_t len,
		      struct lw_entry *e, char err[ENTRY_ERR_MAX])
{
	struct reply_entry re;
	int r = reply_entry_parse(line, len, &p->root, &re, err);

	memset(e, 0, sizeof(*e));
	if (r == REPLY_SERVER_ERROR) {
		e->msg = (struct lw_field){ re.msg.ptr, re.msg.len };
		return ENTRY_SERVER_ERROR;
	}
	if (r != REPLY_OK)
		return r;
	if (!re.cursor.ptr) {
		snprintf(err, ENTRY_ERR_MAX, "an entry without \"cursor\"");
		return -EPROTO;
	}
	e->cursor = (struct lw_field){ re.cursor.ptr, re.cursor.len };
	e->time = (struct lw_field){ re.time.ptr, re.time.len };
	e->source = (struct lw_field){ re.source.ptr, re.source.len };
	if (re.stream.ptr)
		e->stream = (struct lw_field){ re.stream.ptr, re.stream.len };
	e->msg = (struct lw_field){ re.msg.ptr, re.msg.len };
	e->partial = re.partial;
	e->marker = re.marker;
	e->line = (struct lw_field){ line, len };
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
	if (!cursor_text_valid(e->cursor.ptr, e->cursor.len)) {
		snprintf(err, ENTRY_ERR_MAX, "a malformed cursor");
		return -EPROTO;
	}
	return ENTRY_OK;
}
