#include "fdhold.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char magic[4] = { 'M', 'L', 'F', 'H' };

/* ---- the wire format (pure) ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Ops whose count is a number of keys that follow the header. */
static bool op_has_keys(unsigned op)
{
	return op == FDHOLD_PUT || op == FDHOLD_DROP || op == FDHOLD_FDS ||
	       op == FDHOLD_ERR;
}

/* Ops that carry one fd per key. */
static bool op_has_fds(unsigned op)
{
	return op == FDHOLD_PUT || op == FDHOLD_FDS;
}

bool fdhold_op_from_client(unsigned op)
{
	return op >= FDHOLD_PUT && op <= FDHOLD_RELEASE;
}

const char *fdhold_op_name(unsigned op)
{
	static const char *const names[] = {
		[FDHOLD_PUT] = "put", [FDHOLD_DROP] = "drop",
		[FDHOLD_TAKE] = "take", [FDHOLD_RELEASE] = "release",
		[FDHOLD_HELLO] = "hello", [FDHOLD_FDS] = "fds",
		[FDHOLD_END] = "end", [FDHOLD_ERR] = "err",
	};
	return op < ARRAY_SIZE(names) && names[op] ? names[op] : "unknown";
}

static int encode(void *buf, size_t cap, unsigned op, uint32_t count,
		  uint32_t arg, const uint64_t *keys, size_t nkeys)
{
	size_t len = FDHOLD_HDR_LEN + nkeys * 8;
	uint8_t *p = buf;

	if (nkeys > FDHOLD_KEYS_MAX)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	memcpy(p, magic, 4);
	put_u16(p + 4, FDHOLD_VERSION);
	put_u16(p + 6, (uint16_t)op);
	put_u32(p + 8, count);
	put_u32(p + 12, arg);
	for (size_t i = 0; i < nkeys; i++)
		put_u64(p + FDHOLD_HDR_LEN + 8 * i, keys[i]);
	return (int)len;
}

static int encode_keys(void *buf, size_t cap, unsigned op, uint32_t arg,
		       const uint64_t *keys, size_t n)
{
	if (n == 0 || n > FDHOLD_KEYS_MAX)
		return -EINVAL;
	return encode(buf, cap, op, (uint32_t)n, arg, keys, n);
}

int fdhold_encode_put(void *buf, size_t cap, const uint64_t *keys, size_t n)
{
	return encode_keys(buf, cap, FDHOLD_PUT, 0, keys, n);
}

int fdhold_encode_drop(void *buf, size_t cap, const uint64_t *keys, size_t n)
{
	return encode_keys(buf, cap, FDHOLD_DROP, 0, keys, n);
}

int fdhold_encode_fds(void *buf, size_t cap, const uint64_t *keys, size_t n)
{
	return encode_keys(buf, cap, FDHOLD_FDS, 0, keys, n);
}

int fdhold_encode_take(void *buf, size_t cap)
{
	return encode(buf, cap, FDHOLD_TAKE, 0, 0, NULL, 0);
}

int fdhold_encode_release(void *buf, size_t cap)
{
	return encode(buf, cap, FDHOLD_RELEASE, 0, 0, NULL, 0);
}

int fdhold_encode_hello(void *buf, size_t cap, uint32_t held,
			uint32_t session_pid)
{
	if (session_pid > INT_MAX)
		return -EINVAL;
	return encode(buf, cap, FDHOLD_HELLO, held, session_pid, NULL, 0);
}

int fdhold_encode_end(void *buf, size_t cap, uint32_t total)
{
	return encode(buf, cap, FDHOLD_END, 0, total, NULL, 0);
}

int fdhold_encode_err(void *buf, size_t cap, int err, const uint64_t *keys,
		      size_t n)
{
	if (err < 0)
		err = -err;
	if (err == 0 || err > FDHOLD_ERRNO_MAX)
		return -EINVAL;
	return encode(buf, cap, FDHOLD_ERR, (uint32_t)n, (uint32_t)err, keys, n);
}

/* Is the header's count and arg what op allows? */
static bool fields_valid(unsigned op, uint32_t count, uint32_t arg)
{
	switch (op) {
	case FDHOLD_PUT:
	case FDHOLD_DROP:
	case FDHOLD_FDS:
		return count >= 1 && arg == 0;
	case FDHOLD_TAKE:
	case FDHOLD_RELEASE:
		return count == 0 && arg == 0;
	case FDHOLD_HELLO:
		return arg <= INT_MAX; /* a pid, or 0 */
	case FDHOLD_END:
		return count == 0;
	case FDHOLD_ERR:
		return arg >= 1 && arg <= FDHOLD_ERRNO_MAX;
	default:
		return false;
	}
}

