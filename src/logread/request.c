#include "request.h"
#include "regmsg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A small appender that remembers running out of room. */
struct line_out {
	char *p;
	size_t len;
	size_t cap;
	bool full;
};

static void put(struct line_out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct line_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Percent-encodes what query_parse() decodes: space, '%' and every byte
 * outside printable ASCII. */
static void put_pct(struct line_out *o, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '%') {
			char e[3] = { '%', hexd[c >> 4], hexd[c & 15] };
			put(o, e, 3);
		} else {
			put(o, (const char *)&c, 1);
		}
	}
}

static const char *mode_word(enum query_mode m)
{
	switch (m) {
	case QUERY_DUMP: return "dump";
	case QUERY_FOLLOW: return "follow";
	case QUERY_DUMP_FOLLOW: return "dump-follow";
	case QUERY_STATS: return "stats";
	}
	return NULL;
}

void request_resume(const struct request *first, const char *cursor,
		    struct request *out)
{
	*out = *first;
	if (!first->v2 && first->upgrade && cursor && *cursor) {
		out->v2 = out->binary = true;
		out->upgrade = false;
		out->mode = QUERY_DUMP_FOLLOW;
		out->after = cursor;
	} else if (!first->v2) {
		out->mode = QUERY_FOLLOW;
	} else if (cursor && *cursor) {
		out->mode = QUERY_DUMP_FOLLOW;
		out->after = cursor;
		out->has_last = false;
	}
}

int request_build(const struct request *r, char *out, size_t cap)
{
	struct line_out o = { .p = out, .cap = cap };
	const char *word = mode_word(r->mode);
	bool params = r->after || r->has_last || r->nglobs || r->has_prio ||
		      r->fac_mask || r->binary || r->has_since ||
		      r->has_until || r->stream_mask || r->grep;

	if (!word)
		return -EINVAL;
	if (!r->v2) {
		static const char tag[] = QUERY_LEGACY_BINARY;
		size_t n = r->upgrade ? sizeof(tag) : 1;
		if (params || r->mode == QUERY_STATS)
			return -EINVAL;
		if (cap < n)
			return -ENOSPC;
		out[0] = (char)r->mode;
		if (r->upgrade)
			memcpy(out + 1, tag, sizeof(tag) - 1);
		return (int)n;
	}
	if (r->mode == QUERY_STATS && params)
		return -EINVAL;
	if (r->after && !cursor_text_ok(r->after, strlen(r->after)))
		return -EINVAL;
	if (r->nglobs > QUERY_GLOBS_MAX)
		return -EINVAL;

	put_str(&o, word);
	if (r->after) {
		put_str(&o, " after=");
		put_str(&o, r->after);
	}
	if (r->has_last) {
		char num[24];
		int n = snprintf(num, sizeof(num), " last=%llu",
				 (unsigned long long)r->last);
		put(&o, num, (size_t)n);
	}
	if (r->has_prio) {
		char p[24];
		if (r->prio_min < 0 || r->prio_max > 7 || r->prio_min > r->prio_max)
			return -EINVAL;
		int n = snprintf(p, sizeof(p), " priority=%d..%d", r->prio_min,
				 r->prio_max);
		put(&o, p, (size_t)n);
	}
	if (r->fac_mask) {
		const char *sep = " facility=";
		for (int f = 0; f < 24; f++) {
			if (!(r->fac_mask & (1u << f)))
				continue;
			char num[16];
			int n = snprintf(num, sizeof(num), "%s%d", sep, f);
			put(&o, num, (size_t)n);
			sep = ",";
		}
	}
	for (unsigned i = 0; i < r->nglobs; i++) {
		size_t gl = strlen(r->globs[i]);
		if (gl > QUERY_GLOB_MAX)
			return -EINVAL;
		put_str(&o, " source=");
		put_pct(&o, r->globs[i], gl);
	}
	if (r->has_since || r->has_until) {
		char num[64];
		int n = 0;
		if (r->has_since && r->has_until && r->since_ns > r->until_ns)
			return -EINVAL;
		if (r->has_since)
			n += snprintf(num, sizeof(num), " since=%llu",
				      (unsigned long long)r->since_ns);
		if (r->has_until)
			n += snprintf(num + n, sizeof(num) - (size_t)n,
				      " until=%llu",
				      (unsigned long long)r->until_ns);
		put(&o, num, (size_t)n);
	}
	if (r->stream_mask) {
		const char *sep = " stream=";
		for (int i = 0; i < 32; i++) {
			if (!(r->stream_mask & (1u << i)))
				continue;
			if (i == STREAM_UNKNOWN || i > STREAM_KERNEL)
				return -EINVAL;
			put_str(&o, sep);
			put_str(&o, stream_name((enum stream)i));
			sep = ",";
		}
	}
	if (r->grep) {
		size_t gl = strlen(r->grep);
		if (gl == 0 || gl > QUERY_GREP_MAX)
			return -EINVAL;
		put_str(&o, r->grep_icase ? " igrep=" : " grep=");
		put_pct(&o, r->grep, gl);
	}
	if (r->binary)
		put_str(&o, " format=binary");
	if (o.full || o.len > QUERY_LINE_MAX)
		return -ENOSPC;
	put(&o, "\n", 1);
	if (o.full)
		return -ENOSPC;
	return (int)o.len;
}
