#include "follow.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "conn.h"
#include "diag.h"
#include "util.h"

/* Waits ms, or until a stop signal: returns -1, or LR_EXIT_OK. Without a
 * signalfd a stop signal ends logread by itself. */
static int pause_ms(struct session *s, uint32_t ms)
{
	struct pollfd p = { .fd = s->sigfd, .events = POLLIN };
	uint64_t end = now_mono_ms() + ms;

	for (;;) {
		uint64_t now = now_mono_ms();
		int n;

		if (now >= end)
			return -1;
		n = poll(&p, 1, (int)(end - now)); /* an fd of -1: only waits */
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0) {
			struct signalfd_siginfo si;

			IGNORE_RESULT(read(s->sigfd, &si, sizeof(si)));
			return LR_EXIT_OK;
		}
	}
}

int follow_reconnect(struct session *s, int err)
{
	char buf[REQUEST_MAX];
	struct request req;
	int n;

	if (reconn_lost(&s->rc)) {
		if (err)
			diag_warn("cannot read from %s: %s; reconnecting", s->path,
				  strerror(-err));
		else
			diag_warn("memlogd closed the connection on %s; reconnecting",
				  s->path);
	}
	close(s->sock);
	s->sock = -1;
	session_pending(s);
	request_resume(s->first, s->pending_len ? s->pending : NULL, &req);
	/* From now on the request resumes after our own cursor: refusing it
	 * is no fault of the cursor file's. */
	if (s->pending_len)
		s->cursor_file = NULL;
	n = request_build(&req, buf, sizeof(buf));
	if (n < 0) {
		/* after=CURSOR takes the place of last=N, and may be longer. */
		diag_warn("cannot resume: the request after %s would be longer "
			  "than %d bytes; use fewer or shorter -source patterns",
			  s->pending, QUERY_LINE_MAX);
		return LR_EXIT_USAGE;
	}
	for (;;) {
		int code = pause_ms(s, backoff_next(&s->bo)), fd, r;

		if (code >= 0)
			return code;
		fd = conn_open(s->path, true);
		if (fd < 0)
			continue; /* the loss was said; so is the return */
		r = conn_send(fd, buf, (size_t)n);
		/* Refused before the request was read: the server's error line
		 * waits to be read, as any answer. */
		if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
			close(fd);
			continue;
		}
		session_attach(s, fd);
		session_expect(s, &req);
		reconn_connected(&s->rc, now_mono_ms());
		return -1;
	}
}

void follow_check_back(struct session *s, bool got)
{
	if (!reconn_back(&s->rc, s->sock, got, now_mono_ms()))
		return;
	/* An upgraded legacy request resumed after its cursor. */
	if (s->first->v2 || s->binary)
		diag_warn("connected to %s", s->path);
	else
		diag_warn("connected to %s; entries stored while logread was not "
			  "connected are not shown (LinuxKit's protocol has no "
			  "cursor to resume from: any memlog option, such as "
			  "-o short, has one)", s->path);
}
