/* memlog-runc with the real container engines (issue 6): `runc run` of a
 * busybox bundle, containerd with `ctr run --runc-binary`, dockerd with a
 * "runtimes" entry. Each engine is started by the test itself in a private
 * work dir (rt_engine.h), with no network (runc's own network namespace,
 * `--network none`, no bridge, no iptables), and everything is stopped,
 * unmounted and removed at the end, also when a test fails.
 *
 * For each engine: the container's lines reach memlogd under NAME.out
 * (stdout) and NAME (stderr) while it runs; the engine's own view (runc's
 * stdout/stderr, ctr run's output, `docker logs`) has the same lines; the
 * exit status (7) is unchanged; and pids.max of the container's cgroup is
 * memlog-runc's default (123), or the engine's own limit where it set one.
 * Then, with runc: 200,000 lines through an engine pipe slower than the
 * container reach both sides in order; and a stalled engine pipe of one
 * container plus a stopped, killed and restarted logread -F never hold up
 * another container or source (and the stalled one is held back, not read
 * ahead by memlogd).
 *
 * The image (docker-archive, for `docker load` and `ctr image import`) is
 * built by tests/tools/busybox-image.sh from the host's busybox: no
 * network is needed.
 *
 * Until build/memlog-runc exists, each test runs its engine with plain runc
 * (checking the engine side and the infrastructure) and then skips with the
 * reason. Root, runc, containerd, docker.io and busybox-static are needed
 * (scripts/deps installs them); a missing one is a skip with the reason. */
#include "harness.h"
#include "rt_engine.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMAGE "memlog-busybox:test"
#define IMAGE_REF "docker.io/library/" IMAGE
#define PIDS_DEFAULT "123"
#define RUN_TIMEOUT_MS 60000

/* ---- helpers ---- */

/* The absolute path of the memlog-runc under test, or false. */
static bool memlog_runc(char *out, size_t cap)
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

static void skip_without_memlog_runc(const char *what)
{
	print_message("# %s/memlog-runc is not built: %s passed with plain "
		      "runc; the memlogd side is not tested; skipping\n",
		      h_build(), what);
	skip();
}

static void common_needs(char *runc, size_t cap)
{
	h_need_root("containers need root");
	rt_need_prog("runc", "runc", runc, cap);
	(void)rt_busybox();
}

/* The container's shell script: two lines on each stream, then (after
 * the host checked the running container) one more on stdout, exit 7. */
static void script(char *out, size_t cap, const char *tok)
{
	snprintf(out, cap,
		 ": %s; echo %s-out-1; echo %s-err-1 >&2; echo %s-out-2; "
		 "echo %s-err-2 >&2; " RT_WAIT_GO "; echo %s-out-3; exit 7",
		 tok, tok, tok, tok, tok, tok);
}

static void expected(char *out, size_t ocap, char *err, size_t ecap,
		     const char *tok)
{
	snprintf(out, ocap, "%s-out-1\n%s-out-2\n%s-out-3\n", tok, tok, tok);
	snprintf(err, ecap, "%s-err-1\n%s-err-2\n", tok, tok);
}

/* Waits until source name has n entries, then asserts they are exactly
 * msgs[0..n-1], in order, all of that stream. */
static void expect_source(const struct mld *m, const char *name,
			  const char *stream, const char *const *msgs, size_t n)
{
	char req[300];
	uint64_t deadline = h_now_ms() + 15000;

	snprintf(req, sizeof(req), "dump source=%s\n", name);
	for (;;) {
		json_t *a = h_dump(m, req);
		if (json_array_size(a) >= n) {
			bool ok = json_array_size(a) == n;
			for (size_t i = 0; ok && i < n; i++) {
				json_t *e = json_array_get(a, i);
				ok = !strcmp(h_jstr(e, "msg"), msgs[i]) &&
				     !strcmp(h_jstr(e, "stream"), stream) &&
				     !h_jbool(e, "partial");
			}
			if (!ok) {
				h_print_entries(a);
				fail_msg("source %s: want exactly %zu entries "
					 "(stream %s), starting \"%s\"", name, n,
					 stream, msgs[0]);
			}
			json_decref(a);
			return;
		}
		if (h_now_ms() >= deadline) {
			json_t *all = h_dump(m, "dump\n");
			print_message("# the ring holds:\n");
			h_print_entries(all);
			json_decref(all);
			char *e = mld_stderr(m);
			print_message("# memlogd stderr: %s\n", e);
			free(e);
			fail_msg("source %s has %zu entries, want %zu",
				 name, json_array_size(a), n);
		}
		json_decref(a);
		h_sleep_ms(20);
	}
}

