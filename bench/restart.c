/* restart: what a crash of memlogd costs when its fd holder keeps
 * everything (issue 11), and what keeping costs.
 *
 *   restart -m adopt|rss|pause -d DIR [-k K] [-l L] [-n REPS] [-T MS] [-B] [-U]
 *           -- MEMLOGD [OPTION...]
 *
 * memlogd runs as `MEMLOGD -socket-log DIR/reg.sock -socket-query
 * DIR/query.sock OPTION...`. restart registers K sources with it exactly as
 * LinuxKit init does (a pipe each, the read end sent in one datagram named
 * bench-I.out) and keeps every write end: it is the process that holds the
 * pipes, as init or a container engine would. It registers them 8 at a
 * time, each batch once memlogd's fd holder has the last (-B: all at once;
 * see add_sources). It makes itself a subreaper, so that the fd holder,
 * which outlives a killed memlogd, becomes its child and is reaped at the
 * end; it stops memlogd with SIGINT, which lets the holder go.
 *
 * -m adopt (K = 1000 by default): fills the ring with L-byte lines, round
 *   robin, until its oldest entries have been evicted, then REPS times:
 *   fresh  the baseline: `MEMLOGD -socket-log DIR/fresh-reg.sock
 *          -socket-query DIR/fresh-query.sock OPTION... --fd-holder=no`,
 *          from posix_spawn() until a `stats` query is answered; then
 *          stopped;
 *   adopt  SIGKILL memlogd, reap it, start it again with the same command
 *          line; from the kill until `stats` answers with the K sources
 *          open, the same ring instance, the newest seq of before the kill
 *          and (at most 16 fewer, for the notices a start stores) as many
 *          entries;
 *   line   SIGKILL, reap, write one new line to one source, start again;
 *          from the kill until `dump last=8` returns that line.
 *   Prints a line "sources=... ring_entries=..." and then one per
 *   repetition: rep= fresh_us= adopt_us= adopt_exec_us= adopt_polls=
 *   line_us= line_exec_us= (the _exec_ figures from posix_spawn instead of
 *   the kill).
 *
 * -m rss (K = 10000 by default): VmRSS (and VmHWM, RssAnon, RssFile,
 *   RssShmem) of the holder and of memlogd, before any source, once the
 *   holder holds the K sources' fds, and 1.5 s after one line of every
 *   source was stored (memlogd gives unused pages back once a second). One
 *   line per phase.
 *
 * -m pause (K = 1): a writer thread writes one L-byte line every ms with a
 *   blocking write() for MS milliseconds (default 10000) and times every
 *   write(). In the first half memlogd runs undisturbed; in the second it
 *   is SIGKILLed and started again REPS times, evenly spread, each time
 *   until `stats` answers again. Prints the p50/p99/max of the write()
 *   times of each half, the largest while memlogd was down or starting,
 *   and checks that every line was stored. With -U the second half has
 *   live upgrades instead (SIGUSR2: memlogd executes its binary again in
 *   the same process), each until `stats` counts it.
 *
 * Exit status 0 if every check passed, 1 if one failed ("MISMATCH" on
 * stderr), 2 on errors. */
#include "bench.h"
#include "stats.h"

#include <dirent.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

extern char **environ;

static char **cmd;        /* memlogd's command line, with the sockets */
static const char *reg_path, *query_path;
static pid_t mld = -1;    /* memlogd */
static pid_t holder = -1; /* its fd holder, once known */
static int *src_fd;       /* write ends, one per source */
static int K, L = 64;
static int mismatches;

static void mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "restart: MISMATCH: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mismatches++;
}

/* argv of base[0] with the two sockets, then base[1..], then extra. */
static char **command(char **base, const char *reg, const char *qry,
		      const char *extra)
{
	int n = 0;

	while (base[n])
		n++;
	char **a = calloc((size_t)n + 6, sizeof(*a));
	if (!a)
		die("out of memory");
	int k = 0;
	a[k++] = base[0];
	a[k++] = "-socket-log";
	a[k++] = (char *)reg;
	a[k++] = "-socket-query";
	a[k++] = (char *)qry;
	for (int i = 1; i < n; i++)
		a[k++] = base[i];
	if (extra)
		a[k++] = (char *)extra;
	return a;
}

static pid_t start(char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		errno = r;
		die("spawn %s:", argv[0]);
	}
	return pid;
}

