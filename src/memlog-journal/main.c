/* memlog-journal: writes every journal entry to the container's stdout
 * exactly once, in journal order (docs/memlog-journal.md). Runs as
 * memlog-journal.service in a container started by memlog-init.
 *
 * At start it takes the container's stdout and its delivery log (wal.h)
 * from systemd's fd store or the fd holder, puts them into both, and goes
 * on from the last committed entry. The loop reads a batch of entries,
 * formats the ones the filter lets through, appends and commits them to the
 * delivery log, and delivers committed bytes to stdout as it takes them. */
#include "diag.h"
#include "fdhold.h"
#include "fileio.h"
#include "util.h"

#include "buf.h"
#include "fds.h"
#include "format.h"
#include "holder.h"
#include "jcursor.h"
#include "options.h"
#include "procstat.h"
#include "reader.h"
#include "staterec.h"
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

const char *diag_prog = "memlog-journal";

enum {
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_NO_STDOUT = 3,
};

/* Undelivered bytes at most: past this the journal is not read (it keeps
 * the entries) until stdout took some. A saved file holds them all. */
#define PENDING_MAX (4u << 20)
/* One batch: at most this many entries or bytes per commit (and the
 * entry that crossed the line). */
#define BATCH_ENTRIES 512
#define BATCH_BYTES (256u << 10)
/* The longest line one entry can make: json writes a byte that is not
 * text as at most 4 ("255,"), of at most field_max + JREADER_ENTRY_MAX
 * bytes, plus the names and quoting of 1024 fields. */
#define ENTRY_LINE_MAX (4 * (JOURNAL_FIELD_MAX_MAX + JREADER_ENTRY_MAX) + (1u << 20))
_Static_assert(PENDING_MAX + BATCH_BYTES + ENTRY_LINE_MAX <= JSAVE_PENDING_MAX,
	       "a clean stop can save everything pending");
/* A stop delivers what is pending for at most this long. */
#define STOP_FLUSH_MS 1000

struct agent {
	const struct journal_opts *o;
	struct jfds fds;       /* stdout, stderr and the delivery log's fds */
	bool store_stale;      /* the fd store holds delivery log fds that
				* are not the ones in use */
	int holder;            /* the holder's session, -1: none */
	char holder_bin[PATH_MAX]; /* "" when none was found */
	unsigned respawns;     /* holders this agent started */
	struct wal wal;
	struct jreader rd;
	bool out_pipe;         /* stdout is a pipe (splice, never waits) */
	bool out_gone;         /* stdout's reader went away (EPIPE) */
	struct jbuf batch;
	/* The entry read last (or the resume point), for gaps. */
	struct jcursor prev;
	bool has_prev;
	char prev_cursor[JCURSOR_MAX + 1];
	/* After a seek to the committed cursor: the first entry read should
	 * be that one. If it is not, the resume point is gone. */
	bool check_resume;
	bool resume_lost;
	int sigfd;
};

/* ---- the fds ---- */

/* A delivery log is of use only as a pair: half of one is closed. */
static void drop_half_pair(struct jfds *f, bool *dropped)
{
	if (f->fd[JFD_WAL] >= 0 && f->fd[JFD_STATE] >= 0)
		return;
	for (int k = JFD_WAL; k <= JFD_STATE; k++)
		if (f->fd[k] >= 0) {
			close(f->fd[k]);
			f->fd[k] = -1;
			if (dropped)
				*dropped = true;
		}
}

/* Takes what the fd store and the holder have. The delivery log comes as
 * a pair from one place: the fd store's if it has both, else the
 * holder's. */
