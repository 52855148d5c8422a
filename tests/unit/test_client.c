/* src/client's query connection (client.c) against a server the test plays
 * itself on a unix socket in a temporary directory, and when a follower
 * says that memlogd is gone and back (reconn.c). send() is wrapped
 * (-Wl,--wrap=send) so that the server can refuse the client between its
 * connect() and its send(), which no real timing would do reliably. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "reconn.h"

static const char busy[] = "{\"error\":\"too many query clients\"}\n";

struct server {
	char dir[64];
	char path[96];
	int lfd;
};

/* What the wrapped send() does first: nothing, or refuse the connection
 * the way memlogd does when it has too many clients (its error line, then
 * close) before the client's request is sent. */
static struct server *refuse_before_send;

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
	if (refuse_before_send) {
		int cfd = accept4(refuse_before_send->lfd, NULL, NULL,
				  SOCK_CLOEXEC);

		assert_true(cfd >= 0);
		assert_int_equal(write(cfd, busy, strlen(busy)),
				 (ssize_t)strlen(busy));
		close(cfd);
		refuse_before_send = NULL;
	}
	return __real_send(fd, buf, len, flags);
}

static void server_start(struct server *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_client.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/q.sock", s->dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
}

static void server_stop(struct server *s)
{
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

/* One client_fill() once the socket is readable (at most 5 s). */
static ssize_t fill(struct client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	return client_fill(c);
}

/* The next line, which must be there. */
static void expect_line(struct client *c, const char *want)
{
	const char *line;
	size_t len;

	assert_int_equal(client_line(c, &line, &len), 1);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
}

/* The request arrives as the protocol says, with the cursor and params. */
static void test_request(void **state)
{
	static const char want[] =
		"dump-follow after=m1-0123456789abcdef-0000000000000005 source=a*\n";
	struct server s;
	struct client c;
	char buf[256];
	int cfd;
	(void)state;

	server_start(&s);
	client_init(&c, s.path);
	c.params = " source=a*";
	assert_int_equal(client_connect(&c, "m1-0123456789abcdef-0000000000000005"),
			 0);
	cfd = accept4(s.lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(cfd >= 0);
	assert_int_equal(read(cfd, buf, sizeof(buf)), (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	close(cfd);
	assert_int_equal(fill(&c), 0);
	assert_true(c.eof);
	client_free(&c);
	server_stop(&s);
}

/* Refused before the request could be sent: the send fails with EPIPE, but
 * the connection is kept and the server's error line is read, so the
 * caller can say why instead of "Broken pipe". */
static void test_refused_before_send(void **state)
{
	struct server s;
	struct client c;
	(void)state;

	server_start(&s);
	client_init(&c, s.path);
	refuse_before_send = &s;
	assert_int_equal(client_connect(&c, ""), 0);
	assert_null(refuse_before_send);
	assert_true(c.fd >= 0);
	assert_true(fill(&c) > 0);
	expect_line(&c, "{\"error\":\"too many query clients\"}");
	assert_int_equal(fill(&c), 0);
	assert_true(c.eof);
	client_free(&c);
	server_stop(&s);
}

/* A server that closes with the request unread makes the next read fail
 * with ECONNRESET once its line has been read: that is its end, not a
 * read error. */
static void test_reset_is_end(void **state)
{
	struct server s;
	struct client c;
	int cfd;
	(void)state;

	server_start(&s);
	client_init(&c, s.path);
	assert_int_equal(client_connect(&c, ""), 0);
	cfd = accept4(s.lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(cfd >= 0);
	assert_int_equal(write(cfd, busy, strlen(busy)), (ssize_t)strlen(busy));
	close(cfd); /* "dump-follow\n" unread: the client is reset */
	assert_true(fill(&c) > 0);
	expect_line(&c, "{\"error\":\"too many query clients\"}");
	assert_int_equal(fill(&c), 0);
	assert_true(c.eof);
	client_free(&c);
	server_stop(&s);
}

/* Nobody listens: an error, and no connection is left open. */
static void test_nobody_listens(void **state)
{
	struct server s;
	struct client c;
	(void)state;

	server_start(&s);
	close(s.lfd);
	s.lfd = -1;
	client_init(&c, s.path);
	assert_int_equal(client_connect(&c, ""), -ECONNREFUSED);
	assert_int_equal(c.fd, -1);
	unlink(s.path);
	assert_int_equal(client_connect(&c, ""), -ENOENT);
	assert_int_equal(c.fd, -1);
	client_free(&c);
	rmdir(s.dir);
}

/* The request is taken once the peer has read it, and not when the
 * connection is gone unread. */
static void test_request_taken(void **state)
{
	int sv[2];
	char buf[16];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(reconn_request_taken(sv[0]), 1); /* nothing sent */
	assert_int_equal(__real_send(sv[0], "follow\n", 7, 0), 7);
	assert_int_equal(reconn_request_taken(sv[0]), 0);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 7);
	assert_int_equal(reconn_request_taken(sv[0]), 1);
	assert_int_equal(write(sv[1], "x", 1), 1); /* an answer waits */
	assert_int_equal(reconn_request_taken(sv[0]), 1);
	close(sv[0]);
	close(sv[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(__real_send(sv[0], "follow\n", 7, 0), 7);
	close(sv[1]); /* gone without reading it */
	assert_int_equal(reconn_request_taken(sv[0]), 0);
	close(sv[0]);
}

/* One line when lost, however often it fails after; "back" once, only
 * after a loss, only when memlogd is there, and looked at only when the
 * time has come. */
static void test_reconn_says_once(void **state)
{
	struct reconn r;
	int sv[2];
	char buf[16];
	(void)state;

	reconn_init(&r);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The first connection: nothing to say. */
	reconn_connected(&r, 1000);
	assert_false(reconn_back(&r, sv[0], true, 1000));
	assert_true(reconn_deadline(&r) == UINT64_MAX);

	assert_true(reconn_lost(&r));
	assert_false(reconn_lost(&r));
	assert_false(reconn_back(&r, sv[0], true, 1000)); /* not connected */
	reconn_connected(&r, 1000);
	assert_true(reconn_deadline(&r) == 1000 + RECONN_CHECK_MIN_MS);
	assert_int_equal(__real_send(sv[0], "follow\n", 7, 0), 7);
	/* Not yet time to look; then the request still waits. */
	assert_false(reconn_back(&r, sv[0], false, 1050));
	assert_false(reconn_back(&r, sv[0], false, 1100));
	assert_true(reconn_deadline(&r) == 1100 + 2 * RECONN_CHECK_MIN_MS);
	/* Lost again before memlogd was back: not said again. */
	assert_false(reconn_lost(&r));
	reconn_connected(&r, 2000);
	assert_true(reconn_deadline(&r) == 2000 + RECONN_CHECK_MIN_MS);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 7);
	assert_true(reconn_back(&r, sv[0], false, 2100));
	assert_false(reconn_back(&r, sv[0], false, 2200));
	assert_true(reconn_deadline(&r) == UINT64_MAX);
	/* The next loss is said again; bytes arriving say "back" at once. */
	assert_true(reconn_lost(&r));
	reconn_connected(&r, 3000);
	assert_true(reconn_back(&r, sv[0], true, 3000));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_refused_before_send),
		cmocka_unit_test(test_reset_is_end),
		cmocka_unit_test(test_nobody_listens),
		cmocka_unit_test(test_request_taken),
		cmocka_unit_test(test_reconn_says_once),
	};

	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
