#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memlogd_fx.h"
#include "util.h"

/* The armed failures: the wrappers' signature is the loop's, so what they
 * consult lives here. */
static struct fx_fault {
	bool armed;
	uint32_t events;
	int err;
	unsigned failed;
} faults[2];

int __real_loop_watch(struct loop *l, struct ev *ev, uint32_t events);
int __real_loop_rewatch(struct loop *l, struct ev *ev, uint32_t events);
int __wrap_loop_watch(struct loop *l, struct ev *ev, uint32_t events);
int __wrap_loop_rewatch(struct loop *l, struct ev *ev, uint32_t events);

static bool fault_hit(enum fx_fn fn, uint32_t events, int *err)
{
	struct fx_fault *f = &faults[fn];

	if (!f->armed || f->events != events)
		return false;
	f->armed = false;
	f->failed++;
	*err = f->err;
	return true;
}

int __wrap_loop_watch(struct loop *l, struct ev *ev, uint32_t events)
{
	int err;

	if (fault_hit(FX_WATCH, events, &err))
		return err;
	return __real_loop_watch(l, ev, events);
}

int __wrap_loop_rewatch(struct loop *l, struct ev *ev, uint32_t events)
{
	int err;

	if (fault_hit(FX_REWATCH, events, &err))
		return err;
	return __real_loop_rewatch(l, ev, events);
}

void fx_fail_next(enum fx_fn fn, uint32_t events, int err)
{
	faults[fn].armed = true;
	faults[fn].events = events;
	faults[fn].err = err;
}

unsigned fx_failed(enum fx_fn fn)
{
	return faults[fn].failed;
}

static size_t stats_stub(void *arg, char **out)
{
	static const char reply[] = "{\"stats\":\"stub\"}\n";

	*out = strdup(reply);
	return *out ? sizeof(reply) - 1 : 0;
}

static int before_wait(struct loop *l)
{
	struct fx *f = container_of(l, struct fx, loop);

	if (sources_busy(&f->sources) || readers_busy(&f->readers))
		return 0;
	return f->wait_ms;
}

static void after_events(struct loop *l)
{
	struct fx *f = container_of(l, struct fx, loop);

	sources_service_busy(&f->sources);
	readers_pump(&f->readers);
	l->stopping = true; /* one turn per fx_turn */
}

static const struct loop_hooks hooks = {
	.before_wait = before_wait,
	.after_events = after_events,
};

void fx_init(struct fx *f, uint32_t reader_buffer)
{
	const struct store_config sc = {
		.buffer_size = 4u << 20,
		.max_line_len = 8192,
		.max_slots = 64,
		.max_recs = 16,
		.region_size = 256u << 10,
	};
	const struct readers_config rc = {
		.max_readers = 8,
		.reader_buffer = reader_buffer,
		.request_timeout_ms = 10000,
	};

	memset(faults, 0, sizeof(faults));
	memset(f, 0, sizeof(*f));
	assert_int_equal(loop_init(&f->loop, &hooks, 0), 0);
	assert_int_equal(store_init(&f->store, &sc), 0);
	assert_int_equal(pipe2(f->bounce, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(sources_init(&f->sources, &f->loop, &f->store, NULL, 16,
				      f->bounce[0], f->bounce[1]), 0);
	assert_int_equal(readers_init(&f->readers, &f->loop, &f->store, &rc,
				      stats_stub, NULL), 0);
}

void fx_destroy(struct fx *f)
{
	sources_destroy(&f->sources);
	readers_destroy(&f->readers);
	loop_destroy(&f->loop);
	store_destroy(&f->store);
	close(f->bounce[0]);
	close(f->bounce[1]);
}

void fx_turn(struct fx *f, int wait_ms)
{
	f->wait_ms = wait_ms;
	f->loop.stopping = false;
	assert_int_equal(loop_run(&f->loop), 0);
}

void fx_store(struct fx *f, const char *name, const char *msg, size_t len)
{
	int slot = srctab_get(&f->store.srcs, name, strlen(name), STREAM_UNKNOWN,
			      store_oldest(&f->store));

	assert_true(slot >= 0);
	store_line(&f->store, (uint32_t)slot, now_realtime_ns(), 0, msg, len);
}

bool fx_stored(struct fx *f, const char *msg)
{
	struct ring_pos pos = ring_oldest(&f->store.ring);
	struct ring_entry e;
	size_t len = strlen(msg);

	while (ring_get(&f->store.ring, &pos, &e) == 1) {
		if (e.len == len && memcmp(e.msg, msg, len) == 0)
			return true;
		ring_next(&f->store.ring, &pos, &e);
	}
	return false;
}

void fx_nonblock(int fd)
{
	assert_int_equal(fd_set_nonblock(fd), 0);
}

/* Reads fd until it would block (returns false) or ends (true); *total
 * counts the bytes. A reset is an end: the peer closed with our bytes
 * unread. */
static bool drain(int fd, long *total)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
		*total += n;
	}
}

size_t fx_drain(int fd)
{
	long total = 0;

	drain(fd, &total);
	return (size_t)total;
}

long fx_drain_to_eof(int fd)
{
	long total = 0;

	return drain(fd, &total) ? total : -1;
}
