/* memlog-forward against a real rsyslogd started here on 127.0.0.1 with a
 * private configuration, work directory and pid file (never the system's
 * rsyslog, never /dev/log): imtcp with octet counting, imrelp, and imtcp
 * with TLS (gtls) using a CA made by the test. rsyslogd writes what it
 * receives through omfile with a template that keeps APP-NAME and the
 * structured data; the tests read that file back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define RSYSLOGD "/usr/sbin/rsyslogd"

struct rs {
	pid_t pid;
	char dir[160];      /* its work dir (inside the memlogd temp dir) */
	char conf[200];
	char out[200];      /* the omfile output */
	int port;
	char inputs[1024];  /* the input() and module() lines */
};

static bool have_module(const char *name)
{
	char pat[128];
	glob_t g;
	bool ok;

	snprintf(pat, sizeof(pat), "/usr/lib/*/rsyslog/%s.so", name);
	ok = glob(pat, 0, NULL, &g) == 0;
	if (ok)
		globfree(&g);
	return ok;
}

static void need(const char *what, bool ok)
{
	if (!ok) {
		print_message("# %s is not installed; skipping\n", what);
		skip();
	}
	if (!h_prog_exists("memlog-forward")) {
		print_message("# %s/memlog-forward is not built; skipping\n", h_build());
		skip();
	}
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

static void rs_init(struct rs *r, const struct mld *m, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/%s", m->dir, name);
	mkdir(r->dir, 0755);
	snprintf(r->conf, sizeof(r->conf), "%s/rsyslog.conf", r->dir);
	snprintf(r->out, sizeof(r->out), "%s/out.log", r->dir);
	r->port = free_port();
}

/* Writes the configuration and starts rsyslogd; waits until it listens.
 * Its queues are "Direct" so that a message is in the file (the page
 * cache) before imrelp acknowledges it: a SIGKILL then loses nothing
 * acknowledged. */
static void rs_start(struct rs *r)
{
	char pidfile[220], errfile[220];
	FILE *f = fopen(r->conf, "w");
	uint64_t end;

	assert_non_null(f);
	fprintf(f, "global(workDirectory=\"%s\")\n"
		"main_queue(queue.type=\"Direct\")\n"
		"template(name=\"fwd\" type=\"string\" "
		"string=\"%%app-name%% %%structured-data%% %%msg%%\\n\")\n"
		"ruleset(name=\"r\" queue.type=\"Direct\") {\n"
		"  action(type=\"omfile\" file=\"%s\" template=\"fwd\" "
		"asyncWriting=\"off\" flushOnTXEnd=\"on\")\n}\n%s",
		r->dir, r->out, r->inputs);
	fclose(f);
	snprintf(pidfile, sizeof(pidfile), "%s/rsyslogd.pid", r->dir);
	snprintf(errfile, sizeof(errfile), "%s/rsyslogd.err", r->dir);
	unlink(pidfile);
	r->pid = h_spawn((const char *const[]){ RSYSLOGD, "-n", "-f", r->conf, "-i",
						pidfile, NULL }, errfile, false);
	end = h_now_ms() + 10000;
	while (!port_open(r->port)) {
		int st;

		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			char *e = h_read_file(errfile, NULL);

			print_message("# rsyslogd exited: %s\n", e ? e : "");
			free(e);
			r->pid = 0;
			fail();
		}
		assert_true(h_now_ms() < end);
		h_sleep_ms(20);
	}
}

static void rs_stop(struct rs *r, int sig)
{
	if (r->pid <= 0)
		return;
	kill(r->pid, sig);
	h_wait_pid(r->pid, 2 * H_TIMEOUT_MS);
	h_untrack_pid(r->pid);
	r->pid = 0;
}

struct fw {
	pid_t pid;
	char state[200];
	char err[200];
};

