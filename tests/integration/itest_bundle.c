/* logread --bundle (issue 19) against the real memlogd, filled by the
 * test: two fd sources (a control character, a line memlogd splits, a
 * planted secret), kernel records from a stand-in file (a gap, which
 * memlogd reports with a loss notice, and a dictionary), a registration
 * that memlogd partly refuses (another loss notice), and a reader's loss
 * marker (a cursor of another instance). The archive is unpacked with
 * tar and every file checked against a JSON dump of the same ring; the
 * manifest's counts against the entries and markers; --redact against
 * the secret; - through a pipe into tar -tz; --source; the refusals.
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"
#include "util.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const mld_args[] = {
	"--kmsg=%D/fake", "--state-dir", "%D/state", "--max-line-len", "256",
	NULL };

#define L100 "0123456789012345678901234567890123456789" \
	"0123456789012345678901234567890123456789" "01234567890123456789"

/* Entries the test writes (web.out and web), and what they become. */
static const char out_lines[] =
	"hello\n"
	"tab\there ctl\x01 end\n"
	"a line longer than 256 bytes that memlogd splits into three pieces: "
	L100 L100 L100 L100 L100 "\n"
	"login password=hunter2 ok\n"
	"hunter7 alone\n";

/* Starts memlogd and fills it; returns when every entry is in the ring. */
static void fill(struct mld *m)
{
	char fake[256], text[512];
	uint64_t now = h_now_us();

	mld_init(m);
	snprintf(fake, sizeof(fake), "%s/fake", m->dir);
	/* Kernel records 0 and 3: memlogd notes the gap (1-2) in a loss
	 * notice; record 3 carries a dictionary. */
	snprintf(text, sizeof(text),
		 "6,0,%" PRIu64 ",-;kernel zero\n"
		 "4,3,%" PRIu64 ",-;kernel three\n"
		 " SUBSYSTEM=net\n"
		 " DEVICE=n2\n", now - 2000000, now - 1000000);
	h_write_file(fake, text, 0644);
	struct mld_opts o = { .args = mld_args };
	mld_start(m, &o);

	int out = h_register_pipe(m, "web.out");
	int err = h_register_pipe(m, "web");
	h_write_all(out, out_lines, sizeof(out_lines) - 1);
	h_write_all(err, "to stderr\n", 10);
	close(out);
	close(err);
	/* Nine fds in one datagram: memlogd keeps eight and says so in a
	 * loss notice (an entry of source memlogd, "marker":true). */
	int fds[9], p[2];
	for (int i = 0; i < 9; i++) {
		assert_int_equal(pipe(p), 0);
		fds[i] = p[0];
		close(p[1]);
	}
	assert_int_equal(h_register(m->log, "many", 4, fds, 9), 0);
	for (int i = 0; i < 9; i++)
		close(fds[i]);
	json_decref(h_wait_dump_msg(m, "dump\n", "hunter7 alone"));
	json_decref(h_wait_dump_msg(m, "dump\n", "to stderr"));
	json_decref(h_wait_dump_msg(m, "dump\n", "kernel three"));
	uint64_t deadline = h_now_ms() + H_TIMEOUT_MS;
	for (;;) {
		json_t *a = h_dump(m, "dump source=memlogd\n"), *e;
		size_t i;
		bool notice = false;
		json_array_foreach(a, i, e)
			notice |= json_is_true(json_object_get(e, "marker"));
		json_decref(a);
		if (notice)
			break;
		if (h_now_ms() > deadline)
			fail_msg("memlogd wrote no notice of the refused fd");
		h_sleep_ms(10);
	}
}

/* Runs logread with args (NULL-terminated); returns the exit status. */
static int logread(const struct mld *m, const char *const *args, char **err)
{
	const char *argv[24] = { "-socket", m->query };
	size_t n = 2;

	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run_prog("logread", argv, 4 * H_TIMEOUT_MS, NULL, err);
}

/* Unpacks archive into DIR/name with tar; returns the bundle's top
 * directory (malloc'd): the only entry there. */
