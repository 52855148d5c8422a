#include "options.h"
#include "cursor.h"
#include "regmsg.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int parse_lines(const char *val, void *base)
{
	struct logread_opts *o = base;
	int r = parse_u64(val, UINT64_MAX, &o->lines);

	o->has_lines |= r == 0;
	return r;
}

static int parse_source(const char *val, void *base)
{
	struct logread_opts *o = base;

	if (o->nglobs == QUERY_GLOBS_MAX || strlen(val) > QUERY_GLOB_MAX)
		return -E2BIG;
	o->globs[o->nglobs++] = val;
	return 0;
}

/* -u NAME: the program's stderr (NAME) and stdout (NAME.out), as
 * LinuxKit names the two. */
static int parse_unit(const char *val, void *base)
{
	struct logread_opts *o = base;
	size_t l = strlen(val);

	if (o->nglobs + 2 > QUERY_GLOBS_MAX || l + 4 > QUERY_GLOB_MAX || l == 0)
		return -E2BIG;
	char *out = o->unit_out[o->nunits++];
	memcpy(out, val, l);
	memcpy(out + l, ".out", 5);
	o->globs[o->nglobs++] = val;
	o->globs[o->nglobs++] = out;
	return 0;
}

static int parse_time(const char *val, struct timearg *t, bool *has)
{
	if (timearg_parse(val, t) < 0)
		return -EINVAL;
	*has = true;
	return 0;
}

static int parse_since(const char *val, void *base)
{
	struct logread_opts *o = base;
	return parse_time(val, &o->since, &o->has_since);
}

static int parse_until(const char *val, void *base)
{
	struct logread_opts *o = base;
	return parse_time(val, &o->until, &o->has_until);
}

/* --stream LIST: names separated by commas; repeatable. */
static int parse_stream(const char *val, void *field)
{
	uint32_t *mask = field;

	for (;;) {
		size_t l = strcspn(val, ",");
		int sn = stream_parse(val, l);
		if (sn < 0)
			return -EINVAL;
		*mask |= 1u << sn;
		if (!val[l])
			return 0;
		val += l + 1;
	}
}

static int parse_grep(const char *val, void *field)
{
	if (!*val || strlen(val) > QUERY_GREP_MAX)
		return -EINVAL;
	*(const char **)field = val;
	return 0;
}

static int parse_priority(const char *val, void *base)
{
	struct logread_opts *o = base;
	int lo, hi;

	if (query_priority_arg(val, &lo, &hi) < 0)
		return -EINVAL;
	o->prio_min = lo;
	o->prio_max = hi;
	o->has_prio = true;
	return 0;
}

static int parse_facility(const char *val, void *field)
{
	return query_facility_arg(val, field);
}

static int parse_output(const char *val, void *base)
{
	struct logread_opts *o = base;

	return output_format_parse(val, &o->format);
}

static int parse_redact(const char *val, void *base)
{
	struct logread_opts *o = base;

	if (o->nredact == REDACT_MAX)
		return -E2BIG;
	o->redact[o->nredact++] = val;
	return 0;
}

static int parse_cursor(const char *val, void *field)
{
	if (!cursor_text_ok(val, strlen(val)))
		return -EINVAL;
	*(const char **)field = val;
	return 0;
}

_Static_assert(QUERY_GLOBS_MAX == 16 && QUERY_GLOB_MAX == 1024,
	       "-source's texts name its limits");

#define LR(f) OPT_FIELD(struct logread_opts, f)

