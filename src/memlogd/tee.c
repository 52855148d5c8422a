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

ssize_t tee_copy(struct tee *t, int memfd, loff_t *at, const char *bytes,
		 size_t n)
{
	ssize_t w;

	if (n == 0)
		return 0;
	for (;;) {
		if (t->kind != TEE_SOCKET && !t->no_splice) {
			w = splice(memfd, at, t->ev.fd, NULL, n,
				   SPLICE_F_NONBLOCK);
			if (w < 0 && errno == EINVAL) {
				t->no_splice = true;
				continue;
			}
		} else {
			w = t->kind == TEE_SOCKET
				? send(t->ev.fd, bytes, n, MSG_DONTWAIT | MSG_NOSIGNAL)
				: write(t->ev.fd, bytes, n);
			if (w > 0)
				*at += w;
		}
		if (w >= 0) {
			t->copied += (uint64_t)w;
			return w;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -errno;
	}
}

void tee_close(struct tee *t)
{
	if (t->ev.fd >= 0)
		fd_close_nowait(t->ev.fd);
	t->ev.fd = -1;
}
