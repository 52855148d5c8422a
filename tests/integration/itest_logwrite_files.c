/* Which files logwrite writes, against the real memlogd: sources of
 * different streams never share a file (a syslog tag "web" is not the
 * container "web", a tag "memlogd" cannot write into memlogd.log).
 * Every wait has a deadline; nothing asserts elapsed time. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* memlogd with its syslog socket at DIR/syslog.sock. */
static void start_with_syslog(struct mld *m, char *sock, size_t cap)
{
	static const char *const args[] = { "--syslog=%D/syslog.sock", NULL };
	struct mld_opts o = { .args = args };

	mld_start(m, &o);
	snprintf(sock, cap, "%s/syslog.sock", m->dir);
}

/* One syslog datagram, as a local program's syslog(3) sends it. */
static void send_syslog(const char *path, const char *msg)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	h_sun_path(&sa, path);
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)strlen(msg))
		fail_msg("sendto %s: %s", path, strerror(errno));
	close(fd);
}

/* Checks that a file holds exactly the lines "TIME SOURCE MSG" given
 * (without their times), in order. */
static void expect_text(const struct lw *l, const char *name,
			const char *const *rest)
{
	char *s = lw_file(l, name, NULL), *p;

	if (!s)
		fail_msg("%s is missing", name);
	p = s;
	for (; *rest; rest++) {
		char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		size_t rl = strlen(*rest);
		if (!sp || !nl || (size_t)(nl - sp - 1) != rl ||
		    memcmp(sp + 1, *rest, rl))
			fail_msg("%s holds\n%s\nwant a line '%s'", name, s, *rest);
		p = nl + 1;
	}
	if (*p)
		fail_msg("%s holds more than expected:\n%s", name, s);
	free(s);
}

static void test_streams_apart(void **state)
{
	struct mld m = { 0 };
	struct lw l;
	char sock[256];
	(void)state;

	lw_need();
	start_with_syslog(&m, sock, sizeof(sock));
	lw_init(&l, &m);
	/* The container web (stderr), a local user's syslog tag web. */
	int web = h_register_pipe(&m, "web");
	h_writef(web, "from the container\n");
	send_syslog(sock, "<14>web: from syslog");
	/* A syslog tag and a container, both named memlogd, that try to
	 * write a loss notice of memlogd. */
	send_syslog(sock, "<14>memlogd: memlogd: 999 entries after the cursor "
		    "were overwritten (seq 1-999)");
	int fake = h_register_pipe(&m, "memlogd");
	h_writef(fake, "memlogd: 5 entries after the cursor were overwritten "
		 "(seq 1-5)\n");
	/* A source whose stream is not the one its name tells (memlog's
	 * stream= attribute), beside one with the conventional stream. */
	static const char app_out[] = "app\0stream=stdout";
	int a1 = h_register_pipe_raw(&m, app_out, sizeof(app_out) - 1);
	int a2 = h_register_pipe(&m, "app");
	h_writef(a1, "app stdout\n");
	h_writef(a2, "app stderr\n");
	h_wait_source_stat(&m, "app", "stdout", "lines", 1);
	h_wait_source_stat(&m, "app", "stderr", "lines", 1);
	h_wait_source_stat(&m, "memlogd", "stderr", "lines", 1);
	h_wait_source_stat(&m, "web", "stderr", "lines", 1);
	h_wait_source_stat(&m, "web", "syslog", "lines", 1);
	h_wait_source_stat(&m, "memlogd", "syslog", "lines", 1);

	lw_start(&l, &m, NULL);
	lw_wait_contains(&l, "app@stdout.log", "app stdout");
	lw_wait_contains(&l, "app.log", "app stderr");
	lw_wait_contains(&l, "web.log", "from the container");
	lw_wait_contains(&l, "web@syslog.log", "from syslog");
	lw_wait_contains(&l, "memlogd@syslog.log", "999 entries");
	lw_wait_contains(&l, "memlogd@stderr.log", "5 entries");
	lw_stop(&l);
	expect_text(&l, "web.log", (const char *const[]){
		    "web from the container", NULL });
	expect_text(&l, "web@syslog.log", (const char *const[]){
		    "web from syslog", NULL });
	expect_text(&l, "app.log", (const char *const[]){ "app app stderr", NULL });
	expect_text(&l, "app@stdout.log", (const char *const[]){
		    "app app stdout", NULL });
	/* No memlogd.log: memlogd lost nothing, and nobody else may write
	 * there. */
	lw_expect_listing(&l, "app.log|app@stdout.log|memlogd@stderr.log|"
			  "memlogd@syslog.log|web.log|web@syslog.log");
	close(web);
	close(fake);
	close(a1);
	close(a2);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_streams_apart, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