int fdhold_decode(const void *buf, size_t len, int nfds, struct fdhold_msg *m)
{
	const uint8_t *p = buf;

	/* The magic and the version are the first 6 bytes in every version
	 * of the format, so another version is told apart from garbage. */
	if (len < 6 || memcmp(p, magic, 4) != 0)
		return -EBADMSG;
	if (get_u16(p + 4) != FDHOLD_VERSION)
		return -EPROTONOSUPPORT;
	if (len < FDHOLD_HDR_LEN)
		return -EBADMSG;
	unsigned op = get_u16(p + 6);
	uint32_t count = get_u32(p + 8);
	uint32_t arg = get_u32(p + 12);
	if (!fields_valid(op, count, arg))
		return -EBADMSG;
	uint32_t nkeys = op_has_keys(op) ? count : 0;
	if (nkeys > FDHOLD_KEYS_MAX || len != FDHOLD_HDR_LEN + (size_t)nkeys * 8)
		return -EBADMSG;
	if (nfds != (op_has_fds(op) ? (int)count : 0))
		return -EBADMSG;
	m->op = (uint16_t)op;
	m->count = count;
	m->arg = arg;
	m->nkeys = nkeys;
	for (uint32_t i = 0; i < nkeys; i++)
		m->keys[i] = get_u64(p + FDHOLD_HDR_LEN + 8 * i);
	return 0;
}

/* ---- sockets ---- */

