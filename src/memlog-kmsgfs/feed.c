#include "feed.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

#include "backoff.h"
#include "diag.h"
#include "kmsgenc.h"
#include "util.h"

void feed_init(struct feed *f, struct kmsgfs *fs, const char *socket)
{
	memset(f, 0, sizeof(*f));
	f->fs = fs;
	client_init(&f->c, socket);
	f->c.binary = true;
	f->c.params = " stream=kernel";
}

int feed_connect(struct feed *f)
{
	return client_connect(&f->c, f->cursor);
}

static void take(struct feed *f, const struct binstream_item *it)
{
	const struct binrec *r = &it->rec;
	char rec[KMSGENC_MAX];

	switch (it->type) {
	case BINREC_ENTRY:
		if (r->flags & BINREC_NOTICE) {
			kmsgfs_push(f->fs, r->seq, true, NULL, 0);
		} else {
			/* memlogd made the wall-clock time of the kernel's
			 * stamp with this boot time (kmsg_wall_ns). */
			uint64_t boot = now_realtime_ns() - now_mono_ns();
			size_t n = kmsgenc_record(rec, r->seq,
						  kmsgenc_usec(r->time_ns, boot),
						  r->priority, r->facility,
						  r->msg, r->msg_len, r->attrs,
						  r->attrs_len);
			kmsgfs_push(f->fs, r->seq, false, rec, n);
		}
		binstream_cursor(&f->c.bs, r->seq, f->cursor);
		break;
	case BINREC_MARKER:
		/* Entries memlogd dropped before this reader took them. */
		kmsgfs_push(f->fs, r->last, true, NULL, 0);
		break;
	default:
		break;
	}
}

static void pause_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reads until the connection ends. Returns why, for the warning. */
static const char *drain(struct feed *f, int *err, bool *took)
{
	struct binstream_item it;
	int r;

	for (;;) {
		while ((r = client_record(&f->c, &it)) == 1) {
			if (it.type == BINREC_ERROR) {
				diag_warn("%s answered: %.*s", f->c.path,
					  (int)it.rec.msg_len, it.rec.msg);
				/* A cursor it does not know (a new memlogd):
				 * from its oldest entry, the ones held
				 * already are not taken twice (kring). */
				f->cursor[0] = '\0';
				f->warned = true;
				return NULL;
			}
			take(f, &it);
			f->warned = false;
			*took = true;
		}
		if (r < 0) {
			*err = -r;
			return f->c.bs.why ? f->c.bs.why : "bad records";
		}
		if (f->c.eof) {
			*err = 0;
			return "the connection was closed";
		}
		struct pollfd p = { f->c.fd, POLLIN, 0 };
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			*err = errno;
			return "poll";
		}
		ssize_t n = client_fill(&f->c);
		if (n < 0 && n != -EAGAIN) {
			*err = (int)-n;
			return "read";
		}
	}
}

void *feed_run(void *arg)
{
	struct feed *f = arg;
	struct backoff bo;

	backoff_init(&bo, 100, 5000);
	for (;;) {
		if (f->c.fd < 0) {
			int r = feed_connect(f);
			bool gone = r == -ENOENT || r == -ECONNREFUSED;
			if (!gone)
				f->gone_since = 0;
			else if (!f->gone_since)
				f->gone_since = now_mono_ms();
			if (gone && f->gone_exit &&
			    now_mono_ms() - f->gone_since >=
			    (uint64_t)f->gone_exit * 1000) {
				diag_warn("%s has been gone for %u s: unmounting "
					  "%s", f->c.path, f->gone_exit,
					  f->mountpoint);
				/* Lazily: the loop then reads ENODEV and
				 * ends; main() unmounts as usual. */
				if (umount2(f->mountpoint, MNT_DETACH) < 0)
					diag_warn_err(errno, "umount %s",
						      f->mountpoint);
				return NULL;
			}
			if (r < 0) {
				if (!f->warned)
					diag_warn_err(-r, "cannot connect to %s; "
						      "trying again", f->c.path);
				f->warned = true;
				pause_ms(backoff_next(&bo));
				continue;
			}
		}
		int err = 0;
		bool took = false;
		const char *why = drain(f, &err, &took);
		if (took)
			backoff_reset(&bo);
		if (why && !f->warned) {
			if (err)
				diag_warn_err(err, "%s: %s; connecting again",
					      f->c.path, why);
			else
				diag_warn("%s: %s; connecting again", f->c.path,
					  why);
			f->warned = true;
		}
		client_close(&f->c);
		pause_ms(backoff_next(&bo));
	}
	return NULL;
}
