#include "redact.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int redact_init(struct redact *r, const char *const *pats, unsigned n,
		char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (n > REDACT_MAX) {
		snprintf(err, errlen, "at most %d -redact patterns", REDACT_MAX);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		regmatch_t m;
		int e = regcomp(&r->re[i], pats[i], REG_EXTENDED);

		if (e) {
			char why[160];
			regerror(e, &r->re[i], why, sizeof(why));
			snprintf(err, errlen, "-redact %s: %s", pats[i], why);
			redact_free(r);
			return -EINVAL;
		}
		r->n = i + 1;
		if (regexec(&r->re[i], "", 1, &m, 0) == 0) {
			snprintf(err, errlen, "-redact %s: the pattern matches "
				 "the empty string", pats[i]);
			redact_free(r);
			return -EINVAL;
		}
	}
	return 0;
}

void redact_free(struct redact *r)
{
	for (unsigned i = 0; i < r->n; i++)
		regfree(&r->re[i]);
	free(r->buf);
	free(r->scratch);
	memset(r, 0, sizeof(*r));
}

static int grow(char **p, size_t *cap, size_t need)
{
	char *n;

	if (*cap >= need)
		return 0;
	n = realloc(*p, need);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = need;
	return 0;
}

/* Each pattern's next match in a part of the message: so < 0 when
 * there is none left (SO_UNKNOWN: not searched yet). */
#define SO_UNKNOWN (-2)
struct cached { regoff_t so, eo; };

/* The leftmost-longest match of any pattern in seg (NUL-terminated) at or
 * after pos. A cached match that starts at or after pos is still the
 * leftmost from pos: none started between. */
static bool next_match(const struct redact *r, const char *seg, size_t pos,
		       struct cached *c, regmatch_t *best)
{
	bool found = false;

	for (unsigned i = 0; i < r->n; i++) {
		if (c[i].so == SO_UNKNOWN ||
		    (c[i].so >= 0 && (size_t)c[i].so < pos)) {
			regmatch_t m;
			if (regexec(&r->re[i], seg + pos, 1, &m,
				    pos ? REG_NOTBOL : 0) == 0) {
				c[i].so = (regoff_t)pos + m.rm_so;
				c[i].eo = (regoff_t)pos + m.rm_eo;
			} else {
				c[i].so = -1;
			}
		}
		if (c[i].so < 0)
			continue;
		if (!found || c[i].so < best->rm_so ||
		    (c[i].so == best->rm_so && c[i].eo > best->rm_eo)) {
			best->rm_so = c[i].so;
			best->rm_eo = c[i].eo;
			found = true;
		}
	}
	return found;
}

/* Redacts one NUL-free part s (slen bytes, NUL-terminated) into out.
 * Returns the bytes written; *count grows by the replacements. */
static size_t redact_part(const struct redact *r, const char *s, size_t slen,
			  char *out, int *count)
{
	struct cached c[REDACT_MAX];
	size_t o = 0, pos = 0;
	regmatch_t m = { 0, 0 };

	for (unsigned i = 0; i < r->n; i++)
		c[i].so = SO_UNKNOWN;
	while (pos < slen && next_match(r, s, pos, c, &m)) {
		size_t so = (size_t)m.rm_so;

		memcpy(out + o, s + pos, so - pos);
		o += so - pos;
		if (m.rm_eo == m.rm_so) {
			/* No pattern matches the empty string at the start,
			 * but one may inside ("^$|x" under REG_NOTBOL): no
			 * redaction, the search steps over one byte. */
			if (so == slen) {
				pos = so;
				break;
			}
			out[o++] = s[so];
			pos = so + 1;
			continue;
		}
		memcpy(out + o, REDACT_TEXT, REDACT_GROWTH);
		o += REDACT_GROWTH;
		(*count)++;
		pos = (size_t)m.rm_eo;
	}
	if (pos < slen) {
		memcpy(out + o, s + pos, slen - pos);
		o += slen - pos;
	}
	return o;
}

int redact_apply(struct redact *r, const char *msg, size_t len,
		 const char **out, size_t *out_len)
{
	size_t o = 0, seg = 0;
	int count = 0;

	*out = msg;
	*out_len = len;
	if (!r->n)
		return 0;
	if (grow(&r->scratch, &r->scratch_cap, len + 1) < 0 ||
	    grow(&r->buf, &r->cap, len * REDACT_GROWTH + 1) < 0)
		return -ENOMEM;
	if (len)
		memcpy(r->scratch, msg, len);
	r->scratch[len] = '\0';
	/* Each NUL-separated part on its own: regexec() stops at a NUL. */
	while (seg <= len) {
		const char *s = r->scratch + seg;
		size_t slen = strnlen(s, len - seg);

		o += redact_part(r, s, slen, r->buf + o, &count);
		seg += slen + 1;
		if (seg <= len)
			r->buf[o++] = '\0';
	}
	if (!count)
		return 0;
	*out = r->buf;
	*out_len = o;
	return count;
}
