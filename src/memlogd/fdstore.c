#include "fdstore.h"
#include "fdname.h"

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

void fdstore_init(struct fdstore *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->next_id = 1;
}

int64_t fdstore_put(struct fdstore *fs, int stream, const char *name,
		    size_t name_len, int fd, int dest_fd)
{
	char sname[FDNAME_MAX + 1], dname[FDNAME_MAX + 1];
	uint64_t id = fs->next_id;
	int r = fdname_encode(sname, id, FDNAME_SOURCE, stream, name, name_len);

	if (r < 0)
		goto fail;
	fdname_encode(dname, id, FDNAME_DEST, 0, NULL, 0);
	/* The destination first: a source stored without it would come
	 * back as a plain source, its writer's output lost to the engine. */
	if (dest_fd >= 0 && (r = tell("FDSTORE", dname, &dest_fd, 1)) < 0)
		goto fail;
	if ((r = tell("FDSTORE", sname, &fd, 1)) < 0) {
		if (dest_fd >= 0)
			tell("FDSTOREREMOVE", dname, NULL, 0);
		goto fail;
	}
	fs->next_id++;
	return (int64_t)id;
fail:
	fs->skipped++;
	return r;
}

void fdstore_drop(struct fdstore *fs, uint64_t id, int stream,
		  const char *name, size_t name_len, bool has_dest,
		  bool dest_only)
{
	char n[FDNAME_MAX + 1];

	if (has_dest || dest_only) {
		fdname_encode(n, id, FDNAME_DEST, 0, NULL, 0);
		tell("FDSTOREREMOVE", n, NULL, 0);
	}
	if (!dest_only &&
	    fdname_encode(n, id, FDNAME_SOURCE, stream, name, name_len) >= 0)
		tell("FDSTOREREMOVE", n, NULL, 0);
}

/* An fd that cannot be taken back: out of the store, closed. */
static void discard(struct stored_fd *f)
{
	char name[FDNAME_MAX + 1];

	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	tell("FDSTOREREMOVE", name, NULL, 0);
	close(f->fd);
	f->fd = -1;
}

int fdstore_adopt(struct fdstore *fs, struct stored_fd *fds, int n,
		  fdstore_take_fn take, void *arg)
{
	/* Each name decoded once (up to 4096 of them at start-up). */
	struct fdname *nm = calloc((size_t)n, sizeof(*nm));
	int taken = 0;

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
		if (nm[i].id >= fs->next_id)
			fs->next_id = nm[i].id + 1;
	}
	for (int i = 0; i < n; i++) {
		if (fds[i].fd < 0 || nm[i].kind != FDNAME_SOURCE)
			continue;
		struct fdstore_entry e = {
			.id = nm[i].id, .stream = nm[i].stream,
			.name = nm[i].name, .name_len = nm[i].name_len,
			.fd = fds[i].fd, .dest_fd = -1,
		};
		fds[i].fd = -1;
		for (int j = 0; j < n; j++) {
			if (fds[j].fd >= 0 && nm[j].kind == FDNAME_DEST &&
			    nm[j].id == nm[i].id) {
				e.dest_fd = fds[j].fd;
				fds[j].fd = -1;
				break;
			}
		}
		if (take(arg, &e) < 0) {
			/* Refused: the pipe is then broken, as it would be
			 * without a store. */
			fdstore_drop(fs, e.id, e.stream, e.name, e.name_len,
				     true, false);
			continue;
		}
		taken++;
	}
	/* Destinations without their source. */
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			discard(&fds[i]);
	free(nm);
	return taken;
}
