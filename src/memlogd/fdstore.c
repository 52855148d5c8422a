#include "fdstore.h"
#include "fdname.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "FDSTORE=1\nFDNAME=" or "FDSTOREREMOVE=1\nFDNAME=" and the name. */
static int tell(const char *verb, const char *name, const int *fds, int nfds)
{
	char msg[FDNAME_MAX + 64];

	snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", verb, name);
	return listen_notify_fds(msg, fds, nfds);
}

int fdstore_put(uint64_t key, int fd)
{
	char name[FDNAME_MAX + 1];

	fdname_encode(name, key, FDNAME_KEY, 0, NULL, 0);
	return tell("FDSTORE", name, &fd, 1);
}

void fdstore_drop(uint64_t key)
{
	char name[FDNAME_MAX + 1];

	fdname_encode(name, key, FDNAME_KEY, 0, NULL, 0);
	tell("FDSTOREREMOVE", name, NULL, 0);
}

static void remove_name(const struct stored_fd *f)
{
	char name[FDNAME_MAX + 1];

	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	tell("FDSTOREREMOVE", name, NULL, 0);
}

/* An fd that cannot be taken back: out of the store, closed. */
static void discard(struct stored_fd *f)
{
	remove_name(f);
	close(f->fd);
	f->fd = -1;
}

int fdstore_sort(struct stored_fd *fds, int n, const struct fdstore_sorter *s)
{
	/* Each name decoded once (up to 4096 of them at start-up). */
	struct fdname *nm = calloc((size_t)(n ? n : 1), sizeof(*nm));
	int keyed = 0;

	if (!nm) {
		/* Nothing can be matched: left to the manager, which passes
		 * them again at the next start. */
		for (int i = 0; i < n; i++)
			close(fds[i].fd);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (fdname_decode(fds[i].name, fds[i].name_len, &nm[i]) < 0) {
			discard(&fds[i]);
			continue;
		}
		if (nm[i].kind == FDNAME_KEY) {
			s->key(s->arg, nm[i].id, fds[i].fd);
			fds[i].fd = -1;
			keyed++;
		}
	}
	for (int i = 0; i < n; i++) {
		if (fds[i].fd < 0 || nm[i].kind != FDNAME_SOURCE)
			continue;
		struct fdstore_legacy e = {
			.stream = nm[i].stream, .name = nm[i].name,
			.name_len = nm[i].name_len, .fd = fds[i].fd,
			.dest_fd = -1,
		};
		remove_name(&fds[i]);
		fds[i].fd = -1;
		for (int j = 0; j < n; j++) {
			if (fds[j].fd >= 0 && nm[j].kind == FDNAME_DEST &&
			    nm[j].id == nm[i].id) {
				e.dest_fd = fds[j].fd;
				remove_name(&fds[j]);
				fds[j].fd = -1;
				break;
			}
		}
		IGNORE_RESULT(s->legacy(s->arg, &e));
	}
	/* Destinations without their source. */
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			discard(&fds[i]);
	free(nm);
	return keyed;
}
