/* memlogd killed under load (issue 11), with real processes throughout:
 * the test starts memlogd, kills it and starts it again itself, always
 * with the same command line (the same struct mld: mld_kill9, mld_start).
 *
 * test_sigkill_torture: 20 writers through memlog-run, 2 runc containers
 * through memlog-runc (tee capture: each container's stdout and stderr go
 * on to the "engine's" pipes, which the test reads into files), logwrite
 * writing into a directory, and a logread -F follower. memlogd is
 * SIGKILLed MEMLOG_CRASH_KILLS times (default 50) at random moments: some
 * while a writer's long line is half written and its start already read
 * by memlogd, some while a writer is in the middle of a big burst, some
 * while memlogd is still starting; one more writer is started while
 * memlogd is down. Then: no writer died (each exits 0, no EPIPE), every
 * container exits with its own status, every byte of every source is in
 * the ring exactly once and in order (lines split only where they are
 * longer than --max-line-len), memlogd reports no loss, logwrite's files
 * hold every line exactly once, the engine's pipes got every byte, and the
 * follower received every entry exactly once (no marker, no missed entry:
 * the ring is large enough), across its restarts. logread does not
 * reconnect by itself yet: when it ends, the test starts it again with
 * -after-cursor (the cursor of the last entry it printed); a logread that
 * reconnects by itself simply never ends.
 *
 * test_holder_killed: the fd holder SIGKILLed under load, five times:
 * each time memlogd starts a new one and hands it everything (its HELLO
 * counts every fd), says so in a notice, and loses nothing; then memlogd
 * is SIGKILLed and takes everything back from the last holder.
 * test_holder_killed_after_restart: the same with a memlogd that took its
 * sockets back from the holder (restarted once first); then memlogd is
 * killed and a writer registers while it is down.
 * test_holder_stopped: the holder stops reading (SIGSTOP) while 600
 * sources register; once it reads again it must hold every one of them.
 *
 * test_fd_store_restarts: the same restarts with --fd-store under the
 * test's own service manager (the notify socket, LISTEN_FDS and
 * LISTEN_FDNAMES, as in itest_fdstore.c): MEMLOG_CRASH_FDSTORE_KILLS kills
 * (default 5) under load, with a tee'd source whose destination the test
 * reads. test_fd_store_manager_busy: sources that register while the
 * manager's notify socket is full (other services' messages waiting, as
 * at boot) must still reach the store: no writer may get EPIPE when
 * memlogd is then killed.
 *
 * The writers are this binary run again (--crash-writer): line I of
 * writer K is a function of the seed, K and I alone, so the test knows
 * every byte a writer produced from the number of lines it says it wrote.
 * Every check runs and says what it found; the test fails at the end if
 * any did. The seed is printed; MEMLOG_CRASH_SEED=N replays its choices
 * (the timing of a run cannot be replayed). */
#include "harness.h"
#include "rt_engine.h"
#include "fdmgr.h"

/* The fds memlogd keeps of its own: the ring, the state, the bounce
 * pipe's two ends, both sockets and the uid-since memfd (uidsince.h). */
#define OWN_KEPT 7
#include "fdhold.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINE_LEN 1024  /* memlogd's --max-line-len in these tests */
#define MAX_WRITERS 24
#define LINE_CAP 6200      /* the longest line a writer makes, and more */
#define ERR_EVERY 64       /* writer K's line I also makes a stderr line
			    * when I is a multiple of this */
#define CTR_LONG_EVERY 40  /* a container's line I is followed by a long
			    * one and a stderr line when I is a multiple */
#define CTR_MAX_LINES 200000

/* ---- what the test and its writers share (a file both map) ---- */

enum wstate {
	W_IDLE,
	W_BURST,          /* in the write() of a commanded burst */
	W_MIDLINE,        /* part of a line written, the rest not yet */
	W_MIDLINE_READ,   /* the same, and memlogd has read all of it */
};

enum wcmd {
	C_NONE,
	C_BURST,          /* write a burst of 300-700 KiB in one write() */
	C_MIDLINE,        /* write part of the next long line and wait
			   * (W_MIDLINE_READ) until the test sets C_NONE */
};

struct wslot {
	uint32_t state;   /* enum wstate, set by the writer */
	uint32_t cmd;     /* enum wcmd, set by the test */
	int32_t err;      /* errno of a failed write (the writer exits 3) */
	uint32_t done;    /* 1: it stopped as told, lines is final */
	uint64_t lines;   /* stdout lines written completely */
};

struct shared {
	uint32_t stop;    /* set by the test: finish the line, exit 0 */
	uint32_t pad;
	struct wslot w[MAX_WRITERS];
};

static uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* ---- deterministic content ---- */

/* splitmix64's finaliser. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix64(*s);
}

/* In [lo, hi]. */
static uint64_t rnd_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd_next(s) % (hi - lo + 1);
}

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-";

static uint64_t line_hash(uint64_t seed, unsigned k, uint64_t i)
{
	return mix64(seed ^ mix64(((uint64_t)k << 48) ^ i));
}

/* One line in 16 is 1100-6099 bytes of padding long: longer than
 * --max-line-len, so memlogd splits it. */
static bool line_long(uint64_t seed, unsigned k, uint64_t i)
{
	return line_hash(seed, k, i) % 16 == 0;
}

/* Line i (from 1) of writer k, with its newline, into buf (LINE_CAP
 * bytes); returns its length. */
static size_t line_make(char *buf, uint64_t seed, unsigned k, uint64_t i)
{
	uint64_t h = line_hash(seed, k, i), r = h;
	size_t n = (size_t)snprintf(buf, 48, "w%u %" PRIu64, k, i);
	size_t pad = h % 16 == 0 ? 1100 + (size_t)((h >> 8) % 5000)
				 : (size_t)((h >> 8) % 100);

	if (pad)
		buf[n++] = ' ';
	for (size_t j = 0; j < pad; j++) {
		if (j % 10 == 0)
			r = mix64(r + j);
		buf[n++] = alphabet[r & 63];
		r >>= 6;
	}
	buf[n++] = '\n';
	return n;
}

static size_t err_line_make(char *buf, unsigned k, uint64_t i)
{
	return (size_t)snprintf(buf, 48, "w%u E %" PRIu64 "\n", k, i);
}

/* A growing byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_room(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	while (b->len + more > b->cap)
		b->cap = b->cap ? 2 * b->cap : 65536;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		abort();
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	buf_room(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Everything writer k wrote to stdout and stderr in n lines. */
static void writer_texts(uint64_t seed, unsigned k, uint64_t n, struct buf *out,
			 struct buf *err)
{
	char line[LINE_CAP];

	for (uint64_t i = 1; i <= n; i++) {
		buf_room(out, LINE_CAP);
		out->len += line_make(out->p + out->len, seed, k, i);
		if (i % ERR_EVERY == 0)
			buf_add(err, line, err_line_make(line, k, i));
	}
}

/* ---- the writer: this binary as memlog-run's command ---- */

struct writer {
	struct wslot *slot;
	uint32_t *stop;
	uint64_t seed, rng;
	uint64_t cap;        /* lines to write over dur_ms (commanded
			      * bursts come on top) */
	uint64_t next;       /* the next line's number */
	uint64_t t0, dur_ms;
	unsigned k;
	struct buf b;
};

static void w_put(struct writer *w, int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			__atomic_store_n(&w->slot->err, r < 0 ? errno : EIO,
					 __ATOMIC_SEQ_CST);
			_exit(3);
		}
		p += r;
		n -= (size_t)r;
	}
}

/* Lines first..next-1 are written to stdout: their stderr lines follow,
 * and the slot counts them. */
static void w_written(struct writer *w, uint64_t first)
{
	char e[4096];
	size_t n = 0;

	for (uint64_t i = first; i < w->next; i++) {
		if (i % ERR_EVERY)
			continue;
		if (n + 48 > sizeof(e)) {
			w_put(w, 2, e, n);
			n = 0;
		}
		n += err_line_make(e + n, w->k, i);
	}
	if (n)
		w_put(w, 2, e, n);
	__atomic_store_n(&w->slot->lines, w->next - 1, __ATOMIC_SEQ_CST);
}

/* count lines, or lines until min_bytes, in one write(). */
static void w_lines(struct writer *w, uint64_t count, size_t min_bytes)
{
	uint64_t first = w->next;

	w->b.len = 0;
	while ((count && w->next - first < count) ||
	       (min_bytes && w->b.len < min_bytes)) {
		buf_room(&w->b, LINE_CAP);
		w->b.len += line_make(w->b.p + w->b.len, w->seed, w->k, w->next++);
	}
	w_put(w, 1, w->b.p, w->b.len);
	w_written(w, first);
}

/* Bytes written to fd that its reader has not read yet: a socket's send
 * queue, or what a pipe holds. */
static size_t outq(int fd)
{
	int v = 0;

	if (ioctl(fd, SIOCOUTQ, &v) < 0 && ioctl(fd, FIONREAD, &v) < 0)
		return 0;
	return v > 0 ? (size_t)v : 0;
}

