#include "options.h"
#include "util.h"

#include <stdio.h>

#define KO(f) OPT_FIELD(struct memlog_kmsg_opts, f)

static const struct opt rows[] = {
	{ "kmsg", NULL, OPT_STR, KO(kmsg), .arg = "PATH",
	  .help = "the kernel log device [/dev/kmsg]" },
	{ "state-dir", NULL, OPT_STR, KO(state_dir), .arg = "DIR",
	  .help = "where the position is kept [/run/memlog]; \"\" for none" },
	{ "relay", NULL, OPT_STR, KO(relay), .min = 1, .arg = "SOCKET",
	  .help = "hand the records, as the kernel gives them, to\n"
		  "memlogd at its registration SOCKET, which\n"
		  "attributes them and keeps the place (as root)" },
	{ "no-follow", NULL, OPT_FLAG, KO(no_follow),
	  .help = "stop at the end of what the kernel holds" },
	{ "priority", NULL, OPT_FLAG, KO(priority),
	  .help = "start each line with <PRI> (facility*8+level)" },
	{ "help", .kind = OPT_HELP },
	{ "version", .kind = OPT_VERSION },
};

static const char usage_head[] =
"Usage: memlog-kmsg [OPTION]...\n"
"Copies the kernel log to stderr, one line per record:\n"
"  (SEQ) - TIME: MESSAGE\n"
"keeping its place in STATE-DIR/memlog-kmsg.state across restarts.\n"
"With --relay, hands the records to memlogd instead (source kmsg).\n"
"\n";

static const char usage_tail[] =
"  --help, --version\n"
"\n"
"Exit status: 0 at the end (--no-follow) or on SIGTERM/SIGINT, 1 the kernel\n"
"log cannot be read (no CAP_SYSLOG: not in containers) or memlogd refused\n"
"the relay, 2 usage error.\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 21,
						.prog = "memlog-kmsg", .usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *memlog_kmsg_options(void)
{
	return &table;
}

enum opt_result memlog_kmsg_parse_args(int argc, char **argv,
				       struct memlog_kmsg_opts *o, char *err,
				       size_t errlen, void *out)
{
	int operand;
	enum opt_result r;

	o->kmsg = "/dev/kmsg";
	o->state_dir = NULL;
	o->relay = NULL;
	o->no_follow = false;
	o->priority = false;
	r = opt_parse_main(&table, argc, argv, o, &operand, err, errlen, out);
	if (r != OPT_RUN)
		return r;
	if (o->relay && (o->state_dir || o->priority)) {
		/* memlogd keeps the place of what it is handed, and the
		 * records go as the kernel wrote them. */
		snprintf(err, errlen, "--relay: %s does not apply (memlogd "
			 "keeps the place and stores the records as they are)",
			 o->state_dir ? "--state-dir" : "--priority");
		return OPT_USAGE;
	}
	if (!o->state_dir)
		o->state_dir = o->relay ? "" : "/run/memlog";
	return r;
}
