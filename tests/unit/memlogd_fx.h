/* memlogd in pieces, for the unit tests of its loop-driven modules
 * (tests/unit/test_memlogd_*.c): a real loop, store, source set and reader
 * set, as daemon.c wires them, but driven one loop turn at a time by the
 * test, on socketpairs and pipes.
 *
 * These tests are linked with -Wl,--wrap=loop_watch,--wrap=loop_rewatch
 * (Makefile): every call of the modules goes through the wrappers here,
 * which pass it on to the real function unless a test armed a failure
 * (epoll_ctl refusing, e.g. -ENOSPC when the user's epoll watch limit is
 * reached, which no test can provoke for real without starving the whole
 * machine). */
#ifndef MEMLOG_TEST_MEMLOGD_FX_H
#define MEMLOG_TEST_MEMLOGD_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "reader.h"
#include "source.h"
#include "store.h"

struct fx {
	struct loop loop;
	struct store store;
	struct sources sources;
	struct readers readers;
	int bounce[2];           /* the sources' bounce pipe */
	int wait_ms;             /* how long one turn may wait for an event */
};

/* A loop, a 4 MiB store (8 KiB lines), a source set (16 fds at most) and
 * a reader set (reader_buffer bytes per reader). Fails the test on error.
 * Also disarms every failure. */
void fx_init(struct fx *f, uint32_t reader_buffer);
void fx_destroy(struct fx *f);

/* One loop turn as memlogd runs it (loop_run with daemon.c's order: the
 * callbacks, then sources epoll cannot watch, then readers), waiting at
 * most wait_ms for an event when no module has work left. */
void fx_turn(struct fx *f, int wait_ms);

/* Stores a line from source name (made if new). */
void fx_store(struct fx *f, const char *name, const char *msg, size_t len);

/* Does the ring hold an entry whose message is exactly msg? */
bool fx_stored(struct fx *f, const char *msg);

/* ---- failures on demand ---- */
enum fx_fn {
	FX_WATCH,    /* loop_watch */
	FX_REWATCH,  /* loop_rewatch */
};
/* The next call of fn with exactly this events mask fails with err
 * (negative errno), once; the real function is not called. */
void fx_fail_next(enum fx_fn fn, uint32_t events, int err);
/* How many calls of fn have been failed so far. */
unsigned fx_failed(enum fx_fn fn);

/* ---- sockets and pipes ---- */
void fx_nonblock(int fd);
/* Reads what fd has (non-blocking) until EOF; returns the byte count, or
 * -1 when the peer is still open (EAGAIN came before EOF). */
long fx_drain_to_eof(int fd);
/* Reads what fd has now (non-blocking); returns the byte count. */
size_t fx_drain(int fd);

#endif
