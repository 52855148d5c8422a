#include "fdstore.h"
#include "source.h"
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

static int source_fdname(struct daemon *d, const struct source *s,
			 uint64_t id, char *out)
{
	const struct srcinfo *si = srctab_at(&d->srcs, s->slot);

	return fdname_encode(out, id, FDNAME_SOURCE, si->stream,
			     srctab_name(&d->srcs, si), si->name_len);
}

void fdstore_put(struct daemon *d, struct source *s)
{
	char name[FDNAME_MAX + 1], dname[FDNAME_MAX + 1];
	uint64_t id = d->store_next;
	int r = source_fdname(d, s, id, name);

	if (r < 0) {
		d->store_skipped++;
		daemon_notice(d, false, "source %s: name too long for the fd "
			      "store; it does not outlive memlogd",
			      srctab_name(&d->srcs, srctab_at(&d->srcs, s->slot)));
		return;
	}
	fdname_encode(dname, id, FDNAME_DEST, 0, NULL, 0);
	/* The destination first: a source stored without it would come
	 * back as a plain source, its writer's output lost to the engine. */
	if (s->has_tee && (r = tell("FDSTORE", dname, &s->tee.ev.fd, 1)) < 0)
		goto fail;
	if ((r = tell("FDSTORE", name, &s->ev.fd, 1)) < 0) {
		if (s->has_tee)
			tell("FDSTOREREMOVE", dname, NULL, 0);
		goto fail;
	}
	s->store_id = id;
	d->store_next++;
	return;
fail:
	d->store_skipped++;
	daemon_notice(d, false, "fd store: cannot tell the service manager: "
		      "%s", strerror(-r));
}

void fdstore_drop(struct daemon *d, struct source *s, bool dest_only)
{
	char name[FDNAME_MAX + 1];

	if (!s->store_id)
		return;
	if (s->has_tee || dest_only) {
		fdname_encode(name, s->store_id, FDNAME_DEST, 0, NULL, 0);
		tell("FDSTOREREMOVE", name, NULL, 0);
	}
	if (dest_only)
		return;
	if (source_fdname(d, s, s->store_id, name) >= 0)
		tell("FDSTOREREMOVE", name, NULL, 0);
	s->store_id = 0;
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

int fdstore_adopt(struct daemon *d, struct stored_fd *fds, int n)
{
	/* Each name decoded once (up to 4096 of them at start-up). */
	struct fdname *nm = calloc((size_t)n, sizeof(*nm));
	int taken = 0;

	if (!nm) {
		/* Nothing can be matched: left to the manager, which passes
		 * them again at the next start. */
		for (int i = 0; i < n; i++)
			close(fds[i].fd);
		daemon_notice(d, true, "fd store: out of memory; %d stored fds "
			      "not taken back", n);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (fdname_decode(fds[i].name, fds[i].name_len, &nm[i]) < 0) {
			discard(&fds[i]);
			continue;
		}
		if (nm[i].id >= d->store_next)
			d->store_next = nm[i].id + 1;
	}
	for (int i = 0; i < n; i++) {
		if (fds[i].fd < 0 || nm[i].kind != FDNAME_SOURCE)
			continue;
		int dest = -1;
		for (int j = 0; j < n; j++) {
			if (fds[j].fd >= 0 && nm[j].kind == FDNAME_DEST &&
			    nm[j].id == nm[i].id) {
				dest = fds[j].fd;
				fds[j].fd = -1; /* source_add takes it */
				break;
			}
		}
		int sfd = fds[i].fd;
		fds[i].fd = -1;
		/* source_add takes both fds, success or not; on failure the
		 * store entries go too (the pipe is then broken, as without
		 * a store). */
		int r = source_add(d, sfd, dest, nm[i].name, nm[i].name_len,
				   (enum stream)nm[i].stream, -1, 0, nm[i].id);
		if (r < 0) {
			char name[FDNAME_MAX + 1];
			memcpy(name, fds[i].name, fds[i].name_len);
			name[fds[i].name_len] = '\0';
			tell("FDSTOREREMOVE", name, NULL, 0);
			fdname_encode(name, nm[i].id, FDNAME_DEST, 0, NULL, 0);
			tell("FDSTOREREMOVE", name, NULL, 0);
			daemon_notice(d, true, "fd store: source %.*s not taken "
				      "back: %s", (int)nm[i].name_len, nm[i].name,
				      strerror(-r));
			continue;
		}
		taken++;
	}
	/* Destinations without their source. */
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			discard(&fds[i]);
	free(nm);
	if (taken)
		daemon_notice(d, false, "fd store: %d sources taken back", taken);
	return taken;
}