static void take_fds(struct agent *a)
{
	struct jfds held;
	int n;

	jfds_init(&a->fds);
	jfds_init(&held);
	n = jfds_from_store(&a->fds, &a->store_stale);
	if (n < 0)
		diag_warn_err(n, "cannot take the fds of systemd's fd store");
	a->holder = jholder_connect(a->o->holder_socket);
	if (a->holder >= 0) {
		n = jfds_from_holder(a->holder, &held);
		if (n < 0) {
			diag_warn_err(n, "cannot take the fds of the holder "
				      "at %s", a->o->holder_socket);
			close(a->holder);
			a->holder = -1;
		}
	} else if (a->holder == -EADDRINUSE) {
		diag_die(EXIT_RUNTIME, "the holder at %s serves another live "
			 "memlog-journal", a->o->holder_socket);
	} else if (a->holder != -ENOENT && a->holder != -ECONNREFUSED) {
		diag_warn_err(a->holder, "cannot reach the holder at %s",
			      a->o->holder_socket);
	}
	drop_half_pair(&a->fds, &a->store_stale);
	drop_half_pair(&held, NULL);
	jfds_merge(&a->fds, &held);
	jfds_close(&held);
}

/* Puts every fd into the holder (a new holder if there is none) and the
 * fd store. */
static void keep_fds(struct agent *a)
{
	int r;

	if (a->holder < 0 && !a->o->no_respawn && a->holder_bin[0]) {
		char unit[64];
		snprintf(unit, sizeof(unit), "memlog-journal-holder-%d-%u",
			 (int)getpid(), a->respawns++);
		a->holder = jholder_respawn(a->o->holder_socket, a->holder_bin,
					    unit);
		if (a->holder < 0)
			diag_warn_err(a->holder, "cannot start a new fd holder "
				      "at %s", a->o->holder_socket);
		else
			diag_warn("started a new fd holder at %s",
				  a->o->holder_socket);
	}
	if (a->holder >= 0) {
		r = jfds_hold(a->holder, &a->fds);
		if (r < 0) {
			diag_warn_err(r, "cannot put the fds into the holder");
			close(a->holder);
			a->holder = -1;
		}
	}
	/* A delivery log the store keeps but that is not the one in use (a
	 * pair a kill left half stored, or replaced) goes first, so that the
	 * next run cannot take it. The holder has the one in use already. */
	if (a->store_stale) {
		IGNORE_RESULT(jfds_store_forget(JFD_WAL));
		IGNORE_RESULT(jfds_store_forget(JFD_STATE));
		a->store_stale = false;
	}
	r = jfds_store(&a->fds);
	if (r < 0)
		diag_warn_err(r, "cannot put the fds into systemd's fd store "
			      "(FileDescriptorStoreMax= in the unit?)");
}

/* The holder's session said something: an ERR (keys refused), or its end
 * (the holder died): a new one gets everything. */
static void holder_event(struct agent *a)
{
	struct fdhold_msg m;
	int fds[FDHOLD_KEYS_MAX];
	int r = fdhold_recv(a->holder, &m, fds, 0);

	if (r == -EAGAIN)
		return;
	if (r == 0 && m.op == FDHOLD_ERR) {
		diag_warn_err((int)m.arg, "the fd holder refused %u fds",
			      m.nkeys);
		return;
	}
	if (r == 0)
		return;
	diag_warn_err(r == -ECONNRESET ? EPIPE : r, "the fd holder at %s is "
		      "gone", a->o->holder_socket);
	close(a->holder);
	a->holder = -1;
	keep_fds(a);
}

/* ---- the saved file ---- */

