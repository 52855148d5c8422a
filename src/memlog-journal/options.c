#include "options.h"
#include "../memlog-init/holdkeys.h"
#include "query.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static int parse_output(const char *val, void *base)
{
	struct journal_opts *o = base;

	return jformat_parse(val, &o->format);
}

static int parse_from(const char *val, void *base)
{
	struct journal_opts *o = base;
	static const char *const words[] = {
		[JFROM_START] = "start", [JFROM_HEAD] = "head",
		[JFROM_TAIL] = "tail",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(val, words[i]) == 0) {
			o->from = (enum jfrom)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_unit(const char *val, void *base)
{
	struct journal_opts *o = base;

	return jfilter_add_unit(&o->filter, val);
}

static int parse_priority(const char *val, void *base)
{
	struct journal_opts *o = base;
	int lo, hi;

	if (query_priority_arg(val, &lo, &hi) < 0)
		return -EINVAL;
	o->filter.has_prio = true;
	o->filter.prio_min = lo;
	o->filter.prio_max = hi;
	return 0;
}

_Static_assert(JFILTER_UNITS_MAX == 32 && JFILTER_UNIT_MAX == 255,
	       "--unit's texts name its limits");

#define JO(f) OPT_FIELD(struct journal_opts, f)

static const struct opt rows[] = {
	{ "output", "o", OPT_FUNC, .parse = parse_output,
	  .bad = " takes short, short-iso, cat or json", .arg = "FORMAT",
	  .help = "short      IDENT[PID]: MESSAGE (the default)\n"
		  "short-iso  TIME IDENT[PID]: MESSAGE\n"
		  "cat        MESSAGE\n"
		  "json       journalctl -o json's object per line" },
	{ "unit", "u", OPT_FUNC, .parse = parse_unit,
	  .bad = ": at most 32 unit names or patterns of at most 255 bytes",
	  .arg = "UNIT",
	  .help = "only entries of UNIT (as journalctl -u: a name\n"
		  "without a type is a .service; shell patterns);\n"
		  "repeatable, any may match" },
	{ "priority", "p", OPT_FUNC, .parse = parse_priority,
	  .bad = " takes a priority (emerg, alert, crit, err, warning, "
		 "notice, info, debug or 0-7) or a range A..B",
	  .arg = "PRIO",
	  .help = "only entries of priority PRIO or more severe, or\n"
		  "of a range A..B (as journalctl -p)" },
	{ "from", NULL, OPT_FUNC, .parse = parse_from,
	  .bad = " takes start, head or tail", .arg = "WHERE",
	  .help = "where to begin when no position was kept:\n"
		  "start  entries since the container started (default)\n"
		  "head   every entry the journal holds\n"
		  "tail   only new entries" },
	{ "holder-socket", NULL, OPT_STR, JO(holder_socket), .min = 1,
	  .arg = "PATH",
	  .help = "memlog-init's fd holder [" INIT_HOLDER_SOCKET "]" },
	{ "fd-holder", NULL, OPT_STR, JO(fd_holder), .min = 1, .arg = "PATH",
	  .help = "the holder program to start when the holder died\n"
		  "[memlog-fdholder next to memlog-journal, or on PATH]" },
	{ "no-respawn", NULL, OPT_FLAG, JO(no_respawn),
	  .help = "do not replace a holder that died" },
	{ "state-file", NULL, OPT_STR, JO(state_file), .arg = "PATH",
	  .help = "where a clean stop keeps its position\n"
		  "[" JOURNAL_STATE_FILE "]; \"\" for nowhere" },
	{ "directory", "D", OPT_STR, JO(directory), .min = 1, .arg = "DIR",
	  .help = "read the journal files in DIR, not the system's" },
	{ "field-max", NULL, OPT_SIZE, JO(field_max), .min = 256,
	  .max = JOURNAL_FIELD_MAX_MAX, .arg = "SIZE",
	  .help = "cut field values to SIZE bytes (256 to 16M) [64K]" },
	{ "help", "h", OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 25);

static const char usage_head[] =
"Usage: memlog-journal [OPTION]...\n"
"\n"
"Writes every journal entry to the container's stdout exactly once, in\n"
"journal order, across its own crashes and restarts, systemd's re-execution\n"
"and journald's restarts. Runs as memlog-journal.service in a container\n"
"started by memlog-init, which keeps the container's stdout in an fd holder.\n"
"\n"
"Options:\n";

static const char usage_tail[] =
"\n"
"Exit status: 0 stopped by SIGTERM or SIGINT; 1 runtime error; 2 usage\n"
"error; 3 no container stdout: neither systemd's fd store nor an fd holder\n"
"has one (the container was not started by memlog-init).\n";

const struct opt_table *journal_options(void)
{
	return &table;
}

enum opt_result journal_parse_args(int argc, char **argv,
				   struct journal_opts *o, char *err,
				   size_t errlen, void *out)
{
	int operand;
	enum opt_result r;

	memset(o, 0, sizeof(*o));
	o->format = JFORMAT_SHORT;
	o->from = JFROM_START;
	o->holder_socket = INIT_HOLDER_SOCKET;
	o->state_file = JOURNAL_STATE_FILE;
	o->field_max = JOURNAL_FIELD_MAX_DEFAULT;
	r = opt_parse(&table, argc, argv, o, &operand, err, errlen);
	if (r == OPT_HELP_ASKED) {
		fputs(usage_head, out);
		opt_help(&table, out);
		fputs(usage_tail, out);
	} else if (r == OPT_VERSION_ASKED) {
		fprintf(out, "memlog-journal memlog %s\n", MEMLOG_VERSION);
	}
	if (r != OPT_RUN)
		return r;
	if (strlen(o->holder_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "--holder-socket: the path is longer than "
			 "a unix socket's %zu bytes",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return OPT_USAGE;
	}
	return OPT_RUN;
}