static const struct opt rows[] = {
	{ "socket", NULL, OPT_STR, LR(socket), .arg = "PATH",
	  .help = "query socket (default " DEFAULT_SOCKET ")" },
	{ "f", NULL, OPT_BOOL, LR(follow),
	  .help = "follow: print only new entries, as they arrive" },
	{ "F", NULL, OPT_BOOL, LR(dump_follow),
	  .help = "print the log, then follow" },
	{ "help", "h", OPT_HELP, .help = "show this help and exit" },
	{ "version", .kind = OPT_VERSION, .help = "show the version and exit" },
	{ "lines", "n", OPT_FUNC, .parse = parse_lines,
	  .bad = " needs a number of entries", .arg = "N",
	  .help = "start N entries before the newest",
	  .heading = "\nmemlog extensions (they need memlog's memlogd; "
		     "LinuxKit's never answers):\n" },
	{ "source", NULL, OPT_FUNC, .parse = parse_source,
	  .bad = ": at most 16 patterns of at most 1024 bytes each",
	  .arg = "GLOB",
	  .help = "only sources whose name matches the shell pattern\n"
		  "GLOB; repeatable (up to 16), any may match" },
	{ "priority", "p", OPT_FUNC, .parse = parse_priority,
	  .bad = " takes a priority (emerg, alert, crit, err, warning, "
		 "notice, info, debug or 0-7) or a range A..B",
	  .arg = "PRIO",
	  .help = "only entries of priority PRIO or more severe\n"
		  "(emerg alert crit err warning notice info debug,\n"
		  "or 0-7), or of a range A..B; entries without a\n"
		  "priority (container output) do not match" },
	{ "facility", NULL, OPT_FUNC, LR(fac_mask), .parse = parse_facility,
	  .bad = " takes names (kern, user, daemon, auth, local0...) or "
		 "numbers 0-23, separated by commas",
	  .arg = "LIST",
	  .help = "only entries of these facilities: names (kern,\n"
		  "user, daemon, auth, syslog, cron, local0-local7...)\n"
		  "or numbers 0-23, separated by commas" },
	{ "unit", "u", OPT_FUNC, .parse = parse_unit,
	  .bad = ": at most 8 names (each takes two -source patterns) of at "
		 "most 1020 bytes", .arg = "NAME",
	  .help = "only the program NAME: its stderr (source NAME)\n"
		  "and stdout (NAME.out); a shell pattern works;\n"
		  "repeatable" },
	{ "since", "S", OPT_FUNC, .parse = parse_since,
	  .bad = " takes a time: \"2026-12-03 10:00:00\", \"2026-12-03\", "
		 "\"10:00\", today, yesterday, now, -1h, -15min, @EPOCH",
	  .arg = "TIME",
	  .help = "only entries at TIME or later: \"2026-12-03\n"
		  "10:00:00\", \"2026-12-03\", \"10:00\" (today), today,\n"
		  "yesterday, tomorrow, now, -1h, -15min, +1d,\n"
		  "\"2 days ago\", @EPOCH[.FRAC]; local time unless\n"
		  "--utc or the time ends in \" UTC\"" },
	{ "until", "U", OPT_FUNC, .parse = parse_until,
	  .bad = " takes a time: \"2026-12-03 10:00:00\", \"2026-12-03\", "
		 "\"10:00\", today, yesterday, now, -1h, -15min, @EPOCH",
	  .arg = "TIME",
	  .help = "only entries at TIME or earlier (forms as --since)" },
	{ "utc", NULL, OPT_FLAG, LR(utc),
	  .help = "times given and shown are UTC (shown: on a\n"
		  "terminal; a pipe always gets UTC)" },
	{ "no-color", NULL, OPT_FLAG, LR(no_color),
	  .help = "no colours on a terminal (also: NO_COLOR set)" },
	{ "pager", NULL, OPT_FLAG, LR(pager),
	  .help = "on a terminal, show the output through $PAGER\n"
		  "(default less); not with -f or -F" },
	{ "stream", NULL, OPT_FUNC, LR(stream_mask), .parse = parse_stream,
	  .bad = " takes stdout, stderr, kernel, syslog or daemon, "
		 "separated by commas", .arg = "LIST",
	  .help = "only entries of these streams: stdout, stderr,\n"
		  "kernel, syslog, daemon (memlogd's own), separated\n"
		  "by commas; repeatable" },
	{ "dmesg", "k", OPT_FLAG, LR(dmesg),
	  .help = "only kernel entries (as --stream kernel)" },
	{ "grep", "g", OPT_FUNC, LR(grep), .parse = parse_grep,
	  .bad = " takes an extended regular expression of 1 to 256 bytes",
	  .arg = "RE",
	  .help = "only entries whose message matches the extended\n"
		  "regular expression RE (at most 256 bytes); case\n"
		  "is ignored when RE has no upper-case letter" },
	{ "case-sensitive", NULL, OPT_FLAG, LR(case_sensitive),
	  .help = "-g matches case exactly, whatever RE holds" },
	{ "reverse", "r", OPT_FLAG, LR(reverse),
	  .help = "newest entries first (not with -f, -F or\n"
		  "-cursor-file; at most 256 MiB of output)" },
	{ "output", "o", OPT_FUNC, .parse = parse_output,
	  .bad = " takes legacy, short, short-iso, short-precise, json, "
		 "json-pretty, raw, cat, export or prometheus", .arg = "FORMAT",
	  .help = "legacy  TIME;SOURCE;MSG (the default)\n"
		  "short   TIME SOURCE[STREAM]: MSG\n"
		  "short-iso      short, TIME as 2026-12-03T10:00:00+00:00\n"
		  "short-precise  short, TIME as Dec 03 10:00:00.123456\n"
		  "json    memlogd's JSON object per line\n"
		  "json-pretty    the same, indented\n"
		  "raw     MSG only, split lines joined again\n"
		  "cat     MSG only, each entry on its own line\n"
		  "export  systemd's Journal Export Format\n"
		  "        (systemd-journal-remote -o F.journal -)\n"
		  "prometheus  -stats in Prometheus' text format" },
	{ "after-cursor", NULL, OPT_FUNC, LR(after), .parse = parse_cursor,
	  .bad = ": not a cursor", .arg = "C",
	  .help = "start after the entry with cursor C" },
	{ "cursor-file", NULL, OPT_STR, LR(cursor_file), .min = 1, .arg = "F",
	  .help = "start after the cursor kept in F (if any) and\n"
		  "store there the cursor of the last entry printed" },
	{ "sources", NULL, OPT_FLAG, LR(sources),
	  .help = "list every source: name, stream, pid, uid, lines,\n"
		  "bytes, drops, partial lines, first and last entry,\n"
		  "open or ended; a table, -o json (an object per\n"
		  "source), -o cat (each name once)" },
	{ "legacy-request", NULL, OPT_FLAG, LR(legacy_request),
	  .help = "without a memlog option: send LinuxKit's request\n"
		  "byte alone, not asking memlogd for its binary\n"
		  "records behind it (the same output, slower)" },
	{ "stats", NULL, OPT_FLAG, LR(stats),
	  .help = "print the daemon's counters: a summary on a\n"
		  "terminal, else (and with -o json) one JSON object;\n"
		  "-o prometheus for node_exporter's textfile collector" },
	{ "bundle", NULL, OPT_STR, LR(bundle), .min = 1, .arg = "FILE",
	  .help = "write a diagnostics bundle (a .tar.gz of the\n"
		  "entries selected, one file per source, the kernel\n"
		  "log, stats and a manifest of what was lost) to\n"
		  "FILE, or to standard output for -" },
	{ "redact", NULL, OPT_FUNC, .parse = parse_redact,
	  .bad = ": at most 16 patterns", .arg = "REGEX",
	  .help = "-bundle: replace what the extended regular\n"
		  "expression REGEX matches in messages with\n"
		  "[redacted]; repeatable (up to 16)" },
};

