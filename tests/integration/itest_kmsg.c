/* The kernel log source of the real memlogd (--kmsg, --state-dir) and the
 * standalone reader memlog-kmsg (issue 5).
 *
 * Against the real kernel (root with CAP_SYSLOG, as CI runs; skipped with
 * the reason otherwise): a unique line written to /dev/kmsg arrives once
 * with its priority, facility and time; a restart with the same state dir
 * neither repeats nor skips; the ring starts at the first record the
 * kernel holds. A regular file or a FIFO standing in for /dev/kmsg
 * (--kmsg=PATH) drives what the kernel cannot be made to do: gaps with
 * exact counts, dictionaries, malformed records, a state file of another
 * boot. Without the device or without CAP_SYSLOG memlogd goes on without
 * it and says why.
 *
 * What the tests read back from /dev/kmsg themselves is parsed here, not
 * with the library's parser, so that a parser bug cannot hide itself. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

/* ---- helpers ---- */

static char *boot_id(void)
{
	char *s = h_read_file("/proc/sys/kernel/random/boot_id", NULL);
	assert_non_null(s);
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	assert_int_equal(strlen(s), 36);
	return s;
}

/* Root with a readable and writable /dev/kmsg, or skip saying why. */
static void need_kernel(void)
{
	if (geteuid() != 0) {
		print_message("# not root: the real /dev/kmsg cannot be written "
			      "or read (CAP_SYSLOG); skipping\n");
		skip();
	}
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		print_message("# /dev/kmsg: %s (no CAP_SYSLOG or no device); "
			      "skipping\n", strerror(errno));
		skip();
	}
	close(fd);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		print_message("# /dev/kmsg not writable: %s; skipping\n",
			      strerror(errno));
		skip();
	}
	close(fd);
}

/* Writes one record to the kernel log ("<PRI>message\n"). The newline
 * matters: the kernel keeps a record without one open for a continuation,
 * and readers see it only when the next record begins. */
static void kwrite(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open /dev/kmsg for writing: %s", strerror(errno));
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fail_msg("write /dev/kmsg: %s", strerror(errno));
	close(fd);
}

/* The kernel's records as /dev/kmsg gives them now. */
struct krec {
	uint64_t seq;
	uint64_t usec;
	int pri;
	char *msg;
};
struct klist {
	struct krec *v;
	size_t n, cap;
};

static void klist_read(struct klist *l)
{
	static char buf[8193];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		fail_msg("open /dev/kmsg: %s", strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			fail_msg("read /dev/kmsg: %s", strerror(errno));
		if (n == 0)
			break;
		buf[n] = '\0';
		unsigned pri;
		unsigned long long seq, usec;
		if (sscanf(buf, "%u,%llu,%llu,", &pri, &seq, &usec) != 3)
			fail_msg("unexpected /dev/kmsg record: %.100s", buf);
		char *semi = strchr(buf, ';');
		assert_non_null(semi);
		char *nl = strchr(semi, '\n');
		size_t ml = nl ? (size_t)(nl - semi - 1) : strlen(semi + 1);
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 256;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
			assert_non_null(l->v);
		}
		l->v[l->n++] = (struct krec){ seq, usec, (int)pri,
					      strndup(semi + 1, ml) };
	}
	close(fd);
	if (l->n == 0)
		fail_msg("/dev/kmsg gave no records at all");
}

static void klist_free(struct klist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].msg);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Index of the record with that message, or -1. */
static ssize_t klist_find(const struct klist *l, const char *msg)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].msg, msg))
			return (ssize_t)i;
	return -1;
}

static const char *msg_of(json_t *e)
{
	return h_jstr(e, "msg");
}

static bool is_marker(json_t *e)
{
	return json_is_true(json_object_get(e, "marker"));
}

static void append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	h_write_all(fd, text, strlen(text));
	close(fd);
}

/* One test's memlogd (the test fixture): its private dir (made by the
 * setup), the stand-in for /dev/kmsg a test may write there, the state
 * dir, and the options a restart uses again. */
struct kx {
	struct mld m;
	char fake[256];          /* DIR/fake */
	char sdir[256];          /* DIR/state */
	struct mld_opts o;
};

/* The usual options: the stand-in DIR/fake, or the real kernel log; the
 * position in DIR/state. */
static const char *const fake_args[] = { "--kmsg=%D/fake", "--state-dir",
					 "%D/state", NULL };
static const char *const kernel_args[] = { "--kmsg", "--state-dir",
					   "%D/state", NULL };

static int kx_setup(void **state)
{
	struct kx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	mld_init(&fx->m);
	snprintf(fx->fake, sizeof(fx->fake), "%s/fake", fx->m.dir);
	snprintf(fx->sdir, sizeof(fx->sdir), "%s/state", fx->m.dir);
	*state = fx;
	return 0;
}

/* Stops memlogd if it runs (a clean exit asserted, as mld_stop does) and
 * removes the dir. */
static int kx_teardown(void **state)
{
	struct kx *fx = *state;
	struct mld m = fx->m;

	free(fx);
	*state = NULL;
	if (m.pid > 0)
		mld_stop(&m);
	mld_cleanup(&m);
	return h_teardown(state);
}

/* Starts memlogd with args (NULL-terminated, kept: kx_restart uses them
 * again). */
static void kx_start(struct kx *fx, const char *const *args)
{
	fx->o.args = args;
	mld_start(&fx->m, &fx->o);
}

static void kx_restart(struct kx *fx)
{
	mld_start(&fx->m, &fx->o);
}

#define KX_TEST(fn) cmocka_unit_test_setup_teardown(fn, kx_setup, kx_teardown)

/* The entry time (ns since the epoch). */
static uint64_t time_of(json_t *e)
{
	const char *t = h_jstr(e, "time");
	uint64_t ns;
	if (!h_parse_rfc3339nano(t, strlen(t), &ns))
		fail_msg("bad time %s", t);
	return ns;
}

static void expect_near(uint64_t got, uint64_t want, uint64_t tol_ns,
			const char *what)
{
	uint64_t d = got > want ? got - want : want - got;
	if (d > tol_ns)
		fail_msg("%s: time is %.3f s away from the expected %.3f s",
			 what, (double)d / 1e9, (double)want / 1e9);
}

/* ---- the real kernel ---- */

static void need_memlog_kmsg(void)
{
	if (!h_prog_exists("memlog-kmsg"))
		fail_msg("%s/memlog-kmsg is not built", h_build());
}

