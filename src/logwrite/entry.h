/* One line of memlogd's v2 answer: an entry (loss markers included, they
 * are entries from source "memlogd") or the server's {"error":"..."}.
 * Every line is parsed by jansson, which decides what is valid JSON. */
#ifndef LOGWRITE_ENTRY_H
#define LOGWRITE_ENTRY_H

#include <stddef.h>

#include <jansson.h>

#include "cursortext.h"
#include "format.h"

#define ENTRY_ERR_MAX 256 /* room for a description of a bad line */

enum entry_kind {
	ENTRY_OK = 0,           /* an entry */
	ENTRY_SERVER_ERROR = 1, /* {"error":"..."}: its text is in e->msg */
};

/* What the fields of the last entry parsed point into. */
struct entry_parser {
	json_t *root;   /* jansson's tree, or NULL */
};

void entry_parser_init(struct entry_parser *p);
/* Releases what the last entry's fields point into. */
void entry_parser_free(struct entry_parser *p);

/* Parses one line (without its '\n'); e's fields stay valid until the
 * next call or entry_parser_free(). Returns ENTRY_OK, ENTRY_SERVER_ERROR,
 * -ENOMEM, or -EPROTO with a description in err (not JSON, a field
 * missing or of the wrong type, a malformed cursor). */
int entry_parse(struct entry_parser *p, const char *line, size_t len,
		struct lw_entry *e, char err[ENTRY_ERR_MAX]);

#endif
