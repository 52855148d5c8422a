/* Cursors as logwrite keeps them: opaque text from memlogd (see
 * cursor_text_ok in the library). */
#ifndef LOGWRITE_CURSORTEXT_H
#define LOGWRITE_CURSORTEXT_H

#include "cursor.h"

#endif
