#include "notice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int notice_build(struct notice *n, enum lw_format f, const char *msg,
		 uint64_t now_ns)
{
	/* msg starts with "logwrite: ", as memlogd's notices start with
	 * "memlogd: " (the caller's buffer). */
	size_t tlen = time_format_rfc3339nano(n->time, now_ns);

	memset(&n->e, 0, sizeof(n->e));
	n->json = NULL;
	n->e.time = (struct lw_field){ n->time, tlen };
	n->e.source = (struct lw_field){ NOTICE_SOURCE, strlen(NOTICE_SOURCE) };
	n->e.stream = (struct lw_field){ "none", 4 };
	n->e.msg = (struct lw_field){ msg, strlen(msg) };
	n->e.marker = true;
	if (f == LW_FORMAT_JSON) {
		json_t *o = json_pack("{s:s#, s:s, s:s, s:s, s:b, s:b}",
				      "time", n->time, (int)tlen,
				      "source", NOTICE_SOURCE, "stream", "none",
				      "msg", msg, "partial", 0, "marker", 1);
		if (o)
			n->json = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (!n->json)
			return -ENOMEM;
		n->e.line = (struct lw_field){ n->json, strlen(n->json) };
	}
	return 0;
}

void notice_free(struct notice *n)
{
	free(n->json);
	n->json = NULL;
}
