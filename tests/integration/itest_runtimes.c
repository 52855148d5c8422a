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

/* One test's scaffolding (the test fixture): a work dir for its engine
 * (rt_dir_make), a memlogd with the --buffer-size given as the test's
 * initial state, and what the test needs to find (rtx_begin). */
struct rtx {
	char w[64];              /* the work dir */
	struct mld m;
	char runc[256];          /* the real runc */
	char mr[PATH_MAX];       /* memlog-runc, when use_mr */
	bool use_mr;
};

static int rtx_setup(void **state)
{
	const char *args[] = { "--buffer-size", *state, NULL };
	struct mld_opts o = { .args = args };
	struct rtx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	rt_dir_make(x->w, sizeof(x->w));
	mld_start(&x->m, &o);
	*state = x;
	return 0;
}

/* Stops what the engine left in the work dir, then memlogd (a clean exit
 * asserted, as mld_stop does), then whatever a failed test left. */
static int rtx_teardown(void **state)
{
	struct rtx *x = *state;
	struct mld m = x->m;
	char w[64];

	snprintf(w, sizeof(w), "%s", x->w);
	free(x);
	*state = NULL;
	rt_dir_cleanup(w);
	if (m.pid > 0)
		mld_stop(&m);
	mld_cleanup(&m);
	return rt_teardown(state);
}

/* A test's start: skips unless root, runc and busybox are there; finds
 * memlog-runc (without it the engine side is still tested, then the test
 * skips at its end: skip_without_memlog_runc). */
static struct rtx *rtx_begin(void **state)
{
	struct rtx *x = *state;

	common_needs(x->runc, sizeof(x->runc));
	x->use_mr = memlog_runc(x->mr, sizeof(x->mr));
	return x;
}

#define RTX_TEST(fn, bufsize) \
	cmocka_unit_test_prestate_setup_teardown(fn, rtx_setup, rtx_teardown, \
						 (void *)(bufsize))

/* The engine start and check every engine test makes of script(): starts
 * argv (its stdout and stderr into W/FILES.out and W/FILES.err), waits
 * for the container's shell (tok in its script, also its source name in
 * memlogd), checks the first lines in memlogd and its pids.max while it
 * waits, lets it end, then checks the engine's exit status (7) and its
 * view of both streams, and every line in memlogd. */
static void run_script_checked(struct rtx *x, const char *const *argv,
			       const char *const *env, const char *tok,
			       const char *files, int wait_ms, const char *what)
{
	char of[128], ef[128], wo[256], we[256], wh[160];
	struct rt_proc p;

	snprintf(of, sizeof(of), "%s/%s.out", x->w, files);
	snprintf(ef, sizeof(ef), "%s/%s.err", x->w, files);
	rt_proc_start(&p, argv, env, of, ef, NULL);
	pid_t sh = rt_wait_shell(tok, wait_ms, &p);
	if (x->use_mr)
		expect_lines(&x->m, tok, tok, 2);
	expect_pids_max(sh, x->use_mr ? PIDS_DEFAULT : NULL, what);
	rt_release(sh);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *out = file_in(x->w, strrchr(of, '/') + 1);
	char *err = file_in(x->w, strrchr(ef, '/') + 1);
	h_expect_exit(st, 7, what, err);
	expected(wo, sizeof(wo), we, sizeof(we), tok);
	snprintf(wh, sizeof(wh), "%s's stdout", what);
	expect_text(wh, out, wo);
	snprintf(wh, sizeof(wh), "%s's stderr", what);
	expect_text(wh, err, we);
	free(out);
	free(err);
	if (x->use_mr)
		expect_lines(&x->m, tok, tok, 3);
}

/* Starts argv (a container whose shell, with tok in its script, waits
 * for /tmp/go), checks its pids.max (want; NULL: only printed), lets it
 * end and asserts exit status 0. */