static void fw_start(struct fw *w, const struct mld *m, const char *target,
		     const char *const *extra)
{
	const char *argv[40] = { NULL };
	char prog[256];
	int n = 0;

	h_prog(prog, sizeof(prog), "memlog-forward");
	argv[n++] = prog;
	argv[n++] = "-socket";
	argv[n++] = m->query;
	argv[n++] = "--target";
	argv[n++] = target;
	argv[n++] = "--state-file";
	argv[n++] = w->state;
	argv[n++] = "--backoff-max";
	argv[n++] = "300";
	argv[n++] = "--stats";
	for (; extra && *extra && n < 38; extra++)
		argv[n++] = *extra;
	w->pid = h_spawn(argv, w->err, false);
}

static void fw_init(struct fw *w, const struct mld *m, const char *name)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->state, sizeof(w->state), "%s/%s.state", m->dir, name);
	snprintf(w->err, sizeof(w->err), "%s/%s.err", m->dir, name);
}

/* SIGTERM; asserts exit status 0. */
static void fw_stop(struct fw *w)
{
	int st;

	kill(w->pid, SIGTERM);
	st = h_wait_pid(w->pid, 2 * H_TIMEOUT_MS);
	h_untrack_pid(w->pid);
	w->pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *e = h_read_file(w->err, NULL);

		print_message("# memlog-forward's stderr: %s\n", e ? e : "");
		free(e);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void fw_kill9(struct fw *w)
{
	kill(w->pid, SIGKILL);
	h_wait_pid(w->pid, 2 * H_TIMEOUT_MS);
	h_untrack_pid(w->pid);
	w->pid = 0;
}

/* One line of rsyslog's output: APP [memlog@32473 ... seq="N" ...] MSG */
struct outline {
	char app[64];
	char cursor[64];
	long seq;
	long num;          /* the N of a test message "n=N" or -1 */
	bool marker;
};

static bool parse_outline(const char *l, size_t len, struct outline *o)
{
	const char *p, *end = l + len;
	char tmp[4096];

	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, l, len);
	tmp[len] = '\0';
	memset(o, 0, sizeof(*o));
	o->seq = o->num = -1;
	if (sscanf(tmp, "%63s", o->app) != 1)
		return false;
	p = strstr(tmp, "[memlog@32473 ");
	if (!p)
		return false;
	if ((p = strstr(tmp, "cursor=\"")))
		sscanf(p + 8, "%63[^\"]", o->cursor);
	if ((p = strstr(tmp, " seq=\"")))
		o->seq = strtol(p + 6, NULL, 10);
	o->marker = strstr(tmp, " marker=\"") != NULL;
	if ((p = strstr(tmp, "] n=")))
		o->num = strtol(p + 4, NULL, 10);
	(void)end;
	return true;
}

/* Reads the output file into parsed lines; returns how many. */
static size_t read_out(const struct rs *r, struct outline **lines)
{
	size_t len = 0, n = 0, cap = 0;
	char *text = h_read_file(r->out, &len), *p, *nl;

	*lines = NULL;
	if (!text)
		return 0;
	for (p = text; (nl = memchr(p, '\n', len - (size_t)(p - text))); p = nl + 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			*lines = realloc(*lines, cap * sizeof(**lines));
			assert_non_null(*lines);
		}
		assert_true(parse_outline(p, (size_t)(nl - p), &(*lines)[n]));
		n++;
	}
	free(text);
	return n;
}

/* Waits until the output has a line with message number want. */
static void wait_for_num(const struct rs *r, long want, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct outline *l;
		size_t n = read_out(r, &l);
		bool found = false;

		for (size_t i = n; i-- > 0 && !found;)
			found = l[i].num == want;
		free(l);
		if (found)
			return;
		if (h_now_ms() > end) {
			print_message("# line n=%ld did not arrive in %s\n", want, r->out);
			fail();
		}
		h_sleep_ms(50);
	}
}

static void write_lines(int fd, long from, long to)
{
	char buf[65536];
	size_t len = 0;

	for (long i = from; i <= to; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "n=%06ld\n", i);
		if (len > sizeof(buf) - 32) {
			h_write_all(fd, buf, len);
			len = 0;
		}
	}
	h_write_all(fd, buf, len);
}