/* The fds of pid open on /dev/kmsg: how many, and whether any can write. */
static int kmsg_fds(pid_t pid, bool *writable)
{
	char p[64];
	int n = 0;

	*writable = false;
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char l[384], target[256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(l, sizeof(l), "%s/%s", p, e->d_name);
		ssize_t tl = readlink(l, target, sizeof(target) - 1);
		if (tl < 0)
			continue;
		target[tl] = '\0';
		if (strcmp(target, "/dev/kmsg") != 0)
			continue;
		n++;
		snprintf(l, sizeof(l), "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
		char *info = h_read_file(l, NULL);
		assert_non_null(info);
		char *f = strstr(info, "flags:");
		assert_non_null(f);
		unsigned long flags = strtoul(f + 6, NULL, 8);
		if ((flags & O_ACCMODE) != O_RDONLY)
			*writable = true;
		free(info);
	}
	closedir(d);
	return n;
}

static int count_lines_with(const char *out, const char *needle)
{
	int n = 0;
	for (const char *p = out; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A unique line with priority and facility arrives once, with them and
 * the kernel's time; logread's -p selects it; a restart with the same
 * state dir neither repeats it nor misses what came meanwhile. */
static void test_kernel_line_once_and_restart(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char u1[64], u2[64], line[96], sp[256], lrsock[256];

	need_kernel();
	h_token(u1, sizeof(u1), "memlog-itest-", 16);
	h_token(u2, sizeof(u2), "memlog-itest-", 16);
	kx_start(fx, kernel_args);
	snprintf(sp, sizeof(sp), "%s/state/kmsg.state", m->dir);
	snprintf(lrsock, sizeof(lrsock), "%s", m->query);

	/* facility user (1), level err (3): PRI 11 */
	snprintf(line, sizeof(line), "<11>%s\n", u1);
	uint64_t t_write = h_now_ns();
	kwrite(line);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", u1);
	if (h_count_msg(a, u1) != 1) {
		h_print_entries(a);
		fail_msg("%s is in the ring %zu times, want once", u1,
			 h_count_msg(a, u1));
	}
	json_t *e = h_find_msg(a, u1);
	assert_string_equal(h_jstr(e, "source"), "kmsg");
	assert_string_equal(h_jstr(e, "stream"), "kernel");
	assert_int_equal(h_jint(e, "priority"), 3);
	assert_int_equal(h_jint(e, "facility"), 1);
	assert_false(h_jbool(e, "partial"));
	assert_false(is_marker(e));
	/* The kernel's time stamp, as wall-clock time. */
	expect_near(time_of(e), t_write, 3000000000ull, u1);
	json_decref(a);

	/* memlogd reads the kernel log and never opens it for writing. */
	bool writable;
	assert_int_equal(kmsg_fds(m->pid, &writable), 1);
	assert_false(writable);

	/* logread -p: err selects it (0..3), info..debug does not, and a
	 * numeric range 3..3 does. */
	char *out, *err;
	const char *lr1[] = { "-socket", lrsock, "-source", "kmsg", "-p", "err",
			      NULL };
	int st = h_run_prog("logread", lr1, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	if (count_lines_with(out, u1) != 1)
		fail_msg("logread -p err shows %s %d times, want 1:\n%s", u1,
			 count_lines_with(out, u1), out);
	free(out);
	free(err);
	const char *lr2[] = { "-socket", lrsock, "-source", "kmsg", "-p",
			      "info..debug", NULL };
	st = h_run_prog("logread", lr2, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	if (strstr(out, u1))
		fail_msg("logread -p info..debug shows the err line:\n%s", out);
	free(out);
	free(err);
	const char *lr3[] = { "-socket", lrsock, "-p", "3..3", "-o", "json",
			      NULL };
	st = h_run_prog("logread", lr3, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	assert_int_equal(count_lines_with(out, u1), 1);
	json_t *lj = h_ndjson(out, strlen(out));
	size_t i;
	json_array_foreach(lj, i, e)
		assert_int_equal(h_jint(e, "priority"), 3);
	json_decref(lj);
	free(out);
	free(err);

	/* Stop; the position is kept with this boot's id. */
	mld_stop_keep(m);
	struct klist k;
	klist_read(&k);
	ssize_t i1 = klist_find(&k, u1);
	assert_true(i1 >= 0);
	uint64_t seq1 = k.v[i1].seq;
	klist_free(&k);
	char *sf = h_read_file(sp, NULL);
	if (!sf)
		fail_msg("no state file %s after a clean stop", sp);
	char sid[64];
	unsigned long long next;
	if (sscanf(sf, "%63s %llu", sid, &next) != 2)
		fail_msg("state file %s holds \"%s\"", sp, sf);
	char *bid = boot_id();
	assert_string_equal(sid, bid);
	if (next < seq1 + 1)
		fail_msg("state says next seq %llu, but seq %llu (%s) was read",
			 next, (unsigned long long)seq1, u1);
	free(bid);
	free(sf);

	/* While it is down, the kernel logs another line. */
	snprintf(line, sizeof(line), "<14>%s\n", u2);
	kwrite(line);

	kx_restart(fx); /* same dir, same state */
	a = h_wait_dump_msg(m, "dump source=kmsg\n", u2);
	if (h_count_msg(a, u1) != 0) {
		h_print_entries(a);
		fail_msg("the restarted memlogd repeats %s", u1);
	}
	assert_int_equal(h_count_msg(a, u2), 1);
	json_array_foreach(a, i, e)
		if (is_marker(e) || !strncmp(msg_of(e), "missed ", 7)) {
			h_print_entries(a);
			fail_msg("a restart without a gap produced a marker: %s",
				 msg_of(e));
		}
	/* No hole: the new instance starts exactly at the kernel record the
	 * state file names and holds every record from there to u2. */
	klist_read(&k);
	ssize_t from = -1, to = klist_find(&k, u2);
	for (size_t j = 0; j < k.n; j++)
		if (k.v[j].seq == next)
			from = (ssize_t)j;
	assert_true(to >= 0);
	if (from < 0)
		fail_msg("the kernel no longer holds seq %llu", next);
	if (json_array_size(a) < (size_t)(to - from + 1)) {
		h_print_entries(a);
		fail_msg("the restarted memlogd has %zu kmsg entries, want at "
			 "least the %zd records from seq %llu to %s",
			 json_array_size(a), to - from + 1, next, u2);
	}
	for (ssize_t j = from; j <= to; j++) {
		json_t *x = json_array_get(a, (size_t)(j - from));
		if (strcmp(msg_of(x), k.v[j].msg) != 0) {
			h_print_entries(a);
			fail_msg("entry %zd is \"%s\", want kernel record seq "
				 "%llu \"%s\"", j - from, msg_of(x),
				 (unsigned long long)k.v[j].seq, k.v[j].msg);
		}
	}
	e = h_find_msg(a, u2);
	assert_int_equal(h_jint(e, "priority"), 6);
	assert_int_equal(h_jint(e, "facility"), 1);
	klist_free(&k);
	json_decref(a);
}

/* A fresh state starts at the first record the kernel still holds: boot
 * messages from before memlogd are there, in order, with their priority
 * and facility, after a marker if and only if the kernel has dropped
 * records (its first held seq is above 0). */
static void test_kernel_from_first_record(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char u[64], line[96];
	struct klist k0, k1;

	need_kernel();
	h_token(u, sizeof(u), "memlog-itest-", 16);
	klist_read(&k0);
	uint64_t f0 = k0.v[0].seq;
	klist_free(&k0);
	kx_start(fx, kernel_args);
	snprintf(line, sizeof(line), "<13>%s\n", u);
	kwrite(line);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", u);
	klist_read(&k1);
	uint64_t f1 = k1.v[0].seq;
	ssize_t iu = klist_find(&k1, u);
	assert_true(iu >= 0);

	/* Records from before memlogd started: more than our line. */
	if (json_array_size(a) < 2) {
		h_print_entries(a);
		fail_msg("the ring holds no kernel record from before memlogd");
	}
	size_t markers = 0, i;
	json_t *e;
	json_array_foreach(a, i, e)
		markers += is_marker(e);
	json_t *first = json_array_get(a, 0);
	if (f1 == 0 && markers != 0) {
		h_print_entries(a);
		fail_msg("the kernel holds every record from seq 0, yet there "
			 "is a marker");
	}
	if (f0 > 0) {
		/* Records 0..(first held - 1) are gone: one marker, first. */
		if (markers != 1 || !is_marker(first)) {
			h_print_entries(a);
			fail_msg("the kernel's first record is seq %llu: want one "
				 "marker first", (unsigned long long)f0);
		}
		unsigned long long n;
		if (sscanf(msg_of(first), "missed %llu kernel messages", &n) != 1)
			fail_msg("marker says \"%s\"", msg_of(first));
		if (n < f0 || n > f1)
			fail_msg("marker says %llu missed; the kernel's first "
				 "record was seq %llu..%llu", n,
				 (unsigned long long)f0, (unsigned long long)f1);
		assert_string_equal(h_jstr(first, "source"), "kmsg");
		assert_null(json_object_get(first, "priority"));
	}
	if (f0 == f1) {
		/* Nothing was dropped meanwhile: the entries are exactly the
		 * kernel's records from its first up to our line. */
		size_t off = markers;
		if (json_array_size(a) < off + (size_t)iu + 1) {
			h_print_entries(a);
			fail_msg("%zu entries, want %zu records before ours",
				 json_array_size(a), (size_t)iu + off);
		}
		for (size_t j = 0; j <= (size_t)iu; j++) {
			json_t *x = json_array_get(a, off + j);
			if (strcmp(msg_of(x), k1.v[j].msg) != 0) {
				h_print_entries(a);
				fail_msg("entry %zu is \"%s\", want the kernel's "
					 "seq %llu \"%s\"", off + j, msg_of(x),
					 (unsigned long long)k1.v[j].seq,
					 k1.v[j].msg);
			}
			assert_int_equal(h_jint(x, "priority"), k1.v[j].pri & 7);
			assert_int_equal(h_jint(x, "facility"), k1.v[j].pri >> 3);
		}
	} else {
		print_message("# the kernel dropped records during the test "
			      "(first seq %llu, then %llu): order not compared\n",
			      (unsigned long long)f0, (unsigned long long)f1);
	}
	klist_free(&k1);
	json_decref(a);
}

/* ---- a regular file or FIFO standing in for /dev/kmsg ---- */

/* Records 0, 1 and 4 (2 and 3 overwritten), the last with a dictionary:
 * exactly one marker "missed 2 kernel messages", the dictionary as attrs,
 * the kernel time as wall-clock time; a restart with the same state dir
 * adds nothing, and later records are taken alone. */
static void test_fake_gap_and_dictionary(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char text[1024];

	uint64_t mono = h_now_us(), wall = h_now_ns();
	/* Kernel stamps 3, 2 and 1 s before now. */
	snprintf(text, sizeof(text),
		 "6,0,%" PRIu64 ",-;fake zero\n"
		 "6,1,%" PRIu64 ",-;fake one\n"
		 "6,4,%" PRIu64 ",-;fake four\n"
		 " SUBSYSTEM=pci\n"
		 " DEVICE=+pci:0000:00:01.0\n",
		 mono - 3000000, mono - 2000000, mono - 1000000);
	h_write_file(fx->fake, text, 0644);
	kx_start(fx, fake_args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "fake four");
	if (json_array_size(a) != 4) {
		h_print_entries(a);
		fail_msg("%zu kmsg entries, want zero, one, marker, four",
			 json_array_size(a));
	}
	json_t *e0 = json_array_get(a, 0), *e1 = json_array_get(a, 1);
	json_t *mk = json_array_get(a, 2), *e4 = json_array_get(a, 3);
	assert_string_equal(msg_of(e0), "fake zero");
	assert_string_equal(msg_of(e1), "fake one");
	assert_string_equal(msg_of(e4), "fake four");
	/* The marker: its exact count, flagged, no priority of its own. */
	assert_true(is_marker(mk));
	if (strncmp(msg_of(mk), "missed 2 kernel messages", 24) != 0)
		fail_msg("marker says \"%s\", want \"missed 2 kernel messages...\"",
			 msg_of(mk));
	assert_string_equal(h_jstr(mk, "source"), "kmsg");
	assert_string_equal(h_jstr(mk, "stream"), "kernel");
	assert_null(json_object_get(mk, "priority"));
	size_t i;
	json_t *e;
	size_t markers = 0;
	json_array_foreach(a, i, e)
		markers += is_marker(e);
	assert_int_equal(markers, 1);
	/* The dictionary as attributes of its record, not as entries. */
	json_t *want = json_pack("{s:s,s:s}", "SUBSYSTEM", "pci", "DEVICE",
				 "+pci:0000:00:01.0");
	json_t *attrs = json_object_get(e4, "attrs");
	if (!json_equal(attrs, want)) {
		h_print_entries(a);
		fail_msg("attrs of \"fake four\" are not "
			 "{\"SUBSYSTEM\":\"pci\",\"DEVICE\":\"+pci:0000:00:01.0\"}");
	}
	json_decref(want);
	assert_null(json_object_get(e0, "attrs"));
	assert_null(json_object_get(e1, "attrs"));
	assert_int_equal(h_jint(e4, "priority"), 6);
	assert_int_equal(h_jint(e4, "facility"), 0);
	assert_false(is_marker(e4));
	/* The kernel's stamps as wall-clock times. */
	expect_near(time_of(e0), wall - 3000000000ull, 500000000ull, "fake zero");
	expect_near(time_of(e1), wall - 2000000000ull, 500000000ull, "fake one");
	expect_near(time_of(e4), wall - 1000000000ull, 500000000ull, "fake four");
	json_decref(a);
	mld_stop_keep(m);

	/* The same records again: nothing new. The file is read to its end
	 * before memlogd serves, and once more on the barrier's turn. */
	kx_restart(fx);
	h_barrier(m);
	a = h_dump(m, "dump source=kmsg\n");
	if (json_array_size(a) != 0) {
		h_print_entries(a);
		fail_msg("a restart on the same records stored them again");
	}
	json_decref(a);
	mld_stop_keep(m);

	/* A record appended meanwhile is the only one taken. */
	snprintf(text, sizeof(text), "6,5,%" PRIu64 ",-;fake five\n", mono);
	append_file(fx->fake, text);
	kx_restart(fx);
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "fake five");
	if (json_array_size(a) != 1) {
		h_print_entries(a);
		fail_msg("after a restart: %zu entries, want only fake five",
			 json_array_size(a));
	}
	json_decref(a);
}

/* PRI 30 is facility 3 (daemon) level 6 (info); a malformed line is skipped
 * (with a notice), is no gap, and the next record still arrives. */
static void test_fake_priority_and_malformed(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;

	h_write_file(fx->fake,
		     "30,0,1000,-;daemon info\n"
		     "this is not a kmsg record\n"
		     "x,y,z,-;neither is this\n"
		     "3,1,2000,-;kernel err\n"
		     "191,2,3000,-;local7 debug\n", 0644);
	kx_start(fx, fake_args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "local7 debug");
	if (json_array_size(a) != 3) {
		h_print_entries(a);
		fail_msg("%zu kmsg entries, want the three good records",
			 json_array_size(a));
	}
	json_t *e = json_array_get(a, 0);
	assert_string_equal(msg_of(e), "daemon info");
	assert_int_equal(h_jint(e, "priority"), 6);
	assert_int_equal(h_jint(e, "facility"), 3);
	e = json_array_get(a, 1);
	assert_string_equal(msg_of(e), "kernel err");
	assert_int_equal(h_jint(e, "priority"), 3);
	assert_int_equal(h_jint(e, "facility"), 0);
	e = json_array_get(a, 2);
	assert_int_equal(h_jint(e, "priority"), 7);
	assert_int_equal(h_jint(e, "facility"), 23);
	size_t i;
	json_array_foreach(a, i, e)
		assert_false(is_marker(e));
	json_decref(a);
	json_t *n = h_find_notice(m, "malformed", NULL);
	if (!n)
		fail_msg("no notice about the malformed record");
	json_decref(n);
	/* The query filter sees the same numbers. */
	a = h_dump(m, "dump source=kmsg priority=6..6\n");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(msg_of(json_array_get(a, 0)), "daemon info");
	json_decref(a);
}

/* The state file: another boot's position is ignored (the kernel's seq
 * started again), a garbled one too (with a notice); this boot's position
 * is resumed, and a gap across the restart is counted exactly. */
static void test_fake_state_file(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char sp[320], text[256];

	char *bid = boot_id();
	snprintf(sp, sizeof(sp), "%s/kmsg.state", fx->sdir);
	assert_int_equal(mkdir(fx->sdir, 0755), 0);
	h_write_file(fx->fake, "6,0,1000,-;s zero\n6,1,2000,-;s one\n", 0644);
	h_write_file(sp, "00000000-1111-2222-3333-444444444444 100\n", 0644);

	/* Another boot: from the start, no marker. */
	kx_start(fx, fake_args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "s one");
	if (json_array_size(a) != 2) {
		h_print_entries(a);
		fail_msg("another boot's state: want both records and no marker");
	}
	json_decref(a);
	mld_stop_keep(m);
	char *sf = h_read_file(sp, NULL);
	assert_non_null(sf);
	snprintf(text, sizeof(text), "%s 2\n", bid);
	assert_string_equal(sf, text);
	free(sf);

	/* Garbage in the state file: a notice, and from the start again. */
	h_write_file(sp, "not a state file\n", 0644);
	kx_restart(fx);
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "s one");
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	json_t *n = h_find_notice(m, "kmsg.state", NULL);
	if (!n)
		fail_msg("no notice about the unreadable state file");
	json_decref(n);
	mld_stop_keep(m);

	/* This boot, next seq 2; the kernel now holds 0, 1 and 5..6: three
	 * records (2-4) were lost while memlogd was down. */
	h_write_file(fx->fake, "6,0,1000,-;s zero\n6,1,2000,-;s one\n"
		     "6,5,3000,-;s five\n6,6,4000,-;s six\n", 0644);
	kx_restart(fx);
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "s six");
	if (json_array_size(a) != 3) {
		h_print_entries(a);
		fail_msg("want marker, s five, s six");
	}
	json_t *mk = json_array_get(a, 0);
	assert_true(is_marker(mk));
	if (strncmp(msg_of(mk), "missed 3 kernel messages", 24) != 0)
		fail_msg("marker says \"%s\", want \"missed 3 kernel messages...\"",
			 msg_of(mk));
	assert_string_equal(msg_of(json_array_get(a, 1)), "s five");
	assert_string_equal(msg_of(json_array_get(a, 2)), "s six");
	json_decref(a);
	mld_stop_keep(m);
	sf = h_read_file(sp, NULL);
	snprintf(text, sizeof(text), "%s 7\n", bid);
	assert_string_equal(sf, text);
	free(sf);
	free(bid);
}

/* A record longer than --max-line-len is split like any long line: parts
 * of at most that many bytes, all but the last partial, the dictionary
 * with the first part, each part with the record's priority. */
static void test_fake_long_record_split(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;

	h_write_file(fx->fake, "4,0,1000,-;0123456789abcdefghijKLMNO\n"
		     " SUBSYSTEM=usb\n"
		     "6,1,2000,-;short\n", 0644);
	const char *args[] = { "--kmsg=%D/fake", "--state-dir", "%D/state",
			       "--max-line-len", "16", NULL };
	kx_start(fx, args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "short");
	/* 25 bytes at 16 a part: "0123456789abcdef" + "ghijKLMNO" */
	if (json_array_size(a) != 3) {
		h_print_entries(a);
		fail_msg("want 2 parts and \"short\"");
	}
	json_t *p0 = json_array_get(a, 0), *p1 = json_array_get(a, 1);
	assert_string_equal(msg_of(p0), "0123456789abcdef");
	assert_string_equal(msg_of(p1), "ghijKLMNO");
	assert_true(h_jbool(p0, "partial"));
	assert_false(h_jbool(p1, "partial"));
	assert_string_equal(msg_of(json_array_get(a, 2)), "short");
	assert_int_equal(h_jint(p0, "priority"), 4);
	assert_int_equal(h_jint(p1, "priority"), 4);
	json_t *want = json_pack("{s:s}", "SUBSYSTEM", "usb");
	assert_true(json_equal(json_object_get(p0, "attrs"), want));
	json_decref(want);
	json_decref(a);
}

/* A gap marker longer than --max-line-len (it once aborted memlogd on an
 * assertion): stored in parts, flagged as a marker, and memlogd goes on. */
static void test_fake_gap_marker_split(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;

	h_write_file(fx->fake, "6,0,1000,-;g zero\n6,5,2000,-;g five\n", 0644);
	const char *args[] = { "--kmsg=%D/fake", "--state-dir", "%D/state",
			       "--max-line-len", "16", NULL };
	kx_start(fx, args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "g five");
	char text[256] = "";
	size_t i, parts = 0;
	json_t *e;
	json_array_foreach(a, i, e) {
		if (!is_marker(e))
			continue;
		parts++;
		strncat(text, msg_of(e), sizeof(text) - strlen(text) - 1);
		if (strlen(msg_of(e)) > 16)
			fail_msg("a marker part of %zu bytes", strlen(msg_of(e)));
	}
	if (parts < 2 || strcmp(text, "missed 4 kernel messages (seq 1-4 "
			       "overwritten before memlogd read them)")) {
		h_print_entries(a);
		fail_msg("the gap marker in %zu parts: \"%s\"", parts, text);
	}
	json_decref(a);
	/* Alive and serving. */
	json_decref(h_stats(m));
}

/* A state dir that cannot be used (a file is in the way): memlogd reads
 * the kernel log anyway and says, once, that it cannot keep its place. */
static void test_fake_state_dir_unusable(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char blocker[256];

	snprintf(blocker, sizeof(blocker), "%s/notadir", m->dir);
	h_write_file(fx->fake, "6,0,1000,-;u zero\n6,1,2000,-;u one\n", 0644);
	h_write_file(blocker, "in the way\n", 0644);
	const char *args[] = { "--kmsg=%D/fake", "--state-dir", "%D/notadir",
			       NULL };
	kx_start(fx, args);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "u one");
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	json_t *n = h_find_notice(m, "notadir", NULL);
	if (!n)
		fail_msg("no notice that the position cannot be kept");
	json_decref(n);
	a = h_dump(m, "dump source=memlogd\n");
	size_t i, k = 0;
	json_t *e;
	json_array_foreach(a, i, e)
		k += strstr(msg_of(e), "notadir") != NULL;
	if (k > 2) {
		h_print_entries(a);
		fail_msg("%zu notices about the state dir, want one (or two: "
			 "create and save)", k);
	}
	json_decref(a);
	char *c = h_read_file(blocker, NULL);
	assert_string_equal(c, "in the way\n");
	free(c);
}

/* CPU time (utime + stime) of pid in ms. */
static uint64_t cpu_ms(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	char *s = h_read_file(p, NULL);
	assert_non_null(s);
	char *rp = strrchr(s, ')');
	assert_non_null(rp);
	unsigned long long ut = 0, st = 0;
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	int r = sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		       "%llu %llu", &ut, &st);
	assert_int_equal(r, 2);
	free(s);
	return (ut + st) * 1000 / (uint64_t)sysconf(_SC_CLK_TCK);
}

/* A FIFO stand-in that memlogd opens before anyone writes to it: records
 * written afterwards arrive (no writer yet is not the end). */
static void test_fake_fifo_writer_comes_later(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char fifo[256];

	snprintf(fifo, sizeof(fifo), "%s/fifo", m->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *args[] = { "--kmsg=%D/fifo", "--state-dir", "%D/state", NULL };
	kx_start(fx, args);
	/* memlogd holds the read end, so this open does not block. */
	int w = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (w < 0)
		fail_msg("open %s for writing: %s (memlogd does not hold it open)",
			 fifo, strerror(errno));
	h_writef(w, "6,0,1000,-;fifo zero\n6,1,2000,-;fifo one\n");
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "fifo zero");
	json_decref(a);
	close(w);
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "fifo one");
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
}