static char *unpack(const struct mld *m, const char *archive,
		    const char *name)
{
	char dest[256], *top = NULL;
	snprintf(dest, sizeof(dest), "%s/%s", m->dir, name);
	assert_int_equal(mkdir(dest, 0755), 0);
	const char *argv[] = { "/bin/tar", "-xzf", archive, "-C", dest, NULL };
	char *err = NULL;
	int st = h_run(argv, NULL, H_TIMEOUT_MS, NULL, &err);
	if (st != 0)
		fail_msg("tar -xzf %s: status %d: %s", archive, st, err);
	free(err);
	DIR *d = opendir(dest);
	struct dirent *de;
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (strncmp(de->d_name, "memlog-bundle-", 14) != 0)
			fail_msg("unexpected %s at the top of the bundle",
				 de->d_name);
		free(top);
		assert_true(asprintf(&top, "%s/%s", dest, de->d_name) > 0);
	}
	closedir(d);
	if (n != 1)
		fail_msg("%d entries at the top of the bundle, want 1", n);
	return top;
}

static char *read_in(const char *top, const char *rel, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	char *s = h_read_file(path, len);
	if (!s)
		fail_msg("%s is not in the bundle", rel);
	return s;
}

/* The bundle's manifest.json, parsed. */
static json_t *manifest_in(const char *top)
{
	size_t len;
	char *ms = read_in(top, "manifest.json", &len);
	json_t *man = h_json(ms, len);

	free(ms);
	return man;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in top/logs, sorted, one per line. */
static char *list_logs(const char *top)
{
	char path[512], *names[512];
	size_t n = 0, len = 0;
	snprintf(path, sizeof(path), "%s/logs", top);
	DIR *d = opendir(path);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n < 512)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	char *s = calloc(1, 512 * 300);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)sprintf(s + len, "%s\n", names[i]);
		free(names[i]);
	}
	return s;
}

/* logwrite's text line of a dumped entry: "TIME SOURCE MSG", control
 * characters but tab as \xNN; patterns in msg replaced as given. */
static void text_line(char *out, size_t cap, json_t *e)
{
	const char *msg = h_jstr(e, "msg");
	char esc[1024], red[1024];
	size_t o = 0;
	/* What the test's two patterns make of its secrets. */
	const char *s = strstr(msg, "password=hunter2");
	if (s) {
		snprintf(red, sizeof(red), "%.*s[redacted]%s", (int)(s - msg),
			 msg, s + 16);
		msg = red;
	} else if (!strncmp(msg, "hunter7", 7)) {
		snprintf(red, sizeof(red), "[redacted]%s", msg + 7);
		msg = red;
	}
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			o += (size_t)sprintf(esc + o, "\\x%02x", *p);
		else
			esc[o++] = (char)*p;
	}
	esc[o] = '\0';
	snprintf(out, cap, "%s %s %s\n", h_jstr(e, "time"),
		 h_jstr(e, "source"), esc);
}

/* The file of the entries of (source, stream) of dump a, as expected. */
static char *expected_file(json_t *a, const char *source, const char *stream)
{
	char *s = calloc(1, 1 << 16), line[2048];
	size_t i, len = 0;
	json_t *e;
	assert_non_null(s);
	json_array_foreach(a, i, e) {
		if (strcmp(h_jstr(e, "source"), source) ||
		    strcmp(h_jstr(e, "stream"), stream))
			continue;
		text_line(line, sizeof(line), e);
		len += (size_t)sprintf(s + len, "%s", line);
	}
	return s;
}

static json_t *manifest_source(json_t *man, const char *name,
			       const char *stream)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(man, "sources"), i, s)
		if (!strcmp(h_jstr(s, "name"), name) &&
		    !strcmp(h_jstr(s, "stream"), stream))
			return s;
	fail_msg("the manifest has no source %s (%s)", name, stream);
	return NULL;
}

