/* Real container engines for integration tests: see rt_engine.h. */
#include "rt_engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- programs ---- */

bool rt_which(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		 "/usr/bin:/sbin:/bin", path ? path : "");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if (!*d)
			continue;
		snprintf(out, cap, "%s/%s", d, name);
		struct stat sb;
		if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(out, X_OK) == 0)
			return true;
	}
	out[0] = '\0';
	return false;
}

void rt_need_prog(const char *name, const char *pkg, char *out, size_t cap)
{
	if (!rt_which(name, out, cap)) {
		print_message("# %s is not installed (Debian: %s; scripts/deps "
			      "installs it); skipping\n", name, pkg);
		skip();
	}
}

const char *rt_busybox(void)
{
	static const char *const cands[] = { "/bin/busybox", "/usr/bin/busybox",
					     NULL };
	for (int i = 0; cands[i]; i++) {
		size_t len;
		char *b = h_read_file(cands[i], &len);
		if (!b)
			continue;
		/* static: no PT_INTERP, so no "ld-linux" path inside */
		bool dyn = memmem(b, len, "/lib64/ld-linux", 15) ||
			   memmem(b, len, "/lib/ld-linux", 13) ||
			   memmem(b, len, "ld-musl", 7);
		free(b);
		if (!dyn)
			return cands[i];
	}
	print_message("# a static busybox is not installed (Debian: "
		      "busybox-static); skipping\n");
	skip();
	return NULL;
}

/* ---- work dirs and cleanup ---- */

#define RT_MAX_DIRS 8
#define RT_MAX_DAEMONS 4
#define RT_MAX_CG 8
static struct rt_dirent {
	bool used;
	char path[64];
	time_t t0;            /* made at */
	bool had_run_dirs[2]; /* /run/containerd, /run/docker existed */
	struct {
		pid_t pid;
		int term_ms;
	} daemons[RT_MAX_DAEMONS];
	char cg[RT_MAX_CG][64];
} dirs[RT_MAX_DIRS];

/* What the engines make outside their configured dirs (hardcoded there):
 * containerd's shims put their sockets in /run/containerd/s, dockerd makes
 * /run/docker/plugins. Removed when empty, if they were not there before. */
static const char *const run_dirs[2][3] = {
	{ "/run/containerd", "/run/containerd/s", NULL },
	{ "/run/docker", "/run/docker/plugins", NULL },
};

static struct rt_dirent *dir_find(const char *dir)
{
	for (int i = 0; i < RT_MAX_DIRS; i++)
		if (dirs[i].used && !strcmp(dirs[i].path, dir))
			return &dirs[i];
	fail_msg("%s is not a work dir made by rt_dir_make", dir);
	return NULL;
}

void rt_dir_make(char *out, size_t cap)
{
	char tmpl[] = "/tmp/memlog-rt-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	chmod(tmpl, 0755);
	for (int i = 0; i < RT_MAX_DIRS; i++)
		if (!dirs[i].used) {
			memset(&dirs[i], 0, sizeof(dirs[i]));
			dirs[i].used = true;
			snprintf(dirs[i].path, sizeof(dirs[i].path), "%s", tmpl);
			dirs[i].t0 = time(NULL);
			for (int k = 0; k < 2; k++)
				dirs[i].had_run_dirs[k] = access(run_dirs[k][0],
								 F_OK) == 0;
			snprintf(out, cap, "%s", tmpl);
			return;
		}
	h_rmtree(tmpl);
	fail_msg("too many work dirs");
}

void rt_dir_daemon(const char *dir, pid_t pid, int term_ms)
{
	struct rt_dirent *e = dir_find(dir);
	for (int i = 0; i < RT_MAX_DAEMONS; i++)
		if (e->daemons[i].pid <= 0) {
			e->daemons[i].pid = pid;
			e->daemons[i].term_ms = term_ms;
			return;
		}
	fail_msg("too many daemons in %s", dir);
}

void rt_dir_undaemon(const char *dir, pid_t pid)
{
	struct rt_dirent *e = dir_find(dir);
	for (int i = 0; i < RT_MAX_DAEMONS; i++)
		if (e->daemons[i].pid == pid)
			e->daemons[i].pid = 0;
}

