/* logwrite: follows memlogd and writes every entry, exactly once, to a
 * file per source with rotation. main() reads the options, takes the log
 * directory, loads the state and wires the parts together; run.c is the
 * loop. See docs/logwrite.md. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "options.h"
#include "run.h"
#include "state.h"
#include "store.h"
#include "util.h"

const char *diag_prog = "logwrite";

/* SIGTERM, SIGINT and SIGHUP arrive on a signalfd. */
static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Opens the directory of path and returns its fd; *name is the last
 * component (pointing into copy, which the caller frees). */
static int open_parent(const char *path, char **copy, const char **name)
{
	char *c1 = strdup(path), *c2 = strdup(path);
	int fd = -1;

	if (c1 && c2) {
		fd = open(dirname(c1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*name = basename(c2);
	}
	free(c1);
	if (fd < 0) {
		int e = c2 ? errno : ENOMEM;
		free(c2);
		errno = e;
		return -1;
	}
	*copy = c2;
	return fd;
}

/* The log directory. The default one is logwrite's own: made if it is
 * missing (its parent, /var/log, must exist), and never taken through a
 * symbolic link (one put there would send logwrite's files elsewhere);
 * a directory given with -log-dir is the caller's and must exist. */
static int open_log_dir(const struct lw_opts *o)
{
	if (o->log_dir_given)
		return open(o->log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mkdir(o->log_dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return open(o->log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

int main(int argc, char **argv)
{
	struct lw_opts opts;
	struct store_cfg cfg;
	struct store store;
	struct logwrite lw;
	struct stat dir_st;
	char err[256], serr[STATE_ERR_MAX];
	char *state_copy = NULL, *text = NULL;
	const char *state_name = DEFAULT_STATE_NAME;
	size_t text_len = 0;
	int dirfd, state_dirfd = -1, sigfd = -1, r, code = LW_EXIT_START;
	bool store_ok = false;

	lw_opts_defaults(&opts);
	switch (lw_parse_args(argc, argv, &opts, err, sizeof(err), stdout)) {
	case LW_OPTS_EXIT_OK:
		return LW_EXIT_OK;
	case LW_OPTS_USAGE:
		diag_usage("%s", err);
		return LW_EXIT_USAGE;
	case LW_OPTS_RUN:
		break;
	}
	signal(SIGPIPE, SIG_IGN);

	dirfd = open_log_dir(&opts);
	if (dirfd < 0) {
		diag_warn_err(errno, "cannot open the log directory %s",
			      opts.log_dir);
		return LW_EXIT_START;
	}
	/* Two writers on one directory would each cut the other's lines. */
	if (flock(dirfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			diag_warn("cannot lock %s: another logwrite writes there",
				  opts.log_dir);
		else
			diag_warn_err(errno, "cannot lock %s", opts.log_dir);
		goto out;
	}
	if (fstat(dirfd, &dir_st) < 0) {
		diag_warn_err(errno, "cannot stat the log directory %s",
			      opts.log_dir);
		goto out;
	}
	state_dirfd = dirfd;
	if (opts.state_file) {
		state_dirfd = open_parent(opts.state_file, &state_copy, &state_name);
		if (state_dirfd < 0) {
			diag_warn_err(errno, "cannot open the directory of the "
				      "state file %s", opts.state_file);
			code = LW_EXIT_STATE;
			goto out;
		}
	}
	r = state_load(state_dirfd, state_name, &text, &text_len);
	if (r < 0) {
		if (r == -EFBIG)
			diag_warn("cannot read the state file %s: too big to be one",
				  opts.state_file ? opts.state_file : state_name);
		else
			diag_warn_err(r, "cannot read the state file %s",
				      opts.state_file ? opts.state_file : state_name);
		code = LW_EXIT_STATE;
		goto out;
	}

	sigfd = signals_fd();
	if (sigfd < 0) {
		diag_warn_err(errno, "cannot set up signals");
		goto out;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.dirfd = dirfd;
	cfg.dir_name = opts.log_dir;
	cfg.say = run_say;
	cfg.state_dirfd = state_dirfd;
	cfg.state_name = state_name;
	cfg.format = opts.format;
	cfg.sync = opts.sync;
	cfg.rot = (struct rotate_cfg){
		.dirfd = dirfd,
		.dev = dir_st.st_dev,
		.max_files = opts.max_log_files,
		.max_size = opts.max_log_size,
		.max_total = opts.max_total_size,
		.max_age_s = opts.max_age_s,
		.compress = opts.compress,
		.sync = opts.sync != LW_SYNC_NONE,
	};
	if (store_init(&store, &cfg) < 0) {
		diag_warn("out of memory");
		goto out;
	}
	store_ok = true;
	r = store_start(&store, r == 1 ? text : NULL, text_len, serr);
	if (r == -EINVAL) {
		diag_warn("the state file %s is invalid (%s); move it away to "
			  "start over (entries still in memlogd would then be "
			  "written again)",
			  opts.state_file ? opts.state_file : state_name, serr);
		code = LW_EXIT_STATE;
		goto out;
	}

	run_init(&lw, &opts, &store, sigfd, r);
	code = run(&lw);
	run_free(&lw);
out:
	if (store_ok)
		store_free(&store);
	free(text);
	if (sigfd >= 0)
		close(sigfd);
	if (state_dirfd >= 0 && state_dirfd != dirfd)
		close(state_dirfd);
	close(dirfd);
	free(state_copy);
	return code;
}
