/* memlog-kmsgfs: /dev/kmsg for a container, from its memlogd view
 * (docs/kernel.md, "dmesg inside a container"). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "feed.h"
#include "fs.h"
#include "kmsgenc.h"
#include "options.h"
#include "util.h"

const char *diag_prog = "memlog-kmsgfs";

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

int main(int argc, char **argv)
{
	struct kmsgfs_opts o;
	char err[256];

	switch (kmsgfs_parse_args(argc, argv, &o, err, sizeof(err), stdout)) {
	case OPT_RUN:
		break;
	case OPT_USAGE:
		diag_usage("%s", err);
		return EXIT_USAGE;
	default:
		return 0;
	}

	static struct kmsgfs fs;
	static struct feed feed;
	kmsgfs_init(&fs, o.buffer_size);
	feed_init(&feed, &fs, o.socket);
	feed.gone_exit = o.gone_exit;
	feed.mountpoint = o.mountpoint;
	/* Refused at once rather than mounted on a socket that is not
	 * there (a wrong path); later losses are waited out. */
	int r = feed_connect(&feed);
	if (r < 0)
		diag_die_err(EXIT_RUNTIME, -r, "cannot connect to %s", o.socket);

	/* allow_other: a container's root may be another uid (user
	 * namespaces); the file's mode decides (default_permissions). */
	char *fargv[] = { argv[0], "-o",
			  "allow_other,default_permissions,fsname=memlog-kmsgfs,"
			  "subtype=memlog-kmsgfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	fs.se = fuse_session_new(&args, kmsgfs_ops(), sizeof(*kmsgfs_ops()), &fs);
	fuse_opt_free_args(&args);
	if (!fs.se)
		diag_die(EXIT_RUNTIME, "cannot start the file system");
	if (fuse_set_signal_handlers(fs.se) < 0)
		diag_die(EXIT_RUNTIME, "cannot set signal handlers");
	/* A mount point that is not there is made, and removed again at
	 * the end (one that was there is left). */
	bool made = mkdir(o.mountpoint, 0755) == 0;
	if (fuse_session_mount(fs.se, o.mountpoint) < 0) {
		if (made)
			rmdir(o.mountpoint);
		diag_die(EXIT_RUNTIME, "cannot mount on %s", o.mountpoint);
	}
	if (fuse_daemonize(o.foreground) < 0)
		diag_die(EXIT_RUNTIME, "cannot detach");

	/* The first record, memlog-kmsgfs's own (facility syslog, seq 0):
	 * util-linux dmesg takes a first read that finds nothing (a
	 * container without kernel events) as "no /dev/kmsg" and falls back
	 * to the syslog(2) system call, which reads the host's whole kernel
	 * log where the container may make it. */
	static const char head[] = "memlog-kmsgfs: the kernel events memlogd "
				   "attributed to this container follow";
	char rec[KMSGENC_MAX];
	size_t n = kmsgenc_record(rec, 0, now_mono_ns() / 1000, 6, 5, head,
				  sizeof(head) - 1, NULL, 0);
	kmsgfs_push(&fs, 0, false, rec, n);

	pthread_t t;
	r = pthread_create(&t, NULL, feed_run, &feed);
	if (r) {
		fuse_session_unmount(fs.se);
		diag_die_err(EXIT_RUNTIME, r, "cannot start a thread");
	}
	/* One thread: no handler waits (a read that finds nothing is
	 * answered later, fs.h). */
	r = fuse_session_loop(fs.se);
	fuse_session_unmount(fs.se);
	fuse_remove_signal_handlers(fs.se);
	fuse_session_destroy(fs.se);
	if (made && rmdir(o.mountpoint) < 0)
		diag_warn_err(errno, "cannot remove %s", o.mountpoint);
	/* The feed thread is left to exit() with the process. */
	return r < 0 ? EXIT_RUNTIME : 0;
}
