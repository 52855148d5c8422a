#include "cursorfile.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cursorfile_read(const char *path, char out[CURSOR_TEXT_MAX + 1])
{
	char buf[CURSOR_TEXT_MAX + 64];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 0;
	if (!cursor_text_ok(buf, len))
		return -EINVAL;
	memcpy(out, buf, len);
	out[len] = '\0';
	return 1;
}

static char *tmp_path(const char *path)
{
	char *t;

	if (asprintf(&t, "%s.tmp", path) < 0)
		return NULL;
	return t;
}

int cursorfile_probe(const char *path)
{
	char *tmp = tmp_path(path);
	int fd, err = 0;

	if (!tmp)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		err = -errno;
	else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return err;
}

int cursorfile_write(const char *path, const char *cursor, size_t len)
{
	char line[CURSOR_TEXT_MAX + 1];

	if (len > CURSOR_TEXT_MAX)
		return -EINVAL;
	memcpy(line, cursor, len);
	line[len++] = '\n';
	return file_replace(AT_FDCWD, path, line, len, 0644, FILE_REPLACE_SYNC,
			    NULL);
}