/* A FIFO stand-in records arriving over time, and the end when its writer
 * goes: the last record is taken, and memlogd then idles (it does not
 * spin on the hung-up FIFO) and serves on. */
static void test_fake_fifo_stream_and_end(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char fifo[256];

	snprintf(fifo, sizeof(fifo), "%s/fifo", m->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* A writer before memlogd opens it (not inherited: the harness
	 * closes the child's other fds). */
	int w = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(w >= 0);
	const char *args[] = { "--kmsg=%D/fifo", "--state-dir", "%D/state", NULL };
	kx_start(fx, args);
	h_writef(w, "6,0,1000,-;stream zero\n");
	h_writef(w, "6,1,2000,-;stream one\n SUBSYSTEM=x\n");
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "stream zero");
	json_decref(a);
	h_writef(w, "6,3,3000,-;stream three\n");
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "stream one");
	json_t *one = h_find_msg(a, "stream one");
	json_t *want = json_pack("{s:s}", "SUBSYSTEM", "x");
	assert_true(json_equal(json_object_get(one, "attrs"), want));
	json_decref(want);
	json_decref(a);
	close(w); /* the end: the last record is whole */
	a = h_wait_dump_msg(m, "dump source=kmsg\n", "stream three");
	if (json_array_size(a) != 4) {
		h_print_entries(a);
		fail_msg("want zero, one, marker (missed 1), three");
	}
	assert_true(is_marker(json_array_get(a, 2)));
	assert_int_equal(strncmp(msg_of(json_array_get(a, 2)),
				 "missed 1 kernel messages", 24), 0);
	json_decref(a);

	/* Idle now: over a second of wall time an idle daemon uses next to
	 * no CPU; a loop on the FIFO's hang-up uses all it can get, so a
	 * fifth of the second is a wide margin either way. */
	h_barrier(m);
	uint64_t c0 = cpu_ms(m->pid), t0 = h_now_ms();
	h_sleep_ms(1000);
	uint64_t c1 = cpu_ms(m->pid), t1 = h_now_ms();
	if ((c1 - c0) * 5 > t1 - t0)
		fail_msg("memlogd used %llu ms of CPU in %llu ms after the "
			 "FIFO's writer went (busy loop)",
			 (unsigned long long)(c1 - c0),
			 (unsigned long long)(t1 - t0));
	int p = h_register_pipe(m, "after");
	h_writef(p, "still serving\n");
	h_wait_source_stat(m, "after", "stderr", "lines", 1);
	close(p);
}

