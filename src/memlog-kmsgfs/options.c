#include "options.h"

#include <stdio.h>

#define KO(f) OPT_FIELD(struct kmsgfs_opts, f)

static const struct opt rows[] = {
	{ "socket", NULL, OPT_STR, KO(socket), .min = 1, .arg = "PATH",
	  .help = "memlogd's query socket: a container's view,\n"
		  "VIEW_DIR/ID.sock [/var/run/memlogdq.sock]" },
	{ "buffer-size", NULL, OPT_SIZE, KO(buffer_size), .min = 8192,
	  .max = 1ull << 30, .arg = "BYTES",
	  .help = "records held, oldest dropped first [1M]" },
	{ "gone-exit", NULL, OPT_NUM, KO(gone_exit), .max = 86400 * 365,
	  .arg = "SECONDS",
	  .help = "unmount and exit once the socket has been missing\n"
		  "(or refusing) that long, as a view after its container\n"
		  "ended; 0: never [0]" },
	{ "foreground", "f", OPT_FLAG, KO(foreground),
	  .help = "do not detach once mounted" },
	{ "help", .kind = OPT_HELP },
	{ "version", .kind = OPT_VERSION },
};

static const char usage_head[] =
"Usage: memlog-kmsgfs [OPTION]... MOUNTPOINT\n"
"Mounts a file system at MOUNTPOINT with one file, kmsg, that reads as\n"
"/dev/kmsg does: the kernel entries of memlogd's query socket (a\n"
"container's view: its attributed kernel events), one record per read.\n"
"Bind-mount MOUNTPOINT/kmsg at /dev/kmsg in the container.\n"
"\n";

static const char usage_tail[] =
"  --help, --version\n"
"\n"
"Unmount with fusermount3 -u MOUNTPOINT (or umount): memlog-kmsgfs exits.\n"
"Exit status: 0 once unmounted, 1 the socket or the mount failed,\n"
"2 usage error.\n";

static const struct opt_table table = OPT_TABLE(rows, .dash = "--",
						.command = true,
						.help_col = 27,
						.prog = "memlog-kmsgfs",
						.usage_head = usage_head,
						.usage_tail = usage_tail);

const struct opt_table *kmsgfs_options(void)
{
	return &table;
}

enum opt_result kmsgfs_parse_args(int argc, char **argv, struct kmsgfs_opts *o,
				  char *err, size_t errlen, void *out)
{
	int operand;
	enum opt_result r;

	o->socket = "/var/run/memlogdq.sock";
	o->buffer_size = 1u << 20;
	o->foreground = false;
	o->gone_exit = 0;
	o->mountpoint = NULL;
	r = opt_parse_main(&table, argc, argv, o, &operand, err, errlen, out);
	if (r != OPT_RUN)
		return r;
	if (operand >= argc) {
		snprintf(err, errlen, "no mount point given");
		return OPT_USAGE;
	}
	if (operand + 1 < argc) {
		snprintf(err, errlen, "unexpected argument: %s", argv[operand + 1]);
		return OPT_USAGE;
	}
	o->mountpoint = argv[operand];
	return opt_unix_path("--socket", o->socket, err, errlen) < 0 ? OPT_USAGE
								  : OPT_RUN;
}