void rt_dir_cgroup(const char *dir, const char *cgpath)
{
	struct rt_dirent *e = dir_find(dir);
	for (int i = 0; i < RT_MAX_CG; i++)
		if (!e->cg[i][0]) {
			snprintf(e->cg[i], sizeof(e->cg[i]), "%s", cgpath);
			return;
		}
	fail_msg("too many cgroups in %s", dir);
}

static bool has_prefix_dir(const char *s, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(s, dir, n) && (s[n] == '\0' || s[n] == '/');
}

/* Does process pid name dir in its command line, or have its root, cwd
 * or executable under it? Zombies do not count. */
static bool proc_refers(pid_t pid, const char *dir)
{
	char p[64], buf[16384];

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	char *st = h_read_file(p, NULL);
	if (!st)
		return false;
	char *rp = strrchr(st, ')');
	bool zombie = rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
	free(st);
	if (zombie)
		return false;
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] == '\0')
					buf[i] = ' ';
			buf[n] = '\0';
			if (strstr(buf, dir))
				return true;
		}
	}
	static const char *const links[] = { "root", "cwd", "exe", NULL };
	for (int i = 0; links[i]; i++) {
		snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, links[i]);
		ssize_t n = readlink(p, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			if (has_prefix_dir(buf, dir))
				return true;
		}
	}
	return false;
}

/* Kills (SIGKILL) every process that refers to dir, until none is left
 * (at most a few seconds). Returns how many were killed. */
static int kill_referring(const char *dir)
{
	pid_t killed[256];
	int nk = 0;
	uint64_t deadline = h_now_ms() + 5000;

	for (;;) {
		int found = 0;
		DIR *d = opendir("/proc");
		if (!d)
			return nk;
		struct dirent *e;
		while ((e = readdir(d))) {
			char *end;
			long v = strtol(e->d_name, &end, 10);
			if (*end || v <= 0 || (pid_t)v == getpid())
				continue;
			if (!proc_refers((pid_t)v, dir))
				continue;
			found++;
			kill((pid_t)v, SIGKILL);
			if (nk < 256)
				killed[nk++] = (pid_t)v;
		}
		closedir(d);
		for (int i = 0; i < nk; i++)
			waitpid(killed[i], NULL, WNOHANG);
		if (!found || h_now_ms() > deadline)
			return nk;
		h_sleep_ms(20);
	}
}

static void unescape_mount(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 +
				      (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* Unmounts (lazily, deepest last-mounted first) everything mounted at or
 * under dir. Returns how many. */
static int unmount_under(const char *dir)
{
	int total = 0;

	for (int round = 0; round < 8; round++) {
		char *mi = h_read_file("/proc/self/mountinfo", NULL);
		if (!mi)
			return total;
		char *pts[512];
		int n = 0;
		for (char *save = NULL, *l = strtok_r(mi, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			/* id parent major:minor root mountpoint ... */
			char *f = l;
			for (int k = 0; k < 4 && f; k++) {
				f = strchr(f, ' ');
				if (f)
					f++;
			}
			if (!f)
				continue;
			char *sp = strchr(f, ' ');
			if (sp)
				*sp = '\0';
			unescape_mount(f);
			if (has_prefix_dir(f, dir) && n < 512)
				pts[n++] = f;
		}
		for (int i = n - 1; i >= 0; i--)
			if (umount2(pts[i], MNT_DETACH) == 0)
				total++;
		free(mi);
		if (n == 0)
			break;
	}
	return total;
}

/* Calls fn on the cgroup dir cg (relative) of every hierarchy: the v2
 * root, or each v1 controller mount. */
static void each_hierarchy(const char *cg, void (*fn)(const char *, void *),
			   void *arg)
{
	char p[1024];
	struct stat sb;

	while (*cg == '/')
		cg++;
	if (!*cg || strstr(cg, ".."))
		return;
	if (stat("/sys/fs/cgroup/cgroup.controllers", &sb) == 0) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s", cg);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			fn(p, arg);
		return;
	}
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s", e->d_name, cg);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			fn(p, arg);
	}
	closedir(d);
}

/* SIGKILLs every process in the cgroup tree at path; counts them. */
static void kill_tree(const char *path, void *arg)
{
	int *n = arg;
	char p[1100];

	snprintf(p, sizeof(p), "%s/cgroup.procs", path);
	char *procs = h_read_file(p, NULL);
	for (char *save = NULL, *l = procs ? strtok_r(procs, "\n", &save) : NULL;
	     l; l = strtok_r(NULL, "\n", &save)) {
		long v = strtol(l, NULL, 10);
		if (v > 0 && (pid_t)v != getpid() && kill((pid_t)v, SIGKILL) == 0)
			(*n)++;
	}
	free(procs);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") ||
		    !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		kill_tree(p, arg);
	}
	closedir(d);
}