/* The memlogd side of script(): the first two lines of each stream while
 * the container runs (upto 2), or all of them after (upto 3). */
static void expect_lines(const struct mld *m, const char *name,
			 const char *tok, int upto)
{
	char o[3][96], e[2][96], src[128];
	const char *op[3], *ep[2];

	for (int i = 0; i < 3; i++) {
		snprintf(o[i], sizeof(o[i]), "%s-out-%d", tok, i + 1);
		op[i] = o[i];
	}
	for (int i = 0; i < 2; i++) {
		snprintf(e[i], sizeof(e[i]), "%s-err-%d", tok, i + 1);
		ep[i] = e[i];
	}
	snprintf(src, sizeof(src), "%s.out", name);
	expect_source(m, src, "stdout", op, (size_t)upto);
	expect_source(m, name, "stderr", ep, 2);
}

/* While the container waits: its pids.max as the host sees it; want NULL:
 * only print it. */
static void expect_pids_max(pid_t shell, const char *want, const char *what)
{
	char *pm = rt_pids_max(shell);
	if (!pm) {
		fail_msg("%s: the container's pids.max was not found", what);
		return;
	}
	print_message("# %s: pids.max %s\n", what, pm);
	if (want && strcmp(pm, want) != 0)
		fail_msg("%s: pids.max is %s, want %s", what, pm, want);
	free(pm);
}

static void expect_text(const char *what, const char *got, const char *want)
{
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s:\n--- got ---\n%s--- want ---\n%s", what,
			 got ? got : "(nothing)\n", want);
}

static char *file_in(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	char *s = h_read_file(p, NULL);
	return s ? s : strdup("");
}

static void start_memlogd(struct mld *m, const char *bufsize)
{
	const char *args[] = { "--buffer-size", bufsize, NULL };
	struct mld_opts o = { .args = args };
	mld_start(m, &o);
}

/* argv for `runc run` of bundle as id, through memlog-runc when mr. */
static void runc_run_argv(const char **argv, const char *mr, const char *runc,
			  const struct mld *m, const char *root,
			  const char *bundle, const char *id)
{
	int n = 0;
	if (mr) {
		argv[n++] = mr;
		argv[n++] = "--memlog-socket";
		argv[n++] = m->log;
		argv[n++] = "--memlog-pids-limit";
		argv[n++] = PIDS_DEFAULT;
		argv[n++] = "--memlog-runtime";
		argv[n++] = runc;
	} else {
		argv[n++] = runc;
	}
	argv[n++] = "--root";
	argv[n++] = root;
	argv[n++] = "run";
	argv[n++] = "--bundle";
	argv[n++] = bundle;
	argv[n++] = id;
	argv[n] = NULL;
}

/* ---- runc ---- */

/* `runc run` of a busybox bundle without a terminal, through memlog-runc
 * (its settings as global options); the bundle sets no PID limit. NAME is
 * the container id (11 characters). */
static void test_runc_run(void **state)
{
	char runc[256], mr[PATH_MAX], w[64], bundle[128], root[128], id[32];
	char sc[512], wo[256], we[256], of[128], ef[128];
	struct mld m = { 0 };
	struct rt_proc p;
	const char *argv[24];
	(void)state;

	common_needs(runc, sizeof(runc));
	bool use_mr = memlog_runc(mr, sizeof(mr));
	rt_dir_make(w, sizeof(w));
	start_memlogd(&m, "4M");
	h_token(id, sizeof(id), "mlr", 8);
	rt_dir_cgroup(w, id);
	script(sc, sizeof(sc), id);
	snprintf(bundle, sizeof(bundle), "%s/bundle", w);
	snprintf(root, sizeof(root), "%s/runc", w);
	const char *args[] = { "sh", "-c", sc, NULL };
	rt_bundle(runc, bundle, args, NULL, 0);
	runc_run_argv(argv, use_mr ? mr : NULL, runc, &m, root, bundle, id);
	snprintf(of, sizeof(of), "%s/run.out", w);
	snprintf(ef, sizeof(ef), "%s/run.err", w);
	rt_proc_start(&p, argv, NULL, of, ef, NULL);

	pid_t sh = rt_wait_shell(id, 20000, &p);
	if (use_mr)
		expect_lines(&m, id, id, 2);
	expect_pids_max(sh, use_mr ? PIDS_DEFAULT : NULL, "runc run");
	rt_release(sh);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *out = file_in(w, "run.out"), *err = file_in(w, "run.err");
	h_expect_exit(st, 7, "runc run", err);
	expected(wo, sizeof(wo), we, sizeof(we), id);
	expect_text("runc run's stdout", out, wo);
	expect_text("runc run's stderr", err, we);
	free(out);
	free(err);
	if (use_mr)
		expect_lines(&m, id, id, 3);
	rt_dir_cleanup(w);
	mld_stop(&m);
	if (!use_mr)
		skip_without_memlog_runc("runc run");
}

