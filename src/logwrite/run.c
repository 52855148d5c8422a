#include "run.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "entry.h"
#include "util.h"

/* ---- the files ---- */

static void say_disk(struct logwrite *lw)
{
	const struct io_err *e = &lw->store->err;

	if (!e->err || lw->disk_reported == e->err)
		return;
	lw->disk_reported = e->err;
	diag_warn("cannot %s %s in %s: %s; keeping the cursor and retrying",
		  e->op ? e->op : "write", e->file, lw->log_dir,
		  strerror(e->err));
}

/* Something failed on the files: say so once, forget what was not
 * committed, let go of memlogd and try again later. */
static void disk_failure(struct logwrite *lw)
{
	say_disk(lw);
	store_drop(lw->store);
	client_close(&lw->client);
	lw->disk_failed = true;
	lw->disk_committed = false;
	lw->disk_fail_at = now_mono_ms();
	lw->disk_at = lw->disk_fail_at + backoff_next(&lw->disk_bo);
}

static void disk_retry(struct logwrite *lw)
{
	if (store_retry(lw->store) < 0) {
		say_disk(lw);
		lw->disk_at = now_mono_ms() + backoff_next(&lw->disk_bo);
		return;
	}
	/* The files are consistent again; whether the disk takes new
	 * entries shows only when they are committed (see pump()). */
	lw->disk_failed = false;
	lw->conn_at = 0; /* resume at once */
}

/* The disk works again once entries have been committed and no failure
 * came for RUN_DISK_QUIET_MS: on an almost full disk the first batches of
 * a replay may fit and the next fail again, which is still the same
 * problem and is not announced twice. */
static void disk_check_works(struct logwrite *lw, uint64_t now)
{
	if (!lw->disk_reported || lw->disk_failed || !lw->disk_committed ||
	    now < lw->disk_fail_at + RUN_DISK_QUIET_MS)
		return;
	backoff_reset(&lw->disk_bo);
	diag_warn("writing to %s again", lw->log_dir);
	lw->disk_reported = 0;
}

/* At start, and every RUN_AGE_SCAN_MS with --max-age: the age of every
 * source's rotated files, and the files logwrite no longer has. */
static void scan(struct logwrite *lw)
{
	lw->age_at = now_mono_ms() + RUN_AGE_SCAN_MS;
	lw->scanned = true;
	if (store_scan(lw->store, (int64_t)time(NULL)) < 0) {
		struct io_err *e = &lw->store->err;
		diag_warn_err(e->err, "cannot %s %s in %s while going over it",
			      e->op, e->file, lw->log_dir);
		memset(e, 0, sizeof(*e));
	}
}

/* ---- memlogd ---- */

static void conn_try(struct logwrite *lw)
{
	int r = client_connect(&lw->client, store_cursor(lw->store));

	if (r < 0) {
		if (reconn_lost(&lw->rc))
			diag_warn("cannot connect to %s: %s; retrying",
				  lw->opts->socket, r == -ENAMETOOLONG ?
				  "path too long for a unix socket" :
				  strerror(-r));
		lw->conn_at = now_mono_ms() + backoff_next(&lw->conn_bo);
		return;
	}
	reconn_connected(&lw->rc, now_mono_ms());
}

/* memlogd answers again after a loss that was said: say so, once. got:
 * bytes have just arrived. */
static void conn_check_back(struct logwrite *lw, bool got)
{
	if (lw->client.fd >= 0 &&
	    reconn_back(&lw->rc, lw->client.fd, got, now_mono_ms()))
		diag_warn("connected to %s", lw->opts->socket);
}

/* The connection ended or went wrong; why is said once. */
static void conn_lost(struct logwrite *lw, const char *why, bool protocol)
{
	client_close(&lw->client);
	if (protocol) {
		if (!lw->proto_reported)
			diag_warn("%s; reconnecting", why);
		lw->proto_reported = true;
	} else if (reconn_lost(&lw->rc)) {
		diag_warn("%s; reconnecting", why);
	}
	lw->conn_at = now_mono_ms() + backoff_next(&lw->conn_bo);
}

/* memlogd's answers that no retry can change: the cursor itself is
 * refused. Any other error (too many query clients...) may pass. */
