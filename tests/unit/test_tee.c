/* tee.c on real pipes and sockets: room, partial writes kept, flush, the
 * sender's open file left blocking, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tee.h"

static void drain(int fd, size_t *total)
{
	char buf[8192];
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		*total += (size_t)n;
	}
	fcntl(fd, F_SETFL, fl);
}

static void test_pipe_room_and_pending(void **state)
{
	int p[2];
	struct tee t;
	char buf[100000];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
	assert_int_equal(tee_open(&t, dup(p[1])), 0);
	assert_int_equal(t.kind, TEE_PIPE);
	assert_int_equal(t.pipe_cap, 65536);
	/* The sender's open file stays blocking. */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);

	assert_int_equal(tee_room(&t, 1u << 20), 65536);
	assert_int_equal(tee_room(&t, 100), 100);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(tee_write(&t, buf, 1000), 0);
	assert_int_equal(tee_room(&t, 1u << 20), 65536 - 1000);
	assert_false(tee_pending(&t));

	/* More than fits: the rest is kept, not lost, not blocking. */
	assert_int_equal(tee_write(&t, buf, sizeof(buf)), 1);
	assert_true(tee_pending(&t));
	/* Full: what room is left is less than a page (a partly used last
	 * page buffer), and writing it would be kept too. */
	assert_true(tee_room(&t, 1u << 20) < 4096);
	size_t kept = tee_pending_len(&t);
	assert_int_equal(t.copied + kept, 1000 + sizeof(buf));
	assert_int_equal(tee_flush(&t), 1); /* still full */

	size_t got = 0;
	while (tee_pending(&t)) {
		drain(p[0], &got);
		assert_true(tee_flush(&t) >= 0);
	}
	drain(p[0], &got);
	assert_int_equal(got, 1000 + sizeof(buf));
	assert_int_equal(t.copied, 1000 + sizeof(buf));
	tee_close(&t);
	close(p[0]);
	close(p[1]);
}

static void test_reader_gone(void **state)
{
	int p[2];
	struct tee t;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(tee_open(&t, p[1]), 0);
	close(p[0]);
	assert_int_equal(tee_write(&t, "x\n", 2), -EPIPE);
	tee_close(&t);
}

static void test_socket(void **state)
{
	int sp[2];
	struct tee t;
	static char buf[1 << 20];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(tee_open(&t, sp[1]), 0);
	assert_int_equal(t.kind, TEE_SOCKET);
	/* Room is blind for sockets: capped per read. */
	assert_int_equal(tee_room(&t, 1u << 20), 64u << 10);
	/* The socket stays blocking for others, yet this does not block. */
	assert_int_equal(fcntl(sp[1], F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(tee_write(&t, buf, sizeof(buf)), 1);
	assert_true(tee_pending_len(&t) > 0);
	tee_close(&t);
	close(sp[0]);
}

static void test_refusals(void **state)
{
	int p[2];
	struct tee t;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	/* A read end is not a destination (and is closed). */
	assert_int_equal(tee_open(&t, p[0]), -EBADF);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(tee_open(&t, dir), -EBADF);
	int path = open("/tmp", O_PATH | O_CLOEXEC);
	assert_int_equal(tee_open(&t, path), -EBADF);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_room_and_pending),
		cmocka_unit_test(test_reader_gone),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
