/* loadgen: the load generator. Starts a receiver (memlogd, or the drain
 * baseline), registers K pipes with it exactly as LinuxKit init does, writes
 * N lines of L bytes spread round-robin over them, stops the clock when every
 * pipe is drained, then checks (untimed) that everything arrived.
 *
 *   loadgen -t memlogd|drain -r REGSOCK -q QUERYSOCK -k K -n N -l L
 *           -m bulk|line [-w WRITERS] [-P PIPESIZE]
 *           [-f none|bench|legacy|logread -x FOLLOWER_EXE] [-R RATE]
 *           -- RECEIVER [ARGS...]
 *
 * Registration: for each source a pipe; the read end goes to the receiver in
 * one SOCK_DGRAM datagram whose payload is the name ("bench-17.out") and
 * whose SCM_RIGHTS message holds the fd; the pipe is enlarged to PIPESIZE
 * (F_SETPIPE_SZ, default 1 MiB). The clock starts once the receiver has
 * registered every fd (and the follower, if any, is connected).
 *
 * Lines: line i (0 <= i < N) goes to source i % K and reads
 * "sKKKK iIIIIIIIIII " then filler up to L-1 bytes and "\n", so every line is
 * unique. Shapes: bulk = write()s of up to 64 KiB of whole lines, line = one
 * write() per line. WRITERS threads (default 2) each own every WRITERS-th
 * pipe and feed them with non-blocking writes, poll()ing those that are full.
 * The very last line (i = N-1) is held back and written once everything
 * else is drained, so that it is the newest entry in the ring.
 *
 * The clock stops when every pipe's FIONREAD (on the write end) is 0.
 *
 * Checks, untimed. memlogd: "stats" must show for every source exactly the
 * lines written to it, and "dump last=1" must return the last line written.
 * drain: its byte count must be N * L. A follower must account for every
 * line: received + missed (from its markers) == N.
 *
 * -R RATE: latency mode: one thread writes one line per write() at RATE
 * lines/s, each line carrying its CLOCK_MONOTONIC send time ("t" + 20 digits
 * after the index); the follower (-f bench -L is passed) computes receive -
 * send.
 *
 * Prints one line of key=value results. Exit status 0 if every check passed,
 * 1 if one failed (with "MISMATCH" lines on stderr), 2 on errors. */
#include "bench.h"
#include "stats.h"

#include <linux/sockios.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#define CHUNK (64u << 10)
#define PREFIX 19 /* "sKKKK iIIIIIIIIII " */

struct src {
	int fd, id;
	uint64_t j;      /* next per-source line index to format */
	uint64_t total;  /* lines the writer threads write to it */
	uint64_t lines;  /* lines it gets in all (total + the held-back one) */
	char *buf;
	size_t off, len;
	uint32_t cap;    /* lines in buf */
};

static int K, L, W = 2;
static uint64_t N;
static bool line_shape;
static struct src *srcs;
static pid_t daemon_pid = -1, follower_pid = -1;
static int mismatches;

static void on_alarm(int sig)
{
	static const char msg[] = "loadgen: timed out, giving up\n";

	/* SIGINT first: it makes memlogd's fd holder let go of everything
	 * (after a SIGKILL it would keep this run's pipes for good). */
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGINT);
		sleep_ns(1000000000);
		kill(daemon_pid, SIGKILL);
	}
	if (follower_pid > 0)
		kill(follower_pid, SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(2);
}

/* On die(): the receiver goes too, with its fd holder. */
static void stop_receiver_at_exit(void)
{
	if (daemon_pid > 0)
		kill(daemon_pid, SIGINT);
	if (follower_pid > 0)
		kill(follower_pid, SIGTERM);
}

/* memlogd's fd holder outlives memlogd: as a subreaper, loadgen gets it as
 * a child once memlogd is gone, and waits for it to exit (it does once
 * memlogd, stopped with SIGINT, released it). No other child is left. */
static void reap_holders(void)
{
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r < 0)
			return;
		if (r == 0)
			sleep_ns(10000000);
	}
	fprintf(stderr, "loadgen: a child (memlogd's fd holder?) did not exit\n");
}

static void mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loadgen: MISMATCH: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mismatches++;
}