/* A numbered burst arrives whole, in order, with its source and cursor. */
static void burst(const char *scheme, const char *module, const char *inputs_fmt)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64];
	size_t n;
	int fd;
	const long N = 2000;

	need(module, have_module(module));
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	snprintf(r.inputs, sizeof(r.inputs), inputs_fmt, r.port);
	rs_start(&r);
	fd = h_register_pipe(&m, "burst.out");
	write_lines(fd, 1, N);
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "%s://127.0.0.1:%d", scheme, r.port);
	fw_start(&w, &m, target, NULL);
	wait_for_num(&r, N, 20000);
	fw_stop(&w);
	n = read_out(&r, &l);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		char want[64];

		assert_string_equal(l[i].app, "burst.out");
		assert_int_equal(l[i].num, (long)i + 1);
		assert_int_equal(l[i].seq, (long)i + 1);
		assert_int_equal(strlen(l[i].cursor), 36);
		snprintf(want, sizeof(want), "%016lx", (unsigned long)(i + 1));
		assert_string_equal(l[i].cursor + 20, want);
	}
	/* The state holds the last cursor: a restart sends nothing again. */
	{
		char *st = h_read_file(w.state, NULL);

		assert_non_null(st);
		assert_non_null(strstr(st, l[n - 1].cursor));
		free(st);
	}
	free(l);
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

static void test_tcp_burst(void **state)
{
	burst("tcp", "imtcp", "module(load=\"imtcp\")\n"
	      "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n");
}

static void test_relp_burst(void **state)
{
	burst("relp", "imrelp", "module(load=\"imrelp\")\n"
	      "input(type=\"imrelp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n");
}

/* The cursor from the state file: a restarted forwarder resumes after it
 * and a receiver that was down gets what it missed. */
static void test_tcp_restart_resumes(void **state)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64];
	size_t n;
	int fd;

	need("imtcp", have_module("imtcp"));
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	snprintf(r.inputs, sizeof(r.inputs), "module(load=\"imtcp\")\n"
		 "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n",
		 r.port);
	rs_start(&r);
	fd = h_register_pipe(&m, "resume");
	write_lines(fd, 1, 100);
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", r.port);
	fw_start(&w, &m, target, NULL);
	wait_for_num(&r, 100, 10000);
	fw_stop(&w);
	write_lines(fd, 101, 200);
	fw_start(&w, &m, target, NULL);
	wait_for_num(&r, 200, 10000);
	fw_stop(&w);
	n = read_out(&r, &l);
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l[i].num, (long)i + 1);
	free(l);
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

/* rsyslogd is SIGKILLed and restarted several times during a 100,000-line
 * stream, memlog-forward too: over RELP nothing is missing, and every
 * duplicate is the same entry again (same cursor and seq). */
static void test_relp_faults(void **state)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64];
	size_t n, dups = 0;
	int fd;
	const long N = 100000, STEP = 10000;
	char *seen;
	char (*cursors)[40];

	need("imrelp", have_module("imrelp"));
	mld_start(&m, &(struct mld_opts){ .args = (const char *const[]){
		"--buffer-size", "64M", NULL } });
	rs_init(&r, &m, "rs");
	snprintf(r.inputs, sizeof(r.inputs), "module(load=\"imrelp\")\n"
		 "input(type=\"imrelp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n",
		 r.port);
	rs_start(&r);
	fd = h_register_pipe(&m, "fault.out");
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "relp://127.0.0.1:%d", r.port);
	fw_start(&w, &m, target, (const char *const[]){ "--relp-timeout", "5", NULL });
	for (long from = 1; from <= N; from += STEP) {
		long k = from / STEP;

		write_lines(fd, from, from + STEP - 1);
		h_sleep_ms(150);
		if (k % 3 == 0) {
			rs_stop(&r, SIGKILL);
			h_sleep_ms(100);
			rs_start(&r);
		} else if (k % 3 == 1) {
			fw_kill9(&w);
			fw_start(&w, &m, target, (const char *const[]){ "--relp-timeout", "5", NULL });
		}
	}
	wait_for_num(&r, N, 60000);
	fw_stop(&w);
	n = read_out(&r, &l);
	seen = calloc((size_t)N + 1, 1);
	cursors = calloc((size_t)N + 1, sizeof(*cursors));
	assert_non_null(seen);
	assert_non_null(cursors);
	for (size_t i = 0; i < n; i++) {
		long v = l[i].num;

		assert_true(v >= 1 && v <= N);
		assert_int_equal(l[i].seq, v); /* one source, nothing else logged */
		if (seen[v]) {
			/* A duplicate: the very same entry. */
			assert_string_equal(cursors[v], l[i].cursor);
			dups++;
		}
		seen[v] = 1;
		snprintf(cursors[v], sizeof(cursors[v]), "%s", l[i].cursor);
	}
	for (long v = 1; v <= N; v++)
		if (!seen[v]) {
			print_message("# n=%ld is missing\n", v);
			fail();
		}
	print_message("# %zu lines received for %ld entries: %zu duplicates\n", n, N, dups);
	free(seen);
	free(cursors);
	free(l);
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

