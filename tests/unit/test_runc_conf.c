/* memlog-runc's config file (conf.c), runtime log lines (runtimelog.c)
 * and finding the real runtime (runtime.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "runtime.h"
#include "runtimelog.h"

static int apply(struct runc_conf *c, const char *text, char *err)
{
	err[0] = '\0';
	return runc_conf_parse(c, text, strlen(text), err, 256);
}

static void test_defaults(void **state)
{
	struct runc_conf c;
	(void)state;

	assert_int_equal(runc_conf_defaults(&c), 0);
	assert_string_equal(c.socket, "/var/run/linuxkit-external-logging.sock");
	assert_string_equal(c.runtime, "runc");
	assert_string_equal(c.docker_root, "/var/lib/docker");
	assert_string_equal(c.view_dir, "/run/memlog/views");
	assert_null(c.kmsgfs);
	assert_int_equal(c.pids_limit, 4096);
	assert_int_equal(c.id_length, 12);
	assert_true(c.capture);
	assert_int_equal(json_array_size(c.name_annotations), 4);
	runc_conf_free(&c);
}

static void test_all_keys(void **state)
{
	struct runc_conf c;
	char err[256];
	(void)state;

	assert_int_equal(runc_conf_defaults(&c), 0);
	assert_int_equal(apply(&c, "{\"socket\":\"/s\",\"runtime\":\"/usr/bin/crun\","
			       "\"docker_root\":\"/d\",\"pids_limit\":0,"
			       "\"view_dir\":\"/v\",\"kmsgfs\":\"/k\","
			       "\"id_length\":0,\"capture\":false,"
			       "\"name_annotations\":[\"x\",[\"a\",\"b\"]]}", err), 0);
	assert_string_equal(c.socket, "/s");
	assert_string_equal(c.runtime, "/usr/bin/crun");
	assert_string_equal(c.docker_root, "/d");
	assert_string_equal(c.view_dir, "/v");
	assert_string_equal(c.kmsgfs, "/k");
	assert_int_equal(c.pids_limit, 0);
	assert_int_equal(c.id_length, 0);
	assert_false(c.capture);
	assert_int_equal(json_array_size(c.name_annotations), 2);
	/* A second file over the first: the first's strings stay valid. */
	assert_int_equal(apply(&c, "{\"pids_limit\":10}", err), 0);
	assert_string_equal(c.socket, "/s");
	assert_int_equal(c.pids_limit, 10);
	runc_conf_free(&c);
}

static void test_errors_change_nothing(void **state)
{
	const char *bad[] = {
		"", "[]", "{\"socket\":1}", "{\"socket\":\"\"}",
		"{\"socket\":\"a\\u0000b\"}", "{\"pids_limit\":-1}",
		"{\"pids_limit\":\"4096\"}", "{\"id_length\":65}",
		"{\"capture\":1}", "{\"name_annotations\":\"x\"}",
		"{\"name_annotations\":[[]]}", "{\"name_annotations\":[[1]]}",
		"{\"name_annotations\":[2]}", "{\"sockett\":\"/s\"}",
		"{\"socket\":\"/a\",\"socket\":\"/b\"}",
		"{\"socket\":\"/x\",\"capture\":\"no\"}", "{\"view_dir\":\"\"}",
		"{\"kmsgfs\":\"\"}", "{\"kmsgfs\":true}",
	};
	struct runc_conf c;
	char err[256];
	(void)state;

	assert_int_equal(runc_conf_defaults(&c), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(apply(&c, bad[i], err), -EINVAL);
		assert_true(err[0] != '\0');
		assert_string_equal(c.socket, CONF_DEFAULT_SOCKET);
		assert_true(c.capture);
	}
	assert_int_equal(apply(&c, "{\"sockett\":\"/s\"}", err), -EINVAL);
	assert_non_null(strstr(err, "sockett"));
	runc_conf_free(&c);
}

