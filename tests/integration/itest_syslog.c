/* The syslog source of the real memlogd (--syslog[=PATH], issue 5) with
 * real clients: util-linux logger (RFC 3164 and --rfc5424 with structured
 * data), the C library's syslog(3) (tests/tools/syslog_client), and raw
 * datagrams for what no client sends on purpose. The namespace test puts
 * the test's socket over /dev/log in a private mount namespace, as a
 * container would see it (root only; skipped with the reason otherwise).
 *
 * Each daemon serves its syslog socket at DIR/syslog.sock (DIR/log.sock is
 * the harness's registration socket). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

/* ---- helpers ---- */

static const char *logger_path(void)
{
	static const char *const cands[] = { "/usr/bin/logger", "/bin/logger",
					     "/usr/local/bin/logger", NULL };
	for (int i = 0; cands[i]; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

static const char *need_logger(void)
{
	const char *l = logger_path();
	if (!l) {
		print_message("# util-linux logger is not installed (Debian: "
			      "bsdutils); skipping\n");
		skip();
	}
	return l;
}

/* Starts memlogd with --syslog=DIR/syslog.sock and extra args. */
static void start_syslog(struct mld *m, const char *const *extra)
{
	const char *args[16] = { "--syslog=%D/syslog.sock" };
	int n = 1;
	for (; extra && *extra && n < 15; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	struct mld_opts o = { .args = args };
	mld_start(m, &o);
}

static void sock_path(const struct mld *m, char *out, size_t cap)
{
	snprintf(out, cap, "%s/syslog.sock", m->dir);
}

/* Runs logger with its arguments (NULL-terminated) and asserts exit 0. */
static void run_logger(const char *const *args)
{
	const char *argv[32];
	int n = 0;
	char *out = NULL, *err = NULL;

	argv[n++] = need_logger();
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logger", err);
	free(out);
	free(err);
}

static const char *msg_of(json_t *e)
{
	return h_jstr(e, "msg");
}

/* Polls a full dump until an entry with msg is there; returns that entry
 * (a new reference). Fails if it arrives more than once. */
static json_t *wait_entry(const struct mld *m, const char *msg)
{
	json_t *a = h_wait_dump_msg(m, "dump\n", msg);

	if (h_count_msg(a, msg) != 1) {
		h_print_entries(a);
		fail_msg("\"%s\" is stored %zu times", msg, h_count_msg(a, msg));
	}
	json_t *e = json_incref(h_find_msg(a, msg));
	json_decref(a);
	return e;
}

/* Entries of one source (a dump with source=NAME), waiting until at least
 * n are there. */
static json_t *wait_source(const struct mld *m, const char *name, size_t n)
{
	char req[256];
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	unsigned ms = 1;

	snprintf(req, sizeof(req), "dump source=%s\n", name);
	for (;;) {
		json_t *a = h_dump(m, req);
		if (json_array_size(a) >= n)
			return a;
		if (h_now_ms() >= deadline) {
			h_print_entries(a);
			fail_msg("source %s has %zu entries after %d ms, want %zu",
				 name, json_array_size(a), H_TIMEOUT_MS, n);
		}
		json_decref(a);
		h_sleep_ms(ms);
		if (ms < 20)
			ms *= 2;
	}
}

static void expect_attr(json_t *e, const char *key, const char *want)
{
	json_t *a = json_object_get(e, "attrs");
	json_t *v = a ? json_object_get(a, key) : NULL; /* keys have dots */
	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0) {
		char *d = json_dumps(e, JSON_COMPACT);
		print_message("# entry: %s\n", d ? d : "?");
		free(d);
		fail_msg("attrs[\"%s\"] is not \"%s\"", key, want);
	}
}

static const char *attr(json_t *e, const char *key)
{
	json_t *a = json_object_get(e, "attrs");
	json_t *v = a ? json_object_get(a, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- logger, RFC 3164 and 5424 ---- */

/* logger -u SOCK -t TAG -p daemon.err: an entry named after the tag, stream
 * syslog, priority 3, facility 3, the sender's credentials; the socket is
 * mode 0666 (every local program may log). */
static void test_logger_rfc3164(void **state)
{
	struct mld m = { 0 };
	char sp[256], tag[32], msg[64];
	(void)state;

	need_logger();
	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	struct stat sb;
	assert_int_equal(lstat(sp, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0666);

	h_token(tag, sizeof(tag), "tag-", 12);
	h_token(msg, sizeof(msg), "hello from logger-", 12);
	const char *args[] = { "-u", sp, "-t", tag, "-p", "daemon.err", msg, NULL };
	run_logger(args);
	json_t *e = wait_entry(&m, msg);
	assert_string_equal(h_jstr(e, "source"), tag);
	assert_string_equal(h_jstr(e, "stream"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 3);
	assert_int_equal(h_jint(e, "facility"), 3);
	assert_false(h_jbool(e, "partial"));
	assert_null(json_object_get(e, "marker"));
	/* No -i: no pid of its own; the credentials are there. */
	assert_null(attr(e, "pid"));
	assert_non_null(attr(e, "_pid"));
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	expect_attr(e, "_uid", uid);
	json_decref(e);

	/* The query's priority filter sees it: err is in 0..3, not in 4..7. */
	json_t *a = h_dump(&m, "dump priority=3\n");
	assert_non_null(h_find_msg(a, msg));
	json_decref(a);
	a = h_dump(&m, "dump priority=4..7\n");
	assert_null(h_find_msg(a, msg));
	json_decref(a);
	/* And the facility filter: daemon is 3, user 1. */
	a = h_dump(&m, "dump facility=1,3\n");
	assert_non_null(h_find_msg(a, msg));
	json_decref(a);
	a = h_dump(&m, "dump facility=1,16\n");
	assert_null(h_find_msg(a, msg));
	json_decref(a);
	/* logread --facility speaks it by name. */
	char lrsock[300], *out = NULL, *err = NULL;
	snprintf(lrsock, sizeof(lrsock), "%s", m.query);
	const char *lr[] = { "-socket", lrsock, "--facility", "daemon", "-o",
			     "raw", NULL };
	int st = h_run_prog("logread", lr, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	assert_non_null(strstr(out, msg));
	free(out);
	free(err);
	const char *lr2[] = { "-socket", lrsock, "--facility", "mail,local7",
			      "-o", "raw", NULL };
	st = h_run_prog("logread", lr2, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "logread", err);
	assert_null(strstr(out, msg));
	free(out);
	free(err);
	/* Its socket goes with it. */
	mld_stop_keep(&m);
	if (lstat(sp, &sb) == 0)
		fail_msg("%s left behind after SIGTERM", sp);
	mld_cleanup(&m);
}

/* logger --rfc5424 with structured data: APP-NAME names the source, the
 * SD-PARAM is an attribute SDID.NAME with its value unescaped, the host
 * name and MSGID are attributes. */
static void test_logger_rfc5424(void **state)
{
	struct mld m = { 0 };
	char sp[256], tag[32], msg[64], host[256];
	(void)state;

	need_logger();
	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	h_token(tag, sizeof(tag), "app-", 12);
	h_token(msg, sizeof(msg), "structured-", 12);
	const char *args[] = { "--rfc5424", "-u", sp, "-t", tag, "-p",
			       "local1.info", "--msgid", "MID42", "--sd-id",
			       "id@32473", "--sd-param", "k=\"a \\\"b\\\"\"",
			       msg, NULL };
	run_logger(args);
	json_t *e = wait_entry(&m, msg);
	assert_string_equal(h_jstr(e, "source"), tag);
	assert_string_equal(h_jstr(e, "stream"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 6);
	assert_int_equal(h_jint(e, "facility"), 17);
	expect_attr(e, "id@32473.k", "a \"b\"");
	expect_attr(e, "msgid", "MID42");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	/* logger sends the short name unless the host name is a FQDN */
	const char *h = attr(e, "hostname");
	if (!h || strncmp(host, h, strlen(h)) != 0 || !h[0])
		fail_msg("attrs.hostname is %s, want %s", h ? h : "absent", host);
	json_decref(e);
	mld_stop(&m);
}

/* logger -i: the pid the message carries is an attribute, and it is the
 * sender's own pid (as SCM_CREDENTIALS says). */
static void test_logger_pid(void **state)
{
	struct mld m = { 0 };
	char sp[256], tag[32], msg[64];
	(void)state;

	need_logger();
	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	h_token(tag, sizeof(tag), "withpid-", 12);
	h_token(msg, sizeof(msg), "pid please-", 12);
	const char *args[] = { "-i", "-u", sp, "-t", tag, msg, NULL };
	run_logger(args);
	json_t *e = wait_entry(&m, msg);
	assert_string_equal(h_jstr(e, "source"), tag);
	/* logger's default: user.notice */
	assert_int_equal(h_jint(e, "priority"), 5);
	assert_int_equal(h_jint(e, "facility"), 1);
	const char *pid = attr(e, "pid"), *cpid = attr(e, "_pid");
	if (!pid || !cpid || strcmp(pid, cpid) != 0 || atoi(pid) <= 0)
		fail_msg("attrs pid %s and _pid %s differ", pid ? pid : "absent",
			 cpid ? cpid : "absent");
	json_decref(e);
	mld_stop(&m);
}

/* ---- raw datagrams ---- */

/* Not syslog at all: kept whole under source "syslog" (stream syslog),
 * without priority or facility. Neither is "<999>" (over 191) nor a broken
 * RFC 5424 header. A 3164 message without a tag also lands in "syslog",
 * with its priority. */
static void test_unparsable_kept_whole(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	(void)state;

	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	static const char *const raw[] = {
		"no pri at all",
		"<999>pri too big",
		"<13>1 broken-5424-header",
	};
	for (size_t i = 0; i < 3; i++)
		h_send_str(sp, raw[i]);
	for (size_t i = 0; i < 3; i++) {
		json_t *e = wait_entry(&m, raw[i]);
		assert_string_equal(h_jstr(e, "source"), "syslog");
		assert_string_equal(h_jstr(e, "stream"), "syslog");
		assert_null(json_object_get(e, "priority"));
		assert_null(json_object_get(e, "facility"));
		assert_false(h_jbool(e, "partial"));
		json_decref(e);
	}
	/* Syslog, but no tag: the generic source, with the numbers. */
	h_send_str(sp, "<13>just words without a tag");
	json_t *e = wait_entry(&m, "just words without a tag");
	assert_string_equal(h_jstr(e, "source"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 5);
	assert_int_equal(h_jint(e, "facility"), 1);
	json_decref(e);
	/* RFC 5424 with APP-NAME "-" too. */
	h_send_str(sp, "<14>1 2024-01-01T00:00:00Z host - - - - nameless app");
	e = wait_entry(&m, "nameless app");
	assert_string_equal(h_jstr(e, "source"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 6);
	expect_attr(e, "hostname", "host");
	json_decref(e);
	/* The generic source is listed, stream syslog. */
	json_t *st = h_stats(&m);
	assert_non_null(h_stats_source(st, "syslog", "syslog"));
	json_decref(st);
	mld_stop(&m);
}

/* _pid and _uid are the sender's: a child sends (as uid 65534 when we are
 * root), and its pid and uid arrive, also in the source's stats. */
static void test_sender_credentials(void **state)
{
	struct mld m = { 0 };
	char sp[256], tag[32], msg[64], dg[160];
	(void)state;

	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	assert_int_equal(chmod(m.dir, 0755), 0); /* uid 65534 reaches it */
	h_token(tag, sizeof(tag), "cred-", 12);
	h_token(msg, sizeof(msg), "credentials-", 12);
	snprintf(dg, sizeof(dg), "<14>%s: %s", tag, msg);
	uid_t want_uid = geteuid() == 0 ? NOBODY : geteuid();
	struct sockaddr_un sa;
	h_sun_path(&sa, sp);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
		     setuid(NOBODY) < 0))
			_exit(3);
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0 || sendto(fd, dg, strlen(dg), 0, (struct sockaddr *)&sa,
				     sizeof(sa)) < 0)
			_exit(4);
		_exit(0);
	}
	h_track_pid(pid);
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	h_untrack_pid(pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the sending child failed (status 0x%x; 4: the socket is "
			 "not writable for uid %u)", st, (unsigned)want_uid);
	json_t *e = wait_entry(&m, msg);
	assert_string_equal(h_jstr(e, "source"), tag);
	char v[24];
	snprintf(v, sizeof(v), "%d", (int)pid);
	expect_attr(e, "_pid", v);
	snprintf(v, sizeof(v), "%u", (unsigned)want_uid);
	expect_attr(e, "_uid", v);
	json_decref(e);
	json_t *stats = h_stats(&m);
	json_t *s = h_stats_source(stats, tag, "syslog");
	assert_non_null(s);
	assert_int_equal(h_jint(s, "pid"), pid);
	assert_int_equal(h_jint(s, "uid"), want_uid);
	json_decref(stats);
	mld_stop(&m);
}

/* A 20 KiB message is split like any long line (--max-line-len 8192):
 * 8192 + 8192 + 4096 bytes, the first two partial, nothing lost, each part
 * with the message's priority and source. */
static void test_long_message_split(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	(void)state;

	const char *extra[] = { "--max-line-len", "8192", NULL };
	start_syslog(&m, extra);
	sock_path(&m, sp, sizeof(sp));
	size_t body = 20 * 1024;
	char *dg = malloc(body + 64);
	assert_non_null(dg);
	int hl = snprintf(dg, 64, "<11>bigtag[77]: ");
	for (size_t i = 0; i < body; i++)
		dg[hl + (int)i] = (char)('a' + (i * 7 + i / 8192) % 26);
	h_send_dgram(sp, dg, (size_t)hl + body);
	h_wait_source_stat(&m, "bigtag", "syslog", "lines", 3);
	json_t *a = wait_source(&m, "bigtag", 3);
	if (json_array_size(a) != 3) {
		h_print_entries(a);
		fail_msg("%zu parts, want 3", json_array_size(a));
	}
	static const size_t lens[] = { 8192, 8192, 4096 };
	size_t off = 0;
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(a, i);
		const char *s = msg_of(e);
		assert_int_equal(strlen(s), lens[i]);
		assert_memory_equal(s, dg + hl + off, lens[i]);
		off += lens[i];
		assert_int_equal(h_jbool(e, "partial"), i < 2);
		assert_int_equal(h_jint(e, "priority"), 3);
		assert_int_equal(h_jint(e, "facility"), 1);
	}
	/* The attributes go with the first part. */
	expect_attr(json_array_get(a, 0), "pid", "77");
	json_decref(a);
	free(dg);
	mld_stop(&m);
}

/* A datagram larger than memlogd's receive buffer (64 KiB) must not be cut
 * silently: either every byte is kept (in parts, as lines of other sources
 * are), or memlogd says in a notice (naming the tag, or saying "truncated")
 * that the rest is gone. */
static void test_oversized_datagram_not_cut_silently(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	(void)state;

	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	size_t body = 100 * 1024;
	char *dg = malloc(body + 64);
	assert_non_null(dg);
	int hl = snprintf(dg, 64, "<13>hugetag: ");
	for (size_t i = 0; i < body; i++)
		dg[hl + (int)i] = (char)('A' + i % 26);
	h_send_dgram(sp, dg, (size_t)hl + body);
	json_t *a = wait_source(&m, "hugetag", 1);
	h_barrier(&m);
	json_decref(a);
	a = h_dump(&m, "dump source=hugetag\n");
	size_t total = 0, i;
	bool in_order = true;
	json_t *e;
	json_array_foreach(a, i, e) {
		const char *s = msg_of(e);
		size_t l = strlen(s);
		if (total + l > body || memcmp(s, dg + hl + total, l) != 0)
			in_order = false;
		total += l;
	}
	json_decref(a);
	free(dg);
	if (!in_order)
		fail_msg("the parts are not the message's bytes in order");
	if (total != body) {
		json_t *n = h_find_notice(&m, "hugetag", NULL);
		if (!n)
			n = h_find_notice(&m, "trunc", NULL);
		if (!n)
			fail_msg("a %zu-byte message was stored as %zu bytes, "
				 "without a word about the rest", body, total);
		json_decref(n);
	}
	mld_stop(&m);
}

/* --rate-limit applies per tag: each tag gets its own budget. */
static void test_rate_limit_per_tag(void **state)
{
	struct mld m = { 0 };
	char sp[256], dg[128];
	(void)state;

	const char *extra[] = { "--rate-limit", "3/600", NULL };
	start_syslog(&m, extra);
	sock_path(&m, sp, sizeof(sp));
	for (int i = 1; i <= 5; i++) {
		snprintf(dg, sizeof(dg), "<14>rla: a%d", i);
		h_send_str(sp, dg);
		snprintf(dg, sizeof(dg), "<14>rlb: b%d", i);
		h_send_str(sp, dg);
	}
	h_wait_source_stat(&m, "rla", "syslog", "dropped", 2);
	h_wait_source_stat(&m, "rlb", "syslog", "dropped", 2);
	assert_int_equal(h_source_stat(&m, "rla", "syslog", "lines"), 3);
	assert_int_equal(h_source_stat(&m, "rlb", "syslog", "lines"), 3);
	const char *src[] = { "rla", "rlb" };
	for (int k = 0; k < 2; k++) {
		json_t *a = wait_source(&m, src[k], 3);
		if (json_array_size(a) != 3) {
			h_print_entries(a);
			fail_msg("%s: %zu entries, want the first 3", src[k],
				 json_array_size(a));
		}
		for (int i = 0; i < 3; i++) {
			char want[8];
			snprintf(want, sizeof(want), "%c%d", 'a' + k, i + 1);
			assert_string_equal(msg_of(json_array_get(a, (size_t)i)),
					    want);
		}
		json_decref(a);
	}
	mld_stop(&m);
}

/* ---- a container's view: the socket over /dev/log ---- */

struct devstate {
	bool log_exists;
	dev_t log_dev;
	ino_t log_ino;
	dev_t dev_dev;
	long dev_type;
};

static void dev_snapshot(struct devstate *s)
{
	struct stat sb;
	struct statfs sf;

	memset(s, 0, sizeof(*s));
	if (lstat("/dev/log", &sb) == 0) {
		s->log_exists = true;
		s->log_dev = sb.st_dev;
		s->log_ino = sb.st_ino;
	} else {
		assert_int_equal(errno, ENOENT);
	}
	assert_int_equal(stat("/dev", &sb), 0);
	s->dev_dev = sb.st_dev;
	assert_int_equal(statfs("/dev", &sf), 0);
	s->dev_type = (long)sf.f_type;
}

/* In the child: its own mount namespace, a fresh tmpfs on /dev and the
 * socket sock bind-mounted on /dev/log. Exit codes 10-14 name the step
 * that failed. */
static void devlog_ns(void *sock)
{
	if (unshare(CLONE_NEWNS) < 0) {
		perror("unshare");
		_exit(10);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("make / private");
		_exit(11);
	}
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "mode=0755") < 0) {
		perror("tmpfs on /dev");
		_exit(12);
	}
	int f = open("/dev/log", O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (f < 0) {
		perror("create /dev/log");
		_exit(13);
	}
	close(f);
	if (mount(sock, "/dev/log", NULL, MS_BIND, NULL) < 0) {
		perror("bind the socket on /dev/log");
		_exit(14);
	}
}

/* Runs argv in a child with /dev/log as devlog_ns() sets it up. Returns
 * the wait status; *out and *err get the child's stdout and stderr. */
static int run_in_devlog_ns(const char *sock, const char *const *argv,
			    char **out, char **err)
{
	return h_run_setup(argv, NULL, H_TIMEOUT_MS, out, err, devlog_ns,
			   (void *)sock);
}

/* Root in a container may still lack CAP_SYS_ADMIN: probe, or skip. */
static void need_mount_ns(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
	int st = h_wait_pid(pid, H_TIMEOUT_MS);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_message("# unshare(CLONE_NEWNS) is not permitted (no "
			      "CAP_SYS_ADMIN); skipping\n");
		skip();
	}
}

/* The test: inside a mount namespace whose /dev/log is the test's
 * socket, logger (plain RFC 3164 to /dev/log) and glibc's syslog(3) with
 * LOG_PID reach memlogd with the right tag, priority and facility; the
 * host's /dev is untouched. */
static void test_namespace_dev_log(void **state)
{
	struct mld m = { 0 };
	char sp[256], tag[32], m1[64], m2[64], client[512];
	struct devstate before, after;
	char *out, *err;
	(void)state;

	h_need_root("a mount namespace needs CAP_SYS_ADMIN");
	need_mount_ns();
	const char *logger = need_logger();
	if (!h_prog_exists("tools/syslog_client"))
		fail_msg("%s/tools/syslog_client is not built (make %s/tools/"
			 "syslog_client)", h_build(), h_build());
	h_prog(client, sizeof(client), "tools/syslog_client");
	dev_snapshot(&before);
	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));

	/* logger, default socket /dev/log, default format (RFC 3164). */
	h_token(tag, sizeof(tag), "nstag-", 12);
	h_token(m1, sizeof(m1), "via dev log-", 12);
	const char *la[] = { logger, "-t", tag, "-p", "local0.crit", m1, NULL };
	int st = run_in_devlog_ns(sp, la, &out, &err);
	h_expect_exit(st, 0, "logger", err);
	free(out);
	free(err);
	json_t *e = wait_entry(&m, m1);
	assert_string_equal(h_jstr(e, "source"), tag);
	assert_string_equal(h_jstr(e, "stream"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 2);
	assert_int_equal(h_jint(e, "facility"), 16);
	json_decref(e);

	/* syslog(3): openlog("sysclient", LOG_PID, LOG_LOCAL2),
	 * syslog(LOG_WARNING, ...). */
	h_token(m2, sizeof(m2), "via syslog(3)-", 12);
	const char *ca[] = { client, "sysclient", "local2", "warning", m2, NULL };
	st = run_in_devlog_ns(sp, ca, &out, &err);
	h_expect_exit(st, 0, "syslog_client", err);
	int cpid = atoi(out);
	assert_true(cpid > 0);
	free(out);
	free(err);
	e = wait_entry(&m, m2);
	assert_string_equal(h_jstr(e, "source"), "sysclient");
	assert_string_equal(h_jstr(e, "stream"), "syslog");
	assert_int_equal(h_jint(e, "priority"), 4);
	assert_int_equal(h_jint(e, "facility"), 18);
	char v[16];
	snprintf(v, sizeof(v), "%d", cpid);
	expect_attr(e, "pid", v);   /* LOG_PID */
	expect_attr(e, "_pid", v);  /* SCM_CREDENTIALS */
	json_decref(e);

	/* The host's /dev: as before (no /dev/log appeared or changed, not
	 * covered by a tmpfs). */
	dev_snapshot(&after);
	assert_int_equal(after.log_exists, before.log_exists);
	if (before.log_exists) {
		assert_true(after.log_dev == before.log_dev);
		assert_true(after.log_ino == before.log_ino);
	}
	assert_true(after.dev_dev == before.dev_dev);
	assert_int_equal(after.dev_type, before.dev_type);
	assert_int_equal(access("/dev/null", F_OK), 0);
	mld_stop(&m);
}

/* ---- the socket path taken ---- */

/* Someone else serves a datagram socket at the path: memlogd runs on
 * without syslog, says why, and does not remove or take the socket, not
 * even when it stops. A regular file or a symbolic link at the path is
 * left alone too. */
static void test_socket_in_use(void **state)
{
	struct mld m = { 0 };
	char other[256], plain[256];
	struct sockaddr_un sa;
	(void)state;

	mld_init(&m);
	snprintf(other, sizeof(other), "%s/other.sock", m.dir);
	int ofd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(ofd >= 0);
	h_sun_path(&sa, other);
	assert_int_equal(bind(ofd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct stat sb0, sb1;
	assert_int_equal(lstat(other, &sb0), 0);

	const char *args[] = { "--syslog=%D/other.sock", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "svc");
	h_writef(w, "serving anyway\n");
	h_wait_source_stat(&m, "svc", "stderr", "lines", 1);
	close(w);
	char *err = mld_stderr(&m);
	if (!strstr(err, other))
		fail_msg("stderr does not name %s: %s", other, err);
	free(err);
	json_t *n = h_find_notice(&m, other, NULL);
	if (!n)
		fail_msg("no notice from memlogd about %s", other);
	json_decref(n);
	/* Still the other's socket: same inode, and a datagram sent to it
	 * reaches the other, not memlogd. */
	assert_int_equal(lstat(other, &sb1), 0);
	assert_true(sb1.st_ino == sb0.st_ino);
	h_send_str(other, "<14>intruder: for the other one");
	struct pollfd p = { ofd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, H_TIMEOUT_MS), 1);
	char buf[128];
	ssize_t r = recv(ofd, buf, sizeof(buf) - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, "<14>intruder: for the other one");
	json_t *st = h_stats(&m);
	assert_null(h_stats_source(st, "syslog", "syslog"));
	json_decref(st);

	mld_stop_keep(&m);
	assert_int_equal(lstat(other, &sb1), 0);
	assert_true(sb1.st_ino == sb0.st_ino);
	close(ofd);

	/* A regular file there: left as it is. */
	snprintf(plain, sizeof(plain), "%s/plain", m.dir);
	int f = open(plain, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	h_writef(f, "not a socket\n");
	close(f);
	const char *args2[] = { "--syslog=%D/plain", NULL };
	struct mld_opts o2 = { .args = args2 };
	mld_start(&m, &o2);
	n = h_find_notice(&m, plain, NULL);
	if (!n)
		fail_msg("no notice from memlogd about %s", plain);
	json_decref(n);
	mld_stop_keep(&m);
	char *c = h_read_file(plain, NULL);
	assert_non_null(c);
	assert_string_equal(c, "not a socket\n");
	free(c);

	/* A symbolic link there (systemd's /dev/log): left as it is. */
	char link[256];
	snprintf(link, sizeof(link), "%s/link", m.dir);
	assert_int_equal(symlink(plain, link), 0);
	const char *args3[] = { "--syslog=%D/link", NULL };
	struct mld_opts o3 = { .args = args3 };
	mld_start(&m, &o3);
	n = h_find_notice(&m, link, NULL);
	if (!n)
		fail_msg("no notice from memlogd about %s", link);
	json_decref(n);
	mld_stop_keep(&m);
	char target[256];
	ssize_t tl = readlink(link, target, sizeof(target) - 1);
	assert_true(tl > 0);
	target[tl] = '\0';
	assert_string_equal(target, plain);
	mld_cleanup(&m);
}

/* A stale socket file (nobody behind it) is taken over. */
static void test_stale_socket_taken_over(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	struct sockaddr_un sa;
	(void)state;

	mld_init(&m);
	sock_path(&m, sp, sizeof(sp));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	h_sun_path(&sa, sp);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* the file stays, nobody serves it */
	start_syslog(&m, NULL);
	h_send_str(sp, "<14>stale: taken over");
	json_t *e = wait_entry(&m, "taken over");
	assert_string_equal(h_jstr(e, "source"), "stale");
	json_decref(e);
	mld_stop(&m);
}

/* stats lists each tag as a source with stream syslog, with its counts. */
static void test_stats_lists_tags(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	(void)state;

	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	h_send_str(sp, "<30>statsa[1]: one");
	h_send_str(sp, "<30>statsa[1]: two");
	h_send_str(sp, "<31>statsb: three");
	h_wait_source_stat(&m, "statsa", "syslog", "lines", 2);
	h_wait_source_stat(&m, "statsb", "syslog", "lines", 1);
	json_t *st = h_stats(&m);
	json_t *a = h_stats_source(st, "statsa", NULL);
	json_t *b = h_stats_source(st, "statsb", NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(h_jstr(a, "stream"), "syslog");
	assert_string_equal(h_jstr(b, "stream"), "syslog");
	assert_int_equal(h_jint(a, "dropped"), 0);
	json_t *g = h_stats_source(st, "syslog", NULL);
	assert_non_null(g);
	assert_string_equal(h_jstr(g, "stream"), "syslog");
	json_decref(st);
	/* And the entries are found by source glob. */
	json_t *d = h_dump(&m, "dump source=stats*\n");
	assert_int_equal(json_array_size(d), 3);
	json_decref(d);
	mld_stop(&m);
}

/* Made-up tags from any local program cannot crowd fd registrations out
 * of the source table: past half of it, new tags go to source "syslog"
 * with the tag as an attribute, and a registration still gets its slot. */
static void test_tag_flood_leaves_room(void **state)
{
	struct mld m = { 0 };
	const char *extra[] = { "--max-sources", "10", NULL };
	char sp[256], msg[64];
	(void)state;

	start_syslog(&m, extra);
	sock_path(&m, sp, sizeof(sp));
	for (int i = 0; i < 200; i++) {
		snprintf(msg, sizeof(msg), "<13>flood%d: x%d", i, i);
		h_send_str(sp, msg);
	}
	json_t *e = wait_entry(&m, "x199");
	assert_string_equal(h_jstr(e, "source"), "syslog");
	expect_attr(e, "tag", "flood199");
	json_decref(e);
	int fd = h_register_pipe(&m, "victim.out");
	h_writef(fd, "still registered\n");
	h_wait_source_stat(&m, "victim.out", "stdout", "lines", 1);
	json_t *st = h_stats(&m);
	assert_int_equal(h_jint(st, "registrations.refused"), 0);
	json_decref(st);
	close(fd);
	mld_stop(&m);
}

/* last=N with a priority or facility filter: the last N entries that
 * match, however many newer entries do not. */
static void test_last_with_priority(void **state)
{
	struct mld m = { 0 };
	char sp[256];
	(void)state;

	start_syslog(&m, NULL);
	sock_path(&m, sp, sizeof(sp));
	/* user.err, user.info, daemon.err, user.err, then two user.info. */
	static const char *const dgrams[] = {
		"<11>t: e1", "<14>t: i1", "<27>t: d1", "<11>t: e2", "<14>t: i2",
		"<14>t: i3",
	};
	for (size_t i = 0; i < sizeof(dgrams) / sizeof(dgrams[0]); i++)
		h_send_str(sp, dgrams[i]);
	json_decref(wait_entry(&m, "i3"));
	static const struct {
		const char *req;
		const char *want[3];
	} cases[] = {
		{ "dump last=2 priority=3\n", { "d1", "e2" } },
		{ "dump last=1 facility=3\n", { "d1" } },
		{ "dump last=2 facility=1 priority=3\n", { "e1", "e2" } },
		{ "dump last=3 priority=4..7\n", { "i1", "i2", "i3" } },
		{ "dump last=5 priority=0..2\n", { NULL } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		json_t *a = h_dump(&m, cases[c].req);
		size_t n = 0;
		while (n < 3 && cases[c].want[n])
			n++;
		if (json_array_size(a) != n) {
			h_print_entries(a);
			fail_msg("%.*s: %zu entries, want %zu",
				 (int)strlen(cases[c].req) - 1, cases[c].req,
				 json_array_size(a), n);
		}
		for (size_t i = 0; i < n; i++)
			assert_string_equal(msg_of(json_array_get(a, i)),
					    cases[c].want[i]);
		json_decref(a);
	}
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tag_flood_leaves_room, h_teardown),
		cmocka_unit_test_teardown(test_logger_rfc3164, h_teardown),
		cmocka_unit_test_teardown(test_logger_rfc5424, h_teardown),
		cmocka_unit_test_teardown(test_logger_pid, h_teardown),
		cmocka_unit_test_teardown(test_unparsable_kept_whole, h_teardown),
		cmocka_unit_test_teardown(test_sender_credentials, h_teardown),
		cmocka_unit_test_teardown(test_long_message_split, h_teardown),
		cmocka_unit_test_teardown(test_oversized_datagram_not_cut_silently,
					  h_teardown),
		cmocka_unit_test_teardown(test_rate_limit_per_tag, h_teardown),
		cmocka_unit_test_teardown(test_namespace_dev_log, h_teardown),
		cmocka_unit_test_teardown(test_socket_in_use, h_teardown),
		cmocka_unit_test_teardown(test_stale_socket_taken_over,
					  h_teardown),
		cmocka_unit_test_teardown(test_stats_lists_tags, h_teardown),
		cmocka_unit_test_teardown(test_last_with_priority, h_teardown),
	};
	return h_run_tests("itest_syslog", tests, NULL, NULL);
}
