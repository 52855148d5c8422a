#include "notice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "register.h"

size_t notice_format(char *out, size_t cap, const char *name, const char *id,
		     const char *stream, const char *why)
{
	int n;
	size_t len;

	if (name && name[0] && strcmp(name, id) != 0)
		n = snprintf(out, cap, "container %s (id %s)", name, id);
	else
		n = snprintf(out, cap, "container %s", id);
	len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
	if (stream)
		n = snprintf(out + len, cap - len, ": %s not captured: %s",
			     stream, why);
	else
		n = snprintf(out + len, cap - len, " not captured: %s", why);
	len += n < 0 ? 0 : (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	if (len > cap - 2) {
		/* Room for the newline; drop a cut UTF-8 character whole. */
		len = cap - 2;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '_';
	out[len++] = '\n';
	out[len] = '\0';
	return len;
}

int notice_send(const char *socket, const char *line, size_t len)
{
	struct registrar reg;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* The whole line, then end of file: memlogd needs nothing more
	 * from us once it has the read end. */
	r = fd_write_all(p[1], line, len);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	r = registrar_open(&reg, socket);
	if (r == 0) {
		/* Not the registrar's 5 s wait for room: a notice must
		 * never hold up the container. */
		if (fcntl(reg.sock, F_SETFL, O_NONBLOCK) < 0)
			r = -errno;
		else
			r = registrar_send(&reg, NOTICE_SOURCE,
					   sizeof(NOTICE_SOURCE) - 1,
					   STREAM_STDERR, p[0]);
		registrar_close(&reg);
	}
	close(p[0]);
	return r;
}
