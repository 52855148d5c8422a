/* The fd holder's wire format and its client calls (docs/fdholder.md).
 *
 * memlog-fdholder keeps copies of a client's fds under opaque 64-bit keys
 * and gives them back after the client restarts, as s6-fdholderd does.
 * Each message is one SOCK_SEQPACKET record:
 *
 *   offset 0  "MLFH"                  magic, 4 bytes
 *          4  u16 version             FDHOLD_VERSION
 *          6  u16 op                  enum fdhold_op
 *          8  u32 count               keys that follow (HELLO: fds held)
 *         12  u32 arg                 op-specific, else 0
 *         16  count x u64 key         PUT, DROP, FDS, ERR only
 *
 * all integers little-endian; PUT and FDS carry exactly count fds in one
 * SCM_RIGHTS control message, every other op none. The encoders and the
 * decoder are pure (no I/O), for the unit tests and the fuzzer; the client
 * calls below them do the socket work. */
#ifndef MEMLOG_FDHOLD_H
#define MEMLOG_FDHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmsg.h"

#define FDHOLD_VERSION 1
#define FDHOLD_HDR_LEN 16
/* Keys (and fds) in one message. The kernel passes up to CMSG_FDS_MAX
 * (253) fds in one message, but musl (up to 1.2.3 at least) refuses, on
 * 64-bit, a sendmsg() control buffer over 1024 bytes, which holds 252. */
#define FDHOLD_KEYS_MAX 252
#define FDHOLD_MSG_MAX (FDHOLD_HDR_LEN + FDHOLD_KEYS_MAX * 8)
/* ERR's errno: 1 to this. */
#define FDHOLD_ERRNO_MAX 4095
/* How long a blocking client call waits for each answer of the holder. */
#define FDHOLD_TIMEOUT_MS 5000

enum fdhold_op {
	/* client -> holder */
	FDHOLD_PUT = 1,      /* hold these fds under these keys */
	FDHOLD_DROP = 2,     /* close and forget these keys */
	FDHOLD_TAKE = 3,     /* send copies of everything held */
	FDHOLD_RELEASE = 4,  /* close everything, remove the socket, exit */
	/* holder -> client */
	FDHOLD_HELLO = 5,    /* count = fds held, arg = the pid of the
			      * client whose session is open, or 0 */
	FDHOLD_FDS = 6,      /* keys + fds, an answer to TAKE */
	FDHOLD_END = 7,      /* the last answer to TAKE, arg = fds sent */
	FDHOLD_ERR = 8,      /* arg = errno, keys = the keys refused; no
			      * keys: the holder could not start (the exec
			      * failed, sent by fdhold_spawn's child) */
};

/* A decoded message. keys[] holds nkeys keys: count for the ops that carry
 * keys, 0 for the others. */
struct fdhold_msg {
	uint16_t op;
	uint32_t count;
	uint32_t arg;
	uint32_t nkeys;
	uint64_t keys[FDHOLD_KEYS_MAX];
};

/* Is op one a client sends (PUT, DROP, TAKE, RELEASE)? */
bool fdhold_op_from_client(unsigned op);
/* "put", "drop", ... or "unknown". */
const char *fdhold_op_name(unsigned op);

/* Encoders: write one message into buf (cap bytes) and return its length,
 * -ENOSPC if cap is too small, -EINVAL for a count the format does not
 * allow (PUT, DROP, FDS: 1 to FDHOLD_KEYS_MAX keys; ERR: 0 to
 * FDHOLD_KEYS_MAX keys and an errno, either sign, of 1 to FDHOLD_ERRNO_MAX;
 * HELLO: a pid of 0 to INT_MAX). */
int fdhold_encode_put(void *buf, size_t cap, const uint64_t *keys, size_t n);
int fdhold_encode_drop(void *buf, size_t cap, const uint64_t *keys, size_t n);
int fdhold_encode_take(void *buf, size_t cap);
int fdhold_encode_release(void *buf, size_t cap);
int fdhold_encode_hello(void *buf, size_t cap, uint32_t held,
			uint32_t session_pid);
int fdhold_encode_fds(void *buf, size_t cap, const uint64_t *keys, size_t n);
int fdhold_encode_end(void *buf, size_t cap, uint32_t total);
int fdhold_encode_err(void *buf, size_t cap, int err, const uint64_t *keys,
		      size_t n);

/* Decodes the len bytes of one record that came with nfds fds into *m.
 * Returns 0, -EPROTONOSUPPORT for another version of the format, or
 * -EBADMSG for anything else that is not exactly one well-formed message
 * (bad magic, unknown op, a length that does not match count, more than
 * FDHOLD_KEYS_MAX keys, fds where none belong or a count that does not
 * match them, a nonzero reserved field). *m is written only on success. */
int fdhold_decode(const void *buf, size_t len, int nfds, struct fdhold_msg *m);

/* Sends one encoded message with nfds fds (0 to FDHOLD_KEYS_MAX) in one
 * SCM_RIGHTS control message, with MSG_NOSIGNAL and flags; EINTR is
 * retried. The caller keeps its fds. Returns 0 or negative errno (-EAGAIN
 * for EWOULDBLOCK). */