static int ensure_dir(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A clean stop's position and undelivered lines, for a start that finds
 * the delivery log neither in the fd store nor in the holder. */
static void save_position(struct agent *a)
{
	struct jbuf pending = { 0 }, out = { 0 };
	const char *cur = a->wal.st.cursor, *op = NULL;
	int r;

	if (!a->o->state_file[0] || !cur[0])
		return;
	r = wal_read_pending(&a->wal, &pending);
	if (r == 0)
		r = jbuf_reserve(&out, jsave_size(strlen(cur), pending.len));
	if (r == 0)
		r = jsave_encode(out.p, out.cap, cur, strlen(cur), pending.p,
				 pending.len);
	if (r >= 0) {
		out.len = (size_t)r;
		r = ensure_dir(a->o->state_file);
	}
	if (r >= 0)
		r = file_replace(AT_FDCWD, a->o->state_file, out.p, out.len,
				 0600, 0, &op);
	if (r < 0)
		diag_warn_err(r, "cannot save the position in %s%s%s",
			      a->o->state_file, op ? ": " : "", op ? op : "");
	jbuf_free(&pending);
	jbuf_free(&out);
}

/* Reads and decodes the saved file: 1 (*buf is malloc'd, *s points into
 * it), 0 there is none, negative errno (-EBADMSG: not a file this program
 * wrote). */
static int read_saved(const char *path, char **buf, struct jsave *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	int r = 0;

	*buf = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)jsave_size(JCURSOR_MAX, JSAVE_PENDING_MAX)) {
		close(fd);
		return -EBADMSG;
	}
	*buf = malloc((size_t)st.st_size + 1);
	ssize_t n = *buf ? read(fd, *buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size)
		r = *buf ? -EIO : -ENOMEM;
	if (!r)
		r = jsave_decode(*buf, (size_t)n, s);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
		return r;
	}
	return 1;
}

/* Reads the saved file into the new delivery log: its undelivered lines
 * committed with its cursor. Returns 1 when there was one, 0 when not,
 * negative errno. */
static int load_position(struct agent *a)
{
	struct jsave s;
	char cursor[JCURSOR_MAX + 1], *buf;
	int r = read_saved(a->o->state_file, &buf, &s);

	if (r <= 0)
		return r;
	memcpy(cursor, s.cursor, s.cursor_len);
	cursor[s.cursor_len] = '\0';
	r = wal_stage(&a->wal, s.pending, s.pending_len);
	if (!r)
		r = wal_commit(&a->wal, cursor, 0);
	free(buf);
	return r < 0 ? r : 1;
}

/* Once the position is in the delivery log (kept in the fd store and the
 * holder), a saved file would be stale: removed, if it is one this
 * program wrote. */
static void drop_saved(struct agent *a)
{
	struct jsave s;
	char *buf;

	if (!a->o->state_file[0] || read_saved(a->o->state_file, &buf, &s) != 1)
		return;
	free(buf);
	if (unlink(a->o->state_file) < 0)
		diag_warn_err(errno, "cannot remove %s", a->o->state_file);
}

/* ---- the delivery log ---- */

static void open_wal(struct agent *a)
{
	int r;

	if (a->fds.fd[JFD_WAL] >= 0) {
		r = wal_adopt(&a->wal, a->fds.fd[JFD_WAL], a->fds.fd[JFD_STATE]);
		if (r == 0)
			return;
		diag_warn("the delivery log kept from the last run is "
			  "damaged: starting a new one");
		close(a->fds.fd[JFD_WAL]);
		close(a->fds.fd[JFD_STATE]);
		a->store_stale = true;
	}
	r = wal_create(&a->wal);
	if (r < 0)
		diag_die_err(EXIT_RUNTIME, r, "cannot make the delivery log");
	a->fds.fd[JFD_WAL] = a->wal.wal_fd;
	a->fds.fd[JFD_STATE] = a->wal.state_fd;
	if (!a->o->state_file[0])
		return;
	r = load_position(a);
	if (r < 0)
		diag_warn_err(r, "cannot use the position saved in %s",
			      a->o->state_file);
	if (r == 1)
		diag_warn("resuming from the position saved in %s",
			  a->o->state_file);
}