/* ---- containerd ---- */

/* containerd started by the test; `ctr run --runc-binary memlog-runc`.
 * --runc-binary takes no arguments: memlog-runc's settings come from
 * MEMLOG_RUNC_CONFIG in containerd's environment, which the shim passes on
 * to the runtime. NAME is the container id. A second container with
 * --annotation memlog.pids-limit=unlimited gets no default PID limit. */
static void test_containerd_ctr_run(void **state)
{
	char runc[256], mr[PATH_MAX], w[64], id[32], sc[512], wo[256], we[256];
	char img[128], cfgp[128], cfg[512], envkv[160], rr[128], ff[128];
	char of[128], ef[128];
	struct mld m = { 0 };
	struct rt_containerd c;
	struct rt_proc p;
	char *out = NULL, *err = NULL;
	(void)state;

	common_needs(runc, sizeof(runc));
	bool use_mr = memlog_runc(mr, sizeof(mr));
	rt_dir_make(w, sizeof(w));
	start_memlogd(&m, "4M");
	snprintf(cfgp, sizeof(cfgp), "%s/memlog-runc.json", w);
	snprintf(cfg, sizeof(cfg), "{\"socket\": \"%s\", \"pids_limit\": %s}\n",
		 m.log, PIDS_DEFAULT);
	h_write_file(cfgp, cfg, 0644);
	snprintf(envkv, sizeof(envkv), "MEMLOG_RUNC_CONFIG=%s", cfgp);
	const char *env[] = { envkv, NULL };
	rt_containerd_start(&c, w, env);

	snprintf(img, sizeof(img), "%s/image.tar", w);
	rt_image(img, IMAGE);
	const char *ia[] = { "image", "import", "--snapshotter", "native", img,
			     NULL };
	int st = rt_ctr(&c, ia, 60000, &out, &err);
	h_expect_exit(st, 0, "ctr image import", err);
	free(out);
	free(err);

	h_token(id, sizeof(id), "mlc", 8);
	script(sc, sizeof(sc), id);
	snprintf(rr, sizeof(rr), "%s/ctr-runc", w);
	snprintf(ff, sizeof(ff), "%s/ctr-fifo", w);
	const char *ra[] = { "run", "--rm", "--snapshotter", "native",
			     "--runc-binary", use_mr ? mr : runc, "--runc-root",
			     rr, "--fifo-dir", ff, IMAGE_REF, id, "sh", "-c", sc,
			     NULL };
	const char *argv[40];
	rt_ctr_argv(&c, argv, 40, ra);
	snprintf(of, sizeof(of), "%s/ctr.out", w);
	snprintf(ef, sizeof(ef), "%s/ctr.err", w);
	rt_proc_start(&p, argv, NULL, of, ef, NULL);

	pid_t sh = rt_wait_shell(id, 30000, &p);
	if (use_mr)
		expect_lines(&m, id, id, 2);
	expect_pids_max(sh, use_mr ? PIDS_DEFAULT : NULL, "ctr run");
	rt_release(sh);
	st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	out = file_in(w, "ctr.out");
	err = file_in(w, "ctr.err");
	h_expect_exit(st, 7, "ctr run", err);
	expected(wo, sizeof(wo), we, sizeof(we), id);
	expect_text("ctr run's stdout", out, wo);
	expect_text("ctr run's stderr", err, we);
	free(out);
	free(err);
	if (use_mr)
		expect_lines(&m, id, id, 3);

	/* ctr run --annotation memlog.pids-limit=unlimited: no default. */
	if (use_mr) {
		char id2[32], sc2[256];

		h_token(id2, sizeof(id2), "mlq", 8);
		snprintf(sc2, sizeof(sc2), ": %s; " RT_WAIT_GO, id2);
		const char *ra2[] = { "run", "--rm", "--snapshotter", "native",
				      "--runc-binary", mr, "--runc-root", rr,
				      "--fifo-dir", ff, "--annotation",
				      "memlog.pids-limit=unlimited", IMAGE_REF,
				      id2, "sh", "-c", sc2, NULL };
		rt_ctr_argv(&c, argv, 40, ra2);
		snprintf(of, sizeof(of), "%s/ctr2.out", w);
		snprintf(ef, sizeof(ef), "%s/ctr2.err", w);
		rt_proc_start(&p, argv, NULL, of, ef, NULL);
		sh = rt_wait_shell(id2, 30000, &p);
		expect_pids_max(sh, "max", "ctr run --annotation "
				"memlog.pids-limit=unlimited");
		rt_release(sh);
		st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
		err = file_in(w, "ctr2.err");
		h_expect_exit(st, 0, "ctr run --annotation", err);
		free(err);
	}
	rt_containerd_stop(&c);
	rt_dir_cleanup(w);
	mld_stop(&m);
	if (!use_mr)
		skip_without_memlog_runc("ctr run");
}