/* The next line (a long one) in pieces. Commanded: the first piece, then
 * W_MIDLINE_READ once memlogd has read it (nothing left in the socket),
 * and the rest once the test lets go (after killing and restarting
 * memlogd). Otherwise in 2-4 pieces with pauses of 2-20 ms. */
static void w_pieces(struct writer *w, bool commanded)
{
	char line[LINE_CAP];
	uint64_t first = w->next;
	size_t n = line_make(line, w->seed, w->k, w->next++);

	store32(&w->slot->state, W_MIDLINE);
	if (commanded) {
		size_t cut = (size_t)rnd_range(&w->rng, 1, n - 2);
		uint64_t end = h_now_ms() + 20000;

		w_put(w, 1, line, cut);
		while (outq(1) > 0 && h_now_ms() < end)
			h_sleep_ms(1);
		store32(&w->slot->state, W_MIDLINE_READ);
		while (load32(&w->slot->cmd) == C_MIDLINE && h_now_ms() < end)
			h_sleep_ms(1);
		w_put(w, 1, line + cut, n - cut);
	} else {
		size_t cuts[4], k = (size_t)rnd_range(&w->rng, 1, 3), at = 0;

		for (size_t i = 0; i < k; i++)
			cuts[i] = (size_t)rnd_range(&w->rng, 1, n - 1);
		cuts[k] = n;
		for (size_t i = 0; i <= k; i++) {
			size_t to = cuts[i] > at ? cuts[i] : at;
			w_put(w, 1, line + at, to - at);
			at = to;
			if (i < k)
				usleep((useconds_t)rnd_range(&w->rng, 2000, 20000));
		}
	}
	store32(&w->slot->state, W_IDLE);
	w_written(w, first);
}

/* --crash-writer K SEED SHM CAP DUR_MS: writes numbered lines (some long,
 * one by one, in small bursts, in pieces, with pauses), paced to write
 * CAP lines over DUR_MS, and does what the test commands, until the test
 * sets stop. */
static int writer_main(int argc, char **argv)
{
	struct writer w = { 0 };
	struct shared *sh;
	int fd;

	if (argc != 7)
		return 64;
	w.k = (unsigned)strtoul(argv[2], NULL, 10);
	w.seed = strtoull(argv[3], NULL, 10);
	w.cap = strtoull(argv[5], NULL, 10);
	w.dur_ms = strtoull(argv[6], NULL, 10);
	if (w.k >= MAX_WRITERS || !w.dur_ms)
		return 64;
	fd = open(argv[4], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 65;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return 65;
	close(fd);
	/* As for any program: a write to a pipe nobody reads kills it. */
	signal(SIGPIPE, SIG_DFL);
	w.slot = &sh->w[w.k];
	w.stop = &sh->stop;
	w.rng = mix64(w.seed ^ (0x5eedull << 32) ^ w.k);
	w.next = 1;
	w.t0 = h_now_ms();
	while (!load32(w.stop)) {
		uint32_t cmd = load32(&w.slot->cmd);
		if (cmd == C_BURST) {
			store32(&w.slot->state, W_BURST);
			w_lines(&w, 0, (size_t)rnd_range(&w.rng, 300 << 10,
							700 << 10));
			store32(&w.slot->state, W_IDLE);
			store32(&w.slot->cmd, C_NONE);
			continue;
		}
		if (cmd == C_MIDLINE) {
			while (!line_long(w.seed, w.k, w.next))
				w_lines(&w, 1, 0);
			w_pieces(&w, true);
			continue;
		}
		uint64_t done = w.next - 1;
		uint64_t target = w.cap * (h_now_ms() - w.t0) / w.dur_ms + 1;
		if (done >= w.cap || done >= target) {
			h_sleep_ms((unsigned)rnd_range(&w.rng, 2, 10));
			continue;
		}
		uint64_t a = rnd_next(&w.rng) % 100;
		if (a < 55) {
			for (uint64_t n = rnd_range(&w.rng, 1, 8); n > 0; n--) {
				w_lines(&w, 1, 0);
				usleep((useconds_t)(rnd_next(&w.rng) % 1500));
			}
		} else if (a < 75) {
			w_lines(&w, rnd_range(&w.rng, 10, 150), 0);
		} else if (a < 85) {
			if (line_long(w.seed, w.k, w.next))
				w_pieces(&w, false);
			else
				w_lines(&w, 1, 0);
		} else {
			h_sleep_ms((unsigned)rnd_range(&w.rng, 2, 30));
		}
	}
	store32(&w.slot->done, 1);
	free(w.b.p);
	return 0;
}

/* ---- the service manager stand-in (--fd-store): fdmgr.h ---- */

#define MAX_PASSED 16     /* what mld_start hands a child */

/* ---- the test's side ---- */

struct wproc {
	pid_t pid;        /* memlog-run, then the writer (the same process) */
	bool ended;
	int status;
	bool direct;      /* run without memlog-run */
	char err[160];    /* memlog-run's own stderr (direct: the writer's) */
};

struct follower {
	pid_t pid;        /* logread -F, 0 between runs */
	int out_fd;       /* its output file, appended to by every run */
	char out[160], err[160];
	unsigned starts;
	unsigned ended_ok, ended_other; /* runs that ended: status 0, else */
	char others[256];  /* the other statuses seen, each once */
};

struct crash {
	struct mld m;
	struct mld_opts o;     /* memlogd's options, the same every start */
	const char *args[16];
	const char *env[4];
	char envbuf[2][2200];
	uint64_t seed, rng;
	char self[PATH_MAX];   /* this binary: the writers */
	char shm[160];
	struct shared *sh;
	unsigned nw;           /* writers started */
	struct wproc w[MAX_WRITERS];
	struct follower *f;    /* logread -F, or NULL */
	struct fdmgr *g;     /* the service manager, or NULL */
	bool up;               /* memlogd serves */
	unsigned failures;
	/* What the kills hit. */
	unsigned kills, starting_kills;
	unsigned midline_tries, midline_hits, burst_tries, burst_hits;
};

/* A check failed: said at once, the test fails at its end. */
static void bad(struct crash *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bad(struct crash *x, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("# FAILED: %s\n", msg);
	x->failures++;
}

static void status_text(int st, char *out, size_t cap)
{
	if (WIFEXITED(st))
		snprintf(out, cap, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, cap, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(out, cap, "wait status 0x%x", st);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return dflt;
	uint64_t n = strtoull(v, &end, 10);
	if (*end)
		fail_msg("%s=%s: not a number", name, v);
	return n;
}

static uint64_t x_rnd(struct crash *x, uint64_t lo, uint64_t hi)
{
	return rnd_range(&x->rng, lo, hi);
}

/* The seed (printed), this binary, memlogd's dir, the writers' slots. */
static void x_init(struct crash *x, const char *what)
{
	uint64_t r;

	memset(x, 0, sizeof(*x));
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = h_now_ns() ^ (uint64_t)getpid();
	x->seed = env_u64("MEMLOG_CRASH_SEED", r % 1000000000000ull);
	x->rng = x->seed;
	print_message("# %s: seed %" PRIu64 " (MEMLOG_CRASH_SEED=%" PRIu64
		      " repeats its choices)\n", what, x->seed, x->seed);
	ssize_t n = readlink("/proc/self/exe", x->self, sizeof(x->self) - 1);
	assert_true(n > 0);
	x->self[n] = '\0';
	mld_init(&x->m);
	snprintf(x->shm, sizeof(x->shm), "%s/writers.shm", x->m.dir);
	int fd = open(x->shm, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, sizeof(struct shared)), 0);
	x->sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		     MAP_SHARED, fd, 0);
	assert_true(x->sh != MAP_FAILED);
	close(fd);
	x->args[0] = "--buffer-size";
	x->args[1] = "64M";
	x->args[2] = "--max-line-len";
	x->args[3] = "1024";
	x->o.args = x->args;
	x->o.env = x->env;
}

static void x_free(struct crash *x)
{
	if (x->sh)
		munmap(x->sh, sizeof(struct shared));
	x->sh = NULL;
}

/* Starts prog with stdout on out_fd, stderr appended to errfile, stdin
 * on /dev/null, no other fd; tracked for h_teardown(). */
static pid_t spawn_out(const char *const *argv, int out_fd, const char *errfile)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int err = open(errfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (devnull < 0 || err < 0 || dup2(devnull, 0) < 0 ||
		    dup2(out_fd, 1) < 0 || dup2(err, 2) < 0)
			_exit(120);
		h_child_close_from(3);
		h_child_signals();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(pid);
	return pid;
}

/* ---- the follower ---- */

/* The last whole line of file (malloc'd, without its newline), or NULL;
 * *trailing: bytes after it (a line still being written). */
static char *last_line(const char *path, size_t *trailing)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *line = NULL;

	*trailing = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
		off_t from = sb.st_size > (off_t)sizeof(buf)
			     ? sb.st_size - (off_t)sizeof(buf) : 0;
		ssize_t n = pread(fd, buf, (size_t)(sb.st_size - from), from);
		if (n > 0) {
			char *end = memrchr(buf, '\n', (size_t)n);
			if (end) {
				*trailing = (size_t)(buf + n - end - 1);
				char *start = memrchr(buf, '\n', (size_t)(end - buf));
				start = start ? start + 1 : buf;
				line = strndup(start, (size_t)(end - start));
			} else {
				*trailing = (size_t)n;
			}
		}
	}
	close(fd);
	return line;
}

