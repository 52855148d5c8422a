#include "fds.h"
#include "../memlog-init/holdkeys.h"
#include "fdhold.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static const struct {
	const char *name;
	uint64_t key;
} kinds[JFD_N] = {
	[JFD_STDOUT] = { "stdout", INIT_KEY_STDOUT },
	[JFD_STDERR] = { "stderr", INIT_KEY_STDERR },
	[JFD_WAL] = { "wal", INIT_KEY_WAL },
	[JFD_STATE] = { "state", INIT_KEY_STATE },
};

const char *jfds_name(enum jfd which)
{
	return kinds[which].name;
}

uint64_t jfds_key(enum jfd which)
{
	return kinds[which].key;
}

void jfds_init(struct jfds *f)
{
	for (int i = 0; i < JFD_N; i++)
		f->fd[i] = -1;
}

void jfds_close(struct jfds *f)
{
	for (int i = 0; i < JFD_N; i++)
		if (f->fd[i] >= 0) {
			close(f->fd[i]);
			f->fd[i] = -1;
		}
}

void jfds_merge(struct jfds *dst, struct jfds *src)
{
	for (int i = 0; i < JFD_N; i++)
		if (dst->fd[i] < 0 && src->fd[i] >= 0) {
			dst->fd[i] = src->fd[i];
			src->fd[i] = -1;
		}
}

static void keep(struct jfds *f, enum jfd which, int fd)
{
	if (f->fd[which] >= 0)
		close(f->fd[which]);
	f->fd[which] = fd;
}

int jfds_from_store(struct jfds *f, bool *stale)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), taken = 0;

	*stale = false;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i, which = -1;
		for (int k = 0; k < JFD_N && names; k++)
			if (names[i] && strcmp(names[i], kinds[k].name) == 0)
				which = k;
		if (which < 0 || fd_set_cloexec(fd, true) < 0) {
			close(fd);
			*stale = true;
			continue;
		}
		/* A name twice: the later one counts (it was stored last). */
		*stale |= f->fd[which] >= 0;
		keep(f, (enum jfd)which, fd);
		taken++;
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return taken;
}

static int take_one(void *ctx, uint64_t key, int fd)
{
	struct jfds *f = ctx;

	if (fd < 0)
		return 0; /* a refusal of an earlier PUT: nothing to take */
	for (int k = 0; k < JFD_N; k++)
		if (kinds[k].key == key) {
			keep(f, (enum jfd)k, fd);
			return 0;
		}
	close(fd);
	return 0;
}

int jfds_from_holder(int sock, struct jfds *f)
{
	return fdhold_take(sock, take_one, f);
}

int jfds_store(const struct jfds *f)
{
	char msg[64];
	int r = 0;

	for (int k = 0; k < JFD_N; k++) {
		if (f->fd[k] < 0)
			continue;
		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", kinds[k].name);
		int s = sd_pid_notify_with_fds(0, 0, msg, &f->fd[k], 1);
		if (s < 0 && !r)
			r = s;
	}
	return r;
}

int jfds_store_forget(enum jfd which)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", kinds[which].name);
	return sd_pid_notify(0, 0, msg);
}

int jfds_hold(int sock, const struct jfds *f)
{
	uint64_t keys[JFD_N];
	int fds[JFD_N];
	size_t n = 0;

	for (int k = 0; k < JFD_N; k++)
		if (f->fd[k] >= 0) {
			keys[n] = kinds[k].key;
			fds[n++] = f->fd[k];
		}
	return n ? fdhold_put(sock, keys, fds, n, 0) : 0;
}
