#include "compress.h"
#include "util.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define CHUNK (64u << 10)

/* Deflates in into out as gzip. Returns 0, or -errno with *op set. */
static int deflate_fd(int in, int out, const char **op)
{
	static unsigned char ibuf[CHUNK], obuf[CHUNK];
	z_stream z;
	int flush, zr, r = 0;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a 32 KiB window with a gzip header and trailer. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		*op = "deflateInit";
		return -ENOMEM;
	}
	do {
		ssize_t n = read(in, ibuf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*op = "read";
			r = -errno;
			break;
		}
		z.next_in = ibuf;
		z.avail_in = (uInt)n;
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			z.next_out = obuf;
			z.avail_out = CHUNK;
			zr = deflate(&z, flush);
			if (zr == Z_STREAM_ERROR) {
				*op = "deflate";
				r = -EIO;
				break;
			}
			r = fd_write_all(out, obuf, CHUNK - z.avail_out);
			if (r < 0)
				*op = "write";
		} while (r == 0 && z.avail_out == 0);
	} while (r == 0 && flush != Z_FINISH);
	deflateEnd(&z);
	return r;
}

int compress_file(int dirfd, const char *src, const char *dst, bool sync,
		  uint64_t *ino, struct io_err *e)
{
	char tmp[IOERR_FILE_MAX];
	struct stat st, ost;
	struct timespec times[2];
	const char *op = "compress";
	int in, out, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
		return io_fail(e, ENAMETOOLONG, "compress", dst);
	/* O_NONBLOCK: whatever is there, opening it must not block. */
	in = openat(dirfd, src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (in < 0)
		return io_fail(e, errno, "open", src);
	if (fstat(in, &st) < 0) {
		r = io_fail(e, errno, "stat", src);
		close(in);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(in);
		return io_fail(e, EINVAL, "compress (not a regular file)", src);
	}
	out = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		     O_NOFOLLOW | O_NONBLOCK, st.st_mode & 0777);
	if (out < 0) {
		r = io_fail(e, errno, "create", tmp);
		close(in);
		return r;
	}
	r = fstat(out, &ost) < 0 ? -errno : 0;
	if (r == 0)
		r = deflate_fd(in, out, &op);
	close(in);
	if (r == 0 && sync && fsync(out) < 0) {
		r = -errno;
		op = "fsync";
	}
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (r == 0 && futimens(out, times) < 0) {
		r = -errno;
		op = "set the time of";
	}
	if (close(out) < 0 && r == 0) {
		r = -errno;
		op = "close";
	}
	if (r == 0 && renameat2(dirfd, tmp, dirfd, dst, RENAME_NOREPLACE) < 0 &&
	    (errno != EINVAL || linkat(dirfd, tmp, dirfd, dst, 0) < 0 ||
	     unlinkat(dirfd, tmp, 0) < 0)) {
		/* (Without RENAME_NOREPLACE, a link never replaces either.) */
		r = -errno;
		op = "rename";
	}
	if (r < 0) {
		IGNORE_RESULT(unlinkat(dirfd, tmp, 0));
		return io_fail(e, -r, op, tmp);
	}
	if (sync && fsync(dirfd) < 0)
		return io_fail(e, errno, "fsync the directory after", dst);
	if (unlinkat(dirfd, src, 0) < 0 && errno != ENOENT)
		return io_fail(e, errno, "remove", src);
	*ino = (uint64_t)ost.st_ino;
	return 0;
}