/* Kills what runs in the cgroups registered for e (the containers, also
 * those whose engine is gone), until they are empty (at most 5 s). */
static int kill_cgroups(const char cgs[][64], int ncg)
{
	int total = 0;
	uint64_t deadline = h_now_ms() + 5000;
	for (;;) {
		int n = 0;
		for (int i = 0; i < ncg; i++)
			if (cgs[i][0])
				each_hierarchy(cgs[i], kill_tree, &n);
		total += n;
		if (!n || h_now_ms() > deadline)
			return total;
		h_sleep_ms(20);
	}
}

static void rmdir_cgroup_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") ||
		    !strcmp(e->d_name, ".."))
			continue;
		char sub[1024];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rmdir_cgroup_tree(sub);
	}
	closedir(d);
	for (int i = 0; i < 50 && rmdir(path) < 0 && errno == EBUSY; i++)
		h_sleep_ms(20);
}

static void rmdir_tree_cb(const char *path, void *arg)
{
	(void)arg;
	rmdir_cgroup_tree(path);
}

static void remove_cgroup(const char *cg)
{
	each_hierarchy(cg, rmdir_tree_cb, NULL);
}

/* A shim killed by cleanup leaves its socket in /run/containerd/s (named
 * by a hash of containerd's address, namespace and id): sockets made since
 * t0 that nobody serves any more are removed. */
