#include "kernlog.h"
#include "ctrcgroup.h"
#include "diag.h"
#include "kclock.h"
#include "kevent.h"
#include "nflink.h"
#include "procinfo.h"
#include "jsonenc.h"
#include "kmsg.h"
#include "kmsgstate.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KMSG_RECORDS_PER_TURN 256

/* An OOM kill's report is one group of records, from "invoked
 * oom-killer" to "Killed process" (about 80), held until the latter
 * says whose it was, then stored with that attribution. Bounded; a group
 * that does not end within OOM_WAIT_MS is stored as it is. */
#define OOM_RECORDS 512
#define OOM_BYTES (256u << 10)
#define OOM_WAIT_MS 1000
/* Recent OOM victims, for the oom_reaper's record after the victim has
 * gone. */
#define VICTIMS 16
#define ATTR_EXTRA 2048

struct victim {
	int64_t pid;
	char comm[KEV_COMM_MAX + 1];
	char id[CTR_ID_MAX + 1];   /* "" if not attributed */
};

struct oom_group {
	bool open;
	uint64_t first_seq;      /* kept as the saved position meanwhile */
	uint64_t opened_ms;
	char caller[16];         /* the reporting task (caller=), or "" */
	char *buf;               /* the raw records, back to back */
	size_t len;
	uint32_t end[OOM_RECORDS]; /* where each record ends in buf */
	uint32_t n;
	char summary[KMSG_READ_MAX]; /* the oom-kill: line, when seen */
	size_t summary_len;
};

struct kernlog {
	struct ev ev;
	struct loop *loop;
	struct store *store;
	uint32_t slot;           /* source "kmsg" */
	bool pollable;           /* a device: epoll tells when to read */
	bool record_per_read;    /* /dev/kmsg: every read() is one record */
	bool eof;                /* a file or FIFO stand-in ended */
	bool relay;              /* fed by memlog-kmsg --relay (a pipe) */
	struct kmsg_state st;    /* boot id and the next expected seq */
	bool have_next;          /* st.next_seq is known */
	bool dirty;              /* st changed since it was saved */
	bool save_failed;        /* said once; not said again */
	char *buf;               /* read buffer; keeps a partial record */
	size_t len;
	char state_path[PATH_MAX];
	struct ctrreg *ctrs;     /* attribution (NULL: none) */
	long hz;                 /* USER_HZ */
	struct oom_group oom;
	struct victim victims[VICTIMS];
	unsigned next_victim;
	struct kclock clk;       /* printk's clock against the monotonic */
	bool waiting;            /* the last read found nothing more */
	bool prompt;             /* this turn's records came as they were
				  * made (kclock.h) */
	uint64_t read_mono_us;   /* when the record being taken was read */
	int nf_all_netns;        /* net.netfilter.nf_log_all_netns, or -1 */
	uint64_t nf_checked_ms;
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
	struct kmsg_state st = k->st;

	k->dirty = false;
	if (!k->state_path[0])
		return;
	/* Records held in an OOM group are not stored yet: a restart must
	 * read them again. */
	if (k->oom.open)
		st.next_seq = k->oom.first_seq;
	int r = kmsg_state_save(k->state_path, &st);
	if (r < 0 && !k->save_failed)
		store_notice(k->store, false, "kmsg: cannot save the read position "
			      "in %s: %s (a restart may repeat kernel messages)",
			      k->state_path, strerror(-r));
	k->save_failed = r < 0;
}

static void store_record(struct kernlog *k, const struct kmsg_record *rec,
			 const char *extra, size_t extra_len)
{
	char attrs[RECORD_ATTRS_MAX];
	size_t alen = 0, pos = 0;
	const char *kv;
	size_t kvl;
	uint64_t t = kmsg_wall_ns(rec->usec);

	while (kmsg_dict_next(rec, &pos, &kv, &kvl)) {
		if (alen + kvl + 1 + extra_len + 1 > sizeof(attrs))
			break; /* the kernel's dictionaries are far smaller */
		memcpy(attrs + alen, kv, kvl);
		alen += kvl;
		attrs[alen++] = '\0';
	}
	if (extra_len && alen + extra_len + 1 <= sizeof(attrs)) {
		memcpy(attrs + alen, extra, extra_len);
		alen += extra_len;
		attrs[alen++] = '\0';
	}
	if (alen)
		alen--; /* no NUL after the last one */
	store_message(k->store, k->slot, t, rec->priority,
		      rec->facility > 23 ? RING_NO_PRIORITY : rec->facility,
		      rec->msg, rec->msg_len, attrs, alen);
}

