/* memlog-runc: an OCI runtime for Docker, containerd and Podman that hands
 * every call to the real runc and, on create and run, applies host
 * defaults to the bundle's config.json and connects the container's
 * stdout and stderr to memlogd (which copies every byte on to the engine).
 * It execs the real runtime in its own place: nothing stays behind, and
 * the exit status is the runtime's. See docs/memlog-runc.md. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "bundle.h"
#include "capture.h"
#include "cname.h"
#include "conf.h"
#include "diag.h"
#include "docker.h"
#include "hook.h"
#include "kmsgfs.h"
#include "notice.h"
#include "runtime.h"
#include "runtimelog.h"
#include "spec.h"
#include "util.h"

/* Exit codes of memlog-runc itself, when the runtime never ran (as
 * memlog-run, env(1) and docker run use them; runc's own errors are 1). */
#define EXIT_SETUP 125      /* bad --memlog-* option or config file */
#define EXIT_CANNOT_RUN 126 /* the runtime was found but could not be run */
#define EXIT_NOT_FOUND 127  /* the runtime was not found */

/* Docker's container and image configs are a few KiB; refuse absurd ones. */
#define DOCKER_CONFIG_MAX (4u << 20)

/* What Docker's files say about the container, when Docker created it. */
struct docker_info {
	bool found;             /* ROOT/containers/ID/config.v2.json was read */
	char root[4096];        /* ROOT */
	struct docker_ctr ctr;  /* what it says */
};

const char *diag_prog = "memlog-runc";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: memlog-runc [--memlog-OPTION...] [RUNC-GLOBAL-OPTIONS] COMMAND [ARGS...]\n"
"\n"
"An OCI runtime that runs the real runtime (runc) with the same arguments,\n"
"minus its own --memlog-* options. On create and run of a container without\n"
"a terminal it registers the container's stdout and stderr with memlogd as\n"
"NAME.out and NAME (memlogd copies every byte on to the engine), and sets a\n"
"default PID limit where the engine set none. runc's own --help and\n"
"--version are passed through.\n"
"\n"
"Options (before COMMAND; --memlog-x V or --memlog-x=V):\n"
"  --memlog-socket PATH      memlogd's registration socket\n"
"                            (default " CONF_DEFAULT_SOCKET ")\n"
"  --memlog-pids-limit N     default PID limit, 0 for none (default %d)\n"
"  --memlog-runtime PATH     the real runtime (default: runc in PATH,\n"
"                            skipping memlog-runc itself)\n"
"  --memlog-capture BOOL     register stdout/stderr with memlogd (default true)\n"
"  --memlog-config FILE      config file (default $" CONF_ENV ", else\n"
"                            " CONF_DEFAULT_PATH ", which may be absent)\n"
"  --memlog-view-dir DIR     where memlogd makes the containers' views:\n"
"                            DIR/ID.sock is bind-mounted into container ID\n"
"                            at /var/run/memlogdq.sock (default\n"
"                            " CONF_DEFAULT_VIEW_DIR ")\n"
"  --memlog-kmsgfs PATH      run memlog-kmsgfs PATH on each container's\n"
"                            view, its kmsg file bind-mounted at /dev/kmsg\n"
"                            inside: dmesg there shows the container's\n"
"                            kernel events (default: none)\n"
"  --memlog-show-config      print the settings in effect as JSON and exit\n"
"  --memlog-hook NAME        run as container NAME's createRuntime hook\n"
"                            (memlog-runc adds it to config.json): tell\n"
"                            memlogd the container's pid and cgroup\n"
"  --memlog-help             show this help and exit\n"
"  --memlog-version          show memlog-runc's version and exit\n"
"\n"
"Exit status: the runtime's own, or\n"
"  125  bad --memlog-* option or config file\n"
"  126  the runtime was found but could not be run\n"
"  127  the runtime was not found\n",
		CONF_DEFAULT_PIDS_LIMIT);
}

/* Settings in effect, as JSON, for --memlog-show-config. */
static int show_config(const struct runc_conf *c, const char *path)
{
	json_t *o = json_pack("{s:s?, s:s, s:s, s:I, s:b, s:s, s:s, s:s?, s:i, "
			      "s:O}",
			      "config", path, "socket", c->socket,
			      "runtime", c->runtime,
			      "pids_limit", (json_int_t)c->pids_limit,
			      "capture", c->capture,
			      "docker_root", c->docker_root,
			      "view_dir", c->view_dir,
			      "kmsgfs", c->kmsgfs,
			      "id_length", (int)c->id_length,
			      "name_annotations", c->name_annotations);

	if (!o || json_dumpf(o, stdout, JSON_INDENT(2)) < 0) {
		json_decref(o);
		return EXIT_SETUP;
	}
	putchar('\n');
	json_decref(o);
	return 0;
}

