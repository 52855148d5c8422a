/* memlog-init and memlog-journal with the real systemd as PID 1 (issue 15):
 * the host's own systemd (Debian 12: 252) booted in runc from the host's
 * /usr, bound read-only into a minimal root file system, with memlog-init
 * as the container's entrypoint, memlog-journal.service enabled, journald's
 * rate limit off and a volatile journal. The container's stdout is a pipe
 * the test reads (a drain process it can stop, to fill the pipe).
 *
 * The oracle is `journalctl -o json --all` inside the container, compared
 * with what came out of stdout (memlog-journal --output json): every entry
 * up to a final sentinel exactly once (0 missing, 0 duplicated), in journal
 * order, 0 torn lines, and each object equal to journalctl's.
 *
 * - kill storm: numbered lines at ~1500/s; the agent SIGKILLed at random
 *   moments for 25 s (some while the pipe is full, the drain stopped);
 *   then systemctl restart, stop/start, daemon-reexec, a journald restart,
 *   the holder killed, stop/start again. The public approach
 *   reimplemented (a `journalctl -f -o json` sibling of PID 1, restarted
 *   by the test after each kill, its own pipe) runs through the same kills
 *   in the same run: both counts are reported.
 * - vacuum: the entry to resume from is vacuumed away while the agent is
 *   stopped: a marker line with the exact count, never silence.
 * - short format and unit filter against journalctl's own fields, in a
 *   container whose engine mounts nothing on /run (memlog-init does).
 * - outside systemd, on journal files copied out of a container
 *   (--directory): the holder alone carries the agent across SIGKILLs,
 *   and a clean stop's saved position when the delivery log is gone.
 * - Docker: the same root file system imported as an image, run by a
 *   dockerd the test starts, with the default seccomp profile and
 *   capabilities: `docker logs` has the unit's lines, `docker stop` ends it.
 *
 * Skipped with the reason when systemd cannot run in runc here: not root,
 * no runc, no /lib/systemd/systemd, the programs not built. Each scenario
 * takes about a minute at most. */
#include "harness.h"
#include "rt_engine.h"
#include "fdhold.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSTEMD "/lib/systemd/systemd"
#define BOOT_MS 30000
#define CATCH_UP_MS 40000

/* One systemd container. */
struct sdc {
	char dir[128];        /* the rt work dir */
	char bundle[200];
	char rootfs[220];
	char id[40];          /* container id, also its cgroup */
	char runc[256];
	char build[PATH_MAX]; /* the programs under test, bound at /memlog */
	char out[240];        /* what came out of stdout */
	char err[240];        /* and stderr */
	struct rt_proc proc;  /* runc run */
	bool running;
	bool own_os;          /* the root file system is a whole OS (its own
			       * /usr), not the host's /usr */
};

static struct sdc *cur; /* for the teardown */

/* ---- the container ---- */

static void need(struct sdc *c)
{
	h_need_root("systemd in runc needs root");
	rt_need_prog("runc", "runc", c->runc, sizeof(c->runc));
	if (access(SYSTEMD, X_OK) < 0) {
		print_message("# no %s (package systemd); skipping\n", SYSTEMD);
		skip();
	}
	const char *progs[] = { "memlog-init", "memlog-journal",
				"memlog-fdholder" };
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
		if (!h_prog_exists(progs[i])) {
			print_message("# %s/%s is not built; skipping\n",
				      h_build(), progs[i]);
			skip();
		}
	char *b = realpath(h_build(), NULL);
	assert_non_null(b);
	snprintf(c->build, sizeof(c->build), "%s", b);
	free(b);
}

static void put(const struct sdc *c, const char *rel, const char *text)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", c->rootfs, rel);
	h_write_file(p, text, 0644);
}

static void mkdirs(const struct sdc *c, const char *const *rels)
{
	char p[600];
	for (; *rels; rels++) {
		snprintf(p, sizeof(p), "%s/%s", c->rootfs, *rels);
		for (char *s = p + strlen(c->rootfs) + 1;; s++) {
			if (*s != '/' && *s)
				continue;
			char ch = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", p, strerror(errno));
			*s = ch;
			if (!ch)
				break;
		}
	}
}

/* The unit that writes lines: "load N" for N = 1..n, in batches of batch
 * lines and a pause of 0.1 s (about 10 * batch lines a second). */
static void load_unit(const struct sdc *c, const char *name, long n, int batch)
{
	char text[1024], rel[200];
	snprintf(text, sizeof(text),
		 "[Service]\nType=exec\nSyslogIdentifier=%s\n"
		 "ExecStart=/bin/sh -c 'i=0; while [ $i -lt %ld ]; do j=0; "
		 "while [ $j -lt %d ]; do i=$((i+1)); j=$((j+1)); "
		 "echo \"load $i\"; done; sleep 0.1; done'\n",
		 name, n, batch);
	snprintf(rel, sizeof(rel), "etc/systemd/system/%s.service", name);
	put(c, rel, text);
}

/* The root file system: the host's /usr (bound read-only by runc) and a
 * minimal /etc, or (own_os) the OS already in c->rootfs; in both
 * memlog-journal.service from dist/ with ExecStart= at /memlog, enabled,
 * with agent_args; the target the test boots. */