/* "KEY=VALUE\0" appended to out[*len..cap). */
static void attr(char *out, size_t cap, size_t *len, const char *key,
		 const char *val, size_t vlen)
{
	size_t kl = strlen(key);

	if (*len + kl + 1 + vlen + 1 > cap)
		return;
	memcpy(out + *len, key, kl);
	out[*len + kl] = '=';
	memcpy(out + *len + kl + 1, val, vlen);
	*len += kl + 1 + vlen;
	out[(*len)++] = '\0';
}

/* The attributes of an attributed event: event, container,
 * container_id, cgroup, pid (each when known), plus untrusted=1. Returns
 * their length without the last NUL. */
static size_t event_attrs(char *out, size_t cap, const char *event,
			  const struct ctr *c, int64_t pid, bool untrusted)
{
	size_t n = 0;
	char p[24];

	attr(out, cap, &n, "event", event, strlen(event));
	if (c) {
		attr(out, cap, &n, "container", c->m.name, strlen(c->m.name));
		attr(out, cap, &n, "container_id", c->m.id, strlen(c->m.id));
		attr(out, cap, &n, "cgroup", c->m.cgroup, strlen(c->m.cgroup));
	}
	if (pid >= 0) {
		int l = snprintf(p, sizeof(p), "%lld", (long long)pid);
		attr(out, cap, &n, "pid", p, (size_t)l);
	}
	if (untrusted)
		attr(out, cap, &n, "untrusted", "1", 1);
	return n ? n - 1 : 0;
}

