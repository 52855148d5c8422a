#include "options.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

_Static_assert(NAME_MAX_LEN == 508, "-name's help names its limit");

#define RUN(f) OPT_FIELD(struct run_opts, f)

static const struct opt rows[] = {
	{ "name", "n", OPT_STR, RUN(name), .arg = "NAME",
	  .help = "source name: 1 to 508 bytes, any bytes but NUL" },
	{ "socket", NULL, OPT_STR, RUN(socket), .arg = "PATH",
	  .help = "memlogd's registration socket\n"
		  "(default " DEFAULT_SOCKET ")" },
	{ "help", "h", OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const char usage_head[] =
"Usage: memlog-run [-socket PATH] -n NAME [--] CMD [ARGS...]\n"
"\n"
"Runs CMD with its stdout logged by memlogd as source NAME.out and its\n"
"stderr as source NAME. memlog-run replaces itself with CMD (exec), so CMD\n"
"keeps its pid, gets signals directly and exits with its own status.\n"
"\n"
"Options (one or two dashes; -opt VALUE and -opt=VALUE both work):\n";

static const char usage_tail[] =
"\n"
"If memlogd cannot be reached, memlog-run says so once on stderr and runs\n"
"CMD with its output unchanged: output is never lost.\n"
"\n"
"Exit status: CMD's own, or\n"
"  125  memlog-run's own error (bad usage, out of resources)\n"
"  126  CMD was found but could not be run\n"
"  127  CMD was not found\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "-",
						.command = true,
						.help_col = 21,
						.prog = "memlog-run", .usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *run_options(void)
{
	return &table;
}

enum opt_result run_parse_args(int argc, char **argv, struct run_opts *o,
			       char *err, size_t errlen, void *out)
{
	int cmd;
	enum opt_result r;

	o->socket = DEFAULT_SOCKET;
	o->name = NULL;
	o->cmd = NULL;
	r = opt_parse_main(&table, argc, argv, o, &cmd, err, errlen, out);
	if (r != OPT_RUN)
		return r;
	if (!o->name) {
		snprintf(err, errlen, "-n NAME is required");
		return OPT_USAGE;
	}
	if (o->name[0] == '\0') {
		snprintf(err, errlen, "the name given with -n is empty");
		return OPT_USAGE;
	}
	if (strlen(o->name) > NAME_MAX_LEN) {
		snprintf(err, errlen, "the name given with -n is %zu bytes; at "
			 "most %d are allowed", strlen(o->name), NAME_MAX_LEN);
		return OPT_USAGE;
	}
	if (cmd >= argc) {
		snprintf(err, errlen, "no command given");
		return OPT_USAGE;
	}
	o->cmd = argv + cmd;
	return OPT_RUN;
}
