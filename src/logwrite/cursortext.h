/* Cursors as logwrite keeps them: opaque text from memlogd, sent back as
 * "after=CURSOR" unencoded, so only its shape is checked: 1 to
 * CURSOR_TEXT_MAX printable ASCII bytes, no space, no '%'. Pure. */
#ifndef LOGWRITE_CURSORTEXT_H
#define LOGWRITE_CURSORTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define CURSOR_TEXT_MAX 128

static inline bool cursor_text_ok(const char *s, size_t len)
{
	if (len == 0 || len > CURSOR_TEXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '%')
			return false;
	}
	return true;
}

#endif