static void rootfs(struct sdc *c, const char *agent_args)
{
	static const char *const dirs[] = {
		"etc/systemd/system/sysinit.target.wants",
		"etc/systemd/system/memlog-journal.service.d",
		"etc/systemd/journald.conf.d", "proc", "sys", "dev", "run",
		"tmp", "var/log", "var/tmp", "root", "usr", "memlog", NULL,
	};
	static const char *const links[][2] = {
		{ "bin", "usr/bin" }, { "sbin", "usr/sbin" },
		{ "lib", "usr/lib" }, { "lib64", "usr/lib64" },
	};
	char p[600], unit_src[PATH_MAX + 64];
	size_t len;

	if (!c->own_os && mkdir(c->rootfs, 0755) < 0)
		fail_msg("mkdir %s: %s", c->rootfs, strerror(errno));
	mkdirs(c, dirs);
	for (size_t i = 0; !c->own_os && i < ARRAY_SIZE(links); i++) {
		snprintf(p, sizeof(p), "%s/%s", c->rootfs, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			fail_msg("symlink %s: %s", p, strerror(errno));
	}
	if (!c->own_os) {
		put(c, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
		    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
		put(c, "etc/group", "root:x:0:\nnogroup:x:65534:\n"
		    "systemd-journal:x:101:\n");
	}
	put(c, "etc/machine-id", "");
	put(c, "etc/systemd/journald.conf.d/memlog-test.conf",
	    "[Journal]\nRateLimitBurst=0\nRateLimitIntervalSec=0\n"
	    "Storage=volatile\nRuntimeMaxUse=256M\n");
	put(c, "etc/systemd/system/memlog-test.target",
	    "[Unit]\nDescription=memlog test\nRequires=sysinit.target\n"
	    "After=sysinit.target\n");
	/* The unit as shipped, but for where the program is. */
	snprintf(unit_src, sizeof(unit_src), "%s/../dist/systemd/memlog-journal.service",
		 c->build);
	char *u = h_read_file(unit_src, &len);
	if (!u)
		u = h_read_file("dist/systemd/memlog-journal.service", &len);
	if (!u)
		fail_msg("dist/systemd/memlog-journal.service not found (run "
			 "from the source tree)");
	char *at = strstr(u, "/usr/local/sbin/");
	assert_non_null(at);
	char *unit = NULL;
	assert_true(asprintf(&unit, "%.*s/memlog/%s", (int)(at - u), u,
			     at + strlen("/usr/local/sbin/")) > 0);
	put(c, "etc/systemd/system/memlog-journal.service", unit);
	free(unit);
	free(u);
	snprintf(p, sizeof(p), "%s/etc/systemd/system/sysinit.target.wants/"
		 "memlog-journal.service", c->rootfs);
	if (symlink("../memlog-journal.service", p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
	char dropin[512];
	snprintf(dropin, sizeof(dropin), "[Service]\nExecStart=\n"
		 "ExecStart=/memlog/memlog-journal %s\n", agent_args);
	put(c, "etc/systemd/system/memlog-journal.service.d/test.conf", dropin);
}

static json_t *jstrings(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static void mount_add(json_t *mounts, const char *dest, const char *type,
		      const char *src, const char *const *opts)
{
	json_t *m = json_object();
	json_object_set_new(m, "destination", json_string(dest));
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "source", json_string(src));
	json_object_set_new(m, "options", jstrings(opts));
	json_array_append_new(mounts, m);
}

/* config.json: `runc spec`, then what systemd needs here (the facts in
 * docs/memlog-journal.md's sources): container=docker, a read-write
 * cgroup mount and namespace, a tmpfs on /run, no seccomp, the capabilities
 * of this machine's bounding set but CAP_SYS_RESOURCE, RLIMIT_NOFILE 16384. */
static void config(struct sdc *c, bool run_tmpfs)
{
	static const char *const caps[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
		"CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
		"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
		"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
		"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
		"CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN",
		"CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_TTY_CONFIG",
		"CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
		"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_SYSLOG",
		"CAP_AUDIT_READ", NULL,
	};
	static const char *const ro_bind[] = { "rbind", "ro", NULL };
	static const char *const run_opts[] = { "nosuid", "nodev", "mode=755", NULL };
	static const char *const tmp_opts[] = { "nosuid", "nodev", "mode=1777", NULL };
	static const char *const cg_opts[] = { "nosuid", "noexec", "nodev",
					       "relatime", "rw", NULL };
	char p[600], cg[64];
	char *o = NULL, *e = NULL;

	const char *sa[] = { c->runc, "spec", "--bundle", c->bundle, NULL };
	int st = h_run(sa, NULL, 10000, &o, &e);
	h_expect_exit(st, 0, "runc spec", e);
	free(o);
	free(e);
	snprintf(p, sizeof(p), "%s/config.json", c->bundle);
	json_error_t je;
	json_t *cfg = json_load_file(p, 0, &je);
	if (!cfg)
		fail_msg("%s: %s", p, je.text);
	json_t *proc = json_object_get(cfg, "process");
	json_object_set_new(proc, "terminal", json_false());
	const char *args[] = { "/memlog/memlog-init", SYSTEMD,
			       "--unit=memlog-test.target", NULL };
	json_object_set_new(proc, "args", jstrings(args));
	const char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			      "container=docker", NULL };
	json_object_set_new(proc, "env", jstrings(env));
	json_t *capo = json_object();
	json_object_set_new(capo, "bounding", jstrings(caps));
	json_object_set_new(capo, "effective", jstrings(caps));
	json_object_set_new(capo, "permitted", jstrings(caps));
	json_object_set_new(proc, "capabilities", capo);
	json_t *rl = json_object();
	json_object_set_new(rl, "type", json_string("RLIMIT_NOFILE"));
	json_object_set_new(rl, "hard", json_integer(16384));
	json_object_set_new(rl, "soft", json_integer(16384));
	json_t *rls = json_array();
	json_array_append_new(rls, rl);
	json_object_set_new(proc, "rlimits", rls);
	json_object_set_new(proc, "noNewPrivileges", json_false());
	json_t *root = json_object();
	json_object_set_new(root, "path", json_string("rootfs"));
	json_object_set_new(root, "readonly", json_false());
	json_object_set_new(cfg, "root", root);
	json_object_set_new(cfg, "hostname", json_string("memlog-test"));
	json_t *mounts = json_object_get(cfg, "mounts"), *keep = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
		if (strcmp(json_string_value(json_object_get(m, "destination")),
			   "/sys/fs/cgroup") != 0)
			json_array_append(keep, m);
	mount_add(keep, "/sys/fs/cgroup", "cgroup", "cgroup", cg_opts);
	if (!c->own_os)
		mount_add(keep, "/usr", "bind", "/usr", ro_bind);
	mount_add(keep, "/memlog", "bind", c->build, ro_bind);
	if (run_tmpfs)
		mount_add(keep, "/run", "tmpfs", "tmpfs", run_opts);
	mount_add(keep, "/tmp", "tmpfs", "tmpfs", tmp_opts);
	json_object_set_new(cfg, "mounts", keep);
	json_t *lin = json_object_get(cfg, "linux");
	json_t *ns = json_object();
	json_object_set_new(ns, "type", json_string("cgroup"));
	json_array_append_new(json_object_get(lin, "namespaces"), ns);
	json_object_del(lin, "seccomp");
	snprintf(cg, sizeof(cg), "/%s", c->id);
	json_object_set_new(lin, "cgroupsPath", json_string(cg));
	rt_dir_cgroup(c->dir, c->id);
	if (json_dump_file(cfg, p, JSON_INDENT(1)) < 0)
		fail_msg("write %s", p);
	json_decref(cfg);
}

/* runc exec ID ARGV...: the wait status; its output in *out, *err. */
static int sd_exec(const struct sdc *c, const char *const *argv, int timeout_ms,
		   char **out, char **err)
{
	const char *a[32] = { c->runc, "exec", c->id };
	int n = 3;
	for (; *argv && n < 31; argv++)
		a[n++] = *argv;
	a[n] = NULL;
	return h_run(a, NULL, timeout_ms, out, err);
}

/* A shell command inside; fails the test unless it exits 0. Returns its
 * stdout (malloc'd). */
static char *sd_sh(const struct sdc *c, const char *cmd)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char *out = NULL, *err = NULL;
	int st = sd_exec(c, argv, 60000, &out, &err);
	h_expect_exit(st, 0, cmd, err);
	free(err);
	return out;
}

static void sd_sh_quiet(const struct sdc *c, const char *cmd)
{
	free(sd_sh(c, cmd));
}

/* Boots the container; returns once memlog-journal.service is active.
 * run_tmpfs: the engine mounts a tmpfs on /run (else memlog-init must, or
 * systemd's own would hide the holder's socket and the agent would never
 * become active). */
static void prepare(struct sdc *c)
{
	rt_dir_make(c->dir, sizeof(c->dir));
	h_token(c->id, sizeof(c->id), "memlogjt-", 10);
	snprintf(c->bundle, sizeof(c->bundle), "%s/bundle", c->dir);
	snprintf(c->rootfs, sizeof(c->rootfs), "%s/rootfs", c->bundle);
	snprintf(c->out, sizeof(c->out), "%s/stdout", c->dir);
	snprintf(c->err, sizeof(c->err), "%s/stderr", c->dir);
	if (mkdir(c->bundle, 0755) < 0)
		fail_msg("mkdir %s: %s", c->bundle, strerror(errno));
}

static void boot_prepared(struct sdc *c, const char *agent_args,
			  bool run_tmpfs)
{
	rootfs(c, agent_args);
	config(c, run_tmpfs);
	const char *argv[] = { c->runc, "run", "--bundle", c->bundle, c->id, NULL };
	rt_proc_start(&c->proc, argv, NULL, c->out, c->err, NULL);
	c->running = true;
	cur = c;
	uint64_t deadline = h_now_ms() + BOOT_MS;
	for (;;) {
		if (rt_proc_exited(&c->proc)) {
			char *e = h_read_file(c->err, NULL);
			print_message("# container stderr: %.4000s\n", e ? e : "");
			free(e);
			fail_msg("runc run exited while booting (status 0x%x)",
				 c->proc.status);
		}
		const char *is[] = { "systemctl", "is-active",
				     "memlog-journal.service", NULL };
		char *o = NULL;
		int st = sd_exec(c, is, 10000, &o, NULL);
		bool active = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		free(o);
		if (active)
			return;
		if (h_now_ms() > deadline) {
			const char *sa[] = { "/bin/sh", "-c", "systemctl status "
					     "--no-pager memlog-journal; journalctl "
					     "--no-pager | tail -30", NULL };
			char *so = NULL, *e = h_read_file(c->err, NULL);
			IGNORE_RESULT(sd_exec(c, sa, 10000, &so, NULL));
			print_message("# container stderr: %.3000s\n# %.6000s\n",
				      e ? e : "", so ? so : "");
			free(so);
			free(e);
			fail_msg("memlog-journal.service not active %d ms after "
				 "boot", BOOT_MS);
		}
		h_sleep_ms(200);
	}
}

static void boot_with(struct sdc *c, const char *agent_args, bool run_tmpfs)
{
	prepare(c);
	boot_prepared(c, agent_args, run_tmpfs);
}

static void boot(struct sdc *c, const char *agent_args)
{
	boot_with(c, agent_args, true);
}

/* A sanitizer build of the agent (MEMLOG_BUILD=build-asan) reports into
 * its unit's log; a report there fails the test even when systemd's
 * restart hid the crash from the output. */
static void no_sanitizer_reports(const struct sdc *c)
{
	char *n = sd_sh(c, "journalctl -o cat --no-pager -u memlog-journal | "
			"grep -cE 'AddressSanitizer|LeakSanitizer|runtime "
			"error' || true");
	if (atoi(n) != 0) {
		char *l = sd_sh(c, "journalctl -o cat --no-pager -u "
				"memlog-journal | grep -A30 -E 'Sanitizer|runtime "
				"error' | head -60");
		print_message("# %s\n", l);
		free(l);
		fail_msg("memlog-journal's log has %d sanitizer reports", atoi(n));
	}
	free(n);
}

/* SIGRTMIN+3 to PID 1 (as STOPSIGNAL asks), then what is left goes. */
static void halt(struct sdc *c)
{
	/* c lives on a test's stack: the teardown must not see it after. */
	if (c == cur)
		cur = NULL;
	if (!c->running)
		return;
	const char *k[] = { c->runc, "kill", c->id, "37", NULL };
	IGNORE_RESULT(h_run(k, NULL, 10000, NULL, NULL));
	uint64_t deadline = h_now_ms() + 20000;
	while (!rt_proc_exited(&c->proc) && h_now_ms() < deadline)
		h_sleep_ms(100);
	rt_proc_kill(&c->proc);
	const char *d[] = { c->runc, "delete", "--force", c->id, NULL };
	IGNORE_RESULT(h_run(d, NULL, 10000, NULL, NULL));
	c->running = false;
}

static int teardown(void **state)
{
	if (cur) {
		halt(cur);
		cur = NULL;
	}
	return rt_teardown(state);
}

/* The host pids of the container's processes whose name is comm. */
static int find_pids(const struct sdc *c, const char *comm, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	char p[300];

	assert_non_null(d);
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		char *cm = h_read_file(p, NULL);
		bool same = cm && strncmp(cm, comm, strlen(comm)) == 0 &&
			    (cm[strlen(comm)] == '\n' || !cm[strlen(comm)]);
		free(cm);
		if (!same)
			continue;
		snprintf(p, sizeof(p), "/proc/%s/cgroup", e->d_name);
		char *cg = h_read_file(p, NULL);
		bool ours = cg && strstr(cg, c->id);
		free(cg);
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		char *st = h_read_file(p, NULL);
		char *rp = st ? strrchr(st, ')') : NULL;
		bool zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
		free(st);
		if (ours && !zombie)
			pids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* SIGKILLs the container's memlog-journal; false if none runs. */
static bool kill_agent(const struct sdc *c)
{
	pid_t p[4];
	int n = find_pids(c, "memlog-journal", p, 4);
	for (int i = 0; i < n; i++)
		kill(p[i], SIGKILL);
	return n > 0;
}

/* ---- the oracle ---- */

struct seen {
	size_t lines, torn, markers, dups, unknown, disorder, differ;
	size_t delivered, missing, expected;
	json_int_t lost;   /* the markers' MEMLOG_JOURNAL_LOST sum, -1 unknown */
	json_t *marker;    /* the first marker (a reference) */
};

/* The journal inside, as journalctl -o json --all gives it: an array, and
 * an object cursor -> index. */
static json_t *journal_json(const struct sdc *c, json_t **index)
{
	char *out = sd_sh(c, "journalctl -o json --all --no-pager");
	json_t *a = json_array();
	*index = json_object();
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = h_json(l, strlen(l));
		const char *cu = h_jstr(o, "__CURSOR");
		json_object_set_new(*index, cu,
				    json_integer((json_int_t)json_array_size(a)));
		json_array_append_new(a, o);
	}
	free(out);
	return a;
}

/* Reads a json output file and checks it against the journal up to and
 * including the entry whose MESSAGE is last_msg: every one of them once,
 * in order, and (compare) each equal to journalctl's object (with
 * __SEQNUM and __SEQNUM_ID when journalctl writes them: 254 and later). */
static void check_output(const char *file, json_t *journal, json_t *index,
			 const char *last_msg, bool compare, struct seen *s)
{
	size_t len, last = SIZE_MAX;
	char *text = h_read_file(file, &len);
	assert_non_null(text);
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < json_array_size(journal); i++) {
		json_t *m = json_object_get(json_array_get(journal, i), "MESSAGE");
		if (json_is_string(m) && !strcmp(json_string_value(m), last_msg))
			last = i;
	}
	if (last == SIZE_MAX)
		fail_msg("the journal has no entry \"%s\"", last_msg);
	unsigned char *got = calloc(json_array_size(journal) + 1, 1);
	long prev = -1;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		s->lines++;
		json_t *o = h_json_try(p, ll);
		p += ll + 1;
		if (!o || !json_is_object(o)) {
			s->torn++;
			json_decref(o);
			continue;
		}
		json_t *cu = json_object_get(o, "__CURSOR");
		if (!cu) {
			if (!s->marker)
				s->marker = json_incref(o);
			json_t *l = json_object_get(o, "MEMLOG_JOURNAL_LOST");
			s->markers++;
			if (json_is_string(l) && strcmp(json_string_value(l), "unknown"))
				s->lost += strtoll(json_string_value(l), NULL, 10);
			else
				s->lost = -1;
			json_decref(o);
			continue;
		}
		json_t *ix = json_object_get(index, json_string_value(cu));
		if (!ix) {
			s->unknown++;
			json_decref(o);
			continue;
		}
		long k = (long)json_integer_value(ix);
		if (got[k])
			s->dups++;
		else if (k < prev)
			s->disorder++;
		got[k] = 1;
		if (k > prev)
			prev = k;
		if (compare) {
			json_t *want = json_array_get(journal, (size_t)k);
			/* journalctl 254 and later write these too: then
			 * they must be the same. */
			if (!json_object_get(want, "__SEQNUM")) {
				json_object_del(o, "__SEQNUM");
				json_object_del(o, "__SEQNUM_ID");
			}
			if (!json_equal(o, want)) {
				if (!s->differ) {
					char *a = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
					char *b = json_dumps(json_array_get(journal, (size_t)k),
							     JSON_COMPACT | JSON_SORT_KEYS);
					print_message("# first object that differs:\n# "
						      "ours:       %.1500s\n# journalctl: "
						      "%.1500s\n", a, b);
					free(a);
					free(b);
				}
				s->differ++;
			}
		}
		json_decref(o);
	}
	for (size_t i = 0; i <= last; i++) {
		s->expected++;
		if (got[i])
			s->delivered++;
		else
			s->missing++;
	}
	free(got);
	free(text);
}

