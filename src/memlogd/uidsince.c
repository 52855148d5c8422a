#include "uidsince.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define UIDSINCE_MAGIC 0x636e737464696c6dull /* "mlidstnc" */

struct uidsince_hdr {
	uint64_t magic;
	uint64_t instance;
	uint32_t n, pad;
};

static size_t size_for(uint32_t n)
{
	return sizeof(struct uidsince_hdr) + (size_t)n * sizeof(uint64_t);
}

static int map(struct uidsince *u, int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	u->fd = fd;
	u->map = p;
	u->map_len = len;
	u->seq = (uint64_t *)((char *)p + sizeof(struct uidsince_hdr));
	return 0;
}

/* An earlier memlogd's, if it is one for this ring and geometry. */
static bool adopt(struct uidsince *u, int fd, uint32_t n, uint64_t instance)
{
	struct stat st;
	const struct uidsince_hdr *h;

	if (fstat(fd, &st) < 0 || (size_t)st.st_size != size_for(n) ||
	    map(u, fd, size_for(n)) < 0)
		return false;
	h = u->map;
	if (h->magic == UIDSINCE_MAGIC && h->instance == instance && h->n == n)
		return true;
	munmap(u->map, u->map_len);
	u->map = NULL;
	u->seq = NULL;
	u->fd = -1;
	return false;
}

int uidsince_open(struct uidsince *u, int fd, uint32_t n, uint64_t instance,
		  uint64_t first_seq, bool *adopted)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->n = n;
	*adopted = fd >= 0 && adopt(u, fd, n, instance);
	if (*adopted)
		return 0;
	if (fd >= 0)
		close(fd);
	fd = memfd_create("memlog-uid-since", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = ftruncate(fd, (off_t)size_for(n)) < 0 ? -errno
		: map(u, fd, size_for(n));
	if (r < 0) {
		close(fd);
		return r;
	}
	for (uint32_t i = 0; i < n; i++)
		u->seq[i] = first_seq;
	/* The header last: a memfd left half made is never taken over. */
	*(struct uidsince_hdr *)u->map = (struct uidsince_hdr){
		UIDSINCE_MAGIC, instance, n, 0 };
	return 0;
}

void uidsince_close(struct uidsince *u)
{
	if (u->map)
		munmap(u->map, u->map_len);
	if (u->fd >= 0)
		close(u->fd);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}