static void run_pids_checked(struct rtx *x, const char *const *argv,
			     const char *const *env, const char *tok,
			     const char *want, const char *what)
{
	char of[128], ef[128];
	struct rt_proc p;

	snprintf(of, sizeof(of), "%s/%s.out", x->w, tok);
	snprintf(ef, sizeof(ef), "%s/%s.err", x->w, tok);
	rt_proc_start(&p, argv, env, of, ef, NULL);
	pid_t sh = rt_wait_shell(tok, 30000, &p);
	expect_pids_max(sh, want, what);
	rt_release(sh);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *err = file_in(x->w, strrchr(ef, '/') + 1);
	h_expect_exit(st, 0, what, err);
	free(err);
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
	struct rtx *x = rtx_begin(state);
	char bundle[128], root[128], id[32], sc[512];
	const char *argv[24];

	h_token(id, sizeof(id), "mlr", 8);
	rt_dir_cgroup(x->w, id);
	script(sc, sizeof(sc), id);
	snprintf(bundle, sizeof(bundle), "%s/bundle", x->w);
	snprintf(root, sizeof(root), "%s/runc", x->w);
	const char *args[] = { "sh", "-c", sc, NULL };
	rt_bundle(x->runc, bundle, args, NULL, 0);
	runc_run_argv(argv, x->use_mr ? x->mr : NULL, x->runc, &x->m, root,
		      bundle, id);
	run_script_checked(x, argv, NULL, id, "run", 20000, "runc run");
	if (!x->use_mr)
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
	struct rtx *x = rtx_begin(state);
	char id[32], sc[512], img[128], cfgp[128], cfg[512], envkv[160];
	char rr[128], ff[128];
	struct rt_containerd c;
	char *out = NULL, *err = NULL;

	snprintf(cfgp, sizeof(cfgp), "%s/memlog-runc.json", x->w);
	snprintf(cfg, sizeof(cfg), "{\"socket\": \"%s\", \"pids_limit\": %s}\n",
		 x->m.log, PIDS_DEFAULT);
	h_write_file(cfgp, cfg, 0644);
	snprintf(envkv, sizeof(envkv), "MEMLOG_RUNC_CONFIG=%s", cfgp);
	const char *env[] = { envkv, NULL };
	rt_containerd_start(&c, x->w, env);

	snprintf(img, sizeof(img), "%s/image.tar", x->w);
	rt_image(img, IMAGE);
	const char *ia[] = { "image", "import", "--snapshotter", "native", img,
			     NULL };
	int st = rt_ctr(&c, ia, 60000, &out, &err);
	h_expect_exit(st, 0, "ctr image import", err);
	free(out);
	free(err);

	h_token(id, sizeof(id), "mlc", 8);
	script(sc, sizeof(sc), id);
	snprintf(rr, sizeof(rr), "%s/ctr-runc", x->w);
	snprintf(ff, sizeof(ff), "%s/ctr-fifo", x->w);
	const char *ra[] = { "run", "--rm", "--snapshotter", "native",
			     "--runc-binary", x->use_mr ? x->mr : x->runc,
			     "--runc-root", rr, "--fifo-dir", ff, IMAGE_REF, id,
			     "sh", "-c", sc, NULL };
	const char *argv[40];
	rt_ctr_argv(&c, argv, 40, ra);
	run_script_checked(x, argv, NULL, id, "ctr", 30000, "ctr run");

	/* ctr run --annotation memlog.pids-limit=unlimited: no default. */
	if (x->use_mr) {
		char id2[32], sc2[256];

		h_token(id2, sizeof(id2), "mlq", 8);
		snprintf(sc2, sizeof(sc2), ": %s; " RT_WAIT_GO, id2);
		const char *ra2[] = { "run", "--rm", "--snapshotter", "native",
				      "--runc-binary", x->mr, "--runc-root", rr,
				      "--fifo-dir", ff, "--annotation",
				      "memlog.pids-limit=unlimited", IMAGE_REF,
				      id2, "sh", "-c", sc2, NULL };
		rt_ctr_argv(&c, argv, 40, ra2);
		run_pids_checked(x, argv, NULL, id2, "max", "ctr run --annotation "
				 "memlog.pids-limit=unlimited");
	}
	rt_containerd_stop(&c);
	if (!x->use_mr)
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
static void docker_pids(struct rtx *x, const struct rt_dockerd *d,
			const char *const *args, const char *image,
			const char *want, const char *what)
{
	char name[32], sc[256], cfgenv[160];
	const char *ra[40], *argv[48];
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
	snprintf(cfgenv, sizeof(cfgenv), "DOCKER_CONFIG=%s/docker-cli", x->w);
	const char *env[] = { cfgenv, NULL };
	run_pids_checked(x, argv, env, name, want, what);
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
	struct rtx *x = rtx_begin(state);
	char name[32], sc[512], wo[256], we[256], img[128], cfgp[128];
	char cfg[512], dj[128], djt[8192], cfgenv[160];
	struct rt_containerd c;
	struct rt_dockerd d;
	char *out = NULL;

	snprintf(cfgp, sizeof(cfgp), "%s/memlog-runc.json", x->w);
	snprintf(cfg, sizeof(cfg), "{}\n");
	h_write_file(cfgp, cfg, 0644);
	snprintf(dj, sizeof(dj), "%s/daemon.json", x->w);
	if (x->use_mr)
		snprintf(djt, sizeof(djt),
			 "{\"deprecated-key-path\": \"%s/key.json\",\n"
			 " \"runtimes\": {\"memlog\": {\"path\": \"%s\",\n"
			 "   \"runtimeArgs\": [\"--memlog-socket\", \"%s\", "
			 "\"--memlog-pids-limit\", \"%s\", \"--memlog-config\", "
			 "\"%s\"]}}}\n", x->w, x->mr, x->m.log, PIDS_DEFAULT, cfgp);
	else
		snprintf(djt, sizeof(djt),
			 "{\"deprecated-key-path\": \"%s/key.json\",\n"
			 " \"runtimes\": {\"memlog\": {\"path\": \"%s\"}}}\n",
			 x->w, x->runc);
	h_write_file(dj, djt, 0644);
	rt_containerd_start(&c, x->w, NULL);
	rt_dockerd_start(&d, x->w, dj, c.sock);

	snprintf(img, sizeof(img), "%s/image.tar", x->w);
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
	snprintf(cfgenv, sizeof(cfgenv), "DOCKER_CONFIG=%s/docker-cli", x->w);
	const char *env[] = { cfgenv, NULL };
	run_script_checked(x, argv, env, name, "docker", 30000, "docker run");

	/* docker logs, each stream. */
	char *lo = NULL, *le = NULL;
	const char *lg[] = { "logs", name, NULL };
	int st = rt_docker(&d, lg, 30000, &lo, &le);
	h_expect_exit(st, 0, "docker logs", le);
	expected(wo, sizeof(wo), we, sizeof(we), name);
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

	/* The engine's own PID limit stays. */
	const char *own[] = { "--pids-limit", "77", NULL };
	docker_pids(x, &d, own, IMAGE, "77", "docker run --pids-limit 77");
	if (!x->use_mr)
		goto stop;
	const char *unl[] = { "--pids-limit", "-1", NULL };
	docker_pids(x, &d, unl, IMAGE, PIDS_DEFAULT,
		    "docker run --pids-limit -1");
	/* A container with a terminal is not captured: memlogd is told,
	 * under Docker's name for it. */
	char tname[32], want[64];
	h_token(tname, sizeof(tname), "mlt", 8);
	const char *tr[] = { "run", "-t", "--runtime", "memlog", "--network",
			     "none", "--name", tname, IMAGE, "true", NULL };
	docker_ok(&d, tr, "docker run -t", NULL);
	snprintf(want, sizeof(want), "container %s (id ", tname);
	wait_notice_with(&x->m, want, ") not captured: the container has a "
			 "terminal");
	const char *lab[] = { "--label", "memlog.pids-limit=unlimited", NULL };
	docker_pids(x, &d, lab, IMAGE, "max",
		    "docker run --label memlog.pids-limit=unlimited");
	/* An image with the label: it cannot let itself off. (Made from a
	 * container never started, so without a /tmp/go.) */
	const char *cr[] = { "create", "--name", "mlp-base", IMAGE, "true", NULL };
	docker_ok(&d, cr, "docker create", NULL);
	const char *cm[] = { "commit", "--change",
			     "LABEL memlog.pids-limit=unlimited", "mlp-base",
			     "memlog-busybox:labelled", NULL };
	docker_ok(&d, cm, "docker commit", NULL);
	docker_pids(x, &d, lab, "memlog-busybox:labelled", PIDS_DEFAULT,
		    "docker run --label memlog.pids-limit=unlimited of an image "
		    "with that label");
stop:
	rt_dockerd_stop(&d);
	rt_containerd_stop(&c);
	if (!x->use_mr)
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
	struct rtx *x = rtx_begin(state);
	enum { N = 200000 };
	char bundle[128], root[128], id[32];
	char sc[256], of[128], ef[128], src[64];
	struct rt_proc p;
	const char *argv[24];

	h_token(id, sizeof(id), "mlf", 8);
	rt_dir_cgroup(x->w, id);
	snprintf(sc, sizeof(sc), ": %s; seq 1 %d", id, N);
	snprintf(bundle, sizeof(bundle), "%s/bundle", x->w);
	snprintf(root, sizeof(root), "%s/runc", x->w);
	const char *args[] = { "sh", "-c", sc, NULL };
	rt_bundle(x->runc, bundle, args, NULL, 0);
	runc_run_argv(argv, x->use_mr ? x->mr : NULL, x->runc, &x->m, root,
		      bundle, id);
	snprintf(of, sizeof(of), "%s/run.out", x->w);
	snprintf(ef, sizeof(ef), "%s/run.err", x->w);
	const struct rt_drain slow[2] = { { 4096, 2000 }, { 0, 0 } };
	uint64_t t0 = h_now_ms();
	rt_proc_start(&p, argv, NULL, of, ef, slow);
	int st = rt_proc_wait(&p, RUN_TIMEOUT_MS);
	char *err = file_in(x->w, "run.err");
	h_expect_exit(st, 0, "runc run (seq)", err);
	free(err);
	print_message("# %d lines through a slow engine pipe in %llu ms\n", N,
		      (unsigned long long)(h_now_ms() - t0));
	char *out = file_in(x->w, "run.out");
	char *want = seq_text(N);
	if (strcmp(out, want) != 0)
		fail_msg("the engine did not get the %d lines in order "
			 "(%zu bytes, want %zu)", N, strlen(out), strlen(want));
	free(out);
	free(want);
	if (x->use_mr) {
		snprintf(src, sizeof(src), "%s.out", id);
		expect_seq_source(&x->m, src, N);
	}
	if (!x->use_mr)
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
	struct rtx *x = rtx_begin(state);
	enum { NA = 100000, NB = 50 };
	char ba[128], bb[128], root[128];
	char ida[32], idb[32], sca[256], scb[256], of[128], ef[128], src[64];
	char line[64], f2out[128];
	struct rt_proc pa, pb, f1, f2;
	const char *argv[24];

	if (!h_prog_exists("logread"))
		fail_msg("%s/logread is not built", h_build());
	snprintf(root, sizeof(root), "%s/runc", x->w);

	/* A follower, soon stopped. */
	start_follower(&f1, &x->m, x->w, "f1");
	int other = h_register_pipe(&x->m, "other.out");
	h_writef(other, "other-1\n");
	char f1out[128];
	snprintf(f1out, sizeof(f1out), "%s/f1.out", x->w);
	wait_file_has(f1out, "other-1", 10000);
	assert_int_equal(kill(f1.pid, SIGSTOP), 0);

	/* Container A: its engine pipe stalls at once. */
	h_token(ida, sizeof(ida), "mla", 8);
	rt_dir_cgroup(x->w, ida);
	snprintf(sca, sizeof(sca), ": %s; seq 1 %d; exit 0", ida, NA);
	snprintf(ba, sizeof(ba), "%s/bundle-a", x->w);
	const char *aa[] = { "sh", "-c", sca, NULL };
	rt_bundle(x->runc, ba, aa, NULL, 0);
	runc_run_argv(argv, x->use_mr ? x->mr : NULL, x->runc, &x->m, root,
		      ba, ida);
	snprintf(of, sizeof(of), "%s/a.out", x->w);
	snprintf(ef, sizeof(ef), "%s/a.err", x->w);
	rt_proc_start(&pa, argv, NULL, of, ef, NULL);
	assert_int_equal(kill(pa.drain[0], SIGSTOP), 0);
	(void)rt_wait_shell(ida, 20000, &pa);

	/* Flood the stopped follower's socket with the plain source. */
	for (int i = 2; i <= 3000; i++)
		h_writef(other, "other-%d with some padding to fill buffers "
			 "faster...........................................\n", i);
	h_wait_source_stat(&x->m, "other.out", "stdout", "lines", 3000);

	/* Container B runs to its end meanwhile. */
	h_token(idb, sizeof(idb), "mlb", 8);
	rt_dir_cgroup(x->w, idb);
	snprintf(scb, sizeof(scb),
		 ": %s; for i in $(seq 1 %d); do echo %s-$i; done; "
		 "echo %s-err >&2; exit 3", idb, NB, idb, idb);
	snprintf(bb, sizeof(bb), "%s/bundle-b", x->w);
	const char *ab[] = { "sh", "-c", scb, NULL };
	rt_bundle(x->runc, bb, ab, NULL, 0);
	runc_run_argv(argv, x->use_mr ? x->mr : NULL, x->runc, &x->m, root,
		      bb, idb);
	snprintf(of, sizeof(of), "%s/b.out", x->w);
	snprintf(ef, sizeof(ef), "%s/b.err", x->w);
	rt_proc_start(&pb, argv, NULL, of, ef, NULL);
	int st = rt_proc_wait(&pb, 30000);
	char *berr = file_in(x->w, "b.err");
	h_expect_exit(st, 3, "runc run of B while A is stalled", berr);
	char want[64];
	snprintf(want, sizeof(want), "%s-err\n", idb);
	expect_text("B's stderr", berr, want);
	free(berr);
	char *bout = file_in(x->w, "b.out");
	size_t bl = 0;
	for (char *q = bout; (q = strchr(q, '\n')); q++)
		bl++;
	if (bl != NB)
		fail_msg("B's stdout has %zu lines, want %d", bl, NB);
	free(bout);
	if (x->use_mr) {
		const char *msgs[NB];
		char buf[NB][48];
		for (int i = 0; i < NB; i++) {
			snprintf(buf[i], sizeof(buf[i]), "%s-%d", idb, i + 1);
			msgs[i] = buf[i];
		}
		snprintf(src, sizeof(src), "%s.out", idb);
		expect_source(&x->m, src, "stdout", msgs, NB);
	}

	/* A is still held back, on both sides. */
	if (rt_proc_exited(&pa))
		fail_msg("A ended although its engine pipe was stalled");
	if (x->use_mr) {
		snprintf(src, sizeof(src), "%s.out", ida);
		json_int_t la = h_source_stat(&x->m, src, "stdout", "lines");
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
	start_follower(&f2, &x->m, x->w, "f2");
	snprintf(f2out, sizeof(f2out), "%s/f2.out", x->w);
	snprintf(line, sizeof(line), "other-after-restart-%s", idb);
	h_writef(other, "%s\n", line);
	wait_file_has(f2out, line, 10000);

	/* The engine reads A again: A ends, complete on both sides. */
	assert_int_equal(kill(pa.drain[0], SIGCONT), 0);
	st = rt_proc_wait(&pa, RUN_TIMEOUT_MS);
	char *aerr = file_in(x->w, "a.err");
	h_expect_exit(st, 0, "runc run of A", aerr);
	free(aerr);
	char *aout = file_in(x->w, "a.out");
	char *aw = seq_text(NA);
	if (strcmp(aout, aw) != 0)
		fail_msg("the engine did not get A's %d lines in order", NA);
	free(aout);
	free(aw);
	if (x->use_mr) {
		snprintf(src, sizeof(src), "%s.out", ida);
		expect_seq_source(&x->m, src, NA);
	}
	close(other);
	rt_proc_kill(&f2);
	if (!x->use_mr)
		skip_without_memlog_runc("the engine side");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RTX_TEST(test_runc_run, "4M"),
		RTX_TEST(test_containerd_ctr_run, "4M"),
		RTX_TEST(test_dockerd_run, "4M"),
		RTX_TEST(test_fast_writer_slow_engine, "32M"),
		RTX_TEST(test_stall_isolation, "32M"),
	};
	return h_run_tests("itest_runtimes", tests, NULL, NULL);
}
