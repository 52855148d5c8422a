/* memlog-forward's loop: one epoll set with the signals (signalfd),
 * memlogd's query connection and, for TCP/TLS, the receiver's socket.
 * Entries are read from memlogd only while the transport keeps up (at
 * most RUN_BACKLOG_MAX bytes queued), so a slow receiver costs memlogd's
 * ring, which tells us exactly what it overwrote, and never our memory.
 * RELP sends are synchronous (librelp), bounded by its window and
 * timeout; UDP sends never wait (what the kernel refuses is dropped). */
#ifndef FORWARD_RUN_H
#define FORWARD_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"
#include "client.h"
#include "cursor.h"
#include "options.h"
#include "reconn.h"
#include "relp.h"
#include "rfc5424.h"
#include "stream.h"
#include "udp.h"

#define RUN_BACKLOG_MAX (4u << 20) /* bytes queued for TCP/TLS at most */
#define RUN_BATCH_MAX (1u << 20)   /* bytes read from memlogd per turn */
#define RUN_SAVE_MS 100            /* state file written at most this often */
#define RUN_STOP_FLUSH_MS 2000     /* at a stop, time to write what is queued */
#define RUN_RELP_DRAIN_MS 1000     /* RELP messages in flight without progress
				    * this long: the session is closed politely
				    * to confirm them (run.c, relp_drain_idle) */

/* Exit statuses (docs/memlog-forward.md). */
enum fwd_exit {
	FWD_EXIT_STOPPED = 0,
	FWD_EXIT_START = 1,   /* cannot start */
	FWD_EXIT_USAGE = 2,
	FWD_EXIT_STATE = 3,   /* the state file is not a state file */
	FWD_EXIT_REFUSED = 4, /* memlogd refused the request itself ("bad
			       * request: ..."): asking again gets the same */
};

struct fwd_stats {
	uint64_t sent;         /* messages handed to the transport */
	uint64_t acknowledged; /* of them: acknowledged (RELP), written (TCP/TLS)
				* or taken by send() (UDP) */
	uint64_t retried;      /* messages sent again after a transport failure */
	uint64_t dropped;      /* entries memlogd overwrote before we read them */
	uint64_t filtered;     /* entries not sent (--priority) */
	uint64_t reconnects;   /* transport connections made after the first */
};

struct forwarder {
	const struct fwd_opts *opts;
	struct rfc5424_cfg fmt;
	struct timecache times; /* fmt.times */
	struct client mem;          /* memlogd's query connection */
	struct stream stream;       /* tcp://, tls:// */
	struct relp relp;           /* relp://, relps:// */
	struct udp udp;             /* udp:// */
	bool is_relp;
	bool is_udp;
	bool sink_up;               /* the transport is connected (or connecting) */
	bool sink_ever_up;
	bool sink_reported;         /* its failure was said; said again after success */
	bool sink_distrust;         /* the receiver sent data (a protocol error):
				     * writes do not reset the backoff */
	uint64_t sink_up_at;        /* when the transport connection began */
	bool mem_reported;          /* memlogd's error or unreadable answer was
				     * said; said again after an entry */
	struct reconn mem_rc;       /* memlogd lost: said, and its return */
	int epfd, sigfd;
	int mem_watch_fd;           /* what epoll holds for memlogd */
	uint32_t mem_watch_ev;
	int sink_watch_fd;
	uint32_t sink_watch_ev;
	uint64_t sink_at, mem_at;   /* earliest reconnect (monotonic ms) */
	uint64_t save_at;           /* earliest next state save (or retry) */
	uint64_t drain_at;          /* RELP: when to confirm what is in flight */
	struct backoff sink_bo, mem_bo;
	struct backoff state_bo;    /* retries of a failed state save */
	struct strbuf msg;          /* the message being encoded */
	char delivered[CURSOR_TEXT_MAX + 1]; /* newest entry delivered */
	char saved[CURSOR_TEXT_MAX + 1];     /* what the state file holds */
	char queued[CURSOR_TEXT_MAX + 1];    /* newest entry handed over */
	struct cursor resend_upto;  /* entries of this instance up to this
				     * seq are resends (has_resend) */
	bool has_resend;
	bool state_failed;          /* the last save failed (said once):
				     * nothing is read from memlogd */
	bool stop;
	int status;                 /* exit status when stopping (enum fwd_exit) */
	struct fwd_stats st;
};

/* Returns 0, or -1 after saying why on stderr. cursor: the state's. */
int run_init(struct forwarder *f, const struct fwd_opts *opts, const char *hostname,
	     const char *cursor, int sigfd);
void run_free(struct forwarder *f);
/* Runs until SIGTERM/SIGINT, or until memlogd refuses the request.
 * Returns the exit status. */
int run(struct forwarder *f);
void run_print_stats(const struct forwarder *f);

#endif
