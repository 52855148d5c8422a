#include "kmsgstate.h"
#include "fileio.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void kmsg_boot_id(char out[37])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, 36) : -1;

	if (fd >= 0)
		close(fd);
	if (n != 36)
		memcpy(out, "00000000-0000-0000-0000-000000000000", 36);
	out[36] = '\0';
}

int kmsg_state_load(const char *path, const char *boot_id,
		    struct kmsg_state *st)
{
	char buf[128];
	struct kmsg_state s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ssize_t n = read(fd, buf, sizeof(buf));
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	if (kmsg_state_parse(buf, (size_t)n, &s) < 0)
		return -EINVAL;
	if (strcmp(s.boot_id, boot_id) != 0)
		return 0; /* another boot: the kernel's seq started again */
	*st = s;
	return 1;
}

int kmsg_state_save(const char *path, const struct kmsg_state *st)
{
	char buf[128];
	size_t n = kmsg_state_format(buf, sizeof(buf), st);

	/* /run is memory: no fsync; the rename alone makes the switch
	 * atomic. */
	return file_replace(AT_FDCWD, path, buf, n, 0644, 0, NULL);
}

uint64_t kmsg_wall_ns(uint64_t usec)
{
	uint64_t now = now_realtime_ns(), mono = now_mono_ns();
	uint64_t boot = now > mono ? now - mono : 0;

	return boot + usec * 1000;
}