/* The counts of (name, stream) in the manifest against the dump. */
static void check_counts(json_t *man, json_t *dump, json_t *stats,
			 const char *name, const char *stream)
{
	json_t *s = manifest_source(man, name, stream), *e, *first = NULL,
	       *last = NULL;
	json_int_t entries = 0, lines = 0, partial = 0, bytes = 0,
		   notices = 0;
	size_t i;

	json_array_foreach(dump, i, e) {
		if (strcmp(h_jstr(e, "source"), name) ||
		    strcmp(h_jstr(e, "stream"), stream))
			continue;
		entries++;
		if (h_jbool(e, "partial"))
			partial++;
		else
			lines++;
		bytes += (json_int_t)strlen(h_jstr(e, "msg"));
		notices += json_is_true(json_object_get(e, "marker"));
		if (!first)
			first = e;
		last = e;
	}
	assert_non_null(first);
	assert_int_equal(h_jint(s, "entries"), entries);
	assert_int_equal(h_jint(s, "lines"), lines);
	assert_int_equal(h_jint(s, "partial"), partial);
	assert_int_equal(h_jint(s, "bytes"), bytes);
	assert_int_equal(h_jint(s, "notices"), notices);
	assert_int_equal(h_jint(s, "first_seq"), h_jint(first, "seq"));
	assert_int_equal(h_jint(s, "last_seq"), h_jint(last, "seq"));
	assert_string_equal(h_jstr(s, "first_time"), h_jstr(first, "time"));
	assert_string_equal(h_jstr(s, "last_time"), h_jstr(last, "time"));
	json_t *st = h_stats_source(stats, name, stream);
	assert_non_null(st);
	assert_int_equal(h_jint(s, "dropped"), h_jint(st, "dropped"));
}

static void expect_file(const char *top, const char *rel, json_t *dump,
			const char *source, const char *stream)
{
	size_t len;
	char *got = read_in(top, rel, &len);
	char *want = expected_file(dump, source, stream);
	if (strcmp(got, want))
		fail_msg("%s holds:\n%s\nwant:\n%s", rel, got, want);
	free(got);
	free(want);
}