static bool cursor_refused(struct lw_field msg)
{
	static const char *const fatal[] = {
		"malformed cursor",
		"cursor is newer than the newest entry",
	};

	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		if (msg.len == strlen(fatal[i]) &&
		    !memcmp(msg.ptr, fatal[i], msg.len))
			return true;
	return false;
}

static void refused_cursor(struct logwrite *lw, struct lw_field msg)
{
	char path[512];

	if (lw->opts->state_file)
		snprintf(path, sizeof(path), "%s", lw->opts->state_file);
	else
		snprintf(path, sizeof(path), "%s/%s", lw->log_dir,
			 DEFAULT_STATE_NAME);
	diag_warn("memlogd refuses the cursor of the state file %s (%.*s: %s); "
		  "move the state file away to start from memlogd's oldest "
		  "entry (what is still in memlogd and already in the files is "
		  "then written again)", path, (int)msg.len, msg.ptr,
		  store_cursor(lw->store));
	lw->stop = true;
	lw->exit_code = LW_EXIT_STATE;
}

/* Appends the complete records received. Returns 0; 1 with why set when
 * the server sent an error or something unreadable; 2 when it refused the
 * cursor (logwrite stops); -1 after a failure on the files (handled). */
static int take_records(struct logwrite *lw, char *why, size_t whylen,
			size_t *appended)
{
	struct binstream_item it;
	int r;

	while ((r = client_record(&lw->client, &it)) == 1) {
		struct lw_entry e;
		int k;

		if (it.type == BINREC_HELLO || it.type == BINREC_SOURCE)
			continue;
		k = entry_from_record(&lw->builder, lw->opts->format,
				      &lw->client.bs, &it, &e);
		if (k == ENTRY_SERVER_ERROR && cursor_refused(e.msg)) {
			refused_cursor(lw, e.msg);
			return 2;
		}
		if (k == ENTRY_SERVER_ERROR) {
			snprintf(why, whylen, "memlogd answered with an error: %.*s",
				 (int)MIN(e.msg.len, 200), e.msg.ptr);
			return 1;
		}
		if (k < 0) {
			snprintf(why, whylen, "out of memory reading an entry");
			return 1;
		}
		k = store_append(lw->store, &e);
		if (k < 0) {
			disk_failure(lw);
			return -1;
		}
		/* A working connection: the next problem starts the backoff
		 * from the beginning. */
		(*appended)++;
		backoff_reset(&lw->conn_bo);
		lw->proto_reported = false;
	}
	if (r == -ENOMEM) {
		snprintf(why, whylen, "out of memory reading an entry");
		return 1;
	}
	if (r < 0) {
		snprintf(why, whylen, "protocol error: memlogd sent %s",
			 lw->client.bs.why ? lw->client.bs.why : "something else");
		return 1;
	}
	return 0;
}

/* Reads what memlogd has sent (up to RUN_BATCH_MAX), appends it, commits:
 * one batch. */
static void pump(struct logwrite *lw)
{
	char why[300];
	size_t got = 0, appended = 0;
	bool lost = false, protocol = false;

	for (;;) {
		ssize_t n = client_fill(&lw->client);
		int r;

		/* A commit costs three fsyncs, and memlogd refills the socket
		 * within microseconds while it has entries to send: when a
		 * batch is that large, memlogd is sending a backlog (a
		 * catch-up), so wait a moment for the rest before
		 * committing. A batch of a few entries is committed at once. */
		if (n == -EAGAIN && got >= RUN_BATCH_STREAM && got < RUN_BATCH_MAX) {
			struct pollfd p = { .fd = lw->client.fd, .events = POLLIN };
			if (poll(&p, 1, RUN_BATCH_WAIT_MS) > 0)
				continue;
		}
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			snprintf(why, sizeof(why), "cannot read from %s: %s",
				 lw->opts->socket, strerror((int)-n));
			lost = true;
			break;
		}
		if (n > 0)
			conn_check_back(lw, true);
		r = take_records(lw, why, sizeof(why), &appended);
		if (r < 0)
			return;
		if (r == 2) {
			client_close(&lw->client);
			break;
		}
		if (r > 0) {
			lost = protocol = true;
			break;
		}
		if (n == 0) {
			snprintf(why, sizeof(why), "memlogd closed the connection "
				 "on %s", lw->opts->socket);
			lost = true;
			break;
		}
		got += (size_t)n;
		if (got >= RUN_BATCH_MAX)
			break;
	}
	if (store_commit(lw->store) < 0) {
		disk_failure(lw);
		return;
	}
	if (appended)
		lw->disk_committed = true;
	if (lost)
		conn_lost(lw, why, protocol);
}

