#include "kernlog.h"
#include "diag.h"
#include "jsonenc.h"
#include "kmsg.h"
#include "kmsgstate.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define KMSG_RECORDS_PER_TURN 256

struct kernlog {
	struct ev ev;
	struct loop *loop;
	struct store *store;
	uint32_t slot;           /* source "kmsg" */
	bool pollable;           /* a device: epoll tells when to read */
	bool record_per_read;    /* /dev/kmsg: every read() is one record */
	bool eof;                /* a file or FIFO stand-in ended */
	struct kmsg_state st;    /* boot id and the next expected seq */
	bool have_next;          /* st.next_seq is known */
	bool dirty;              /* st changed since it was saved */
	bool save_failed;        /* said once; not said again */
	char *buf;               /* read buffer; keeps a partial record */
	size_t len;
	char state_path[PATH_MAX];
};

static void load_state(struct kernlog *k)
{
	int r = kmsg_state_load(k->state_path, k->st.boot_id, &k->st);

	if (r == 1)
		k->have_next = true;
	else if (r < 0)
		store_notice(k->store, false, "kmsg: ignoring state file %s: %s",
			      k->state_path, r == -EINVAL ? "unreadable"
							  : strerror(-r));
}

static void save_state(struct kernlog *k)
{
	k->dirty = false;
	if (!k->state_path[0])
		return;
	int r = kmsg_state_save(k->state_path, &k->st);
	if (r < 0 && !k->save_failed)
		store_notice(k->store, false, "kmsg: cannot save the read position "
			      "in %s: %s (a restart may repeat kernel messages)",
			      k->state_path, strerror(-r));
	k->save_failed = r < 0;
}

static void store_record(struct kernlog *k, const struct kmsg_record *rec)
{
	char attrs[RECORD_ATTRS_MAX];
	size_t alen = 0, pos = 0;
	const char *kv;
	size_t kvl;
	uint64_t t = kmsg_wall_ns(rec->usec);

	while (kmsg_dict_next(rec, &pos, &kv, &kvl)) {
		if (alen + kvl + 1 > sizeof(attrs))
			break; /* the kernel's dictionaries are far smaller */
		memcpy(attrs + alen, kv, kvl);
		alen += kvl;
		attrs[alen++] = '\0';
	}
	if (alen)
		alen--; /* no NUL after the last one */
	store_message(k->store, k->slot, t, rec->priority,
		      rec->facility > 23 ? RING_NO_PRIORITY : rec->facility,
		      rec->msg, rec->msg_len, attrs, alen);
}

static void take(struct kernlog *k, const char *buf, size_t len)
{
	struct kmsg_record rec;
	uint64_t missed;

	if (kmsg_parse(buf, len, &rec, &(size_t){ 0 }) < 0) {
		store_notice(k->store, false, "kmsg: malformed record skipped");
		return;
	}
	if (!k->have_next) {
		/* First start this boot: everything the kernel holds is new,
		 * and what it no longer holds (seq below the first) is lost. */
		k->st.next_seq = 0;
		k->have_next = true;
	}
	switch (kmsg_check_seq(k->st.next_seq, rec.seq, &missed)) {
	case KMSG_SKIP:
		return; /* delivered before a restart */
	case KMSG_GAP: {
		char msg[160];
		int n = snprintf(msg, sizeof(msg),
				 "missed %llu kernel messages (seq %llu-%llu "
				 "overwritten before memlogd read them)",
				 (unsigned long long)missed,
				 (unsigned long long)k->st.next_seq,
				 (unsigned long long)(rec.seq - 1));
		store_line(k->store, k->slot, kmsg_wall_ns(rec.usec),
			   RING_F_MARKER, msg, (size_t)n);
		break;
	}
	case KMSG_TAKE:
		break;
	}
	store_record(k, &rec);
	k->st.next_seq = rec.seq + 1;
	k->dirty = true;
}

/* Whole records in k->buf: all of it for /dev/kmsg; for a stand-in file or
 * FIFO, those that end in a newline. */