static void remove_dead_shim_sockets(time_t t0)
{
	const char *sdir = "/run/containerd/s";
	DIR *d = opendir(sdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[512];
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", sdir, e->d_name);
		if (lstat(p, &sb) < 0 || !S_ISSOCK(sb.st_mode) ||
		    sb.st_mtime < t0 - 1)
			continue;
		int fd = h_connect_try(p);
		if (fd == -ECONNREFUSED)
			unlink(p);
		else if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

static void stop_daemon(pid_t pid, int term_ms)
{
	if (pid <= 0)
		return;
	if (kill(pid, SIGTERM) < 0)
		return;
	uint64_t deadline = h_now_ms() + (uint64_t)term_ms;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno == ECHILD && kill(pid, 0) < 0)
			break;
		if (h_now_ms() >= deadline) {
			print_message("# pid %d did not stop within %d ms of "
				      "SIGTERM; killing it\n", (int)pid, term_ms);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		h_sleep_ms(20);
	}
	h_untrack_pid(pid);
}

static void cleanup_entry(struct rt_dirent *e)
{
	/* Containers first: a container outlives its engine (containerd's
	 * shims are not its children), and dockerd would wait for them. */
	int c = kill_cgroups(e->cg, RT_MAX_CG);
	if (c)
		print_message("# cleanup of %s: killed what ran in its "
			      "containers' cgroups\n", e->path);
	/* Daemons in reverse order of start (dockerd before its containerd). */
	for (int i = RT_MAX_DAEMONS - 1; i >= 0; i--) {
		stop_daemon(e->daemons[i].pid, e->daemons[i].term_ms);
		e->daemons[i].pid = 0;
	}
	int k = kill_referring(e->path);
	if (k)
		print_message("# cleanup of %s: killed %d leftover process(es)\n",
			      e->path, k);
	kill_cgroups(e->cg, RT_MAX_CG);
	int u = unmount_under(e->path);
	if (u)
		print_message("# cleanup of %s: unmounted %d leftover mount(s)\n",
			      e->path, u);
	for (int i = 0; i < RT_MAX_CG; i++)
		if (e->cg[i][0])
			remove_cgroup(e->cg[i]);
	remove_dead_shim_sockets(e->t0);
	for (int r = 0; r < 2; r++)
		if (!e->had_run_dirs[r]) {
			rmdir(run_dirs[r][1]); /* fails unless empty */
			rmdir(run_dirs[r][0]);
		}
	h_rmtree(e->path);
	memset(e, 0, sizeof(*e));
}

void rt_dir_cleanup(const char *dir)
{
	cleanup_entry(dir_find(dir));
}

int rt_teardown(void **state)
{
	for (int i = 0; i < RT_MAX_DIRS; i++)
		if (dirs[i].used)
			cleanup_entry(&dirs[i]);
	return h_teardown(state);
}

__attribute__((destructor)) static void rt_atexit(void)
{
	for (int i = 0; i < RT_MAX_DIRS; i++)
		if (dirs[i].used)
			cleanup_entry(&dirs[i]);
}

/* ---- processes ---- */

static pid_t start_drain(int rfd, const char *file, const struct rt_drain *o)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	int f = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (f < 0 || dup2(rfd, 0) < 0 || dup2(f, 1) < 0)
		_exit(120);
	h_child_close_from(3);
	signal(SIGALRM, SIG_DFL);
	size_t chunk = o && o->chunk ? o->chunk : 65536;
	char *buf = malloc(chunk);
	if (!buf)
		_exit(121);
	for (;;) {
		ssize_t r = read(0, buf, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(1, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(122);
			off += w;
		}
		if (o && o->delay_us)
			usleep(o->delay_us);
	}
	_exit(0);
}

pid_t rt_drain_start(int rfd, const char *file, const struct rt_drain *o)
{
	pid_t pid = start_drain(rfd, file, o);

	h_track_pid(pid);
	return pid;
}

void rt_proc_start(struct rt_proc *p, const char *const *argv,
		   const char *const *env, const char *outfile,
		   const char *errfile, const struct rt_drain *drains)
{
	int op[2], ep[2];

	memset(p, 0, sizeof(*p));
	snprintf(p->errfile, sizeof(p->errfile), "%s", errfile);
	assert_int_equal(pipe2(op, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
	p->drain[0] = start_drain(op[0], outfile, drains ? &drains[0] : NULL);
	h_track_pid(p->drain[0]);
	p->drain[1] = start_drain(ep[0], errfile, drains ? &drains[1] : NULL);
	h_track_pid(p->drain[1]);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(op[1], 1) < 0 ||
		    dup2(ep[1], 2) < 0)
			_exit(120);
		h_child_close_from(3);
		h_child_env(env);
		h_child_signals();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(p->pid);
	close(op[0]);
	close(op[1]);
	close(ep[0]);
	close(ep[1]);
}

bool rt_proc_exited(struct rt_proc *p)
{
	if (p->done)
		return true;
	int st;
	if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
		p->done = true;
		p->status = st;
		h_untrack_pid(p->pid);
	}
	return p->done;
}

int rt_proc_wait(struct rt_proc *p, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	if (!p->done) {
		p->status = h_wait_pid(p->pid, timeout_ms);
		p->done = true;
		h_untrack_pid(p->pid);
	}
	for (int i = 0; i < 2; i++) {
		if (p->drain[i] <= 0)
			continue;
		uint64_t now = h_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 1;
		int st = h_wait_pid(p->drain[i], left < 1000 ? 1000 : left);
		h_untrack_pid(p->drain[i]);
		p->drain[i] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("the output drain failed (status 0x%x)", st);
	}
	return p->status;
}

void rt_proc_kill(struct rt_proc *p)
{
	if (!p->done && p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->done = true;
		h_untrack_pid(p->pid);
	}
	for (int i = 0; i < 2; i++)
		if (p->drain[i] > 0) {
			kill(p->drain[i], SIGKILL);
			waitpid(p->drain[i], NULL, 0);
			h_untrack_pid(p->drain[i]);
			p->drain[i] = 0;
		}
}

/* argv of pid, NUL-separated; returns its length (0 if unreadable). */
static size_t read_cmdline(pid_t pid, char *buf, size_t cap)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

pid_t rt_wait_shell(const char *token, int timeout_ms, struct rt_proc *engine)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	char buf[16384];

	for (;;) {
		DIR *d = opendir("/proc");
		assert_non_null(d);
		struct dirent *e;
		pid_t found = 0;
		while (!found && (e = readdir(d))) {
			char *end;
			long v = strtol(e->d_name, &end, 10);
			if (*end || v <= 0)
				continue;
			size_t n = read_cmdline((pid_t)v, buf, sizeof(buf));
			if (!n)
				continue;
			const char *a0 = buf;
			size_t l0 = strlen(a0);
			if (l0 + 1 >= n)
				continue;
			const char *a1 = a0 + l0 + 1;
			size_t l1 = strlen(a1);
			if (l0 + l1 + 2 >= n)
				continue;
			const char *a2 = a1 + l1 + 1;
			const char *base = strrchr(a0, '/');
			base = base ? base + 1 : a0;
			if (!strcmp(base, "sh") && !strcmp(a1, "-c") &&
			    strstr(a2, token))
				found = (pid_t)v;
		}
		closedir(d);
		if (found)
			return found;
		if (engine && rt_proc_exited(engine)) {
			char *es = h_read_file(engine->errfile, NULL);
			print_message("# %s:\n%.6000s\n", engine->errfile,
				      es ? es : "");
			free(es);
			fail_msg("the engine exited (status 0x%x) before a "
				 "container shell with \"%s\" appeared",
				 engine->status, token);
		}
		if (h_now_ms() >= deadline)
			fail_msg("no container shell with \"%s\" appeared within "
				 "%d ms", token, timeout_ms);
		h_sleep_ms(20);
	}
}

