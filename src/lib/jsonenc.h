/* JSON string escaping exactly as Go's encoding/json writes strings, so
 * memlogd's legacy output is byte-for-byte what LinuxKit clients parse. */
#ifndef MEMLOG_JSONENC_H
#define MEMLOG_JSONENC_H

#include <stddef.h>

/* The most bytes json_escape() can write for len input bytes: every byte may
 * become a six-byte "\u00XX" or "\ufffd". */
#define JSON_ESCAPE_BOUND(len) ((len) * 6)

/* Writes the body of a JSON string (without the quotes) for len arbitrary
 * bytes: '"' and '\\' escaped, \n \r \t \b \f short forms, other control
 * characters and '<' '>' '&' U+2028 U+2029 as \u escapes, every byte of
 * invalid UTF-8 as \ufffd. out must hold JSON_ESCAPE_BOUND(len) bytes.
 * Returns the number of bytes written. */
size_t json_escape(char *out, const char *in, size_t len);

/* Length of the longest prefix of in[0..len) that is complete UTF-8, i.e.
 * does not end inside a valid but unfinished multi-byte sequence. Used to
 * split long lines without splitting a character. */
size_t utf8_complete_prefix(const char *in, size_t len);

#endif