/* ---- no kernel log ---- */

/* --kmsg=PATH that does not exist: memlogd runs on, says why on stderr
 * and in a notice of its own, and serves. */
static void test_kmsg_missing(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char path[256];

	const char *args[] = { "--kmsg=%D/nonexistent", "--state-dir", "%D/state",
			       NULL };
	kx_start(fx, args);
	snprintf(path, sizeof(path), "%s/nonexistent", m->dir);
	int w = h_register_pipe(m, "svc");
	h_writef(w, "served\n");
	h_wait_source_stat(m, "svc", "stderr", "lines", 1);
	close(w);
	char *err = mld_stderr(m);
	if (!strstr(err, path) || !strstr(err, strerror(ENOENT)))
		fail_msg("stderr does not say why (%s: %s): %s", path,
			 strerror(ENOENT), err);
	free(err);
	json_t *n = h_find_notice(m, path, strerror(ENOENT));
	if (!n)
		fail_msg("no notice from memlogd about %s", path);
	assert_string_equal(h_jstr(n, "source"), "memlogd");
	json_decref(n);
	json_t *st = h_stats(m);
	assert_null(h_stats_source(st, "kmsg", "kernel"));
	json_decref(st);
}

/* Copies a built program into dir (mode 0755), so that uid 65534 can run
 * it even when the build directory is private to root. */