int fdhold_send(int sock, const void *buf, size_t len, const int *fds,
		int nfds, int flags);

/* ---- client calls (I/O; errors as negative errno, nothing printed) ---- */

struct fdhold_hello {
	uint32_t held;  /* fds the holder holds */
	pid_t session_pid; /* the client whose session is open (a new
			    * connection takes it over at its first
			    * request), or 0 */
};

/* Binds a listening SOCK_SEQPACKET unix socket at path with mode 0600. A
 * socket file nobody accepts on (tested by connecting) is replaced; a live
 * one never: -EADDRINUSE. -EEXIST if path exists and is not a socket.
 * Returns the fd (close-on-exec, non-blocking) or negative errno. */
int fdhold_listen(const char *path);

/* Connects to the holder at path, checks that it runs as our euid or as
 * root (a holder of another uid would get our fds: -EPERM) and reads its
 * HELLO into *hello (if not NULL). Returns the connected socket
 * (close-on-exec, blocking, SO_SNDTIMEO FDHOLD_TIMEOUT_MS) or negative
 * errno (-EPROTO: not a holder; -EPROTONOSUPPORT: another version). */
int fdhold_connect(const char *path, struct fdhold_hello *hello);

/* Starts a holder: binds path (as fdhold_listen), makes a socketpair, and
 * fork+execs holder_binary with --socket path --fd-listen N --fd-conn N,
 * in a session of its own (setsid), stdin and stdout on /dev/null, no
 * other fd inherited. Waits for its HELLO. On success *sock is our end of
 * the first session (as fdhold_connect returns it) and *pid the holder's
 * pid: it is our child, the caller reaps it. Returns 0 or negative errno
 * (the exec's errno when the binary could not be run; the path is then
 * removed again). */
int fdhold_spawn(const char *path, const char *holder_binary, int *sock,
		 pid_t *pid);

/* PUT: the holder keeps a copy of each fds[i] under keys[i] (n from 1 to
 * FDHOLD_KEYS_MAX); the caller keeps its own fds. One record, so the holder
 * gets all of it or nothing. flags is 0 or MSG_DONTWAIT.
 * The send buffer of a session holds a few dozen full messages, so in
 * practice this never waits. If it is full (a holder that stopped reading),
 * with 0 it waits for room for at most FDHOLD_TIMEOUT_MS (SO_SNDTIMEO) and
 * with MSG_DONTWAIT not at all; both then return -EAGAIN and nothing was
 * sent. What to do then is the client's choice (memlogd counts it as "the
 * holder is stuck").
 * A refusal comes back later as an ERR message (fdhold_recv). Returns 0 or
 * negative errno. */
int fdhold_put(int sock, const uint64_t *keys, const int *fds, size_t n,
	       int flags);

/* DROP: the holder closes and forgets these keys (unknown ones are
 * ignored). Same sending rules and returns as fdhold_put. */
int fdhold_drop(int sock, const uint64_t *keys, size_t n, int flags);

/* Called by fdhold_take for each key the holder gives back, with a new fd
 * the callback owns; or with fd < 0 (a negative errno) for a key an ERR
 * message refused earlier that the caller had not read yet. Returns 0 to go
 * on, or negative errno to stop (fdhold_take then closes the fds it has not
 * handed over and returns that error; the session is out of step then and
 * should be closed). */
typedef int (*fdhold_take_fn)(void *ctx, uint64_t key, int fd);

/* TAKE: asks for every fd the holder holds and hands each to fn, until the
 * holder's END. Each answer must arrive within FDHOLD_TIMEOUT_MS of the
 * previous one (-ETIMEDOUT). A HELLO on the way is skipped. Returns the
 * number of fds taken, or negative errno (-EPROTO if END's total does not
 * match what arrived, -ECONNRESET if the holder closed the session, the
 * errno of an ERR without keys). */
int fdhold_take(int sock, fdhold_take_fn fn, void *ctx);

/* RELEASE: the holder closes everything, removes its socket and exits.
 * Waits (FDHOLD_TIMEOUT_MS) until it has closed the session. Returns 0 or
 * negative errno. */
int fdhold_release(int sock);

/* Receives and decodes one message from the holder, waiting at most
 * timeout_ms (0: not at all). The fds it carries (FDS) go to fds[], which
 * has room for FDHOLD_KEYS_MAX; the caller owns them. Returns 0, -EAGAIN
 * (nothing in time), -ECONNRESET (the holder closed the session), -EPROTO
 * (a message from the holder that is not one, or that lost fds on the way;
 * its fds are closed) or negative errno. */
int fdhold_recv(int sock, struct fdhold_msg *m, int *fds, int timeout_ms);

/* The holder program's name, and where it is: given if not NULL (it must
 * be executable), else next to the running program's binary, else on
 * PATH. Returns 0 with the path in out, or -ENOENT. */
#define FDHOLD_PROGRAM "memlog-fdholder"
int fdhold_find_binary(const char *given, char *out, size_t cap);

#endif