void rt_release(pid_t pid)
{
	char p[128];
	snprintf(p, sizeof(p), "/proc/%d/root/tmp/go", (int)pid);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("create %s: %s", p, strerror(errno));
	close(fd);
}

static char *trimmed_file(const char *path)
{
	char *s = h_read_file(path, NULL);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

char *rt_pids_max(pid_t pid)
{
	char p[64], path[1100], tried[4096] = "";
	size_t tl = 0;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	char *cg = h_read_file(p, NULL);
	if (!cg) {
		print_message("# cannot read %s\n", p);
		return NULL;
	}
	char *result = NULL;
	/* v1: "N:pids:/path" (or pids with other controllers) first. */
	for (int pass = 0; pass < 2 && !result; pass++) {
		char *copy = strdup(cg);
		for (char *save = NULL, *l = strtok_r(copy, "\n", &save);
		     l && !result; l = strtok_r(NULL, "\n", &save)) {
			char *c1 = strchr(l, ':');
			char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (!c2)
				continue;
			*c2 = '\0';
			const char *ctrls = c1 + 1, *cpath = c2 + 1;
			const char *cands[3] = { NULL, NULL, NULL };
			char a[1024], b[1024];
			if (pass == 0) {
				char cl[256];
				snprintf(cl, sizeof(cl), ",%s,", ctrls);
				if (!strstr(cl, ",pids,"))
					continue;
				snprintf(a, sizeof(a), "/sys/fs/cgroup/pids%s",
					 cpath);
				snprintf(b, sizeof(b), "/sys/fs/cgroup/%s%s", ctrls,
					 cpath);
				cands[0] = a;
				cands[1] = b;
			} else {
				if (*ctrls || strncmp(l, "0", 1))
					continue;
				snprintf(a, sizeof(a), "/sys/fs/cgroup%s", cpath);
				snprintf(b, sizeof(b), "/sys/fs/cgroup/unified%s",
					 cpath);
				cands[0] = a;
				cands[1] = b;
			}
			for (int i = 0; cands[i] && !result; i++) {
				snprintf(path, sizeof(path), "%s/pids.max",
					 cands[i]);
				result = trimmed_file(path);
				if (!result && tl < sizeof(tried) - 1)
					tl += (size_t)snprintf(tried + tl,
							       sizeof(tried) - tl,
							       " %s", path);
			}
		}
		free(copy);
	}
	if (!result)
		print_message("# no pids.max for pid %d; /proc/%d/cgroup:\n%s"
			      "# tried:%s\n", (int)pid, (int)pid, cg, tried);
	free(cg);
	return result;
}

/* ---- rootfs, bundles, image ---- */

static void mkdirs(const char *base, const char *const *names)
{
	char p[1024];
	for (; *names; names++) {
		snprintf(p, sizeof(p), "%s/%s", base, *names);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
	}
}

void rt_rootfs(const char *rootfs)
{
	static const char *const ds[] = { "", "bin", "etc", "proc", "sys",
					  "dev", "tmp", "root", NULL };
	static const char *const applets[] = { "sh", "cat", "echo", "sleep",
					       "seq", "yes", "head", "ls", "true",
					       "false", "kill", "ps", "env", "id",
					       NULL };
	char p[1024];
	size_t len;

	mkdirs(rootfs, ds);
	snprintf(p, sizeof(p), "%s/tmp", rootfs);
	chmod(p, 01777);
	const char *bb = rt_busybox();
	char *bin = h_read_file(bb, &len);
	assert_non_null(bin);
	snprintf(p, sizeof(p), "%s/bin/busybox", rootfs);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	h_write_all(fd, bin, len);
	close(fd);
	free(bin);
	for (int i = 0; applets[i]; i++) {
		snprintf(p, sizeof(p), "%s/bin/%s", rootfs, applets[i]);
		if (symlink("busybox", p) < 0)
			fail_msg("symlink %s: %s", p, strerror(errno));
	}
	snprintf(p, sizeof(p), "%s/etc/passwd", rootfs);
	h_write_file(p, "root:x:0:0:root:/root:/bin/sh\n", 0644);
	snprintf(p, sizeof(p), "%s/etc/group", rootfs);
	h_write_file(p, "root:x:0:\n", 0644);
}

void rt_bundle(const char *runc, const char *dir, const char *const *args,
	       const char *const *annotations, long pids_limit)
{
	char p[1024];
	char *out = NULL, *err = NULL;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	rt_rootfs(p);
	const char *sa[] = { runc, "spec", "--bundle", dir, NULL };
	int st = h_run(sa, NULL, 10000, &out, &err);
	h_expect_exit(st, 0, "runc spec", err);
	free(out);
	free(err);
	snprintf(p, sizeof(p), "%s/config.json", dir);
	json_error_t je;
	json_t *c = json_load_file(p, 0, &je);
	if (!c)
		fail_msg("%s: %s", p, je.text);
	json_t *proc = json_object_get(c, "process");
	assert_non_null(proc);
	json_object_set_new(proc, "terminal", json_false());
	json_t *a = json_array();
	for (; *args; args++)
		json_array_append_new(a, json_string(*args));
	json_object_set_new(proc, "args", a);
	json_t *root = json_object_get(c, "root");
	if (root)
		json_object_set_new(root, "readonly", json_false());
	if (annotations && *annotations) {
		json_t *an = json_object();
		for (; annotations[0] && annotations[1]; annotations += 2)
			json_object_set_new(an, annotations[0],
					    json_string(annotations[1]));
		json_object_set_new(c, "annotations", an);
	}
	json_t *lin = json_object_get(c, "linux");
	assert_non_null(lin);
	json_t *res = json_object_get(lin, "resources");
	if (!res) {
		res = json_object();
		json_object_set_new(lin, "resources", res);
	}
	json_object_del(res, "pids");
	if (pids_limit > 0) {
		json_t *pl = json_object();
		json_object_set_new(pl, "limit", json_integer(pids_limit));
		json_object_set_new(res, "pids", pl);
	}
	if (json_dump_file(c, p, JSON_INDENT(2)) < 0)
		fail_msg("write %s", p);
	json_decref(c);
}

static bool image_script(char *out, size_t cap)
{
	snprintf(out, cap, "tests/tools/busybox-image.sh");
	if (access(out, R_OK) == 0)
		return true;
	char f[1024];
	snprintf(f, sizeof(f), "%s", __FILE__);
	snprintf(out, cap, "%s/../tools/busybox-image.sh", dirname(f));
	return access(out, R_OK) == 0;
}

void rt_image(const char *out, const char *tag)
{
	char script[1200];
	char *o = NULL, *e = NULL;

	if (!image_script(script, sizeof(script)))
		fail_msg("tests/tools/busybox-image.sh not found (run from the "
			 "source tree)");
	const char *argv[] = { "/bin/sh", script, out, tag, rt_busybox(), NULL };
	int st = h_run(argv, NULL, 30000, &o, &e);
	h_expect_exit(st, 0, "busybox-image.sh", e);
	free(o);
	free(e);
}

/* ---- daemons ---- */

static pid_t spawn_env(const char *const *argv, const char *const *env,
		       const char *errfile)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int err = open(errfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (devnull < 0 || err < 0)
			_exit(120);
		dup2(devnull, 0);
		dup2(err, 1);
		dup2(err, 2);
		h_child_close_from(3);
		h_child_env(env);
		h_child_signals();
		setsid();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	h_track_pid(pid);
	return pid;
}

static void print_tail(const char *file, size_t max)
{
	size_t len;
	char *s = h_read_file(file, &len);
	if (!s)
		return;
	print_message("# %s (last %zu bytes):\n%s\n", file, max,
		      len > max ? s + len - max : s);
	free(s);
}

/* Polls a client command until it exits 0, while the daemon runs. */
static void wait_answer(pid_t daemon, const char *name, const char *log,
			const char *const *argv, const char *const *env,
			int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		int st;
		if (waitpid(daemon, &st, WNOHANG) == daemon) {
			h_untrack_pid(daemon);
			print_tail(log, 6000);
			fail_msg("%s exited while starting (status 0x%x)", name, st);
		}
		char *e = NULL;
		st = h_run(argv, env, 10000, NULL, &e);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			free(e);
			return;
		}
		if (h_now_ms() >= deadline) {
			print_message("# last client error: %s\n", e ? e : "");
			free(e);
			print_tail(log, 6000);
			fail_msg("%s did not answer within %d ms", name,
				 timeout_ms);
		}
		free(e);
		h_sleep_ms(100);
	}
}

