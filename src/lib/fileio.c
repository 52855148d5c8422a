#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory holding dirfd/name, for the fsync that makes a rename
 * durable: dirfd itself, or for a path the directory part of it. */
static int open_parent(int dirfd, const char *name)
{
	char dir[PATH_MAX];
	const char *slash;

	if (dirfd != AT_FDCWD)
		return fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	slash = strrchr(name, '/');
	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (slash == name)
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((size_t)(slash - name) >= sizeof(dir))
		return -1;
	memcpy(dir, name, (size_t)(slash - name));
	dir[slash - name] = '\0';
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int file_replace(int dirfd, const char *name, const void *buf, size_t len,
		 mode_t mode, unsigned flags, const char **op)
{
	char tmp[PATH_MAX];
	const char *step = "name";
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	step = "create";
	/* O_NOFOLLOW: a symlink planted at NAME.tmp must not redirect the
	 * write. O_TRUNC: a temporary left by a crash is ours to reuse. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, mode);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	step = "write";
	err = fd_write_all(fd, buf, len);
	if (!err && (flags & FILE_REPLACE_SYNC)) {
		step = "fsync";
		if (fsync(fd) < 0)
			err = -errno;
	}
	if (close(fd) < 0 && !err) {
		step = "close";
		err = -errno;
	}
	if (!err) {
		step = "rename";
		if (renameat(dirfd, tmp, dirfd, name) < 0)
			err = -errno;
	}
	if (err) {
		IGNORE_RESULT(unlinkat(dirfd, tmp, 0));
		goto out;
	}
	if (flags & FILE_REPLACE_SYNC) {
		/* The rename is visible already; a directory that cannot be
		 * synced (some file systems refuse) cannot undo it. */
		int d = open_parent(dirfd, name);
		if (d >= 0) {
			IGNORE_RESULT(fsync(d));
			close(d);
		}
	}
out:
	if (err && op)
		*op = step;
	return err;
}
