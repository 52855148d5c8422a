#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "options.h"
#include "util.h"

/* Each call parses into cfg, starting from the defaults; err is filled with a
 * sentinel first so a test can tell whether it was written; everything the
 * parser prints goes to out_buf (an open_memstream) and anything it writes to
 * stderr is captured in err_out. */
static struct memlogd_config cfg;
static char err[256];
static char *out_buf;
static size_t out_len;
static char err_out[256];

#define ERR_UNSET "<unset>"
#define MAX_ARGS 32

static enum opts_result parse_argv(char **args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = "memlogd";
	while (args[argc - 1]) {
		assert_true(argc < MAX_ARGS);
		argv[argc] = args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;

	memlogd_config_defaults(&cfg);
	snprintf(err, sizeof(err), "%s", ERR_UNSET);
	free(out_buf);
	out_buf = NULL;
	out_len = 0;
	FILE *out = open_memstream(&out_buf, &out_len);
	assert_non_null(out);

	/* The parser must not print anything itself. */
	FILE *cap = tmpfile();
	assert_non_null(cap);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);

	enum opts_result r = memlogd_parse_args(argc, argv, &cfg, err,
						sizeof(err), out);

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(cap);
	size_t n = fread(err_out, 1, sizeof(err_out) - 1, cap);
	err_out[n] = '\0';
	fclose(cap);
	assert_int_equal(fclose(out), 0);
	return r;
}

/* PARSE("-max-lines", "5") parses "memlogd -max-lines 5". */
#define PARSE(...) parse_argv((char *[]){ __VA_ARGS__, NULL })
#define PARSE_NONE() parse_argv((char *[]){ NULL })

/* A usage error: exact message, one line, nothing printed anywhere. */
static void assert_usage(enum opts_result r, const char *want)
{
	assert_int_equal(r, OPTS_USAGE);
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(out_len, 0);
	assert_string_equal(err_out, "");
}

/* A usage error whose exact text is not pinned: it must name `what`. */
static void assert_usage_names(enum opts_result r, const char *what)
{
	assert_int_equal(r, OPTS_USAGE);
	assert_string_not_equal(err, ERR_UNSET);
	assert_non_null(strstr(err, what));
	assert_null(strchr(err, '\n'));
	assert_int_equal(out_len, 0);
	assert_string_equal(err_out, "");
}

static void assert_run(enum opts_result r)
{
	if (r != OPTS_RUN)
		print_error("unexpected result %d, err \"%s\"\n", r, err);
	assert_int_equal(r, OPTS_RUN);
	assert_string_equal(err, ERR_UNSET);
	assert_int_equal(out_len, 0);
	assert_string_equal(err_out, "");
}

static void assert_config_equal(const struct memlogd_config *a,
				const struct memlogd_config *b)
{
	assert_string_equal(a->socket_log, b->socket_log);
	assert_string_equal(a->socket_query, b->socket_query);
	assert_int_equal(a->fd_log, b->fd_log);
	assert_int_equal(a->fd_query, b->fd_query);
	assert_true(a->max_lines == b->max_lines);
	assert_int_equal(a->max_line_len, b->max_line_len);
	assert_true(a->buffer_size == b->buffer_size);
	assert_int_equal(a->daemonize, b->daemonize);
	assert_int_equal(a->console, b->console);
	assert_int_equal(a->rate_lines, b->rate_lines);
	assert_int_equal(a->rate_seconds, b->rate_seconds);
	assert_int_equal(a->max_sources, b->max_sources);
	assert_int_equal(a->max_readers, b->max_readers);
	assert_int_equal(a->reader_buffer, b->reader_buffer);
	assert_int_equal(a->request_timeout_ms, b->request_timeout_ms);
	assert_int_equal(a->batch_delay_us, b->batch_delay_us);
	assert_int_equal(a->unlink_on_exit, b->unlink_on_exit);
	assert_true(a->socket_group == b->socket_group ||
		    (a->socket_group && b->socket_group &&
		     strcmp(a->socket_group, b->socket_group) == 0));
	assert_int_equal(a->socket_mode, b->socket_mode);
}

static int teardown_group(void **state)
{
	free(out_buf);
	out_buf = NULL;
	return 0;
}

