/* Where a kernel log reader keeps its place across restarts: a small file
 * holding the boot id and the next expected seq (see struct kmsg_state).
 * Shared by memlogd --kmsg and memlog-kmsg. */
#ifndef MEMLOG_KMSGSTATE_H
#define MEMLOG_KMSGSTATE_H

#include "kmsg.h"

/* This boot's id, or all zeros when /proc does not say. */
void kmsg_boot_id(char out[37]);

/* Reads path into *st. Returns 1 if it holds this boot's position, 0 if
 * there is none (no file, or another boot's), -EINVAL if unreadable, or
 * another negative errno. */
int kmsg_state_load(const char *path, const char *boot_id,
		    struct kmsg_state *st);

/* Writes it through a temporary file and rename(), so a crash leaves the
 * old position or the new one. Returns 0 or negative errno. */
int kmsg_state_save(const char *path, const struct kmsg_state *st);

/* Kernel time stamps (us since boot, monotonic clock) as wall-clock ns. */
uint64_t kmsg_wall_ns(uint64_t usec);

#endif