/* A field of the follower's last whole line: "cursor" (into out) and
 * "seq". False if there is none. */
static bool follower_last(struct crash *x, char *cursor, size_t cap,
			  uint64_t *seq, size_t *trailing)
{
	char *l = last_line(x->f->out, trailing);
	json_t *j = l ? h_json_try(l, strlen(l)) : NULL;
	const char *c = j ? json_string_value(json_object_get(j, "cursor")) : NULL;
	bool ok = c != NULL;

	if (ok) {
		snprintf(cursor, cap, "%s", c);
		*seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
	} else if (l) {
		bad(x, "the follower's last line is not an entry with a cursor: "
		    "%.300s", l);
	}
	json_decref(j);
	free(l);
	return ok;
}

static void follower_start(struct crash *x)
{
	struct follower *f = x->f;
	char lr[512], cur[128];
	const char *argv[10];
	uint64_t seq;
	size_t trailing;
	int n = 0;

	h_prog(lr, sizeof(lr), "logread");
	argv[n++] = lr;
	argv[n++] = "-socket";
	argv[n++] = x->m.query;
	argv[n++] = "-F";
	argv[n++] = "-o";
	argv[n++] = "json";
	if (follower_last(x, cur, sizeof(cur), &seq, &trailing)) {
		argv[n++] = "-after-cursor";
		argv[n++] = cur;
	}
	if (trailing)
		bad(x, "the follower's output ends in %zu bytes of an unfinished "
		    "line after it ended", trailing);
	argv[n] = NULL;
	f->pid = spawn_out(argv, f->out_fd, f->err);
	f->starts++;
}

/* A follower that ended is started again from its last cursor, once
 * memlogd serves. */
static void follower_poll(struct crash *x)
{
	struct follower *f = x->f;
	int st;

	if (f->pid > 0) {
		if (waitpid(f->pid, &st, WNOHANG) != f->pid)
			return;
		h_untrack_pid(f->pid);
		f->pid = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			f->ended_ok++;
		} else {
			char t[96];
			status_text(st, t, sizeof(t));
			f->ended_other++;
			size_t l = strlen(f->others);
			if (!strstr(f->others, t) && l + strlen(t) + 3 < sizeof(f->others))
				snprintf(f->others + l, sizeof(f->others) - l, "%s%s",
					 l ? ", " : "", t);
		}
	}
	if (x->up)
		follower_start(x);
}

static void follower_init(struct crash *x, struct follower *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->out, sizeof(f->out), "%s/follower.out", x->m.dir);
	snprintf(f->err, sizeof(f->err), "%s/follower.err", x->m.dir);
	f->out_fd = open(f->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(f->out_fd >= 0);
	x->f = f;
}

/* ---- writers ---- */

/* Writer k through memlog-run: sources wK.out and wK. */
static void writer_start(struct crash *x, unsigned k, uint64_t cap,
			 uint64_t dur_ms)
{
	char mr[512], name[16], ks[16], seed[32], caps[32], durs[32];
	struct wproc *p = &x->w[k];

	assert_true(k < MAX_WRITERS);
	h_prog(mr, sizeof(mr), "memlog-run");
	snprintf(name, sizeof(name), "w%u", k);
	snprintf(ks, sizeof(ks), "%u", k);
	snprintf(seed, sizeof(seed), "%" PRIu64, x->seed);
	snprintf(caps, sizeof(caps), "%" PRIu64, cap);
	snprintf(durs, sizeof(durs), "%" PRIu64, dur_ms);
	snprintf(p->err, sizeof(p->err), "%s/w%u.err", x->m.dir, k);
	const char *argv[] = { mr, "-socket", x->m.log, "-n", name, "--",
			       x->self, "--crash-writer", ks, seed, x->shm,
			       caps, durs, NULL };
	p->pid = h_spawn(argv, p->err, true);
	p->ended = false;
	if (k >= x->nw)
		x->nw = k + 1;
}

/* Writer k run directly with its stdout on fd (its stderr lines go to
 * its error file). */
static void writer_start_fd(struct crash *x, unsigned k, int fd, uint64_t cap,
			    uint64_t dur_ms)
{
	char ks[16], seed[32], caps[32], durs[32];
	struct wproc *p = &x->w[k];

	snprintf(ks, sizeof(ks), "%u", k);
	snprintf(seed, sizeof(seed), "%" PRIu64, x->seed);
	snprintf(caps, sizeof(caps), "%" PRIu64, cap);
	snprintf(durs, sizeof(durs), "%" PRIu64, dur_ms);
	snprintf(p->err, sizeof(p->err), "%s/w%u.err", x->m.dir, k);
	const char *argv[] = { x->self, "--crash-writer", ks, seed, x->shm,
			       caps, durs, NULL };
	p->pid = spawn_out(argv, fd, p->err);
	p->ended = false;
	p->direct = true;
	if (k >= x->nw)
		x->nw = k + 1;
}

/* A writer that ends before the test told it to is a failure, said at
 * once (with the kill it came after). */
static void writers_poll(struct crash *x)
{
	for (unsigned k = 0; k < x->nw; k++) {
		struct wproc *p = &x->w[k];
		int st;
		if (p->pid <= 0 || p->ended ||
		    waitpid(p->pid, &st, WNOHANG) != p->pid)
			continue;
		h_untrack_pid(p->pid);
		p->ended = true;
		p->status = st;
		if (!load32(&x->sh->stop)) {
			char s[96];
			status_text(st, s, sizeof(s));
			bad(x, "writer w%u ended on its own after %u kills of "
			    "memlogd: %s (write error: %s)", k, x->kills, s,
			    x->sh->w[k].err ? strerror(x->sh->w[k].err)
					    : "none");
		}
	}
}

/* Tells every writer to stop and waits for them: each must exit 0. */
static void writers_stop(struct crash *x)
{
	store32(&x->sh->stop, 1);
	for (unsigned k = 0; k < x->nw; k++) {
		struct wproc *p = &x->w[k];
		if (p->pid <= 0)
			continue;
		if (!p->ended) {
			p->status = h_wait_pid(p->pid, 30000);
			h_untrack_pid(p->pid);
			p->ended = true;
		}
		if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0 ||
		    !x->sh->w[k].done) {
			char s[96];
			status_text(p->status, s, sizeof(s));
			bad(x, "writer w%u: %s, want exit status 0 (write error: "
			    "%s)", k, s, x->sh->w[k].err ?
			    strerror(x->sh->w[k].err) : "none");
		}
		char *e = p->direct ? NULL : h_read_file(p->err, NULL);
		if (e && *e)
			bad(x, "writer w%u's memlog-run said: %.500s", k, e);
		free(e);
	}
}

/* ---- waiting while everything keeps running ---- */

static void service(struct crash *x)
{
	if (x->g)
		fdmgr_drain(x->g);
	if (x->f)
		follower_poll(x);
	writers_poll(x);
}

static void idle(struct crash *x, uint64_t ms)
{
	uint64_t end = h_now_ms() + ms;

	do {
		service(x);
		h_sleep_ms(2);
	} while (h_now_ms() < end);
}

/* Waits up to ms until writer k's state is want. */
static bool wait_state(struct crash *x, unsigned k, uint32_t want, uint64_t ms)
{
	uint64_t end = h_now_ms() + ms;

	for (;;) {
		if (load32(&x->sh->w[k].state) == want)
			return true;
		if (h_now_ms() >= end || x->w[k].ended)
			return false;
		service(x);
		usleep(200);
	}
}

/* ---- memlogd: killed, started again ---- */

static void x_kill(struct crash *x)
{
	mld_kill9(&x->m);
	x->up = false;
	x->kills++;
}

/* Starts memlogd with the same command line; under the manager, with
 * everything it stores (as systemd's LISTEN_FDS/LISTEN_FDNAMES). */
static void x_start(struct crash *x, bool wait)
{
	struct mld_opts o = x->o;
	struct h_fdmap map[MAX_PASSED];

	if (x->g) {
		struct fdmgr *g = x->g;
		size_t off = 0;

		fdmgr_drain(g);
		if (g->overflow || g->n > MAX_PASSED)
			fail_msg("the store holds %d fds%s, more than this test "
				 "passes on (%d)", g->n, g->overflow ? " and more"
				 : "", MAX_PASSED);
		snprintf(x->envbuf[1], sizeof(x->envbuf[1]), "LISTEN_FDNAMES=");
		off = strlen(x->envbuf[1]);
		for (int i = 0; i < g->n; i++) {
			map[i] = (struct h_fdmap){ .from = g->fds[i], .to = 3 + i };
			off += (size_t)snprintf(x->envbuf[1] + off,
						sizeof(x->envbuf[1]) - off,
						"%s%s", i ? ":" : "", g->names[i]);
		}
		x->env[0] = x->envbuf[0];
		x->env[1] = g->n ? x->envbuf[1] : NULL;
		x->env[2] = NULL;
		o.fds = map;
		o.nfds = g->n;
		o.listen_fds = g->n > 0;
	}
	o.no_wait = !wait;
	mld_start(&x->m, &o);
	x->up = wait;
	/* A service manager reads its notify socket all the time (one that
	 * does not is test_fd_store_manager_busy's case). */
	if (x->g)
		fdmgr_drain(x->g);
}

