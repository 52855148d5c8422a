#include "kmsg.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Reads an unsigned decimal field ending at one of the stop bytes. */
static int field(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
		s++;
	}
	*v = n;
	*p = s;
	return 0;
}

int kmsg_parse(const char *buf, size_t len, struct kmsg_record *rec,
	       size_t *used)
{
	const char *end = buf + len, *p = buf;
	uint64_t pri;

	/* The record ends at the first '\n' not followed by a space. */
	const char *rend = end;
	for (const char *q = buf; q < end; q++) {
		q = memchr(q, '\n', (size_t)(end - q));
		if (!q)
			break;
		if (q + 1 == end || q[1] != ' ') {
			rend = q + 1;
			break;
		}
	}
	*used = (size_t)(rend - buf);
	memset(rec, 0, sizeof(*rec));

	const char *semi = memchr(buf, ';', (size_t)(rend - buf));
	const char *nl = memchr(buf, '\n', (size_t)(rend - buf));
	if (!semi || (nl && nl < semi))
		return -EINVAL;
	if (field(&p, semi, &pri) < 0 || p == semi || *p++ != ',' ||
	    pri > 1023 ||
	    field(&p, semi, &rec->seq) < 0 || p == semi || *p++ != ',' ||
	    field(&p, semi, &rec->usec) < 0 || p == semi || *p++ != ',')
		return -EINVAL;
	rec->flags = p < semi ? *p : '-';
	/* Fields after FLAGS: only caller= is known (T<tid> or C<cpu>). */
	for (const char *f = memchr(p, ',', (size_t)(semi - p)); f;) {
		const char *fe = memchr(f + 1, ',', (size_t)(semi - f - 1));
		const char *e = fe ? fe : semi;
		if (e - f > 8 && !memcmp(f + 1, "caller=", 7) &&
		    (f[8] == 'T' || f[8] == 'C')) {
			rec->caller = f + 8;
			rec->caller_len = (size_t)(e - f - 8);
		}
		f = fe;
	}
	rec->priority = (int)(pri & 7);
	rec->facility = (int)(pri >> 3);
	rec->msg = semi + 1;
	const char *mend = nl ? nl : rend;
	rec->msg_len = (size_t)(mend - rec->msg);
	if (nl && nl + 1 < rend) {
		rec->dict = nl + 1;
		rec->dict_len = (size_t)(rend - rec->dict);
	}
	return 0;
}

bool kmsg_dict_next(const struct kmsg_record *rec, size_t *pos,
		    const char **kv, size_t *kv_len)
{
	while (rec->dict && *pos < rec->dict_len) {
		const char *s = rec->dict + *pos;
		size_t left = rec->dict_len - *pos;
		const char *nl = memchr(s, '\n', left);
		size_t l = nl ? (size_t)(nl - s) : left;
		*pos += l + (nl ? 1 : 0);
		if (l > 0 && s[0] == ' ') {
			s++;
			l--;
		}
		if (l > 1 && memchr(s, '=', l) && s[0] != '=') {
			*kv = s;
			*kv_len = l;
			return true;
		}
	}
	return false;
}

/* What sscanf's %s and " " take as white space. */
static bool blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

int kmsg_state_parse(const char *buf, size_t len, struct kmsg_state *st)
{
	const char *p = buf, *e = buf + len;
	uint64_t v;

	/* "BOOT_ID SEQ", white space around either; the length as the
	 * line's one reader always had it (at most 127 bytes). No NUL. */
	if (len == 0 || len >= 128 || memchr(buf, '\0', len))
		return -EINVAL;
	while (p < e && blank(*p))
		p++;
	const char *id = p;
	while (p < e && !blank(*p))
		p++;
	if (p - id != 36)
		return -EINVAL;
	const char *id_end = p;
	while (p < e && blank(*p))
		p++;
	const char *seq = p;
	while (p < e && !blank(*p))
		p++;
	const char *seq_end = p;
	while (p < e && blank(*p))
		p++;
	/* The seq is plain digits that fit, and nothing follows. */
	const char *q = seq;
	if (p != e || field(&q, seq_end, &v) < 0 || q != seq_end)
		return -EINVAL;
	memcpy(st->boot_id, id, (size_t)(id_end - id));
	st->boot_id[36] = '\0';
	st->next_seq = v;
	return 0;
}

size_t kmsg_state_format(char *out, size_t cap, const struct kmsg_state *st)
{
	int n = snprintf(out, cap, "%s %llu\n", st->boot_id,
			 (unsigned long long)st->next_seq);
	return n < 0 ? 0 : MIN((size_t)n, cap - 1);
}

enum kmsg_verdict kmsg_check_seq(uint64_t next, uint64_t seq, uint64_t *missed)
{
	*missed = 0;
	if (seq < next)
		return KMSG_SKIP;
	if (seq == next)
		return KMSG_TAKE;
	*missed = seq - next;
	return KMSG_GAP;
}
