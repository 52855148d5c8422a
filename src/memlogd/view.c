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

struct view *view_open(struct loop *loop, struct readers *rs,
		       struct store *store, const char *dir,
		       const struct ctr *c, uint32_t max_readers)
{
	struct view *v = calloc(1, sizeof(*v));
	int fd;

	if (!v)
		return NULL;
	/* Root's only: a user of the host must not reach a container's
	 * log through it. Inside the container only the socket's own mode
	 * counts (it is bind-mounted itself), so whoever is there may
	 * read the container's log. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		store_notice(store, false, "views: cannot make %s: %s", dir,
			     strerror(errno));
		free(v);
		return NULL;
	}
	if ((size_t)snprintf(v->path, sizeof(v->path), "%s/%s.sock", dir,
			     c->m.id) >= sizeof(v->path) ||
	    (fd = listen_unix(v->path, SOCK_STREAM, 0666)) < 0) {
		store_notice(store, false, "views: no view for container %s: "
			     "cannot listen on %s", c->m.id, v->path);
		free(v);
		return NULL;
	}
	v->loop = loop;
	v->rs = rs;
	v->max_readers = max_readers;
	snprintf(v->name, sizeof(v->name), "%s", c->m.name);
	snprintf(v->id, sizeof(v->id), "%s", c->m.id);
	v->ev = (struct ev){ .fd = fd, .cb = view_event };
	if (loop_watch(loop, &v->ev, EPOLLIN) < 0) {
		close(fd);
		unlink(v->path);
		free(v);
		return NULL;
	}
	return v;
}

void view_close(struct view *v)
{
	if (!v)
		return;
	loop_unwatch(v->loop, &v->ev);
	close(v->ev.fd);
	unlink(v->path);
	free(v);
}
