#include "fstate.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The next line of text at *pos (without '\n'); 0 at the end or for a
 * last line that has no '\n' (a cut file). */
static int next_line(const char *text, size_t len, size_t *pos, const char **line,
		     size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	nl = memchr(text + *pos, '\n', len - *pos);
	if (!nl)
		return 0;
	*line = text + *pos;
	*llen = (size_t)(nl - *line);
	*pos += *llen + 1;
	return 1;
}

bool fstate_cursor_ok(const char *s, size_t len)
{
	struct cursor c;

	return cursor_parse(s, len, &c) == 0;
}

int fstate_parse(const char *text, size_t len, char cursor[CURSOR_TEXT_MAX + 1],
		 const char **why)
{
	const char *l;
	size_t ll, pos = 0;
	char cur[CURSOR_TEXT_MAX + 1] = "";

	if (len > FSTATE_TEXT_MAX) {
		*why = "longer than a state file can be";
		return -EINVAL;
	}
	if (!next_line(text, len, &pos, &l, &ll) || ll != strlen(FSTATE_MAGIC) ||
	    memcmp(l, FSTATE_MAGIC, ll)) {
		*why = "it does not start with \"" FSTATE_MAGIC "\"";
		return -EINVAL;
	}
	if (!next_line(text, len, &pos, &l, &ll)) {
		*why = "it ends before \"end\"";
		return -EINVAL;
	}
	if (ll > 7 && !memcmp(l, "cursor ", 7)) {
		if (!fstate_cursor_ok(l + 7, ll - 7)) {
			*why = "its cursor is damaged: not one memlogd wrote";
			return -EINVAL;
		}
		memcpy(cur, l + 7, ll - 7);
		cur[ll - 7] = '\0';
		if (!next_line(text, len, &pos, &l, &ll)) {
			*why = "it ends before \"end\"";
			return -EINVAL;
		}
	}
	if (ll != 3 || memcmp(l, "end", 3)) {
		*why = "a line that is neither \"cursor CURSOR\" nor \"end\"";
		return -EINVAL;
	}
	if (pos != len) {
		*why = "something after \"end\"";
		return -EINVAL;
	}
	memcpy(cursor, cur, sizeof(cur));
	return 0;
}

int fstate_format(char out[FSTATE_FORMAT_MAX], const char *cursor)
{
	int n;

	if (*cursor && !fstate_cursor_ok(cursor, strlen(cursor)))
		return -EINVAL;
	n = *cursor ? snprintf(out, FSTATE_FORMAT_MAX, FSTATE_MAGIC "\ncursor %s\nend\n", cursor)
		: snprintf(out, FSTATE_FORMAT_MAX, FSTATE_MAGIC "\nend\n");
	return n;
}

int fstate_load(const char *path, char cursor[CURSOR_TEXT_MAX + 1], const char **why)
{
	char text[FSTATE_TEXT_MAX + 1];
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(text))
			break; /* too long: the parser says so */
	}
	close(fd);
	r = fstate_parse(text, len, cursor, why);
	return r < 0 ? r : 1;
}

int fstate_save(const char *path, const char *cursor, const char **op)
{
	char text[FSTATE_FORMAT_MAX];
	int n = fstate_format(text, cursor);

	if (n < 0) {
		*op = "format";
		return n;
	}
	return file_replace(AT_FDCWD, path, text, (size_t)n, 0644,
			    FILE_REPLACE_SYNC, op);
}
