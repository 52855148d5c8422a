/* memlog-runc's command line: runc's own (which is passed on untouched)
 * with memlog-runc's global --memlog-* options mixed in before the
 * command. Pure: works on argv arrays only, so it is unit-tested and
 * fuzzed directly.
 *
 * runc parses its command line with urfave/cli v1 on top of Go's flag
 * package, and this follows the same rules so that memlog-runc finds the
 * same command, bundle and container id as runc will:
 * - global flags come before the command; "-x" and "--x" are the same flag;
 *   a value follows as "--x=V" or as the next argument; a boolean flag
 *   takes a value only as "--x=V"; "--" ends the flags;
 * - a command's own flags may also follow its arguments: urfave/cli moves
 *   the flags it knows to the front (with the word after each flag written
 *   without "=") before Go parses them, and the first word that is not a
 *   flag is the container id. */
#ifndef MEMLOG_RUNC_ARGS_H
#define MEMLOG_RUNC_ARGS_H

#include <stdbool.h>

enum runc_cmd {
	RUNC_CMD_NONE,   /* no command (runc prints its help) */
	RUNC_CMD_CREATE, /* create: a container is set up */
	RUNC_CMD_RUN,    /* run: create + start */
	RUNC_CMD_OTHER,  /* anything else, or create/run asking for help */
};

/* memlog-runc's own options; NULL or false when not given. */
struct runc_own_opts {
	const char *socket;      /* --memlog-socket PATH */
	const char *runtime;     /* --memlog-runtime PATH */
	const char *config;      /* --memlog-config FILE */
	const char *view_dir;    /* --memlog-view-dir DIR */
	const char *kmsgfs;      /* --memlog-kmsgfs PATH */
	const char *hook;        /* --memlog-hook NAME: run as the OCI
				  * createRuntime hook of container NAME */
	bool pids_limit_set;     /* --memlog-pids-limit N was given */
	long long pids_limit;    /* its value, 0 to INT64_MAX */
	bool capture_set;        /* --memlog-capture BOOL was given */
	bool capture;            /* its value */
	bool help;               /* --memlog-help */
	bool version;            /* --memlog-version */
	bool show_config;        /* --memlog-show-config */
};

struct runc_args {
	struct runc_own_opts own;
	int argc;                /* entries in the argv given to parse, less ours */
	const char *log;         /* runc's --log FILE, or NULL */
	const char *log_format;  /* runc's --log-format (default "text") */
	const char *command;     /* the command word, or NULL */
	enum runc_cmd cmd;
	/* create and run only, when runc will accept the line as it is
	 * (flags as Go parses them, exactly one argument): */
	bool cmd_parsed;         /* the fields below are what runc will use */
	const char *bundle;      /* -b/--bundle, or NULL (also for an empty
				  * value): the current dir */
	const char *console_socket; /* --console-socket, or NULL */
	const char *id;          /* the container id (non-NULL when parsed) */
	/* on error: */
	int bad_arg;             /* index in argv of the offending argument */
	const char *error;       /* what is wrong with it (static text) */
};

/* Splits argv[0..argc) into memlog-runc's options (into a->own) and the
 * command line for the real runtime, written to out_argv (argc + 1 entries;
 * pointers into argv; out_argv[0] = argv[0]; NULL-terminated; a->argc
 * entries). Returns 0, or -EINVAL for a bad --memlog-* option (a->error,
 * a->bad_arg say which). Everything of runc's, even what runc itself
 * would refuse, is passed on: runc reports its own errors. */
int runc_args_parse(int argc, char *const argv[], char **out_argv,
		    struct runc_args *a);

#endif
