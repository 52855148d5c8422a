#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "opt.h"
#include "util.h"

#define LW(f) OPT_FIELD(struct lw_opts, f)

static int parse_log_dir(const char *val, void *base)
{
	struct lw_opts *o = base;

	if (!*val)
		return -EINVAL;
	o->log_dir = val;
	o->log_dir_given = true;
	return 0;
}

static int parse_max_age(const char *val, void *field)
{
	return parse_age(val, field);
}

static int parse_format(const char *val, void *base)
{
	return format_parse(val, &((struct lw_opts *)base)->format);
}

static int parse_sync(const char *val, void *base)
{
	static const struct { const char *name; enum lw_sync v; } m[] = {
		{ "batch", LW_SYNC_BATCH }, { "entry", LW_SYNC_ENTRY },
		{ "none", LW_SYNC_NONE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(m); i++)
		if (!strcmp(val, m[i].name)) {
			((struct lw_opts *)base)->sync = m[i].v;
			return 0;
		}
	return -EINVAL;
}

static const struct opt rows[] = {
	{ "socket", NULL, OPT_STR, LW(socket), .min = 1, .arg = "PATH",
	  .help = "memlogd's query socket [" DEFAULT_SOCKET "]" },
	{ "log-dir", NULL, OPT_FUNC, .parse = parse_log_dir,
	  .bad = " needs a directory", .arg = "DIR",
	  .help = "where the files go; must exist (the default is\n"
		  "made if missing) [" DEFAULT_LOG_DIR "]" },
	{ "max-log-size", NULL, OPT_SIZE, LW(max_log_size), .min = 1,
	  .max = UINT64_MAX / 2,
	  .bad = " needs a size of at least 1 byte (K, M, G suffixes)",
	  .arg = "SIZE",
	  .help = "rotate a file after the write that takes it over\n"
		  "SIZE bytes; K/M/G suffixes [1048576]" },
	{ "max-log-files", NULL, OPT_NUM, LW(max_log_files), .min = 0,
	  .max = ROTATE_FILES_MAX, .bad = " must be 0 to 1000", .arg = "N",
	  .help = "rotated files kept per source, 0 to 1000 [10]" },
	{ "max-total-size", NULL, OPT_SIZE, LW(max_total_size),
	  .max = UINT64_MAX / 2, .bad = " needs a size (K, M, G suffixes)",
	  .arg = "SIZE",
	  .help = "per source: delete the oldest rotated files so\n"
		  "that all its files stay within SIZE [no limit]" },
	{ "max-age", NULL, OPT_FUNC, LW(max_age_s), .parse = parse_max_age,
	  .bad = " needs an age such as 90m, 12h or 7d", .arg = "AGE",
	  .help = "delete rotated files not written for AGE\n"
		  "(s, m, h, d, w; e.g. 7d) [no limit]" },
	{ "compress", NULL, OPT_BOOL, LW(compress),
	  .help = "gzip rotated files to SOURCE.log.K.gz" },
	{ "format", NULL, OPT_FUNC, .parse = parse_format,
	  .bad = " must be text, json or raw", .arg = "FORMAT",
	  .help = "text: TIME SOURCE MSG (default); json: memlogd's\n"
		  "JSON line with seq and cursor; raw: MSG only" },
	{ "sync", NULL, OPT_FUNC, .parse = parse_sync,
	  .bad = " must be batch, entry or none", .arg = "MODE",
	  .help = "batch: fsync once per batch (default); entry:\n"
		  "after every entry; none: never (still exact\n"
		  "across crashes of logwrite, not of the machine)" },
	{ "state-file", NULL, OPT_STR, LW(state_file), .min = 1,
	  .arg = "PATH",
	  .help = "cursor and file lengths [LOG_DIR/" DEFAULT_STATE_NAME "]" },
	{ "help", NULL, OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
};

static const char usage_head[] =
"Usage: logwrite [OPTION]...\n"
"Follows memlogd and writes every entry to a file per source,\n"
"LOG_DIR/SOURCE.log, rotated to SOURCE.log.0 (newest) ... SOURCE.log.(N-1).\n"
"Each entry is written exactly once, also across crashes and restarts:\n"
"logwrite resumes after the last entry it committed. Single-dash forms\n"
"(-socket PATH, -max-log-size=N) work as in LinuxKit.\n"
"\n";

static const char usage_tail[] ="\n"
"SOURCE in file names is the source name with every byte other than\n"
"A-Z a-z 0-9 . _ - written as %XX (and a leading, trailing or doubled '.'),\n"
"then @STREAM unless the stream is the one LinuxKit's naming gives it:\n"
"web.log (stderr), web.out.log (stdout), web@syslog.log, kmsg@kernel.log.\n"
"memlogd's loss markers go to memlogd.log. SIGHUP reopens the files;\n"
"SIGTERM and SIGINT commit and stop.\n"
"\n"
"Exit status: 0 stopped by SIGTERM or SIGINT; 1 cannot start (LOG_DIR\n"
"missing, another logwrite uses it, out of memory); 2 usage error; 3 the\n"
"state file cannot be read or is invalid, or memlogd refuses its cursor.\n";

void lw_opts_defaults(struct lw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->socket = DEFAULT_SOCKET;
	o->log_dir = DEFAULT_LOG_DIR;
	o->max_log_size = 1048576;
	o->max_log_files = 10;
	o->format = LW_FORMAT_TEXT;
	o->sync = LW_SYNC_BATCH;
}

int parse_age(const char *s, uint64_t *seconds)
{
	static const struct { char unit; uint64_t mul; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};
	char num[32];
	size_t len;
	uint64_t v, mul = 1;
	int r;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (num[len - 1] == units[i].unit) {
			mul = units[i].mul;
			num[--len] = '\0';
			break;
		}
	}
	r = parse_u64(num, UINT64_MAX, &v);
	if (r < 0)
		return r;
	/* Past this the cutoff in seconds would not fit an int64. */
	if (v > (UINT64_C(1) << 40) / mul)
		return -ERANGE;
	*seconds = v * mul;
	return 0;
}

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.help_col = 25,
						.prog = "logwrite",
						.usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *lw_options(void)
{
	return &table;
}

enum lw_opts_result lw_parse_args(int argc, char **argv, struct lw_opts *o,
				  char *err, size_t errlen, void *out)
{
	int operand;

	switch (opt_parse_main(&table, argc, argv, o, &operand, err, errlen,
			       out)) {
	case OPT_HELP_ASKED:
	case OPT_VERSION_ASKED:
		return LW_OPTS_EXIT_OK;
	case OPT_USAGE:
		return LW_OPTS_USAGE;
	case OPT_RUN:
		break;
	}
	return LW_OPTS_RUN;
}
