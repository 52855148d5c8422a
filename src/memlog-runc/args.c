#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define OWN_PREFIX "memlog-"

/* A flag word split as Go's flag package does: one or two dashes, the
 * name, then "=VALUE" or nothing. */
struct flag_word {
	const char *name;   /* after the dashes; not NUL-terminated at '=' */
	size_t name_len;
	const char *value;  /* after '=', or NULL */
};

/* Is s a flag word in Go's sense? ("-" alone and "--" are not.) */
static bool is_flag_word(const char *s)
{
	return s[0] == '-' && s[1] != '\0' && strcmp(s, "--") != 0;
}

static void split_flag(const char *s, struct flag_word *f)
{
	const char *eq;

	s += s[1] == '-' ? 2 : 1;
	eq = strchr(s, '=');
	f->name = s;
	f->name_len = eq ? (size_t)(eq - s) : strlen(s);
	f->value = eq ? eq + 1 : NULL;
}

static bool name_is(const struct flag_word *f, const char *name)
{
	return f->name_len == strlen(name) && !memcmp(f->name, name, f->name_len);
}

static bool name_in(const struct flag_word *f, const char *const *names)
{
	for (; *names; names++)
		if (name_is(f, *names))
			return true;
	return false;
}

/* runc's global flags that take a value (runc 1.1 main.go). */
static const char *const global_value_flags[] = {
	"log", "log-format", "root", "criu", "rootless", NULL,
};
/* Global flags after which runc does not run the command. */
/* runc's global boolean flags. */
static const char *const global_bool_flags[] = {
	"debug", "systemd-cgroup", NULL,
};
static const char *const global_exit_flags[] = {
	"help", "h", "version", "v", NULL,
};
/* create's and run's flags (runc 1.1 create.go, run.go; the union of
 * both: a flag one of them lacks makes runc fail anyway). */
static const char *const cmd_value_flags[] = {
	"bundle", "b", "console-socket", "pid-file", "preserve-fds", NULL,
};
static const char *const cmd_bool_flags[] = {
	"detach", "d", "keep", "no-subreaper", "no-pivot", "no-new-keyring",
	"help", "h", NULL,
};

static int bad(struct runc_args *a, int i, const char *why)
{
	a->bad_arg = i;
	a->error = why;
	return -EINVAL;
}

