/* Writing text into a buffer the caller sized: each returns where the
 * next byte goes. For encoders on hot paths and signal handlers, where
 * snprintf is too slow or not allowed. Pure. */
#ifndef MEMLOG_PUT_H
#define MEMLOG_PUT_H

#include <stdint.h>

/* s without its NUL. */
char *put_str(char *p, const char *s);

/* v in decimal: at most 20 bytes. */
char *put_u64(char *p, uint64_t v);

/* The fraction of a second nsec (< 1e9) as RFC 3339 writes it: '.' and
 * up to 9 digits without trailing zeros; nothing when nsec is 0. At most
 * 10 bytes. */
char *put_frac_ns(char *p, uint32_t nsec);

#endif
