#include "relay.h"
#include "backoff.h"
#include "diag.h"
#include "util.h"
#include "kmsg.h"
#include "register.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define ANSWER_MS 5000

enum { GO_ON = -1, EXIT_OK = 0, EXIT_FAIL = 1 };

/* Writes one record to the relay pipe (non-blocking), waiting for room
 * but not past a stop signal, so that a memlogd that does not read (a
 * stopped one) cannot hold memlog-kmsg against SIGTERM. Returns 0,
 * -EINTR on a stop signal, or write()'s negative errno (-EPIPE: memlogd
 * went away). */
static int write_record(int wfd, const char *buf, size_t len,
			const sigset_t *waitmask)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(wfd, buf + done, len - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd p = { .fd = wfd, .events = POLLOUT };
		if (ppoll(&p, 1, NULL, waitmask) < 0 && errno == EINTR)
			return -EINTR;
	}
	return 0;
}

/* Waits ms, or until a stop signal: returns false on the latter. */
static bool pause_ms(uint32_t ms, const sigset_t *waitmask)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	return !(ppoll(NULL, 0, &ts, waitmask) < 0 && errno == EINTR);
}

/* A pipe registered with memlogd as the relay: its write end into *wfd.
 * GO_ON when done; memlogd's refusals, a daemon that does not know
 * relays and a socket we may not use end the program; while memlogd
 * cannot be reached (not there yet, restarting), tries again (said once)
 * until a stop signal (EXIT_OK). */
static int connect_relay(const char *socket, int *wfd, const sigset_t *waitmask)
{
	static const char payload[] = "kmsg\0relay=kernel";
	struct backoff b;
	bool said = false;

	backoff_init(&b, 100, 5000);
	for (;;) {
		struct registrar reg;
		char why[256] = "";
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			diag_warn_err(errno, "pipe");
			return EXIT_FAIL;
		}
		int r = registrar_open(&reg, socket);
		if (r == 0)
			r = registrar_send_payload_acked(&reg, payload,
							 sizeof(payload) - 1,
							 p[0], ANSWER_MS, why,
							 sizeof(why));
		registrar_close(&reg);
		close(p[0]);
		if (r == 0 && (r = fd_set_nonblock(p[1])) == 0) {
			if (said)
				diag_warn("relaying to %s again", socket);
			*wfd = p[1];
			return GO_ON;
		}
		close(p[1]);
		if (r == -EPERM) {
			diag_warn("memlogd at %s refused the relay: %s", socket,
				  why);
			return EXIT_FAIL;
		}
		if (r == -EPROTO) {
			diag_warn("%s: not memlog's memlogd (no answer to "
				  "ack=1): it cannot take a relay", socket);
			return EXIT_FAIL;
		}
		if (r == -ENAMETOOLONG || r == -EINVAL || r == -EACCES) {
			diag_warn_err(r, "%s", socket);
			return EXIT_FAIL;
		}
		if (!said)
			diag_warn("cannot reach memlogd at %s (%s); trying "
				  "again", socket, strerror(-r));
		said = true;
		if (!pause_ms(backoff_next(&b), waitmask))
			return EXIT_OK;
	}
}

int relay_run(const struct memlog_kmsg_opts *o, int kfd,
	      const sigset_t *waitmask)
{
	char buf[KMSG_READ_MAX];
	int wfd = -1, r;

	for (;;) {
		if (wfd < 0) {
			if ((r = connect_relay(o->relay, &wfd, waitmask)) != GO_ON)
				return r;
			/* From the oldest record the kernel holds: a new
			 * memlogd may have missed what the last one was
			 * sent; memlogd skips what it has by seq. */
			lseek(kfd, 0, SEEK_SET);
		}
		ssize_t n = read(kfd, buf, sizeof(buf));
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten: memlogd sees the seq gap */
		if (n < 0 && errno == EAGAIN) {
			if (o->no_follow)
				break;
			struct pollfd p[2] = {
				{ .fd = kfd, .events = POLLIN },
				/* memlogd gone: POLLERR on the write end */
				{ .fd = wfd, .events = 0 },
			};
			if (ppoll(p, 2, NULL, waitmask) < 0 && errno == EINTR)
				break; /* SIGTERM or SIGINT */
			if (p[1].revents & (POLLERR | POLLHUP)) {
				close(wfd);
				wfd = -1;
			}
			continue;
		}
		if (n < 0) {
			diag_warn_err(errno, "read %s", o->kmsg);
			close(wfd);
			return EXIT_FAIL;
		}
		if (n == 0)
			break;
		/* One record per write (whole up to PIPE_BUF; a longer one
		 * may reach memlogd in pieces, which it puts together, and
		 * one cut by our stop is dropped there and sent again by
		 * the next relay). */
		r = write_record(wfd, buf, (size_t)n, waitmask);
		if (r == -EINTR) {
			break; /* SIGTERM or SIGINT */
		} else if (r == -EPIPE) {
			close(wfd);
			wfd = -1; /* memlogd went away: again from the start */
		} else if (r < 0) {
			diag_warn_err(r, "relay to memlogd");
			close(wfd);
			return EXIT_FAIL;
		}
	}
	close(wfd);
	return EXIT_OK;
}
