/* loop.c: a callback may unwatch, close and free another event source
 * whose event is pending in the batch being dispatched: that source must
 * not get it (it would reach freed memory), and the others still get
 * theirs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

#define NOWNERS 3

struct owner {
	struct ev ev;
	struct loop *loop;
	struct owner *all;       /* the NOWNERS owners */
	unsigned calls;
	bool freed;
};

/* Freeing is played: the owner's memory stays, so that an event it must
 * not get shows as a call, in every build, rather than as a crash. */
static void called_after_free(struct ev *ev, uint32_t events)
{
	fail_msg("an event source unwatched and freed by an earlier callback "
		 "got its pending event of the same batch");
}

static void owner_free(struct owner *o)
{
	loop_unwatch(o->loop, &o->ev);
	close(o->ev.fd);
	o->ev.cb = called_after_free;
	o->freed = true;
}

/* The first callback to run frees an owner whose event has not been
 * dispatched yet (whichever order epoll gives them). */
static void on_ready(struct ev *ev, uint32_t events)
{
	struct owner *o = container_of(ev, struct owner, ev);
	uint64_t v;

	o->calls++;
	assert_int_equal(read(ev->fd, &v, sizeof(v)), sizeof(v));
	for (int i = 0; i < NOWNERS; i++) {
		struct owner *x = &o->all[i];
		if (x->freed)
			return; /* done by an earlier callback */
	}
	for (int i = 0; i < NOWNERS; i++) {
		struct owner *x = &o->all[i];
		if (x != o && x->calls == 0) {
			owner_free(x);
			return;
		}
	}
}

static int wait_for_events(struct loop *l)
{
	return 5000;
}

static void stop_after_one_turn(struct loop *l)
{
	l->stopping = true;
}

static const struct loop_hooks one_turn = {
	.before_wait = wait_for_events,
	.after_events = stop_after_one_turn,
};

/* NOWNERS event sources on eventfds, watched, all readable before the
 * wait: one batch holds their events. */
static void owners_ready(struct loop *l, struct owner *o, ev_fn cb)
{
	uint64_t one = 1;

	memset(o, 0, NOWNERS * sizeof(*o));
	for (int i = 0; i < NOWNERS; i++) {
		o[i].loop = l;
		o[i].all = o;
		o[i].ev.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		o[i].ev.cb = cb;
		assert_true(o[i].ev.fd >= 0);
		assert_int_equal(loop_watch(l, &o[i].ev, EPOLLIN), 0);
	}
	for (int i = 0; i < NOWNERS; i++)
		assert_int_equal(write(o[i].ev.fd, &one, sizeof(one)), sizeof(one));
}

static void test_unwatch_drops_pending_event(void **state)
{
	struct loop l;
	struct owner o[NOWNERS];

	assert_int_equal(loop_init(&l, &one_turn, 0), 0);
	owners_ready(&l, o, on_ready);
	assert_int_equal(loop_run(&l), 0);

	int freed = 0, called = 0;
	for (int i = 0; i < NOWNERS; i++) {
		if (o[i].freed) {
			freed++;
			assert_int_equal(o[i].calls, 0);
		} else {
			/* The others' events are not dropped with it. */
			assert_int_equal(o[i].calls, 1);
			called++;
		}
	}
	assert_int_equal(freed, 1);
	assert_int_equal(called, NOWNERS - 1);
	for (int i = 0; i < NOWNERS; i++) {
		if (!o[i].freed) {
			loop_unwatch(&l, &o[i].ev);
			close(o[i].ev.fd);
		}
	}
	loop_destroy(&l);
}

/* A callback that unwatches its own source (as a reader that closes does)
 * leaves the rest of the batch alone. */
static void unwatch_self(struct ev *ev, uint32_t events)
{
	struct owner *o = container_of(ev, struct owner, ev);

	o->calls++;
	owner_free(o);
}

static void test_unwatch_self_keeps_batch(void **state)
{
	struct loop l;
	struct owner o[NOWNERS];

	assert_int_equal(loop_init(&l, &one_turn, 0), 0);
	owners_ready(&l, o, unwatch_self);
	assert_int_equal(loop_run(&l), 0);
	for (int i = 0; i < NOWNERS; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_true(o[i].freed);
	}
	loop_destroy(&l);
}

/* epoll cannot watch a regular file: said as -EPERM, which sources take to
 * mean "read it every turn". */
static void test_watch_regular_file(void **state)
{
	struct loop l;
	char path[] = "/tmp/memlog-unit-loop-XXXXXX";
	struct ev ev = { .fd = mkstemp(path), .cb = unwatch_self };

	assert_true(ev.fd >= 0);
	unlink(path);
	assert_int_equal(loop_init(&l, &one_turn, 0), 0);
	assert_int_equal(loop_watch(&l, &ev, EPOLLIN), -EPERM);
	loop_unwatch(&l, &ev); /* harmless for an fd not in the set */
	close(ev.fd);
	loop_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwatch_drops_pending_event),
		cmocka_unit_test(test_unwatch_self_keeps_batch),
		cmocka_unit_test(test_watch_regular_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