/* Everything in one bundle, checked file by file. */
static void test_bundle_contents(void **state)
{
	(void)state;
	struct mld m;
	char archive[256];

	fill(&m);
	snprintf(archive, sizeof(archive), "%s/b.tar.gz", m.dir);
	const char *args[] = { "-bundle", archive, "-redact",
			       "password=[^ ]+", "--redact", "hunter[0-9]",
			       NULL };
	char *err = NULL;
	int st = logread(&m, args, &err);
	if (st != 0)
		fail_msg("logread -bundle: status %d: %s", st, err);
	free(err);
	json_t *stats = h_stats(&m);
	char *top = unpack(&m, archive, "x");
	size_t len, i;
	json_t *man = manifest_in(top), *e;
	/* The ring as the bundle saw it: a dump taken now, without what
	 * memlogd may have stored after the bundle's dump. */
	json_int_t last = 0;
	json_array_foreach(json_object_get(man, "sources"), i, e)
		last = MAX(last, h_jint(e, "last_seq"));
	json_t *all = h_dump(&m, "dump\n"), *dump = json_array();
	json_array_foreach(all, i, e)
		if (h_jint(e, "seq") <= last)
			json_array_append(dump, e);
	json_decref(all);
	assert_int_equal(h_jint(json_array_get(dump, json_array_size(dump) - 1),
				"seq"), last);

	/* One file per source, as logwrite names them. */
	char *logs = list_logs(top);
	assert_string_equal(logs, "kmsg@kernel.log\nmemlogd.log\nweb.log\n"
				  "web.out.log\n");
	free(logs);
	expect_file(top, "logs/web.out.log", dump, "web.out", "stdout");
	expect_file(top, "logs/web.log", dump, "web", "stderr");
	expect_file(top, "logs/kmsg@kernel.log", dump, "kmsg", "kernel");
	expect_file(top, "logs/memlogd.log", dump, "memlogd", "none");

	/* The kernel's entries with their attributes: memlogd's JSON. */
	char *k = read_in(top, "kernel.ndjson", &len);
	json_t *kl = h_ndjson(k, len);
	json_t *kd = h_dump(&m, "dump source=kmsg\n");
	assert_int_equal(json_array_size(kl), 3);
	assert_int_equal(json_array_size(kd), 3);
	json_array_foreach(kl, i, e)
		if (!json_equal(e, json_array_get(kd, i)))
			fail_msg("kernel.ndjson line %zu differs from the dump",
				 i + 1);
	assert_string_equal(h_jstr(json_array_get(kl, 2), "attrs.SUBSYSTEM"),
			    "net");
	free(k);
	json_decref(kl);
	json_decref(kd);

	/* The secret is nowhere in the bundle. */
	const char *files[] = { "logs/web.out.log", "kernel.ndjson",
				"manifest.json", "stats.json", "sources.json" };
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *s = read_in(top, files[i], &len);
		if (strstr(s, "hunter2") || strstr(s, "hunter7"))
			fail_msg("%s holds the secret", files[i]);
		free(s);
	}

	/* The manifest. */
	assert_string_equal(h_jstr(man, "request"), "dump format=binary");
	const char *cur = h_jstr(json_array_get(dump, 0), "cursor");
	assert_int_equal(strncmp(h_jstr(man, "memlogd.instance"), cur + 3, 16),
			 0);
	assert_true(h_jbool(man, "memlogd.same_instance"));
	assert_int_equal(h_jint(man, "memlogd.restarts_seen"), 0);
	assert_string_equal(h_jstr(man, "memlogd.version"),
			    h_jstr(stats, "version"));
	assert_int_equal(h_jint(man, "ring.size"), h_jint(stats, "ring.size"));
	assert_true(h_jint(man, "ring.newest_seq") >= last);
	json_t *want_redact = json_pack("[s,s]", "password=[^ ]+",
					"hunter[0-9]");
	assert_true(json_equal(json_object_get(man, "redact"), want_redact));
	json_decref(want_redact);
	assert_int_equal(h_jint(man, "redacted"), 2);
	assert_int_equal(h_jint(manifest_source(man, "web.out", "stdout"),
				"redacted"), 2);
	check_counts(man, dump, stats, "web.out", "stdout");
	check_counts(man, dump, stats, "web", "stderr");
	check_counts(man, dump, stats, "kmsg", "kernel");
	check_counts(man, dump, stats, "memlogd", "none");
	assert_int_equal(h_jint(manifest_source(man, "web.out", "stdout"),
				"partial"), 2);
	assert_string_equal(h_jstr(man, "kernel_file") + strlen(
			    h_jstr(man, "kernel_file")) - 13, "kernel.ndjson");

	/* Every loss notice of the dump is listed, in ring order. */
	json_t *lm = json_object_get(man, "loss_markers");
	size_t nl = 0;
	json_array_foreach(dump, i, e) {
		if (!json_is_true(json_object_get(e, "marker")))
			continue;
		json_t *l = json_array_get(lm, nl++);
		if (!l)
			fail_msg("loss notice %s is not in the manifest",
				 h_jstr(e, "msg"));
		assert_string_equal(h_jstr(l, "kind"), "notice");
		assert_int_equal(h_jint(l, "seq"), h_jint(e, "seq"));
		assert_string_equal(h_jstr(l, "source"), h_jstr(e, "source"));
		assert_string_equal(h_jstr(l, "text"), h_jstr(e, "msg"));
	}
	assert_int_equal(json_array_size(lm), nl);
	assert_true(nl >= 2); /* the kernel's gap, the refused fd */
	assert_int_equal(h_jint(man, "losses.notices"), (json_int_t)nl);
	assert_int_equal(h_jint(man, "losses.markers"), 0);
	assert_int_equal(h_jint(man, "losses.not_listed"), 0);
	assert_non_null(strstr(h_jstr(json_array_get(lm, 0), "text"),
			       "missed 2 kernel messages"));

	/* The stats and the sources as memlogd gave them. */
	char *ss = read_in(top, "stats.json", &len);
	json_t *bs = h_json(ss, len);
	assert_string_equal(h_jstr(bs, "instance"), h_jstr(stats, "instance"));
	free(ss);
	ss = read_in(top, "sources.json", &len);
	json_t *src = h_json(ss, len);
	assert_true(json_is_array(src));
	assert_int_equal(json_array_size(src),
			 json_array_size(json_object_get(bs, "sources")));
	free(ss);
	json_decref(src);
	json_decref(bs);

	json_decref(man);
	json_decref(stats);
	json_decref(dump);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

/* - writes to standard output (here a pipe into tar -tz), and a cursor
 * of another instance gives the reader's own loss marker, which the
 * manifest counts and memlogd.log holds as logwrite writes it. */
