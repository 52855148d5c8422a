/* source.c when epoll refuses: a tee'd source whose destination is full
 * keeps its bytes for the destination and waits for its EPOLLOUT; when
 * that cannot be watched, nothing would ever wake it again, so the copy is
 * given up (the tee is broken) and the source is read on. Real sources on
 * pipes, epoll_ctl failures forced through memlogd_fx.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "memlogd_fx.h"

#define MAX_TURNS 20

static int queued(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/* A source (src[0], written through src[1]) tee'd to the pipe dst, which
 * is full: one page of capacity, one page queued. */
static void tee_to_full_pipe(struct fx *f, int src[2], int dst[2])
{
	char page[4096];

	fx_init(f, 65536);
	assert_int_equal(pipe2(src, O_CLOEXEC), 0);
	assert_int_equal(pipe2(dst, O_CLOEXEC), 0);
	assert_int_equal(fcntl(dst[1], F_SETPIPE_SZ, 4096), 4096);
	memset(page, 'p', sizeof(page));
	assert_int_equal(write(dst[1], page, sizeof(page)), sizeof(page));
	/* sources_add takes both fds it is given. */
	assert_int_equal(sources_add(&f->sources, src[0], dup(dst[1]), "teed",
				     4, STREAM_STDOUT, -1, 0), 0);
	assert_int_equal(f->sources.ntees, 1);
}

static bool turn_until_stored(struct fx *f, const char *msg)
{
	for (int t = 0; t < MAX_TURNS && !fx_stored(f, msg); t++)
		fx_turn(f, 100);
	return fx_stored(f, msg);
}

/* Without failures: the full destination gets the bytes once it has room,
 * in order (they wait in memlogd, at most a bounded lag, then in the
 * source pipe: the writer is held back as the destination would hold
 * it); the line is stored meanwhile. What the test below sees is the
 * failure's doing. */
static void test_full_tee_holds_source(void **state)
{
	struct fx f;
	int src[2], dst[2];
	static char buf[1 << 18];

	tee_to_full_pipe(&f, src, dst);
	assert_int_equal(write(src[1], "first\n", 6), 6);
	assert_true(turn_until_stored(&f, "first"));
	assert_int_equal(queued(dst[0]), 4096);
	/* Far more than the lag memlogd keeps: the rest stays in the source
	 * pipe, the source waits. */
	fcntl(src[1], F_SETFL, O_NONBLOCK);
	memset(buf, 'x', sizeof(buf));
	ssize_t w = write(src[1], buf, sizeof(buf));
	assert_true(w > 0);
	for (int t = 0; t < 5; t++)
		fx_turn(&f, 50);
	assert_true(queued(src[0]) > 0);
	assert_true(srctab_at(&f.store.srcs, 1)->copy_waits >= 1);
	assert_int_equal(read(dst[0], buf, 4096), 4096);
	/* Room: the destination gets "first" and then the rest. */
	size_t got = 0;
	for (int t = 0; t < 200 && got < 6 + (size_t)w; t++) {
		fx_turn(&f, 20);
		ssize_t r = read(dst[0], buf + got, sizeof(buf) - got);
		if (r > 0)
			got += (size_t)r;
	}
	assert_int_equal(got, 6 + (size_t)w);
	assert_memory_equal(buf, "first\n", 6);
	assert_int_equal(f.sources.tees_broken, 0);
	close(src[1]);
	close(dst[0]);
	close(dst[1]);
	fx_destroy(&f);
}

static void test_unwatchable_tee_breaks(void **state)
{
	struct fx f;
	int src[2], dst[2];

	tee_to_full_pipe(&f, src, dst);
	fx_fail_next(FX_WATCH, EPOLLOUT, -ENOSPC);
	assert_int_equal(write(src[1], "first\n", 6), 6);
	/* The source is read on (its line stored) though the destination
	 * never gets room. */
	assert_true(turn_until_stored(&f, "first"));
	assert_int_equal(fx_failed(FX_WATCH), 1);
	assert_int_equal(f.sources.tees_broken, 1);
	assert_int_equal(f.sources.ntees, 0);
	assert_int_equal(f.sources.n, 1);
	/* And goes on being read; nothing more is copied. */
	assert_int_equal(write(src[1], "second\n", 7), 7);
	assert_true(turn_until_stored(&f, "second"));
	assert_int_equal(queued(dst[0]), 4096);
	close(src[1]);
	close(dst[0]);
	close(dst[1]);
	fx_destroy(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_tee_holds_source),
		cmocka_unit_test(test_unwatchable_tee_breaks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