static const char usage_head[] =
"Usage: logread [-socket PATH] [-f | -F] [OPTIONS]\n"
"\n"
"Prints the log kept in memory by memlogd, one entry per line.\n"
"\n"
"Options (one or two dashes; -opt VALUE and -opt=VALUE both work):\n";

static const char usage_tail[] =
"-f or -F with a start point (-n, -after-cursor, a cursor in the cursor\n"
"file) prints from that point on, then follows.\n"
"\n"
"-f and -F connect again when memlogd goes away, and resume after the\n"
"last entry printed; LinuxKit's protocol (no memlog extension) has no\n"
"cursor: it follows again, and what came meanwhile is not printed.\n"
"\n"
"On a terminal, control characters in the log are shown as \\xNN.\n"
"\n"
"Exit status:\n"
"  0  success (also: stopped by a signal, or the output pipe was closed)\n"
"  1  runtime error, e.g. the output could not be written\n"
"  2  usage error\n"
"  3  cannot connect to the socket\n"
"  4  protocol error, or the server answered with an error\n"
"  5  the cursor file cannot be read or written\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "-",
						.help_col = 25,
						.prog = "logread", .usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *logread_options(void)
{
	return &table;
}

enum opt_result logread_parse_args(int argc, char **argv,
				   struct logread_opts *o, char *err,
				   size_t errlen, void *out)
{
	int operand;
	enum opt_result r;

	memset(o, 0, sizeof(*o));
	o->socket = DEFAULT_SOCKET;
	o->format = OUT_LEGACY;
	r = opt_parse_main(&table, argc, argv, o, &operand, err, errlen, out);
	if (r != OPT_RUN)
		return r;
	if (o->dmesg)
		o->stream_mask |= 1u << STREAM_KERNEL;
	if (o->grep) {
		/* journalctl's rule: a pattern without upper case ignores
		 * case. */
		o->grep_icase = !o->case_sensitive &&
				!o->grep[strcspn(o->grep, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")];
	}
	bool select = o->has_since || o->has_until || o->stream_mask || o->grep;
	if (o->stats && (o->follow || o->dump_follow || o->has_lines ||
			 o->nglobs || o->has_prio || o->fac_mask || o->after ||
			 o->cursor_file || select)) {
		snprintf(err, errlen, "-stats cannot be combined with -f, -F, "
			 "-n, -source, -u, -p, -facility, -since, -until, "
			 "-stream, -k, -g, -after-cursor or -cursor-file");
		return OPT_USAGE;
	}
	if (o->sources && (o->follow || o->dump_follow || o->has_lines ||
			   o->nglobs || o->has_prio || o->fac_mask || o->after ||
			   o->cursor_file || select || o->stats || o->reverse)) {
		snprintf(err, errlen, "-sources takes only -socket, -o and -utc");
		return OPT_USAGE;
	}
	if (o->sources && o->format != OUT_LEGACY && o->format != OUT_JSON &&
	    o->format != OUT_CAT) {
		snprintf(err, errlen, "-sources is a table, -o json or -o cat");
		return OPT_USAGE;
	}
	if (o->format == OUT_PROMETHEUS && !o->stats) {
		snprintf(err, errlen, "-o prometheus is for -stats");
		return OPT_USAGE;
	}
	if (o->reverse && (o->follow || o->dump_follow || o->cursor_file ||
			   o->stats)) {
		snprintf(err, errlen, "-r cannot be combined with -f, -F, "
			 "-cursor-file or -stats");
		return OPT_USAGE;
	}
	if (o->pager && (o->follow || o->dump_follow)) {
		snprintf(err, errlen, "-pager cannot be combined with -f or -F");
		return OPT_USAGE;
	}
	if (o->case_sensitive && !o->grep) {
		snprintf(err, errlen, "-case-sensitive needs -g");
		return OPT_USAGE;
	}
	if (o->bundle && (o->follow || o->dump_follow || o->stats ||
			  o->sources || o->reverse || o->pager ||
			  o->cursor_file || o->format != OUT_LEGACY)) {
		snprintf(err, errlen, "-bundle cannot be combined with -f, -F, "
			 "-stats, -sources, -r, -pager, -cursor-file or -o");
		return OPT_USAGE;
	}
	if (o->nredact && !o->bundle) {
		snprintf(err, errlen, "-redact needs -bundle");
		return OPT_USAGE;
	}
	if (o->after && o->has_lines) {
		snprintf(err, errlen, "-after-cursor and -n exclude each other");
		return OPT_USAGE;
	}
	/* -o legacy alone keeps LinuxKit's protocol. */
	o->v2 = o->has_lines || o->nglobs || o->has_prio || o->fac_mask ||
		o->format != OUT_LEGACY || o->after || o->cursor_file ||
		o->stats || select || o->bundle;
	return OPT_RUN;
}