/* Waits until the state file holds cursor. */
static void wait_state(const struct fw *w, const char *cursor, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *st = h_read_file(w->state, NULL);
		bool found = st && strstr(st, cursor);

		if (found) {
			free(st);
			return;
		}
		if (h_now_ms() > end) {
			print_message("# the state file never held %s: %s\n", cursor,
				      st ? st : "(none)");
			free(st);
			fail();
		}
		free(st);
		h_sleep_ms(50);
	}
}

/* Fewer messages than the RELP window, then nothing: once the stream is
 * idle the state must hold the last one, which the receiver acknowledged,
 * so a forwarder SIGKILLed then sends nothing again (the window alone
 * never confirms the last --relp-window messages). */
static void test_relp_idle_kill_no_duplicates(void **state)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64], last[64];
	size_t n;
	int fd;

	need("imrelp", have_module("imrelp"));
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	snprintf(r.inputs, sizeof(r.inputs), "module(load=\"imrelp\")\n"
		 "input(type=\"imrelp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n",
		 r.port);
	rs_start(&r);
	fd = h_register_pipe(&m, "idle.out");
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "relp://127.0.0.1:%d", r.port);
	fw_start(&w, &m, target, NULL);
	write_lines(fd, 1, 50);
	wait_for_num(&r, 50, 10000);
	n = read_out(&r, &l);
	assert_int_equal(n, 50);
	snprintf(last, sizeof(last), "%s", l[n - 1].cursor);
	free(l);
	wait_state(&w, last, 10000);
	fw_kill9(&w);
	fw_start(&w, &m, target, NULL);
	write_lines(fd, 51, 51);
	wait_for_num(&r, 51, 10000);
	fw_stop(&w);
	n = read_out(&r, &l);
	for (size_t i = 0; i < n; i++)
		if (l[i].num != (long)i + 1) {
			print_message("# line %zu is n=%ld: sent again\n", i + 1, l[i].num);
			fail();
		}
	assert_int_equal(n, 51);
	free(l);
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

/* ---- TLS ---- */

/* Makes a CA, a server certificate for 127.0.0.1 and localhost, and a
 * client certificate, in dir. */
