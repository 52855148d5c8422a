#include "register.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

int registrar_open(struct registrar *r, const char *path)
{
	size_t len = strlen(path);
	struct timeval tv = { .tv_sec = REGISTRAR_SEND_TIMEOUT_S };

	r->sock = -1;
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(r->addr.sun_path))
		return -ENAMETOOLONG;
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.sun_family = AF_UNIX;
	memcpy(r->addr.sun_path, path, len);
	r->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);

	r->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->sock < 0)
		return -errno;
	/* A bound daemon that does not read fills its queue and would block
	 * us forever; give up after a while and let the caller fall back. */
	IGNORE_RESULT(setsockopt(r->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	return 0;
}

/* Builds the payload: the name alone when LinuxKit's naming convention
 * already tells the daemon the right stream (always, with NAME.out and
 * NAME), so that LinuxKit's own daemon, which takes the whole payload as
 * the name, sees exactly what its init would send; the name and memlog's
 * stream= attribute only when the convention would be wrong (a stderr name
 * that ends in ".out"). tee and ack add memlog's tee=1 and ack=1. */
static int build_payload(char *out, size_t cap, const char *name,
			 size_t name_len, enum stream s, bool tee, bool ack)
{
	const char *sname = stream_name(s);
	struct reg_attr attrs[3];
	unsigned n_attrs = 0;
	struct reg_msg inferred;
	int n = reg_build(out, cap, name, name_len, NULL, 0);

	if (n < 0)
		return n;
	reg_parse(out, (size_t)n, &inferred);
	if (inferred.stream != s)
		attrs[n_attrs++] = (struct reg_attr){
			.key = "stream", .key_len = 6,
			.val = sname, .val_len = strlen(sname),
		};
	if (tee)
		attrs[n_attrs++] = (struct reg_attr){
			.key = "tee", .key_len = 3, .val = "1", .val_len = 1,
		};
	if (ack)
		attrs[n_attrs++] = (struct reg_attr){
			.key = "ack", .key_len = 3, .val = "1", .val_len = 1,
		};
	if (!n_attrs)
		return n;
	return reg_build(out, cap, name, name_len, attrs, n_attrs);
}

static int send_fds(struct registrar *r, const char *name, size_t name_len,
		    enum stream s, const int *fds, int nfds, bool tee, bool ack)
{
	char payload[REG_DGRAM_MAX];
	int n = build_payload(payload, sizeof(payload), name, name_len, s,
			      tee, ack);

	if (n < 0)
		return n;
	return send_with_fds(r->sock, &r->addr, r->addr_len, payload,
			     (size_t)n, fds, nfds, 0);
}

int registrar_send(struct registrar *r, const char *name, size_t name_len,
		   enum stream s, int fd)
{
	return send_fds(r, name, name_len, s, &fd, 1, false, false);
}

int registrar_send_tee(struct registrar *r, const char *name, size_t name_len,
		       enum stream s, int fd, int copy_fd)
{
	int fds[2] = { fd, copy_fd };

	return send_fds(r, name, name_len, s, fds, 2, true, false);
}

/* Reads the daemon's one-line answer from fd within timeout_ms. */
static int read_answer(int fd, int timeout_ms, char *why, size_t why_cap)
{
	char line[256];
	size_t len = 0;
	uint64_t start = now_mono_ms();

	for (;;) {
		long spent = (long)(now_mono_ms() - start);
		if (spent >= timeout_ms)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)(timeout_ms - spent));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		line[len] = '\0';
		if (n == 0 || memchr(line, '\n', len) || len == sizeof(line) - 1)
			break;
	}
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, "ok") == 0)
		return 0;
	if (strncmp(line, "refused: ", 9) == 0) {
		if (why && why_cap)
			snprintf(why, why_cap, "%s", line + 9);
		return -EPERM;
	}
	/* End of file without an answer: a daemon that does not know ack=1
	 * (LinuxKit's) took the answer fd for a source or dropped it. */
	return -EPROTO;
}

int registrar_send_acked(struct registrar *r, const char *name,
			 size_t name_len, enum stream s, int fd, int copy_fd,
			 int timeout_ms, char *why, size_t why_cap)
{
	int ack[2];
	int fds[3], nfds = 0;

	if (why && why_cap)
		why[0] = '\0';
	if (pipe2(ack, O_CLOEXEC) < 0)
		return -errno;
	fds[nfds++] = fd;
	if (copy_fd >= 0)
		fds[nfds++] = copy_fd;
	fds[nfds++] = ack[1];
	int rc = send_fds(r, name, name_len, s, fds, nfds, copy_fd >= 0, true);
	close(ack[1]);
	if (rc == 0)
		rc = read_answer(ack[0], timeout_ms, why, why_cap);
	close(ack[0]);
	return rc;
}

int registrar_send_payload_acked(struct registrar *r, const void *payload,
				 size_t len, int fd, int timeout_ms, char *why,
				 size_t why_cap)
{
	static const char ack_attr[] = "\0ack=1";
	char buf[REG_DGRAM_MAX];
	int ack[2], fds[2], nfds = 0;

	if (why && why_cap)
		why[0] = '\0';
	if (len + sizeof(ack_attr) - 1 > sizeof(buf))
		return -ENOSPC;
	memcpy(buf, payload, len);
	memcpy(buf + len, ack_attr, sizeof(ack_attr) - 1);
	if (pipe2(ack, O_CLOEXEC) < 0)
		return -errno;
	if (fd >= 0)
		fds[nfds++] = fd;
	fds[nfds++] = ack[1];
	int rc = send_with_fds(r->sock, &r->addr, r->addr_len, buf,
			       len + sizeof(ack_attr) - 1, fds, nfds, 0);
	close(ack[1]);
	if (rc == 0)
		rc = read_answer(ack[0], timeout_ms, why, why_cap);
	close(ack[0]);
	return rc;
}

void registrar_close(struct registrar *r)
{
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
}
