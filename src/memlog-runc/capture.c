#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "register.h"

enum capture_target capture_classify(int fd)
{
	struct stat st;
	int flags = fcntl(fd, F_GETFD);

	/* Close-on-exec: runc will not have it (memlog-runc's stand-in for
	 * an fd that was closed, see main.c). */
	if (flags < 0 || (flags & FD_CLOEXEC))
		return CAPTURE_CLOSED;
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	    st.st_rdev == makedev(1, 3))
		return CAPTURE_DEVNULL;
	return CAPTURE_TEE;
}

/* A pipe with both ends above the standard fds (a closed fd 0, 1 or 2
 * would otherwise be reused for it and then clobbered by dup2), both
 * close-on-exec. */
static int pipe_above_stdio(int p[2])
{
	int raw[2];

	if (pipe2(raw, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		p[i] = raw[i] > 2 ? raw[i] : fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
		if (p[i] < 0) {
			int err = -errno;

			close(raw[0]);
			close(raw[1]);
			if (i == 1 && p[0] != raw[0])
				close(p[0]);
			return err;
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i] != raw[i])
			close(raw[i]);
	return 0;
}

int capture_start(const char *socket, const char *name, size_t name_len,
		  struct capture_result *res)
{
	char names[2][REG_NAME_MAX + 1];
	size_t lens[2];
	int wr[2] = { -1, -1 };
	struct registrar reg;
	int n = 0, r;

	memset(res, 0, sizeof(*res));
	if (name_len > REG_NAME_MAX - 4)
		return -ENAMETOOLONG;
	memcpy(names[0], name, name_len);
	memcpy(names[0] + name_len, ".out", 4);
	lens[0] = name_len + 4;
	memcpy(names[1], name, name_len);
	lens[1] = name_len;

	/* Before anything is opened here, which could take a free fd 1. */
	for (int i = 0; i < 2; i++)
		res->target[i] = capture_classify(i + 1);
	if (res->target[0] == CAPTURE_CLOSED && res->target[1] == CAPTURE_CLOSED)
		return 0;
	r = registrar_open(&reg, socket);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		int fd = i + 1;
		enum stream s = i == 0 ? STREAM_STDOUT : STREAM_STDERR;
		int p[2] = { -1, -1 };

		if (res->target[i] == CAPTURE_CLOSED)
			continue;
		r = pipe_above_stdio(p);
		if (r < 0) {
			res->error[i] = r;
		} else {
			/* With ack=1: a registration memlogd refuses (too many
			 * sources, out of fds) must not leave the container
			 * writing into a pipe nobody reads. */
			r = registrar_send_acked(&reg, names[i], lens[i], s, p[0],
						 res->target[i] == CAPTURE_TEE ? fd : -1,
						 CAPTURE_ACK_TIMEOUT_MS,
						 res->why[i], sizeof(res->why[i]));
			if (r < 0) {
				close(p[0]);
				close(p[1]);
				res->error[i] = r;
			}
		}
		if (r < 0) {
			/* Nothing registered yet (stdout failed, or was
			 * closed and stderr failed): memlogd is taken as not
			 * there and nothing changes. */
			if (wr[0] < 0) {
				registrar_close(&reg);
				return r;
			}
			continue;
		}
		/* memlogd holds its own copies now. */
		close(p[0]);
		wr[i] = p[1];
	}
	registrar_close(&reg);
	/* Only now: the copy fds above were our fds 1 and 2 as they were,
	 * and were already handed over when sendmsg() returned. */
	for (int i = 0; i < 2; i++) {
		if (wr[i] < 0)
			continue;
		if (dup2(wr[i], i + 1) < 0) {
			res->error[i] = -errno;
		} else {
			res->captured[i] = true;
			n++;
		}
		close(wr[i]);
	}
	return n;
}
