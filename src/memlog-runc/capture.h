/* Connecting a container's stdout and stderr to memlogd on the way to
 * runc: for each stream a pipe whose read end memlogd takes (registered
 * with memlog's tee: memlogd stores the lines and copies every byte on to
 * the fd the engine gave us, with back-pressure), and whose write end
 * becomes our fd 1 or 2, which runc hands to the container. */
#ifndef MEMLOG_RUNC_CAPTURE_H
#define MEMLOG_RUNC_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

/* What the engine gave us on fd 1 or 2, which decides how it is captured. */
enum capture_target {
	CAPTURE_CLOSED,  /* no fd, or close-on-exec (runc will not get it):
			  * left as it is, not captured */
	CAPTURE_DEVNULL, /* /dev/null: the engine discards it; memlogd keeps
			  * the lines (plain registration, no copy) */
	CAPTURE_TEE,     /* anything else: registered with tee */
};

/* How long memlogd's answer to a registration is waited for. Past it the
 * stream is left as it was (memlogd, busy, may take the pipe later: it
 * then sees end of file at once, nothing is lost). */
#define CAPTURE_ACK_TIMEOUT_MS 3000

struct capture_result {
	bool captured[2];          /* [0] stdout, [1] stderr */
	enum capture_target target[2];
	int error[2];              /* -errno of a failed registration, or 0:
				    * -EPERM refused (why says why),
				    * -ETIMEDOUT no answer, -EPROTO not
				    * memlog's memlogd */
	char why[2][128];          /* memlogd's reason for a refusal */
};

/* Classifies fd (1 or 2) as capture_start() will treat it. */
enum capture_target capture_classify(int fd);

/* Registers the streams under NAME.out (stdout) and NAME (stderr) with the
 * memlogd at socket and puts the pipes' write ends on fds 1 and 2. stdout
 * is registered first: if that fails memlogd is taken as unreachable and
 * nothing changes (returns its -errno; -ENAMETOOLONG/-EINVAL for a bad
 * socket path); if only stderr fails, stdout stays captured and stderr is
 * left as it was (res->error[1] says why). Returns the number of streams
 * captured (0 when both fds are closed). */
int capture_start(const char *socket, const char *name, size_t name_len,
		  struct capture_result *res);

#endif
