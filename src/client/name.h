/* Source names to file names. A source name is any bytes (memlogd takes
 * what a registering process sends); a file name must stay inside the log
 * directory and must not clash with another source's. The encoding keeps
 * A-Z a-z 0-9 '_' '-' and '.' as they are, except a '.' that comes first,
 * last or right after another '.', and writes every other byte as %XX
 * (upper-case hex), '%' included. So the result has no '/', no control
 * character, no leading dot and no "..", and it decodes back to the
 * source name: two names never share a file.
 *
 * The empty name becomes "%" (a lone '%' is never produced otherwise).
 * An encoding longer than NAME_BASE_MAX would not leave room for
 * ".log.N.gz.tmp" within NAME_MAX (255): such a name becomes its first
 * NAME_LONG_PREFIX encoded bytes, '~' and 32 hex digits of the SHA-256 of
 * the whole name ('~' never appears in a short encoding). That form cannot
 * be decoded; names that differ still get different files unless SHA-256
 * collides. Pure: no I/O. */
#ifndef LOGWRITE_NAME_H
#define LOGWRITE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_BASE_MAX 200    /* longest encoded name */
#define NAME_STREAM_MAX 16   /* longest stream word in a file base */
#define FILE_BASE_MAX (NAME_BASE_MAX + 1 + NAME_STREAM_MAX) /* "@" STREAM */
#define NAME_LONG_PREFIX 160 /* encoded bytes kept in the long form */
#define NAME_HASH_HEX 32     /* hex digits of SHA-256 in the long form */

/* Writes the encoding of len bytes of src and a NUL into out. Returns its
 * length (1 to NAME_BASE_MAX). */
size_t name_encode(const char *src, size_t len, char out[NAME_BASE_MAX + 1]);

/* Decodes a short-form encoding into out (cap bytes; NAME_BASE_MAX is
 * always enough). Returns the decoded length, -EINVAL if enc is not
 * exactly what name_encode() writes for some name, -E2BIG for the long
 * form (not reversible). */
int name_decode(const char *enc, size_t len, char *out, size_t cap);

/* Could name_encode() have written these len bytes (either form)? */
bool name_is_encoded(const char *enc, size_t len);

/* The file base of a source (BASE.log is its live file): the name alone
 * keeps sources apart only within the stdout/stderr streams that LinuxKit
 * knows, so the stream goes into the base whenever the name does not
 * already tell it:
 *
 *   stdout, stderr  ENCODED, LinuxKit's name, when the stream is the one
 *                   LinuxKit's convention gives the name (NAME.out is
 *                   stdout, any other name stderr); else ENCODED@STREAM
 *   none            "memlogd" for memlogd's own entries (source memlogd):
 *                   memlogd.log holds nothing else; other names
 *                   ENCODED@none
 *   any other       ENCODED@STREAM: kmsg@kernel, web@syslog
 *
 * '@' never appears in an encoding, so a base with a stream never equals
 * one without, and the fd source named "memlogd" (memlogd@stderr) never
 * writes into memlogd.log. A stream that is not 1 to NAME_STREAM_MAX
 * bytes of a-z 0-9 is written "unknown"; an absent one (stream.len 0) is
 * taken as the convention's. Writes the base and a NUL into out; returns
 * its length (at most FILE_BASE_MAX). Pure. */
size_t name_file_base(const char *src, size_t len, const char *stream,
		      size_t stream_len, char out[FILE_BASE_MAX + 1]);

/* Has base the shape name_file_base() writes: an encoded name, then
 * optionally '@' and a stream word? */
bool name_base_ok(const char *base, size_t len);

/* The files of a base ("its family"), the only names logwrite writes:
 *   BASE.log             NAME_LIVE
 *   BASE.log.K           NAME_ROTATED      (K decimal, no leading zero,
 *   BASE.log.K.gz        NAME_ROTATED_GZ    below NAME_INDEX_LIMIT)
 *   BASE.log.0.gz.tmp    NAME_GZ_TMP       (a compression under way) */
enum name_kind {
	NAME_LIVE = 1,
	NAME_ROTATED,
	NAME_ROTATED_GZ,
	NAME_GZ_TMP,
};
#define NAME_INDEX_LIMIT 100000

struct file_name {
	size_t base_len;      /* name[0..base_len) is the base */
	enum name_kind kind;
	unsigned index;       /* K */
};

/* Parses a directory entry's name (NUL-terminated). Returns true if it
 * is a family file of some base (name_base_ok()). Pure. */
bool name_file_parse(const char *name, struct file_name *out);

#endif
