/* The holder: one epoll loop over the listening socket, the session, the
 * connections not yet promoted to the session, and SIGTERM (signalfd). The
 * fds it holds are never watched: holding costs nothing while nobody
 * talks to it. */
#ifndef FDHOLDER_HOLDER_H
#define FDHOLDER_HOLDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fdhold.h"
#include "fdtable.h"

/* Connections accepted but not yet the session (see holder.c): at most
 * this many wait at once; one more closes the oldest of them. */
#define HOLDER_CANDIDATES 4

/* Requests of an old session carried out at most when a new session
 * replaces it (holder.c, session_drain). */
#define HOLDER_DRAIN_MAX 65536

struct holder_conn {
	int fd;        /* -1: unused */
	pid_t pid;     /* the peer's pid (SO_PEERCRED), for messages */
	uint64_t age;  /* when it was accepted, in accepts: the oldest goes */
};

struct holder {
	int epfd;
	int listen_fd;
	int sig_fd;                 /* signalfd for SIGTERM */
	int spare_fd;               /* /dev/null, given up to accept at EMFILE */
	const char *path;           /* the socket file (removed at the end) */
	dev_t path_dev;             /* ... if it is still this one */
	ino_t path_ino;
	bool path_known;            /* path_dev/path_ino are set */
	uid_t uid;                  /* the only uid served: our euid */
	uint32_t max_fds;           /* fds held at most (--max-fds) */
	struct fdtable table;       /* what is held */

	struct holder_conn session; /* the client; fd -1 when none */
	uint32_t session_events;    /* what the session is watched for */
	struct holder_conn cand[HOLDER_CANDIDATES];
	uint64_t accepts;           /* connections accepted so far */

	/* The session's one message not yet sent (the kernel's buffer was
	 * full); while it waits, nothing more is read from the session, so the
	 * table cannot change under a TAKE in progress. */
	uint8_t out[FDHOLD_MSG_MAX];
	size_t out_len;             /* 0: nothing waits */
	int out_fds[FDHOLD_KEYS_MAX]; /* held fds it carries (not owned) */
	int out_nfds;
	bool taking;                /* a TAKE is being answered */
	size_t take_pos;            /* where in the table it is */
	uint32_t take_sent;         /* fds sent so far for it */

	uint64_t refused;           /* connections of another uid */
	uint64_t malformed;         /* sessions closed for a bad message */
	uint64_t refused_puts;      /* PUTs answered with ERR */
	bool done;                  /* RELEASE or SIGTERM: leave the loop */
};

/* Takes over listen_fd (bound, listening, non-blocking) and conn_fd (a
 * first session, or -1) and sets up the loop. path is the socket file.
 * Returns 0 or negative errno (printed). */
int holder_init(struct holder *h, const char *path, int listen_fd,
		int conn_fd, uint32_t max_fds);

/* Runs until RELEASE or SIGTERM, then closes every held fd and removes the
 * socket file. Returns the exit status: 0, or 1 when the loop failed. */
int holder_run(struct holder *h);

#endif