static void copy_prog(const char *name, const char *dir, char *out, size_t cap)
{
	char src[512];
	size_t len;

	h_prog(src, sizeof(src), name);
	char *bin = h_read_file(src, &len);
	if (!bin)
		fail_msg("cannot read %s", src);
	snprintf(out, cap, "%s/%s", dir, name);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	h_write_all(fd, bin, len);
	assert_int_equal(fchmod(fd, 0755), 0);
	close(fd);
	free(bin);
}

/* In the child: uid and gid NOBODY with no supplementary groups (and so
 * without CAP_SYSLOG), stdout into the stderr file too. */
static void as_nobody(void *arg)
{
	dup2(2, 1);
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(121);
}

/* Runs argv as NOBODY; its stdout and stderr are appended to errpath. */
static pid_t spawn_nobody(const char *const *argv, const char *errpath)
{
	return h_spawn_setup(argv, errpath, false, as_nobody, NULL);
}

/* Without CAP_SYSLOG (uid 65534, dmesg_restrict on): memlogd says so with
 * a hint and serves on; memlog-kmsg exits 1 with the same hint. */
static void test_kmsg_without_cap_syslog(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char prog[512];

	h_need_root("dropping to uid 65534 needs root");
	char *dr = h_read_file("/proc/sys/kernel/dmesg_restrict", NULL);
	bool restricted = dr && dr[0] == '1';
	free(dr);
	if (!restricted) {
		print_message("# kernel.dmesg_restrict is 0: any user may read "
			      "/dev/kmsg, nothing to refuse; skipping\n");
		skip();
	}
	need_memlog_kmsg();
	assert_int_equal(chmod(m->dir, 0777), 0); /* nobody makes its sockets */

	/* memlog-kmsg: exit 1 with the hint. */
	char kprog[512], kerrf[256];
	copy_prog("memlog-kmsg", m->dir, kprog, sizeof(kprog));
	snprintf(kerrf, sizeof(kerrf), "%s/memlog-kmsg.err", m->dir);
	const char *kargv[] = { kprog, "--no-follow", "--state-dir", "", NULL };
	pid_t pid = spawn_nobody(kargv, kerrf);
	h_track_pid(pid);
	int wst = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	char *kerr = h_read_file(kerrf, NULL);
	bool hint = kerr && strstr(kerr, "CAP_SYSLOG");
	bool exit1 = WIFEXITED(wst) && WEXITSTATUS(wst) == 1;
	if (!hint || !exit1)
		print_message("# memlog-kmsg stderr:\n%s\n", kerr ? kerr : "");
	free(kerr);
	if (!exit1)
		fail_msg("memlog-kmsg without CAP_SYSLOG: status 0x%x, want exit 1",
			 wst);
	if (!hint)
		fail_msg("memlog-kmsg gives no CAP_SYSLOG hint");

	/* memlogd: runs on, says why, serves. */
	copy_prog("memlogd", m->dir, prog, sizeof(prog));
	const char *argv[] = { prog, "--socket-log", m->log, "--socket-query",
			       m->query, "--kmsg", "--state-dir", fx->sdir, NULL };
	pid = spawn_nobody(argv, m->errfile);
	h_track_pid(pid);
	m->pid = pid;
	mld_wait_ready(m);
	int w = h_register_pipe(m, "svc");
	h_writef(w, "served without the kernel log\n");
	h_wait_source_stat(m, "svc", "stderr", "lines", 1);
	close(w);
	char *err = mld_stderr(m);
	bool said = strstr(err, "/dev/kmsg") && strstr(err, "CAP_SYSLOG");
	if (!said)
		print_message("# memlogd stderr: %s\n", err);
	free(err);
	if (!said)
		fail_msg("memlogd's stderr has no CAP_SYSLOG hint for /dev/kmsg");
	json_t *n = h_find_notice(m, "/dev/kmsg", "CAP_SYSLOG");
	if (!n)
		fail_msg("no notice from memlogd with a CAP_SYSLOG hint");
	json_decref(n);
	json_t *st = h_stats(m);
	assert_null(h_stats_source(st, "kmsg", "kernel"));
	json_decref(st);
	mld_stop(m);
	h_untrack_pid(pid);
}

/* ---- memlog-kmsg ---- */

/* Parses "[<PRI>](SEQ) - TIME: MESSAGE"; returns false if it is not one. */
static bool parse_kline(const char *l, size_t len, bool want_pri, int *pri,
			uint64_t *seq, uint64_t *ns, const char **msg)
{
	const char *p = l, *end = l + len;
	char *q;

	*pri = -1;
	if (want_pri && p < end && *p == '<') {
		long v = strtol(p + 1, &q, 10);
		if (q == p + 1 || *q != '>')
			return false;
		*pri = (int)v;
		p = q + 1;
	}
	if (p >= end || *p != '(')
		return false;
	unsigned long long s = strtoull(p + 1, &q, 10);
	if (q == p + 1 || strncmp(q, ") - ", 4) != 0)
		return false;
	*seq = s;
	p = q + 4;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	/* the time has colons itself: it ends at "Z: " */
	const char *z = NULL;
	for (const char *c = p; c + 2 < end; c++)
		if (c[0] == 'Z' && c[1] == ':' && c[2] == ' ') {
			z = c;
			break;
		}
	if (!colon || !z || !h_parse_rfc3339nano(p, (size_t)(z + 1 - p), ns))
		return false;
	*msg = z + 3;
	return true;
}

struct kline {
	int pri;
	uint64_t seq, ns;
	char *msg;
};

/* Splits memlog-kmsg's stderr into lines, each checked for the format. */
static size_t parse_kout(char *out, bool want_pri, struct kline *v, size_t max)
{
	size_t n = 0;
	char *p = out;

	while (*p) {
		char *nl = strchr(p, '\n');
		if (!nl)
			fail_msg("memlog-kmsg output ends inside a line: %s", p);
		*nl = '\0';
		struct kline k;
		const char *msg = NULL;
		if (!parse_kline(p, (size_t)(nl - p), want_pri, &k.pri, &k.seq,
				 &k.ns, &msg))
			fail_msg("not a \"%s(SEQ) - TIME: MESSAGE\" line: %s",
				 want_pri ? "<PRI>" : "", p);
		k.msg = (char *)msg;
		if (n > 0 && k.seq <= v[n - 1].seq &&
		    strncmp(msg, "missed ", 7) != 0)
			fail_msg("seq %llu after %llu", (unsigned long long)k.seq,
				 (unsigned long long)v[n - 1].seq);
		if (n < max)
			v[n++] = k;
		p = nl + 1;
	}
	return n;
}