/* A process whose parent is ppid and whose name is comm, or -1. */
static pid_t find_child(pid_t ppid, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;

	if (!d)
		die("/proc:");
	while (found < 0 && (e = readdir(d))) {
		char path[300], buf[512], name[64];
		int pid, pp;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *l = strchr(buf, '('), *r = strrchr(buf, ')');
		if (!l || !r || r - l - 1 >= (long)sizeof(name) ||
		    sscanf(buf, "%d", &pid) != 1 ||
		    sscanf(r + 2, "%*c %d", &pp) != 1)
			continue;
		memcpy(name, l + 1, (size_t)(r - l - 1));
		name[r - l - 1] = 0;
		if (pp == ppid && !strcmp(name, comm))
			found = pid;
	}
	closedir(d);
	return found;
}

static int count_fds(pid_t pid)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Waits up to timeout_ms for pid (a child) to exit; true if it did. */
static bool reap(pid_t pid, int timeout_ms)
{
	for (int i = 0; i <= timeout_ms; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		sleep_ns(1000000);
	}
	return false;
}

/* memlogd's holder: its child at first, ours once a memlogd was killed. */
static void find_holder(void)
{
	for (int i = 0; i < 5000 && holder < 0; i++) {
		holder = find_child(mld, "memlog-fdholder");
		if (holder < 0)
			holder = find_child(getpid(), "memlog-fdholder");
		if (holder < 0)
			sleep_ns(1000000);
	}
	if (holder < 0)
		die("memlogd has no fd holder (is memlog-fdholder next to it?)");
}

/* SIGINT: memlogd lets its holder go; the holder, our child by then or
 * memlogd's until memlogd exits, is reaped. */
static void stop_all(void)
{
	if (mld > 0) {
		kill(mld, SIGINT);
		if (!reap(mld, 5000)) {
			fprintf(stderr, "restart: memlogd ignored SIGINT; killing it\n");
			kill(mld, SIGKILL);
			reap(mld, 5000);
		}
		mld = -1;
	}
	if (holder > 0) {
		if (!reap(holder, 5000)) {
			fprintf(stderr, "restart: the fd holder did not exit; SIGTERM\n");
			kill(holder, SIGTERM);
			reap(holder, 5000);
		}
		holder = -1;
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "restart: timed out, giving up\n";

	if (mld > 0)
		kill(mld, SIGINT);
	sleep_ns(1000000000);
	if (holder > 0)
		kill(holder, SIGTERM);
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(2);
}

/* One stats answer, waiting (for a socket that is not there yet, or not
 * served yet) up to timeout_ms in all; NULL if none came. */
static json_t *stats_wait(const char *qry, int timeout_ms, int *polls)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		json_t *j = memlogd_stats(qry, timeout_ms);
		if (polls)
			(*polls)++;
		if (j || mono_ns() > end)
			return j;
		sleep_ns(20000);
	}
}

/* An L-byte line: the text, then filler, then '\n'. */
static void format_line(char *p, const char *text)
{
	size_t n = strlen(text);

	if (n > (size_t)L - 1)
		n = (size_t)L - 1;
	memcpy(p, text, n);
	for (size_t k = n; k < (size_t)L - 1; k++)
		p[k] = (char)('a' + k % 26);
	p[L - 1] = '\n';
}

/* Waits up to timeout_ms until the holder has at least want fds. */
static bool holder_has(int want, int timeout_ms)
{
	for (int i = 0; count_fds(holder) < want; i++) {
		if (i >= timeout_ms)
			return false;
		sleep_ns(1000000);
	}
	return true;
}

/* Starts memlogd (cmd) and waits until it serves and its fd holder has
 * memlogd's own fds. */
static void start_serving(void)
{
	mld = start(cmd);
	json_t *j = stats_wait(query_path, 10000, NULL);
	if (!j)
		die("memlogd never answered on %s", query_path);
	json_decref(j);
	find_holder();
	sleep_ns(50000000);
}

/* Registers the K sources with memlogd. memlogd hands every fd to its
 * holder as it registers it, with MSG_DONTWAIT; the holder's socket queues
 * at most net.unix.max_dgram_qlen messages (10 by default), so a burst of
 * registrations that comes while the holder is not running loses the
 * keeping of some sources (they would not survive a crash). Unless
 * `burst`, the sources are therefore registered 8 at a time, each batch
 * once the holder has the previous one, so that every figure is of a
 * memlogd whose holder has everything; with `burst` they go as fast as
 * they can, as loadgen sends them. Prints a MISMATCH if the holder does
 * not end up with every source. */
