/* The Journal Export Format (format=export, `logread -o export`) into a
 * real journal: `logread -o export | systemd-journal-remote -o F.journal -`
 * must give a journal file that `journalctl --file F.journal` reads with
 * every entry memlogd holds, with the right MESSAGE, SYSLOG_IDENTIFIER,
 * PRIORITY, SYSLOG_FACILITY, _PID, realtime timestamp and memlog's own
 * fields (seq, cursor, stream, partial), compared with memlogd's v2 JSON
 * dump of the same ring; memlogd's own format=export is the same bytes
 * as logread's. Needs systemd-journal-remote and journalctl (Debian:
 * systemd-journal-remote, scripts/deps), skipped without them. Also: the
 * JSON that `logread -o json` writes from the binary records is memlogd's
 * JSON byte for byte. */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"

static const char *journalctl(void)
{
	static const char *const cands[] = { "/usr/bin/journalctl",
					     "/bin/journalctl" };
	for (size_t i = 0; i < 2; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

/* A memlogd holding every kind of entry. */
static void start_filled(struct mld *m)
{
	char fake[256], slog[256], text[512];

	mld_init(m);
	snprintf(fake, sizeof(fake), "%s/fake", m->dir);
	snprintf(slog, sizeof(slog), "%s/syslog.sock", m->dir);
	snprintf(text, sizeof(text),
		 "3,0,%" PRIu64 ",-;kernel with dictionary\n"
		 " SUBSYSTEM=pci\n"
		 " DEVICE=+pci:0000:00:01.0\n", h_now_us() - 1000000);
	h_write_file(fake, text, 0644);
	static const char *const args[] = {
		"--syslog=%D/syslog.sock", "--kmsg=%D/fake", "--state-dir",
		"%D/state", "--max-line-len", "100", NULL };
	struct mld_opts o = { .args = args };
	mld_start(m, &o);

	int out = h_register_pipe(m, "web.out");
	int err = h_register_pipe(m, "web");
	static const char lines[] =
		"plain line\n"
		"ctl \x01 and\rcr\n"
		"utf8 \xc3\xa9\n"
		"bad \xff utf8\n"
		"a line longer than 100 bytes is split: 0123456789012345678901234"
		"567890123456789012345678901234567890123456789012345678901234567\n";
	h_write_all(out, lines, sizeof(lines) - 1);
	h_write_all(err, "on stderr\nno newline", 20);
	close(err);
	close(out);
	h_send_str(slog, "<165>1 2026-11-22T05:07:16.5Z host app 4321 ID47 "
			 "[ex@32473 iut=\"3\"] structured");
	json_decref(h_wait_dump_msg(m, "dump\n", "structured"));
	json_decref(h_wait_dump_msg(m, "dump\n", "no newline"));
	json_decref(h_wait_dump_msg(m, "dump\n", "kernel with dictionary"));
}

/* A journal field's value from journalctl -o json: a string, or an array
 * of byte values for what is not printable text. */
static char *jfield(json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return NULL;
	if (json_is_string(v)) {
		*len = json_string_length(v);
		char *s = malloc(*len + 1);
		memcpy(s, json_string_value(v), *len + 1);
		return s;
	}
	assert_true(json_is_array(v));
	*len = json_array_size(v);
	char *s = malloc(*len + 1);
	for (size_t i = 0; i < *len; i++)
		s[i] = (char)json_integer_value(json_array_get(v, i));
	s[*len] = '\0';
	return s;
}

static void expect_field(json_t *j, const char *key, const char *want)
{
	size_t len;
	char *v = jfield(j, key, &len);

	if (!want) {
		if (v)
			fail_msg("%s=%s, want none", key, v);
		return;
	}
	if (!v)
		fail_msg("no %s, want %s", key, want);
	if (strcmp(v, want) != 0)
		fail_msg("%s=\"%s\", want \"%s\"", key, v, want);
	free(v);
}

static void test_journal_remote(void **state)
{
	(void)state;
	const char *jctl = journalctl();
	if (access(JOURNAL_REMOTE, X_OK) != 0 || !jctl) {
		print_message("# skipped: " JOURNAL_REMOTE " or journalctl is not "
			      "installed (Debian: systemd-journal-remote)\n");
		skip();
	}
	if (!h_prog_exists("logread"))
		skip();
	struct mld m = { 0 };
	start_filled(&m);

	char logread[256], cmd[2048], journal[256];
	h_prog(logread, sizeof(logread), "logread");
	snprintf(journal, sizeof(journal), "%s/F.journal", m.dir);
	snprintf(cmd, sizeof(cmd), "%s -socket %s -o export | " JOURNAL_REMOTE
		 " -o %s -", logread, m.query, journal);
	char *out = NULL, *err = NULL;
	int st = h_run((const char *const[]){ "/bin/sh", "-c", cmd, NULL }, NULL,
		       H_TIMEOUT_MS * 2, &out, &err);
	h_expect_exit(st, 0, "logread -o export | systemd-journal-remote", err);
	free(out);
	free(err);
	st = h_run((const char *const[]){ jctl, "--file", journal, "-o", "json",
					  "--no-pager", NULL },
		   NULL, H_TIMEOUT_MS, &out, &err);
	h_expect_exit(st, 0, "journalctl", err);
	free(err);
	json_t *jr = h_ndjson(out, strlen(out));
	free(out);
	json_t *dump = h_dump(&m, "dump\n");
	if (json_array_size(jr) != json_array_size(dump))
		fail_msg("%zu journal entries, memlogd holds %zu",
			 json_array_size(jr), json_array_size(dump));
	unsigned checked_pid = 0, checked_kernel = 0, checked_prio = 0,
		 binary_msg = 0;
	for (size_t i = 0; i < json_array_size(dump); i++) {
		json_t *e = json_array_get(dump, i), *j = json_array_get(jr, i);
		char want[128];
		size_t len;

		snprintf(want, sizeof(want), "%" PRId64, (int64_t)h_jint(e, "seq"));
		expect_field(j, "MEMLOG_SEQ", want);
		expect_field(j, "MEMLOG_CURSOR", h_jstr(e, "cursor"));
		expect_field(j, "SYSLOG_IDENTIFIER", h_jstr(e, "source"));
		expect_field(j, "MEMLOG_STREAM", h_jstr(e, "stream"));
		expect_field(j, "MEMLOG_PARTIAL", h_jbool(e, "partial") ? "true"
								    : "false");
		const char *t = h_jstr(e, "time");
		uint64_t ns;
		assert_true(h_parse_rfc3339nano(t, strlen(t), &ns));
		snprintf(want, sizeof(want), "%" PRIu64, ns / 1000);
		expect_field(j, "__REALTIME_TIMESTAMP", want);
		json_t *p = json_object_get(e, "priority");
		if (p) {
			snprintf(want, sizeof(want), "%d", (int)json_integer_value(p));
			expect_field(j, "PRIORITY", want);
			checked_prio++;
		} else {
			expect_field(j, "PRIORITY", NULL);
		}
		p = json_object_get(e, "facility");
		if (p) {
			snprintf(want, sizeof(want), "%d", (int)json_integer_value(p));
			expect_field(j, "SYSLOG_FACILITY", want);
		} else {
			expect_field(j, "SYSLOG_FACILITY", NULL);
		}
		json_t *attrs = json_object_get(e, "attrs");
		json_t *pid = json_object_get(attrs, "_pid");
		expect_field(j, "_PID", pid ? json_string_value(pid) : NULL);
		checked_pid += !!pid;
		if (json_object_get(attrs, "SUBSYSTEM")) {
			expect_field(j, "_KERNEL_SUBSYSTEM", "pci");
			expect_field(j, "_KERNEL_DEVICE", "+pci:0000:00:01.0");
			checked_kernel++;
		}
		/* The message: the JSON holds U+FFFD for invalid UTF-8, the
		 * journal the bytes as they are. */
		char *msg = jfield(j, "MESSAGE", &len);
		assert_non_null(msg);
		const char *jm = h_jstr(e, "msg");
		if (h_valid_utf8(msg, len)) {
			if (strlen(jm) != len || memcmp(jm, msg, len) != 0)
				fail_msg("MESSAGE \"%s\", memlogd's msg \"%s\"", msg, jm);
		} else {
			assert_string_equal(msg, "bad \xff utf8");
		}
		binary_msg += json_is_array(json_object_get(j, "MESSAGE"));
		free(msg);
	}
	assert_true(checked_pid == 1 && checked_kernel == 1 && checked_prio >= 2 &&
		    binary_msg >= 2);
	json_decref(jr);
	json_decref(dump);

	/* memlogd's own format=export: the same bytes as logread's. */
	size_t n1, n2;
	char *srv = h_read_all_close(h_query(&m, "dump format=export\n"),
				     H_TIMEOUT_MS, &n1);
	char path[256];
	snprintf(path, sizeof(path), "%s/out.export", m.dir);
	snprintf(cmd, sizeof(cmd), "%s -socket %s -o export > %s", logread,
		 m.query, path);
	st = h_run((const char *const[]){ "/bin/sh", "-c", cmd, NULL }, NULL,
		   H_TIMEOUT_MS, NULL, &err);
	h_expect_exit(st, 0, "logread -o export", err);
	free(err);
	/* The binary-safe form's length holds NUL bytes. */
	char *lr = h_read_file(path, &n2);
	if (n1 != n2 || memcmp(srv, lr, n1) != 0)
		fail_msg("format=export (%zu bytes) and logread -o export (%zu "
			 "bytes) differ", n1, n2);
	free(srv);
	free(lr);
	mld_stop(&m);
}

/* logread -o json writes memlogd's v2 JSON, byte for byte, though it reads
 * binary records; with a filter and with -n too. */
static void test_logread_json_is_memlogd_json(void **state)
{
	(void)state;
	if (!h_prog_exists("logread"))
		skip();
	struct mld m = { 0 };
	start_filled(&m);
	char logread[256];
	h_prog(logread, sizeof(logread), "logread");
	static const struct {
		const char *req;
		const char *const args[6];
	} cases[] = {
		{ "dump\n", { "-o", "json", NULL } },
		{ "dump source=web* last=3\n",
		  { "-o", "json", "-source", "web*", "-n", "3" } },
	};
	for (size_t i = 0; i < 2; i++) {
		size_t n;
		char *srv = h_read_all_close(h_query(&m, cases[i].req),
					     H_TIMEOUT_MS, &n);
		const char *argv[10] = { logread, "-socket", m.query };
		int k = 3;
		for (int a = 0; a < 6 && cases[i].args[a]; a++)
			argv[k++] = cases[i].args[a];
		argv[k] = NULL;
		char *out = NULL, *err = NULL;
		int st = h_run(argv, NULL, H_TIMEOUT_MS, &out, &err);
		h_expect_exit(st, 0, "logread -o json", err);
		if (strlen(out) != n || memcmp(out, srv, n) != 0)
			fail_msg("logread:\n%s\nmemlogd:\n%s", out, srv);
		free(out);
		free(err);
		free(srv);
	}
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_journal_remote, h_teardown),
		cmocka_unit_test_teardown(test_logread_json_is_memlogd_json,
					  h_teardown),
	};
	return h_run_tests("itest_export", tests, NULL, NULL);
}
