/* Cursors as logwrite keeps them: the text memlogd sends, checked by
 * parsing it (cursor_parse in the library) both when it arrives and when
 * the state file is read, so that a cursor logwrite saves is always one
 * it accepts again at the next start, and a damaged one (a wrong digit)
 * is refused at start instead of being sent to memlogd. */
#ifndef LOGWRITE_CURSORTEXT_H
#define LOGWRITE_CURSORTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "cursor.h"

/* Is this memlogd's cursor, "m1-" + 16 hex digits + "-" + 16 hex digits? */
static inline bool cursor_text_valid(const char *s, size_t len)
{
	struct cursor c;

	return cursor_text_ok(s, len) && cursor_parse(s, len, &c) == 0;
}

#endif