static void report(const char *what, const struct seen *s)
{
	print_message("# %s: %zu of %zu journal entries delivered; %zu missing, "
		      "%zu duplicated, %zu torn lines, %zu out of order, %zu "
		      "markers, %zu lines in all\n", what, s->delivered,
		      s->expected, s->missing, s->dups, s->torn, s->disorder,
		      s->markers, s->lines);
}

/* Writes a sentinel entry and waits until stdout has it. */
static void sentinel(const struct sdc *c, const char *msg)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "echo '%s' | systemd-cat -t sentinel", msg);
	sd_sh_quiet(c, cmd);
	uint64_t deadline = h_now_ms() + CATCH_UP_MS;
	for (;;) {
		char *t = h_read_file(c->out, NULL);
		bool there = t && strstr(t, msg);
		free(t);
		if (there)
			return;
		if (h_now_ms() > deadline) {
			char *o = sd_sh(c, "systemctl status --no-pager "
					"memlog-journal.service 2>&1; journalctl "
					"-u memlog-journal --no-pager | tail -20");
			print_message("# %s\n", o);
			free(o);
			fail_msg("\"%s\" did not reach stdout within %d ms", msg,
				 CATCH_UP_MS);
		}
		h_sleep_ms(200);
	}
}

/* ---- the public approach, reimplemented ---- */