/* Registered fds open in memlogd (tee destinations not counted). */
static json_int_t sources_open(struct crash *x)
{
	json_t *st = h_stats(&x->m);
	json_int_t n = h_jint(st, "registrations.sources_open");

	json_decref(st);
	return n;
}

static void wait_sources_open(struct crash *x, json_int_t want, int ms)
{
	uint64_t end = h_now_ms() + (uint64_t)ms;
	json_int_t n;

	while ((n = sources_open(x)) != want) {
		if (h_now_ms() >= end) {
			json_t *st = h_stats(&x->m);
			char *d = json_dumps(st, JSON_COMPACT);
			print_message("# stats: %.3000s\n", d ? d : "?");
			free(d);
			json_decref(st);
			bad(x, "memlogd has %lld sources open after %d ms, want "
			    "%lld", (long long)n, ms, (long long)want);
			return;
		}
		idle(x, 20);
	}
}

static void instance(struct crash *x, char *out, size_t cap)
{
	json_t *st = h_stats(&x->m);

	snprintf(out, cap, "%s", h_jstr(st, "instance"));
	json_decref(st);
}

/* ---- what each source produced, and checking a view of it ---- */

struct src {
	char name[64];
	const char *stream;   /* "stdout" or "stderr" */
	char file[96];        /* its file in logwrite's directory */
	struct buf want;      /* every byte it produced */
	/* While checking one view: */
	size_t off;           /* bytes found so far */
	bool bad;             /* a difference was found (said once) */
	uint64_t entries;
	uint64_t odd_splits;  /* partial entries shorter or longer than
			       * --max-line-len */
};

struct sources {
	struct src s[2 * MAX_WRITERS + 8];
	size_t n;
};

static struct src *src_add(struct sources *ss, const char *name,
			   const char *stream)
{
	assert_true(ss->n < sizeof(ss->s) / sizeof(ss->s[0]));
	struct src *s = &ss->s[ss->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->stream = stream;
	snprintf(s->file, sizeof(s->file), "%s.log", name);
	return s;
}

static void sources_free(struct sources *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		free(ss->s[i].want.p);
	ss->n = 0;
}

/* Writer k's two sources, from the lines it says it wrote. */
static void writer_sources(struct crash *x, struct sources *ss, unsigned k,
			   bool with_stderr)
{
	char name[16];

	snprintf(name, sizeof(name), "w%u.out", k);
	struct src *o = src_add(ss, name, "stdout");
	struct buf err = { 0 };
	writer_texts(x->seed, k, x->sh->w[k].lines, &o->want, &err);
	if (with_stderr) {
		snprintf(name, sizeof(name), "w%u", k);
		src_add(ss, name, "stderr")->want = err;
	} else {
		free(err.p);
	}
}

struct view {
	const char *name;     /* "the ring", "the follower" */
	struct sources *ss;
	bool holder_notices_ok; /* "the fd holder died" is no loss here */
	uint64_t entries, prev_seq, seq_errors, markers, foreign;
	uint64_t took_back, took_over, holder_died;
};

static void view_begin(struct view *v, const char *name, struct sources *ss,
		       bool holder_notices_ok)
{
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->holder_notices_ok = holder_notices_ok;
	v->ss = ss;
	for (size_t i = 0; i < ss->n; i++) {
		ss->s[i].off = 0;
		ss->s[i].bad = false;
		ss->s[i].entries = 0;
		ss->s[i].odd_splits = 0;
	}
}

/* How much of s to show: up to its first newline, at most max bytes. */
static int shown(const char *s, size_t max)
{
	size_t n = strcspn(s, "\n");

	return (int)(n < max ? n : max);
}

/* Line number (from 1) of byte off in s. */
static size_t line_at(const struct buf *b, size_t off)
{
	size_t n = 1;

	for (size_t i = 0; i < off && i < b->len; i++)
		n += b->p[i] == '\n';
	return n;
}

static void src_feed(struct crash *x, struct view *v, struct src *s,
		     const char *msg, size_t len, bool partial, uint64_t seq)
{
	if (s->bad)
		return;
	s->entries++;
	if (partial && len != MAX_LINE_LEN)
		s->odd_splits++;
	const char *w = s->want.p + s->off;
	size_t left = s->want.len - s->off;
	if (len + !partial > left || memcmp(w, msg, len) != 0 ||
	    (!partial && w[len] != '\n')) {
		s->bad = true;
		bad(x, "%s: source %s: entry seq %" PRIu64 " (%zu bytes%s) "
		    "differs from what was written at byte %zu (line %zu of "
		    "%zu): got \"%.*s...\", want \"%.*s...\"", v->name, s->name,
		    seq, len, partial ? ", partial" : "", s->off,
		    line_at(&s->want, s->off), line_at(&s->want, s->want.len) - 1,
		    shown(msg, 60), msg, left ? shown(w, 60) : 14,
		    left ? w : "(nothing more)");
		return;
	}
	s->off += len + !partial;
}

static bool is_marker(json_t *e)
{
	json_t *m = json_object_get(e, "marker");

	return m && !json_is_false(m) && !json_is_null(m);
}

/* One entry of the view. */
static void view_entry(struct crash *x, struct view *v, json_t *e)
{
	json_t *js = json_object_get(e, "seq");
	const char *source = json_string_value(json_object_get(e, "source"));
	const char *stream = json_string_value(json_object_get(e, "stream"));
	json_t *jm = json_object_get(e, "msg");
	const char *msg = json_string_value(jm);
	bool partial = json_is_true(json_object_get(e, "partial"));

	v->entries++;
	if (!source || !stream || !msg) {
		char *d = json_dumps(e, JSON_COMPACT);
		bad(x, "%s: an entry without source, stream or msg: %.300s",
		    v->name, d ? d : "?");
		free(d);
		return;
	}
	uint64_t seq = json_is_integer(js) ? (uint64_t)json_integer_value(js) : 0;
	if (is_marker(e) && !json_is_true(json_object_get(e, "marker"))) {
		/* A reader's marker ("lagged", "foreign-cursor"): its seq is
		 * that of the last entry missed. */
		v->markers++;
		bad(x, "%s: marker: %s", v->name, msg);
		if (json_is_integer(json_object_get(e, "last_seq")))
			v->prev_seq = (uint64_t)json_integer_value(
				json_object_get(e, "last_seq"));
		return;
	}
	if (seq != v->prev_seq + 1 && ++v->seq_errors <= 5)
		bad(x, "%s: entry seq %" PRIu64 " follows seq %" PRIu64
		    " (source %s)", v->name, seq, v->prev_seq, source);
	v->prev_seq = seq;
	if (!strcmp(source, "memlogd") && !strcmp(stream, "none")) {
		bool died = strstr(msg, "the fd holder died") != NULL;
		v->took_back += strstr(msg, "took back") != NULL;
		v->took_over += strstr(msg, "took over the ring") != NULL;
		v->holder_died += died;
		if (is_marker(e) && !(died && v->holder_notices_ok)) {
			v->markers++;
			bad(x, "%s: memlogd reports a loss: %s", v->name, msg);
		}
		return;
	}
	for (size_t i = 0; i < v->ss->n; i++) {
		struct src *s = &v->ss->s[i];
		if (!strcmp(s->name, source) && !strcmp(s->stream, stream)) {
			src_feed(x, v, s, msg, json_string_length(jm), partial,
				 seq);
			return;
		}
	}
	if (++v->foreign <= 5)
		bad(x, "%s: an entry of an unknown source %s (%s): %.100s",
		    v->name, source, stream, msg);
}

static void view_end(struct crash *x, struct view *v)
{
	for (size_t i = 0; i < v->ss->n; i++) {
		struct src *s = &v->ss->s[i];
		if (s->bad)
			continue;
		if (s->off != s->want.len) {
			const char *w = s->want.p + s->off;
			bad(x, "%s: source %s: only %zu of %zu bytes (%zu lines "
			    "of %zu); the first missing line: \"%.*s...\"",
			    v->name, s->name, s->off, s->want.len,
			    line_at(&s->want, s->off) - 1,
			    line_at(&s->want, s->want.len) - 1, shown(w, 60), w);
		}
		if (s->odd_splits)
			bad(x, "%s: source %s: %" PRIu64 " partial entries not "
			    "--max-line-len (%d) bytes long: lines split where "
			    "they were not too long", v->name, s->name,
			    s->odd_splits, MAX_LINE_LEN);
	}
}

/* The whole ring, as a dump gives it: every source's bytes exactly once,
 * in order; seqs without a gap. Returns the newest seq. */
static uint64_t check_ring(struct crash *x, struct sources *ss,
			   struct view *v, bool holder_notices_ok)
{
	struct h_conn c;
	json_t *e;

	view_begin(v, "the ring", ss, holder_notices_ok);
	h_conn_init(&c, h_query(&x->m, "dump\n"));
	while ((e = h_conn_json(&c, 60000))) {
		view_entry(x, v, e);
		json_decref(e);
	}
	h_conn_close(&c);
	view_end(x, v);
	return v->prev_seq;
}

/* What the follower wrote over all its runs. */
static void check_follower(struct crash *x, struct sources *ss, struct view *v)
{
	FILE *fp = fopen(x->f->out, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	view_begin(v, "the follower", ss, false);
	assert_non_null(fp);
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n') {
			bad(x, "the follower's output ends inside a line: %.200s",
			    line);
			break;
		}
		json_t *e = h_json_try(line, (size_t)n - 1);
		if (!e) {
			bad(x, "the follower printed a line that is not JSON: "
			    "%.200s", line);
			continue;
		}
		view_entry(x, v, e);
		json_decref(e);
	}
	free(line);
	fclose(fp);
	view_end(x, v);
}

