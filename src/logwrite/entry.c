#include "entry.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void entry_builder_init(struct entry_builder *b)
{
	memset(b, 0, sizeof(*b));
	timecache_init(&b->tc);
}

void entry_builder_free(struct entry_builder *b)
{
	free(b->line);
	memset(b, 0, sizeof(*b));
}

static int room(struct entry_builder *b, size_t need)
{
	if (b->cap >= need)
		return 0;
	char *n = realloc(b->line, need);
	if (!n)
		return -ENOMEM;
	b->line = n;
	b->cap = need;
	return 0;
}

static int marker(struct entry_builder *b, enum lw_format f,
		  const struct binstream *bs, const struct binrec *r,
		  struct lw_entry *e)
{
	char reason[256];
	size_t tl = MIN(r->msg_len, sizeof(b->text) - 1);

	memcpy(reason, r->reason, r->reason_len);
	reason[r->reason_len] = '\0';
	memcpy(b->text, r->msg, tl);
	b->text[tl] = '\0';
	e->has_cur = true;
	e->cur = (struct cursor){ bs->instance, r->last };
	e->source = (struct lw_field){ "memlogd", 7 };
	e->stream = (struct lw_field){ "none", 4 };
	e->msg = (struct lw_field){ b->text, tl };
	e->marker = true;
	if (f == LW_FORMAT_JSON) {
		if (room(b, RECORD_MARKER_BOUND) < 0)
			return -ENOMEM;
		e->line = (struct lw_field){ b->line,
			record_marker_v2(b->line, r->time_ns, bs->instance,
					 reason, r->missed, r->first, r->last,
					 b->text) - 1 }; /* without '\n' */
	}
	if (f == LW_FORMAT_TEXT)
		e->time = (struct lw_field){ b->time,
			timecache_format(&b->tc, b->time, r->time_ns) };
	return ENTRY_OK;
}

int entry_from_record(struct entry_builder *b, enum lw_format f,
		      const struct binstream *bs,
		      const struct binstream_item *it, struct lw_entry *e)
{
	const struct binrec *r = &it->rec;

	memset(e, 0, sizeof(*e));
	if (it->type == BINREC_ERROR) {
		e->msg = (struct lw_field){ r->msg, r->msg_len };
		return ENTRY_SERVER_ERROR;
	}
	if (it->type == BINREC_MARKER)
		return marker(b, f, bs, r, e);
	const char *sn = stream_name((enum stream)it->stream);
	e->has_cur = true;
	e->cur = (struct cursor){ bs->instance, r->seq };
	e->source = (struct lw_field){ it->source, it->source_len };
	e->stream = (struct lw_field){ sn, strlen(sn) };
	e->msg = (struct lw_field){ r->msg, r->msg_len };
	e->partial = r->flags & BINREC_PARTIAL;
	e->marker = r->flags & BINREC_NOTICE;
	if (f == LW_FORMAT_TEXT)
		e->time = (struct lw_field){ b->time,
			timecache_format(&b->tc, b->time, r->time_ns) };
	if (f == LW_FORMAT_JSON) {
		struct ring_entry re;
		struct record_source src = { it->source, it->source_len,
					     (enum stream)it->stream };
		binstream_ring_entry(r, &re);
		if (room(b, RECORD_V2_BOUND(it->source_len, r->msg_len) +
			    RECORD_ATTR_BYTE * r->attrs_len + 16) < 0)
			return -ENOMEM;
		e->line = (struct lw_field){ b->line,
			record_v2(b->line, &re, bs->instance, &src) - 1 };
	}
	return ENTRY_OK;
}
