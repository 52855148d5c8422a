/* tee.c on real pipes and sockets: copies from a memfd region that never
 * block and say exactly how far they got, the sender's open file left
 * blocking, refusals. */
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
#include <sys/mman.h>
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

/* A memfd holding len bytes of pattern at offset off, as a source's
 * region in memlogd's state memfd holds them. */
static int region(char *buf, size_t len, loff_t off)
{
	int fd = memfd_create("region", MFD_CLOEXEC);

	assert_true(fd >= 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	return fd;
}

static void test_pipe_copy_and_full(void **state)
{
	int p[2];
	struct tee t;
	static char buf[100000], back[100000];
	loff_t base = 8192, at = base;

	int mfd = region(buf, sizeof(buf), base);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
	assert_int_equal(tee_open(&t, dup(p[1])), 0);
	assert_int_equal(t.kind, TEE_PIPE);
	/* The sender's open file stays blocking. */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);

	/* More than fits: copied up to the pipe's room, never blocking,
	 * and the offset says exactly how far. */
	size_t done = 0;
	ssize_t w;
	while ((w = tee_copy(&t, mfd, &at, buf + done, sizeof(buf) - done)) > 0)
		done += (size_t)w;
	assert_int_equal(w, 0);
	assert_true(done > 0 && done < sizeof(buf));
	assert_true(at == base + (loff_t)done);
	assert_int_equal(t.copied, done);
	/* Drained, the rest goes too, in order. */
	size_t got = 0;
	for (;;) {
		drain(p[0], &got);
		if (done == sizeof(buf))
			break;
		w = tee_copy(&t, mfd, &at, buf + done, sizeof(buf) - done);
		assert_true(w >= 0);
		done += (size_t)w;
	}
	drain(p[0], &got);
	assert_int_equal(got, sizeof(buf));
	assert_true(at == base + (loff_t)sizeof(buf));
	tee_close(&t);
	close(p[1]);

	/* The bytes are the region's (checked on a fresh pipe). */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(tee_open(&t, dup(p[1])), 0);
	at = base;
	assert_int_equal(tee_copy(&t, mfd, &at, buf, 4000), 4000);
	assert_int_equal(read(p[0], back, 4000), 4000);
	assert_memory_equal(back, buf, 4000);
	tee_close(&t);
	close(p[0]);
	close(p[1]);
	close(mfd);
}

static void test_reader_gone(void **state)
{
	int p[2];
	struct tee t;
	char buf[16];
	loff_t at = 0;

	signal(SIGPIPE, SIG_IGN);
	int mfd = region(buf, sizeof(buf), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(tee_open(&t, p[1]), 0);
	close(p[0]);
	assert_int_equal(tee_copy(&t, mfd, &at, buf, 2), -EPIPE);
	assert_true(at == 0);
	tee_close(&t);
	close(mfd);
}

static void test_socket(void **state)
{
	int sp[2];
	struct tee t;
	static char buf[1 << 20];
	loff_t at = 0;

	int mfd = region(buf, sizeof(buf), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(tee_open(&t, sp[1]), 0);
	assert_int_equal(t.kind, TEE_SOCKET);
	/* The socket stays blocking for others, yet this does not block. */
	assert_int_equal(fcntl(sp[1], F_GETFL) & O_NONBLOCK, 0);
	size_t done = 0;
	ssize_t w;
	while ((w = tee_copy(&t, mfd, &at, buf + done, sizeof(buf) - done)) > 0)
		done += (size_t)w;
	assert_int_equal(w, 0);
	assert_true(done < sizeof(buf) && at == (loff_t)done);
	tee_close(&t);
	close(sp[0]);
	close(mfd);
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
		cmocka_unit_test(test_pipe_copy_and_full),
		cmocka_unit_test(test_reader_gone),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