/* Formats line j of source s (global index j*K + s) at p. */
static void format_line(char *p, int id, uint64_t j, uint64_t send_ns)
{
	p[0] = 's';
	put_digits(p + 1, (uint64_t)id % 10000, 4);
	p[5] = ' ';
	p[6] = 'i';
	put_digits(p + 7, j * (uint64_t)K + (uint64_t)id, 11);
	p[18] = ' ';
	for (int k = PREFIX; k < L - 1; k++)
		p[k] = (char)('a' + k % 26);
	if (send_ns) {
		p[19] = 't';
		put_digits(p + 20, send_ns, 20);
		p[40] = ' ';
	}
	p[L - 1] = '\n';
}

static void fill(struct src *s)
{
	uint64_t c = s->total - s->j;

	if (c > s->cap)
		c = s->cap;
	for (uint64_t k = 0; k < c; k++)
		put_digits(s->buf + k * (uint64_t)L + 7,
			   (s->j + k) * (uint64_t)K + (uint64_t)s->id, 11);
	s->j += c;
	s->off = 0;
	s->len = (size_t)c * (size_t)L;
}

static void *writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	int mine = 0;

	for (int i = t; i < K; i += W)
		mine++;
	struct src **ready = calloc((size_t)mine + 1, sizeof(*ready));
	struct src **blocked = calloc((size_t)mine + 1, sizeof(*blocked));
	struct pollfd *pfd = calloc((size_t)mine + 1, sizeof(*pfd));
	unsigned nready = 0, nblocked = 0;
	uint64_t since_poll = 0;

	if (!ready || !blocked || !pfd)
		die("out of memory");
	for (int i = t; i < K; i += W)
		if (srcs[i].total)
			ready[nready++] = &srcs[i];
	while (nready || nblocked) {
		/* Full pipes wait in "blocked" until poll says they have room;
		 * look at them when nothing else can be written, or once as
		 * many writes as there are blocked pipes have been done. */
		if (nblocked && (!nready || since_poll >= (uint64_t)nblocked)) {
			for (unsigned i = 0; i < nblocked; i++)
				pfd[i] = (struct pollfd){ blocked[i]->fd, POLLOUT, 0 };
			int r = poll(pfd, (nfds_t)nblocked, nready ? 0 : 1000);
			if (r < 0 && errno != EINTR)
				die("poll:");
			for (unsigned i = nblocked; r > 0 && i-- > 0;) {
				if (!pfd[i].revents)
					continue;
				if (pfd[i].revents & (POLLERR | POLLHUP))
					die("source bench-%d: the receiver closed it",
					    blocked[i]->id);
				ready[nready++] = blocked[i];
				blocked[i] = blocked[--nblocked];
			}
			since_poll = 0;
		}
		for (unsigned i = 0; i < nready;) {
			struct src *s = ready[i];
			if (s->off == s->len) {
				if (s->j == s->total) {
					ready[i] = ready[--nready];
					continue;
				}
				fill(s);
			}
			size_t want = line_shape ? (size_t)L : s->len - s->off;
			ssize_t n = write(s->fd, s->buf + s->off, want);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					die("write to bench-%d:", s->id);
				blocked[nblocked++] = s;
				ready[i] = ready[--nready];
				continue;
			}
			s->off += (size_t)n;
			since_poll++;
			i++;
		}
	}
	free(ready);
	free(blocked);
	free(pfd);
	return NULL;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void wait_drained(int fd)
{
	int n;

	for (;;) {
		if (ioctl(fd, FIONREAD, &n) < 0)
			die("ioctl FIONREAD:");
		if (n == 0)
			return;
		sleep_ns(20000);
	}
}