/* Where the container's PID 1 started, in realtime microseconds. */
static int pid1_start_us(uint64_t *us)
{
	char text[1024];
	uint64_t ticks;
	struct timespec real, boot;
	int fd = open("/proc/1/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text));
	long hz = sysconf(_SC_CLK_TCK);

	if (fd >= 0)
		close(fd);
	if (n <= 0 || hz <= 0 ||
	    procstat_starttime(text, (size_t)n, &ticks) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &real) < 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return -EINVAL;
	int64_t boot_us = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000 +
			  (real.tv_nsec - boot.tv_nsec) / 1000;
	*us = (uint64_t)boot_us + ticks * 1000000 / (uint64_t)hz;
	return 0;
}

/* Positions the reader after the committed entry, or by --from when there
 * is none. */
static void position(struct agent *a)
{
	const char *cur = a->wal.st.cursor;
	enum jfrom from = a->o->from;
	uint64_t t;
	int r;

	if (!cur[0] && from == JFROM_TAIL) {
		char last[JCURSOR_MAX + 1];
		r = jreader_last_cursor(&a->rd, last);
		if (r == 0 && last[0])
			r = wal_commit(&a->wal, last, 0);
		if (r < 0)
			diag_die_err(EXIT_RUNTIME, r, "cannot find the journal's end");
	}
	if (cur[0]) {
		r = jreader_seek_cursor(&a->rd, cur);
		if (r < 0) {
			/* A cursor sd-journal does not take would stop every
			 * start; the entries written are lost track of. */
			diag_warn_err(r, "cannot seek to the position kept, %s: "
				      "going on from --from", cur);
			cur = "";
		}
	}
	if (cur[0]) {
		a->check_resume = true;
		a->has_prev = jcursor_parse(cur, strlen(cur), &a->prev) == 0;
		snprintf(a->prev_cursor, sizeof(a->prev_cursor), "%s", cur);
		return;
	}
	if (from == JFROM_START && !a->o->directory && pid1_start_us(&t) == 0)
		r = jreader_seek_realtime(&a->rd, t);
	else
		r = jreader_seek_head(&a->rd);
	if (r < 0)
		diag_die_err(EXIT_RUNTIME, r, "cannot seek in the journal");
}

/* ---- reading ---- */

static void iso_time(char *out, size_t cap, uint64_t us)
{
	struct tm tm;
	time_t s = (time_t)(us / 1000000);

	if (!gmtime_r(&s, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "@%" PRIu64, us / 1000000);
}

/* A line that says entries were lost between prev and the entry e, in the
 * output's format. lost < 0: how many is not known. */
static int gap_marker(struct agent *a, const struct jentry *e,
		      const struct jcursor *cur, int64_t lost)
{
	char msg[512], t1[40], t2[40], pid[16], n[24];
	const char *before = a->prev_cursor;

	iso_time(t1, sizeof(t1), a->prev.realtime_us);
	iso_time(t2, sizeof(t2), e->realtime_us);
	if (lost >= 0)
		snprintf(msg, sizeof(msg), "%" PRId64 " journal entries were "
			 "lost before they could be written (vacuumed or "
			 "rotated away): seqnum %" PRIu64 " to %" PRIu64
			 ", between %s and %s", lost, a->prev.seqnum + 1,
			 cur->seqnum - 1, t1, t2);
	else
		snprintf(msg, sizeof(msg), "journal entries may have been "
			 "lost: the entry of %s after which output goes on is "
			 "no longer in the journal (vacuumed or rotated away); "
			 "going on with the entry of %s", t1, t2);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(n, sizeof(n), lost >= 0 ? "%" PRId64 : "unknown", lost);
	const struct jfield f[] = {
#define F(k, v) { k, sizeof(k) - 1, v, strlen(v), false }
		F("MESSAGE", msg),
		F("PRIORITY", "4"),
		F("SYSLOG_IDENTIFIER", "memlog-journal"),
		F("_PID", pid),
		F("MEMLOG_JOURNAL_LOST", n),
		F("MEMLOG_JOURNAL_LOST_AFTER", before),
		F("MEMLOG_JOURNAL_LOST_BEFORE", e->cursor),
#undef F
	};
	struct jentry m = {
		.fields = f, .nfields = ARRAY_SIZE(f),
		.realtime_us = now_realtime_ns() / 1000,
		.monotonic_us = e->monotonic_us, .boot_id = e->boot_id,
	};
	diag_warn("%s", msg);
	int r = jformat_entry(&a->batch, a->o->format, &m);
	return r < 0 ? r : 0;
}

/* Checks e against the entry before it: a resume point that is gone, or a
 * jump in the sequence numbers of one series, is a gap. */
static int check_gap(struct agent *a, const struct jentry *e)
{
	struct jcursor cur;
	bool ok = jcursor_parse(e->cursor, strlen(e->cursor), &cur) == 0;
	int r = 0;

	if (a->resume_lost) {
		a->resume_lost = false;
		int64_t lost = ok && a->has_prev ? jcursor_between(&a->prev, &cur) : -1;
		if (lost != 0 && a->has_prev)
			r = gap_marker(a, e, &cur, lost);
	} else if (ok && a->has_prev) {
		int64_t lost = jcursor_between(&a->prev, &cur);
		if (lost > 0)
			r = gap_marker(a, e, &cur, lost);
	}
	a->has_prev = ok;
	if (ok)
		a->prev = cur;
	snprintf(a->prev_cursor, sizeof(a->prev_cursor), "%s", e->cursor);
	return r;
}

/* Reads up to a batch of entries and commits their lines. Returns the
 * number of entries read (BATCH_ENTRIES or more: there may be more at
 * once), or negative errno: the reader moved past what was committed, so
 * the caller must not go on. */
static int read_batch(struct agent *a, uint64_t pending)
{
	char last[JCURSOR_MAX + 1] = "";
	const struct jentry *e;
	int n = 0, r;

	a->batch.len = 0;
	while (n < BATCH_ENTRIES && a->batch.len < BATCH_BYTES &&
	       pending + a->batch.len < PENDING_MAX) {
		r = jreader_next(&a->rd, &e);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		n++;
		snprintf(last, sizeof(last), "%s", e->cursor);
		if (a->check_resume) {
			a->check_resume = false;
			if (jreader_at_cursor(&a->rd, a->wal.st.cursor))
				continue; /* written before */
			a->resume_lost = true;
		}
		if (a->rd.dropped)
			diag_warn("the entry %s has more fields than are kept: "
				  "%zu left out", e->cursor, a->rd.dropped);
		r = check_gap(a, e);
		if (r == 0 && jfilter_match(&a->o->filter, e))
			r = jformat_entry(&a->batch, a->o->format, e);
		if (r < 0)
			return r;
	}
	if (n == 0)
		return 0;
	r = wal_stage(&a->wal, a->batch.p, a->batch.len);
	if (r == 0)
		r = wal_commit(&a->wal, last, (uint64_t)n);
	if (r < 0)
		return r;
	return a->batch.len >= BATCH_BYTES ? BATCH_ENTRIES : n;
}

/* ---- delivering ---- */

/* Delivers what is committed. Returns 0 (all of it), -EAGAIN (stdout is
 * full), or negative errno. */
static int deliver(struct agent *a)
{
	for (;;) {
		int64_t n = wal_deliver(&a->wal, a->fds.fd[JFD_STDOUT],
					a->out_pipe, 1u << 20);
		if (n > 0)
			continue;
		if (n == -EPIPE && !a->out_gone) {
			a->out_gone = true;
			diag_warn("the container's stdout has no reader any "
				  "more: nothing more can be written");
			sd_notify(0, "STATUS=the container's stdout has no reader");
		}
		wal_trim(&a->wal);
		return (int)n;
	}
}

/* SIGTERM: deliver what is pending for a moment, save the position, go. */
static int stop(struct agent *a)
{
	uint64_t deadline = now_mono_ms() + STOP_FLUSH_MS, pending;

	sd_notify(0, "STOPPING=1");
	while (!a->out_gone && deliver(a) == -EAGAIN) {
		uint64_t now = now_mono_ms();
		if (now >= deadline)
			break;
		struct pollfd p = { a->fds.fd[JFD_STDOUT], POLLOUT, 0 };
		IGNORE_RESULT(poll(&p, 1, (int)(deadline - now)));
	}
	save_position(a);
	if (wal_pending(&a->wal, &pending) == 0 && pending)
		diag_warn("stopping with %" PRIu64 " bytes not yet written to "
			  "stdout: kept for the next start", pending);
	return 0;
}

static int signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int run(struct agent *a)
{
	enum { P_SIG, P_JOURNAL, P_OUT, P_HOLDER, P_N };

	for (;;) {
		uint64_t pending = 0;
		int r = wal_pending(&a->wal, &pending), more = 0;

		if (r == 0 && !a->out_gone && pending < PENDING_MAX)
			r = more = read_batch(a, pending);
		if (r < 0)
			diag_die_err(EXIT_RUNTIME, r, "cannot read the journal "
				     "into the delivery log");
		if (!a->out_gone) {
			r = deliver(a);
			if (r < 0 && r != -EAGAIN && r != -EPIPE)
				diag_die_err(EXIT_RUNTIME, r, "cannot write to "
					     "the container's stdout");
		}
		if (wal_pending(&a->wal, &pending) < 0)
			pending = 0;

		struct pollfd p[P_N];
		short jev = 0;
		int jfd = jreader_fd(&a->rd, &jev);
		p[P_SIG] = (struct pollfd){ a->sigfd, POLLIN, 0 };
		p[P_JOURNAL] = (struct pollfd){
			!a->out_gone && pending < PENDING_MAX ? jfd : -1, jev, 0 };
		p[P_OUT] = (struct pollfd){
			!a->out_gone && pending && a->out_pipe
				? a->fds.fd[JFD_STDOUT] : -1, POLLOUT, 0 };
		p[P_HOLDER] = (struct pollfd){ a->holder, POLLIN, 0 };
		int timeout = more >= BATCH_ENTRIES ? 0 : jreader_timeout_ms(&a->rd);
		if (pending && !a->out_pipe && !a->out_gone)
			timeout = 0; /* sendfile waits by itself */
		if (poll(p, P_N, timeout) < 0 && errno != EINTR)
			diag_die_err(EXIT_RUNTIME, errno, "poll");
		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;
			if (read(a->sigfd, &si, sizeof(si)) == sizeof(si))
				return stop(a);
		}
		if (p[P_HOLDER].revents)
			holder_event(a);
		r = jreader_process(&a->rd);
		if (r < 0)
			diag_die_err(EXIT_RUNTIME, r, "cannot follow the journal");
	}
}

int main(int argc, char **argv)
{
	struct journal_opts o;
	struct agent a = { .o = &o, .holder = -1 };
	char err[256];
	struct stat st;
	int r;

	switch (journal_parse_args(argc, argv, &o, err, sizeof(err), stdout)) {
	case OPT_RUN:
		break;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_USAGE;
	default:
		return 0;
	}
	a.sigfd = signals();
	if (a.sigfd < 0)
		diag_die_err(EXIT_RUNTIME, a.sigfd, "signalfd");
	if (fdhold_find_binary(o.fd_holder, a.holder_bin, sizeof(a.holder_bin)) < 0) {
		a.holder_bin[0] = '\0';
		if (o.fd_holder)
			diag_die(EXIT_USAGE, "--fd-holder %s: not an executable "
				 "program", o.fd_holder);
	}
	take_fds(&a);
	if (a.fds.fd[JFD_STDOUT] < 0)
		diag_die(EXIT_NO_STDOUT, "no container stdout: neither systemd's "
			 "fd store nor an fd holder at %s has one (was the "
			 "container started by memlog-init?)", o.holder_socket);
	a.out_pipe = fstat(a.fds.fd[JFD_STDOUT], &st) == 0 && S_ISFIFO(st.st_mode);
	open_wal(&a);
	keep_fds(&a);
	drop_saved(&a);
	r = jreader_open(&a.rd, o.directory, o.field_max);
	if (r < 0)
		diag_die_err(EXIT_RUNTIME, r, "cannot open the journal%s%s",
			     o.directory ? " in " : "",
			     o.directory ? o.directory : "");
	position(&a);
	sd_notify(0, "READY=1");
	r = run(&a);
	jreader_close(&a.rd);
	jbuf_free(&a.batch);
	return r;
}