static void test_bundle_pipe_and_marker(void **state)
{
	(void)state;
	struct mld m;
	char cmd[1024], copy[256];

	fill(&m);
	snprintf(copy, sizeof(copy), "%s/copy.tgz", m.dir);
	snprintf(cmd, sizeof(cmd), "'%s/logread' -socket '%s' -bundle - "
		 "-after-cursor m1-0000000000000001-0000000000000005 -source "
		 "'web*' | tee '%s' | tar -tzf -", h_build(), m.query, copy);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char *out = NULL, *err = NULL;
	int st = h_run(argv, NULL, 4 * H_TIMEOUT_MS, &out, &err);
	if (st != 0)
		fail_msg("%s: status %d: %s", cmd, st, err);
	static const char *const names[] = { "/manifest.json\n",
		"/stats.json\n", "/sources.json\n", "/logs/web.out.log\n",
		"/logs/web.log\n", "/logs/memlogd.log\n" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strstr(out, names[i]))
			fail_msg("tar -tz lists no %s:\n%s", names[i], out);
	/* -source web*: nothing of the kernel's. */
	assert_null(strstr(out, "kmsg"));
	assert_null(strstr(out, "kernel.ndjson"));
	free(out);
	free(err);

	char *top = unpack(&m, copy, "y");
	size_t len;
	json_t *man = manifest_in(top);
	assert_int_equal(h_jint(man, "losses.markers"), 1);
	assert_true(h_jbool(man, "losses.missed_unknown"));
	json_t *l = json_array_get(json_object_get(man, "loss_markers"), 0);
	assert_non_null(l);
	assert_string_equal(h_jstr(l, "kind"), "marker");
	assert_string_equal(h_jstr(l, "reason"), "foreign-cursor");
	assert_true(json_is_null(json_object_get(l, "missed")));
	assert_true(h_jbool(man, "memlogd.foreign_cursor"));
	assert_true(json_is_null(json_object_get(man, "kernel_file")));
	json_t *srcs = json_object_get(man, "sources");
	assert_int_equal(json_array_size(srcs), 3); /* web.out, web, memlogd */
	char *ml = read_in(top, "logs/memlogd.log", &len);
	if (!strstr(ml, " memlogd ") || h_count_str(ml, "\n") != 1)
		fail_msg("memlogd.log holds:\n%s\nwant the marker's line", ml);
	free(ml);
	json_decref(man);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

/* memlogd restarted and took its ring back: the same instance, so one
 * dump holds entries from before and after, and the manifest says where
 * the restart is (memlogd's own notice) rather than mixing them
 * silently. */
static void test_bundle_restart(void **state)
{
	(void)state;
	struct mld m;
	struct mld_opts o = { 0 };
	char archive[256];
	size_t len;

	mld_init(&m);
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "app");
	h_write_all(w, "before\n", 7);
	json_t *a = h_wait_dump_msg(&m, "dump\n", "before");
	char inst[17];
	snprintf(inst, sizeof(inst), "%.16s",
		 h_jstr(json_array_get(a, 0), "cursor") + 3);
	json_decref(a);
	/* SIGTERM: stop for a restart, everything left with the fd
	 * holder, which the next memlogd takes back. */
	int st = mld_signal_wait(&m, SIGTERM);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("memlogd did not stop cleanly: status 0x%x", st);
	mld_start(&m, &o);
	h_write_all(w, "after\n", 6);
	json_decref(h_wait_dump_msg(&m, "dump\n", "after"));
	close(w);

	snprintf(archive, sizeof(archive), "%s/r.tgz", m.dir);
	const char *args[] = { "-bundle", archive, NULL };
	char *err = NULL;
	st = logread(&m, args, &err);
	if (st != 0)
		fail_msg("logread -bundle: status %d: %s", st, err);
	free(err);
	char *top = unpack(&m, archive, "r");
	json_t *man = manifest_in(top);
	assert_string_equal(h_jstr(man, "memlogd.instance"), inst);
	assert_true(h_jbool(man, "memlogd.same_instance"));
	assert_false(h_jbool(man, "memlogd.foreign_cursor"));
	assert_int_equal(h_jint(man, "memlogd.restarts_seen"), 1);
	json_t *r = json_array_get(h_jget(man, "memlogd.restarts"), 0);
	assert_non_null(r);
	if (strncmp(h_jstr(r, "text"), "took over the ring", 18))
		fail_msg("the restart noted is \"%s\"", h_jstr(r, "text"));
	/* Its seq lies between the two lines of app. */
	json_t *app = manifest_source(man, "app", "stderr");
	assert_true(h_jint(app, "first_seq") < h_jint(r, "seq"));
	assert_true(h_jint(r, "seq") < h_jint(app, "last_seq"));
	char *log = read_in(top, "logs/app.log", &len);
	if (!strstr(log, " app before\n") || !strstr(log, " app after\n"))
		fail_msg("app.log holds:\n%s", log);
	free(log);
	json_decref(man);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

/* More sources than temporary files: the first ones get their own files
 * (BUNDLE_FILES_MAX less the kernel's and more-sources.log: 254), the
 * rest share more-sources.log, whose lines name their sources; nothing
 * is lost and the manifest says where each source went. */
#define MANY 300
static void test_bundle_many_sources(void **state)
{
	(void)state;
	struct mld m;
	struct mld_opts o = { 0 };
	char archive[256], name[16], line[32];
	size_t len, i;

	mld_init(&m);
	mld_start(&m, &o);
	for (int k = 0; k < MANY; k++) {
		snprintf(name, sizeof(name), "s%03d", k);
		int w = h_register_pipe(&m, name);
		h_writef(w, "line of %s\n", name);
		close(w);
	}
	uint64_t deadline = h_now_ms() + 4 * H_TIMEOUT_MS;
	for (;;) {
		json_t *a = h_dump(&m, "dump source=s*\n");
		size_t n = json_array_size(a);
		json_decref(a);
		if (n == MANY)
			break;
		if (h_now_ms() > deadline)
			fail_msg("%zu of %d lines arrived", n, MANY);
		h_sleep_ms(20);
	}
	snprintf(archive, sizeof(archive), "%s/m.tgz", m.dir);
	const char *args[] = { "-bundle", archive, "-source", "s*", NULL };
	char *err = NULL;
	int st = logread(&m, args, &err);
	if (st != 0)
		fail_msg("logread -bundle: status %d: %s", st, err);
	free(err);
	char *top = unpack(&m, archive, "m");
	json_t *man = manifest_in(top), *e;
	size_t own = 0, shared = 0;
	json_array_foreach(json_object_get(man, "sources"), i, e) {
		const char *f = h_jstr(e, "file");
		assert_int_equal(h_jint(e, "lines"), 1);
		if (strstr(f, "/more-sources.log")) {
			shared++;
			continue;
		}
		own++;
		snprintf(line, sizeof(line), "/logs/%s.log", h_jstr(e, "name"));
		assert_non_null(strstr(f, line));
		char *t = read_in(top, strstr(f, "/logs/") + 1, &len);
		snprintf(line, sizeof(line), " line of %s\n", h_jstr(e, "name"));
		assert_non_null(strstr(t, line));
		free(t);
	}
	assert_int_equal(own, 254);
	assert_int_equal(shared, MANY - 254);
	char *more = read_in(top, "more-sources.log", &len);
	assert_int_equal(h_count_str(more, "\n"), MANY - 254);
	json_array_foreach(json_object_get(man, "sources"), i, e) {
		if (!strstr(h_jstr(e, "file"), "/more-sources.log"))
			continue;
		snprintf(line, sizeof(line), " %s line of %s\n",
			 h_jstr(e, "name"), h_jstr(e, "name"));
		if (!strstr(more, line))
			fail_msg("more-sources.log lacks%s", line);
	}
	free(more);
	char *logs = list_logs(top);
	assert_int_equal(h_count_str(logs, "\n"), 254);
	free(logs);
	json_decref(man);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

/* "@SEC.NSEC" of an entry's RFC 3339 time (UTC, as memlogd writes it). */
static void at_of(const char *rfc, char *out, size_t cap)
{
	struct tm tm = { 0 };
	char frac[16] = "0";
	assert_int_equal(sscanf(rfc, "%d-%d-%dT%d:%d:%d.%15[0-9]Z", &tm.tm_year,
				&tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
				&tm.tm_sec, frac) >= 6, 1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	snprintf(out, cap, "@%lld.%s", (long long)timegm(&tm), frac);
}

/* logread's time selection applies to a bundle (the same request): an
 * entry's own time as both --since and --until gives that entry alone,
 * and the manifest counts only what was selected. */
static void test_bundle_time_selection(void **state)
{
	(void)state;
	struct mld m;
	struct mld_opts o = { 0 };
	char archive[256], since[48];
	size_t len;

	mld_init(&m);
	mld_start(&m, &o);
	int w = h_register_pipe(&m, "timed");
	h_writef(w, "first\n");
	h_wait_source_stat(&m, "timed", "stderr", "lines", 1);
	h_sleep_ms(5); /* distinct times, whatever the clock's resolution */
	h_writef(w, "second\n");
	h_wait_source_stat(&m, "timed", "stderr", "lines", 2);
	h_sleep_ms(5);
	h_writef(w, "third\n");
	h_wait_source_stat(&m, "timed", "stderr", "lines", 3);
	close(w);
	json_t *a = h_dump(&m, "dump source=timed\n");
	assert_int_equal(json_array_size(a), 3);
	at_of(h_jstr(json_array_get(a, 1), "time"), since, sizeof(since));
	json_decref(a);

	snprintf(archive, sizeof(archive), "%s/t.tgz", m.dir);
	const char *args[] = { "-bundle", archive, "-S", since, "-U", since,
			       "-source", "timed", NULL };
	char *err = NULL;
	int st = logread(&m, args, &err);
	if (st != 0)
		fail_msg("logread -bundle -S %s: status %d: %s", since, st, err);
	free(err);
	char *top = unpack(&m, archive, "t");
	char *log = read_in(top, "logs/timed.log", &len);
	assert_non_null(strstr(log, " second\n"));
	assert_null(strstr(log, "first"));
	assert_null(strstr(log, "third"));
	assert_int_equal(h_count_str(log, "\n"), 1);
	free(log);
	json_t *man = manifest_in(top), *e;
	size_t i, found = 0;
	json_array_foreach(json_object_get(man, "sources"), i, e) {
		if (strcmp(h_jstr(e, "name"), "timed"))
			continue;
		found++;
		assert_int_equal(h_jint(e, "lines"), 1);
	}
	assert_int_equal(found, 1);
	json_decref(man);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

/* What is refused, with a clear message, and touches nothing. */
/* N numbered lines ("lag I" and padding to 64 bytes) into fd. */
static void write_lines(int fd, int from, int n)
{
	static char buf[1 << 16];
	size_t len = 0;

	for (int i = from; i < from + n; i++) {
		if (len + 80 > sizeof(buf)) {
			h_write_all(fd, buf, len);
			len = 0;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"lag %09d %s\n", i,
					"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn");
	}
	h_write_all(fd, buf, len);
}

/* Whether pid sleeps in a system call that waits for input (read, poll,
 * ppoll, recvfrom, epoll_wait): logread waiting for memlogd's answer. */
static bool waits_for_input(pid_t pid)
{
	long nr = h_syscall_of(pid);

	return nr == 0 || nr == 7 || nr == 271 || nr == 45 || nr == 232;
}

/* A bundle whose reading falls behind the ring, made deterministic:
 * memlogd is stopped while logread connects and sends its request (the
 * kernel takes both), logread is stopped once it waits for the answer,
 * memlogd goes on and fills logread's socket, and the 64 MiB ring is
 * overwritten twice over; when logread reads again, memlogd tells it how
 * many entries of its dump were lost ("lagged"), and the manifest lists
 * that marker with its count, and the total. */
static void test_bundle_lagged(void **state)
{
	struct mld m = { 0 };
	char file[256], prog[512];
	(void)state;

	h_prog(prog, sizeof(prog), "logread");
	mld_start(&m, (const struct mld_opts[]){ {
		.args = (const char *const[]){ "--buffer-size", "64M", NULL },
	} });
	int w = h_register_pipe(&m, "lag");
	write_lines(w, 0, 700000);
	h_wait_source_stat(&m, "lag", "stderr", "lines", 700000);
	snprintf(file, sizeof(file), "%s/lag.tgz", m.dir);
	const char *argv[] = { prog, "-socket", m.query,
			       "--bundle", file, NULL };
	h_freeze(m.pid);
	pid_t lr = h_spawn(argv, "/dev/null", false);
	for (uint64_t end = h_now_ms() + H_TIMEOUT_MS; !waits_for_input(lr);) {
		if (h_now_ms() > end)
			fail_msg("logread --bundle never waited for memlogd");
		h_sleep_ms(2);
	}
	kill(lr, SIGSTOP);
	h_thaw(m.pid);
	write_lines(w, 700000, 1400000);
	h_wait_source_stat(&m, "lag", "stderr", "lines", 2100000);
	kill(lr, SIGCONT);
	assert_int_equal(h_wait_pid(lr, 4 * H_TIMEOUT_MS), 0);
	h_untrack_pid(lr);
	close(w);

	char *top = unpack(&m, file, "z");
	json_t *man = manifest_in(top);
	json_t *l, *lagged = NULL;
	size_t i;
	json_array_foreach(json_object_get(man, "loss_markers"), i, l)
		if (!strcmp(h_jstr(l, "reason"), "lagged"))
			lagged = l;
	if (!lagged)
		fail_msg("no lagged marker in the manifest");
	json_int_t missed = h_jint(lagged, "missed");
	/* Most of the dump (what the ring held of the 700,000): it had
	 * only begun. */
	if (missed < 300000 || missed > 710000)
		fail_msg("the lagged marker counts %lld", (long long)missed);
	if (h_jint(man, "losses.missed") < missed)
		fail_msg("losses.missed below the marker's count");
	print_message("# the bundle's dump lost %lld entries, as its "
		      "manifest says\n", (long long)missed);
	json_decref(man);
	free(top);
	mld_stop(&m);
	mld_cleanup(&m);
}

static void test_bundle_refusals(void **state)
{
	(void)state;
	struct mld m;
	char path[256];
	char *err = NULL;

	mld_init(&m);
	static const char *const one_reader[] = { "--max-readers", "1", NULL };
	struct mld_opts o = { .args = one_reader };
	mld_start(&m, &o);
	snprintf(path, sizeof(path), "%s/exists", m.dir);
	h_write_file(path, "keep me\n", 0644);

	const char *a1[] = { "-bundle", path, NULL };
	int st = logread(&m, a1, &err);
	h_expect_exit(st, 1, "a FILE that exists", err);
	assert_non_null(strstr(err, "never replaces"));
	free(err);
	size_t len;
	char *s = h_read_file(path, &len);
	assert_string_equal(s, "keep me\n");
	free(s);

	snprintf(path, sizeof(path), "%s/new.tgz", m.dir);
	static const struct { const char *a[6]; const char *says; } bad[] = {
		{ { "-redact", "x", NULL }, "-redact needs -bundle" },
		{ { "-bundle", NULL, "-redact", "(", NULL }, "-redact (" },
		{ { "-bundle", NULL, "-redact", "x*", NULL },
		  "matches the empty string" },
		{ { "-bundle", NULL, "-f", NULL }, "cannot be combined" },
		{ { "-bundle", NULL, "-o", "json", NULL },
		  "cannot be combined" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *a[6];
		memcpy(a, bad[i].a, sizeof(a));
		if (a[0] && !strcmp(a[0], "-bundle"))
			a[1] = path;
		st = logread(&m, a, &err);
		h_expect_exit(st, 2, bad[i].says, err);
		if (!strstr(err, bad[i].says))
			fail_msg("logread said \"%s\", want \"%s\"", err,
				 bad[i].says);
		free(err);
		assert_int_equal(access(path, F_OK), -1);
	}

	/* memlogd refuses the dump (its one reader is taken): its error,
	 * exit 4, and no FILE left behind. memlogd takes connections in
	 * the order they came, so the held one is the reader. */
	int held = h_connect(m.query);
	const char *a2[] = { "-bundle", path, NULL };
	st = logread(&m, a2, &err);
	h_expect_exit(st, 4, "a refused dump", err);
	assert_non_null(strstr(err, "the server answered with an error"));
	free(err);
	assert_int_equal(access(path, F_OK), -1);
	close(held);
	mld_stop(&m);
	mld_cleanup(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bundle_contents, h_teardown),
		cmocka_unit_test_teardown(test_bundle_pipe_and_marker,
					  h_teardown),
		cmocka_unit_test_teardown(test_bundle_restart, h_teardown),
		cmocka_unit_test_teardown(test_bundle_many_sources, h_teardown),
		cmocka_unit_test_teardown(test_bundle_time_selection,
					  h_teardown),
		cmocka_unit_test_teardown(test_bundle_lagged, h_teardown),
		cmocka_unit_test_teardown(test_bundle_refusals, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