/* Is the pids cgroup controller there for runc to set a limit with? (runc
 * refuses a limit it cannot apply.) cgroup v2: listed in the root's
 * cgroup.controllers; v1 and hybrid: a pids hierarchy is mounted. */
static bool pids_controller_available(void)
{
	char *text;
	size_t len;
	bool found = false;
	struct stat st;

	if (file_read_small("/sys/fs/cgroup/cgroup.controllers", 4096, &text,
			    &len) == 0) {
		for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n"))
			found = found || !strcmp(w, "pids");
		free(text);
		return found;
	}
	return stat("/sys/fs/cgroup/pids", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Docker's data root: the one Docker's mounts in config.json name (so no
 * configuration is needed, whatever dockerd's --data-root), else the
 * configured docker_root. The first under which the container's
 * config.v2.json can be read is taken. */
static void docker_lookup(const struct runc_conf *c, const json_t *spec,
			  const char *id, struct docker_info *d)
{
	char root[sizeof(d->root)];
	const char *roots[2];
	int n = 0;

	d->found = false;
	if (!cname_id_is_path_safe(id))
		return;
	if (spec && docker_root_from_spec(spec, root, sizeof(root)) > 0)
		roots[n++] = root;
	roots[n++] = c->docker_root;
	for (int i = 0; i < n && !d->found; i++) {
		char *path = NULL, *text;
		size_t len;

		if (asprintf(&path, "%s/containers/%s/config.v2.json", roots[i],
			     id) < 0)
			return;
		if (file_read_small(path, DOCKER_CONFIG_MAX, &text, &len) == 0) {
			d->found = docker_ctr_parse(text, len, SPEC_PIDS_KEY,
						    &d->ctr) == 0;
			free(text);
			if (d->found)
				snprintf(d->root, sizeof(d->root), "%s", roots[i]);
		}
		free(path);
	}
}

/* Does the image of a Docker container carry the label key? 1, 0, or
 * -errno when its config cannot be read (another image store, such as
 * containerd's since Docker 24, keeps it elsewhere). */
static int docker_image_label(const struct docker_info *d, const char *key)
{
	char *path = NULL, *text;
	size_t len;
	int r;

	if (!d->ctr.image[0] || !d->ctr.driver[0])
		return -ENOENT;
	if (asprintf(&path, "%s/image/%s/imagedb/content/sha256/%s", d->root,
		     d->ctr.driver, d->ctr.image) < 0)
		return -ENOMEM;
	r = file_read_small(path, DOCKER_CONFIG_MAX, &text, &len);
	free(path);
	if (r < 0)
		return r;
	r = docker_image_has_label(text, len, key);
	free(text);
	return r;
}

/* Has the container been let off the host default (docs/memlog-runc.md,
 * "The PID limit default")? By the annotation memlog.pids-limit in
 * config.json; else, for Docker, by the container label of that name,
 * unless the image has it too: image labels are merged into the
 * container's, and an image must not lift the host's limit by itself. */
static bool pids_unlimited(const struct rtlog *log, const json_t *spec,
			   const struct docker_info *d)
{
	const json_t *a = spec_annotation(spec, SPEC_PIDS_KEY);
	int r;

	if (a) {
		if (pids_setting_parse(json_string_value(a), json_string_length(a))
		    == PIDS_SETTING_UNLIMITED) {
			rtlog_printf(log, "info", "memlog-runc: no default PID "
				     "limit: annotation " SPEC_PIDS_KEY "=%s",
				     json_string_value(a));
			return true;
		}
		rtlog_printf(log, "warning", "memlog-runc: annotation "
			     SPEC_PIDS_KEY "=\"%.*s\" is not unlimited, -1 or "
			     "0: ignored, the default PID limit applies",
			     DOCKER_LABEL_MAX, json_string_value(a));
		return false;
	}
	if (!d->found || !d->ctr.has_label)
		return false;
	if (pids_setting_parse(d->ctr.label, d->ctr.label_len) !=
	    PIDS_SETTING_UNLIMITED) {
		rtlog_printf(log, "warning", "memlog-runc: Docker label "
			     SPEC_PIDS_KEY "=\"%s\" is not unlimited, -1 or 0: "
			     "ignored, the default PID limit applies",
			     d->ctr.label);
		return false;
	}
	r = docker_image_label(d, SPEC_PIDS_KEY);
	if (r == 0) {
		rtlog_printf(log, "info", "memlog-runc: no default PID limit: "
			     "Docker label " SPEC_PIDS_KEY "=%s", d->ctr.label);
		return true;
	}
	if (r == 1)
		rtlog_printf(log, "warning", "memlog-runc: Docker label "
			     SPEC_PIDS_KEY " ignored: the container's image has "
			     "it too, so it may not be the operator's; the "
			     "default PID limit applies");
	else
		rtlog_printf(log, "warning", "memlog-runc: Docker label "
			     SPEC_PIDS_KEY " ignored: the image's config cannot "
			     "be read to tell whether it came from the image "
			     "(%s); the default PID limit applies (use docker "
			     "run --annotation " SPEC_PIDS_KEY "=unlimited, "
			     "Docker 24 and later)", strerror(-r));
	return false;
}

/* The host default for the PID limit, set in spec (written into
 * config.json by the caller). Returns true when spec was changed. */
static bool apply_pids_default(const struct rtlog *log, const char *path,
			       json_t *spec, long long limit,
			       const struct docker_info *d)
{
	json_int_t old;
	int r;

	if (limit <= 0)
		return false;
	/* With limit 0 nothing is changed: only what the engine set. */
	r = spec_pids_default(spec, 0, &old);
	if (r == 0 && old != 0)
		return false; /* the engine set one */
	if (r == 0 && pids_unlimited(log, spec, d))
		return false;
	if (geteuid() != 0) {
		/* Rootless: runc may not be allowed a pids cgroup and
		 * would then refuse the container. */
		rtlog_printf(log, "info", "memlog-runc: no default PID limit: "
			     "not running as root");
		return false;
	}
	if (!pids_controller_available()) {
		rtlog_printf(log, "info", "memlog-runc: no default PID limit: "
			     "the pids cgroup controller is not available");
		return false;
	}
	r = spec_pids_default(spec, limit, &old);
	if (r == 0)
		return false; /* the engine set one */
	if (r < 0) {
		rtlog_printf(log, "warning", "memlog-runc: no default PID limit: "
			     "%s has an unexpected linux.resources.pids shape; "
			     "left unchanged", path);
		return false;
	}
	return true;
}

/* With --memlog-kmsgfs: memlog-kmsgfs on the view, its kmsg file at
 * /dev/kmsg inside (docs/kernel.md, "dmesg inside a container"). */
static void add_kmsg_mount(const struct rtlog *log, const char *path,
			   json_t *spec, const struct runc_conf *c,
			   const char *sock, const char *id)
{
	char mnt[4096], file[4200], why[512];

	if (!c->kmsgfs)
		return;
	if ((size_t)snprintf(mnt, sizeof(mnt), "%s/%s.kmsgfs", c->view_dir,
			     id) >= sizeof(mnt))
		return;
	snprintf(file, sizeof(file), "%s/kmsg", mnt);
	if (kmsgfs_start(c->kmsgfs, sock, mnt, why, sizeof(why)) < 0) {
		rtlog_printf(log, "warning", "memlog-runc: no /dev/kmsg of "
			     "the container's own: %s", why);
		return;
	}
	int r = spec_add_bind(spec, file, "/dev/kmsg");
	if (r < 0)
		rtlog_printf(log, "warning", "memlog-runc: no /dev/kmsg of the "
			     "container's own: cannot add a mount to %s: %s",
			     path, r == -EINVAL ? "mounts has an unexpected "
			     "shape" : strerror(-r));
}

/* The container's view (docs/kernel.md), which memlogd made when the
 * container was announced: at LinuxKit's query path inside, so that an
 * unmodified logread there reads the container's own log. */
static void add_view_mount(const struct rtlog *log, const char *path,
			   json_t *spec, const struct runc_conf *c,
			   const char *id)
{
	char sock[4096];
	struct stat st;

	if ((size_t)snprintf(sock, sizeof(sock), "%s/%s.sock", c->view_dir,
			     id) >= sizeof(sock) ||
	    stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return; /* memlogd serves no views */
	int r = spec_add_bind(spec, sock, "/var/run/memlogdq.sock");
	if (r < 0) {
		rtlog_printf(log, "warning", "memlog-runc: no log view in the "
			     "container: cannot add a mount to %s: %s", path,
			     r == -EINVAL ? "mounts has an unexpected shape"
					  : strerror(-r));
		return;
	}
	add_kmsg_mount(log, path, spec, c, sock, id);
}

/* The container's kernel events (docs/kernel.md): memlog-runc runs
 * again as its createRuntime hook and tells memlogd its pid, cgroup and
 * namespaces. Returns true when spec was changed. Only as root: memlogd
 * takes container registrations from host root alone. */
static bool add_register_hook(const struct rtlog *log, const char *path,
			      json_t *spec, const struct runc_conf *c,
			      const char *name, const char *id)
{
	char self[4096], why[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *args[] = { "memlog-runc", "--memlog-socket", c->socket,
			       "--memlog-hook", name, NULL };
	int r;

	if (geteuid() != 0 || n <= 0)
		return false;
	self[n] = '\0';
	/* memlogd is told first: only a memlogd that takes containers gets
	 * the hook (it would fail against any other). */
	r = hook_announce(c->socket, name, id, why, sizeof(why));
	if (r < 0) {
		if (r != -ENOENT && r != -ECONNREFUSED)
			rtlog_printf(log, "info", "memlog-runc: kernel events not "
				     "attributed: memlogd did not take the "
				     "container (%s)", why);
		return false;
	}
	r = spec_add_hook(spec, "createRuntime", self, args, 10);
	if (r < 0) {
		rtlog_printf(log, "warning", "memlog-runc: kernel events not "
			     "attributed: cannot add a hook to %s: %s", path,
			     r == -EINVAL ? "hooks has an unexpected shape"
					  : strerror(-r));
		return false;
	}
	add_view_mount(log, path, spec, c, id);
	return true;
}

/* config.json again, with memlog-runc's edits. */
static void write_spec(const struct rtlog *log, const char *path,
		       const json_t *spec, bool pids_set, long long limit)
{
	char *text = spec_dump(spec);
	int r = text ? bundle_replace_file(path, text, strlen(text)) : -ENOMEM;

	free(text);
	if (r < 0 && pids_set)
		rtlog_printf(log, "warning", "memlog-runc: no default PID limit: "
			     "cannot rewrite %s: %s", path, strerror(-r));
	if (r < 0)
		rtlog_printf(log, "warning", "memlog-runc: %s left unchanged: "
			     "cannot rewrite it: %s", path, strerror(-r));
	else if (pids_set)
		rtlog_printf(log, "info", "memlog-runc: set "
			     "linux.resources.pids.limit to %lld (the engine "
			     "set none)", limit);
}

/* A standard fd that is closed when we start must reach runc closed, but
 * until then nothing we open may take its number: a socket or config file
 * on fd 1 would pass for the engine's stdout and be handed to runc (and to
 * the container). Each is held by /dev/null, close-on-exec, so that it is
 * closed again when runc starts; capture_classify() takes a close-on-exec
 * fd for a closed one. */
static void hold_closed_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (n >= 0 && n != fd) {
			IGNORE_RESULT(dup3(n, fd, O_CLOEXEC));
			close(n);
		}
	}
}

/* The container's source name (see docs/memlog-runc.md, Naming). */
static int container_name(const struct runc_conf *c, const json_t *spec,
			  const char *id, const struct docker_info *d,
			  char out[CNAME_MAX + 1])
{
	int n = cname_from_annotations(spec, c->name_annotations, out);

	if (n > 0)
		return n;
	if (d->found && d->ctr.name_len > 0) {
		memcpy(out, d->ctr.name, (size_t)d->ctr.name_len + 1);
		return d->ctr.name_len;
	}
	return cname_from_id(id, c->id_length, out);
}

static const char *send_error_text(int err, const char *why)
{
	switch (err) {
	case -EAGAIN:
		return "it is not reading: registration timed out";
	case -EPERM:
		return why && why[0] ? why : "refused";
	case -ETIMEDOUT:
		return "no answer to the registration in time";
	case -EPROTO:
		return "no answer to the registration (not memlog's memlogd?)";
	default:
		return strerror(-err);
	}
}

/* The container being prepared, for what is said about it. */
struct container {
	const struct runc_conf *conf;
	const struct rtlog *log;
	const char *id;
	char name[CNAME_MAX + 1]; /* its source name, "" until known */
};

/* The container, or one of its streams (stream non-NULL), is not
 * captured: why goes to the runtime log and, as a notice from source
 * memlog-runc, to memlogd, which keeps it after the engine has deleted
 * the runtime log with the container. Never waits for memlogd. */
static void not_captured(const struct container *x, const char *stream,
			 const char *level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void not_captured(const struct container *x, const char *stream,
			 const char *level, const char *fmt, ...)
{
	char why[768], line[NOTICE_LINE_MAX];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (stream)
		rtlog_printf(x->log, level, "memlog-runc: %s not logged: %s",
			     stream, why);
	else
		rtlog_printf(x->log, level, "memlog-runc: pass-through: %s", why);
	if (!x->conf->capture)
		return; /* the operator's choice: nothing for memlogd */
	n = notice_format(line, sizeof(line), x->name, x->id, stream, why);
	IGNORE_RESULT(notice_send(x->conf->socket, line, n));
}

/* create and run: host defaults, then capture. Any failure leaves the
 * container to runc as it is and says why. */
static void prepare_container(const struct runc_args *a,
			      const struct runc_conf *c, const struct rtlog *log)
{
	char *path = NULL, *text = NULL, why[256];
	struct container x = { .conf = c, .log = log, .id = a->id };
	struct capture_result res;
	struct docker_info *docker = calloc(1, sizeof(*docker));
	json_t *spec = NULL;
	size_t len;
	int r, n;

	if (!docker || asprintf(&path, "%s/config.json",
				a->bundle ? a->bundle : ".") < 0) {
		free(docker);
		return;
	}
	r = file_read_small(path, SPEC_MAX_BYTES, &text, &len);
	if (r == 0) {
		spec = spec_parse(text, len, why, sizeof(why));
		if (!spec)
			r = -EINVAL;
	}
	/* The name first, for the notices (from what there is). */
	docker_lookup(c, spec, a->id, docker);
	n = container_name(c, spec, a->id, docker, x.name);
	if (n <= 0)
		x.name[0] = '\0';
	if (!text) {
		not_captured(&x, NULL, "warning", "cannot read %s: %s", path,
			     strerror(-r));
		goto out;
	}
	if (!spec) {
		not_captured(&x, NULL, "warning", "%s left unchanged: %s", path,
			     why);
		goto out;
	}
	bool pids_set = apply_pids_default(log, path, spec, c->pids_limit,
					   docker);
	bool hooked = c->capture && n > 0 &&
		      add_register_hook(log, path, spec, c, x.name, a->id);
	if (pids_set || hooked)
		write_spec(log, path, spec, pids_set, c->pids_limit);

	r = spec_terminal(spec);
	if (r < 0) {
		/* runc will refuse it; leave that to runc. */
		not_captured(&x, NULL, "warning", "process.terminal in %s is "
			     "not a boolean", path);
		goto out;
	}
	if (a->console_socket || r == 1) {
		not_captured(&x, NULL, "info", "the container has a terminal");
		goto out;
	}
	if (!c->capture) {
		not_captured(&x, NULL, "info", "capture is off");
		goto out;
	}
	if (n <= 0) {
		not_captured(&x, NULL, "info", "no name for the container");
		goto out;
	}
	r = capture_start(c->socket, x.name, (size_t)n, &res);
	if (r < 0) {
		not_captured(&x, NULL, "info", "memlogd at %s did not take the "
			     "container's output (%s)", c->socket,
			     send_error_text(r, res.why[0]));
		goto out;
	}
	if (r == 0) {
		not_captured(&x, NULL, "info", "stdout and stderr are closed");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		const char *label = i == 0 ? "stdout" : "stderr";

		if (res.captured[i])
			rtlog_printf(log, "info", "memlog-runc: %s logged by "
				     "memlogd at %s as %s%s%s", label, c->socket,
				     x.name, i == 0 ? ".out" : "",
				     res.target[i] == CAPTURE_DEVNULL ?
				     " (the engine gave /dev/null)" :
				     ", copied on to the engine");
		else if (res.error[i])
			not_captured(&x, label, "warning", "%s",
				     send_error_text(res.error[i], res.why[i]));
	}
out:
	json_decref(spec);
	free(docker);
	free(text);
	free(path);
}

int main(int argc, char **argv)
{
	char **rargv = calloc((size_t)argc + 1, sizeof(*rargv));
	char err[512], runtime[4096];
	struct runc_args a;
	struct runc_conf conf;
	struct rtlog log;
	struct stat self, *selfp = &self;
	const char *conf_path, *env;
	bool conf_default;
	int r, e, orig_stderr, status;

	hold_closed_stdio();
	if (!rargv) {
		diag_warn("out of memory");
		return EXIT_SETUP;
	}
	r = runc_args_parse(argc, argv, rargv, &a);
	log.path = a.log;
	log.format = rtlog_parse_format(a.log_format);
	if (r < 0 || a.own.help || a.own.version) {
		if (r < 0)
			/* Not diag_usage(): --help is runc's, ours is
			 * --memlog-help. */
			diag_warn("%s: %s (see memlog-runc --memlog-help)",
				  argv[a.bad_arg], a.error);
		else if (a.own.help)
			usage(stdout);
		else
			printf("memlog-runc memlog %s\n", MEMLOG_VERSION);
		free(rargv);
		return r < 0 ? EXIT_SETUP : 0;
	}

	if (runc_conf_defaults(&conf) < 0) {
		diag_warn("out of memory");
		status = EXIT_SETUP;
		goto done;
	}
	if (a.own.hook) {
		/* The createRuntime hook: everything it needs is on its
		 * command line; it never fails the container. */
		char why[256];
		if (hook_run(STDIN_FILENO, a.own.socket ? a.own.socket :
			     CONF_DEFAULT_SOCKET, a.own.hook, why,
			     sizeof(why)) < 0)
			diag_warn("container %s not registered with memlogd: %s",
				  a.own.hook, why);
		runc_conf_free(&conf);
		free(rargv);
		return 0;
	}
	env = getenv(CONF_ENV);
	conf_default = !a.own.config && !(env && *env);
	conf_path = a.own.config ? a.own.config :
		    !conf_default ? env : CONF_DEFAULT_PATH;
	r = runc_conf_load(&conf, conf_path, conf_default, err, sizeof(err));
	if (r < 0) {
		diag_warn("config file %s: %s", conf_path, err);
		rtlog_printf(&log, "error", "memlog-runc: config file %s: %s",
			     conf_path, err);
		status = EXIT_SETUP;
		goto done;
	}
	if (a.own.socket)
		conf.socket = a.own.socket;
	if (a.own.view_dir)
		conf.view_dir = a.own.view_dir;
	if (a.own.kmsgfs)
		conf.kmsgfs = a.own.kmsgfs;
	if (a.own.runtime)
		conf.runtime = a.own.runtime;
	if (a.own.pids_limit_set)
		conf.pids_limit = a.own.pids_limit;
	if (a.own.capture_set)
		conf.capture = a.own.capture;
	if (a.own.show_config) {
		status = show_config(&conf, access(conf_path, F_OK) == 0 ?
				     conf_path : NULL);
		goto done;
	}

	if (stat("/proc/self/exe", &self) < 0)
		selfp = NULL;
	r = runtime_find(conf.runtime, getenv("PATH"), selfp, runtime,
			 sizeof(runtime));
	if (r < 0) {
		const char *why = r == -ELOOP ? "only memlog-runc itself was "
			"found under that name; set --memlog-runtime" :
			strerror(-r);

		diag_warn("runtime %s: %s", conf.runtime, why);
		rtlog_printf(&log, "error", "memlog-runc: runtime %s: %s",
			     conf.runtime, why);
		status = r == -EACCES ? EXIT_CANNOT_RUN : EXIT_NOT_FOUND;
		goto done;
	}
	rargv[0] = runtime;

	/* Whoever started us is told if the exec fails, also when fd 2 has
	 * become the container's pipe to memlogd by then. */
	orig_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if ((a.cmd == RUNC_CMD_CREATE || a.cmd == RUNC_CMD_RUN) &&
	    a.cmd_parsed && a.id)
		prepare_container(&a, &conf, &log);

	execv(runtime, rargv);
	e = errno;
	/* fd 2 may be the container's pipe to memlogd by now: say it on
	 * the stderr we were given (we exit next). */
	if (orig_stderr >= 0)
		IGNORE_RESULT(dup2(orig_stderr, STDERR_FILENO));
	diag_warn_err(e, "cannot run %s", runtime);
	rtlog_printf(&log, "error", "memlog-runc: cannot run %s: %s", runtime,
		     strerror(e));
	status = e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
done:
	runc_conf_free(&conf);
	free(rargv);
	return status;
}
