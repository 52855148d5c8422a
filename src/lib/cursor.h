/* Cursors: opaque to clients, "m1-IIIIIIIIIIIIIIII-SSSSSSSSSSSSSSSS" with the
 * daemon instance id and the entry's sequence number in hex. The instance id
 * is random per daemon start, so a cursor from another boot or another
 * daemon is recognised instead of silently pointing at unrelated entries. */
#ifndef MEMLOG_CURSOR_H
#define MEMLOG_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CURSOR_LEN 36 /* without NUL */

struct cursor {
	uint64_t instance;
	uint64_t seq;
};

/* Writes CURSOR_LEN bytes and a NUL. */
void cursor_format(char out[CURSOR_LEN + 1], struct cursor c);

/* Returns 0 or -EINVAL. */
int cursor_parse(const char *s, size_t len, struct cursor *out);

/* Clients keep cursors opaque and send them back unencoded as
 * "after=CURSOR", so they check only their shape: 1 to CURSOR_TEXT_MAX
 * printable ASCII bytes, no space, no '%'. */
#define CURSOR_TEXT_MAX 128
bool cursor_text_ok(const char *s, size_t len);

#endif