static void test_load(void **state)
{
	struct runc_conf c;
	char err[256], path[] = "/tmp/memlog-runc-conf-XXXXXX";
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"socket\":\"/f\"}\n", 16), 16);
	close(fd);
	assert_int_equal(runc_conf_defaults(&c), 0);
	assert_int_equal(runc_conf_load(&c, path, false, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/f");
	unlink(path);
	/* A missing default file is fine; a missing named one is not. */
	assert_int_equal(runc_conf_load(&c, path, true, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/f");
	assert_int_equal(runc_conf_load(&c, path, false, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(runc_conf_load(&c, "/tmp", true, err, sizeof(err)),
			 -EINVAL);
	runc_conf_free(&c);
}

static void test_log_json(void **state)
{
	char *l;
	json_t *o;
	(void)state;

	/* 2026-11-22 07:16:00 UTC */
	l = rtlog_format_line(RTLOG_JSON, "info", "memlog-runc: a \"b\"\n\xff",
			      1795331760, 0);
	assert_non_null(l);
	assert_string_equal(l, "{\"level\":\"info\",\"msg\":\"memlog-runc: a "
			    "\\\"b\\\"\\n?\",\"time\":\"2026-11-22T07:16:00Z\"}\n");
	o = json_loads(l, 0, NULL);
	assert_non_null(o);
	json_decref(o);
	free(l);
	l = rtlog_format_line(RTLOG_JSON, "warning", "x", 1795331760, 3600 + 1800);
	assert_non_null(strstr(l, "\"time\":\"2026-11-22T08:46:00+01:30\""));
	free(l);
	l = rtlog_format_line(RTLOG_JSON, "error", "x", 1795331760, -5 * 3600);
	assert_non_null(strstr(l, "\"time\":\"2026-11-22T02:16:00-05:00\""));
	free(l);
}

static void test_log_text(void **state)
{
	char *l;
	(void)state;

	l = rtlog_format_line(RTLOG_TEXT, "info", "say \"hi\"\\\t\x01", 1795331760, 0);
	assert_string_equal(l, "time=\"2026-11-22T07:16:00Z\" level=info "
			    "msg=\"say \\\"hi\\\"\\\\\\t\\x01\"\n");
	free(l);
	assert_int_equal(rtlog_parse_format("json"), RTLOG_JSON);
	assert_int_equal(rtlog_parse_format("text"), RTLOG_TEXT);
	assert_int_equal(rtlog_parse_format(NULL), RTLOG_TEXT);
}

static void test_log_append(void **state)
{
	char dir[] = "/tmp/memlog-runc-log-XXXXXX", path[64], buf[512];
	struct rtlog log = { .path = NULL, .format = RTLOG_JSON };
	FILE *f;
	size_t n;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(rtlog_printf(&log, "info", "nothing %d", 1), 0);
	snprintf(path, sizeof(path), "%s/log.json", dir);
	log.path = path;
	assert_int_equal(rtlog_printf(&log, "info", "one %d", 1), 0);
	assert_int_equal(rtlog_printf(&log, "info", "two"), 0);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"msg\":\"one 1\""));
	assert_non_null(strstr(strchr(buf, '\n'), "\"msg\":\"two\""));
	unlink(path);
	/* A FIFO nobody reads is skipped at once, never waited for. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(rtlog_printf(&log, "info", "x"), -ENXIO);
	unlink(path);
	rmdir(dir);
}

static void write_exec(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_runtime_find(void **state)
{
	char dir[] = "/tmp/memlog-runc-rt-XXXXXX", a[128], b[128], p[300];
	char out[256];
	struct stat self;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	snprintf(p, sizeof(p), "%s/runc", a);
	write_exec(p);
	snprintf(p, sizeof(p), "%s/runc", b);
	write_exec(p);
	snprintf(p, sizeof(p), "/nonexistent:%s:%s", a, b);

	assert_int_equal(runtime_find("runc", p, NULL, out, sizeof(out)), 0);
	assert_string_equal(out + strlen(dir), "/a/runc");
	/* a/runc is "us": skipped. */
	snprintf(out, sizeof(out), "%s/runc", a);
	assert_int_equal(stat(out, &self), 0);
	assert_int_equal(runtime_find("runc", p, &self, out, sizeof(out)), 0);
	assert_string_equal(out + strlen(dir), "/b/runc");
	/* Only us: -ELOOP; by path too. */
	snprintf(p, sizeof(p), "%s", a);
	assert_int_equal(runtime_find("runc", p, &self, out, sizeof(out)), -ELOOP);
	snprintf(p, sizeof(p), "%s/runc", a);
	assert_int_equal(runtime_find(p, NULL, &self, out, sizeof(out)), -ELOOP);
	snprintf(p, sizeof(p), "%s/b/runc", dir);
	assert_int_equal(runtime_find(p, NULL, &self, out, sizeof(out)), 0);
	assert_string_equal(out, p);
	/* Not executable; missing. */
	assert_int_equal(chmod(p, 0644), 0);
	snprintf(p, sizeof(p), "%s", b);
	if (geteuid() != 0)
		assert_int_equal(runtime_find("runc", p, NULL, out, sizeof(out)),
				 -EACCES);
	assert_int_equal(runtime_find("nope", p, NULL, out, sizeof(out)), -ENOENT);
	assert_int_equal(runtime_find("", p, NULL, out, sizeof(out)), -ENOENT);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_errors_change_nothing),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_log_json),
		cmocka_unit_test(test_log_text),
		cmocka_unit_test(test_log_append),
		cmocka_unit_test(test_runtime_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