static pid_t spawn(char **argv, int out_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork:");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "loadgen: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Stops pid with sig and reaps it (SIGKILL after 5 s). */
static void stop(pid_t pid, int sig, const char *what)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, sig);
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				fprintf(stderr, "loadgen: %s exited with %d\n", what,
					WEXITSTATUS(status));
			return;
		}
		sleep_ns(10000000);
	}
	fprintf(stderr, "loadgen: %s did not stop on %s; killing it\n", what,
		strsignal(sig));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static unsigned long long drain_field(const char *qpath, const char *key)
{
	char *buf = query_all(qpath, "", 0, NULL, 5000);
	unsigned long long v = 0;

	if (buf) {
		char *p = strstr(buf, key);
		if (p)
			v = strtoull(p + strlen(key), NULL, 10);
		free(buf);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *regpath = NULL, *qpath = NULL;
	const char *fmode = "none", *fexe = NULL, *shape = "bulk";
	int pipe_size = 1 << 20;
	uint64_t rate = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:r:q:k:n:l:m:w:P:f:x:R:")) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'r': regpath = optarg; break;
		case 'q': qpath = optarg; break;
		case 'k': K = atoi(optarg); break;
		case 'n': N = strtoull(optarg, NULL, 10); break;
		case 'l': L = atoi(optarg); break;
		case 'm': shape = optarg; break;
		case 'w': W = atoi(optarg); break;
		case 'P': pipe_size = atoi(optarg); break;
		case 'f': fmode = optarg; break;
		case 'x': fexe = optarg; break;
		case 'R': rate = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!target || !regpath || !qpath || K < 1 || !N || L < PREFIX + 1 ||
	    W < 1 || optind >= argc || (strcmp(shape, "bulk") && strcmp(shape, "line")))
		goto usage;
	bool is_memlogd = !strcmp(target, "memlogd");
	bool want_follower = strcmp(fmode, "none") != 0;
	if (want_follower && (!fexe || !is_memlogd))
		goto usage;
	if (rate && (L < 42 || strcmp(fmode, "bench")))
		die("-R needs -l 42 or more and -f bench");
	if ((uint64_t)K > N)
		die("more sources than lines");
	line_shape = !strcmp(shape, "line") || rate;
	if (W > K)
		W = K;

	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(900);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0, 0, 0);
	atexit(stop_receiver_at_exit);

	/* The receiver. */
	unlink(regpath);
	unlink(qpath);
	daemon_pid = spawn(argv + optind, -1);
	int reg = -1;
	for (int i = 0; i < 5000 && reg < 0; i++) {
		reg = reg_connect(regpath);
		if (reg < 0)
			sleep_ns(1000000);
	}
	if (reg < 0)
		die("the receiver never bound %s", regpath);

	/* The sources. */
	srcs = calloc((size_t)K, sizeof(*srcs));
	if (!srcs)
		die("out of memory");
	int setsz_failed = 0;
	for (int i = 0; i < K; i++) {
		struct src *s = &srcs[i];
		int p[2];
		char name[64];

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe:");
		if (fcntl(p[1], F_SETPIPE_SZ, pipe_size) < 0)
			setsz_failed++;
		snprintf(name, sizeof(name), "bench-%d.out", i);
		int r = send_fd(reg, NULL, 0, p[0], name);
		if (r < 0) {
			errno = -r;
			die("register %s:", name);
		}
		close(p[0]);
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
		s->fd = p[1];
		s->id = i;
		s->lines = N / (uint64_t)K + ((uint64_t)i < N % (uint64_t)K);
		s->total = s->lines;
		s->cap = line_shape ? 64 : CHUNK / (uint32_t)L;
		if (!s->cap)
			s->cap = 1;
		s->buf = malloc((size_t)s->cap * (size_t)L);
		if (!s->buf)
			die("out of memory");
		for (uint32_t k = 0; k < s->cap; k++)
			format_line(s->buf + (size_t)k * (size_t)L, i, k, 0);
	}
	if (setsz_failed)
		fprintf(stderr, "loadgen: F_SETPIPE_SZ %d failed on %d pipes\n",
			pipe_size, setsz_failed);
	int last_id = (int)((N - 1) % (uint64_t)K);
	if (!rate)
		srcs[last_id].total--; /* held back, written at the end */

	/* Wait until the receiver has taken every fd off its socket. */
	for (int i = 0;; i++) {
		int q = 0;
		if (ioctl(reg, SIOCOUTQ, &q) < 0 || q == 0)
			break;
		if (i > 10000)
			die("the receiver does not read its registration socket");
		sleep_ns(1000000);
	}
	for (int i = 0;; i++) {
		long long open_fds;
		if (is_memlogd) {
			json_t *j = memlogd_stats(qpath, 10000);
			open_fds = j ? jint(json_object_get(j, "registrations"), NULL,
					    "sources_open") : -1;
			json_decref(j);
		} else {
			open_fds = (long long)drain_field(qpath, "open=");
		}
		if (open_fds >= K)
			break;
		if (i > 1000)
			die("the receiver registered %lld of %d sources", open_fds, K);
		sleep_ns(10000000);
	}

	/* The follower. */
	int fout[2] = { -1, -1 };
	if (want_follower) {
		char nbuf[32];
		snprintf(nbuf, sizeof(nbuf), "%llu", (unsigned long long)N);
		if (!strcmp(fmode, "logread")) {
			char *fargv[] = { (char *)fexe, "-F", "-socket", (char *)qpath, NULL };
			int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
			follower_pid = spawn(fargv, nul);
			close(nul);
		} else {
			char *fargv[] = { (char *)fexe, "-q", (char *)qpath, "-n", nbuf,
					  "-m", !strcmp(fmode, "legacy") ? "legacy" : "v2",
					  rate ? "-L" : NULL, NULL };
			if (pipe2(fout, O_CLOEXEC) < 0)
				die("pipe:");
			follower_pid = spawn(fargv, fout[1]);
			close(fout[1]);
		}
		for (int i = 0;; i++) {
			json_t *j = memlogd_stats(qpath, 10000);
			/* the stats request itself is one of the readers */
			long long c = j ? jint(json_object_get(j, "readers"), NULL,
					       "connected") : -1;
			json_decref(j);
			if (c >= 2)
				break;
			if (i > 500)
				die("the follower never connected");
			sleep_ns(10000000);
		}
		sleep_ns(20000000); /* let it send its request and go idle */
	}

	/* Timed. */
	long rss_before = proc_status_kb(daemon_pid, "VmRSS");
	uint64_t cpu0 = 0, cpu1 = 0, sch0 = 0, sch1 = 0;
	if (proc_cpu_ns(daemon_pid, &cpu0) < 0 || proc_sched_ns(daemon_pid, &sch0) < 0)
		die("cannot read /proc/%d", (int)daemon_pid);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t t0 = mono_ns();
	char *last_line = malloc((size_t)L);
	if (!last_line)
		die("out of memory");

	if (rate) {
		uint64_t period = 1000000000ull / rate;
		for (uint64_t i = 0; i < N; i++) {
			uint64_t due = t0 + i * period;
			struct timespec ts = { (time_t)(due / 1000000000ull),
					       (long)(due % 1000000000ull) };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			struct src *s = &srcs[i % (uint64_t)K];
			format_line(last_line, s->id, i / (uint64_t)K, mono_ns());
			if (write_all(s->fd, last_line, (size_t)L) < 0)
				die("write:");
		}
		for (int i = 0; i < K; i++)
			wait_drained(srcs[i].fd);
	} else {
		pthread_t th[64];
		if (W > 64)
			W = 64;
		for (int t = 0; t < W; t++)
			if (pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t))
				die("pthread_create failed");
		for (int t = 0; t < W; t++)
			pthread_join(th[t], NULL);
		for (int i = 0; i < K; i++)
			wait_drained(srcs[i].fd);
		struct src *s = &srcs[last_id];
		format_line(last_line, last_id, s->lines - 1, 0);
		if (write_all(s->fd, last_line, (size_t)L) < 0)
			die("write:");
		wait_drained(s->fd);
	}
	uint64_t t1 = mono_ns();
	getrusage(RUSAGE_SELF, &ru1);
	proc_cpu_ns(daemon_pid, &cpu1);
	proc_sched_ns(daemon_pid, &sch1);

	/* Checks, untimed. */
	long long ring_entries = -1;
	if (is_memlogd) {
		json_t *j = memlogd_stats(qpath, 10000);
		json_t *arr = j ? json_object_get(j, "sources") : NULL;
		char *seen = calloc((size_t)K, 1);
		if (!json_is_array(arr)) {
			mismatch("no stats from memlogd");
		} else {
			size_t idx;
			json_t *e;
			ring_entries = jint(json_object_get(j, "ring"), NULL, "entries");
			json_array_foreach(arr, idx, e) {
				const char *name = json_string_value(json_object_get(e, "name"));
				int id;
				char tail[8];
				if (!name || sscanf(name, "bench-%d.%7s", &id, tail) != 2 ||
				    strcmp(tail, "out") || id < 0 || id >= K) {
					long long l = jint(e, NULL, "lines");
					if (name && strcmp(name, "memlogd") == 0 && l == 0)
						continue;
					mismatch("unexpected source %s with %lld lines",
						 name ? name : "?", l);
					continue;
				}
				long long l = jint(e, NULL, "lines");
				seen[id] = 1;
				if (l != (long long)srcs[id].lines)
					mismatch("source %s: %lld lines in stats, %llu written",
						 name, l, (unsigned long long)srcs[id].lines);
				if (jint(e, NULL, "dropped") > 0 || jint(e, NULL, "partial") > 0)
					mismatch("source %s: dropped %lld, partial %lld",
						 name, jint(e, NULL, "dropped"),
						 jint(e, NULL, "partial"));
			}
			for (int i = 0; i < K; i++)
				if (!seen[i])
					mismatch("source bench-%d.out missing from stats", i);
		}
		free(seen);
		json_decref(j);

		char *d = query_all(qpath, "dump last=1\n", 12, NULL, 10000);
		json_error_t err;
		json_t *e = d ? json_loads(d, JSON_DISABLE_EOF_CHECK, &err) : NULL;
		const char *msg = json_string_value(json_object_get(e, "msg"));
		const char *src = json_string_value(json_object_get(e, "source"));
		char want_src[64];
		snprintf(want_src, sizeof(want_src), "bench-%d.out", last_id);
		if (!msg || !src || strlen(msg) != (size_t)L - 1 ||
		    memcmp(msg, last_line, (size_t)L - 1) || strcmp(src, want_src))
			mismatch("dump last=1 gave %.200s; expected source %s msg %.*s",
				 d ? d : "nothing", want_src, L - 1, last_line);
		json_decref(e);
		free(d);
	} else {
		unsigned long long b = drain_field(qpath, "bytes=");
		if (b != N * (uint64_t)L)
			mismatch("drain received %llu bytes, %llu written", b,
				 (unsigned long long)(N * (uint64_t)L));
	}
	long hwm = proc_status_kb(daemon_pid, "VmHWM");
	long rss_after = proc_status_kb(daemon_pid, "VmRSS");
	long rss_anon = proc_status_kb(daemon_pid, "RssAnon");
	long rss_file = proc_status_kb(daemon_pid, "RssFile");
	long rss_shmem = proc_status_kb(daemon_pid, "RssShmem");

	char fres[1024] = "";
	uint64_t tf = 0;
	if (follower_pid > 0 && fout[0] >= 0) {
		size_t len = 0;
		for (;;) {
			ssize_t n = read(fout[0], fres + len, sizeof(fres) - 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		tf = mono_ns();
		fres[len] = 0;
		if (len && fres[len - 1] == '\n')
			fres[len - 1] = 0;
		int status;
		waitpid(follower_pid, &status, 0);
		follower_pid = -1;
		if (!strstr(fres, "f_exact=1"))
			mismatch("follower: received + missed != %llu produced: %s",
				 (unsigned long long)N, fres);
	} else if (follower_pid > 0) {
		stop(follower_pid, SIGTERM, "logread");
		follower_pid = -1;
	}
	for (int i = 0; i < K; i++)
		close(srcs[i].fd);
	/* SIGINT, not SIGTERM: memlogd keeps everything in its fd holder
	 * over a SIGTERM (a restart), and the next run would take this run's
	 * sources and ring back. SIGINT lets the holder go too. */
	stop(daemon_pid, SIGINT, target);
	daemon_pid = -1;
	reap_holders();

	double secs = (double)(t1 - t0) / 1e9;
	printf("target=%s follower=%s K=%d L=%d shape=%s writers=%d N=%llu "
	       "bytes=%llu secs=%.6f lines_s=%.0f mb_s=%.2f cpu_s=%.3f "
	       "sched_s=%.6f cpu_us_line=%.4f sched_us_line=%.4f hwm_kb=%ld rss_before_kb=%ld "
	       "rss_kb=%ld anon_kb=%ld file_kb=%ld shmem_kb=%ld "
	       "ring_entries=%lld gen_cpu_s=%.3f ok=%d",
	       target, fmode, K, L, rate ? "line" : shape, rate ? 1 : W,
	       (unsigned long long)N, (unsigned long long)(N * (uint64_t)L),
	       secs, (double)N / secs, (double)N * L / secs / 1e6,
	       (double)(cpu1 - cpu0) / 1e9, (double)(sch1 - sch0) / 1e9,
	       (double)(cpu1 - cpu0) / 1e3 / (double)N,
	       (double)(sch1 - sch0) / 1e3 / (double)N, hwm, rss_before,
	       rss_after, rss_anon, rss_file, rss_shmem, ring_entries,
	       tv_s(&ru1.ru_utime) + tv_s(&ru1.ru_stime) -
	       tv_s(&ru0.ru_utime) - tv_s(&ru0.ru_stime), mismatches == 0);
	if (fres[0])
		printf(" f_done_s=%.6f %s", (double)(tf - t0) / 1e9, fres);
	printf("\n");
	return mismatches ? 1 : 0;

usage:
	fprintf(stderr, "usage: loadgen -t memlogd|drain -r REGSOCK -q QUERYSOCK "
		"-k K -n N -l L -m bulk|line [-w WRITERS] [-P PIPESIZE] "
		"[-f none|bench|legacy|logread -x EXE] [-R RATE] -- RECEIVER [ARGS...]\n");
	return 2;
}
