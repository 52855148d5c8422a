/* reader.c when epoll refuses: a reader whose watch cannot be changed is
 * closed (its client sees the end) rather than left waiting for an event
 * that will never come, and a new client that cannot be watched is
 * refused and counted. Real readers on socketpairs, epoll_ctl failures
 * forced through memlogd_fx.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "memlogd_fx.h"
#include "util.h"

#define NLINES 1500
#define LINE_LEN 1000
#define MAX_TURNS 100

/* A store of NLINES lines (1.5 MB: far more than a socket buffer) and a
 * connected client that asked for a dump. sv[0] is the reader's, sv[1]
 * the client's. */
static void dump_client(struct fx *f, int sv[2])
{
	char line[LINE_LEN];
	int small = 16384;

	fx_init(f, 65536);
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < NLINES; i++)
		fx_store(f, "src", line, sizeof(line));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	fx_nonblock(sv[0]);
	fx_nonblock(sv[1]);
	readers_accept(&f->readers, sv[0]);
	assert_int_equal(f->readers.n, 1);
	assert_int_equal(write(sv[1], "\0", 1), 1); /* LinuxKit's dump */
}

static struct reader *only_reader(struct fx *f)
{
	struct list *lists[] = { &f->readers.active, &f->readers.waiting,
				 &f->readers.idle };

	for (size_t i = 0; i < 3; i++)
		if (!list_empty(lists[i]))
			return container_of(lists[i]->next, struct reader, link);
	return NULL;
}

/* Without failures the fixture delivers the whole dump, then the end:
 * what the tests below see is the failure's doing. */
static void test_dump_completes(void **state)
{
	struct fx f;
	int sv[2];
	size_t got = 0;
	long last = -1;

	dump_client(&f, sv);
	for (int t = 0; t < 10 * MAX_TURNS && last < 0; t++) {
		fx_turn(&f, 100);
		got += fx_drain(sv[1]);
		if (f.readers.n == 0)
			last = fx_drain_to_eof(sv[1]);
	}
	assert_true(last >= 0);
	got += (size_t)last;
	/* LinuxKit's format: a JSON object per line, a little over the
	 * message each. */
	assert_true(got > (size_t)NLINES * LINE_LEN);
	assert_int_equal(fx_failed(FX_REWATCH), 0);
	close(sv[1]);
	fx_destroy(&f);
}

/* The socket fills, the reader is to wait for EPOLLOUT, and epoll refuses
 * the change: nothing would ever wake it, so it is closed. */
static void test_failed_block_closes(void **state)
{
	struct fx f;
	int sv[2];

	dump_client(&f, sv);
	fx_fail_next(FX_REWATCH, EPOLLOUT, -ENOSPC);
	for (int t = 0; t < MAX_TURNS && fx_failed(FX_REWATCH) == 0; t++)
		fx_turn(&f, 100);
	assert_int_equal(fx_failed(FX_REWATCH), 1);
	assert_int_equal(f.readers.n, 0);
	assert_null(only_reader(&f));
	/* The client reads what was sent, then the end: not a socket left
	 * open with nothing more ever coming. */
	assert_true(fx_drain_to_eof(sv[1]) > 0);
	close(sv[1]);
	fx_destroy(&f);
}

/* A blocked reader whose socket has room again is to go back to work, and
 * epoll refuses that change: closed, and not touched after (ASan would
 * see a use after free). */
static void test_failed_wakeup_closes(void **state)
{
	struct fx f;
	int sv[2];
	struct reader *r = NULL;

	dump_client(&f, sv);
	for (int t = 0; t < MAX_TURNS; t++) {
		fx_turn(&f, 100);
		r = only_reader(&f);
		if (!r || r->state == R_BLOCKED)
			break;
	}
	assert_non_null(r);
	assert_int_equal(r->state, R_BLOCKED);
	fx_fail_next(FX_REWATCH, 0, -ENOSPC);
	assert_true(fx_drain(sv[1]) > 0); /* room again: EPOLLOUT */
	fx_turn(&f, 1000);
	assert_int_equal(fx_failed(FX_REWATCH), 1);
	assert_int_equal(f.readers.n, 0);
	assert_true(fx_drain_to_eof(sv[1]) >= 0);
	close(sv[1]);
	fx_destroy(&f);
}

/* A new client epoll cannot watch is refused, and counted as refused. */
static void test_failed_accept_counted(void **state)
{
	struct fx f;
	int sv[2];

	fx_init(&f, 65536);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fx_nonblock(sv[0]);
	fx_nonblock(sv[1]);
	fx_fail_next(FX_WATCH, EPOLLIN, -ENOSPC);
	readers_accept(&f.readers, sv[0]);
	assert_int_equal(fx_failed(FX_WATCH), 1);
	assert_int_equal(f.readers.n, 0);
	assert_int_equal(f.readers.refused, 1);
	assert_null(only_reader(&f));
	assert_int_equal(fx_drain_to_eof(sv[1]), 0); /* closed */

	/* The next one is watched and served as usual. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fx_nonblock(sv[0]);
	fx_nonblock(sv[1]);
	readers_accept(&f.readers, sv[0]);
	assert_int_equal(f.readers.n, 1);
	assert_int_equal(f.readers.refused, 1);
	close(sv[1]);
	fx_destroy(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_completes),
		cmocka_unit_test(test_failed_block_closes),
		cmocka_unit_test(test_failed_wakeup_closes),
		cmocka_unit_test(test_failed_accept_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
