#include "view.h"
#include "listen.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCEPT_PER_TURN 16

struct view {
	struct ev ev;
	struct loop *loop;
	struct readers *rs;
	const struct keeper *keeper;
	uint32_t max_readers;
	char name[CTR_NAME_MAX + 1];
	char id[CTR_ID_MAX + 1];
	char path[PATH_MAX];
};

static void view_event(struct ev *ev, uint32_t events)
{
	struct view *v = container_of(ev, struct view, ev);

	for (int i = 0; i < ACCEPT_PER_TURN; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN; out of fds: tried again next time */
		}
		readers_accept_view(v->rs, fd, v->name, v->id, v->max_readers);
	}
}

uint64_t view_key(const char *id)
{
	/* FNV-1a: stable across memlogd's releases, which the keys in a
	 * holder must be. */
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 0x100000001b3ull;
	return VIEW_KEY_BIT | (h & (VIEW_KEY_BIT - 1));
}

int view_path(char *out, size_t cap, const char *dir, const char *id)
{
	return (size_t)snprintf(out, cap, "%s/%s.sock", dir, id) >= cap
	       ? -ENAMETOOLONG : 0;
}

struct view *view_open(struct loop *loop, struct readers *rs,
		       struct store *store, const struct keeper *keeper,
		       const char *dir, const struct ctr *c,
		       uint32_t max_readers, int fd)
{
	struct view *v = calloc(1, sizeof(*v));
	bool adopted = fd >= 0;

	if (!v) {
		if (adopted)
			close(fd);
		return NULL;
	}
	/* Root's only: a user of the host must not reach a container's
	 * log through it. Inside the container only the socket's own mode
	 * counts (it is bind-mounted itself), so whoever is there may
	 * read the container's log. */
	if (!adopted && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		store_notice(store, false, "views: cannot make %s: %s", dir,
			     strerror(errno));
		free(v);
		return NULL;
	}
	if (view_path(v->path, sizeof(v->path), dir, c->m.id) < 0 ||
	    (!adopted && (fd = listen_unix(v->path, SOCK_STREAM, 0666)) < 0)) {
		store_notice(store, false, "views: no view for container %s: "
			     "cannot listen on %s", c->m.id, v->path);
		free(v);
		return NULL;
	}
	v->loop = loop;
	v->rs = rs;
	v->keeper = keeper;
	v->max_readers = max_readers;
	snprintf(v->name, sizeof(v->name), "%s", c->m.name);
	snprintf(v->id, sizeof(v->id), "%s", c->m.id);
	v->ev = (struct ev){ .fd = fd, .cb = view_event };
	if (loop_watch(loop, &v->ev, EPOLLIN) < 0) {
		close(fd);
		if (adopted && keeper)
			keeper->drop(keeper->arg, view_key(v->id));
		else if (!adopted)
			unlink(v->path);
		free(v);
		return NULL;
	}
	if (!adopted && keeper &&
	    keeper->put(keeper->arg, view_key(v->id), fd) < 0)
		store_notice(store, true, "views: the socket of container %s "
			     "is not kept: after a restart of memlogd its view "
			     "answers no more", v->id);
	return v;
}

int view_fd(const struct view *v)
{
	return v->ev.fd;
}

void view_close(struct view *v)
{
	if (!v)
		return;
	if (v->keeper)
		v->keeper->drop(v->keeper->arg, view_key(v->id));
	unlink(v->path);
	view_leave(v);
}

void view_leave(struct view *v)
{
	if (!v)
		return;
	if (v->ev.fd >= 0) {
		loop_unwatch(v->loop, &v->ev);
		close(v->ev.fd);
	}
	free(v);
}