/* ---- dockerd ---- */

/* Waits until memlogd has a notice from memlog-runc (a container not
 * captured) that holds both needles. */
static void wait_notice_with(const struct mld *m, const char *n1,
			     const char *n2)
{
	uint64_t deadline = h_now_ms() + 15000;

	for (;;) {
		json_t *a = h_dump(m, "dump source=memlog-runc\n"), *e;
		size_t i;
		bool found = false;

		json_array_foreach(a, i, e) {
			const char *msg = h_jstr(e, "msg");
			found = found || (strstr(msg, n1) && strstr(msg, n2));
		}
		if (found) {
			json_decref(a);
			return;
		}
		if (h_now_ms() >= deadline) {
			h_print_entries(a);
			fail_msg("no notice from memlog-runc with \"%s\" and "
				 "\"%s\"", n1, n2);
		}
		json_decref(a);
		h_sleep_ms(20);
	}
}

static void docker_ok(const struct rt_dockerd *d, const char *const *args,
		      const char *what, char **out)
{
	char *o = NULL, *e = NULL;
	int st = rt_docker(d, args, 60000, &o, &e);
	h_expect_exit(st, 0, what, e);
	free(e);
	if (out)
		*out = o;
	else
		free(o);
}

/* `docker run --runtime memlog --network none ARGS --name NAME IMAGE` of a
 * shell that waits for /tmp/go; its pids.max is want (NULL: only printed),
 * and it exits 0. */
static void docker_pids(const struct rt_dockerd *d, const char *w,
			const char *const *args, const char *image,
			const char *want, const char *what)
{
	char name[32], sc[256], of[128], ef[128], cfgenv[160];
	const char *ra[40], *argv[48];
	struct rt_proc p;
	int n = 0;

	h_token(name, sizeof(name), "mlp", 8);
	snprintf(sc, sizeof(sc), ": %s; echo %s; " RT_WAIT_GO, name, name);
	ra[n++] = "run";
	ra[n++] = "--runtime";
	ra[n++] = "memlog";
	ra[n++] = "--network";
	ra[n++] = "none";
	for (; args && *args && n < 30; args++)
		ra[n++] = *args;
	ra[n++] = "--name";
	ra[n++] = name;
	ra[n++] = image;
	ra[n++] = "sh";
	ra[n++] = "-c";
	ra[n++] = sc;
	ra[n] = NULL;
	rt_docker_argv(d, argv, 48, ra);
	snprintf(cfgenv, sizeof(cfgenv), "DOCKER_CONFIG=%s/docker-cli", w);
	const char *env[] = { cfgenv, NULL };
	snprintf(of, sizeof(of), "%s/%s.out", w, name);
	snprintf(ef, sizeof(ef), "%s/%s.err", w, name);
	rt_proc_start(&p, argv, env, of, ef, NULL);
	pid_t sh = rt_wait_shell(name, 30000, &p);
	expect_pids_max(sh, want, what);
	rt_release(sh);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *e = file_in(w, strrchr(ef, '/') + 1);
	h_expect_exit(st, 0, what, e);
	free(e);
}

/* dockerd started by the test (with its own containerd, also the test's)
 * with a non-default --data-root, and a "runtimes" entry "memlog" for
 * memlog-runc with runtimeArgs --memlog-socket, --memlog-pids-limit and
 * --memlog-config (a file without "docker_root": memlog-runc finds the
 * data root, and there the container's name, by itself). `docker run
 * --runtime memlog --network none --name NAME`: NAME is Docker's container
 * name. Then the PID limit: a container's own --pids-limit is kept;
 * --pids-limit -1 reaches the runtime as no limit at all (Docker turns it
 * into "unset"), so the default applies; the container label
 * memlog.pids-limit=unlimited lets the container off the default, unless
 * its image has that label too. A container with a terminal (docker run
 * -t) is not captured, and memlogd gets a notice naming it. */
