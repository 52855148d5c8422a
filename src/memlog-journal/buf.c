#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int jbuf_reserve(struct jbuf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int jbuf_add(struct jbuf *b, const void *p, size_t n)
{
	int r = jbuf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int jbuf_addc(struct jbuf *b, char c)
{
	return jbuf_add(b, &c, 1);
}

int jbuf_adds(struct jbuf *b, const char *s)
{
	return jbuf_add(b, s, strlen(s));
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){ 0 };
}
