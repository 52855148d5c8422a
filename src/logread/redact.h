/* logread --redact: POSIX extended regular expressions whose matches in a
 * message are replaced with "[redacted]" before the message enters a
 * bundle (reports leave the host; tokens and passwords must not).
 *
 * All patterns are applied in one pass over the original message: at each
 * point the leftmost match of any pattern (the longest among those that
 * start there) is replaced, and the search goes on after it. So the
 * replacement text is never matched again and the result is at most
 * REDACT_GROWTH times as long as the message. A pattern that matches the
 * empty string is refused (it would redact nothing, everywhere). A
 * message may hold NUL bytes: each NUL-separated part is searched on its
 * own, the NULs are kept. Pure: no I/O. */
#ifndef LOGREAD_REDACT_H
#define LOGREAD_REDACT_H

#include <regex.h>
#include <stddef.h>

#define REDACT_MAX 16                   /* patterns */
#define REDACT_TEXT "[redacted]"
#define REDACT_GROWTH (sizeof(REDACT_TEXT) - 1) /* a match is >= 1 byte */

struct redact {
	regex_t re[REDACT_MAX];  /* compiled patterns */
	unsigned n;              /* how many */
	char *buf;               /* the last result (grown as needed) */
	size_t cap;
	char *scratch;           /* the message with a final NUL */
	size_t scratch_cap;
};

/* Compiles the n patterns (n <= REDACT_MAX). Returns 0, or -EINVAL with
 * err saying which pattern is wrong and why. */
int redact_init(struct redact *r, const char *const *pats, unsigned n,
		char *err, size_t errlen);
void redact_free(struct redact *r);

/* Applies the patterns to len bytes of msg. Returns the number of
 * replacements (0: *out is msg itself) with *out / *out_len the result
 * (valid until the next call), or -ENOMEM. */
int redact_apply(struct redact *r, const char *msg, size_t len,
		 const char **out, size_t *out_len);

#endif