/* PATH=$PATH plus the sbin and bin dirs (the engines look up runc and
 * the shims there). */
static void path_env(char *out, size_t cap)
{
	const char *path = getenv("PATH");
	snprintf(out, cap, "PATH=%s:/usr/local/sbin:/usr/local/bin:"
		 "/usr/sbin:/usr/bin:/sbin:/bin", path ? path : "");
}

void rt_ctr_argv(const struct rt_containerd *c, const char **argv, int cap,
		 const char *const *args)
{
	int n = 0;
	argv[n++] = c->ctr;
	argv[n++] = "-a";
	argv[n++] = c->sock;
	argv[n++] = "-n";
	argv[n++] = c->ns;
	for (; args && *args && n < cap - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
}

static const char *const ctr_env[] = { "CONTAINERD_SNAPSHOTTER=native", NULL };

int rt_ctr(const struct rt_containerd *c, const char *const *args,
	   int timeout_ms, char **out, char **err)
{
	const char *argv[64];
	rt_ctr_argv(c, argv, 64, args);
	return h_run(argv, ctr_env, timeout_ms, out, err);
}

void rt_containerd_start(struct rt_containerd *c, const char *dir,
			 const char *const *env)
{
	char cfg[1200], log[300], text[4096], sh[256], pathkv[4096];
	const char *envv[32];
	int ne = 0;

	memset(c, 0, sizeof(*c));
	rt_need_prog("containerd", "containerd", c->bin, sizeof(c->bin));
	rt_need_prog("ctr", "containerd", c->ctr, sizeof(c->ctr));
	rt_need_prog("containerd-shim-runc-v2", "containerd", sh, sizeof(sh));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->sock, sizeof(c->sock), "%s/ctd.sock", dir);
	h_token(c->ns, sizeof(c->ns), "memlogrt", 8);
	rt_dir_cgroup(dir, c->ns);
	snprintf(cfg, sizeof(cfg), "%s/containerd.toml", dir);
	snprintf(log, sizeof(log), "%s/containerd.log", dir);
	snprintf(text, sizeof(text),
		 "version = 2\n"
		 "root = \"%s/ctd-root\"\n"
		 "state = \"%s/ctd-state\"\n"
		 "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
		 "\"io.containerd.snapshotter.v1.aufs\", "
		 "\"io.containerd.snapshotter.v1.btrfs\", "
		 "\"io.containerd.snapshotter.v1.devmapper\", "
		 "\"io.containerd.snapshotter.v1.zfs\", "
		 "\"io.containerd.tracing.processor.v1.otlp\", "
		 "\"io.containerd.internal.v1.tracing\"]\n"
		 "[grpc]\n  address = \"%s\"\n"
		 "[ttrpc]\n  address = \"%s.ttrpc\"\n"
		 "[debug]\n  level = \"info\"\n"
		 "[metrics]\n  address = \"\"\n"
		 "[plugins]\n"
		 "  [plugins.\"io.containerd.internal.v1.opt\"]\n"
		 "    path = \"%s/ctd-opt\"\n",
		 dir, dir, c->sock, c->sock, dir);
	h_write_file(cfg, text, 0644);
	path_env(pathkv, sizeof(pathkv));
	envv[ne++] = pathkv;
	for (; env && *env && ne < 31; env++)
		envv[ne++] = *env;
	envv[ne] = NULL;
	const char *argv[] = { c->bin, "--config", cfg, NULL };
	c->pid = spawn_env(argv, envv, log);
	rt_dir_daemon(dir, c->pid, 10000);
	const char *va[] = { "version", NULL };
	const char *vargv[16];
	rt_ctr_argv(c, vargv, 16, va);
	wait_answer(c->pid, "containerd", log, vargv, ctr_env, 20000);
}