/* Waits until the follower has printed entry seq (starting it again when
 * it ended), then stops it. */
static void follower_finish(struct crash *x, uint64_t seq)
{
	uint64_t end = h_now_ms() + 60000, got = 0;
	char cur[128];
	size_t trailing;

	for (;;) {
		service(x);
		if (follower_last(x, cur, sizeof(cur), &got, &trailing) &&
		    got >= seq)
			break;
		if (h_now_ms() >= end) {
			char *e = h_read_file(x->f->err, NULL);
			bad(x, "the follower got up to seq %" PRIu64 " of %" PRIu64
			    " within 60 s; its stderr: %.1000s", got, seq,
			    e ? e : "");
			free(e);
			break;
		}
		h_sleep_ms(20);
	}
	if (x->f->pid > 0) {
		kill(x->f->pid, SIGTERM);
		h_wait_pid(x->f->pid, H_TIMEOUT_MS);
		h_untrack_pid(x->f->pid);
		x->f->pid = 0;
	}
	x->f = NULL;
}

/* logwrite's file of each source holds exactly its bytes (--format raw
 * joins split lines again). Waits until the sizes are right first. */
static void check_logwrite(struct crash *x, struct lw *l, struct sources *ss)
{
	uint64_t end = h_now_ms() + 60000;

	for (;;) {
		bool done = true, over = false;
		for (size_t i = 0; i < ss->n; i++) {
			char p[512];
			struct stat sb;
			lw_path(p, sizeof(p), l, ss->s[i].file);
			off_t size = stat(p, &sb) == 0 ? sb.st_size : 0;
			done &= (size_t)size == ss->s[i].want.len;
			over |= (size_t)size > ss->s[i].want.len;
		}
		if (done || over || h_now_ms() >= end)
			break;
		idle(x, 50);
	}
	lw_stop(l);
	for (size_t i = 0; i < ss->n; i++) {
		struct src *s = &ss->s[i];
		size_t len = 0, at = 0;
		char *got = lw_file(l, s->file, &len);
		if (!got && !s->want.len)
			continue;
		if (!got) {
			bad(x, "logwrite: %s is missing (%zu bytes expected)",
			    s->file, s->want.len);
			continue;
		}
		while (at < len && at < s->want.len && got[at] == s->want.p[at])
			at++;
		if (at != len || len != s->want.len) {
			size_t ls = at;
			while (ls > 0 && got[ls - 1] != '\n')
				ls--;
			const char *wl = ls < s->want.len ? s->want.p + ls
							  : "(nothing)";
			bad(x, "logwrite: %s has %zu bytes, want %zu; they differ "
			    "from byte %zu (line %zu): got \"%.*s...\", want "
			    "\"%.*s...\"", s->file, len, s->want.len, at,
			    line_at(&s->want, at), shown(got + ls, 60), got + ls,
			    shown(wl, 60), wl);
		}
		free(got);
	}
}

/* ---- containers through memlog-runc ---- */

struct ctr {
	char id[32];
	int want_status;
	struct rt_proc p;
	pid_t shell;
	char out[192], err[192]; /* the engine's side: its pipes' files */
};

/* Every byte a container wrote, from the number of lines its last line
 * says; false if there is no last line. */
static bool ctr_texts(const struct ctr *c, const char *pad, const char *engine,
		      struct buf *out, struct buf *err)
{
	char needle[64], line[2048];
	const char *p;
	long k;

	snprintf(needle, sizeof(needle), "%s end ", c->id);
	p = strstr(engine, needle);
	if (!p)
		return false;
	k = strtol(p + strlen(needle), NULL, 10);
	for (long i = 1; i <= k; i++) {
		buf_add(out, line, (size_t)snprintf(line, sizeof(line), "%s %ld\n",
						    c->id, i));
		if (i % CTR_LONG_EVERY)
			continue;
		buf_add(out, line, (size_t)snprintf(line, sizeof(line),
						    "%s %ld %s\n", c->id, i, pad));
		buf_add(err, line, (size_t)snprintf(line, sizeof(line),
						    "%s E %ld\n", c->id, i));
	}
	buf_add(out, line, (size_t)snprintf(line, sizeof(line), "%s end %ld\n",
					    c->id, k));
	return true;
}

/* A container writing numbered lines (every CTR_LONG_EVERY-th followed
 * by a long one, longer than --max-line-len, and a stderr line, and a
 * pause) until /tmp/stop exists; then exits with its own status. */
static void ctr_start(struct crash *x, struct ctr *c, const char *w,
		      const char *runc, const char *mr, const char *pad,
		      int status)
{
	char sc[4096], bundle[160], root[160];

	h_token(c->id, sizeof(c->id), "mlk", 8);
	c->want_status = status;
	rt_dir_cgroup(w, c->id);
	snprintf(sc, sizeof(sc),
		 ": %s; p=%s; i=0; while [ ! -e /tmp/stop ] && [ $i -lt %d ]; "
		 "do i=$((i+1)); echo \"%s $i\"; if [ $((i %% %d)) -eq 0 ]; "
		 "then echo \"%s $i $p\"; echo \"%s E $i\" >&2; sleep 0.05; fi; "
		 "done; echo \"%s end $i\"; exit %d",
		 c->id, pad, CTR_MAX_LINES, c->id, CTR_LONG_EVERY, c->id,
		 c->id, c->id, status);
	snprintf(bundle, sizeof(bundle), "%s/bundle-%s", w, c->id);
	snprintf(root, sizeof(root), "%s/runc", w);
	const char *args[] = { "sh", "-c", sc, NULL };
	rt_bundle(runc, bundle, args, NULL, 0);
	const char *argv[] = { mr, "--memlog-socket", x->m.log,
			       "--memlog-runtime", runc, "--root", root, "run",
			       "--bundle", bundle, c->id, NULL };
	snprintf(c->out, sizeof(c->out), "%s/%s.engine.out", w, c->id);
	snprintf(c->err, sizeof(c->err), "%s/%s.engine.err", w, c->id);
	rt_proc_start(&c->p, argv, NULL, c->out, c->err, NULL);
	c->shell = rt_wait_shell(c->id, 30000, &c->p);
}

/* Tells the container to end and waits for runc and the engine's pipes
 * (their end of file comes only once memlogd and its holder let go of
 * the write ends). */
static void ctr_stop(struct crash *x, struct ctr *c)
{
	char p[128], s[96];

	snprintf(p, sizeof(p), "/proc/%d/root/tmp/stop", (int)c->shell);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		bad(x, "container %s: cannot create %s: %s", c->id, p,
		    strerror(errno));
	else
		close(fd);
	int st = h_wait_pid(c->p.pid, 60000);
	h_untrack_pid(c->p.pid);
	c->p.done = true;
	c->p.status = st;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != c->want_status) {
		char *e = h_read_file(c->err, NULL);
		status_text(st, s, sizeof(s));
		bad(x, "container %s: runc run: %s, want exit status %d; the "
		    "engine's stderr ends: %.500s", c->id, s, c->want_status,
		    e && strlen(e) > 500 ? e + strlen(e) - 500 : e ? e : "");
		free(e);
	}
	for (int i = 0; i < 2; i++) {
		uint64_t end = h_now_ms() + 30000;
		pid_t d = c->p.drain[i];
		while (d > 0 && waitpid(d, &st, WNOHANG) != d) {
			if (h_now_ms() >= end) {
				bad(x, "container %s: the engine's %s pipe never "
				    "ended (a write end is still held)", c->id,
				    i ? "stderr" : "stdout");
				kill(d, SIGKILL);
				waitpid(d, NULL, 0);
				break;
			}
			idle(x, 20);
		}
		h_untrack_pid(d);
		c->p.drain[i] = 0;
	}
}

