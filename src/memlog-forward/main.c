/* memlog-forward: follows memlogd from a durable cursor and sends every
 * entry to a syslog receiver over TCP, TLS, RELP, RELP over TLS or UDP
 * (docs/memlog-forward.md). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "diag.h"
#include "fstate.h"
#include "options.h"
#include "opt.h"
#include "run.h"
#include "util.h"


const char *diag_prog = "memlog-forward";

int main(int argc, char **argv)
{
	char err[OPT_ERR_MAX], cursor[CURSOR_TEXT_MAX + 1] = "", host[HOST_NAME_MAX + 1];
	struct fwd_opts opts;
	struct forwarder f;
	const char *why = NULL, *op = NULL, *hostname;
	sigset_t mask;
	int r, sigfd, status;

	if (options_parse(&opts, argc, argv, err) < 0) {
		diag_usage("%s", err);
		return FWD_EXIT_USAGE;
	}
	if (opts.help || opts.version) {
		const struct opt_table *t = options_table();
		if (opts.help) {
			fputs(t->usage_head, stdout);
			opt_help(t, stdout);
			fputs(t->usage_tail, stdout);
		} else {
			printf("%s memlog %s\n", t->prog, MEMLOG_VERSION);
		}
		return FWD_EXIT_STOPPED;
	}
	r = fstate_load(opts.state_file, cursor, &why);
	if (r == -EINVAL)
		diag_die(FWD_EXIT_STATE, "%s is not a memlog-forward state file (%s); move "
			 "it away to start from memlogd's oldest entry", opts.state_file, why);
	if (r < 0)
		diag_die_err(FWD_EXIT_START, r, "cannot read %s", opts.state_file);
	/* Written once now: a state file that cannot be written would make
	 * every restart send everything again, so it is a start-up error. */
	r = fstate_save(opts.state_file, cursor, &op);
	if (r < 0)
		diag_die_err(FWD_EXIT_START, r, "cannot write the state file %s (%s failed)",
			     opts.state_file, op);
	hostname = opts.hostname;
	if (!hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "-");
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	/* Signals come through signalfd, read by the loop; a receiver that
	 * goes away must be an error return, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		diag_die_err(FWD_EXIT_START, errno, "cannot set up signals");
	if (run_init(&f, &opts, hostname, cursor, sigfd) < 0) {
		run_free(&f);
		close(sigfd);
		return FWD_EXIT_START;
	}
	status = run(&f);
	if (opts.stats)
		run_print_stats(&f);
	run_free(&f);
	close(sigfd);
	/* OpenSSL frees its global state itself at exit (atexit handler). */
	return status;
}
