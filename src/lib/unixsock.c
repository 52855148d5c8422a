#include "unixsock.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int unixsock_addr(const char *path, struct sockaddr_un *sa, socklen_t *len)
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

/* ECONNREFUSED is the kernel's word for a socket file with nobody bound
 * behind it. */
static int probe_addr(const struct sockaddr_un *sa, socklen_t len, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r;

	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, len);
	int err = errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EPROTOTYPE)
		return 1; /* live (EPROTOTYPE: a socket of the other kind) */
	if (err == ECONNREFUSED)
		return 0;
	return -err;
}

int unixsock_probe(const char *path, int type)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = unixsock_addr(path, &sa, &len);

	return r < 0 ? r : probe_addr(&sa, len, type);
}

int unixsock_bind(const char *path, int type, mode_t mode)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = unixsock_addr(path, &sa, &len);

	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* The file bind() creates takes the process's umask: set for this
	 * moment, so the file never has a wider mode than asked, nor a
	 * narrower one. */
	mode_t old = umask(~mode & 0777);
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
		int live = probe_addr(&sa, len, type);
		if (live != 0) {
			r = live > 0 ? -EADDRINUSE : live;
			goto fail;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			goto fail;
		}
	}
	umask(old);
	return fd;
fail:
	umask(old);
	close(fd);
	return r;
}