static int own_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* Go's strconv.ParseBool, which Go's flag package uses for "--x=V". */
static int go_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

	for (unsigned i = 0; yes[i]; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A decimal from 0 to LLONG_MAX, nothing else. */
static int parse_count(const char *s, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One --memlog-* option at argv[*i]; advances *i past its value. */
static int parse_own(int argc, char *const argv[], int *i,
		     const struct flag_word *f, struct runc_args *a)
{
	struct runc_own_opts *o = &a->own;
	struct flag_word own = {
		.name = f->name + strlen(OWN_PREFIX),
		.name_len = f->name_len - strlen(OWN_PREFIX),
		.value = f->value,
	};
	static const char *const value_opts[] = {
		"socket", "runtime", "config", "pids-limit", "capture", "hook",
		"view-dir", "kmsgfs", NULL,
	};
	const char *v = own.value;
	int at = *i;

	if (name_is(&own, "help") || name_is(&own, "version") ||
	    name_is(&own, "show-config")) {
		if (v)
			return bad(a, at, "this option takes no value");
		if (name_is(&own, "help"))
			o->help = true;
		else if (name_is(&own, "version"))
			o->version = true;
		else
			o->show_config = true;
		return 0;
	}
	if (!name_in(&own, value_opts))
		return bad(a, at, "unknown memlog-runc option");
	if (!v) {
		if (*i + 1 >= argc)
			return bad(a, at, "this option needs a value");
		v = argv[++*i];
	}
	if (name_is(&own, "socket") || name_is(&own, "runtime") ||
	    name_is(&own, "config") || name_is(&own, "hook") ||
	    name_is(&own, "view-dir") || name_is(&own, "kmsgfs")) {
		if (!*v)
			return bad(a, at, "the value is empty");
		if (name_is(&own, "socket"))
			o->socket = v;
		else if (name_is(&own, "hook"))
			o->hook = v;
		else if (name_is(&own, "view-dir"))
			o->view_dir = v;
		else if (name_is(&own, "kmsgfs"))
			o->kmsgfs = v;
		else if (name_is(&own, "runtime"))
			o->runtime = v;
		else
			o->config = v;
	} else if (name_is(&own, "pids-limit")) {
		if (parse_count(v, &o->pids_limit) < 0)
			return bad(a, at, "the PID limit must be a number from 0 "
				   "(do not set one) up to 9223372036854775807");
		o->pids_limit_set = true;
	} else {
		if (own_parse_bool(v, &o->capture) < 0)
			return bad(a, at, "the value must be true or false");
		o->capture_set = true;
	}
	return 0;
}

/* create's and run's arguments as runc will see them (see args.h).
 * Leaves cmd_parsed false where runc would refuse the command line or not
 * run the command (it then prints an error or help), so that nothing is
 * done for a container that will not be created. */
static void parse_cmd(int n, char *const words[], struct runc_args *a)
{
	/* The order urfave/cli's reorderArgs() produces, as indices. */
	int order[n > 0 ? n : 1];
	int n_front = 0, n_rest = 0, k = 0;
	int rest[n > 0 ? n : 1];
	bool next_may_be_value = false;
	bool help = false;

	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		struct flag_word f;

		if (!strcmp(w, "--")) {
			for (; i < n; i++)
				rest[n_rest++] = i;
			break;
		}
		if (next_may_be_value && w[0] != '-') {
			next_may_be_value = false;
			order[n_front++] = i;
			continue;
		}
		if (is_flag_word(w)) {
			split_flag(w, &f);
			if (name_in(&f, cmd_value_flags) || name_in(&f, cmd_bool_flags)) {
				order[n_front++] = i;
				next_may_be_value = f.value == NULL;
				continue;
			}
		}
		rest[n_rest++] = i;
	}
	for (int j = 0; j < n_rest; j++)
		order[n_front + j] = rest[j];

	/* Go's flag.Parse over that order. */
	for (k = 0; k < n; k++) {
		const char *w = words[order[k]];
		struct flag_word f;

		if (!strcmp(w, "--")) {
			k++;
			break;
		}
		if (!is_flag_word(w))
			break;
		split_flag(w, &f);
		if (f.name_len == 0 || f.name[0] == '-' || f.name[0] == '=')
			return; /* Go: bad flag syntax */
		if (name_in(&f, cmd_value_flags)) {
			const char *v = f.value;

			if (!v) {
				if (k + 1 >= n)
					return; /* Go: flag needs an argument */
				v = words[order[++k]];
			}
			/* runc: an empty bundle is the current directory. */
			if (name_is(&f, "bundle") || name_is(&f, "b"))
				a->bundle = *v ? v : NULL;
			else if (name_is(&f, "console-socket"))
				a->console_socket = v;
		} else if (name_in(&f, cmd_bool_flags)) {
			bool b = true;

			if (f.value && go_parse_bool(f.value, &b) < 0)
				return; /* Go: invalid boolean value */
			if (name_is(&f, "help") || name_is(&f, "h"))
				help = b;
		} else {
			return; /* Go: flag provided but not defined */
		}
	}
	if (help) {
		a->cmd = RUNC_CMD_OTHER;
		return;
	}
	/* runc's create and run take exactly one argument, the id (runc's
	 * checkArgs(context, 1, exactArgs)); anything else is refused. */
	if (n - k != 1)
		return;
	a->id = words[order[k]];
	a->cmd_parsed = true;
}

int runc_args_parse(int argc, char *const argv[], char **out_argv,
		    struct runc_args *a)
{
	int out = 0, i;
	bool exits = false; /* runc will print help or its version */
	bool refused = false; /* runc will refuse the command line */
	int r;

	memset(a, 0, sizeof(*a));
	a->log_format = "text";
	a->cmd = RUNC_CMD_NONE;
	if (argc > 0)
		out_argv[out++] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		struct flag_word f;

		if (!strcmp(w, "--")) {
			/* Go's flag package: the end of the flags; the next
			 * word is the command. */
			out_argv[out++] = argv[i++];
			break;
		}
		if (!is_flag_word(w))
			break;
		split_flag(w, &f);
		if (f.name_len > strlen(OWN_PREFIX) &&
		    !memcmp(f.name, OWN_PREFIX, strlen(OWN_PREFIX))) {
			r = parse_own(argc, argv, &i, &f, a);
			if (r < 0)
				return r;
			continue;
		}
		out_argv[out++] = argv[i];
		if (f.name_len == 0 || f.name[0] == '-' || f.name[0] == '=') {
			refused = true;
		} else if (name_in(&f, global_exit_flags)) {
			bool b = true;

			if (f.value && go_parse_bool(f.value, &b) < 0)
				refused = true;
			exits = exits || b;
		} else if (name_in(&f, global_bool_flags)) {
			bool b;

			if (f.value && go_parse_bool(f.value, &b) < 0)
				refused = true;
		} else if (name_in(&f, global_value_flags)) {
			const char *v = f.value;

			if (!v) {
				if (i + 1 >= argc) {
					i++; /* no command: runc will complain */
					break;
				}
				v = argv[++i];
				out_argv[out++] = argv[i];
			}
			if (name_is(&f, "log"))
				a->log = v;
			else if (name_is(&f, "log-format"))
				a->log_format = v;
		} else {
			refused = true;
		}
	}
	if (i < argc) {
		a->command = argv[i];
		if (exits || refused)
			a->cmd = RUNC_CMD_OTHER;
		else if (!strcmp(a->command, "create"))
			a->cmd = RUNC_CMD_CREATE;
		else if (!strcmp(a->command, "run"))
			a->cmd = RUNC_CMD_RUN;
		else
			a->cmd = RUNC_CMD_OTHER;
		if (a->cmd == RUNC_CMD_CREATE || a->cmd == RUNC_CMD_RUN)
			parse_cmd(argc - i - 1, argv + i + 1, a);
	}
	for (; i < argc; i++)
		out_argv[out++] = argv[i];
	out_argv[out] = NULL;
	a->argc = out;
	return 0;
}
