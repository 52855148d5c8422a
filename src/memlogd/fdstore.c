#include "fdstore.h"
#include "fdname.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* "FDSTORE=1\nFDNAME=" or "FDSTOREREMOVE=1\nFDNAME=" and the name. */
static int tell(const char *verb, const char *name, const int *fds, int nfds)
{
	char msg[FDNAME_MAX + 64];

	snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", verb, name);
	return listen_notify_fds(msg, fds, nfds);
}

static int send_ops(void *arg, const struct keepq_op *ops, uint32_t n,
		    bool put, int flags)
{
	struct fdstore *f = arg;
	char name[FDNAME_MAX + 1], msg[FDNAME_MAX + 64];

	(void)n; /* one name per message: batch 1 */
	if (f->ev.fd < 0)
		return -ENOTCONN;
	fdname_encode(name, ops[0].key, FDNAME_KEY, 0, NULL, 0);
	snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s",
		 put ? "FDSTORE" : "FDSTOREREMOVE", name);
	return send_with_fds(f->ev.fd, NULL, 0, msg, strlen(msg),
			     put ? &ops[0].fd : NULL, put, flags);
}

/* EPOLLOUT exactly while something waits. */
static void want_out(struct fdstore *f)
{
	bool want = keepq_waiting(&f->q);

	if (want == f->watched || f->ev.fd < 0)
		return;
	if (want && loop_watch(f->loop, &f->ev, EPOLLOUT) == 0)
		f->watched = true;
	else if (!want) {
		loop_unwatch(f->loop, &f->ev);
		f->watched = false;
	}
}

static void fdstore_event(struct ev *ev, uint32_t events)
{
	struct fdstore *f = container_of(ev, struct fdstore, ev);

	(void)events;
	IGNORE_RESULT(keepq_flush(&f->q, MSG_DONTWAIT));
	want_out(f);
}

int fdstore_open(struct fdstore *f, struct loop *loop, uint32_t max_waiting)
{
	*f = (struct fdstore){ .ev = { -1, fdstore_event }, .loop = loop };
	keepq_init(&f->q, send_ops, f, 1, max_waiting);
	int fd = listen_notify_connect();
	if (fd < 0)
		return fd;
	f->ev.fd = fd;
	return 0;
}

int fdstore_put(void *arg, uint64_t key, int fd)
{
	struct fdstore *f = arg;
	int r = keepq_put(&f->q, key, fd);

	want_out(f);
	return r;
}

void fdstore_drop(void *arg, uint64_t key)
{
	struct fdstore *f = arg;

	keepq_drop(&f->q, key);
	want_out(f);
}

void fdstore_close(struct fdstore *f)
{
	if (f->ev.fd >= 0 && keepq_waiting(&f->q)) {
		/* At a stop: what waits is sent, waiting up to 5 s for the
		 * manager (a connected socket, so blocking sends wait). */
		struct timeval tv = { 5, 0 };
		int fl = fcntl(f->ev.fd, F_GETFL);
		if (fl >= 0 && fcntl(f->ev.fd, F_SETFL, fl & ~O_NONBLOCK) == 0 &&
		    setsockopt(f->ev.fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			       sizeof(tv)) == 0)
			IGNORE_RESULT(keepq_flush(&f->q, 0));
	}
	keepq_destroy(&f->q);
	if (f->ev.fd < 0)
		return;
	if (f->watched)
		loop_unwatch(f->loop, &f->ev);
	f->watched = false;
	close(f->ev.fd);
	f->ev.fd = -1;
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