static const struct kline *kfind(const struct kline *v, size_t n,
				 const char *msg)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].msg, msg))
			return &v[i];
	return NULL;
}

/* memlog-kmsg's documented exit statuses where no kernel is needed: 0 for
 * --help, 2 for a bad option, 1 when the log cannot be opened (saying
 * which). */
static void test_memlog_kmsg_exit_status(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char path[256];
	char *out, *err;

	need_memlog_kmsg();
	const char *a1[] = { "--help", NULL };
	int st = h_run_prog("memlog-kmsg", a1, 3 * H_TIMEOUT_MS, &out, &err);
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		  strstr(out, "Usage: memlog-kmsg");
	if (!ok)
		print_message("# --help: status 0x%x\n# stdout: %s\n# stderr: %s\n",
			      st, out, err);
	free(out);
	free(err);
	if (!ok)
		fail_msg("memlog-kmsg --help: want exit 0 and the usage");

	const char *a2[] = { "--bogus", NULL };
	st = h_run_prog("memlog-kmsg", a2, 3 * H_TIMEOUT_MS, &out, &err);
	ok = WIFEXITED(st) && WEXITSTATUS(st) == 2;
	if (!ok)
		print_message("# --bogus: status 0x%x\n# stderr: %s\n", st, err);
	free(out);
	free(err);
	if (!ok)
		fail_msg("memlog-kmsg --bogus: want exit 2");

	snprintf(path, sizeof(path), "%s/nonexistent", m->dir);
	const char *a3[] = { "--kmsg", path, "--no-follow", "--state-dir", "",
			     NULL };
	st = h_run_prog("memlog-kmsg", a3, 3 * H_TIMEOUT_MS, &out, &err);
	ok = WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(err, path);
	if (!ok)
		print_message("# --kmsg %s: status 0x%x\n# stderr: %s\n", path,
			      st, err);
	free(out);
	free(err);
	if (!ok)
		fail_msg("memlog-kmsg on a missing log: want exit 1 naming it");
}

/* memlog-kmsg with args must exit with code, and its stderr hold said
 * (unless NULL). */
static void kmsg_run_expect(const char *const *args, int code,
			    const char *said, const char *what)
{
	char *out, *err;
	int st = h_run_prog("memlog-kmsg", args, 3 * H_TIMEOUT_MS, &out, &err);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != code ||
	    (said && !strstr(err, said)))
		fail_msg("%s: status 0x%x, want exit %d%s%s; stderr: %s", what,
			 st, code, said ? " saying " : "", said ? said : "",
			 err);
	free(out);
	free(err);
}

/* memlog-kmsg --relay: the records go to memlogd (not to stderr), which
 * stores them as its own --kmsg reader would (source kmsg, the kernel's
 * priority and dictionary, event attributes, a gap marker) and keeps the
 * place: a second relay of the same records stores nothing. memlogd takes
 * a relay from host root only, and not while it reads the kernel log
 * itself; memlog-kmsg then exits 1 with memlogd's reason. */
static void test_memlog_kmsg_relay(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char *out, *err;

	h_need_root("memlogd takes a kernel log relay from root only");
	need_memlog_kmsg();
	h_write_file(fx->fake,
		     "6,1,1000,-;relay one\n"
		     " SUBSYSTEM=pci\n"
		     "6,2,1001,-;x[77]: segfault at 10 ip 000000000040161e sp "
		     "00007ffc887c5470 error 6 in x[161e,401000+78000] likely on "
		     "CPU 1 (core 1, socket 0)\n"
		     "14,3,1002,-;x[78]: segfault at 10 ip 000000000040161e sp "
		     "00007ffc887c5470 error 6 in x[161e,401000+78000] likely on "
		     "CPU 1 (core 1, socket 0)\n"
		     "6,6,1003,-;relay six\n", 0644);
	static const char *const none[] = { NULL };
	kx_start(fx, none);
	const char *a[] = { "--kmsg", fx->fake, "--relay", m->log, "--no-follow",
			    NULL };
	int st = h_run_prog("memlog-kmsg", a, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "memlog-kmsg --relay", err);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(out);
	free(err);
	json_t *d = h_wait_dump_msg(m, "dump source=kmsg\n", "relay six");
	if (json_array_size(d) != 6) {
		h_print_entries(d);
		fail_msg("%zu kmsg entries, want a marker (seq 0), one, two "
			 "segfaults, a marker (seq 4-5), six", json_array_size(d));
	}
	json_t *one = json_array_get(d, 1), *seg = json_array_get(d, 2);
	json_t *forged = json_array_get(d, 3), *gap = json_array_get(d, 4);
	assert_string_equal(msg_of(one), "relay one");
	assert_string_equal(h_jstr(one, "stream"), "kernel");
	assert_int_equal(h_jint(one, "priority"), 6);
	assert_string_equal(h_jstr(json_object_get(one, "attrs"), "SUBSYSTEM"),
			    "pci");
	/* The kernel's segfault is an event; the same words at facility 1
	 * (a process's) are not. */
	json_t *at = json_object_get(seg, "attrs");
	if (!at || strcmp(h_jstr(at, "event"), "segfault") ||
	    strcmp(h_jstr(at, "pid"), "77")) {
		h_print_entries(d);
		fail_msg("the relayed segfault has no event=segfault pid=77");
	}
	assert_null(json_object_get(json_object_get(forged, "attrs"), "event"));
	assert_true(is_marker(gap));
	if (strncmp(msg_of(gap), "missed 2 kernel messages", 24))
		fail_msg("the gap marker says \"%s\"", msg_of(gap));
	json_decref(d);
	/* Relayed again (memlog-kmsg restarted): nothing stored twice. */
	append_file(fx->fake, "6,7,1004,-;relay seven\n");
	kmsg_run_expect(a, 0, NULL, "memlog-kmsg --relay (again)");
	d = h_wait_dump_msg(m, "dump source=kmsg\n", "relay seven");
	if (json_array_size(d) != 7) {
		h_print_entries(d);
		fail_msg("%zu kmsg entries after a second relay, want 7",
			 json_array_size(d));
	}
	json_decref(d);
	json_t *sts = h_stats(m);
	assert_int_equal(h_jint(sts, "kmsg.relays"), 2);
	json_decref(sts);

	/* Not root: refused, with memlogd's reason; nothing stored. */
	assert_int_equal(chmod(m->dir, 0711), 0);
	assert_int_equal(chmod(m->log, 0666), 0);
	assert_int_equal(chmod(fx->fake, 0644), 0);
	char kprog[512], kerrf[256];
	copy_prog("memlog-kmsg", m->dir, kprog, sizeof(kprog));
	snprintf(kerrf, sizeof(kerrf), "%s/relay.err", m->dir);
	append_file(fx->fake, "6,8,1005,-;relay eight\n");
	const char *kargv[] = { kprog, "--kmsg", fx->fake, "--relay", m->log,
				"--no-follow", NULL };
	pid_t pid = spawn_nobody(kargv, kerrf);
	h_track_pid(pid);
	int wst = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	char *kerr = h_read_file(kerrf, NULL);
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 1 || !kerr ||
	    !strstr(kerr, "refused the relay: only root may relay the kernel log"))
		fail_msg("memlog-kmsg --relay as uid 65534: status 0x%x, "
			 "stderr: %s", wst, kerr ? kerr : "");
	free(kerr);
	h_barrier(m);
	d = h_dump(m, "dump source=kmsg\n");
	if (h_find_msg(d, "relay eight"))
		fail_msg("a relay of uid 65534 was stored");
	json_decref(d);
	mld_stop_keep(m);

	/* memlogd reading the kernel log itself takes no relay. */
	kx_start(fx, fake_args);
	kmsg_run_expect(a, 1, "memlogd reads the kernel log itself (--kmsg)",
			"memlog-kmsg --relay to memlogd --kmsg");
	/* And --state-dir makes no sense with it. */
	const char *bad[] = { "--relay", m->log, "--state-dir", fx->sdir, NULL };
	kmsg_run_expect(bad, 2, NULL, "memlog-kmsg --relay --state-dir");
}