/* The engine got every byte (exactly what the container wrote); the
 * container's sources are added for the other checks. */
static void ctr_check(struct crash *x, struct ctr *c, const char *pad,
		      struct sources *ss)
{
	char name[64];
	size_t olen = 0, elen = 0;
	char *eo = h_read_file(c->out, &olen), *ee = h_read_file(c->err, &elen);
	struct buf out = { 0 }, err = { 0 };

	if (!eo || !ctr_texts(c, pad, eo, &out, &err)) {
		bad(x, "container %s: the engine's stdout has no end line (%zu "
		    "bytes; it ends: %.200s)", c->id, olen,
		    eo && olen > 200 ? eo + olen - 200 : eo ? eo : "");
		free(eo);
		free(ee);
		return;
	}
	if (olen != out.len || memcmp(eo, out.p, olen) != 0)
		bad(x, "container %s: the engine's stdout has %zu bytes, want "
		    "%zu: not every byte arrived exactly once", c->id, olen,
		    out.len);
	if (!ee || elen != err.len || memcmp(ee, err.p, elen) != 0)
		bad(x, "container %s: the engine's stderr has %zu bytes, want "
		    "%zu", c->id, elen, err.len);
	snprintf(name, sizeof(name), "%s.out", c->id);
	src_add(ss, name, "stdout")->want = out;
	src_add(ss, c->id, "stderr")->want = err;
	free(eo);
	free(ee);
}

/* ---- the kills ---- */

/* A writer with no command pending, at random. */
static unsigned pick_writer(struct crash *x, unsigned nw)
{
	unsigned k = (unsigned)x_rnd(x, 0, nw - 1);

	for (unsigned i = 0; i < nw; i++, k = (k + 1) % nw)
		if (!x->w[k].ended && load32(&x->sh->w[k].cmd) == C_NONE)
			return k;
	return k;
}

/* Kills memlogd `kills` times at random moments, each time starting it
 * again with the same command line. Writers 0..nw-1 are busy meanwhile;
 * when late is set, writer `late` is started halfway while memlogd is
 * down. */
static void torture(struct crash *x, unsigned kills, unsigned nw, int late,
		    uint64_t cap, uint64_t dur_ms)
{
	unsigned start_kills = x->kills;

	while (x->kills - start_kills < kills) {
		unsigned kind = (unsigned)x_rnd(x, 0, 99);
		int midline = -1;

		if (kind < 35) {
			idle(x, x_rnd(x, 20, 1500));
		} else if (kind < 65) {
			/* A long line half written, its start read by
			 * memlogd. */
			idle(x, x_rnd(x, 50, 500));
			midline = (int)pick_writer(x, nw);
			store32(&x->sh->w[midline].cmd, C_MIDLINE);
			x->midline_tries++;
			x->midline_hits += wait_state(x, (unsigned)midline,
						      W_MIDLINE_READ, 5000);
		} else if (kind < 90) {
			/* In the middle of a big burst. */
			idle(x, x_rnd(x, 50, 500));
			unsigned k = pick_writer(x, nw);
			store32(&x->sh->w[k].cmd, C_BURST);
			x->burst_tries++;
			if (wait_state(x, k, W_BURST, 5000)) {
				usleep((useconds_t)x_rnd(x, 0, 3000));
				x->burst_hits +=
					load32(&x->sh->w[k].state) == W_BURST;
			}
		} /* else: at once, just as it serves again */
		x_kill(x);
		idle(x, x_rnd(x, 0, 400));
		if (late >= 0 && x->kills - start_kills == kills / 2) {
			writer_start(x, (unsigned)late, cap, dur_ms / 2);
			idle(x, x_rnd(x, 50, 200));
			late = -1;
		}
		if (x->kills - start_kills < kills && x_rnd(x, 0, 99) < 12) {
			/* Killed again while it starts: taking back. */
			x_start(x, false);
			usleep((useconds_t)x_rnd(x, 0, 40000));
			x_kill(x);
			x->starting_kills++;
			idle(x, x_rnd(x, 0, 100));
		}
		x_start(x, true);
		if (midline >= 0)
			store32(&x->sh->w[midline].cmd, C_NONE);
	}
}

static void print_kills(struct crash *x)
{
	print_message("# %u kills of memlogd: %u with a long line half written "
		      "and read (of %u tried), %u during a burst's write() (of "
		      "%u tried), %u while it was starting\n", x->kills,
		      x->midline_hits, x->midline_tries, x->burst_hits,
		      x->burst_tries, x->starting_kills);
}

/* Says how full the ring is; every check needs it to hold everything. */
static void print_ring(struct crash *x)
{
	json_t *st = h_stats(&x->m);

	print_message("# the ring: %lld entries, %lld of %lld bytes used, "
		      "oldest seq %lld\n", (long long)h_jint(st, "ring.entries"),
		      (long long)h_jint(st, "ring.used"),
		      (long long)h_jint(st, "ring.size"),
		      (long long)h_jint(st, "ring.oldest_seq"));
	if (h_jint(st, "ring.oldest_seq") != 1)
		bad(x, "the ring overflowed (this run wrote more than it holds: "
		    "fewer kills, or a larger --buffer-size here): entries are "
		    "missing from every view");
	json_decref(st);
}

static void finish(struct crash *x)
{
	if (x->failures)
		fail_msg("%u checks failed (seed %" PRIu64 "; see above)",
			 x->failures, x->seed);
}

/* ---- the tests ---- */

static bool memlog_runc_path(char *out, size_t cap)
{
	char p[512];

	if (!h_prog_exists("memlog-runc"))
		return false;
	h_prog(p, sizeof(p), "memlog-runc");
	char *r = realpath(p, NULL);
	assert_non_null(r);
	snprintf(out, cap, "%s", r);
	free(r);
	return true;
}

static void need_progs(const char *const *names)
{
	for (; *names; names++)
		if (!h_prog_exists(*names)) {
			print_message("# %s/%s is not built; skipping\n",
				      h_build(), *names);
			skip();
		}
}

#define WRITERS 20

static void test_sigkill_torture(void **state)
{
	static const char *const progs[] = { "memlog-run", "memlog-runc",
					     "logread", "logwrite",
					     "memlog-fdholder", NULL };
	unsigned kills = (unsigned)env_u64("MEMLOG_CRASH_KILLS", 50);
	uint64_t dur = kills * 900 + 2000, cap = 4000;
	char runc[256], mr[PATH_MAX], w[64], pad[1501], inst[2][40];
	struct crash x;
	struct follower f;
	struct lw l;
	struct ctr c[2];
	struct sources ss = { .n = 0 };
	struct view v;
	(void)state;

	h_need_root("runc containers need root");
	rt_need_prog("runc", "runc", runc, sizeof(runc));
	(void)rt_busybox();
	need_progs(progs);
	assert_true(memlog_runc_path(mr, sizeof(mr)));
	x_init(&x, "SIGKILL torture");
	for (size_t i = 0; i < sizeof(pad) - 1; i++)
		pad[i] = alphabet[mix64(x.seed + i) & 63];
	pad[sizeof(pad) - 1] = '\0';
	rt_dir_make(w, sizeof(w));
	x_start(&x, true);
	instance(&x, inst[0], sizeof(inst[0]));

	lw_init(&l, &x.m);
	lw_start(&l, &x.m, (const char *const[]){ "--format", "raw",
		 "-max-log-size", "1G", "--sync", "none", NULL });
	follower_init(&x, &f);
	follower_start(&x);
	ctr_start(&x, &c[0], w, runc, mr, pad, 5);
	ctr_start(&x, &c[1], w, runc, mr, pad, 6);
	for (unsigned k = 0; k < WRITERS; k++)
		writer_start(&x, k, cap, dur);
	wait_sources_open(&x, 2 * WRITERS + 4, 20000);

	uint64_t t0 = h_now_ms();
	torture(&x, kills, WRITERS, WRITERS, cap, dur);
	print_message("# killed and restarted memlogd %u times in %llu ms\n",
		      x.kills, (unsigned long long)(h_now_ms() - t0));
	print_kills(&x);
	/* The checks below take a while; mld_start armed 120 s. */
	alarm(400);
	idle(&x, 300);
	writers_stop(&x);
	ctr_stop(&x, &c[0]);
	ctr_stop(&x, &c[1]);
	wait_sources_open(&x, 0, 30000);
	instance(&x, inst[1], sizeof(inst[1]));
	if (strcmp(inst[0], inst[1]))
		bad(&x, "the instance changed from %s to %s: cursors are no "
		    "longer valid", inst[0], inst[1]);

	uint64_t lines = 0;
	for (unsigned k = 0; k < x.nw; k++) {
		writer_sources(&x, &ss, k, true);
		lines += x.sh->w[k].lines;
	}
	ctr_check(&x, &c[0], pad, &ss);
	ctr_check(&x, &c[1], pad, &ss);
	print_message("# %u writers wrote %llu lines\n", x.nw,
		      (unsigned long long)lines);
	print_ring(&x);
	uint64_t newest = check_ring(&x, &ss, &v, false);
	print_message("# the ring: %llu entries checked; %llu \"took back\" "
		      "notices\n", (unsigned long long)v.entries,
		      (unsigned long long)v.took_back);
	if (v.took_back < x.kills - x.starting_kills)
		bad(&x, "%llu \"took back\" notices for %u restarts",
		    (unsigned long long)v.took_back, x.kills - x.starting_kills);
	check_logwrite(&x, &l, &ss);
	follower_finish(&x, newest);
	x.f = &f;
	check_follower(&x, &ss, &v);
	x.f = NULL;
	print_message("# the follower: %llu entries over %u runs (%u ended "
		      "with status 0, %u otherwise%s%s%s)\n",
		      (unsigned long long)v.entries, f.starts, f.ended_ok,
		      f.ended_other, f.others[0] ? ": " : "", f.others,
		      f.ended_other ? "; see its stderr below" : "");
	if (f.ended_other) {
		char *e = h_read_file(f.err, NULL);
		print_message("# the follower's stderr:\n%.2000s\n", e ? e : "");
		free(e);
	}
	close(f.out_fd);
	sources_free(&ss);
	mld_stop(&x.m);
	rt_dir_cleanup(w);
	x_free(&x);
	finish(&x);
}

