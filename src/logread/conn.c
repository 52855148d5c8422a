#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int conn_open(const char *path, bool nowait)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, err;

	if (len == 0)
		return -ENOENT;
	if (len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    (nowait ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	/* No signal handler is installed, so connect() is not interrupted.
	 * A unix socket's connect() is done at once or refused: there is
	 * no EINPROGRESS to wait for. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		if (!nowait || fcntl(fd, F_SETFL, 0) == 0)
			return fd;
	}
	err = -errno;
	close(fd);
	return err;
}

int conn_send(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}