static uint64_t now_boot_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static ssize_t read_proc(int64_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%lld/%s", (long long)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The container of the process an event names by pid. A process that has
 * been reaped: as the process events followed it (procwatch.h). One still
 * there must have the comm the record prints and have started before the
 * record (else its pid was reused): then the process events say, else its
 * cgroup. */
static struct ctr *by_pid(struct kernlog *k, const struct kevent *ev,
			  uint64_t usec)
{
	char buf[4096];
	struct proc_stat ps;
	const char *cg;
	size_t cgl;

	uint64_t mono_us;

	/* Without the record's time on the monotonic clock a reused pid
	 * cannot be told from the one it names: none is attributed. */
	if (!k->ctrs || ev->pid <= 0 || !kclock_mono(&k->clk, usec, &mono_us))
		return NULL;
	ssize_t n = read_proc(ev->pid, "stat", buf, sizeof(buf));
	if (n == -ENOENT && ev->pid <= INT32_MAX)
		/* Reaped already: as the process events followed it. */
		return ctrreg_task(k->ctrs, (int32_t)ev->pid, mono_us);
	/* Start times count from boot on CLOCK_BOOTTIME (suspends
	 * included). */
	uint64_t boot_us = mono_us + (now_boot_us() - now_mono_ns() / 1000);
	if (n <= 0 || proc_stat_parse(buf, (size_t)n, &ps) < 0 ||
	    (ev->comm.p && !kevent_comm_eq(ev, ps.comm, ps.comm_len)) ||
	    !proc_started_by(ps.start_ticks, k->hz, boot_us))
		return NULL;
	/* A task that is exiting (a segfault's, while it dumps core) shows
	 * the root cgroup already: the process events know better. */
	struct ctr *c = ev->pid <= INT32_MAX ?
			ctrreg_task(k->ctrs, (int32_t)ev->pid, mono_us) : NULL;
	if (c)
		return c;
	n = read_proc(ev->pid, "cgroup", buf, sizeof(buf));
	if (n <= 0 || proc_cgroup_pick(buf, (size_t)n, &cg, &cgl) < 0)
		return NULL;
	return ctrreg_by_cgroup(k->ctrs, cg, cgl, k->loop->now_ms);
}

static void remember_victim(struct kernlog *k, const struct kevent *ev,
			    const struct ctr *c)
{
	struct victim *v = &k->victims[k->next_victim++ % VICTIMS];

	v->pid = ev->pid;
	snprintf(v->comm, sizeof(v->comm), "%.*s", (int)ev->comm.len, ev->comm.p);
	snprintf(v->id, sizeof(v->id), "%s", c ? c->m.id : "");
}

/* The oom_reaper's record comes after the victim is gone: the victim's
 * container as its "Killed process" record said. */
static struct ctr *by_victim(struct kernlog *k, const struct kevent *ev)
{
	for (unsigned i = 0; k->ctrs && i < VICTIMS; i++) {
		struct victim *v = &k->victims[i];
		if (v->id[0] && v->pid == ev->pid &&
		    strlen(v->comm) == ev->comm.len &&
		    !memcmp(v->comm, ev->comm.p, ev->comm.len))
			return ctrreg_find(k->ctrs, v->id);
	}
	return NULL;
}

/* net.netfilter.nf_log_all_netns, looked at once a second: with 1, a
 * rule in any network namespace (a container's, a rootless user's) logs
 * facility-0 records of its own choosing, so no netfilter line can be
 * trusted to be the host's. */
static bool nf_untrusted(struct kernlog *k)
{
	char buf[16];

	if (k->nf_all_netns < 0 || k->loop->now_ms - k->nf_checked_ms >= 1000) {
		int fd = open("/proc/sys/net/netfilter/nf_log_all_netns",
			      O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
		k->nf_all_netns = n > 0 && buf[0] != '0';
		k->nf_checked_ms = k->loop->now_ms;
	}
	return k->nf_all_netns > 0;
}

/* A record that is not part of an OOM group: attributed as its event
 * says, then stored. */
static void store_event(struct kernlog *k, const struct kmsg_record *rec,
			const struct kevent *ev)
{
	char extra[ATTR_EXTRA];
	struct ctr *c = NULL;
	bool untrusted = false;
	size_t n;

	switch (ev->type) {
	case KEV_NONE:
	case KEV_OOM_START:
		store_record(k, rec, NULL, 0);
		return;
	case KEV_OOM_REAPED:
		c = by_victim(k, ev);
		break;
	case KEV_NETFILTER:
		untrusted = nf_untrusted(k);
		c = k->ctrs && !untrusted ? nflink_container(k->ctrs, ev)
					  : NULL;
		break;
	case KEV_OOM_SUMMARY:
		/* Without its group (the report was rate-limited): its
		 * cgroup cannot be checked against the killed record. */
		break;
	default:
		c = by_pid(k, ev, rec->usec);
		if (ev->type == KEV_OOM_KILLED)
			remember_victim(k, ev, c);
		break;
	}
	if (c)
		c->events++;
	n = event_attrs(extra, sizeof(extra), kevent_name(ev->type), c,
			ev->pid, untrusted);
	store_record(k, rec, extra, n);
}

/* Stores the held OOM group: every record with the attribution the
 * cross-check of its summary and "Killed process" records gave (for a
 * memory cgroup's OOM; for a global one only those two name the victim's
 * container: the rest is the host's memory and task table). */
static void oom_flush(struct kernlog *k, const struct kevent *killed)
{
	struct oom_group *g = &k->oom;
	struct kevent sum, ev;
	struct kstr cg = { NULL, 0 };
	struct ctr *c = NULL;
	bool global = true;
	char extra[ATTR_EXTRA], plain[64];
	size_t n = 0, np;

	if (killed && g->summary_len &&
	    kevent_parse(0, g->summary, g->summary_len, &sum) == KEV_OOM_SUMMARY &&
	    kevent_oom_check(&sum, g->summary, killed, &cg)) {
		global = sum.global_oom;
		if (k->ctrs && cg.p)
			c = ctrreg_by_cgroup(k->ctrs, cg.p, cg.len, k->loop->now_ms);
	}
	if (killed) {
		remember_victim(k, killed, c);
		if (c)
			c->events++;
		n = event_attrs(extra, sizeof(extra), "oom", c, killed->pid, false);
	}
	np = event_attrs(plain, sizeof(plain), "oom", NULL, -1, false);
	for (uint32_t i = 0, off = 0; i < g->n; off = g->end[i++]) {
		struct kmsg_record rec;
		if (kmsg_parse(g->buf + off, g->end[i] - off, &rec, &(size_t){ 0 }) < 0)
			continue;
		enum kevent_type t = kevent_parse(rec.facility, rec.msg,
						  rec.msg_len, &ev);
		/* Written by a process meanwhile (facility 1 and up), or
		 * another event of the kernel's: not part of the report,
		 * whatever it says. */
		if (rec.facility != 0) {
			store_record(k, &rec, NULL, 0);
			continue;
		}
		if (t != KEV_NONE && t != KEV_OOM_START && t != KEV_OOM_SUMMARY &&
		    t != KEV_OOM_KILLED) {
			store_event(k, &rec, &ev);
			continue;
		}
		bool names_victim = t == KEV_OOM_SUMMARY || t == KEV_OOM_KILLED;
		if (killed && (!global || names_victim))
			store_record(k, &rec, extra, n);
		else
			store_record(k, &rec, plain, np);
	}
	g->open = false;
	g->n = 0;
	g->len = 0;
	g->summary_len = 0;
	k->dirty = true;
}

/* Does this record belong to the open group? With caller= (a kernel with
 * CONFIG_PRINTK_CALLER), only the reporting task's records do; without,
 * every record in between (docs/kernel.md says what that means). */
static bool oom_member(const struct oom_group *g, const struct kmsg_record *rec)
{
	if (!g->caller[0] || !rec->caller)
		return true;
	return rec->caller_len == strlen(g->caller) &&
	       !memcmp(rec->caller, g->caller, rec->caller_len);
}

static void oom_hold(struct kernlog *k, const char *raw, size_t len)
{
	struct oom_group *g = &k->oom;

	if (!g->buf && !(g->buf = malloc(OOM_BYTES))) {
		oom_flush(k, NULL);
		return;
	}
	memcpy(g->buf + g->len, raw, len);
	g->len += len;
	g->end[g->n++] = (uint32_t)g->len;
}

/* One record, parsed and in order: held in an OOM group, or attributed
 * and stored. */
static void take_record(struct kernlog *k, const char *raw, size_t len,
			const struct kmsg_record *rec)
{
	struct oom_group *g = &k->oom;
	struct kevent ev;

	kevent_parse(rec->facility, rec->msg, rec->msg_len, &ev);
	if (g->open && oom_member(g, rec) && ev.type != KEV_OOM_START) {
		if (g->n == OOM_RECORDS || g->len + len > OOM_BYTES) {
			oom_flush(k, NULL); /* too long for a report */
		} else {
			oom_hold(k, raw, len);
			if (ev.type == KEV_OOM_SUMMARY && rec->msg_len <= sizeof(g->summary)) {
				memcpy(g->summary, rec->msg, rec->msg_len);
				g->summary_len = rec->msg_len;
			}
			if (ev.type == KEV_OOM_KILLED)
				oom_flush(k, &ev);
			return;
		}
	}
	if (ev.type == KEV_OOM_START && len <= OOM_BYTES) {
		if (g->open)
			oom_flush(k, NULL);
		g->open = true;
		g->first_seq = rec->seq;
		g->opened_ms = k->loop->now_ms;
		snprintf(g->caller, sizeof(g->caller), "%.*s",
			 rec->caller && rec->caller_len < sizeof(g->caller) ?
			 (int)rec->caller_len : 0, rec->caller ? rec->caller : "");
		oom_hold(k, raw, len);
		return;
	}
	store_event(k, rec, &ev);
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
		/* Records of an OOM report were lost: its attribution
		 * cannot be checked. */
		if (k->oom.open)
			oom_flush(k, NULL);
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
	if (k->prompt)
		kclock_sample(&k->clk, k->read_mono_us, rec.usec);
	take_record(k, buf, len, &rec);
	k->st.next_seq = rec.seq + 1;
	k->dirty = true;
}

/* Whole records in k->buf: all of it for /dev/kmsg; from a stream (a
 * relay's pipe, a stand-in file or FIFO), those that something follows,
 * and the last one once it ends in a newline and the stream has nothing
 * more for now (idle) or ended: a read may stop between a record's
 * message line and its dictionary lines. At the end of a relay's stream
 * a record without its newline is dropped (the relay stopped in the
 * middle of writing it; it sends it again); a stand-in file's is taken. */
static void take_buffered(struct kernlog *k, bool idle)
{
	size_t off = 0;

	while (off < k->len) {
		size_t used;
		struct kmsg_record rec;
		kmsg_parse(k->buf + off, k->len - off, &rec, &used);
		bool ends = k->buf[off + used - 1] == '\n';
		bool complete = k->record_per_read || off + used < k->len ||
				((idle || k->eof) && ends) ||
				(k->eof && !k->relay);
		if (!complete && k->eof) {
			k->len = off; /* a relay's torn record: dropped */
			break;
		}
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
	/* Records read right after the log had nothing more came as they
	 * were made: they time printk's clock (kclock.h). */
	k->prompt = k->waiting;
	k->waiting = false;
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
			if (errno != EAGAIN) {
				store_notice(k->store, false, "kmsg: read: %s",
					      strerror(errno));
			} else {
				k->waiting = true;
				take_buffered(k, true);
			}
			break;
		}
		k->read_mono_us = now_mono_ns() / 1000;
		if (n == 0) {
			/* A regular file stand-in ended (a FIFO never does: we
			 * hold it open for writing too). Out of epoll, so a
			 * hang-up cannot wake us forever. */
			k->eof = true;
			if (k->pollable)
				loop_unwatch(k->loop, &k->ev);
		}
		k->len += (size_t)n;
		take_buffered(k, false);
		if (k->record_per_read)
			k->len = 0;
	}
	if (k->dirty)
		save_state(k);
}

bool kernlog_clock_offset(const struct kernlog *k, int64_t *us)
{
	uint64_t mono;

	if (!k || !kclock_mono(&k->clk, 0, &mono))
		return false;
	*us = (int64_t)mono;
	return true;
}

bool kernlog_relay_live(const struct kernlog *k)
{
	struct pollfd p = { .fd = k->ev.fd, .events = POLLIN };

	/* POLLHUP on a pipe's read end: no writer is left. */
	return k->relay && !k->eof && poll(&p, 1, 0) >= 0 &&
	       !(p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

bool kernlog_busy(const struct kernlog *k)
{
	return !k->pollable && !k->eof;
}

static void kernlog_event(struct ev *ev, uint32_t events)
{
	kernlog_service(container_of(ev, struct kernlog, ev));
}

void kernlog_tick(struct kernlog *k)
{
	if (k && k->oom.open && k->loop->now_ms - k->oom.opened_ms >= OOM_WAIT_MS) {
		oom_flush(k, NULL);
		save_state(k);
	}
}

/* The reader of fd (taken): a device (/dev/kmsg) gives one record per
 * read(); anything else a stream of records, each whole once its newline
 * is there. NULL (fd closed) when out of memory or slots. */
static struct kernlog *start(struct loop *loop, struct store *store, int fd,
			     bool device, const char *state_dir,
			     struct ctrreg *ctrs)
{
	struct kernlog *k = calloc(1, sizeof(*k));

	if (!k) {
		close(fd);
		return NULL;
	}
	k->loop = loop;
	k->store = store;
	k->ctrs = ctrs;
	k->hz = sysconf(_SC_CLK_TCK);
	k->nf_all_netns = -1;
	k->ev.fd = fd;
	k->ev.cb = kernlog_event;
	k->record_per_read = device;
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
	/* What is there already (the kernel's: boot messages from before
	 * us). */
	kernlog_service(k);
	return k;
}

struct kernlog *kernlog_open(struct loop *loop, struct store *store,
			     const char *path, const char *state_dir,
			     struct ctrreg *ctrs)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

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
	return start(loop, store, fd, S_ISCHR(st.st_mode), state_dir, ctrs);
}

struct kernlog *kernlog_relay(struct kernlog *k, struct loop *loop,
			      struct store *store, int fd,
			      const char *state_dir, struct ctrreg *ctrs)
{
	if (!k) {
		k = start(loop, store, fd, false, state_dir, ctrs);
		if (k)
			k->relay = true;
		return k;
	}
	/* The relay started again: its new stream goes on from where the
	 * last one stopped (the seqs say what is new); a record the old
	 * stream left half-written is dropped with it. */
	if (k->pollable && !k->eof)
		loop_unwatch(k->loop, &k->ev);
	close(k->ev.fd);
	k->ev.fd = fd;
	k->eof = false;
	k->len = 0;
	k->waiting = false;
	k->pollable = loop_watch(loop, &k->ev, EPOLLIN) == 0;
	kernlog_service(k);
	return k;
}

void kernlog_close(struct kernlog *k)
{
	if (!k)
		return;
	if (k->oom.open)
		oom_flush(k, NULL);
	free(k->oom.buf);
	if (k->dirty)
		save_state(k);
	srctab_at(&k->store->srcs, k->slot)->fds--;
	if (k->pollable && !k->eof)
		loop_unwatch(k->loop, &k->ev);
	close(k->ev.fd);
	free(k->buf);
	free(k);
}