/* `journalctl -f -o json` as a sibling of PID 1 (runc exec), its stdout a
 * pipe of its own; restarted by the test after each kill, as a unit with
 * Restart=always and no start limit would be. Each incarnation writes its
 * own file. */
struct public_agent {
	struct rt_proc p;
	int n;           /* incarnations */
	char files[64][260];
	bool on;
};

static void public_start(const struct sdc *c, struct public_agent *pa)
{
	char err[260];
	if (pa->n == 64)
		return;
	snprintf(pa->files[pa->n], sizeof(pa->files[0]), "%s/public.%d", c->dir,
		 pa->n);
	snprintf(err, sizeof(err), "%s/public.err", c->dir);
	const char *argv[] = { c->runc, "exec", c->id, "journalctl", "-f", "-o",
			       "json", "--all", "--no-pager", NULL };
	rt_proc_start(&pa->p, argv, NULL, pa->files[pa->n], err, NULL);
	pa->n++;
	pa->on = true;
	/* Running once runc exec has executed it: a kill before that would
	 * find nothing to kill. */
	pid_t p[2];
	uint64_t deadline = h_now_ms() + 10000;
	while (find_pids(c, "journalctl", p, 2) == 0) {
		if (h_now_ms() > deadline || rt_proc_exited(&pa->p))
			fail_msg("journalctl -f did not start in the container");
		h_sleep_ms(10);
	}
}

static void public_kill(const struct sdc *c, struct public_agent *pa)
{
	pid_t p[8];
	int n = find_pids(c, "journalctl", p, 8);
	for (int i = 0; i < n; i++)
		kill(p[i], SIGKILL);
	if (pa->on) {
		/* Its drain must read to the end to finish. */
		kill(pa->p.drain[0], SIGCONT);
		IGNORE_RESULT(rt_proc_wait(&pa->p, 10000));
		pa->on = false;
	}
}

static void public_drain(struct public_agent *pa, int sig)
{
	if (pa->on && pa->p.drain[0] > 0)
		kill(pa->p.drain[0], sig);
}

/* All incarnations' output in one file, in order. */
static void public_join(const struct sdc *c, const struct public_agent *pa,
			char *out, size_t cap)
{
	snprintf(out, cap, "%s/public.all", c->dir);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	for (int i = 0; i < pa->n; i++) {
		size_t len;
		char *t = h_read_file(pa->files[i], &len);
		if (t)
			h_write_all(fd, t, len);
		free(t);
	}
	close(fd);
}

/* ---- tests ---- */

/* Waits up to ms for the agent to run again (it is restarted 100 ms
 * after each death). */
static void wait_agent(const struct sdc *c, int ms)
{
	pid_t p[2];
	uint64_t deadline = h_now_ms() + (uint64_t)ms;
	while (find_pids(c, "memlog-journal", p, 2) == 0 && h_now_ms() < deadline)
		h_sleep_ms(20);
}

/* The kill storm on a booted container c: lines of load at 10 * batch a
 * second, storm_ms of random SIGKILLs, then the service manager's own
 * ways, the holder killed, more kills; the oracle. */
