#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

enum {
	O_SOCKET = 256, O_LOG_DIR, O_MAX_LOG_SIZE, O_MAX_LOG_FILES, O_FORMAT,
	O_MAX_TOTAL_SIZE, O_MAX_AGE, O_COMPRESS, O_SYNC, O_STATE_FILE, O_HELP,
	O_VERSION,
};

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "log-dir", required_argument, NULL, O_LOG_DIR },
	{ "max-log-size", required_argument, NULL, O_MAX_LOG_SIZE },
	{ "max-log-files", required_argument, NULL, O_MAX_LOG_FILES },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "max-total-size", required_argument, NULL, O_MAX_TOTAL_SIZE },
	{ "max-age", required_argument, NULL, O_MAX_AGE },
	{ "compress", optional_argument, NULL, O_COMPRESS },
	{ "sync", required_argument, NULL, O_SYNC },
	{ "state-file", required_argument, NULL, O_STATE_FILE },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"Usage: logwrite [OPTION]...\n"
"Follows memlogd and writes every entry to a file per source,\n"
"LOG_DIR/SOURCE.log, rotated to SOURCE.log.0 (newest) ... SOURCE.log.(N-1).\n"
"Each entry is written exactly once, also across crashes and restarts:\n"
"logwrite resumes after the last entry it committed. Single-dash forms\n"
"(-socket PATH, -max-log-size=N) work as in LinuxKit.\n"
"\n"
"  --socket PATH          memlogd's query socket [" DEFAULT_SOCKET "]\n"
"  --log-dir DIR          where the files go; must exist (the default is\n"
"                         made if missing) [" DEFAULT_LOG_DIR "]\n"
"  --max-log-size SIZE    rotate a file after the write that takes it over\n"
"                         SIZE bytes; K/M/G suffixes [1048576]\n"
"  --max-log-files N      rotated files kept per source, 0 to 1000 [10]\n"
"  --max-total-size SIZE  per source: delete the oldest rotated files so\n"
"                         that all its files stay within SIZE [no limit]\n"
"  --max-age AGE          delete rotated files not written for AGE\n"
"                         (s, m, h, d, w; e.g. 7d) [no limit]\n"
"  --compress             gzip rotated files to SOURCE.log.K.gz\n"
"  --format FORMAT        text: TIME SOURCE MSG (default); json: memlogd's\n"
"                         JSON line with seq and cursor; raw: MSG only\n"
"  --sync MODE            batch: fsync once per batch (default); entry:\n"
"                         after every entry; none: never (still exact\n"
"                         across crashes of logwrite, not of the machine)\n"
"  --state-file PATH      cursor and file lengths [LOG_DIR/" DEFAULT_STATE_NAME "]\n"
"  --help, --version\n"
"\n"
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

enum lw_opts_result lw_parse_args(int argc, char **argv, struct lw_opts *o,
				  char *err, size_t errlen, void *out)
{
	uint64_t v;
	bool b;
	int c;

	/* 0, not 1: also forgets getopt's position inside a previous word. */
	optind = 0;
	opterr = 0;
	for (;;) {
		int idx = -1;
		char name[40];

		c = getopt_long_only(argc, argv, ":", long_opts, &idx);
		if (c == -1)
			break;
		if (idx < 0 && (c == ':' || c == '?'))
			for (int i = 0; long_opts[i].name; i++)
				if (long_opts[i].val == optopt)
					idx = i;
		if (idx >= 0)
			snprintf(name, sizeof(name), "--%s", long_opts[idx].name);
		else
			snprintf(name, sizeof(name), "%.39s",
				 optind > 0 && optind <= argc ? argv[optind - 1] : "?");
		switch (c) {
		case O_SOCKET:
			o->socket = optarg;
			break;
		case O_LOG_DIR:
			if (!*optarg) {
				snprintf(err, errlen, "%s needs a directory", name);
				return LW_OPTS_USAGE;
			}
			o->log_dir = optarg;
			o->log_dir_given = true;
			break;
		case O_MAX_LOG_SIZE:
			if (parse_size(optarg, UINT64_MAX / 2, &v) < 0 || v == 0) {
				snprintf(err, errlen, "%s needs a size of at least 1 "
					 "byte (K, M, G suffixes): %s", name, optarg);
				return LW_OPTS_USAGE;
			}
			o->max_log_size = v;
			break;
		case O_MAX_LOG_FILES:
			if (parse_u64(optarg, ROTATE_FILES_MAX, &v) < 0) {
				snprintf(err, errlen, "%s must be 0 to %u: %s", name,
					 ROTATE_FILES_MAX, optarg);
				return LW_OPTS_USAGE;
			}
			o->max_log_files = (unsigned)v;
			break;
		case O_MAX_TOTAL_SIZE:
			if (parse_size(optarg, UINT64_MAX / 2, &v) < 0) {
				snprintf(err, errlen, "%s needs a size (K, M, G "
					 "suffixes): %s", name, optarg);
				return LW_OPTS_USAGE;
			}
			o->max_total_size = v;
			break;
		case O_MAX_AGE:
			if (parse_age(optarg, &v) < 0) {
				snprintf(err, errlen, "%s needs an age such as 90m, "
					 "12h or 7d: %s", name, optarg);
				return LW_OPTS_USAGE;
			}
			o->max_age_s = v;
			break;
		case O_COMPRESS:
			b = true;
			if (optarg && parse_bool(optarg, &b) < 0) {
				snprintf(err, errlen, "%s takes true or false: %s",
					 name, optarg);
				return LW_OPTS_USAGE;
			}
			o->compress = b;
			break;
		case O_FORMAT:
			if (format_parse(optarg, &o->format) < 0) {
				snprintf(err, errlen, "%s must be text, json or raw: %s",
					 name, optarg);
				return LW_OPTS_USAGE;
			}
			break;
		case O_SYNC:
			if (!strcmp(optarg, "batch"))
				o->sync = LW_SYNC_BATCH;
			else if (!strcmp(optarg, "entry"))
				o->sync = LW_SYNC_ENTRY;
			else if (!strcmp(optarg, "none"))
				o->sync = LW_SYNC_NONE;
			else {
				snprintf(err, errlen, "%s must be batch, entry or "
					 "none: %s", name, optarg);
				return LW_OPTS_USAGE;
			}
			break;
		case O_STATE_FILE:
			if (!*optarg) {
				snprintf(err, errlen, "%s needs a path", name);
				return LW_OPTS_USAGE;
			}
			o->state_file = optarg;
			break;
		case O_HELP:
			fputs(usage_text, out);
			return LW_OPTS_EXIT_OK;
		case O_VERSION:
			fprintf(out, "logwrite memlog %s\n", MEMLOG_VERSION);
			return LW_OPTS_EXIT_OK;
		case ':':
			snprintf(err, errlen, "%s needs a value", name);
			return LW_OPTS_USAGE;
		default:
			if (idx >= 0) {
				snprintf(err, errlen, "%s takes no value", name);
				return LW_OPTS_USAGE;
			}
			snprintf(err, errlen, "unknown option: %s", name);
			return LW_OPTS_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
		return LW_OPTS_USAGE;
	}
	return LW_OPTS_RUN;
}
