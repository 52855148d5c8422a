/* logwrite's loop: one thread, one poll() over the query connection and a
 * signalfd, with deadlines for reconnecting and for retrying the disk.
 *
 * - memlogd not there or gone: reconnect after a capped exponential
 *   backoff (100 ms doubling to 5 s), resuming after the durable cursor;
 *   said once on stderr, and once when memlogd answers again (reconn.h:
 *   while memlogd restarts, its fd holder keeps the socket, so connecting
 *   succeeds before memlogd is back).
 * - A write, fsync, rename or compression fails (disk full, read-only,
 *   I/O error): what was not committed is dropped, the connection is
 *   closed (memlogd keeps the entries in its ring, or marks this reader
 *   as having missed them), and the durable state is recovered after the
 *   same kind of backoff; said once, and once when it works again
 *   (entries committed and no failure for RUN_DISK_QUIET_MS). Nothing
 *   here ever blocks memlogd.
 * - memlogd refuses the cursor itself ("malformed cursor", "cursor is
 *   newer than the newest entry"): asking again cannot help, so logwrite
 *   says so and exits LW_EXIT_STATE, as for an invalid state file.
 * - SIGHUP: commit and reopen the files. SIGTERM, SIGINT: the batch being
 *   read is committed, then exit 0. */
#ifndef LOGWRITE_RUN_H
#define LOGWRITE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"
#include "client.h"
#include "entry.h"
#include "options.h"
#include "reconn.h"
#include "store.h"

enum logwrite_exit {
	LW_EXIT_OK = 0,      /* stopped by SIGTERM or SIGINT */
	LW_EXIT_START = 1,   /* cannot start: directory, lock, memory */
	LW_EXIT_USAGE = 2,
	LW_EXIT_STATE = 3,   /* the state file cannot be read or is invalid,
			      * or memlogd refuses its cursor */
};

#define RUN_BACKOFF_MIN_MS 100
#define RUN_BACKOFF_MAX_MS 5000
#define RUN_DISK_QUIET_MS 1000     /* without a failure after a commit:
				    * the disk works again */
#define RUN_BATCH_MAX (64u << 20)  /* bytes read before a commit at most: a
				    * commit costs fsyncs that take tens of
				    * ms on a busy disk, so under a heavy
				    * stream commits are this far apart; the
				    * store's buffers stay bounded
				    * (STORE_BUFFERED_MAX) */
#define RUN_BATCH_STREAM (1u << 16) /* a batch this large is a stream ... */
#define RUN_BATCH_WAIT_MS 2        /* ... whose next bytes are waited for
				    * this long before committing */
#define RUN_AGE_SCAN_MS (600 * 1000) /* how often --max-age is applied to
				      * the whole directory (and once at
				      * start in any case) */

struct logwrite {
	const struct lw_opts *opts;
	struct store *store;
	struct client client;
	struct entry_builder builder; /* memlogd's records as entries */
	int sigfd;                 /* SIGTERM, SIGINT, SIGHUP */
	const char *log_dir;       /* for messages */
	struct backoff conn_bo;    /* reconnecting */
	uint64_t conn_at;          /* monotonic ms of the next connect */
	struct reconn rc;          /* a lost connection said, and its end */
	bool proto_reported;       /* a protocol error was reported */
	struct backoff disk_bo;    /* retrying the files */
	bool disk_failed;          /* waiting to retry the files */
	uint64_t disk_at;          /* monotonic ms of the next retry */
	int disk_reported;         /* errno reported, 0: none */
	uint64_t disk_fail_at;     /* monotonic ms of the last failure */
	bool disk_committed;       /* entries committed since then */
	uint64_t age_at;           /* monotonic ms of the next scan */
	bool scanned;              /* the scan at start is done */
	bool stop;                 /* SIGTERM or SIGINT came */
	int exit_code;             /* what run() returns once stopped */
};

/* Sets up lw; start_err is the store_start() result (0 or an I/O error to
 * retry). */
void run_init(struct logwrite *lw, const struct lw_opts *opts,
	      struct store *store, int sigfd, int start_err);

/* The store's notices on stderr (store_cfg.say). */
void run_say(void *ctx, const char *msg);

/* Runs until a stop signal; returns the exit code. */
int run(struct logwrite *lw);

void run_free(struct logwrite *lw);

#endif