static void add_sources(bool burst)
{
	json_t *j;
	int base = count_fds(holder);

	int reg = reg_connect(reg_path);
	if (reg < 0) {
		errno = -reg;
		die("connect %s:", reg_path);
	}
	src_fd = calloc((size_t)K, sizeof(*src_fd));
	if (!src_fd)
		die("out of memory");
	for (int i = 0; i < K; i++) {
		int p[2];
		char name[64];
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe:");
		snprintf(name, sizeof(name), "bench-%d.out", i);
		int r = send_fd(reg, NULL, 0, p[0], name);
		if (r < 0) {
			errno = -r;
			die("register %s:", name);
		}
		close(p[0]);
		src_fd[i] = p[1];
		if (!burst && (i % 8 == 7 || i == K - 1) && !holder_has(base + i + 1, 5000)) {
			mismatch("the holder has %d fds after %d registrations "
				 "(%d before); registering the rest at once",
				 count_fds(holder), i + 1, base);
			burst = true;
		}
	}
	for (int i = 0;; i++) {
		int q = 0;
		if (ioctl(reg, SIOCOUTQ, &q) < 0 || q == 0)
			break;
		if (i > 60000)
			die("memlogd does not read its registration socket");
		sleep_ns(1000000);
	}
	close(reg);
	for (int i = 0;; i++) {
		j = memlogd_stats(query_path, 10000);
		long long open = jint(json_object_get(j, "registrations"), NULL,
				      "sources_open");
		json_decref(j);
		if (open >= K)
			break;
		if (i > 3000)
			die("memlogd registered %lld of %d sources", open, K);
		sleep_ns(10000000);
	}
	if (!holder_has(base + K, 2000))
		mismatch("memlogd's fd holder keeps %d of the %d sources: the "
			 "others would not survive a crash",
			 count_fds(holder) - base, K);
}

/* Lines of the bench-* sources in a stats answer. */
static long long bench_lines(json_t *j)
{
	json_t *arr = json_object_get(j, "sources"), *e;
	long long sum = 0;
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n && !strncmp(n, "bench-", 6))
			sum += jint(e, NULL, "lines");
	}
	return sum;
}

static void wait_stored(long long want)
{
	long long have = -1;

	for (int i = 0; i < 6000; i++) {
		json_t *j = memlogd_stats(query_path, 10000);
		have = j ? bench_lines(j) : -1;
		json_decref(j);
		if (have == want)
			return;
		sleep_ns(10000000);
	}
	mismatch("%lld lines stored, %lld written", have, want);
}

/* ---- adopt ------------------------------------------------------------ */

struct ring_view {
	char instance[40];
	long long entries, newest, open;
};

static bool view_of(json_t *j, struct ring_view *v)
{
	const char *inst = json_string_value(json_object_get(j, "instance"));

	if (!inst)
		return false;
	snprintf(v->instance, sizeof(v->instance), "%s", inst);
	v->entries = jint(j, "ring", "entries");
	v->newest = jint(j, "ring", "newest_seq");
	v->open = jint(json_object_get(j, "registrations"), NULL, "sources_open");
	return true;
}

/* Writes rounds of `per` lines to every source until the ring has evicted
 * its oldest entries, then one round more. Returns the lines written. */
static long long fill_ring(void)
{
	const int per = 64;
	char *buf = malloc((size_t)per * (size_t)L);
	long long written = 0;
	bool turned = false;

	if (!buf)
		die("out of memory");
	for (int round = 0;; round++) {
		for (int s = 0; s < K; s++) {
			for (int k = 0; k < per; k++) {
				char t[64];
				snprintf(t, sizeof(t), "s%04d i%011lld ", s % 10000,
					 written + (long long)s * per + k);
				format_line(buf + (size_t)k * (size_t)L, t);
			}
			if (write_all(src_fd[s], buf, (size_t)per * (size_t)L) < 0)
				die("write:");
		}
		written += (long long)K * per;
		if (turned)
			break;
		json_t *j = memlogd_stats(query_path, 10000);
		turned = jint(j, "ring", "oldest_seq") > 1;
		json_decref(j);
		if (round > 100000)
			die("the ring never filled");
	}
	free(buf);
	wait_stored(written);
	return written;
}

