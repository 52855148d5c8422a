/* memlog-forward's UDP transport: the UTF-8-safe cut, and udp_send()
 * against a socket of the test's own on 127.0.0.1 (exact datagrams, the
 * truncation and drop counters). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp.h"

static void test_cut(void **state)
{
	/* "aé€😀": 1 + 2 + 3 + 4 bytes. */
	const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	size_t len = sizeof(s) - 1;

	(void)state;
	assert_int_equal(udp_cut(s, len, 100), len);
	assert_int_equal(udp_cut(s, len, len), len);
	assert_int_equal(udp_cut(s, len, 1), 1);
	assert_int_equal(udp_cut(s, len, 2), 1);  /* not half of é */
	assert_int_equal(udp_cut(s, len, 3), 3);
	assert_int_equal(udp_cut(s, len, 4), 3);  /* not 1/3 of € */
	assert_int_equal(udp_cut(s, len, 5), 3);  /* not 2/3 of € */
	assert_int_equal(udp_cut(s, len, 6), 6);
	assert_int_equal(udp_cut(s, len, 7), 6);
	assert_int_equal(udp_cut(s, len, 8), 6);
	assert_int_equal(udp_cut(s, len, 9), 6);  /* not 3/4 of 😀 */
	assert_int_equal(udp_cut("abcdef", 6, 4), 4);
	/* Not UTF-8 (stray continuation bytes): cut where asked. */
	assert_int_equal(udp_cut("\x80\x80\x80\x80\x80\x80", 6, 4), 4);
	assert_int_equal(udp_cut("", 0, 4), 0);
}

static int bound_udp(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

static void set_target(struct fwd_opts *o, char text[64], const struct sockaddr_in *a,
		       unsigned max)
{
	memset(o, 0, sizeof(*o));
	snprintf(text, 64, "udp://127.0.0.1:%d", ntohs(a->sin_port));
	o->target_text = text;
	o->target.scheme = URL_UDP;
	snprintf(o->target.host, sizeof(o->target.host), "127.0.0.1");
	snprintf(o->target.port, sizeof(o->target.port), "%d", ntohs(a->sin_port));
	o->udp_max = max;
}

static void test_send_exact_and_truncated(void **state)
{
	struct sockaddr_in a;
	struct fwd_opts o;
	struct udp u;
	char text[64], big[600], got[70000];
	int rfd = bound_udp(&a);
	ssize_t n;

	(void)state;
	set_target(&o, text, &a, 480);
	udp_init(&u, &o);
	assert_int_equal(udp_connect(&u), 0);
	assert_int_equal(udp_send(&u, "<14>1 - - - - - - hi", 20), 0);
	n = recv(rfd, got, sizeof(got), 0);
	assert_int_equal(n, 20);
	assert_memory_equal(got, "<14>1 - - - - - - hi", 20);
	/* 598 bytes ending in é...: cut to 480, not inside a character. */
	memset(big, 'x', sizeof(big));
	memcpy(big + 479, "\xc3\xa9", 2);
	assert_int_equal(udp_send(&u, big, 598), 0);
	n = recv(rfd, got, sizeof(got), 0);
	assert_int_equal(n, 479);
	assert_memory_equal(got, big, 479);
	assert_int_equal(u.truncated, 1);
	assert_int_equal(u.unsent, 0);
	udp_close(&u);
	close(rfd);
}

/* Nobody listens: the ICMP error comes back on a later send, which is
 * counted as dropped, never an error and never a wait. */
static void test_send_refused_is_dropped(void **state)
{
	struct sockaddr_in a;
	struct fwd_opts o;
	struct udp u;
	char text[64];
	int rfd = bound_udp(&a), r = 0;

	(void)state;
	close(rfd); /* the port is now closed */
	set_target(&o, text, &a, 2048);
	udp_init(&u, &o);
	assert_int_equal(udp_connect(&u), 0);
	for (int i = 0; i < 20 && u.unsent == 0; i++) {
		r = udp_send(&u, "x", 1);
		assert_true(r == 0 || r == 1);
		usleep(10000);
	}
	assert_true(u.unsent >= 1);
	udp_close(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_send_exact_and_truncated),
		cmocka_unit_test(test_send_refused_is_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
