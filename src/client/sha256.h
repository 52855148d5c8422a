/* SHA-256 from OpenSSL's libcrypto, only to give source names too long for a
 * file name a collision-resistant suffix (see name.h). */
#ifndef LOGWRITE_SHA256_H
#define LOGWRITE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
