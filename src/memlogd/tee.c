#include "tee.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads for a destination whose free room is unknown (socket, tty) are
 * capped here: it bounds what a stalled destination can leave kept. */
#define TEE_BLIND_CHUNK (64u << 10)

/* A new open file on the same pipe or terminal, non-blocking, or -errno. */
static int reopen_nonblock(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return nfd < 0 ? -errno : nfd;
}

int tee_open(struct tee *t, int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	int r;

	memset(t, 0, sizeof(*t));
	t->ev.fd = -1;
	if (fl < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if ((fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH)) {
		r = -EBADF;
		goto fail;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO:
	case S_IFCHR: {
		t->kind = S_ISFIFO(st.st_mode) ? TEE_PIPE : TEE_OTHER;
		int nfd = reopen_nonblock(fd);
		if (nfd >= 0) {
			close(fd);
			fd = nfd;
		} else if ((r = fd_set_nonblock(fd)) < 0) {
			goto fail;
		}
		if (t->kind == TEE_PIPE) {
			int cap = fcntl(fd, F_GETPIPE_SZ);
			t->pipe_cap = cap > 0 ? (size_t)cap : 4096;
		}
		break;
	}
	case S_IFSOCK:
		t->kind = TEE_SOCKET;
		break;
	case S_IFREG:
		/* Written as it is: a regular file does not block (and a reopen
		 * would lose the writer's offset). */
		t->kind = TEE_OTHER;
		break;
	default:
		r = -EINVAL;
		goto fail;
	}
	t->ev.fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

size_t tee_room(const struct tee *t, size_t max)
{
	if (t->kind == TEE_PIPE) {
		int queued = 0;
		if (ioctl(t->ev.fd, FIONREAD, &queued) < 0 || queued < 0)
			queued = 0;
		size_t room = (size_t)queued >= t->pipe_cap ? 0
			      : t->pipe_cap - (size_t)queued;
		return MIN(room, max);
	}
	return MIN(max, (size_t)TEE_BLIND_CHUNK);
}

/* One non-blocking write: bytes written, 0 when there is no room, or
 * negative errno. */
static ssize_t put(struct tee *t, const char *buf, size_t len)
{
	for (;;) {
		ssize_t n = t->kind == TEE_SOCKET
			? send(t->ev.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
			: write(t->ev.fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -errno;
	}
}

int tee_write(struct tee *t, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = put(t, buf + done, len - done);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		done += (size_t)n;
		t->copied += (uint64_t)n;
	}
	if (done == len)
		return 0;
	/* Nothing is kept already (the source is not read while it is). */
	char *p = malloc(len - done);
	if (!p)
		return -ENOMEM;
	memcpy(p, buf + done, len - done);
	t->pend = p;
	t->pend_len = len - done;
	t->pend_off = 0;
	return 1;
}

int tee_flush(struct tee *t)
{
	while (tee_pending(t)) {
		ssize_t n = put(t, t->pend + t->pend_off, t->pend_len - t->pend_off);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 1;
		t->pend_off += (size_t)n;
		t->copied += (uint64_t)n;
	}
	free(t->pend);
	t->pend = NULL;
	t->pend_len = t->pend_off = 0;
	return 0;
}

void tee_close(struct tee *t)
{
	free(t->pend);
	t->pend = NULL;
	t->pend_len = t->pend_off = 0;
	if (t->ev.fd >= 0)
		close(t->ev.fd);
	t->ev.fd = -1;
}