static uint64_t fresh_start(char **fresh, const char *fresh_qry)
{
	uint64_t t0 = mono_ns();
	pid_t pid = start(fresh);
	json_t *j = stats_wait(fresh_qry, 10000, NULL);
	uint64_t t1 = mono_ns();

	if (!j)
		die("the fresh memlogd never answered on %s", fresh_qry);
	json_decref(j);
	kill(pid, SIGINT);
	if (!reap(pid, 5000))
		die("the fresh memlogd did not stop on SIGINT");
	return t1 - t0;
}

/* SIGKILL memlogd and reap it. */
static void crash(void)
{
	kill(mld, SIGKILL);
	if (waitpid(mld, NULL, 0) != mld)
		die("waitpid:");
	mld = -1;
}

static int mode_adopt(int reps, char **fresh, const char *fresh_qry, bool burst)
{
	start_serving();
	add_sources(burst);
	long long written = fill_ring();
	json_t *j = memlogd_stats(query_path, 10000);
	struct ring_view v0;
	if (!view_of(j, &v0))
		die("no stats from memlogd");
	printf("sources=%d L=%d lines_written=%lld ring_size=%lld ring_entries=%lld "
	       "held_fds=%d\n", K, L, written, jint(j, "ring", "size"), v0.entries,
	       count_fds(holder));
	json_decref(j);

	for (int rep = 1; rep <= reps; rep++) {
		uint64_t fresh_ns = fresh_start(fresh, fresh_qry);

		/* adopt */
		j = memlogd_stats(query_path, 10000);
		if (!view_of(j, &v0))
			die("no stats from memlogd");
		json_decref(j);
		uint64_t t0 = mono_ns();
		crash();
		uint64_t t1 = mono_ns();
		mld = start(cmd);
		int polls = 0;
		struct ring_view v;
		for (;;) {
			j = stats_wait(query_path, 30000, &polls);
			if (!j || !view_of(j, &v))
				die("the restarted memlogd does not answer stats");
			json_decref(j);
			if (v.open >= K && !strcmp(v.instance, v0.instance) &&
			    v.newest >= v0.newest && v.entries + 16 >= v0.entries)
				break;
			if (mono_ns() - t0 > 30000000000ull) {
				mismatch("after a restart: %lld sources open, instance %s, "
					 "newest seq %lld, %lld entries; before: %d, %s, %lld, %lld",
					 v.open, v.instance, v.newest, v.entries, K,
					 v0.instance, v0.newest, v0.entries);
				break;
			}
			sleep_ns(100000);
		}
		uint64_t t2 = mono_ns();

		/* line */
		char line[4096], text[64];
		snprintf(text, sizeof(text), "restart-line r%d ", rep);
		format_line(line, text);
		int s = rep % K;
		uint64_t u0 = mono_ns();
		crash();
		if (write_all(src_fd[s], line, (size_t)L) < 0)
			die("write to bench-%d.out while memlogd was down:", s);
		uint64_t u1 = mono_ns();
		mld = start(cmd);
		for (;;) {
			char *d = query_all(query_path, "dump last=8\n", 12, NULL, 30000);
			bool seen = d && strstr(d, text);
			free(d);
			if (seen)
				break;
			if (mono_ns() - u0 > 30000000000ull) {
				mismatch("the line written while memlogd was down is not "
					 "stored 30 s after the restart");
				break;
			}
			sleep_ns(100000);
		}
		uint64_t u2 = mono_ns();
		printf("rep=%d fresh_us=%.0f adopt_us=%.0f adopt_exec_us=%.0f "
		       "adopt_polls=%d line_us=%.0f line_exec_us=%.0f\n", rep,
		       (double)fresh_ns / 1e3, (double)(t2 - t0) / 1e3,
		       (double)(t2 - t1) / 1e3, polls, (double)(u2 - u0) / 1e3,
		       (double)(u2 - u1) / 1e3);
		fflush(stdout);
	}
	stop_all();
	return 0;
}

/* ---- rss -------------------------------------------------------------- */