/* The fd holder's HELLO: how many fds it holds (-1: none answers). */
static long holder_held(struct crash *x)
{
	char path[160];
	struct fdhold_hello hello;

	snprintf(path, sizeof(path), "%s.holder", x->m.log);
	int s = fdhold_connect(path, &hello);
	if (s < 0)
		return -1;
	close(s);
	return (long)hello.held;
}

static size_t count_notices(struct crash *x, const char *text)
{
	json_t *a = h_dump(&x->m, "dump source=memlogd\n");
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(a, i, e)
		n += strstr(h_jstr(e, "msg"), text) != NULL;
	json_decref(a);
	return n;
}

/* Has process pid exited (gone, or a zombie: its fds are closed)? */
static bool exited(pid_t pid)
{
	char p[64];
	size_t len = 0;

	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	char *c = h_read_file(p, &len);
	free(c);
	return !c || len == 0;
}

/* SIGKILLs the holder; memlogd must start a new one, say so, and hand
 * it every fd again (want of them). With pause, memlogd is stopped
 * (SIGSTOP) until the old holder is gone for good, so that it replaces
 * a holder that has closed everything. */
static void kill_holder(struct crash *x, long want, size_t deaths, bool pause)
{
	pid_t old = mld_holder_pid(&x->m), now = 0;
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;
	long held = -1;

	if (old <= 0) {
		bad(x, "no fd holder runs for %s", x->m.log);
		return;
	}
	if (pause)
		assert_int_equal(kill(x->m.pid, SIGSTOP), 0);
	assert_int_equal(kill(old, SIGKILL), 0);
	if (pause) {
		while (!exited(old) && h_now_ms() < end)
			idle(x, 5);
		idle(x, 50);
		assert_int_equal(kill(x->m.pid, SIGCONT), 0);
	}
	end = h_now_ms() + H_TIMEOUT_MS;
	while ((now = mld_holder_pid(&x->m)) == 0 || now == old) {
		if (h_now_ms() >= end) {
			char *e = mld_stderr(&x->m);
			bad(x, "no new holder within %d ms of killing holder %d "
			    "(memlogd's stderr: %.2000s)", H_TIMEOUT_MS, (int)old,
			    e);
			free(e);
			return;
		}
		idle(x, 5);
	}
	end = h_now_ms() + H_TIMEOUT_MS;
	while (count_notices(x, "the fd holder died") < deaths) {
		if (h_now_ms() >= end) {
			bad(x, "no notice \"the fd holder died\" (%zu wanted)",
			    deaths);
			break;
		}
		idle(x, 10);
	}
	end = h_now_ms() + H_TIMEOUT_MS;
	while ((held = holder_held(x)) != want && h_now_ms() < end)
		idle(x, 10);
	if (held != want)
		bad(x, "the new holder (pid %d) holds %ld fds, want %ld (ring, "
		    "state, bounce pipe, both sockets, uid-since memfd and "
		    "every source)",
		    (int)now, held, want);
	print_message("# holder %d killed; holder %d holds %ld fds\n", (int)old,
		      (int)now, held);
}

#define HOLDER_WRITERS 8
/* memlogd's own, and each writer's two */
#define HOLDER_FDS (OWN_KEPT + 2 * HOLDER_WRITERS)

static void holder_begin(struct crash *x, const char *what, char *inst,
			 size_t cap)
{
	static const char *const progs[] = { "memlog-run", "memlog-fdholder",
					     NULL };

	need_progs(progs);
	x_init(x, what);
	x_start(x, true);
	instance(x, inst, cap);
	for (unsigned k = 0; k < HOLDER_WRITERS; k++)
		writer_start(x, k, 2500, 8000);
	wait_sources_open(x, 2 * HOLDER_WRITERS, 20000);
}

/* memlogd killed and started again: it must take all the writers back. */
static void holder_restart(struct crash *x)
{
	char want[64];

	idle(x, x_rnd(x, 200, 800));
	x_kill(x);
	idle(x, x_rnd(x, 0, 300));
	x_start(x, true);
	snprintf(want, sizeof(want), "took back %d sources",
		 2 * HOLDER_WRITERS);
	if (count_notices(x, want) != 1)
		bad(x, "no notice \"%s\" after the restart", want);
}

/* The writers stop: every byte of theirs in the ring, once; the same
 * instance throughout. */
static void holder_end(struct crash *x, const char *inst)
{
	struct sources ss = { .n = 0 };
	struct view v;
	char now[40];

	idle(x, 1000);
	writers_stop(x);
	wait_sources_open(x, 0, 30000);
	instance(x, now, sizeof(now));
	if (strcmp(inst, now))
		bad(x, "the instance changed from %s to %s", inst, now);
	for (unsigned k = 0; k < x->nw; k++)
		writer_sources(x, &ss, k, true);
	print_ring(x);
	check_ring(x, &ss, &v, true);
	sources_free(&ss);
	mld_stop(&x->m);
	x_free(x);
	finish(x);
}

/* The holder dies under load, five times: each time memlogd starts a new
 * one and hands it everything, nothing is lost; then memlogd is killed
 * and takes everything back from the last holder. */
static void test_holder_killed(void **state)
{
	char inst[40];
	struct crash x;
	(void)state;

	holder_begin(&x, "holder killed", inst, sizeof(inst));
	for (size_t i = 1; i <= 5; i++) {
		idle(&x, x_rnd(&x, 100, 600));
		kill_holder(&x, HOLDER_FDS, i, false);
	}
	holder_restart(&x);
	holder_end(&x, inst);
}

/* memlogd restarted first (its sockets taken back from the holder, not
 * bound by it), then its holder dies: the new holder must get the
 * sockets too. memlogd is then killed, and a writer registers while it
 * is down: the next memlogd gets that registration and every writer. */
static void test_holder_killed_after_restart(void **state)
{
	char inst[40];
	struct crash x;
	(void)state;

	holder_begin(&x, "holder killed after a restart", inst, sizeof(inst));
	holder_restart(&x);
	idle(&x, x_rnd(&x, 200, 800));
	kill_holder(&x, HOLDER_FDS, 1, true);
	idle(&x, x_rnd(&x, 200, 800));
	x_kill(&x);
	writer_start(&x, HOLDER_WRITERS, 1200, 4000);
	idle(&x, x_rnd(&x, 100, 300));
	x_start(&x, true);
	wait_sources_open(&x, 2 * HOLDER_WRITERS + 2, 10000);
	holder_end(&x, inst);
}

