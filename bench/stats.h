/* memlogd's `stats` answer, for the benchmark programs that check it (each
 * .c file in bench/ is one program; this header is included, not linked;
 * it needs jansson and bench.h). */
#ifndef MEMLOG_BENCH_STATS_H
#define MEMLOG_BENCH_STATS_H

#include "bench.h"

#include <jansson.h>

/* One `stats` query, parsed; NULL if nobody answers within timeout_ms or
 * the answer is not JSON (said on stderr: memlogd answered something else). */
static UNUSED json_t *memlogd_stats(const char *qpath, int timeout_ms)
{
	char *buf = query_all(qpath, "stats\n", 6, NULL, timeout_ms);
	json_error_t err;

	if (!buf)
		return NULL;
	json_t *j = json_loads(buf, 0, &err);
	if (!j && buf[0])
		fprintf(stderr, "bench: stats is not JSON (%s): %.200s\n",
			err.text, buf);
	free(buf);
	return j;
}

/* root[obj][key] (or root[key] with obj NULL) as an integer, or -1. */
static UNUSED long long jint(json_t *root, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(root, obj) : root;
	json_t *v = o ? json_object_get(o, key) : NULL;

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

#endif