static void make_certs(const char *dir)
{
	char script[3000];
	char *err = NULL;
	int st;

	snprintf(script, sizeof(script),
		 "set -e; cd '%s'\n"
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
		 "-days 2 -subj /CN=memlog-test-ca 2>/dev/null\n"
		 "for n in server client; do\n"
		 "openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr "
		 "-subj /CN=$n 2>/dev/null\n"
		 "done\n"
		 "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext\n"
		 "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
		 "for n in server client; do\n"
		 "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "-out $n.pem -days 2 -extfile $n.ext 2>/dev/null\n"
		 "done\n", dir);
	st = h_run((const char *const[]){ "/bin/sh", "-c", script, NULL }, NULL, 20000,
		   NULL, &err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		print_message("# making certificates failed: %s\n", err ? err : "");
	free(err);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A forwarder the receiver must refuse (its TLS handshake fails): a while
 * later nothing has arrived, its stderr says why (refusal), and no cursor
 * was saved, since nothing was delivered. Stops the forwarder. */
static void expect_refused(struct rs *r, struct fw *w, const char *refusal)
{
	struct outline *l;
	char *e;

	h_sleep_ms(1500);
	fw_stop(w);
	size_t n = read_out(r, &l);
	free(l);
	assert_int_equal(n, 0);
	e = h_read_file(w->err, NULL);
	assert_non_null(e);
	if (!strstr(e, refusal)) {
		print_message("# stderr: %s\n", e);
		fail();
	}
	free(e);
	e = h_read_file(w->state, NULL);
	assert_true(!e || !strstr(e, "cursor"));
	free(e);
}

static void tls_case(const char *authmode, const char *const *extra, bool must_arrive)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64], ca[220], cert[220], key[220];
	const char *args[16];
	size_t n, k = 0;
	int fd;

	need("rsyslog-gnutls (lmnsd_gtls)", have_module("lmnsd_gtls") &&
	     access("/usr/bin/openssl", X_OK) == 0);
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	make_certs(r.dir);
	snprintf(r.inputs, sizeof(r.inputs),
		 "global(defaultNetstreamDriverCAFile=\"%s/ca.pem\" "
		 "defaultNetstreamDriverCertFile=\"%s/server.pem\" "
		 "defaultNetstreamDriverKeyFile=\"%s/server.key\")\n"
		 "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" "
		 "streamDriver.authMode=\"%s\")\n"
		 "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n",
		 r.dir, r.dir, r.dir, authmode, r.port);
	rs_start(&r);
	fd = h_register_pipe(&m, "tls.out");
	write_lines(fd, 1, 50);
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "tls://127.0.0.1:%d", r.port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", r.dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", r.dir);
	snprintf(key, sizeof(key), "%s/client.key", r.dir);
	args[k++] = "--tls-ca";
	args[k++] = ca;
	for (; extra && *extra; extra++) {
		if (!strcmp(*extra, "CLIENTCERT")) {
			args[k++] = "--tls-cert";
			args[k++] = cert;
			args[k++] = "--tls-key";
			args[k++] = key;
		} else {
			args[k++] = *extra;
		}
	}
	args[k] = NULL;
	fw_start(&w, &m, target, args);
	if (must_arrive) {
		wait_for_num(&r, 50, 20000);
		fw_stop(&w);
		n = read_out(&r, &l);
		assert_int_equal(n, 50);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(l[i].num, (long)i + 1);
		free(l);
	} else {
		expect_refused(&r, &w, "certificate");
	}
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

static void test_tls_burst(void **state)
{
	tls_case("anon", NULL, true);
}

static void test_tls_wrong_host_refused(void **state)
{
	tls_case("anon", (const char *const[]){ "--tls-server-name", "wrong.example", NULL },
		 false);
}

static void test_tls_client_cert(void **state)
{
	tls_case("x509/certvalid", (const char *const[]){ "CLIENTCERT", NULL }, true);
}

/* The receiver requires a client certificate and none is offered: with
 * TLS 1.3 the client's handshake completes before the server rejects it,
 * so frames written then must not count as delivered. */
static void test_tls_client_cert_missing(void **state)
{
	tls_case("x509/certvalid", NULL, false);
}

/* ---- RELP over TLS ---- */

/* A second CA and a server certificate from it for the same names as
 * server.pem: a receiver memlog-forward must refuse although the name
 * matches. */