void rt_containerd_stop(struct rt_containerd *c)
{
	if (c->pid <= 0)
		return;
	stop_daemon(c->pid, 10000);
	rt_dir_undaemon(c->dir, c->pid);
	c->pid = 0;
}

void rt_docker_argv(const struct rt_dockerd *d, const char **argv, int cap,
		    const char *const *args)
{
	int n = 0;
	argv[n++] = d->docker;
	argv[n++] = "--host";
	argv[n++] = d->host;
	for (; args && *args && n < cap - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
}

int rt_docker(const struct rt_dockerd *d, const char *const *args,
	      int timeout_ms, char **out, char **err)
{
	const char *argv[64];
	char cfg[300];
	snprintf(cfg, sizeof(cfg), "DOCKER_CONFIG=%s/docker-cli", d->dir);
	const char *env[] = { cfg, NULL };
	rt_docker_argv(d, argv, 64, args);
	return h_run(argv, env, timeout_ms, out, err);
}

void rt_dockerd_start(struct rt_dockerd *d, const char *dir,
		      const char *daemon_json, const char *containerd)
{
	char a[7][400], log[300], cfg[300], pathkv[4096], ccfg[300];

	memset(d, 0, sizeof(*d));
	rt_need_prog("dockerd", "docker.io", d->bin, sizeof(d->bin));
	if (access("/usr/bin/docker", X_OK) == 0)
		snprintf(d->docker, sizeof(d->docker), "/usr/bin/docker");
	else
		rt_need_prog("docker", "docker.io", d->docker,
			     sizeof(d->docker));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->sock, sizeof(d->sock), "%s/d.sock", dir);
	snprintf(d->host, sizeof(d->host), "unix://%s", d->sock);
	h_token(d->cgparent, sizeof(d->cgparent), "memlogrt", 8);
	rt_dir_cgroup(dir, d->cgparent);
	snprintf(log, sizeof(log), "%s/dockerd.log", dir);
	if (daemon_json) {
		snprintf(cfg, sizeof(cfg), "%s", daemon_json);
	} else {
		snprintf(cfg, sizeof(cfg), "%s/daemon.json", dir);
		char t[600];
		snprintf(t, sizeof(t), "{\"deprecated-key-path\": \"%s/key.json\"}\n",
			 dir);
		h_write_file(cfg, t, 0644);
	}
	snprintf(a[0], sizeof(a[0]), "--data-root=%s/data", dir);
	snprintf(a[1], sizeof(a[1]), "--exec-root=%s/exec", dir);
	snprintf(a[2], sizeof(a[2]), "--host=%s", d->host);
	snprintf(a[3], sizeof(a[3]), "--pidfile=%s/dockerd.pid", dir);
	snprintf(a[4], sizeof(a[4]), "--config-file=%s", cfg);
	snprintf(a[5], sizeof(a[5]), "--cgroup-parent=/%s", d->cgparent);
	if (containerd)
		snprintf(a[6], sizeof(a[6]), "--containerd=%s", containerd);
	else
		snprintf(a[6], sizeof(a[6]), "--log-level=info");
	snprintf(ccfg, sizeof(ccfg), "DOCKER_CONFIG=%s/docker-cli", dir);
	path_env(pathkv, sizeof(pathkv));
	const char *argv[] = { d->bin, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
			       "--iptables=false", "--ip6tables=false",
			       "--ip-forward=false", "--ip-masq=false",
			       "--bridge=none", "--storage-driver=vfs",
			       "--exec-opt=native.cgroupdriver=cgroupfs",
			       "--userland-proxy=false", NULL };
	const char *env[] = { pathkv, ccfg, NULL };
	d->pid = spawn_env(argv, env, log);
	rt_dir_daemon(dir, d->pid, 20000);
	const char *va[] = { "version", NULL };
	const char *vargv[16];
	rt_docker_argv(d, vargv, 16, va);
	const char *venv[] = { ccfg, NULL };
	wait_answer(d->pid, "dockerd", log, vargv, venv, 30000);
}

void rt_dockerd_stop(struct rt_dockerd *d)
{
	if (d->pid <= 0)
		return;
	stop_daemon(d->pid, 20000);
	rt_dir_undaemon(d->dir, d->pid);
	d->pid = 0;
}