static void print_rss(const char *phase)
{
	static const char *const keys[] = { "VmRSS", "VmHWM", "RssAnon", "RssFile",
					    "RssShmem" };
	pid_t who[2] = { holder, mld };
	const char *tag[2] = { "holder", "memlogd" };

	printf("phase=%s sources=%d held_fds=%d", phase, K,
	       holder > 0 ? count_fds(holder) : -1);
	for (int w = 0; w < 2; w++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			printf(" %s_%s_kb=%ld", tag[w], keys[k],
			       who[w] > 0 ? proc_status_kb(who[w], keys[k]) : -1);
	printf("\n");
	fflush(stdout);
}

static int mode_rss(bool burst)
{
	start_serving();
	print_rss("empty");
	add_sources(burst);
	print_rss("registered");
	char line[4096];
	format_line(line, "one line ");
	for (int s = 0; s < K; s++)
		if (write_all(src_fd[s], line, (size_t)L) < 0)
			die("write:");
	wait_stored(K);
	sleep_ns(1500000000); /* memlogd's housekeeping gives pages back each second */
	print_rss("one_line_each");
	stop_all();
	return 0;
}

/* ---- pause ------------------------------------------------------------ */

struct wr {
	uint64_t at;   /* when the write() began, ns after the start */
	uint64_t took; /* how long it took, ns */
};

struct writer {
	int fd;
	uint64_t t0, n, errors;
	struct wr *w;
};

static void *writer_main(void *arg)
{
	struct writer *wt = arg;
	char line[4096];

	for (uint64_t i = 0; i < wt->n; i++) {
		uint64_t due = wt->t0 + i * 1000000ull;
		struct timespec ts = { (time_t)(due / 1000000000ull),
				       (long)(due % 1000000000ull) };
		char t[64];
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		snprintf(t, sizeof(t), "pause i%011llu ", (unsigned long long)i);
		format_line(line, t);
		uint64_t a = mono_ns();
		ssize_t r = write(wt->fd, line, (size_t)L);
		uint64_t b = mono_ns();
		if (r != L)
			wt->errors++;
		wt->w[i] = (struct wr){ a - wt->t0, b - a };
	}
	return NULL;
}

struct dist {
	uint64_t n, p50, p99, max;
};

/* Percentiles of the write() times of the writes that began in [from, to). */
static struct dist dist_of(const struct wr *w, uint64_t n, uint64_t from, uint64_t to)
{
	uint64_t *v = malloc((size_t)n * sizeof(*v) + 1);
	struct dist d = { 0, 0, 0, 0 };

	if (!v)
		die("out of memory");
	for (uint64_t i = 0; i < n; i++)
		if (w[i].at >= from && w[i].at < to)
			v[d.n++] = w[i].took;
	if (d.n) {
		qsort(v, (size_t)d.n, sizeof(*v), cmp_u64);
		d.p50 = v[(d.n - 1) / 2];
		d.p99 = v[(d.n * 99 + 99) / 100 - 1];
		d.max = v[d.n - 1];
	}
	free(v);
	return d;
}

/* SIGUSR2 (the live upgrade) and wait until stats counts upgrade n. */
static void upgrade_wait(long long n)
{
	uint64_t end = mono_ns() + 30000000000ull;

	kill(mld, SIGUSR2);
	for (;;) {
		json_t *j = memlogd_stats(query_path, 1000);
		long long done = j ? jint(j, NULL, "upgrades") : -1;
		json_decref(j);
		if (done >= n)
			return;
		if (mono_ns() > end)
			die("upgrade %lld not done within 30 s", n);
		sleep_ns(20000);
	}
}

static int mode_pause(int reps, uint64_t ms, bool burst, bool upgrade)
{
	start_serving();
	add_sources(burst);

	struct writer wt = { .fd = src_fd[0], .n = ms };
	wt.w = calloc((size_t)wt.n, sizeof(*wt.w));
	if (!wt.w)
		die("out of memory");
	uint64_t half = ms / 2 * 1000000ull;
	wt.t0 = mono_ns() + 10000000ull;
	pthread_t th;
	if (pthread_create(&th, NULL, writer_main, &wt))
		die("pthread_create failed");

	uint64_t *down = calloc((size_t)reps * 2, sizeof(*down));
	uint64_t *took = calloc((size_t)reps, sizeof(*took));
	if (!down || !took)
		die("out of memory");
	for (int r = 0; r < reps; r++) {
		uint64_t due = wt.t0 + half + (half * (2 * (uint64_t)r + 1)) / (2 * (uint64_t)reps);
		sleep_ns(due > mono_ns() ? due - mono_ns() : 0);
		uint64_t a = mono_ns();
		if (upgrade) {
			upgrade_wait(r + 1);
		} else {
			crash();
			mld = start(cmd);
		}
		json_t *j = stats_wait(query_path, 30000, NULL);
		uint64_t b = mono_ns();
		long long open = jint(json_object_get(j, "registrations"), NULL,
				      "sources_open");
		json_decref(j);
		if (open < 1)
			mismatch("restart %d: memlogd answers with %lld sources open",
				 r + 1, open);
		down[2 * r] = a - wt.t0;
		down[2 * r + 1] = b - wt.t0;
		took[r] = b - a;
	}
	pthread_join(th, NULL);
	wait_stored((long long)wt.n);
	if (wt.errors)
		mismatch("%llu write()s failed", (unsigned long long)wt.errors);

	struct dist st = dist_of(wt.w, wt.n, 0, half);
	struct dist rs = dist_of(wt.w, wt.n, half, UINT64_MAX);
	uint64_t dn = 0, dmax = 0;
	for (int r = 0; r < reps; r++) {
		struct dist d = dist_of(wt.w, wt.n, down[2 * r], down[2 * r + 1] + 1000000ull);
		dn += d.n;
		if (d.max > dmax)
			dmax = d.max;
	}
	qsort(took, (size_t)reps, sizeof(*took), cmp_u64);
	printf("writes=%llu restarts=%d restart_ms_median=%.2f restart_ms_max=%.2f "
	       "steady_n=%llu steady_p50_us=%.1f steady_p99_us=%.1f steady_max_us=%.1f "
	       "restart_n=%llu restart_p50_us=%.1f restart_p99_us=%.1f restart_max_us=%.1f "
	       "down_n=%llu down_max_us=%.1f errors=%llu ok=%d\n",
	       (unsigned long long)wt.n, reps,
	       reps ? (double)took[(reps - 1) / 2] / 1e6 : 0.0,
	       reps ? (double)took[reps - 1] / 1e6 : 0.0,
	       (unsigned long long)st.n, (double)st.p50 / 1e3, (double)st.p99 / 1e3,
	       (double)st.max / 1e3, (unsigned long long)rs.n, (double)rs.p50 / 1e3,
	       (double)rs.p99 / 1e3, (double)rs.max / 1e3, (unsigned long long)dn,
	       (double)dmax / 1e3, (unsigned long long)wt.errors, mismatches == 0);
	stop_all();
	return 0;
}

static void cleanup_at_exit(void)
{
	stop_all();
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *dir = NULL;
	int reps = 5, opt;
	uint64_t ms = 10000;
	bool burst = false, upgrade = false;

	while ((opt = getopt(argc, argv, "m:d:k:l:n:T:BU")) != -1) {
		switch (opt) {
		case 'B': burst = true; break;
		case 'U': upgrade = true; break;
		case 'm': mode = optarg; break;
		case 'd': dir = optarg; break;
		case 'k': K = atoi(optarg); break;
		case 'l': L = atoi(optarg); break;
		case 'n': reps = atoi(optarg); break;
		case 'T': ms = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!mode || !dir || optind >= argc || L < 24 || L > 4096 || reps < 0 ||
	    (strcmp(mode, "adopt") && strcmp(mode, "rss") && strcmp(mode, "pause")) ||
	    ms < 100)
		goto usage;
	if (!K)
		K = !strcmp(mode, "adopt") ? 1000 : !strcmp(mode, "rss") ? 10000 : 1;
	if (K < 1)
		goto usage;

	char *paths[4];
	const char *names[4] = { "reg.sock", "query.sock", "fresh-reg.sock",
				 "fresh-query.sock" };
	for (int i = 0; i < 4; i++)
		if (asprintf(&paths[i], "%s/%s", dir, names[i]) < 0)
			die("out of memory");
	reg_path = paths[0];
	query_path = paths[1];
	cmd = command(argv + optind, paths[0], paths[1], NULL);
	char **fresh = command(argv + optind, paths[2], paths[3], "--fd-holder=no");

	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(1200);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0, 0, 0) < 0)
		die("PR_SET_CHILD_SUBREAPER:");
	atexit(cleanup_at_exit);

	int r;
	if (!strcmp(mode, "adopt"))
		r = mode_adopt(reps, fresh, paths[3], burst);
	else if (!strcmp(mode, "rss"))
		r = mode_rss(burst);
	else
		r = mode_pause(reps, ms, burst, upgrade);
	for (int i = 0; i < K && src_fd; i++)
		close(src_fd[i]);
	return r ? 2 : mismatches ? 1 : 0;

usage:
	fprintf(stderr, "usage: restart -m adopt|rss|pause -d DIR [-k K] [-l L] "
		"[-n REPS] [-T MS] [-B] [-U] -- MEMLOGD [OPTION...]\n");
	return 2;
}
