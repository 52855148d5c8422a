/* libFuzzer target: memlog-runc's command line (args.c). The input is
 * argv words separated by NUL bytes. Checks: what is passed to runc is
 * argv in order with only our --memlog-* options (and their values)
 * taken out; it is NULL-terminated; parsing what is passed again finds
 * no option of ours and the same command, container id, bundle, console
 * socket and runtime log. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-runc/args.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_WORDS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_WORDS + 2], *out[MAX_WORDS + 2], *out2[MAX_WORDS + 2];
	struct runc_args a, b;
	int argc = 0, r;

	if (size > 8192)
		return 0;
	buf = malloc(size + 1);
	CHECK(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"memlog-runc";
	for (size_t i = 0; i <= size && argc <= MAX_WORDS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	r = runc_args_parse(argc, argv, out, &a);
	if (r < 0) {
		CHECK(r == -EINVAL);
		CHECK(a.bad_arg > 0 && a.bad_arg < argc && a.error);
		free(buf);
		return 0;
	}
	CHECK(a.argc >= 1 && a.argc <= argc && out[a.argc] == NULL);
	CHECK(out[0] == argv[0]);
	/* A subsequence of argv, by identity, in order. */
	for (int i = 1, j = 1; i < a.argc; i++) {
		while (j < argc && argv[j] != out[i])
			j++;
		CHECK(j < argc);
		j++;
	}
	/* Everything after the command is passed unchanged. */
	if (a.command) {
		int k = 0;
		while (out[k] != a.command)
			k++;
		for (int i = 0; argv[argc - 1 - i] != a.command; i++)
			CHECK(out[a.argc - 1 - i] == argv[argc - 1 - i]);
	}
	if (a.cmd_parsed) {
		CHECK(a.cmd == RUNC_CMD_CREATE || a.cmd == RUNC_CMD_RUN);
		/* runc takes exactly one argument, the id; an empty bundle
		 * is the current directory, never "/config.json". */
		CHECK(a.id && (!a.bundle || a.bundle[0]));
	}

	r = runc_args_parse(a.argc, out, out2, &b);
	CHECK(r == 0);
	CHECK(b.argc == a.argc);
	for (int i = 0; i <= a.argc; i++)
		CHECK(out2[i] == out[i]);
	CHECK(!b.own.socket && !b.own.runtime && !b.own.config &&
	      !b.own.pids_limit_set && !b.own.capture_set && !b.own.help &&
	      !b.own.version && !b.own.show_config);
	CHECK(b.cmd == a.cmd && b.cmd_parsed == a.cmd_parsed);
	CHECK(same(b.command, a.command) && same(b.id, a.id) &&
	      same(b.bundle, a.bundle) && same(b.console_socket, a.console_socket) &&
	      same(b.log, a.log) && same(b.log_format, a.log_format));
	free(buf);
	return 0;
}