static void make_rogue_cert(const char *dir)
{
	char script[1500];
	int st;

	snprintf(script, sizeof(script),
		 "set -e; cd '%s'\n"
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue-ca.key "
		 "-out rogue-ca.pem -days 2 -subj /CN=rogue-ca 2>/dev/null\n"
		 "openssl req -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.csr "
		 "-subj /CN=localhost 2>/dev/null\n"
		 "openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key "
		 "-CAcreateserial -out rogue.pem -days 2 -extfile server.ext 2>/dev/null\n",
		 dir);
	st = h_run((const char *const[]){ "/bin/sh", "-c", script, NULL }, NULL, 20000,
		   NULL, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

enum relps_server { RELPS_GOOD, RELPS_ROGUE };

/* rsyslogd's imrelp with tls="on" presenting server.pem (CA ca.pem, names
 * localhost and 127.0.0.1) or rogue.pem; memlog-forward with --tls-ca
 * ca.pem, the client certificate and the extra arguments. */
static void relps_case(enum relps_server server, bool with_ca, const char *const *extra,
		       const char *refusal)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64], ca[220], cert[220], key[220];
	const char *args[16];
	size_t n, k = 0;
	int fd;
	const bool must_arrive = !refusal;
	const long N = must_arrive ? 2000 : 50;

	need("rsyslog-relp (imrelp)", have_module("imrelp") &&
	     access("/usr/bin/openssl", X_OK) == 0);
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	make_certs(r.dir);
	if (server == RELPS_ROGUE)
		make_rogue_cert(r.dir);
	snprintf(r.inputs, sizeof(r.inputs),
		 "module(load=\"imrelp\")\n"
		 "input(type=\"imrelp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\" "
		 "tls=\"on\" tls.caCert=\"%s/ca.pem\" tls.myCert=\"%s/%s.pem\" "
		 "tls.myPrivKey=\"%s/%s.key\" tls.authMode=\"name\" "
		 "tls.permittedPeer=\"client\")\n",
		 r.port, r.dir, r.dir, server == RELPS_ROGUE ? "rogue" : "server",
		 r.dir, server == RELPS_ROGUE ? "rogue" : "server");
	rs_start(&r);
	fd = h_register_pipe(&m, "relps.out");
	write_lines(fd, 1, N);
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "relps://127.0.0.1:%d", r.port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", r.dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", r.dir);
	snprintf(key, sizeof(key), "%s/client.key", r.dir);
	/* imrelp with a certificate of its own asks for the client's: the
	 * client certificate is always given, so that a refusal is ours. */
	if (with_ca) {
		args[k++] = "--tls-ca";
		args[k++] = ca;
	}
	args[k++] = "--tls-cert";
	args[k++] = cert;
	args[k++] = "--tls-key";
	args[k++] = key;
	for (; extra && *extra && k < 15; extra++)
		args[k++] = *extra;
	args[k] = NULL;
	{
		/* Under ASan: librelp leaks OpenSSL objects of a refused
		 * handshake (suppressed as librelp.so in tests/lsan.supp), but
		 * the fast unwinder stops inside libcrypto (no frame pointers)
		 * before reaching librelp; the slow one sees it. */
		const char *ao = getenv("ASAN_OPTIONS");
		char *saved = ao ? strdup(ao) : NULL, opt[512];

		if (saved) {
			snprintf(opt, sizeof(opt), "%s:fast_unwind_on_malloc=0", saved);
			setenv("ASAN_OPTIONS", opt, 1);
		}
		fw_start(&w, &m, target, args);
		if (saved)
			setenv("ASAN_OPTIONS", saved, 1);
		free(saved);
	}
	if (must_arrive) {
		char *st;

		wait_for_num(&r, N, 20000);
		fw_stop(&w);
		n = read_out(&r, &l);
		assert_int_equal(n, N);
		for (size_t i = 0; i < n; i++) {
			char want[64];

			assert_string_equal(l[i].app, "relps.out");
			assert_int_equal(l[i].num, (long)i + 1);
			assert_int_equal(l[i].seq, (long)i + 1);
			snprintf(want, sizeof(want), "%016lx", (unsigned long)(i + 1));
			assert_int_equal(strlen(l[i].cursor), 36);
			assert_string_equal(l[i].cursor + 20, want);
		}
		st = h_read_file(w.state, NULL);
		assert_non_null(st);
		assert_non_null(strstr(st, l[n - 1].cursor));
		free(st);
		free(l);
	} else {
		expect_refused(&r, &w, refusal);
	}
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

