/* The kernel log's clock against CLOCK_MONOTONIC. A /dev/kmsg record is
 * stamped with printk's clock (local_clock(), us since boot), which is not
 * CLOCK_MONOTONIC: on a virtual machine the two may differ by seconds from
 * boot on, and they drift apart slowly (NTP slews only the monotonic
 * clock). Process start times (/proc/PID/stat, CLOCK_BOOTTIME) and the
 * proc connector's fork times (CLOCK_MONOTONIC) must be compared with a
 * record's time to tell a reused pid from the one the record names, so
 * the offset is estimated: a record read at monotonic time T was stamped
 * before T, so T - stamp is never less than the offset, and for a record
 * read as soon as it arrived (memlogd was waiting for it) it is the
 * offset plus the read's latency. The estimate is the least such value
 * seen over the last two windows of KCLOCK_WINDOW_US (so drift either way
 * is followed), always at least the true offset: a record's monotonic
 * time is then never placed before the true one, only up to the read
 * latency after it. Pure: no I/O. */
#ifndef MEMLOG_KCLOCK_H
#define MEMLOG_KCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define KCLOCK_WINDOW_US (600ull * 1000000ull)

struct kclock {
	bool known;
	int64_t cur, prev;       /* least offset (us) in this window, the last */
	bool prev_known;
	uint64_t window_start;   /* monotonic us this window began */
};

/* A record stamped rec_us (printk's clock) was read at monotonic mono_us
 * by a reader that was waiting for records (not catching up). */
void kclock_sample(struct kclock *c, uint64_t mono_us, uint64_t rec_us);

/* The latest monotonic time (us) a record stamped rec_us can have been
 * made at. Returns false when no sample was taken yet. */
bool kclock_mono(const struct kclock *c, uint64_t rec_us, uint64_t *mono_us);

#endif