static void test_table_is_valid(void **state)
{
	char e[128] = "";

	if (opt_table_check(memlogd_options(), e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

static void test_defaults(void **state)
{
	struct memlogd_config d;

	memset(&d, 0x5a, sizeof(d));
	memlogd_config_defaults(&d);
	assert_string_equal(d.socket_log, "/var/run/linuxkit-external-logging.sock");
	assert_string_equal(d.socket_query, "/var/run/memlogdq.sock");
	assert_int_equal(d.fd_log, -1);
	assert_int_equal(d.fd_query, -1);
	assert_true(d.max_lines == 0);
	assert_int_equal(d.max_line_len, 8192);
	assert_true(d.buffer_size == 4194304);
	assert_false(d.daemonize);
	assert_false(d.console);
	assert_int_equal(d.rate_lines, 0);
	assert_int_equal(d.rate_seconds, 0);
	assert_int_equal(d.max_sources, 0);
	assert_int_equal(d.max_readers, 256);
	assert_int_equal(d.reader_buffer, 65536);
	assert_int_equal(d.request_timeout_ms, 10000);
	assert_int_equal(d.batch_delay_us, 100);
	assert_false(d.unlink_on_exit);
	assert_null(d.socket_group);
	assert_int_equal(d.socket_mode, -1);

	/* No arguments: the defaults are what runs. */
	assert_run(PARSE_NONE());
	assert_config_equal(&cfg, &d);
}

/* One valued option, tried in every spelling. */
struct valued {
	const char *opt;        /* without dashes */
	const char *val;
	void (*want)(struct memlogd_config *);
};

static void want_socket_log(struct memlogd_config *c) { c->socket_log = "/run/a b.sock"; }
static void want_socket_query(struct memlogd_config *c) { c->socket_query = "/tmp/q"; }
static void want_fd_log(struct memlogd_config *c) { c->fd_log = 3; }
static void want_fd_query(struct memlogd_config *c) { c->fd_query = 4; }
static void want_max_lines(struct memlogd_config *c) { c->max_lines = 5000; }
static void want_max_line_len(struct memlogd_config *c) { c->max_line_len = 1024; }
static void want_buffer_size(struct memlogd_config *c) { c->buffer_size = 16u << 20; }
static void want_rate_limit(struct memlogd_config *c) { c->rate_lines = 1000; c->rate_seconds = 5; }
static void want_max_sources(struct memlogd_config *c) { c->max_sources = 77; }
static void want_max_readers(struct memlogd_config *c) { c->max_readers = 9; }
static void want_reader_buffer(struct memlogd_config *c) { c->reader_buffer = 128u << 10; }
static void want_request_timeout(struct memlogd_config *c) { c->request_timeout_ms = 2500; }
static void want_batch_delay(struct memlogd_config *c) { c->batch_delay_us = 250; }
static void want_daemonize(struct memlogd_config *c) { c->daemonize = true; }
static void want_console(struct memlogd_config *c) { c->console = true; }
static void want_unlink(struct memlogd_config *c) { c->unlink_on_exit = true; }
static void want_socket_group(struct memlogd_config *c) { c->socket_group = "memlog"; }
static void want_socket_mode(struct memlogd_config *c) { c->socket_mode = 0660; }

static const struct valued valued_opts[] = {
	{ "socket-log", "/run/a b.sock", want_socket_log },
	{ "socket-query", "/tmp/q", want_socket_query },
	{ "socket-group", "memlog", want_socket_group },
	{ "socket-mode", "0660", want_socket_mode },
	{ "fd-log", "3", want_fd_log },
	{ "fd-query", "4", want_fd_query },
	{ "max-lines", "5000", want_max_lines },
	{ "max-line-len", "1024", want_max_line_len },
	{ "buffer-size", "16M", want_buffer_size },
	{ "rate-limit", "1000/5", want_rate_limit },
	{ "max-sources", "77", want_max_sources },
	{ "max-readers", "9", want_max_readers },
	{ "reader-buffer", "128K", want_reader_buffer },
	{ "request-timeout", "2500", want_request_timeout },
	{ "batch-delay", "250", want_batch_delay },
};

static void test_every_option_every_form(void **state)
{
	for (size_t i = 0; i < sizeof(valued_opts) / sizeof(valued_opts[0]); i++) {
		const struct valued *v = &valued_opts[i];
		struct memlogd_config want;
		char dash1[64], dash2[64], eq1[128], eq2[128];

		memlogd_config_defaults(&want);
		v->want(&want);
		snprintf(dash1, sizeof(dash1), "-%s", v->opt);
		snprintf(dash2, sizeof(dash2), "--%s", v->opt);
		snprintf(eq1, sizeof(eq1), "-%s=%s", v->opt, v->val);
		snprintf(eq2, sizeof(eq2), "--%s=%s", v->opt, v->val);

		assert_run(PARSE(dash1, (char *)v->val));   /* -opt V (Go) */
		assert_config_equal(&cfg, &want);
		assert_run(PARSE(eq1));                    /* -opt=V (Go) */
		assert_config_equal(&cfg, &want);
		assert_run(PARSE(dash2, (char *)v->val));   /* --opt V (GNU) */
		assert_config_equal(&cfg, &want);
		assert_run(PARSE(eq2));                    /* --opt=V (GNU) */
		assert_config_equal(&cfg, &want);
	}
}

static void test_flags_every_form(void **state)
{
	static const struct {
		const char *opt;
		void (*want)(struct memlogd_config *);
	} flags[] = {
		{ "daemonize", want_daemonize },
		{ "console", want_console },
		{ "unlink-on-exit", want_unlink },
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct memlogd_config want;
		char dash1[64], dash2[64];

		memlogd_config_defaults(&want);
		flags[i].want(&want);
		snprintf(dash1, sizeof(dash1), "-%s", flags[i].opt);
		snprintf(dash2, sizeof(dash2), "--%s", flags[i].opt);
		assert_run(PARSE(dash1));
		assert_config_equal(&cfg, &want);
		assert_run(PARSE(dash2));
		assert_config_equal(&cfg, &want);
	}
}

static void test_bool_values(void **state)
{
	assert_run(PARSE("-daemonize=false"));
	assert_false(cfg.daemonize);
	assert_run(PARSE("-daemonize=true"));
	assert_true(cfg.daemonize);
	assert_run(PARSE("--console=true"));
	assert_true(cfg.console);
	assert_false(cfg.daemonize);
	assert_run(PARSE("--console=false"));
	assert_false(cfg.console);
	/* Go's strconv.ParseBool spellings, any case. */
	assert_run(PARSE("-daemonize=1", "-console=t"));
	assert_true(cfg.daemonize);
	assert_true(cfg.console);
	assert_run(PARSE("-daemonize=TRUE", "--console=T"));
	assert_true(cfg.daemonize);
	assert_true(cfg.console);
	assert_run(PARSE("-daemonize=0", "--console=f"));
	assert_false(cfg.daemonize);
	assert_false(cfg.console);
	assert_run(PARSE("-daemonize=False", "--console=F"));
	assert_false(cfg.daemonize);
	assert_false(cfg.console);
	/* The last one given wins. */
	assert_run(PARSE("-daemonize", "-daemonize=false"));
	assert_false(cfg.daemonize);
	assert_run(PARSE("--console=false", "--console"));
	assert_true(cfg.console);

	assert_usage(PARSE("--console=yes"),
		     "--console takes true or false: yes");
	assert_usage(PARSE("-daemonize=2"), "--daemonize takes true or false: 2");
	assert_usage(PARSE("-daemonize="), "--daemonize takes true or false: ");
	/* As in Go, a bool flag never takes the next word as its value. */
	assert_usage(PARSE("-daemonize", "false"), "unexpected argument: false");
	/* A flag without a value takes none. */
	assert_usage(PARSE("--unlink-on-exit=1"), "--unlink-on-exit takes no value");
}

static void test_fd_values(void **state)
{
	/* Go's default -1 ("not given") is accepted in every form. */
	assert_run(PARSE("-fd-log", "-1"));
	assert_int_equal(cfg.fd_log, -1);
	assert_run(PARSE("-fd-log", "5", "-fd-log", "-1"));
	assert_int_equal(cfg.fd_log, -1);
	assert_run(PARSE("-fd-query=-1"));
	assert_int_equal(cfg.fd_query, -1);
	assert_run(PARSE("--fd-query", "-1", "--fd-log=-1"));
	assert_int_equal(cfg.fd_query, -1);
	assert_int_equal(cfg.fd_log, -1);

	assert_run(PARSE("-fd-log=0", "-fd-query=65535"));
	assert_int_equal(cfg.fd_log, 0);
	assert_int_equal(cfg.fd_query, 65535);

	assert_usage(PARSE("-fd-log=65536"),
		     "--fd-log: not a file descriptor: 65536");
	assert_usage(PARSE("--fd-query=-2"),
		     "--fd-query: not a file descriptor: -2");
	assert_usage(PARSE("-fd-log=abc"), "--fd-log: not a file descriptor: abc");
	assert_usage(PARSE("-fd-log="), "--fd-log: not a file descriptor: ");
	assert_usage(PARSE("-fd-log=3K"), "--fd-log: not a file descriptor: 3K");
	assert_int_equal(cfg.fd_log, -1);
}

static void test_socket_paths(void **state)
{
	assert_run(PARSE("-socket-log", "/a", "-socket-query=/b"));
	assert_string_equal(cfg.socket_log, "/a");
	assert_string_equal(cfg.socket_query, "/b");
	/* A value that looks like an option is still the value. */
	assert_run(PARSE("-socket-log", "-x"));
	assert_string_equal(cfg.socket_log, "-x");
	assert_string_equal(cfg.socket_query, DEFAULT_SOCKET_QUERY);
	/* "=" splits at the first one only. */
	assert_run(PARSE("--socket-query=/tmp/a=b"));
	assert_string_equal(cfg.socket_query, "/tmp/a=b");
}

static void test_max_lines(void **state)
{
	assert_run(PARSE("-max-lines=0"));
	assert_true(cfg.max_lines == 0);
	assert_run(PARSE("-max-lines", "4294967295"));
	assert_true(cfg.max_lines == 4294967295u);
	assert_usage(PARSE("-max-lines=4294967296"),
		     "--max-lines: bad number: 4294967296");
	/* Counts take no size suffix. */
	assert_usage(PARSE("-max-lines=1K"), "--max-lines: bad number: 1K");
	assert_usage(PARSE("-max-lines=-1"), "--max-lines: bad number: -1");
	assert_usage(PARSE("-max-lines="), "--max-lines: bad number: ");
}

static void test_buffer_size(void **state)
{
	assert_run(PARSE("--buffer-size=64K"));
	assert_true(cfg.buffer_size == 65536);
	assert_run(PARSE("--buffer-size=65536"));
	assert_true(cfg.buffer_size == 65536);
	assert_run(PARSE("--buffer-size=1024k"));
	assert_true(cfg.buffer_size == 1048576);
	assert_run(PARSE("--buffer-size=3M"));
	assert_true(cfg.buffer_size == 3145728);
	assert_run(PARSE("--buffer-size=5m"));
	assert_true(cfg.buffer_size == 5242880);
	assert_run(PARSE("--buffer-size=2G"));
	assert_true(cfg.buffer_size == 2147483648ull);
	assert_run(PARSE("--buffer-size=1g"));
	assert_true(cfg.buffer_size == 1073741824ull);
	assert_run(PARSE("--buffer-size=8MiB"));
	assert_true(cfg.buffer_size == 8388608);
	assert_run(PARSE("--buffer-size=100KB"));
	assert_true(cfg.buffer_size == 102400);
	/* The upper bound is 1T, reached only as 1024G. */
	assert_run(PARSE("--buffer-size=1024G"));
	assert_true(cfg.buffer_size == 1099511627776ull);

	assert_usage(PARSE("--buffer-size=65535"),
		     "--buffer-size must be 64K to 1T: 65535");
	assert_usage(PARSE("--buffer-size=63K"),
		     "--buffer-size must be 64K to 1T: 63K");
	assert_usage(PARSE("--buffer-size=1025G"),
		     "--buffer-size must be 64K to 1T: 1025G");
	assert_usage(PARSE("--buffer-size=1T"),
		     "--buffer-size must be 64K to 1T: 1T");
	assert_usage(PARSE("--buffer-size=1.5M"),
		     "--buffer-size must be 64K to 1T: 1.5M");
	assert_usage(PARSE("--buffer-size=M"), "--buffer-size must be 64K to 1T: M");
	assert_usage(PARSE("--buffer-size="), "--buffer-size must be 64K to 1T: ");
	assert_usage(PARSE("-buffer-size=0"), "--buffer-size must be 64K to 1T: 0");
	assert_true(cfg.buffer_size == 4194304);
}

static void test_max_line_len(void **state)
{
	assert_run(PARSE("-max-line-len", "8"));
	assert_int_equal(cfg.max_line_len, 8);
	assert_run(PARSE("-max-line-len=1048576"));
	assert_int_equal(cfg.max_line_len, 1048576);
	assert_run(PARSE("-max-line-len=1M"));
	assert_int_equal(cfg.max_line_len, 1048576);
	assert_run(PARSE("--max-line-len=4K"));
	assert_int_equal(cfg.max_line_len, 4096);

	assert_usage(PARSE("-max-line-len=7"), "--max-line-len must be 8 to 1048576: 7");
	assert_usage(PARSE("-max-line-len=0"), "--max-line-len must be 8 to 1048576: 0");
	assert_usage(PARSE("--max-line-len=1048577"),
		     "--max-line-len must be 8 to 1048576: 1048577");
	assert_usage(PARSE("--max-line-len=2M"),
		     "--max-line-len must be 8 to 1048576: 2M");
	assert_usage(PARSE("--max-line-len=x"),
		     "--max-line-len must be 8 to 1048576: x");
	assert_int_equal(cfg.max_line_len, 8192);
}

/* The ring must hold two of the longest entries: the parser requires
 * buffer_size >= 2 * (max_line_len + RING_HDR (24)). With the 64K minimum
 * that puts the largest max-line-len at 32768 - 24 = 32744. */
static void test_buffer_twice_line_len(void **state)
{
	static const char msg[] =
		"--buffer-size must be at least twice --max-line-len + 24 bytes";

	assert_run(PARSE("--buffer-size=64K", "--max-line-len=32744"));
	assert_true(cfg.buffer_size == 65536);
	assert_int_equal(cfg.max_line_len, 32744);
	/* Checked after all options, so the order does not matter. */
	assert_run(PARSE("--max-line-len=32744", "--buffer-size=64K"));
	assert_usage(PARSE("--buffer-size=64K", "--max-line-len=32745"), msg);
	assert_usage(PARSE("--max-line-len=32745", "--buffer-size=64K"), msg);
	assert_usage(PARSE("--buffer-size=64K", "--max-line-len=32K"), msg);
	assert_usage(PARSE("--buffer-size=64K", "--max-line-len=1M"), msg);
	/* Against the default 4M ring the largest line length fits... */
	assert_run(PARSE("--max-line-len=1M"));
	/* ...and against the default line length the smallest ring does. */
	assert_run(PARSE("--buffer-size=64K"));
	assert_usage(PARSE("--buffer-size=2M", "--max-line-len=1M"), msg);
	/* 2 * (1048576 + 24) = 2097200 is the smallest ring for 1M lines. */
	assert_run(PARSE("--buffer-size=2097200", "--max-line-len=1M"));
	assert_usage(PARSE("--buffer-size=2097199", "--max-line-len=1M"), msg);
}

static void test_rate_limit(void **state)
{
	assert_run(PARSE("--rate-limit", "1000/1"));
	assert_int_equal(cfg.rate_lines, 1000);
	assert_int_equal(cfg.rate_seconds, 1);
	assert_run(PARSE("--rate-limit=5/60"));
	assert_int_equal(cfg.rate_lines, 5);
	assert_int_equal(cfg.rate_seconds, 60);
	/* A bare N is per second. */
	assert_run(PARSE("--rate-limit=7"));
	assert_int_equal(cfg.rate_lines, 7);
	assert_int_equal(cfg.rate_seconds, 1);
	assert_run(PARSE("-rate-limit", "4294967295/86400"));
	assert_int_equal(cfg.rate_lines, 4294967295u);
	assert_int_equal(cfg.rate_seconds, 86400);

	assert_usage(PARSE("--rate-limit=0"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 0");
	assert_usage(PARSE("--rate-limit=0/1"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 0/1");
	assert_usage(PARSE("--rate-limit=5/0"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 5/0");
	assert_usage(PARSE("--rate-limit=5/86401"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 5/86401");
	assert_usage(PARSE("--rate-limit=4294967296"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 4294967296");
	assert_usage(PARSE("--rate-limit=/5"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: /5");
	assert_usage(PARSE("--rate-limit=5/"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 5/");
	assert_usage(PARSE("--rate-limit=a/1"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: a/1");
	assert_usage(PARSE("--rate-limit=1/2/3"),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: 1/2/3");
	assert_usage(PARSE("--rate-limit="),
		     "--rate-limit takes LINES/SECONDS, e.g. 1000/1: ");
	assert_int_equal(cfg.rate_lines, 0);
	assert_int_equal(cfg.rate_seconds, 0);
}

static void test_batch_delay(void **state)
{
	assert_run(PARSE("--batch-delay", "0"));
	assert_int_equal(cfg.batch_delay_us, 0);
	assert_run(PARSE("--batch-delay=100000"));
	assert_int_equal(cfg.batch_delay_us, 100000);
	assert_run(PARSE("-batch-delay=1"));
	assert_int_equal(cfg.batch_delay_us, 1);
	assert_usage(PARSE("--batch-delay=100001"),
		     "--batch-delay: bad number: 100001");
	assert_usage(PARSE("--batch-delay=-1"), "--batch-delay: bad number: -1");
	assert_usage(PARSE("--batch-delay=1K"), "--batch-delay: bad number: 1K");
	assert_int_equal(cfg.batch_delay_us, 100);
}

static void test_kernel_and_syslog(void **state)
{
	assert_run(PARSE_NONE());
	assert_null(cfg.kmsg);
	assert_null(cfg.syslog);
	assert_string_equal(cfg.state_dir, "/run/memlog");
	assert_run(PARSE("--kmsg", "--syslog"));
	assert_string_equal(cfg.kmsg, "/dev/kmsg");
	assert_string_equal(cfg.syslog, "/dev/log");
	assert_run(PARSE("--kmsg=/tmp/fake", "-syslog=/tmp/log.sock",
			 "--state-dir", "/tmp/st"));
	assert_string_equal(cfg.kmsg, "/tmp/fake");
	assert_string_equal(cfg.syslog, "/tmp/log.sock");
	assert_string_equal(cfg.state_dir, "/tmp/st");
	assert_run(PARSE("--kmsg=", "-syslog="));
	assert_string_equal(cfg.kmsg, "/dev/kmsg");
	assert_string_equal(cfg.syslog, "/dev/log");
	assert_usage(PARSE("--state-dir"), "--state-dir needs a value");
}

/* memlogd takes no operands, so a path after --kmsg or --syslog can only
 * be its value (issue 18 item 9: "--kmsg /dev/kmsg" was refused as an
 * unexpected argument). */
static void test_optional_path_as_next_word(void **state)
{
	assert_run(PARSE("--kmsg", "/tmp/fake"));
	assert_string_equal(cfg.kmsg, "/tmp/fake");
	assert_null(cfg.syslog);
	assert_run(PARSE("-kmsg", "/dev/kmsg", "-syslog", "./log.sock",
			 "-max-lines", "5"));
	assert_string_equal(cfg.kmsg, "/dev/kmsg");
	assert_string_equal(cfg.syslog, "./log.sock");
	assert_true(cfg.max_lines == 5);
	assert_run(PARSE("--syslog", "../run/log.sock", "--kmsg"));
	assert_string_equal(cfg.syslog, "../run/log.sock");
	assert_string_equal(cfg.kmsg, "/dev/kmsg");
	/* The next option is not a value. */
	assert_run(PARSE("--kmsg", "--syslog", "--console"));
	assert_string_equal(cfg.kmsg, "/dev/kmsg");
	assert_string_equal(cfg.syslog, "/dev/log");
	assert_true(cfg.console);
	/* A word that is not written as a path stays an operand, and the
	 * error says how to give the value. */
	assert_usage(PARSE("--kmsg", "kmsg.dev"),
		     "unexpected argument: kmsg.dev (a value of --kmsg is "
		     "written --kmsg=kmsg.dev)");
	assert_usage(PARSE("-syslog", "log"),
		     "unexpected argument: log (a value of --syslog is "
		     "written --syslog=log)");
	assert_usage(PARSE("stray", "--kmsg", "/dev/kmsg"),
		     "unexpected argument: stray");
}

static void test_other_bounds(void **state)
{
	assert_run(PARSE("--max-sources=1", "--max-readers=1",
			 "--reader-buffer=4K", "--request-timeout=1"));
	assert_int_equal(cfg.max_sources, 1);
	assert_int_equal(cfg.max_readers, 1);
	assert_int_equal(cfg.reader_buffer, 4096);
	assert_int_equal(cfg.request_timeout_ms, 1);
	assert_run(PARSE("--max-sources=1048576", "--max-readers=65536",
			 "--reader-buffer=64M", "--request-timeout=3600000"));
	assert_int_equal(cfg.max_sources, 1048576);
	assert_int_equal(cfg.max_readers, 65536);
	assert_int_equal(cfg.reader_buffer, 67108864);
	assert_int_equal(cfg.request_timeout_ms, 3600000);

	assert_usage(PARSE("--max-sources=0"), "--max-sources: bad number: 0");
	assert_usage(PARSE("--max-sources=1048577"),
		     "--max-sources: bad number: 1048577");
	assert_usage(PARSE("--max-readers=0"), "--max-readers: bad number: 0");
	assert_usage(PARSE("--max-readers=65537"),
		     "--max-readers: bad number: 65537");
	assert_usage(PARSE("--reader-buffer=4095"),
		     "--reader-buffer: bad number: 4095");
	assert_usage(PARSE("--reader-buffer=67108865"),
		     "--reader-buffer: bad number: 67108865");
	assert_usage(PARSE("--request-timeout=0"),
		     "--request-timeout: bad number: 0");
	assert_usage(PARSE("--request-timeout=3600001"),
		     "--request-timeout: bad number: 3600001");
}

/* A LinuxKit-style command line as its yml files write it. */
static void test_linuxkit_command_line(void **state)
{
	struct memlogd_config want;

	assert_run(PARSE("-fd-log", "3", "-fd-query", "4", "-max-lines", "5000",
			 "-max-line-len=1024", "-socket-log",
			 "/run/log.sock", "-socket-query=/run/q.sock",
			 "-daemonize", "--console=false", "--rate-limit=100/2",
			 "--batch-delay", "0", "--unlink-on-exit"));
	memlogd_config_defaults(&want);
	want.fd_log = 3;
	want.fd_query = 4;
	want.max_lines = 5000;
	want.max_line_len = 1024;
	want.socket_log = "/run/log.sock";
	want.socket_query = "/run/q.sock";
	want.daemonize = true;
	want.rate_lines = 100;
	want.rate_seconds = 2;
	want.batch_delay_us = 0;
	want.unlink_on_exit = true;
	assert_config_equal(&cfg, &want);
}

static void test_help(void **state)
{
	static const char *const forms[] = { "--help", "-help" };

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(PARSE((char *)forms[i]), OPTS_EXIT_OK);
		assert_string_equal(err, ERR_UNSET);
		assert_string_equal(err_out, "");
		assert_true(out_len > 500);
		assert_int_equal(strlen(out_buf), out_len);
		assert_memory_equal(out_buf, "Usage: memlogd [OPTION]...\n", 27);
		assert_int_equal(out_buf[out_len - 1], '\n');
		/* Every option is described. */
		static const char *const opts[] = {
			"--socket-log PATH", "--socket-query PATH",
			"--fd-log N", "--fd-query N", "--buffer-size SIZE",
			"--max-lines N", "--max-line-len N",
			"--rate-limit N[/SEC]", "--max-sources N",
			"--max-readers N", "--reader-buffer SIZE",
			"--request-timeout MS", "--batch-delay USEC",
			"--console", "--daemonize", "--help, --version",
			"[" DEFAULT_SOCKET_LOG "]", "[" DEFAULT_SOCKET_QUERY "]",
		};
		for (size_t j = 0; j < sizeof(opts) / sizeof(opts[0]); j++)
			assert_non_null(strstr(out_buf, opts[j]));
	}
	/* It stops at --help: what follows is not looked at. */
	assert_int_equal(PARSE("--help", "--bogus", "stray"), OPTS_EXIT_OK);
	assert_memory_equal(out_buf, "Usage: memlogd", 14);
	/* An earlier error wins, and nothing is printed. */
	assert_usage(PARSE("--bogus", "--help"), "unknown option: --bogus");
}

static void test_version(void **state)
{
	static const char want[] = "memlogd memlog " MEMLOG_VERSION "\n";

	assert_int_equal(PARSE("--version"), OPTS_EXIT_OK);
	assert_string_equal(out_buf, want);
	assert_int_equal(out_len, strlen(want));
	assert_string_equal(err, ERR_UNSET);
	assert_string_equal(err_out, "");
	assert_int_equal(PARSE("-version"), OPTS_EXIT_OK);
	assert_string_equal(out_buf, want);
	assert_string_equal(out_buf, "memlogd memlog 0.1.0\n");
}

static void test_unknown_option(void **state)
{
	assert_usage(PARSE("-bogus"), "unknown option: -bogus");
	assert_usage(PARSE("--bogus"), "unknown option: --bogus");
	assert_usage(PARSE("--bogus=1"), "unknown option: --bogus=1");
	assert_usage(PARSE("-max-lines=5", "-nope", "-daemonize"),
		     "unknown option: -nope");
	/* An ambiguous abbreviation is not guessed at. */
	assert_usage(PARSE("--socket", "/x"), "ambiguous option: --socket "
		     "(could be --socket-log, --socket-query, --socket-group, "
		     "--socket-mode)");
	assert_string_equal(cfg.socket_log, DEFAULT_SOCKET_LOG);
	assert_string_equal(cfg.socket_query, DEFAULT_SOCKET_QUERY);
	assert_usage_names(PARSE("-max", "5"), "-max");
}

static void test_missing_value(void **state)
{
	assert_usage(PARSE("-socket-log"), "--socket-log needs a value");
	assert_usage(PARSE("--socket-log"), "--socket-log needs a value");
	assert_usage(PARSE("-daemonize", "--max-lines"), "--max-lines needs a value");
	assert_usage(PARSE("--rate-limit"), "--rate-limit needs a value");
	assert_usage(PARSE("-fd-log"), "--fd-log needs a value");
	assert_usage(PARSE("--batch-delay"), "--batch-delay needs a value");
	assert_usage(PARSE("--buffer-size"), "--buffer-size needs a value");
}

static void test_stray_argument(void **state)
{
	assert_usage(PARSE("stray"), "unexpected argument: stray");
	assert_usage(PARSE("-daemonize", "stray"), "unexpected argument: stray");
	/* The options after it are read, but it is still refused. */
	assert_usage(PARSE("stray", "-max-lines", "5"), "unexpected argument: stray");
	assert_usage(PARSE("-", "-daemonize"), "unexpected argument: -");
	assert_usage(PARSE("--", "-daemonize"), "unexpected argument: -daemonize");
	assert_false(cfg.daemonize);
	assert_usage(PARSE("a", "b"), "unexpected argument: a");
	/* A lone "--" ends the options and leaves nothing over. */
	assert_run(PARSE("-daemonize", "--"));
	assert_true(cfg.daemonize);
}

/* Nothing is kept from one call to the next (getopt kept its position). */
static void test_repeated_calls(void **state)
{
	for (int i = 0; i < 3; i++) {
		assert_run(PARSE("-max-lines", "10", "-daemonize",
				 "-socket-log", "/a", "-max-line-len=64"));
		assert_true(cfg.max_lines == 10);
		assert_true(cfg.daemonize);
		assert_string_equal(cfg.socket_log, "/a");
		assert_int_equal(cfg.max_line_len, 64);
		/* Stopped after the first of many arguments. */
		assert_usage(PARSE("-bogus", "-max-lines", "1", "-console"),
			     "unknown option: -bogus");
		assert_run(PARSE_NONE());
		/* Stopped on the second option. */
		assert_usage(PARSE("-console", "--max-lines=x", "-daemonize"),
			     "--max-lines: bad number: x");
		assert_int_equal(PARSE("--version", "-x", "-y"), OPTS_EXIT_OK);
		assert_usage(PARSE("stray", "-x"), "unknown option: -x");
		assert_usage(PARSE("-socket-log"), "--socket-log needs a value");
		assert_run(PARSE("-console"));
		assert_true(cfg.console);
		assert_false(cfg.daemonize);
		assert_true(cfg.max_lines == 0);
	}
}

/* With the value as a separate word ("-fd-log abc") the error still names
 * the option, not the word before the value ("abc: not a file descriptor:
 * abc", as a getopt-based parser once said). */
static void test_error_names_option_not_value(void **state)
{
	assert_usage_names(PARSE("-fd-log", "abc"), "fd-log");
	assert_usage_names(PARSE("-max-line-len", "4"), "max-line-len");
	assert_usage_names(PARSE("--buffer-size", "1K"), "buffer-size");
	assert_usage_names(PARSE("--rate-limit", "0"), "rate-limit");
	assert_usage_names(PARSE("--batch-delay", "100001"), "batch-delay");
}

/* --socket-mode: octal, at most 0777, and the owner keeps rw (memlogd's own
 * --upgrade and --release connect as the owner). --socket-group and
 * --readers-group are kept as written: they are looked up when memlogd
 * starts (listen_group_lookup). */
static void test_socket_access(void **state)
{
	static const struct { const char *in; int want; } ok[] = {
		{ "0660", 0660 }, { "660", 0660 }, { "0600", 0600 },
		{ "0777", 0777 }, { "0606", 0606 }, { "600", 0600 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_run(PARSE("--socket-mode", (char *)ok[i].in));
		assert_int_equal(cfg.socket_mode, ok[i].want);
	}
	static const char *const bad[] = {
		"0460", "0200", "0400", "0000", "1660", "0o660", "888", "",
		"-1", "0x1b0", "00640", "660 ", "+660", "6608",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "--socket-mode: not an octal mode "
			 "giving the owner rw (0600 to 0777): %s", bad[i]);
		assert_usage(PARSE("--socket-mode", (char *)bad[i]), want);
	}
	assert_run(PARSE("-socket-group=adm", "-socket-mode=0640"));
	assert_string_equal(cfg.socket_group, "adm");
	assert_int_equal(cfg.socket_mode, 0640);
	assert_run(PARSE("--socket-group", "4242"));
	assert_string_equal(cfg.socket_group, "4242");
	assert_int_equal(cfg.socket_mode, -1);
	assert_usage(PARSE("--socket-group="), "--socket-group needs a value");
	/* --readers-group likewise: as written, looked up by main (by
	 * default --socket-group's). */
	assert_run(PARSE("--socket-group", "adm"));
	assert_null(cfg.readers_group);
	assert_true(cfg.readers_gid == UINT64_MAX);
	assert_run(PARSE("--readers-group", "memlog"));
	assert_string_equal(cfg.readers_group, "memlog");
	assert_true(cfg.readers_gid == UINT64_MAX);
	assert_run(PARSE("--readers-group=4242"));
	assert_string_equal(cfg.readers_group, "4242");
	assert_usage(PARSE("--readers-group="), "--readers-group needs a value");
}

/* "-:x" once left getopt_long_only in the middle of the word, so that the
 * next parse failed on the stale "x"; it is an unknown option, and the next
 * parse starts afresh. */
static void test_getopt_state_reset(void **state)
{
	char err0[sizeof(err)], err1[sizeof(err)];
	enum opts_result r0 = PARSE("-:x");
	memcpy(err0, err, sizeof(err));
	enum opts_result r1 = PARSE("-socket-log", "/a");
	memcpy(err1, err, sizeof(err));
	const char *log1 = cfg.socket_log;

	assert_int_equal(r0, OPTS_USAGE);
	assert_string_equal(err0, "unknown option: -:x");
	assert_int_equal(r1, OPTS_RUN);
	assert_string_equal(err1, ERR_UNSET);
	assert_string_equal(log1, "/a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option_every_form),
		cmocka_unit_test(test_flags_every_form),
		cmocka_unit_test(test_bool_values),
		cmocka_unit_test(test_fd_values),
		cmocka_unit_test(test_socket_paths),
		cmocka_unit_test(test_socket_access),
		cmocka_unit_test(test_max_lines),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_max_line_len),
		cmocka_unit_test(test_buffer_twice_line_len),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_batch_delay),
		cmocka_unit_test(test_other_bounds),
		cmocka_unit_test(test_kernel_and_syslog),
		cmocka_unit_test(test_optional_path_as_next_word),
		cmocka_unit_test(test_linuxkit_command_line),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_stray_argument),
		cmocka_unit_test(test_repeated_calls),
		cmocka_unit_test(test_error_names_option_not_value),
		cmocka_unit_test(test_getopt_state_reset),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