static void kill_storm(struct sdc *c, long lines, int batch, int storm_ms)
{
	struct public_agent pa = { 0 };

	load_unit(c, "numbers", lines, batch);
	sd_sh_quiet(c, "systemctl daemon-reload && systemctl start numbers");
	public_start(c, &pa);

	unsigned seed = (unsigned)h_now_ns();
	srand(seed);
	print_message("# kill storm: seed %u\n", seed);
	uint64_t t0 = h_now_ms(), next_pause = t0 + 3000;
	int kills = 0, paused_kills = 0;
	while (h_now_ms() - t0 < (uint64_t)storm_ms) {
		h_sleep_ms((unsigned)(rand() % 500));
		bool paused = false;
		if (h_now_ms() >= next_pause) {
			/* The test stops reading: both pipes fill up. */
			kill(c->proc.drain[0], SIGSTOP);
			public_drain(&pa, SIGSTOP);
			paused = true;
			h_sleep_ms(300 + (unsigned)(rand() % 700));
		}
		if (kill_agent(c)) {
			kills++;
			paused_kills += paused;
		}
		public_kill(c, &pa);
		if (paused) {
			h_sleep_ms((unsigned)(rand() % 800));
			kill(c->proc.drain[0], SIGCONT);
			next_pause = h_now_ms() + 2000 + (unsigned)(rand() % 3000);
		}
		public_start(c, &pa);
		wait_agent(c, 2000);
	}
	print_message("# %d SIGKILLs of memlog-journal (%d with the pipe "
		      "full)\n", kills, paused_kills);
	/* A sanity check that the storm happened (a slow machine kills less
	 * often: each round restarts the public sibling too). */
	assert_true(kills >= storm_ms / 2500);

	/* The service manager's own ways, each while lines keep coming. */
	static const char *const steps[] = {
		"systemctl restart memlog-journal",
		"systemctl stop memlog-journal",
		"sleep 1",
		"systemctl start memlog-journal",
		"systemctl daemon-reexec",
		"sleep 1",
		"systemctl restart systemd-journald",
		"sleep 1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		sd_sh_quiet(c, steps[i]);
	/* The holder killed once: the agent starts a new one, which then
	 * carries stdout and the delivery log across a stop/start. */
	pid_t h[4];
	int nh = find_pids(c, "memlog-fdholder", h, 4);
	assert_int_equal(nh, 1);
	kill(h[0], SIGKILL);
	uint64_t deadline = h_now_ms() + 10000;
	pid_t h2[4];
	while ((nh = find_pids(c, "memlog-fdholder", h2, 4)) == 0 &&
	       h_now_ms() < deadline)
		h_sleep_ms(50);
	if (nh != 1)
		fail_msg("no new fd holder within 10 s of the old one's death");
	sd_sh_quiet(c, "systemctl stop memlog-journal; sleep 1; "
		    "systemctl start memlog-journal");
	for (int i = 0; i < 5; i++) {
		h_sleep_ms(300);
		kill_agent(c);
		wait_agent(c, 2000);
	}
	/* The rest of the load, then the sentinel. */
	deadline = h_now_ms() + 60000;
	for (;;) {
		char *o = NULL;
		const char *ia[] = { "systemctl", "is-active", "numbers", NULL };
		int st = sd_exec(c, ia, 10000, &o, NULL);
		bool on = WIFEXITED(st) && WEXITSTATUS(st) == 0 && o &&
			  !strncmp(o, "active", 6);
		free(o);
		if (!on)
			break;
		if (h_now_ms() > deadline)
			fail_msg("the load did not end within 60 s");
		h_sleep_ms(500);
	}
	char tok[40];
	h_token(tok, sizeof(tok), "sentinel-", 8);
	sentinel(c, tok);
	h_sleep_ms(1000); /* the public agent's last lines */

	/* Both outputs as they are now, then the journal: every line in
	 * them is in that journal (it can only have more). */
	char pubfile[300], ourfile[300];
	public_join(c, &pa, pubfile, sizeof(pubfile));
	snprintf(ourfile, sizeof(ourfile), "%s/stdout.now", c->dir);
	size_t len;
	char *now = h_read_file(c->out, &len);
	assert_non_null(now);
	int fd = open(ourfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	h_write_all(fd, now, len);
	close(fd);
	free(now);
	json_t *index, *journal = journal_json(c, &index);
	struct seen s, ps;
	check_output(ourfile, journal, index, tok, true, &s);
	report("memlog-journal", &s);
	check_output(pubfile, journal, index, tok, false, &ps);
	report("the public approach (journalctl -f sibling, restarted after "
	       "each kill)", &ps);
	json_decref(journal);
	json_decref(index);
	json_decref(s.marker);
	json_decref(ps.marker);
	assert_true(s.expected > (size_t)lines);
	assert_int_equal(s.missing, 0);
	assert_int_equal(s.dups, 0);
	assert_int_equal(s.torn, 0);
	assert_int_equal(s.disorder, 0);
	assert_int_equal(s.unknown, 0);
	assert_int_equal(s.markers, 0);
	assert_int_equal(s.differ, 0);
	public_kill(c, &pa);
	no_sanitizer_reports(c);
	halt(c);
}

static void test_kill_storm(void **state)
{
	struct sdc c = { 0 };
	(void)state;

	need(&c);
	boot(&c, "--output json");
	/* Under a sanitizer (several times slower) a shorter storm: the
	 * plain run is the one that counts kills; this one finds memory
	 * errors on the same paths. */
	kill_storm(&c, 60000, 150, h_sanitized() ? 10000 : 25000);
}

/* The same on Debian 13's systemd 257, from a root file system built by
 * mmdebstrap (skipped with the reason when it is not installed or cannot
 * fetch the packages), with a shorter storm. */
static void test_kill_storm_trixie(void **state)
{
	struct sdc c = { 0 };
	char *err = NULL, mm[256];
	(void)state;

	need(&c);
	if (h_sanitized()) {
		print_message("# a sanitizer build needs the host's libraries, "
			      "which a Debian 13 root file system lacks; "
			      "skipping\n");
		skip();
	}
	if (!rt_which("mmdebstrap", mm, sizeof(mm))) {
		print_message("# no mmdebstrap (package mmdebstrap): no Debian 13 "
			      "root file system; skipping\n");
		skip();
	}
	prepare(&c);
	uint64_t t0 = h_now_ms();
	const char *mk[] = { mm, "--variant=minbase", "--include=systemd,systemd-sysv",
			     "trixie", c.rootfs, NULL };
	int st = h_run(mk, NULL, 600000, NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		size_t l = err ? strlen(err) : 0;
		print_message("# mmdebstrap failed (status 0x%x): %s; skipping\n",
			      st, err ? err + (l > 1500 ? l - 1500 : 0) : "");
		free(err);
		skip();
	}
	free(err);
	print_message("# mmdebstrap: Debian 13 root file system in %llu ms\n",
		      (unsigned long long)(h_now_ms() - t0));
	c.own_os = true;
	boot_prepared(&c, "--output json", true);
	char *v = sd_sh(&c, "systemctl --version | head -1");
	print_message("# %s", v);
	free(v);
	kill_storm(&c, 30000, 150, 15000);
}

static void test_vacuum_marker(void **state)
{
	struct sdc c = { 0 };
	(void)state;

	need(&c);
	boot(&c, "--output json");
	char tok[40], cmd[600];
	h_token(tok, sizeof(tok), "before-", 8);
	sentinel(&c, tok);
	/* Stopped: its position is the last entry it wrote. Then 3000
	 * entries, a rotation, one entry in the new file, and a vacuum that
	 * removes the archived file: the resume point and the 3000 are gone. */
	sd_sh_quiet(&c, "systemctl stop memlog-journal");
	sd_sh_quiet(&c, "seq 1 3000 | sed 's/^/gone /' | systemd-cat -t gone");
	sd_sh_quiet(&c, "journalctl --rotate && echo kept | systemd-cat -t kept "
		    "&& journalctl --vacuum-files=1 2>&1");
	char *left = sd_sh(&c, "journalctl -o cat --no-pager | grep -c '^gone ' "
			   "|| true");
	if (atoi(left) != 0) {
		print_message("# the vacuum left %d of the 3000 entries: cannot "
			      "remove the resume point here\n", atoi(left));
		free(left);
		fail();
	}
	free(left);
	sd_sh_quiet(&c, "systemctl start memlog-journal");
	h_token(tok, sizeof(tok), "after-", 8);
	sentinel(&c, tok);

	/* The output: the marker, then "kept"; the count is exact: the
	 * sequence numbers between the last entry written and the first one
	 * after the gap. */
	size_t len;
	char *text = h_read_file(c.out, &len);
	json_t *last_before = NULL, *marker = NULL, *first_after = NULL;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = h_json(l, strlen(l));
		if (!json_object_get(o, "__CURSOR")) {
			assert_null(marker);
			marker = o;
			continue;
		}
		if (!marker) {
			json_decref(last_before);
			last_before = o;
		} else if (!first_after) {
			first_after = o;
		} else {
			json_decref(o);
		}
	}
	free(text);
	if (!marker)
		fail_msg("no marker line after the vacuum");
	assert_non_null(last_before);
	assert_non_null(first_after);
	long long a = strtoll(h_jstr(last_before, "__SEQNUM"), NULL, 10);
	long long b = strtoll(h_jstr(first_after, "__SEQNUM"), NULL, 10);
	const char *lost = h_jstr(marker, "MEMLOG_JOURNAL_LOST");
	print_message("# marker: %s\n", h_jstr(marker, "MESSAGE"));
	assert_int_equal(strtoll(lost, NULL, 10), b - a - 1);
	assert_true(b - a - 1 >= 3000);
	assert_string_equal(h_jstr(marker, "MEMLOG_JOURNAL_LOST_AFTER"),
			    h_jstr(last_before, "__CURSOR"));
	assert_string_equal(h_jstr(marker, "MEMLOG_JOURNAL_LOST_BEFORE"),
			    h_jstr(first_after, "__CURSOR"));
	snprintf(cmd, sizeof(cmd), "%s", h_jstr(marker, "SYSLOG_IDENTIFIER"));
	assert_string_equal(cmd, "memlog-journal");
	json_decref(last_before);
	json_decref(marker);
	json_decref(first_after);
	no_sanitizer_reports(&c);
	halt(&c);
}

/* --output short with --unit numbers: exactly the lines of that unit, as
 * IDENT[PID]: MESSAGE from journalctl's own fields, in order. Booted
 * without a tmpfs on /run from the engine: memlog-init mounts it. */
static void test_short_unit_filter(void **state)
{
	struct sdc c = { 0 };
	(void)state;

	need(&c);
	boot_with(&c, "--output short --unit numbers --unit sentinel-*", false);
	char *mnt = sd_sh(&c, "grep ' /run ' /proc/self/mountinfo");
	assert_non_null(strstr(mnt, " - tmpfs "));
	free(mnt);
	load_unit(&c, "numbers", 2000, 500);
	load_unit(&c, "other", 2000, 500);
	put(&c, "etc/systemd/system/sentinel-x.service",
	    "[Service]\nType=oneshot\nExecStart=/bin/echo the-end\n");
	sd_sh_quiet(&c, "systemctl daemon-reload && systemctl start numbers "
		    "other && while systemctl is-active -q numbers other; do "
		    "sleep 0.2; done; systemctl start sentinel-x");
	uint64_t deadline = h_now_ms() + CATCH_UP_MS;
	char *out;
	for (;;) {
		out = h_read_file(c.out, NULL);
		if (out && strstr(out, ": the-end\n"))
			break;
		free(out);
		if (h_now_ms() > deadline)
			fail_msg("the-end did not reach stdout");
		h_sleep_ms(200);
	}
	char *want = sd_sh(&c, "journalctl -o json --no-pager -u numbers -u "
			   "'sentinel-*'");
	struct { char *p; size_t len, cap; } exp = { 0 };
	FILE *f = open_memstream(&exp.p, &exp.len);
	for (char *save = NULL, *l = strtok_r(want, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = h_json(l, strlen(l));
		json_t *id = json_object_get(o, "SYSLOG_IDENTIFIER");
		json_t *pid = json_object_get(o, "_PID");
		json_t *msg = json_object_get(o, "MESSAGE");
		if (json_is_string(msg))
			fprintf(f, "%s%s%s%s: %s\n", json_string_value(id ? id :
				json_object_get(o, "_COMM")), pid ? "[" : "",
				pid ? json_string_value(pid) : "", pid ? "]" : "",
				json_string_value(msg));
		json_decref(o);
	}
	fclose(f);
	/* Up to the-end in both: what systemd logs after it (the unit's end)
	 * may be in the journal and not yet on stdout. */
	char *e1 = strstr(exp.p, ": the-end\n"), *e2 = strstr(out, ": the-end\n");
	assert_non_null(e1);
	e1[strlen(": the-end\n")] = '\0';
	e2[strlen(": the-end\n")] = '\0';
	if (strcmp(out, exp.p) != 0) {
		size_t i = 0;
		while (out[i] && out[i] == exp.p[i])
			i++;
		size_t from = i > 300 ? i - 300 : 0;
		print_message("# first difference at byte %zu of %zu (want) and "
			      "%zu (got); want there:\n%.600s\n", i,
			      strlen(exp.p), strlen(out), exp.p + from);
		print_message("# got there:\n%.600s\n", out + from);
		fail_msg("--output short --unit numbers differs from journalctl");
	}
	assert_non_null(strstr(out, "numbers["));
	assert_null(strstr(out, "other["));
	free(exp.p);
	free(want);
	free(out);
	no_sanitizer_reports(&c);
	halt(&c);
}

/* Docker: an image imported from the same root file system runs under
 * dockerd (started by the test) with Docker's default seccomp profile and
 * capabilities; `docker logs` shows the unit's lines; `docker stop` (the
 * image's SIGRTMIN+3) stops it cleanly. On this cgroup v1/hybrid host
 * systemd needs the host's cgroup tree writable (--cgroupns=host -v
 * /sys/fs/cgroup:/sys/fs/cgroup:rw) and a tmpfs on /run and /run/lock. */
static void test_docker_logs(void **state)
{
	struct sdc c = { 0 };
	struct rt_dockerd d;
	char tar[300], image[64], name[64], tmpfs_run[] = "/run",
	     vol_usr[] = "/usr:/usr:ro", vol_cg[] = "/sys/fs/cgroup:/sys/fs/cgroup:rw",
	     vol_build[PATH_MAX + 16];
	char *out = NULL, *err = NULL;
	int st;
	(void)state;

	need(&c);
	rt_dir_make(c.dir, sizeof(c.dir));
	snprintf(c.bundle, sizeof(c.bundle), "%s/bundle", c.dir);
	snprintf(c.rootfs, sizeof(c.rootfs), "%s/rootfs", c.bundle);
	assert_int_equal(mkdir(c.bundle, 0755), 0);
	rootfs(&c, "");
	load_unit(&c, "numbers", 500, 100);
	put(&c, "etc/systemd/system/memlog-test.target",
	    "[Unit]\nDescription=memlog test\nRequires=sysinit.target\n"
	    "After=sysinit.target\nWants=numbers.service\n");
	snprintf(tar, sizeof(tar), "%s/rootfs.tar", c.dir);
	const char *ta[] = { "/bin/tar", "-C", c.rootfs, "-cf", tar, ".", NULL };
	st = h_run(ta, NULL, 30000, NULL, &err);
	h_expect_exit(st, 0, "tar", err);
	free(err);
	rt_dockerd_start(&d, c.dir, NULL, NULL);
	h_token(image, sizeof(image), "memlog-systemd:", 8);
	h_token(name, sizeof(name), "memlog-systemd-", 8);
	const char *imp[] = { "import", tar, "memlog-systemd-base:test", NULL };
	st = rt_docker(&d, imp, 60000, NULL, &err);
	h_expect_exit(st, 0, "docker import", err);
	free(err);
	/* The image as docs/memlog-journal.md's Dockerfile makes one. */
	char ctx[300], df[400], cfg[300];
	snprintf(ctx, sizeof(ctx), "%s/context", c.dir);
	assert_int_equal(mkdir(ctx, 0755), 0);
	snprintf(df, sizeof(df), "%s/Dockerfile", ctx);
	h_write_file(df, "FROM memlog-systemd-base:test\n"
		     "ENV container=docker\n"
		     "STOPSIGNAL SIGRTMIN+3\n"
		     "ENTRYPOINT [\"/memlog/memlog-init\"]\n"
		     "CMD [\"" SYSTEMD "\", \"--unit=memlog-test.target\"]\n", 0644);
	const char *ba[] = { "build", "-q", "-t", image, ctx, NULL };
	const char *bargv[16];
	rt_docker_argv(&d, bargv, 16, ba);
	snprintf(cfg, sizeof(cfg), "DOCKER_CONFIG=%s/docker-cli", c.dir);
	const char *benv[] = { cfg, "DOCKER_BUILDKIT=0", NULL };
	st = h_run(bargv, benv, 120000, NULL, &err);
	h_expect_exit(st, 0, "docker build", err);
	free(err);
	snprintf(vol_build, sizeof(vol_build), "%s:/memlog:ro", c.build);
	const char *run[] = { "run", "-d", "--name", name, "--network", "none",
			      "--cgroupns=host", "-v", vol_cg, "-v", vol_usr,
			      "-v", vol_build, "--tmpfs", tmpfs_run, "--tmpfs",
			      "/run/lock", "--tmpfs", "/tmp", image, NULL };
	st = rt_docker(&d, run, 60000, NULL, &err);
	h_expect_exit(st, 0, "docker run", err);
	free(err);
	const char *logs[] = { "logs", name, NULL };
	uint64_t deadline = h_now_ms() + BOOT_MS;
	for (;;) {
		out = err = NULL;
		st = rt_docker(&d, logs, 30000, &out, &err);
		h_expect_exit(st, 0, "docker logs", err);
		if (out && strstr(out, ": load 500\n"))
			break;
		if (h_now_ms() > deadline) {
			print_message("# docker logs: %.3000s\n%.2000s\n", out ? out : "",
				      err ? err : "");
			fail_msg("the unit's last line is not in docker logs");
		}
		free(out);
		free(err);
		h_sleep_ms(300);
	}
	free(err);
	/* Every line of the unit, once, in order. */
	const char *p = out;
	for (int i = 1; i <= 500; i++) {
		char want[40];
		snprintf(want, sizeof(want), "]: load %d\n", i);
		const char *at = strstr(p, want);
		if (!at)
			fail_msg("docker logs lacks \"load %d\" (in order)", i);
		p = at + strlen(want);
	}
	assert_int_equal(h_count_str(out, ": load 1\n"), 1);
	free(out);
	/* Docker's default seccomp filter is on PID 1. */
	const char *sec[] = { "exec", name, "grep", "^Seccomp:", "/proc/1/status",
			      NULL };
	st = rt_docker(&d, sec, 30000, &out, &err);
	h_expect_exit(st, 0, "docker exec", err);
	assert_non_null(strstr(out, "2"));
	free(out);
	free(err);
	const char *stop[] = { "stop", name, NULL };
	st = rt_docker(&d, stop, 60000, NULL, &err);
	h_expect_exit(st, 0, "docker stop", err);
	free(err);
	const char *code[] = { "inspect", "-f", "{{.State.ExitCode}}", name, NULL };
	st = rt_docker(&d, code, 30000, &out, &err);
	h_expect_exit(st, 0, "docker inspect", err);
	assert_string_equal(out, "0\n");
	free(out);
	free(err);
	const char *rm[] = { "rm", "-f", name, NULL };
	IGNORE_RESULT(rt_docker(&d, rm, 60000, NULL, NULL));
	rt_dockerd_stop(&d);
}

/* The container's init pid (runc state). */
static pid_t init_pid(const struct sdc *c)
{
	char *out = NULL, *err = NULL;
	const char *a[] = { c->runc, "state", c->id, NULL };
	int st = h_run(a, NULL, 10000, &out, &err);
	h_expect_exit(st, 0, "runc state", err);
	json_t *j = h_json(out, strlen(out));
	pid_t pid = (pid_t)h_jint(j, "pid");
	json_decref(j);
	free(out);
	free(err);
	return pid;
}

/* Starts memlog-journal outside systemd: no fd store, the holder only. */
static pid_t agent_start(const struct sdc *c, const char *journal,
			 const char *holder, const char *pos)
{
	char prog[PATH_MAX + 32], err[300];
	snprintf(prog, sizeof(prog), "%s/memlog-journal", c->build);
	snprintf(err, sizeof(err), "%s/agent.err", c->dir);
	const char *argv[] = { prog, "--directory", journal, "--from", "head",
			       "--output", "json", "--holder-socket", holder,
			       "--state-file", pos, NULL };
	return h_spawn(argv, err, false);
}

/* Asserts the agent's exit status, showing its stderr otherwise. */
static void agent_exit(const struct sdc *c, pid_t a, int want)
{
	char ef[300];
	snprintf(ef, sizeof(ef), "%s/agent.err", c->dir);
	int st = h_wait_pid(a, H_TIMEOUT_MS);
	h_untrack_pid(a);
	char *e = h_read_file(ef, NULL);
	h_expect_exit(st, want, "memlog-journal", e);
	free(e);
}

/* The agent outside systemd, on journal files (--directory) copied out of
 * a container: the holder alone (no fd store) carries it across SIGKILLs;
 * a clean stop's saved position carries it when the holder lost the
 * delivery log; every entry once, in order, equal to journalctl -D's. */
static void test_directory_holder_only(void **state)
{
	struct sdc c = { 0 };
	char jdir[300], holder[300], pos[300], out[300], src[300];
	char prog[PATH_MAX + 32];
	int sock, pfd[2];
	pid_t hpid;
	(void)state;

	need(&c);
	boot(&c, "");
	load_unit(&c, "numbers", 20000, 1000);
	sd_sh_quiet(&c, "systemctl daemon-reload && systemctl start numbers && "
		    "while systemctl is-active -q numbers; do sleep 0.2; done");
	char tok[40];
	h_token(tok, sizeof(tok), "the-end-", 8);
	sentinel(&c, tok);
	snprintf(jdir, sizeof(jdir), "%s/journal", c.dir);
	snprintf(src, sizeof(src), "/proc/%d/root/run/log/journal", (int)init_pid(&c));
	const char *cp[] = { "/bin/cp", "-a", src, jdir, NULL };
	char *err = NULL;
	h_expect_exit(h_run(cp, NULL, 30000, NULL, &err), 0, "cp", err);
	free(err);
	halt(&c);

	/* The container's stdout: a pipe the test drains, in a holder. */
	snprintf(holder, sizeof(holder), "%s/h.sock", c.dir);
	snprintf(pos, sizeof(pos), "%s/position", c.dir);
	snprintf(out, sizeof(out), "%s/agent.out", c.dir);
	snprintf(prog, sizeof(prog), "%s/memlog-fdholder", c.build);
	assert_int_equal(fdhold_spawn(holder, prog, &sock, &hpid), 0);
	h_track_pid(hpid);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	uint64_t key = 1;
	assert_int_equal(fdhold_put(sock, &key, &pfd[1], 1, 0), 0);
	close(pfd[1]);
	/* The agent takes over only a holder whose session is not a live
	 * process's: ours ends here. */
	close(sock);
	pid_t drain = fork();
	assert_true(drain >= 0);
	if (drain == 0) {
		/* Slow (about 4 MB/s), so that the kills land while
		 * there is still much to deliver, some with the pipe full. */
		int f = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		char b[8192];
		ssize_t k;
		if (f < 0)
			_exit(1);
		while ((k = read(pfd[0], b, sizeof(b))) > 0) {
			if (write(f, b, (size_t)k) != k)
				_exit(1);
			usleep(2000);
		}
		_exit(0);
	}
	h_track_pid(drain);
	close(pfd[0]);

	srand((unsigned)h_now_ns());
	pid_t a = agent_start(&c, jdir, holder, pos);
	for (int i = 0; i < 15; i++) {
		h_sleep_ms(100 + (unsigned)(rand() % 300));
		kill(a, SIGKILL);
		h_wait_pid(a, H_TIMEOUT_MS);
		h_untrack_pid(a);
		if (i == 7) {
			/* A clean stop, then the holder loses the delivery
			 * log: the saved position must carry on. */
			a = agent_start(&c, jdir, holder, pos);
			h_wait_sig_blocked(a, SIGTERM, "memlog-journal");
			h_sleep_ms(100);
			kill(a, SIGTERM);
			agent_exit(&c, a, 0);
			struct stat sb;
			assert_int_equal(stat(pos, &sb), 0);
			uint64_t keys[2] = { 3, 4 };
			sock = fdhold_connect(holder, NULL);
			assert_true(sock >= 0);
			assert_int_equal(fdhold_drop(sock, keys, 2, 0), 0);
			close(sock);
		}
		a = agent_start(&c, jdir, holder, pos);
	}
	uint64_t deadline = h_now_ms() + CATCH_UP_MS;
	for (;;) {
		char *t = h_read_file(out, NULL);
		bool there = t && strstr(t, tok);
		free(t);
		if (there)
			break;
		if (h_now_ms() > deadline)
			fail_msg("the sentinel did not come out of the holder's pipe");
		h_sleep_ms(100);
	}
	h_wait_sig_blocked(a, SIGTERM, "memlog-journal");
	kill(a, SIGTERM);
	agent_exit(&c, a, 0);
	char ef[300];
	snprintf(ef, sizeof(ef), "%s/agent.err", c.dir);
	char *e = h_read_file(ef, NULL);
	assert_non_null(e);
	assert_int_equal(h_count_str(e, "resuming from the position saved in"), 1);
	free(e);
	char *partial = h_read_file(out, NULL);
	size_t before_end = partial ? strlen(partial) : 0;
	free(partial);
	print_message("# %zu bytes delivered\n", before_end);
	sock = fdhold_connect(holder, NULL);
	assert_true(sock >= 0);
	assert_int_equal(fdhold_release(sock), 0);
	close(sock);
	h_expect_exit(h_wait_pid(drain, H_TIMEOUT_MS), 0, "drain", NULL);
	h_untrack_pid(drain);
	IGNORE_RESULT(h_wait_pid(hpid, H_TIMEOUT_MS));
	h_untrack_pid(hpid);

	/* The oracle: journalctl -D on the same files. */
	char *jo = NULL;
	const char *jc[] = { "/usr/bin/journalctl", "-D", jdir, "-o", "json",
			     "--all", "--no-pager", NULL };
	h_expect_exit(h_run(jc, NULL, 60000, &jo, &err), 0, "journalctl", err);
	free(err);
	json_t *journal = json_array(), *index = json_object();
	for (char *save = NULL, *l = strtok_r(jo, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = h_json(l, strlen(l));
		json_object_set_new(index, h_jstr(o, "__CURSOR"),
				    json_integer((json_int_t)json_array_size(journal)));
		json_array_append_new(journal, o);
	}
	free(jo);
	struct seen s;
	check_output(out, journal, index, tok, true, &s);
	report("memlog-journal outside systemd (holder only, 15 SIGKILLs, "
	       "one stop with the delivery log dropped)", &s);
	json_decref(journal);
	json_decref(index);
	json_decref(s.marker);
	assert_true(s.expected > 20000);
	assert_int_equal(s.missing, 0);
	assert_int_equal(s.dups, 0);
	assert_int_equal(s.torn, 0);
	assert_int_equal(s.disorder, 0);
	assert_int_equal(s.unknown, 0);
	assert_int_equal(s.markers, 0);
	assert_int_equal(s.differ, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_storm, teardown),
		cmocka_unit_test_teardown(test_kill_storm_trixie, teardown),
		cmocka_unit_test_teardown(test_vacuum_marker, teardown),
		cmocka_unit_test_teardown(test_short_unit_filter, teardown),
		cmocka_unit_test_teardown(test_directory_holder_only, teardown),
		cmocka_unit_test_teardown(test_docker_logs, teardown),
	};
	return h_run_tests("itest_journal_systemd", tests, NULL, NULL);
}