/* A memlogd that does not read (stopped) cannot hold memlog-kmsg --relay
 * against SIGTERM. memlog-kmsg reads a FIFO the test writes: the first
 * records go through (the relay is taken); then memlogd is stopped and a
 * child writes 200,000 more, until the relay pipe and the FIFO are full
 * (the child sleeps in write, memlog-kmsg in ppoll waiting for room).
 * SIGTERM: memlog-kmsg exits 0 at once; memlogd, going on, has what was
 * relayed, in order, and not all of it. */
static void test_memlog_kmsg_relay_stops_when_full(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char prog[256], errf[256], first[128];
	enum { RECORDS = 200000 };

	h_need_root("memlogd takes a kernel log relay from root only");
	need_memlog_kmsg();
	assert_int_equal(mkfifo(fx->fake, 0600), 0);
	/* Held open for writing: memlog-kmsg never reads an end of it. */
	int fifo = open(fx->fake, O_RDWR | O_CLOEXEC);
	assert_true(fifo >= 0);
	static const char *const big[] = { "--buffer-size", "64M", NULL };
	kx_start(fx, big);
	h_prog(prog, sizeof(prog), "memlog-kmsg");
	snprintf(errf, sizeof(errf), "%s/relay.err", m->dir);
	const char *const argv[] = { prog, "--kmsg", fx->fake, "--relay", m->log,
				     NULL };
	pid_t pid = h_spawn(argv, errf, true);
	h_track_pid(pid);
	for (int i = 0; i < 10; i++)
		h_writef(fifo, "6,%d,%d,-;full %06d %0100d\n", i, 1000 + i, i, 0);
	snprintf(first, sizeof(first), "full %06d %0100d", 9, 0);
	json_decref(h_wait_dump_msg(m, "dump source=kmsg\n", first));
	h_freeze(m->pid);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char line[160];
		for (int i = 10; i < RECORDS; i++) {
			int n = snprintf(line, sizeof(line),
					 "6,%d,%d,-;full %06d %0100d\n", i,
					 1000 + i, i, 0);
			if (write(fifo, line, (size_t)n) != n)
				_exit(1);
		}
		_exit(0);
	}
	h_track_pid(child);
	/* Both asleep: the child in write (the FIFO full), memlog-kmsg in
	 * ppoll (the relay pipe full: with data in the FIFO it waits for
	 * nothing else). */
	uint64_t end = h_now_ms() + H_TIMEOUT_MS;
	while (!(h_syscall_of(child) == 1 && h_syscall_of(pid) == 271)) {
		if (h_now_ms() > end)
			fail_msg("memlog-kmsg never waited for room in the relay "
				 "pipe (in syscall %ld; the writer in %ld)",
				 h_syscall_of(pid), h_syscall_of(child));
		h_sleep_ms(5);
	}
	kill(pid, SIGTERM);
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	kill(child, SIGKILL);
	h_wait_pid(child, H_TIMEOUT_MS);
	h_untrack_pid(child);
	close(fifo);
	h_thaw(m->pid);
	h_expect_exit(st, 0, "memlog-kmsg --relay on SIGTERM, memlogd stopped",
		      NULL);
	h_barrier(m);
	json_t *a = h_dump(m, "dump source=kmsg\n");
	size_t i;
	json_t *e;
	int prev = -1;
	json_array_foreach(a, i, e) {
		const char *msg = msg_of(e);
		if (strncmp(msg, "full ", 5))
			continue;
		int v = atoi(msg + 5);
		if (v != prev + 1)
			fail_msg("record %d after %d", v, prev);
		prev = v;
	}
	if (prev < 9 || prev >= RECORDS - 1)
		fail_msg("%d records relayed, want from 10 to fewer than %d",
			 prev + 1, RECORDS);
	print_message("# %d of %d records relayed before SIGTERM\n", prev + 1,
		      RECORDS);
	json_decref(a);
}

/* memlogd reads a relay's pipe 16,386 bytes at a time: a read may end
 * right after a record's message line, before its dictionary lines. The
 * test makes that happen (memlogd stopped while memlog-kmsg fills the
 * pipe with records laid out so that the first 16,386 bytes end there):
 * the record keeps its dictionary, and no "malformed record" notice. A
 * second relay is refused while the first still writes, and taken once
 * the first has gone. */
static void test_memlog_kmsg_relay_dictionary_cut(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char prog[256], errf[256];

	h_need_root("memlogd takes a kernel log relay from root only");
	need_memlog_kmsg();
	assert_int_equal(mkfifo(fx->fake, 0600), 0);
	int fifo = open(fx->fake, O_RDWR | O_CLOEXEC);
	assert_true(fifo >= 0);
	kx_start(fx, (const char *const[]){ NULL });
	h_prog(prog, sizeof(prog), "memlog-kmsg");
	snprintf(errf, sizeof(errf), "%s/relay.err", m->dir);
	const char *const argv[] = { prog, "--kmsg", fx->fake, "--relay", m->log,
				     NULL };
	pid_t pid = h_spawn(argv, errf, true);
	h_track_pid(pid);
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;;) {
		json_t *st = h_stats(m);
		json_t *r = json_object_get(json_object_get(st, "kmsg"),
					    "relays");
		bool taken = json_is_integer(r) && json_integer_value(r) == 1;
		json_decref(st);
		if (taken)
			break;
		if (h_now_ms() > end)
			fail_msg("memlogd never took the relay");
		h_sleep_ms(5);
	}

	/* A second relay while the first writes: refused, exit 1. */
	char second[256];
	snprintf(second, sizeof(second), "%s/second", m->dir);
	h_write_file(second, "6,0,1000,-;second relay\n", 0644);
	const char *a2[] = { "--kmsg", second, "--relay", m->log, "--no-follow",
			     NULL };
	kmsg_run_expect(a2, 1, "another relay is running (one at a time)",
			"a second relay");

	/* rec0 and rec1's message line make exactly 16,386 bytes. */
	enum { CUT = 16386 };
	static char text[CUT + 256];
	int n0 = snprintf(text, sizeof(text), "6,0,1000,-;%08000d\n", 0);
	int head = snprintf(text + n0, sizeof(text) - (size_t)n0,
			    "6,1,1001,-;cut ");
	int fill = CUT - n0 - head - 1;
	assert_true(fill > 0);
	memset(text + n0 + head, 'y', (size_t)fill);
	size_t len = (size_t)CUT - 1;
	text[len++] = '\n';
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				" SUBSYSTEM=pci\n DEVICE=+pci:0000:00:01.0\n"
				"6,2,1002,-;cut end\n");
	h_freeze(m->pid);
	h_write_all(fifo, text, len);
	/* memlog-kmsg has read it all and waits for more (the FIFO is
	 * empty): everything is in the relay pipe. */
	int avail = -1;
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS;;) {
		if (ioctl(fifo, FIONREAD, &avail) == 0 && avail == 0 &&
		    h_syscall_of(pid) == 271)
			break;
		if (h_now_ms() > end)
			fail_msg("memlog-kmsg did not relay the records (%d "
				 "bytes left in the FIFO)", avail);
		h_sleep_ms(5);
	}
	h_thaw(m->pid);
	json_t *a = h_wait_dump_msg(m, "dump source=kmsg\n", "cut end");
	json_t *rec1 = NULL, *e;
	size_t i;
	json_array_foreach(a, i, e)
		if (!strncmp(msg_of(e), "cut y", 5))
			rec1 = e;
	if (!rec1 || !json_object_get(rec1, "attrs") ||
	    strcmp(h_jstr(json_object_get(rec1, "attrs"), "SUBSYSTEM"), "pci")) {
		h_print_entries(a);
		fail_msg("the record cut from its dictionary lost it");
	}
	json_decref(a);
	json_t *bad = h_find_notice(m, "malformed", "record");
	if (bad)
		fail_msg("memlogd said: %s", h_jstr(bad, "msg"));

	/* The first relay gone: the next one is taken. */
	kill(pid, SIGTERM);
	h_expect_exit(h_wait_pid(pid, H_TIMEOUT_MS), 0, "memlog-kmsg --relay",
		      NULL);
	h_untrack_pid(pid);
	close(fifo);
	kmsg_run_expect(a2, 0, NULL, "memlog-kmsg --relay after the first");
}

