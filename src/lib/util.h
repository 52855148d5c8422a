/* Small helpers shared by every memlog program: number parsing, fd flags. */
#ifndef MEMLOG_UTIL_H
#define MEMLOG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define MEMLOG_VERSION "0.1.0"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* A result ignored on purpose (best-effort calls). The one idiom for it:
 * unlike a (void) cast, it also quiets warn_unused_result. */
#define IGNORE_RESULT(x) do { if (x) { } } while (0)

/* Parses a decimal unsigned integer that must fill the whole string.
 * Returns 0, -EINVAL (not a number) or -ERANGE (above max). */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/* v in decimal into out (at most 20 bytes, not NUL-terminated); returns
 * the length. For hot paths, where snprintf's format parsing shows. */
size_t fmt_u64(char *out, uint64_t v);

/* Like parse_u64 but accepts a K, M or G suffix (powers of 1024, an
 * optional trailing "B" or "iB" too): "4M" = 4194304. */
int parse_size(const char *s, uint64_t max, uint64_t *out);

/* Parses "N/SECONDS" (or just "N", meaning per second). */
int parse_rate(const char *s, uint32_t *lines, uint32_t *seconds);

/* Parses a Go-style boolean flag value: true/false/1/0/t/f (any case). */
int parse_bool(const char *s, bool *out);

int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd, bool on);

/* close() that cannot block: a socket someone set SO_LINGER on (with
 * unsent data and a peer that never reads) would make close() wait in the
 * kernel for as long as the linger time. For fds received from others:
 * linger is set to {1, 0} first, so a last close resets the connection at
 * once. */
void fd_close_nowait(int fd);

/* Wall-clock time in nanoseconds since the epoch. */
uint64_t now_realtime_ns(void);
/* Monotonic time in milliseconds and in nanoseconds. */
uint64_t now_mono_ms(void);
uint64_t now_mono_ns(void);

/* Length (1-4) of the valid UTF-8 character at s (len bytes left), or 0:
 * overlong forms, surrogates, code points past U+10FFFF and truncated
 * sequences are invalid. Its code point goes to *cp unless cp is NULL. */
size_t utf8_decode(const void *s, size_t len, uint32_t *cp);

/* One datagram of len bytes to addr (alen bytes of it) with up to
 * SEND_FDS_MAX fds in one SCM_RIGHTS message (none when nfds is 0), with
 * MSG_NOSIGNAL and the given extra flags; EINTR is retried. Returns 0 or
 * negative errno (-EAGAIN for EWOULDBLOCK, -EINVAL for too many fds). */
#define SEND_FDS_MAX 4
struct sockaddr_un;
int send_with_fds(int sock, const struct sockaddr_un *addr, unsigned alen,
		  const void *buf, size_t len, const int *fds, int nfds,
		  int flags);

#endif