static void test_dockerd_run(void **state)
{
	char runc[256], mr[1024], w[64], name[32], sc[512];
	char wo[256], we[256], img[128], cfgp[128], cfg[512], dj[128];
	char djt[8192], of[128], ef[128], cfgenv[160];
	struct mld m = { 0 };
	struct rt_containerd c;
	struct rt_dockerd d;
	struct rt_proc p;
	char *out = NULL;
	(void)state;

	common_needs(runc, sizeof(runc));
	bool use_mr = memlog_runc(mr, sizeof(mr));
	rt_dir_make(w, sizeof(w));
	start_memlogd(&m, "4M");
	snprintf(cfgp, sizeof(cfgp), "%s/memlog-runc.json", w);
	snprintf(cfg, sizeof(cfg), "{}\n");
	h_write_file(cfgp, cfg, 0644);
	snprintf(dj, sizeof(dj), "%s/daemon.json", w);
	if (use_mr)
		snprintf(djt, sizeof(djt),
			 "{\"deprecated-key-path\": \"%s/key.json\",\n"
			 " \"runtimes\": {\"memlog\": {\"path\": \"%s\",\n"
			 "   \"runtimeArgs\": [\"--memlog-socket\", \"%s\", "
			 "\"--memlog-pids-limit\", \"%s\", \"--memlog-config\", "
			 "\"%s\"]}}}\n", w, mr, m.log, PIDS_DEFAULT, cfgp);
	else
		snprintf(djt, sizeof(djt),
			 "{\"deprecated-key-path\": \"%s/key.json\",\n"
			 " \"runtimes\": {\"memlog\": {\"path\": \"%s\"}}}\n",
			 w, runc);
	h_write_file(dj, djt, 0644);
	rt_containerd_start(&c, w, NULL);
	rt_dockerd_start(&d, w, dj, c.sock);

	snprintf(img, sizeof(img), "%s/image.tar", w);
	rt_image(img, IMAGE);
	const char *la[] = { "load", "--input", img, NULL };
	docker_ok(&d, la, "docker load", &out);
	if (!strstr(out, IMAGE))
		fail_msg("docker load said: %s", out);
	free(out);

	h_token(name, sizeof(name), "mld", 8);
	script(sc, sizeof(sc), name);
	const char *ra[] = { "run", "--runtime", "memlog", "--network", "none",
			     "--name", name, IMAGE, "sh", "-c", sc, NULL };
	const char *argv[40];
	rt_docker_argv(&d, argv, 40, ra);
	snprintf(cfgenv, sizeof(cfgenv), "DOCKER_CONFIG=%s/docker-cli", w);
	const char *env[] = { cfgenv, NULL };
	snprintf(of, sizeof(of), "%s/docker.out", w);
	snprintf(ef, sizeof(ef), "%s/docker.err", w);
	rt_proc_start(&p, argv, env, of, ef, NULL);
	pid_t sh = rt_wait_shell(name, 30000, &p);
	if (use_mr)
		expect_lines(&m, name, name, 2);
	expect_pids_max(sh, use_mr ? PIDS_DEFAULT : NULL, "docker run");
	rt_release(sh);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *o = file_in(w, "docker.out"), *e = file_in(w, "docker.err");
	h_expect_exit(st, 7, "docker run", e);
	expected(wo, sizeof(wo), we, sizeof(we), name);
	expect_text("docker run's stdout", o, wo);
	expect_text("docker run's stderr", e, we);
	free(o);
	free(e);

	/* docker logs, each stream. */
	char *lo = NULL, *le = NULL;
	const char *lg[] = { "logs", name, NULL };
	st = rt_docker(&d, lg, 30000, &lo, &le);
	h_expect_exit(st, 0, "docker logs", le);
	expect_text("docker logs (stdout)", lo, wo);
	expect_text("docker logs (stderr)", le, we);
	free(lo);
	free(le);
	const char *ins[] = { "inspect", "--format",
			      "{{.State.ExitCode}} {{.HostConfig.Runtime}}", name,
			      NULL };
	docker_ok(&d, ins, "docker inspect", &out);
	expect_text("docker inspect", out, "7 memlog\n");
	free(out);
	if (use_mr)
		expect_lines(&m, name, name, 3);

	/* The engine's own PID limit stays. */
	const char *own[] = { "--pids-limit", "77", NULL };
	docker_pids(&d, w, own, IMAGE, "77", "docker run --pids-limit 77");
	if (!use_mr)
		goto stop;
	const char *unl[] = { "--pids-limit", "-1", NULL };
	docker_pids(&d, w, unl, IMAGE, PIDS_DEFAULT, "docker run --pids-limit -1");
	/* A container with a terminal is not captured: memlogd is told,
	 * under Docker's name for it. */
	char tname[32], want[64];
	h_token(tname, sizeof(tname), "mlt", 8);
	const char *tr[] = { "run", "-t", "--runtime", "memlog", "--network",
			     "none", "--name", tname, IMAGE, "true", NULL };
	docker_ok(&d, tr, "docker run -t", NULL);
	snprintf(want, sizeof(want), "container %s (id ", tname);
	wait_notice_with(&m, want, ") not captured: the container has a "
			 "terminal");
	const char *lab[] = { "--label", "memlog.pids-limit=unlimited", NULL };
	docker_pids(&d, w, lab, IMAGE, "max",
		    "docker run --label memlog.pids-limit=unlimited");
	/* An image with the label: it cannot let itself off. (Made from a
	 * container never started, so without a /tmp/go.) */
	const char *cr[] = { "create", "--name", "mlp-base", IMAGE, "true", NULL };
	docker_ok(&d, cr, "docker create", NULL);
	const char *cm[] = { "commit", "--change",
			     "LABEL memlog.pids-limit=unlimited", "mlp-base",
			     "memlog-busybox:labelled", NULL };
	docker_ok(&d, cm, "docker commit", NULL);
	docker_pids(&d, w, lab, "memlog-busybox:labelled", PIDS_DEFAULT,
		    "docker run --label memlog.pids-limit=unlimited of an image "
		    "with that label");
stop:
	rt_dockerd_stop(&d);
	rt_containerd_stop(&c);
	rt_dir_cleanup(w);
	mld_stop(&m);
	if (!use_mr)
		skip_without_memlog_runc("docker run");
}

