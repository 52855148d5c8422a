/* logwrite's own notices (a file it will not write, the entries it
 * dropped for it) as lines of memlogd.log, beside memlogd's loss markers
 * and in the same format: an entry of source "logwrite", stream "none",
 * marked as a marker, with the current time. For --format json the
 * object is built with jansson; for text it reads
 *   2026-11-22T06:25:33.51Z logwrite logwrite: not writing web.log: ...
 * Every notice also goes to stderr (the caller's). */
#ifndef LOGWRITE_NOTICE_H
#define LOGWRITE_NOTICE_H

#include <stdint.h>

#include "format.h"
#include "timefmt.h"

#define NOTICE_SOURCE "logwrite"

struct notice {
	struct lw_entry e;        /* points into time, json and the message */
	char time[TIMEFMT_MAX];
	char *json;               /* malloc'd object (json only), or NULL */
};

/* Builds the entry of msg (which must outlive n) at now_ns. Returns 0 or
 * -ENOMEM. */
int notice_build(struct notice *n, enum lw_format f, const char *msg,
		 uint64_t now_ns);
void notice_free(struct notice *n);

#endif
