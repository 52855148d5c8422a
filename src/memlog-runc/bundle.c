#include "bundle.h"
#include "util.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_small(const char *path, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf;
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* Read to the end (up to max + 1 bytes), not st_size: a file that
	 * grew meanwhile is noticed. */
	for (;;) {
		ssize_t k = read(fd, buf + n, max + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int bundle_replace_file(const char *path, const char *text, size_t len)
{
	char buf[PATH_MAX], tmp[PATH_MAX + 32];
	const char *dir;
	struct stat st;
	int fd, dfd, r;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	dir = dirname(buf); /* may point into buf */
	/* A symlink would be replaced by a file (the target left as it was),
	 * and where it points is not for us to judge: left alone. */
	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s/.config.json.memlog-runc-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fd_write_all(fd, text, len);
	if (r == 0 && fchmod(fd, st.st_mode & 07777) < 0)
		r = -errno;
	/* Keep the owner the engine gave it (a user namespace's root may
	 * need to read it); fails harmlessly when we are not root and it
	 * is ours anyway. */
	if (r == 0 && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		IGNORE_RESULT(fsync(dfd));
		close(dfd);
	}
	return 0;
}