/* ---- back-pressure and isolation ---- */

/* "1\n2\n...n\n" */
static char *seq_text(long n)
{
	size_t cap = (size_t)n * 8 + 16, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	for (long i = 1; i <= n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%ld\n", i);
	return s;
}

/* The entries of source name are exactly "1".."n", in order, on stream
 * stdout (read as a stream: no array of n entries in memory). */
static void expect_seq_source(const struct mld *m, const char *name, long n)
{
	char req[300];
	struct h_conn cn;

	h_wait_source_stat(m, name, "stdout", "lines", n);
	snprintf(req, sizeof(req), "dump source=%s\n", name);
	h_conn_init(&cn, h_query(m, req));
	long i = 0;
	json_t *e;
	while ((e = h_conn_json(&cn, 10000))) {
		char want[32];
		snprintf(want, sizeof(want), "%ld", i + 1);
		const char *msg = h_jstr(e, "msg");
		if (strcmp(msg, want) != 0 ||
		    strcmp(h_jstr(e, "stream"), "stdout") != 0)
			fail_msg("source %s: entry %ld is \"%s\" (%s), want "
				 "\"%s\" (stdout)", name, i + 1, msg,
				 h_jstr(e, "stream"), want);
		json_decref(e);
		i++;
	}
	h_conn_close(&cn);
	if (i != n)
		fail_msg("source %s: %ld entries, want %ld", name, i, n);
}

/* A container writes 200,000 numbered lines much faster than the engine
 * (a drain that reads 4 KiB every 2 ms) takes them: every line reaches
 * both memlogd and the engine, in order. */
static void test_fast_writer_slow_engine(void **state)
{
	enum { N = 200000 };
	char runc[256], mr[PATH_MAX], w[64], bundle[128], root[128], id[32];
	char sc[256], of[128], ef[128], src[64];
	struct mld m = { 0 };
	struct rt_proc p;
	const char *argv[24];
	(void)state;

	common_needs(runc, sizeof(runc));
	bool use_mr = memlog_runc(mr, sizeof(mr));
	rt_dir_make(w, sizeof(w));
	start_memlogd(&m, "32M");
	h_token(id, sizeof(id), "mlf", 8);
	rt_dir_cgroup(w, id);
	snprintf(sc, sizeof(sc), ": %s; seq 1 %d", id, N);
	snprintf(bundle, sizeof(bundle), "%s/bundle", w);
	snprintf(root, sizeof(root), "%s/runc", w);
	const char *args[] = { "sh", "-c", sc, NULL };
	rt_bundle(runc, bundle, args, NULL, 0);
	runc_run_argv(argv, use_mr ? mr : NULL, runc, &m, root, bundle, id);
	snprintf(of, sizeof(of), "%s/run.out", w);
	snprintf(ef, sizeof(ef), "%s/run.err", w);
	const struct rt_drain slow[2] = { { 4096, 2000 }, { 0, 0 } };
	uint64_t t0 = h_now_ms();
	rt_proc_start(&p, argv, NULL, of, ef, slow);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *err = file_in(w, "run.err");
	h_expect_exit(st, 0, "runc run (seq)", err);
	free(err);
	print_message("# %d lines through a slow engine pipe in %llu ms\n", N,
		      (unsigned long long)(h_now_ms() - t0));
	char *out = file_in(w, "run.out");
	char *want = seq_text(N);
	if (strcmp(out, want) != 0)
		fail_msg("the engine did not get the %d lines in order "
			 "(%zu bytes, want %zu)", N, strlen(out), strlen(want));
	free(out);
	free(want);
	if (use_mr) {
		snprintf(src, sizeof(src), "%s.out", id);
		expect_seq_source(&m, src, N);
	}
	rt_dir_cleanup(w);
	mld_stop(&m);
	if (!use_mr)
		skip_without_memlog_runc("the engine side");
}

/* Waits until file holds needle. */
static void wait_file_has(const char *file, const char *needle, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		char *s = h_read_file(file, NULL);
		bool ok = s && strstr(s, needle);
		if (ok) {
			free(s);
			return;
		}
		if (h_now_ms() >= deadline) {
			print_message("# %s holds: %.2000s\n", file, s ? s : "");
			free(s);
			fail_msg("\"%s\" did not reach %s within %d ms", needle,
				 file, timeout_ms);
		}
		free(s);
		h_sleep_ms(20);
	}
}