/* ---- signals ---- */

static void take_signals(struct logwrite *lw)
{
	struct signalfd_siginfo si;

	while (read(lw->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!lw->disk_failed && store_reopen(lw->store) < 0)
				disk_failure(lw);
		} else {
			lw->stop = true;
		}
	}
}

/* ---- the loop ---- */

void run_say(void *ctx, const char *msg)
{
	(void)ctx;
	diag_warn("%s", msg);
}

void run_init(struct logwrite *lw, const struct lw_opts *opts,
	      struct store *store, int sigfd, int start_err)
{
	memset(lw, 0, sizeof(*lw));
	lw->opts = opts;
	lw->store = store;
	lw->sigfd = sigfd;
	lw->log_dir = opts->log_dir;
	client_init(&lw->client, opts->socket);
	lw->client.binary = true;
	reconn_init(&lw->rc);
	entry_builder_init(&lw->builder);
	backoff_init(&lw->conn_bo, RUN_BACKOFF_MIN_MS, RUN_BACKOFF_MAX_MS);
	backoff_init(&lw->disk_bo, RUN_BACKOFF_MIN_MS, RUN_BACKOFF_MAX_MS);
	if (start_err < 0) {
		say_disk(lw);
		lw->disk_failed = true;
		lw->disk_fail_at = now_mono_ms();
		lw->disk_at = lw->disk_fail_at + backoff_next(&lw->disk_bo);
	}
}

void run_free(struct logwrite *lw)
{
	client_free(&lw->client);
	entry_builder_free(&lw->builder);
}

/* Milliseconds until the earliest deadline, -1 for none. */
static int timeout_ms(const struct logwrite *lw, uint64_t now)
{
	uint64_t at = UINT64_MAX;

	if (lw->disk_failed)
		at = lw->disk_at;
	else {
		if (lw->client.fd < 0)
			at = lw->conn_at;
		else
			at = reconn_deadline(&lw->rc);
		if (lw->opts->max_age_s || !lw->scanned)
			at = MIN(at, lw->age_at);
		if (lw->disk_reported && lw->disk_committed)
			at = MIN(at, lw->disk_fail_at + RUN_DISK_QUIET_MS);
	}
	if (at == UINT64_MAX)
		return -1;
	return at <= now ? 0 : (int)MIN(at - now, 60000);
}

int run(struct logwrite *lw)
{
	while (!lw->stop) {
		uint64_t now = now_mono_ms();
		struct pollfd p[2];
		int n;

		if (lw->disk_failed && now >= lw->disk_at)
			disk_retry(lw);
		if (!lw->disk_failed && lw->client.fd < 0 && now >= lw->conn_at)
			conn_try(lw);
		conn_check_back(lw, false);
		if (!lw->disk_failed && (lw->opts->max_age_s || !lw->scanned) &&
		    now >= lw->age_at)
			scan(lw);
		disk_check_works(lw, now);

		p[0] = (struct pollfd){ .fd = lw->sigfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = lw->client.fd, .events = POLLIN };
		n = poll(p, 2, timeout_ms(lw, now_mono_ms()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_warn_err(errno, "poll");
			return LW_EXIT_START;
		}
		/* A batch that has arrived is written before a stop signal
		 * is looked at. */
		if (lw->client.fd >= 0 && p[1].revents)
			pump(lw);
		if (p[0].revents)
			take_signals(lw);
	}
	/* Each batch was committed as it was read; this commits what a
	 * stop came with, and the counts of parked files. */
	if (!lw->disk_failed) {
		store_finish(lw->store);
		if (store_commit(lw->store) < 0)
			say_disk(lw);
	}
	return lw->exit_code;
}