static void test_relps_burst(void **state)
{
	relps_case(RELPS_GOOD, true, (const char *const[]){ "--tls-server-name",
							     "localhost", NULL }, NULL);
}

static void test_relps_wrong_name_refused(void **state)
{
	relps_case(RELPS_GOOD, true, (const char *const[]){ "--tls-server-name",
							     "wrong.example", NULL },
		   "certificate is not for the server name");
}

/* The right name on a certificate from another CA. */
static void test_relps_unknown_ca_refused(void **state)
{
	relps_case(RELPS_ROGUE, true, (const char *const[]){ "--tls-server-name",
							      "localhost", NULL },
		   "does not verify against --tls-ca");
}

/* Without --tls-ca the system's CAs, which do not know the test's CA:
 * refused too (no unverified fallback). */
static void test_relps_no_ca_refused(void **state)
{
	relps_case(RELPS_GOOD, false, (const char *const[]){ "--tls-server-name",
							      "localhost", NULL },
		   "does not verify against --tls-ca");
}

/* ---- UDP ---- */

/* rsyslogd's imudp (and, on the same port number, imtcp, only so that
 * rs_start() can see it is up). 500 lines written while memlog-forward
 * runs, 50 at a time with a pause, few enough for loopback not to drop:
 * all arrive, in order, with their cursors, and the state holds the last. */
static void test_udp_burst(void **state)
{
	struct mld m = { 0 };
	struct rs r;
	struct fw w;
	struct outline *l;
	char target[64], *st;
	size_t n;
	int fd;
	const long N = 500;

	need("imudp", have_module("imudp") && have_module("imtcp"));
	mld_start(&m, NULL);
	rs_init(&r, &m, "rs");
	snprintf(r.inputs, sizeof(r.inputs), "module(load=\"imudp\")\n"
		 "module(load=\"imtcp\")\n"
		 "input(type=\"imudp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\" rcvbufSize=\"4m\")\n"
		 "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\" ruleset=\"r\")\n",
		 r.port, r.port);
	rs_start(&r);
	h_sleep_ms(200);
	fd = h_register_pipe(&m, "udp.out");
	fw_init(&w, &m, "fw");
	snprintf(target, sizeof(target), "udp://127.0.0.1:%d", r.port);
	fw_start(&w, &m, target, NULL);
	for (long from = 1; from <= N; from += 50) {
		write_lines(fd, from, from + 49);
		h_sleep_ms(30);
	}
	wait_for_num(&r, N, 20000);
	fw_stop(&w);
	n = read_out(&r, &l);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		char want[64];

		assert_string_equal(l[i].app, "udp.out");
		assert_int_equal(l[i].num, (long)i + 1);
		assert_int_equal(l[i].seq, (long)i + 1);
		snprintf(want, sizeof(want), "%016lx", (unsigned long)(i + 1));
		assert_string_equal(l[i].cursor + 20, want);
	}
	st = h_read_file(w.state, NULL);
	assert_non_null(st);
	assert_non_null(strstr(st, l[n - 1].cursor));
	free(st);
	st = h_read_file(w.err, NULL);
	assert_non_null(st);
	assert_non_null(strstr(st, "memlog-forward: sent 500 acknowledged 500 "));
	assert_non_null(strstr(st, "udp truncated 0 unsent 0"));
	free(st);
	free(l);
	close(fd);
	rs_stop(&r, SIGTERM);
	mld_stop(&m);
}

/* A RELP receiver that accepts the connection and never answers: librelp
 * blocks (here in the "open" exchange) for up to --relp-timeout. SIGUSR1
 * must still print the counters at once, SIGTERM must stop at once. */
