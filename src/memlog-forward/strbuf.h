/* A growable byte buffer for the encoders: appends never fail silently,
 * a failed allocation is remembered (nomem) and reported once at the end,
 * so the encoders read as straight-line code. */
#ifndef FORWARD_STRBUF_H
#define FORWARD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct strbuf {
	char *p;     /* malloc'd; NULL until the first append */
	size_t len;  /* bytes held */
	size_t cap;  /* bytes allocated */
	bool nomem;  /* an append failed: the content is incomplete */
};

static inline bool strbuf_reserve(struct strbuf *b, size_t more)
{
	size_t ncap;
	char *np;

	if (b->nomem)
		return false;
	if (b->cap - b->len >= more)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < more) {
		if (ncap > ((size_t)-1) / 2) {
			b->nomem = true;
			return false;
		}
		ncap *= 2;
	}
	np = realloc(b->p, ncap);
	if (!np) {
		b->nomem = true;
		return false;
	}
	b->p = np;
	b->cap = ncap;
	return true;
}

static inline void strbuf_add(struct strbuf *b, const void *s, size_t n)
{
	if (n && strbuf_reserve(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static inline void strbuf_addc(struct strbuf *b, char c)
{
	if (strbuf_reserve(b, 1))
		b->p[b->len++] = c;
}

static inline void strbuf_adds(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

static inline void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	b->nomem = false;
}

static inline void strbuf_free(struct strbuf *b)
{
	free(b->p);
	*b = (struct strbuf){ 0 };
}

#endif
