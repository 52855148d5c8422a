/* memlog-kmsg: the kernel log reader as its own service, for images laid
 * out as LinuxKit's (a "kmsg" service whose stderr init registers with
 * memlogd). Prints one line per record to stderr, "(SEQ) - TIME: MESSAGE",
 * as LinuxKit's kmsg does, but keeps its place across restarts like
 * memlogd --kmsg (no repeats, no holes) and reports gaps. With --relay it
 * hands the records to memlogd instead (relay.h), which attributes them
 * to containers as its own --kmsg reader does. */
#include "diag.h"
#include "kmsg.h"
#include "kmsgstate.h"
#include "options.h"
#include "relay.h"
#include "timefmt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct memlog_kmsg_opts *o)
{
	char err[256];

	switch (memlog_kmsg_parse_args(argc, argv, o, err, sizeof(err),
				       stdout)) {
	case OPT_RUN:
		return -1;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_USAGE;
	default:
		return 0;
	}
}

static void print(const struct memlog_kmsg_opts *o, uint64_t seq, uint64_t usec, int pri,
		  const char *msg, size_t len)
{
	char t[TIMEFMT_MAX];
	size_t tl = time_format_rfc3339nano(t, kmsg_wall_ns(usec));

	if (o->priority && pri >= 0)
		fprintf(stderr, "<%d>", pri);
	fprintf(stderr, "(%llu) - %.*s: %.*s\n", (unsigned long long)seq,
		(int)tl, t, (int)len, msg);
}

const char *diag_prog = "memlog-kmsg";

static void on_stop(int sig)
{
	(void)sig; /* only interrupts ppoll(); the loop ends on EINTR */
}

int main(int argc, char **argv)
{
	struct memlog_kmsg_opts o;
	struct kmsg_state st = { 0 };
	char path[PATH_MAX] = "";
	char buf[KMSG_READ_MAX];
	bool have_next = false;
	int r = parse(argc, argv, &o);

	if (r >= 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM/SIGINT stay blocked except inside ppoll(), which they
	 * interrupt: we stop there, with the position already saved. A stop
	 * signal that came while we were printing is not lost (as it would
	 * be with a handler and a blocking read()): it waits for ppoll(). */
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t stops, waitmask;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = open(o.kmsg, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		diag_warn("%s: %s%s", o.kmsg, strerror(err),
			  err == EPERM || err == EACCES
				? " (reading the kernel log needs CAP_SYSLOG)" : "");
		return EXIT_RUNTIME;
	}
	if (o.relay) {
		r = relay_run(&o, fd, &waitmask);
		close(fd);
		return r;
	}
	kmsg_boot_id(st.boot_id);
	if (o.state_dir[0]) {
		mkdir(o.state_dir, 0755);
		snprintf(path, sizeof(path), "%s/memlog-kmsg.state", o.state_dir);
		r = kmsg_state_load(path, st.boot_id, &st);
		have_next = r == 1;
		if (r < 0)
			diag_warn("ignoring %s: %s", path,
				  r == -EINVAL ? "unreadable" : strerror(-r));
	}
	for (;;) {
		ssize_t n = read(fd, buf, KMSG_READ_MAX);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten; the seq gap tells how many */
		if (n < 0 && errno == EAGAIN) {
			if (o.no_follow)
				break;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (ppoll(&p, 1, NULL, &waitmask) < 0 && errno == EINTR)
				break; /* SIGTERM or SIGINT */
			continue;
		}
		if (n < 0) {
			diag_warn_err(errno, "read %s", o.kmsg);
			return EXIT_RUNTIME;
		}
		if (n == 0)
			break;
		struct kmsg_record rec;
		size_t used;
		uint64_t missed;
		if (kmsg_parse(buf, (size_t)n, &rec, &used) < 0)
			continue;
		if (!have_next) {
			st.next_seq = 0;
			have_next = true;
		}
		enum kmsg_verdict v = kmsg_check_seq(st.next_seq, rec.seq, &missed);
		if (v == KMSG_SKIP)
			continue;
		if (v == KMSG_GAP) {
			char m[96];
			int ml = snprintf(m, sizeof(m), "missed %llu kernel messages",
					  (unsigned long long)missed);
			print(&o, rec.seq - 1, rec.usec, -1, m, (size_t)ml);
		}
		print(&o, rec.seq, rec.usec, rec.facility * 8 + rec.priority,
		      rec.msg, rec.msg_len);
		st.next_seq = rec.seq + 1;
		if (path[0] && (r = kmsg_state_save(path, &st)) < 0) {
			diag_warn_err(r, "cannot save %s", path);
			path[0] = '\0'; /* said once */
		}
	}
	close(fd);
	return 0;
}
