/* A growable byte buffer for the lines of one batch of entries. */
#ifndef MEMLOG_JOURNAL_BUF_H
#define MEMLOG_JOURNAL_BUF_H

#include <stddef.h>

struct jbuf {
	char *p;
	size_t len;
	size_t cap;
};

/* Makes room for n more bytes: 0 or -ENOMEM. */
int jbuf_reserve(struct jbuf *b, size_t n);
/* Appends n bytes: 0 or -ENOMEM. */
int jbuf_add(struct jbuf *b, const void *p, size_t n);
int jbuf_addc(struct jbuf *b, char c);
int jbuf_adds(struct jbuf *b, const char *s);
void jbuf_free(struct jbuf *b);

#endif