static void start_follower(struct rt_proc *f, const struct mld *m,
			   const char *w, const char *tag)
{
	char lr[512], of[128], ef[128];
	h_prog(lr, sizeof(lr), "logread");
	snprintf(of, sizeof(of), "%s/%s.out", w, tag);
	snprintf(ef, sizeof(ef), "%s/%s.err", w, tag);
	const char *argv[] = { lr, "-socket", m->query, "-F", "-o", "json",
			       NULL };
	rt_proc_start(f, argv, NULL, of, ef, NULL);
}

/* One container's engine pipe stalls (its reader SIGSTOPped) and a
 * logread -F follower is stopped, killed and restarted: another container
 * and a plain source keep flowing into memlogd meanwhile, the stalled
 * container is held back (back-pressure: memlogd does not read its output
 * ahead of the engine), and once the engine reads again every line of it
 * reaches both sides. */
static void test_stall_isolation(void **state)
{
	enum { NA = 100000, NB = 50 };
	char runc[256], mr[PATH_MAX], w[64], ba[128], bb[128], root[128];
	char ida[32], idb[32], sca[256], scb[256], of[128], ef[128], src[64];
	char line[64], f2out[128];
	struct mld m = { 0 };
	struct rt_proc pa, pb, f1, f2;
	const char *argv[24];
	(void)state;

	common_needs(runc, sizeof(runc));
	if (!h_prog_exists("logread"))
		fail_msg("%s/logread is not built", h_build());
	bool use_mr = memlog_runc(mr, sizeof(mr));
	rt_dir_make(w, sizeof(w));
	start_memlogd(&m, "32M");
	snprintf(root, sizeof(root), "%s/runc", w);

	/* A follower, soon stopped. */
	start_follower(&f1, &m, w, "f1");
	int other = h_register_pipe(&m, "other.out");
	h_writef(other, "other-1\n");
	char f1out[128];
	snprintf(f1out, sizeof(f1out), "%s/f1.out", w);
	wait_file_has(f1out, "other-1", 10000);
	assert_int_equal(kill(f1.pid, SIGSTOP), 0);

	/* Container A: its engine pipe stalls at once. */
	h_token(ida, sizeof(ida), "mla", 8);
	rt_dir_cgroup(w, ida);
	snprintf(sca, sizeof(sca), ": %s; seq 1 %d; exit 0", ida, NA);
	snprintf(ba, sizeof(ba), "%s/bundle-a", w);
	const char *aa[] = { "sh", "-c", sca, NULL };
	rt_bundle(runc, ba, aa, NULL, 0);
	runc_run_argv(argv, use_mr ? mr : NULL, runc, &m, root, ba, ida);
	snprintf(of, sizeof(of), "%s/a.out", w);
	snprintf(ef, sizeof(ef), "%s/a.err", w);
	rt_proc_start(&pa, argv, NULL, of, ef, NULL);
	assert_int_equal(kill(pa.drain[0], SIGSTOP), 0);
	(void)rt_wait_shell(ida, 20000, &pa);

	/* Flood the stopped follower's socket with the plain source. */
	for (int i = 2; i <= 3000; i++)
		h_writef(other, "other-%d with some padding to fill buffers "
			 "faster...........................................\n", i);
	h_wait_source_stat(&m, "other.out", "stdout", "lines", 3000);

	/* Container B runs to its end meanwhile. */
	h_token(idb, sizeof(idb), "mlb", 8);
	rt_dir_cgroup(w, idb);
	snprintf(scb, sizeof(scb),
		 ": %s; for i in $(seq 1 %d); do echo %s-$i; done; "
		 "echo %s-err >&2; exit 3", idb, NB, idb, idb);
	snprintf(bb, sizeof(bb), "%s/bundle-b", w);
	const char *ab[] = { "sh", "-c", scb, NULL };
	rt_bundle(runc, bb, ab, NULL, 0);
	runc_run_argv(argv, use_mr ? mr : NULL, runc, &m, root, bb, idb);
	snprintf(of, sizeof(of), "%s/b.out", w);
	snprintf(ef, sizeof(ef), "%s/b.err", w);
	rt_proc_start(&pb, argv, NULL, of, ef, NULL);
	int st = rt_proc_wait(&pb, 30000);
	char *berr = file_in(w, "b.err");
	h_expect_exit(st, 3, "runc run of B while A is stalled", berr);
	char want[64];
	snprintf(want, sizeof(want), "%s-err\n", idb);
	expect_text("B's stderr", berr, want);
	free(berr);
	char *bout = file_in(w, "b.out");
	size_t bl = 0;
	for (char *q = bout; (q = strchr(q, '\n')); q++)
		bl++;
	if (bl != NB)
		fail_msg("B's stdout has %zu lines, want %d", bl, NB);
	free(bout);
	if (use_mr) {
		const char *msgs[NB];
		char buf[NB][48];
		for (int i = 0; i < NB; i++) {
			snprintf(buf[i], sizeof(buf[i]), "%s-%d", idb, i + 1);
			msgs[i] = buf[i];
		}
		snprintf(src, sizeof(src), "%s.out", idb);
		expect_source(&m, src, "stdout", msgs, NB);
	}

	/* A is still held back, on both sides. */
	if (rt_proc_exited(&pa))
		fail_msg("A ended although its engine pipe was stalled");
	if (use_mr) {
		snprintf(src, sizeof(src), "%s.out", ida);
		json_int_t la = h_source_stat(&m, src, "stdout", "lines");
		print_message("# A, stalled: %lld of %d lines in memlogd\n",
			      (long long)la, NA);
		if (la >= NA)
			fail_msg("memlogd read all of A while the engine did "
				 "not: the engine cannot have them all");
	}

	/* The follower: killed and restarted; the new one gets new lines. */
	kill(f1.pid, SIGKILL);
	kill(f1.pid, SIGCONT);
	rt_proc_wait(&f1, 10000);
	start_follower(&f2, &m, w, "f2");
	snprintf(f2out, sizeof(f2out), "%s/f2.out", w);
	snprintf(line, sizeof(line), "other-after-restart-%s", idb);
	h_writef(other, "%s\n", line);
	wait_file_has(f2out, line, 10000);

	/* The engine reads A again: A ends, complete on both sides. */
	assert_int_equal(kill(pa.drain[0], SIGCONT), 0);
	st = rt_proc_wait(&pa, RUN_TIMEOUT_MS);
	char *aerr = file_in(w, "a.err");
	h_expect_exit(st, 0, "runc run of A", aerr);
	free(aerr);
	char *aout = file_in(w, "a.out");
	char *aw = seq_text(NA);
	if (strcmp(aout, aw) != 0)
		fail_msg("the engine did not get A's %d lines in order", NA);
	free(aout);
	free(aw);
	if (use_mr) {
		snprintf(src, sizeof(src), "%s.out", ida);
		expect_seq_source(&m, src, NA);
	}
	close(other);
	rt_proc_kill(&f2);
	rt_dir_cleanup(w);
	mld_stop(&m);
	if (!use_mr)
		skip_without_memlog_runc("the engine side");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_runc_run, rt_teardown),
		cmocka_unit_test_teardown(test_containerd_ctr_run, rt_teardown),
		cmocka_unit_test_teardown(test_dockerd_run, rt_teardown),
		cmocka_unit_test_teardown(test_fast_writer_slow_engine,
					  rt_teardown),
		cmocka_unit_test_teardown(test_stall_isolation, rt_teardown),
	};
	return h_run_tests("itest_runtimes", tests, NULL, NULL);
}