/* --fd-store under a service manager: a few kills under load. */
static void test_fd_store_restarts(void **state)
{
	static const char *const progs[] = { "memlog-run", NULL };
	enum { NW = 3 };
	unsigned kills = (unsigned)env_u64("MEMLOG_CRASH_FDSTORE_KILLS", 5);
	uint64_t cap = 3000, dur = kills * 900 + 1000;
	int src[2], dst[2];
	char inst[2][40], drainf[192];
	struct crash x;
	struct fdmgr g;
	struct sources ss = { .n = 0 };
	struct view v;
	(void)state;

	need_progs(progs);
	x_init(&x, "--fd-store restarts");
	x.args[4] = "--fd-store";
	fdmgr_init(&g, x.m.dir);
	x.g = &g;
	snprintf(x.envbuf[0], sizeof(x.envbuf[0]), "NOTIFY_SOCKET=%s", g.path);
	x_start(&x, true);
	instance(&x, inst[0], sizeof(inst[0]));
	for (unsigned k = 0; k < NW; k++) {
		writer_start(&x, k, cap, dur);
		idle(&x, 5);
	}
	/* A tee'd source: its destination is read by a drain. */
	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	const char reg[] = "w3.out\0tee=1";
	int tfds[2] = { src[0], dst[1] };
	assert_int_equal(h_register(x.m.log, reg, sizeof(reg) - 1, tfds, 2), 0);
	close(src[0]);
	close(dst[1]);
	snprintf(drainf, sizeof(drainf), "%s/tee.out", x.m.dir);
	pid_t drain = rt_drain_start(dst[0], drainf, NULL);
	close(dst[0]);
	writer_start_fd(&x, NW, src[1], cap, dur);
	close(src[1]);
	wait_sources_open(&x, 2 * NW + 1, 20000);
	/* memlogd's own, every source and the tee's destination. */
	if (!fdmgr_wait_held(&g, OWN_KEPT + 2 * NW + 2))
		bad(&x, "the manager holds %d fds, want %d: memlogd did not "
		    "store every source", g.n, OWN_KEPT + 2 * NW + 2);

	torture(&x, kills, NW + 1, -1, cap, dur);
	print_kills(&x);
	idle(&x, 300);
	writers_stop(&x);
	wait_sources_open(&x, 0, 30000);
	int st = 0;
	uint64_t end = h_now_ms() + 30000;
	while (waitpid(drain, &st, WNOHANG) != drain) {
		if (h_now_ms() >= end) {
			bad(&x, "the tee destination never ended (a write end is "
			    "still held)");
			kill(drain, SIGKILL);
			waitpid(drain, NULL, 0);
			break;
		}
		idle(&x, 20);
	}
	h_untrack_pid(drain);
	fdmgr_drain(&g);
	if (g.n != OWN_KEPT)
		bad(&x, "the manager holds %d fds after every source ended, want "
		    "%d (memlogd's own)", g.n, OWN_KEPT);
	instance(&x, inst[1], sizeof(inst[1]));
	if (strcmp(inst[0], inst[1]))
		bad(&x, "the instance changed from %s to %s", inst[0], inst[1]);
	for (unsigned k = 0; k < NW; k++)
		writer_sources(&x, &ss, k, true);
	writer_sources(&x, &ss, NW, false);
	size_t tlen = 0;
	char *tee = h_read_file(drainf, &tlen);
	struct src *ts = &ss.s[ss.n - 1];
	if (!tee || tlen != ts->want.len || memcmp(tee, ts->want.p, tlen))
		bad(&x, "the tee destination got %zu bytes, want %zu (not every "
		    "byte exactly once)", tlen, ts->want.len);
	free(tee);
	print_ring(&x);
	check_ring(&x, &ss, &v, false);
	if (v.took_back < x.kills - x.starting_kills)
		bad(&x, "%llu \"took back\" notices for %u restarts",
		    (unsigned long long)v.took_back, x.kills - x.starting_kills);
	sources_free(&ss);
	x.m.keep_sockets = true;
	st = mld_signal_wait(&x.m, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bad(&x, "memlogd did not exit 0 on SIGTERM: 0x%x", st);
	fdmgr_free(&g);
	mld_cleanup(&x.m);
	x_free(&x);
	finish(&x);
}

/* The holder stops reading for a while (SIGSTOP: a holder that is slow,
 * swapped out, or stopped by someone) while many sources register: once
 * it reads again, it must hold every source, and no writer may get EPIPE
 * when memlogd is then killed. */
static void test_holder_stopped(void **state)
{
	static const char *const progs[] = { "memlog-fdholder", NULL };
	enum { NS = 600 };
	static int w[NS];
	char name[16];
	struct crash x;
	(void)state;

	need_progs(progs);
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < NS + 64) {
		rl.rlim_cur = rl.rlim_max < NS + 64 ? rl.rlim_max : NS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < NS + 64) {
			print_message("# RLIMIT_NOFILE is below %d; skipping\n",
				      NS + 64);
			skip();
		}
	}
	x_init(&x, "holder stopped");
	x_start(&x, true);
	pid_t holder = mld_holder_pid(&x.m);
	assert_true(holder > 0);
	assert_int_equal(kill(holder, SIGSTOP), 0);
	for (int i = 0; i < NS; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		w[i] = h_register_pipe(&x.m, name);
	}
	for (uint64_t end = h_now_ms() + 10000;
	     sources_open(&x) != NS && h_now_ms() < end;)
		h_sleep_ms(10);
	assert_int_equal(kill(holder, SIGCONT), 0);
	long held = -1;
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;
	     (held = holder_held(&x)) != OWN_KEPT + NS && h_now_ms() < end;)
		h_sleep_ms(10);
	if (held != OWN_KEPT + NS) {
		json_t *a = h_dump(&x.m, "dump source=memlogd\n");
		bad(&x, "the holder holds %ld fds once it reads again, want %d: "
		    "%ld sources were never handed to it; memlogd's notices "
		    "(%zu):", held, OWN_KEPT + NS, OWN_KEPT + NS - held,
		    json_array_size(a));
		h_print_entries(a);
		json_decref(a);
	}
	x_kill(&x);
	int epipe = 0;
	for (int i = 0; i < NS; i++)
		if (write(w[i], "x\n", 2) < 0)
			epipe++;
	if (epipe)
		bad(&x, "%d of %d writers got EPIPE when memlogd was killed",
		    epipe, NS);
	x_start(&x, true);
	for (int i = 0; i < NS; i++)
		close(w[i]);
	mld_stop(&x.m);
	x_free(&x);
	finish(&x);
}

/* Fills the notify socket's queue with other services' datagrams, as a
 * busy service manager at boot would have it; returns how many. */
static int mgr_fill(struct fdmgr *g)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 0;

	assert_true(s >= 0);
	h_sun_path(&sa, g->path);
	while (n < 100000 && sendto(s, "WATCHDOG=1", 10, MSG_DONTWAIT,
				    (struct sockaddr *)&sa, sizeof(sa)) == 10)
		n++;
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(s);
	return n;
}

/* --fd-store with a service manager that is slow to read its notify
 * socket (full of other services' messages) while sources register:
 * each source must still end up in the store, and no writer may get
 * EPIPE when memlogd is then killed. */
static void test_fd_store_manager_busy(void **state)
{
	enum { NS = 6 };
	int w[NS];
	char name[16];
	struct crash x;
	struct fdmgr g;
	(void)state;

	x_init(&x, "--fd-store, the manager busy");
	x.args[4] = "--fd-store";
	fdmgr_init(&g, x.m.dir);
	x.g = &g;
	snprintf(x.envbuf[0], sizeof(x.envbuf[0]), "NOTIFY_SOCKET=%s", g.path);
	x_start(&x, true);
	if (!fdmgr_wait_held(&g, OWN_KEPT))
		bad(&x, "the manager holds %d fds at start, want %d", g.n,
		    OWN_KEPT);
	int queued = mgr_fill(&g);
	for (int i = 0; i < NS; i++) {
		snprintf(name, sizeof(name), "busy%d", i);
		w[i] = h_register_pipe(&x.m, name);
	}
	/* Read by memlogd (the manager is not read meanwhile). */
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;
	     sources_open(&x) != NS && h_now_ms() < end;)
		h_sleep_ms(5);
	print_message("# %d datagrams were waiting in the manager's socket when "
		      "%d sources registered\n", queued, NS);
	if (!fdmgr_wait_held(&g, OWN_KEPT + NS)) {
		json_t *a = h_dump(&x.m, "dump source=memlogd\n");
		bad(&x, "the manager holds %d fds, want %d: %d sources were "
		    "never stored; memlogd's notices (%zu):", g.n, OWN_KEPT + NS,
		    OWN_KEPT + NS - g.n, json_array_size(a));
		h_print_entries(a);
		json_decref(a);
	}
	x_kill(&x);
	for (int i = 0; i < NS; i++) {
		snprintf(name, sizeof(name), "after-%d\n", i);
		if (write(w[i], name, strlen(name)) < 0)
			bad(&x, "writer busy%d: %s after memlogd was killed", i,
			    strerror(errno));
	}
	x_start(&x, true);
	for (int i = 0; i < NS; i++) {
		snprintf(name, sizeof(name), "busy%d", i);
		for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;
		     h_source_stat(&x.m, name, "stderr", "lines") != 1 &&
		     h_now_ms() < end;)
			h_sleep_ms(5);
		if (h_source_stat(&x.m, name, "stderr", "lines") != 1)
			bad(&x, "source %s: its line written while memlogd was "
			    "down did not arrive", name);
		close(w[i]);
	}
	x.m.keep_sockets = true;
	int st = mld_signal_wait(&x.m, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bad(&x, "memlogd did not exit 0 on SIGTERM: 0x%x", st);
	fdmgr_free(&g);
	mld_cleanup(&x.m);
	x_free(&x);
	finish(&x);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--crash-writer"))
		return writer_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sigkill_torture, rt_teardown),
		cmocka_unit_test_teardown(test_holder_killed, h_teardown),
		cmocka_unit_test_teardown(test_holder_killed_after_restart,
					  h_teardown),
		cmocka_unit_test_teardown(test_holder_stopped, h_teardown),
		cmocka_unit_test_teardown(test_fd_store_restarts, h_teardown),
		cmocka_unit_test_teardown(test_fd_store_manager_busy, h_teardown),
	};
	return h_run_tests("itest_crash", tests, NULL, NULL);
}