static void test_relp_hung_receiver_signals(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct mld m = { 0 };
	struct fw w;
	char target[64], *e;
	uint64_t t0;
	int lfd, st;

	need("memlog-forward", true);
	mld_init(&m);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0); /* connects complete; nobody answers */
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(target, sizeof(target), "relp://127.0.0.1:%d", ntohs(a.sin_port));
	fw_init(&w, &m, "fw");
	fw_start(&w, &m, target, (const char *const[]){ "--relp-timeout", "60", NULL });
	h_sleep_ms(700);
	kill(w.pid, SIGUSR1);
	h_sleep_ms(500);
	e = h_read_file(w.err, NULL);
	assert_non_null(e);
	if (!strstr(e, "memlog-forward: sent 0 ")) {
		print_message("# stderr: %s\n", e);
		fail();
	}
	free(e);
	t0 = h_now_ms();
	kill(w.pid, SIGTERM);
	st = h_wait_pid(w.pid, 2 * H_TIMEOUT_MS);
	h_untrack_pid(w.pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(h_now_ms() - t0 < 1500);
	close(lfd);
	mld_cleanup(&m);
}

/* Usage errors and a bad state file have their own exit statuses. */
static void test_exit_codes(void **state)
{
	char prog[256], path[200];
	struct mld m = { 0 };
	FILE *f;
	int st;

	need("memlog-forward", true);
	mld_init(&m);
	h_prog(prog, sizeof(prog), "memlog-forward");
	st = h_run((const char *const[]){ prog, "--target", "ftp://x:1", "--state-file",
					  "/nonexistent/s", NULL }, NULL, 5000, NULL, NULL);
	assert_int_equal(WEXITSTATUS(st), 2);
	snprintf(path, sizeof(path), "%s/bad.state", m.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a state\n", f);
	fclose(f);
	st = h_run((const char *const[]){ prog, "--target", "tcp://127.0.0.1:9",
					  "--state-file", path, NULL }, NULL, 5000, NULL, NULL);
	assert_int_equal(WEXITSTATUS(st), 3);
	/* One bad hex digit in the cursor: refused at start with the same
	 * status, never sent to memlogd (which would refuse it forever). */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("memlog-forward-state 1\ncursor m1-90a8240469430d1g-000000000000000c\nend\n", f);
	fclose(f);
	{
		char *err = NULL;

		st = h_run((const char *const[]){ prog, "--target", "tcp://127.0.0.1:9",
						  "-socket", "/nonexistent/q.sock",
						  "--state-file", path, NULL }, NULL, 5000, NULL, &err);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 3);
		assert_non_null(err);
		if (!strstr(err, "is not a memlog-forward state file") || !strstr(err, "cursor")) {
			print_message("# stderr: %s\n", err);
			fail();
		}
		free(err);
	}
	st = h_run((const char *const[]){ prog, "--help", NULL }, NULL, 5000, NULL, NULL);
	assert_int_equal(WEXITSTATUS(st), 0);
	mld_cleanup(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_exit_codes, h_teardown),
		cmocka_unit_test_teardown(test_tcp_burst, h_teardown),
		cmocka_unit_test_teardown(test_tcp_restart_resumes, h_teardown),
		cmocka_unit_test_teardown(test_relp_burst, h_teardown),
		cmocka_unit_test_teardown(test_relp_faults, h_teardown),
		cmocka_unit_test_teardown(test_relp_idle_kill_no_duplicates, h_teardown),
		cmocka_unit_test_teardown(test_relp_hung_receiver_signals, h_teardown),
		cmocka_unit_test_teardown(test_tls_burst, h_teardown),
		cmocka_unit_test_teardown(test_tls_wrong_host_refused, h_teardown),
		cmocka_unit_test_teardown(test_tls_client_cert, h_teardown),
		cmocka_unit_test_teardown(test_tls_client_cert_missing, h_teardown),
		cmocka_unit_test_teardown(test_udp_burst, h_teardown),
		cmocka_unit_test_teardown(test_relps_burst, h_teardown),
		cmocka_unit_test_teardown(test_relps_wrong_name_refused, h_teardown),
		cmocka_unit_test_teardown(test_relps_unknown_ca_refused, h_teardown),
		cmocka_unit_test_teardown(test_relps_no_ca_refused, h_teardown),
	};

	/* MEMLOG_TEST_FILTER=test_relps* runs only the matching tests. */
	if (getenv("MEMLOG_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MEMLOG_TEST_FILTER"));
	return h_run_tests("itest_forward", tests, NULL, NULL);
}
