#include "entry.h"

#include <string.h>

#include "regmsg.h"

/* The value of attribute key in "KEY=VALUE\0KEY=VALUE", or a NULL ptr. */
static struct reply_field attr(const char *a, size_t len, const char *key)
{
	size_t kl = strlen(key);
	const char *end = a + len;

	while (a < end) {
		const char *z = memchr(a, '\0', (size_t)(end - a));
		size_t l = z ? (size_t)(z - a) : (size_t)(end - a);
		if (l > kl && a[kl] == '=' && !memcmp(a, key, kl))
			return (struct reply_field){ a + kl + 1, l - kl - 1 };
		a += l + 1;
	}
	return (struct reply_field){ 0 };
}

void entry_from_record(const struct binstream *bs,
		       const struct binstream_item *it, struct fwd_entry *e,
		       char cursor[CURSOR_LEN + 1])
{
	const struct binrec *r = &it->rec;

	memset(e, 0, sizeof(*e));
	e->priority = e->facility = -1;
	e->missed = -1;
	e->has_time_ns = true;
	e->time_ns = r->time_ns;
	e->msg = (struct reply_field){ r->msg, r->msg_len };
	e->cursor = (struct reply_field){ cursor, CURSOR_LEN };
	if (it->type == BINREC_MARKER) {
		binstream_cursor(bs, r->last, cursor);
		e->source = (struct reply_field){ "memlogd", 7 };
		e->stream = (struct reply_field){ "none", 4 };
		e->marker = (struct reply_field){ r->reason, r->reason_len };
		e->missed = r->missed >= 0 ? r->missed : -1;
		return;
	}
	const char *sn = stream_name((enum stream)it->stream);
	binstream_cursor(bs, r->seq, cursor);
	e->source = (struct reply_field){ it->source, it->source_len };
	e->stream = (struct reply_field){ sn, strlen(sn) };
	e->seq = r->seq;
	e->has_seq = true;
	e->partial = r->flags & BINREC_PARTIAL;
	e->priority = r->priority;
	e->facility = r->facility;
	if (r->attrs_len) {
		e->pid = attr(r->attrs, r->attrs_len, "_pid");
		if (!e->pid.ptr)
			e->pid = attr(r->attrs, r->attrs_len, "pid");
	}
	if (r->flags & BINREC_NOTICE)
		e->marker = (struct reply_field){ "notice", 6 };
}