static void take_buffered(struct kernlog *k)
{
	size_t off = 0;

	while (off < k->len) {
		size_t used;
		struct kmsg_record rec;
		kmsg_parse(k->buf + off, k->len - off, &rec, &used);
		/* A stand-in written a record at a time (as the kernel
		 * does): a record is whole once its newline is here. */
		bool complete = k->record_per_read || k->eof ||
				off + used < k->len ||
				k->buf[off + used - 1] == '\n';
		if (!complete)
			break;
		take(k, k->buf + off, used);
		off += used;
	}
	memmove(k->buf, k->buf + off, k->len - off);
	k->len -= off;
}

void kernlog_service(struct kernlog *k)
{
	for (int i = 0; i < KMSG_RECORDS_PER_TURN && !k->eof; i++) {
		if (k->len >= 2 * KMSG_READ_MAX) {
			/* A stand-in file with a "record" larger than the
			 * kernel ever writes: take it as it is. */
			take(k, k->buf, k->len);
			k->len = 0;
		}
		ssize_t n = read(k->ev.fd, k->buf + k->len,
				 2 * KMSG_READ_MAX - k->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				continue; /* overwritten: the seq gap says how many */
			if (errno != EAGAIN)
				store_notice(k->store, false, "kmsg: read: %s",
					      strerror(errno));
			break;
		}
		if (n == 0) {
			/* A regular file stand-in ended (a FIFO never does: we
			 * hold it open for writing too). Out of epoll, so a
			 * hang-up cannot wake us forever. */
			k->eof = true;
			if (k->pollable)
				loop_unwatch(k->loop, &k->ev);
		}
		k->len += (size_t)n;
		take_buffered(k);
		if (k->record_per_read)
			k->len = 0;
	}
	if (k->dirty)
		save_state(k);
}

bool kernlog_busy(const struct kernlog *k)
{
	return !k->pollable && !k->eof;
}

static void kernlog_event(struct ev *ev, uint32_t events)
{
	kernlog_service(container_of(ev, struct kernlog, ev));
}

struct kernlog *kernlog_open(struct loop *loop, struct store *store,
			     const char *path, const char *state_dir)
{
	struct kernlog *k = calloc(1, sizeof(*k));
	struct stat st;
	int fd;

	if (!k)
		return NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		const char *why = err == EPERM || err == EACCES
			? " (reading the kernel log needs CAP_SYSLOG; in a "
			  "container or user namespace it is not available)"
			: "";
		diag_warn("kernel log %s: %s%s; going on without it", path,
			  strerror(err), why);
		store_notice(store, false, "kernel log %s: %s%s; going on "
			     "without it", path, strerror(err), why);
		if (fd >= 0)
			close(fd);
		free(k);
		return NULL;
	}
	if (S_ISFIFO(st.st_mode)) {
		/* A FIFO standing in for the kernel: open it for writing too,
		 * so that it never reads as ended, whether its writer comes
		 * later or goes away and comes back. */
		int rw = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (rw >= 0) {
			close(fd);
			fd = rw;
		}
	}
	k->loop = loop;
	k->store = store;
	k->ev.fd = fd;
	k->ev.cb = kernlog_event;
	k->record_per_read = S_ISCHR(st.st_mode);
	k->buf = malloc(2 * KMSG_READ_MAX);
	int slot = srctab_get(&store->srcs, "kmsg", 4, STREAM_KERNEL,
			      store_oldest(store));
	if (!k->buf || slot < 0) {
		close(fd);
		free(k->buf);
		free(k);
		return NULL;
	}
	k->slot = (uint32_t)slot;
	srctab_at(&store->srcs, k->slot)->fds++;
	kmsg_boot_id(k->st.boot_id);
	if (state_dir && *state_dir) {
		if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
			store_notice(store, false, "kmsg: cannot create %s: %s",
				      state_dir, strerror(errno));
		snprintf(k->state_path, sizeof(k->state_path), "%s/kmsg.state",
			 state_dir);
		load_state(k);
	}
	k->pollable = loop_watch(loop, &k->ev, EPOLLIN) == 0;
	/* What the kernel holds already (boot messages from before us). */
	kernlog_service(k);
	return k;
}

void kernlog_close(struct kernlog *k)
{
	if (!k)
		return;
	if (k->dirty)
		save_state(k);
	srctab_at(&k->store->srcs, k->slot)->fds--;
	if (k->pollable && !k->eof)
		loop_unwatch(k->loop, &k->ev);
	close(k->ev.fd);
	free(k->buf);
	free(k);
}
