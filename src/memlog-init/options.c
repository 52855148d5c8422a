#include "options.h"
#include "holdkeys.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define IO(f) OPT_FIELD(struct init_opts, f)

static const struct opt rows[] = {
	{ "holder-socket", NULL, OPT_STR, IO(holder_socket), .min = 1,
	  .arg = "PATH",
	  .help = "the fd holder's socket [" INIT_HOLDER_SOCKET "]" },
	{ "fd-holder", NULL, OPT_STR, IO(fd_holder), .min = 1, .arg = "PATH",
	  .help = "the holder program [memlog-fdholder next to\n"
		  "memlog-init, or on PATH]" },
	{ "no-mount-run", NULL, OPT_FLAG, IO(no_mount_run),
	  .help = "never mount a tmpfs on /run (see below)" },
	{ "help", "h", OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.command = true,
						.help_col = 23);

static const char usage_head[] =
"Usage: memlog-init [OPTION]... [--] [SYSTEMD [ARG]...]\n"
"\n"
"The entrypoint of a container whose PID 1 is systemd: keeps the\n"
"container's stdout and stderr in an fd holder (memlog-fdholder), where\n"
"memlog-journal.service takes them from, then executes SYSTEMD (default\n"
INIT_DEFAULT_SYSTEMD ") in its own place, as PID 1.\n"
"\n"
"Options:\n";

static const char usage_tail[] =
"\n"
"If /run is not a mount point, memlog-init mounts a tmpfs there as systemd\n"
"would (systemd then leaves it), so that the holder's socket is not hidden.\n"
"If the holder cannot be started, memlog-init says so and executes SYSTEMD\n"
"anyway: the container boots, its units' output only cannot reach stdout.\n"
"Stop the container with SIGRTMIN+3 (Dockerfile: STOPSIGNAL SIGRTMIN+3).\n"
"\n"
"Exit status (only when SYSTEMD could not be executed):\n"
"  125  memlog-init's own error (bad usage)\n"
"  126  SYSTEMD was found but could not be run\n"
"  127  SYSTEMD was not found\n";

const struct opt_table *init_options(void)
{
	return &table;
}

enum opt_result init_parse_args(int argc, char **argv, struct init_opts *o,
				char *err, size_t errlen, void *out)
{
	int cmd;
	enum opt_result r;

	*o = (struct init_opts){
		.holder_socket = INIT_HOLDER_SOCKET,
		.default_cmd = { INIT_DEFAULT_SYSTEMD, NULL },
	};
	r = opt_parse(&table, argc, argv, o, &cmd, err, errlen);
	if (r == OPT_HELP_ASKED) {
		fputs(usage_head, out);
		opt_help(&table, out);
		fputs(usage_tail, out);
	} else if (r == OPT_VERSION_ASKED) {
		fprintf(out, "memlog-init memlog %s\n", MEMLOG_VERSION);
	}
	if (r != OPT_RUN)
		return r;
	if (strlen(o->holder_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "--holder-socket: the path is longer than "
			 "a unix socket's %zu bytes",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return OPT_USAGE;
	}
	o->cmd = cmd < argc ? argv + cmd : (char **)o->default_cmd;
	if (o->cmd[0][0] == '\0') {
		snprintf(err, errlen, "the command to execute is empty");
		return OPT_USAGE;
	}
	return OPT_RUN;
}