/* memlog-kmsg --no-follow: one line per record to stderr, the unique line
 * with the kernel's seq and time; a second run with the same state dir
 * prints nothing it printed before; --priority prefixes <PRI>. */
static void test_memlog_kmsg(void **state)
{
	struct kx *fx = *state;
	char u1[64], u2[64], line[96];
	static struct kline v[100000];
	char *out, *err;

	need_kernel();
	need_memlog_kmsg();
	h_token(u1, sizeof(u1), "memlog-itest-", 16);
	h_token(u2, sizeof(u2), "memlog-itest-", 16);
	snprintf(line, sizeof(line), "<11>%s\n", u1);
	uint64_t t_write = h_now_ns();
	kwrite(line);
	struct klist k;
	klist_read(&k);
	ssize_t ik = klist_find(&k, u1);
	assert_true(ik >= 0);
	uint64_t seq1 = k.v[ik].seq;
	klist_free(&k);

	const char *a1[] = { "--no-follow", "--state-dir", fx->sdir, NULL };
	int st = h_run_prog("memlog-kmsg", a1, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "memlog-kmsg", err);
	assert_string_equal(out, "");
	size_t n = parse_kout(err, false, v, 100000);
	const struct kline *x = kfind(v, n, u1);
	if (!x)
		fail_msg("memlog-kmsg did not print %s", u1);
	assert_int_equal(x->seq, seq1);
	expect_near(x->ns, t_write, 3000000000ull, "memlog-kmsg's time");
	uint64_t last = v[n - 1].seq;
	free(out);
	free(err);

	/* Again: nothing printed before, in particular not u1. */
	st = h_run_prog("memlog-kmsg", a1, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "memlog-kmsg", err);
	n = parse_kout(err, false, v, 100000);
	if (kfind(v, n, u1))
		fail_msg("a second run printed %s again", u1);
	for (size_t i = 0; i < n; i++)
		if (v[i].seq <= last && strncmp(v[i].msg, "missed ", 7) != 0)
			fail_msg("a second run printed seq %llu again",
				 (unsigned long long)v[i].seq);
	free(out);
	free(err);

	/* --priority: <PRI> first (facility user, level warning: 12). */
	snprintf(line, sizeof(line), "<12>%s\n", u2);
	kwrite(line);
	const char *a2[] = { "--no-follow", "--priority", "--state-dir", fx->sdir,
			     NULL };
	st = h_run_prog("memlog-kmsg", a2, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "memlog-kmsg", err);
	n = parse_kout(err, true, v, 100000);
	x = kfind(v, n, u2);
	if (!x)
		fail_msg("memlog-kmsg --priority did not print %s: %s", u2, err);
	assert_int_equal(x->pri, 12);
	if (kfind(v, n, u1))
		fail_msg("the third run printed %s again", u1);
	free(out);
	free(err);
}


/* A stop signal that arrives while memlog-kmsg is busy printing (here:
 * blocked on a full stderr pipe) must still stop it once it is done,
 * rather than be lost while it next waits for the kernel. */
static void test_memlog_kmsg_sigterm_while_printing(void **state)
{
	struct kx *fx = *state;
	char prog[512], big[800];
	int p[2];

	need_kernel();
	need_memlog_kmsg();
	h_prog(prog, sizeof(prog), "memlog-kmsg");
	/* More than a pipe holds (with what the kernel has already), so that
	 * printing blocks. /dev/kmsg may rate-limit what we write. */
	memset(big, 'k', sizeof(big) - 2);
	big[0] = '<'; big[1] = '1'; big[2] = '3'; big[3] = '>';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 120; i++)
		kwrite(big);
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execl(prog, prog, "--state-dir", fx->sdir, (char *)NULL);
		_exit(127);
	}
	h_track_pid(pid);
	close(p[1]);
	/* Wait until the pipe is full (more than half a pipe, no longer
	 * growing): the writer is then blocked in it. */
	int full = 0, last = -1, still = 0;
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS; h_now_ms() < end;) {
		int n = 0;
		ioctl(p[0], FIONREAD, &n);
		still = n == last ? still + 1 : 0;
		last = n;
		if (n > 32768 && still >= 4) {
			full = 1;
			break;
		}
		h_sleep_ms(50);
	}
	assert_true(full);
	h_sleep_ms(50);
	assert_int_equal(kill(pid, SIGTERM), 0);
	h_sleep_ms(50);
	/* Drain everything: it finishes what the kernel holds, then must
	 * stop instead of waiting for more. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	char buf[65536];
	int st = -1;
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS; h_now_ms() < end;) {
		while (read(p[0], buf, sizeof(buf)) > 0)
			;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		h_sleep_ms(10);
	}
	close(p[0]);
	if (kill(pid, 0) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		h_untrack_pid(pid);
		fail_msg("memlog-kmsg ignored a SIGTERM that came while it was "
			 "printing");
	}
	h_untrack_pid(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* memlog-kmsg as a service: it follows the kernel log until SIGTERM, and
 * stops with status 0 as its --help says (a supervisor must not see a
 * crash), its position kept: a later run does not repeat what it printed. */
static void test_memlog_kmsg_follow_sigterm(void **state)
{
	struct kx *fx = *state;
	struct mld *m = &fx->m;
	char u[64], line[96], errf[256], prog[512];

	need_kernel();
	need_memlog_kmsg();
	snprintf(errf, sizeof(errf), "%s/follow.err", m->dir);
	h_prog(prog, sizeof(prog), "memlog-kmsg");
	h_token(u, sizeof(u), "memlog-itest-", 16);
	snprintf(line, sizeof(line), "<13>%s\n", u);
	kwrite(line);

	const char *argv[] = { prog, "--state-dir", fx->sdir, NULL };
	pid_t pid = h_spawn(argv, errf, true);
	/* Wait until it has printed our line (and so saved past it). */
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		char *o = h_read_file(errf, NULL);
		bool there = o && strstr(o, u);
		free(o);
		if (there)
			break;
		if (h_now_ms() >= deadline)
			fail_msg("memlog-kmsg did not print %s", u);
		h_sleep_ms(10);
	}
	assert_int_equal(kill(pid, SIGTERM), 0);
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlog-kmsg on SIGTERM: %s %d, want exit status 0",
			 WIFSIGNALED(st) ? "killed by signal" : "exit status",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));

	/* The position survived: the line is not printed again. */
	char *out, *err;
	const char *a[] = { "--no-follow", "--state-dir", fx->sdir, NULL };
	st = h_run_prog("memlog-kmsg", a, 3 * H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "memlog-kmsg", err);
	if (strstr(err, u))
		fail_msg("after SIGTERM a new run printed %s again", u);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KX_TEST(test_kernel_line_once_and_restart),
		KX_TEST(test_kernel_from_first_record),
		KX_TEST(test_fake_gap_and_dictionary),
		KX_TEST(test_fake_priority_and_malformed),
		KX_TEST(test_fake_state_file),
		KX_TEST(test_fake_long_record_split),
		KX_TEST(test_fake_gap_marker_split),
		KX_TEST(test_fake_state_dir_unusable),
		KX_TEST(test_fake_fifo_writer_comes_later),
		KX_TEST(test_fake_fifo_stream_and_end),
		KX_TEST(test_kmsg_missing),
		KX_TEST(test_kmsg_without_cap_syslog),
		KX_TEST(test_memlog_kmsg_exit_status),
		KX_TEST(test_memlog_kmsg_relay),
		KX_TEST(test_memlog_kmsg_relay_stops_when_full),
		KX_TEST(test_memlog_kmsg_relay_dictionary_cut),
		KX_TEST(test_memlog_kmsg),
		KX_TEST(test_memlog_kmsg_follow_sigterm),
		KX_TEST(test_memlog_kmsg_sigterm_while_printing),
	};
	return h_run_tests("itest_kmsg", tests, NULL, NULL);
}
