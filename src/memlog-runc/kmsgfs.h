/* /dev/kmsg in the container (docs/kernel.md, "dmesg inside a
 * container"): memlog-kmsgfs started on the container's view, mounted at
 * VIEW_DIR/ID.kmsgfs, whose kmsg file runc then bind-mounts at /dev/kmsg.
 * memlog-kmsgfs detaches once mounted and goes (unmounting) when memlogd
 * has removed the view for KMSGFS_GONE_EXIT seconds: the container was
 * forgotten. */
#ifndef RUNC_KMSGFS_H
#define RUNC_KMSGFS_H

#include <stddef.h>

/* Longer than a restart of memlogd takes (the view is made again). */
#define KMSGFS_GONE_EXIT "120"

/* Runs prog (memlog-kmsgfs) on view socket sock with mount point mnt
 * and waits for it to detach. Returns 0 once mounted, else -1 with the
 * reason in why. */
int kmsgfs_start(const char *prog, const char *sock, const char *mnt,
		 char *why, size_t cap);

#endif