static int make_addr(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(path);

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int fdhold_send(int sock, const void *buf, size_t len, const int *fds,
		int nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(FDHOLD_KEYS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds < 0 || nfds > FDHOLD_KEYS_MAX)
		return -EINVAL;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL | flags) >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* Waits until sock is readable or timeout_ms has passed. 1: readable,
 * 0: timed out, or negative errno. */
static int wait_readable(int sock, int timeout_ms)
{
	uint64_t deadline = now_mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = now_mono_ms();
		int left = now >= deadline ? 0 : (int)(deadline - now);
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int r = poll(&p, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int fdhold_recv(int sock, struct fdhold_msg *m, int *fds, int timeout_ms)
{
	uint8_t buf[FDHOLD_MSG_MAX];
	/* Room for all the kernel can pass (CMSG_FDS_MAX): fds beyond
	 * FDHOLD_KEYS_MAX arrive, to be closed with the message the decoder
	 * refuses. */
	union {
		char buf[CMSG_SPACE(CMSG_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsg_info ci;
	ssize_t n;

	if (timeout_ms > 0) {
		int r = wait_readable(sock, timeout_ms);
		if (r <= 0)
			return r == 0 ? -EAGAIN : r;
	}
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	cmsg_collect(&mh, &ci);
	/* Every message is at least a header: a record of 0 bytes is the end
	 * of the session. */
	if (n == 0) {
		cmsg_close_fds(&ci);
		return -ECONNRESET;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		cmsg_close_fds(&ci);
		return -EPROTO;
	}
	int r = fdhold_decode(buf, (size_t)n, ci.nfds, m);
	if (r == 0 && fdhold_op_from_client(m->op))
		r = -EPROTO;
	if (r < 0) {
		cmsg_close_fds(&ci);
		return r == -EPROTONOSUPPORT ? r : -EPROTO;
	}
	memcpy(fds, ci.fds, (size_t)ci.nfds * sizeof(int));
	return 0;
}

/* A holder must run as us (or as root, which could read our fds anyway):
 * anyone else would be handed every fd we hold. */
static int check_peer(int sock)
{
	struct ucred cred;
	socklen_t l = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
		return -errno;
	if (cred.uid != geteuid() && cred.uid != 0)
		return -EPERM;
	return 0;
}

/* The deadline of a blocking send, and of a connect() to a holder whose
 * queue of connections is full. */
static int set_send_timeout(int sock)
{
	struct timeval tv = { .tv_sec = FDHOLD_TIMEOUT_MS / 1000,
			      .tv_usec = FDHOLD_TIMEOUT_MS % 1000 * 1000 };

	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* Everything after the connection: the peer check, the send deadline and
 * the HELLO. An ERR instead of the HELLO is fdhold_spawn's child telling
 * why the exec failed. */
static int session_start(int sock, struct fdhold_hello *hello)
{
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	int r = check_peer(sock);

	if (r < 0)
		return r;
	if ((r = set_send_timeout(sock)) < 0)
		return r;
	r = fdhold_recv(sock, &m, fds, FDHOLD_TIMEOUT_MS);
	if (r == -EAGAIN)
		return -ETIMEDOUT;
	if (r < 0)
		return r;
	if (m.op == FDHOLD_ERR && m.nkeys == 0)
		return -(int)m.arg;
	if (m.op != FDHOLD_HELLO) {
		for (uint32_t i = 0; m.op == FDHOLD_FDS && i < m.nkeys; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (hello) {
		hello->held = m.count;
		hello->session_pid = (pid_t)m.arg;
	}
	return 0;
}

/* Is someone accepting at sa? ECONNREFUSED is the kernel's word for a
 * socket file with nobody listening behind it. */
static int probe_live(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)sa, len);
	int err = errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EPROTOTYPE)
		return 1; /* live (EPROTOTYPE: a socket of another kind) */
	if (err == ECONNREFUSED)
		return 0;
	return -err;
}

int fdhold_listen(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = make_addr(path, &sa, &len);

	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* The file bind() creates takes the socket inode's mode (less the
	 * umask): set here, no moment with a wider mode and no process-wide
	 * umask change. */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	for (int attempt = 0;; attempt++) {
		if (bind(fd, (struct sockaddr *)&sa, len) == 0)
			break;
		r = -errno;
		if (r != -EADDRINUSE || attempt > 0)
			goto fail;
		struct stat st;
		if (lstat(path, &st) < 0) {
			r = -errno;
			if (r == -ENOENT)
				continue; /* vanished meanwhile: try again */
			goto fail;
		}
		if (!S_ISSOCK(st.st_mode)) {
			r = -EEXIST;
			goto fail;
		}
		int live = probe_live(&sa, len);
		if (live != 0) {
			r = live > 0 ? -EADDRINUSE : live;
			goto fail;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			goto fail;
		}
	}
	if (listen(fd, 16) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int fdhold_connect(const char *path, struct fdhold_hello *hello)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = make_addr(path, &sa, &len);

	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = set_send_timeout(fd);
	if (r == 0) {
		do
			r = connect(fd, (struct sockaddr *)&sa, len);
		while (r < 0 && errno == EINTR);
		r = r < 0 ? (errno == EAGAIN ? -ETIMEDOUT : -errno)
			  : session_start(fd, hello);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Closes the fds from first to last, if any; 0 or -1 (errno). */
static int close_span(unsigned first, unsigned last)
{
#ifdef SYS_close_range
	return first > last ? 0 : (int)syscall(SYS_close_range, first, last, 0u);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* In the child of fdhold_spawn, before exec: only async-signal-safe calls.
 * Closes every fd from 3 up except keep1 and keep2 (3 <= keep1 < keep2). */
static void close_others(int keep1, int keep2)
{
	if (close_span(3, (unsigned)keep1 - 1) == 0 &&
	    close_span((unsigned)keep1 + 1, (unsigned)keep2 - 1) == 0 &&
	    close_span((unsigned)keep2 + 1, ~0u) == 0)
		return;
	/* Kernels before 5.9: one by one up to the fd limit. */
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < max; fd++)
		if (fd != keep1 && fd != keep2)
			close((int)fd);
}

/* Moves fd to 3 or above (the child puts /dev/null on 0 and 1), keeping
 * it close-on-exec. Returns the fd or -1 (errno). */
static int above_stdio(int fd)
{
	if (fd >= 3)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = errno;
	close(fd);
	errno = err;
	return n;
}

static noreturn void spawn_child(int lfd, int conn, char *const argv[])
{
	sigset_t none;
	uint8_t msg[FDHOLD_HDR_LEN];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* A kill of our process group (a service manager stopping the
	 * client) must not reach the holder. */
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
	}
	/* Both were opened close-on-exec so no other child of the client
	 * inherits them; this one must. */
	fcntl(lfd, F_SETFD, 0);
	fcntl(conn, F_SETFD, 0);
	close_others(MIN(lfd, conn), MAX(lfd, conn));
	execv(argv[0], argv);
	int n = fdhold_encode_err(msg, sizeof(msg), errno ? errno : ENOEXEC,
				  NULL, 0);
	if (n > 0)
		fdhold_send(conn, msg, (size_t)n, NULL, 0, 0);
	_exit(127);
}

int fdhold_spawn(const char *path, const char *holder_binary, int *sock,
		 pid_t *pid)
{
	char lbuf[16], cbuf[16];
	struct stat st;
	struct fdhold_hello hello;
	int sp[2];
	int lfd = fdhold_listen(path);

	if (lfd < 0)
		return lfd;
	int r = lstat(path, &st) < 0 ? -errno : 0;
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		r = -errno;
	if (r == 0 && ((lfd = above_stdio(lfd)) < 0 ||
		       (sp[1] = above_stdio(sp[1])) < 0)) {
		r = -errno;
		close(sp[0]);
		if (sp[1] >= 0)
			close(sp[1]);
	}
	if (r < 0) {
		unlink(path);
		if (lfd >= 0)
			close(lfd);
		return r;
	}
	/* Formatted before fork: the child calls async-signal-safe
	 * functions only. */
	snprintf(lbuf, sizeof(lbuf), "%d", lfd);
	snprintf(cbuf, sizeof(cbuf), "%d", sp[1]);
	char *const argv[] = {
		(char *)holder_binary, "--socket", (char *)path,
		"--fd-listen", lbuf, "--fd-conn", cbuf, NULL,
	};
	pid_t child = fork();
	if (child == 0)
		spawn_child(lfd, sp[1], argv);
	if (child < 0)
		r = -errno;
	close(lfd);
	close(sp[1]);
	if (r == 0)
		r = session_start(sp[0], &hello);
	/* (hello.pid says nothing here: a socketpair's peer credentials are
	 * those of its maker, us.) */
	if (r == 0) {
		*sock = sp[0];
		*pid = child;
		return 0;
	}
	close(sp[0]);
	if (child > 0) {
		kill(child, SIGKILL);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
		}
	}
	/* Remove the socket file we made, unless someone replaced it. */
	struct stat now;
	if (lstat(path, &now) == 0 && now.st_dev == st.st_dev &&
	    now.st_ino == st.st_ino)
		unlink(path);
	return r;
}

int fdhold_put(int sock, const uint64_t *keys, const int *fds, size_t n,
	       int flags)
{
	uint8_t buf[FDHOLD_MSG_MAX];
	int len = fdhold_encode_put(buf, sizeof(buf), keys, n);

	if (len < 0)
		return len;
	return fdhold_send(sock, buf, (size_t)len, fds, (int)n, flags);
}

int fdhold_drop(int sock, const uint64_t *keys, size_t n, int flags)
{
	uint8_t buf[FDHOLD_MSG_MAX];
	int len = fdhold_encode_drop(buf, sizeof(buf), keys, n);

	if (len < 0)
		return len;
	return fdhold_send(sock, buf, (size_t)len, NULL, 0, flags);
}

int fdhold_take(int sock, fdhold_take_fn fn, void *ctx)
{
	uint8_t buf[FDHOLD_HDR_LEN];
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	int total = 0;
	int r = fdhold_encode_take(buf, sizeof(buf));

	if (r >= 0)
		r = fdhold_send(sock, buf, (size_t)r, NULL, 0, 0);
	if (r < 0)
		return r;
	for (;;) {
		r = fdhold_recv(sock, &m, fds, FDHOLD_TIMEOUT_MS);
		if (r == -EAGAIN)
			return -ETIMEDOUT;
		if (r < 0)
			return r;
		switch (m.op) {
		case FDHOLD_FDS:
			for (uint32_t i = 0; i < m.nkeys; i++) {
				r = fn(ctx, m.keys[i], fds[i]);
				if (r < 0) {
					while (++i < m.nkeys)
						close(fds[i]);
					return r;
				}
				total++;
			}
			break;
		case FDHOLD_ERR:
			if (m.nkeys == 0)
				return -(int)m.arg;
			for (uint32_t i = 0; i < m.nkeys; i++)
				if ((r = fn(ctx, m.keys[i], -(int)m.arg)) < 0)
					return r;
			break;
		case FDHOLD_END:
			return m.arg == (uint32_t)total ? total : -EPROTO;
		default: /* HELLO */
			break;
		}
	}
}

int fdhold_release(int sock)
{
	uint8_t buf[FDHOLD_HDR_LEN];
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	int r = fdhold_encode_release(buf, sizeof(buf));

	if (r >= 0)
		r = fdhold_send(sock, buf, (size_t)r, NULL, 0, 0);
	if (r < 0)
		return r;
	/* Answers to earlier requests may still come; the end of the session
	 * is the holder's acknowledgement. */
	for (;;) {
		r = fdhold_recv(sock, &m, fds, FDHOLD_TIMEOUT_MS);
		if (r == -ECONNRESET)
			return 0;
		if (r == -EAGAIN)
			return -ETIMEDOUT;
		if (r < 0)
			return r;
		for (uint32_t i = 0; m.op == FDHOLD_FDS && i < m.nkeys; i++)
			close(fds[i]);
	}
}

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

int fdhold_find_binary(const char *given, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n;

	if (given) {
		snprintf(out, cap, "%s", given);
		return executable(out) ? 0 : -ENOENT;
	}
	/* Next to the running program: they are installed (and built)
	 * together. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, cap, "%s/" FDHOLD_PROGRAM, self);
			if (executable(out))
				return 0;
		}
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		if (l && snprintf(out, cap, "%.*s/" FDHOLD_PROGRAM, (int)l, path) > 0 &&
		    executable(out))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}
