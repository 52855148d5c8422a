#include "reader.h"
#include "binrec.h"
#include "export.h"
#include "ctrmsg.h"
#include "handover.h"
#include "jsonenc.h"
#include "record.h"
#include "regmsg.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes one reader may write per loop iteration before the others get a
 * turn. */
#define READER_TURN_BYTES (256u << 10)

/* Marks kept by a filtered last=N search (ring_seek_last). */
#define LAST_MARKS 1024u

/* Closes a query client's socket so that the client reads everything
 * written to it and then end of file. Closing a unix socket while its
 * receive queue holds bytes (a request not read yet, or bytes after it)
 * resets the connection: the client's next read fails with ECONNRESET
 * instead of seeing end of file, and a client that stops there loses the
 * error line it was sent. So: shut reading first (from then on the
 * client's writes fail with EPIPE instead of queueing more), read away
 * what it had queued, then close. Only the close ends the client's
 * reading, so its end of file still means the daemon let go of the fd.
 * Bounded: past DRAIN_MAX bytes (more than a default socket buffer holds)
 * the client gets its reset. */
#define DRAIN_MAX (256u << 10)
static void reader_sock_close(int fd)
{
	char sink[4096];
	size_t drained = 0;

	IGNORE_RESULT(shutdown(fd, SHUT_RD));
	while (drained < DRAIN_MAX) {
		/* Never blocks: after SHUT_RD an empty queue reads as 0. */
		ssize_t n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	close(fd);
}

/* The one destructor. NULL-safe. */
static void reader_close(struct reader *r)
{
	if (!r)
		return;
	struct readers *rs = r->set;

	list_del(&r->link);
	if (r->is_console) {
		if (r->pollable)
			loop_unwatch(rs->loop, &r->ev);
		rs->console = NULL;
	} else {
		loop_unwatch(rs->loop, &r->ev);
		reader_sock_close(r->ev.fd);
		rs->n--;
	}
	rs->stats_inflight -= r->stats_held;
	for (unsigned i = 0; i < r->nglobs; i++)
		free(r->globs[i]);
	free(r->globs);
	if (r->has_grep)
		regfree(&r->grep);
	free(r->grep_text);
	free(r->req);
	free(r->defs);
	free(r->out);
	free(r->view_name);
	free(r->view_id);
	free(r);
}

/* Moves r to the list of its new state and tells epoll what to wait for.
 * Returns false when r had to be closed instead: epoll refused the change,
 * and a reader epoll does not wake would wait for good. */
static bool set_state(struct reader *r, enum reader_state st)
{
	struct readers *rs = r->set;

	list_del(&r->link);
	r->state = st;
	switch (st) {
	case R_ACTIVE: list_add_tail(&rs->active, &r->link); break;
	case R_WAITING: list_add_tail(&rs->waiting, &r->link); break;
	default: list_add_tail(&rs->idle, &r->link); break;
	}
	if (r->pollable &&
	    loop_rewatch(rs->loop, &r->ev, st == R_BLOCKED ? EPOLLOUT
				  : st == R_REQUEST ? EPOLLIN : 0) < 0) {
		reader_close(r);
		return false;
	}
	return true;
}

static int out_reserve(struct reader *r, size_t need)
{
	if (r->out_cap - r->out_len >= need)
		return 0;
	if (r->out_len == 0 || r->out_cap == 0) {
		size_t cap = MAX(need, (size_t)r->set->cfg.reader_buffer);
		char *n = realloc(r->out, cap);
		if (!n)
			return -ENOMEM;
		r->out = n;
		r->out_cap = cap;
		return 0;
	}
	return -ENOSPC;
}

/* Queues a whole encoded record, or nothing if it does not fit: then the
 * buffer is flushed first and the entry encoded again. */
static bool put(struct reader *r, const char *rec, size_t n)
{
	if (out_reserve(r, n) < 0)
		return false;
	memcpy(r->out + r->out_len, rec, n);
	r->out_len += n;
	return true;
}

static void queue_error(struct reader *r, const char *msg)
{
	char buf[512];
	char esc[JSON_ESCAPE_BOUND(200)];
	size_t el = json_escape(esc, msg, strnlen(msg, 200));
	int n = snprintf(buf, sizeof(buf), "{\"error\":\"%.*s\"}\n", (int)el, esc);

	if (r->fmt == FMT_BIN)
		n = (int)binrec_error(buf, msg, strnlen(msg, 200));
	put(r, buf, (size_t)n);
	r->closing = true;
	set_state(r, R_ACTIVE);
}

static bool put_marker(struct reader *r, const char *reason, int64_t missed,
		       uint64_t first, uint64_t last, const char *text)
{
	struct store *st = r->set->store;
	char rec[RECORD_MARKER_BOUND + RECORD_LEGACY_BOUND(7, 256)];
	uint64_t now = now_realtime_ns();
	size_t n;

	switch (r->fmt) {
	case FMT_V2:
		n = record_marker_v2(rec, now, st->instance, reason, missed,
				     first, last, text);
		break;
	case FMT_LEGACY:
		n = record_legacy(rec, now, "memlogd", 7, text, strlen(text));
		break;
	case FMT_BIN:
		n = binrec_marker(rec, now, missed, first, last, reason, text);
		break;
	case FMT_EXPORT:
		n = export_marker(rec, now, st->instance, reason, missed, first,
				  last, text);
		break;
	default:
		n = record_text(rec, now, "memlogd", 7, text, strlen(text));
		break;
	}
	if (!put(r, rec, n))
		return false;
	if (missed > 0)
		r->missed += (uint64_t)missed;
	return true;
}

#define DEFS_CAP 1024u /* source definitions remembered per binary reader */

/* FMT_BIN: was slot's current name sent on this connection? If not, it
 * is queued now (the table is forgotten when half full: definitions are
 * then sent again as sources come up, which a client takes as is). Returns
 * false when the output buffer has no room for it. */
static bool put_definition(struct reader *r, uint32_t slot,
			   const struct srcinfo *si)
{
	uint32_t at = (slot * 2654435761u) & (DEFS_CAP - 1);

	if (!r->defs && !(r->defs = calloc(2 * DEFS_CAP, sizeof(uint32_t))))
		return false;
	for (;; at = (at + 1) & (DEFS_CAP - 1)) {
		if (r->defs[2 * at] == 0)
			break;
		if (r->defs[2 * at] == slot + 1) {
			if (r->defs[2 * at + 1] == si->gen)
				return true;
			break; /* the slot holds another name now */
		}
	}
	char rec[BINREC_SOURCE_BOUND(REG_NAME_MAX)];
	size_t n = binrec_source(rec, slot, si->stream, si->name, si->name_len);
	if (!put(r, rec, n))
		return false;
	if (r->defs[2 * at] == 0) {
		if (++r->ndefs > DEFS_CAP / 2) {
			memset(r->defs, 0, 2 * DEFS_CAP * sizeof(uint32_t));
			r->ndefs = 1;
			for (at = (slot * 2654435761u) & (DEFS_CAP - 1);
			     r->defs[2 * at]; at = (at + 1) & (DEFS_CAP - 1))
				;
		}
	}
	r->defs[2 * at] = slot + 1;
	r->defs[2 * at + 1] = si->gen;
	return true;
}

static bool put_entry(struct reader *r, const struct ring_entry *e)
{
	struct readers *rs = r->set;
	struct srctab *t = &rs->store->srcs;
	struct srcinfo *si = srctab_at(t, e->source);
	size_t bound, n;
	char *dst;

	if (r->fmt == FMT_BIN && !put_definition(r, e->source, si))
		return false;
	switch (r->fmt) {
	case FMT_V2:
		bound = RECORD_V2_BOUND(si->name_len, e->len) +
			RECORD_ATTR_BYTE * (size_t)e->attrs_len + 16;
		break;
	case FMT_BIN:
		bound = BINREC_ENTRY_BOUND(e->len, e->attrs_len);
		break;
	case FMT_EXPORT:
		bound = EXPORT_BOUND(si->name_len, e->len, e->attrs_len);
		break;
	case FMT_LEGACY:
		bound = RECORD_LEGACY_BOUND(si->name_len, e->len);
		break;
	default:
		bound = RECORD_TEXT_BOUND(si->name_len, e->len);
		break;
	}
	/* Encode in place when the worst case fits, else through the shared
	 * scratch buffer to learn the real size. */
	if (out_reserve(r, bound) == 0)
		dst = r->out + r->out_len;
	else
		dst = rs->scratch;
	switch (r->fmt) {
	case FMT_V2: {
		struct record_source src = { srctab_name(t, si), si->name_len,
					     (enum stream)si->stream };
		n = record_v2(dst, e, rs->store->instance, &src);
		break;
	}
	case FMT_EXPORT: {
		struct record_source src = { srctab_name(t, si), si->name_len,
					     (enum stream)si->stream };
		n = export_entry(dst, e, rs->store->instance, &src);
		break;
	}
	case FMT_LEGACY:
		n = record_legacy(dst, e->time_ns, srctab_name(t, si),
				  si->name_len,
				  e->msg, e->len);
		break;
	case FMT_BIN:
		n = binrec_entry(dst, e->seq, e->time_ns, e->source,
				 (uint8_t)(((e->flags & RING_F_PARTIAL) ? BINREC_PARTIAL : 0) |
					   ((e->flags & RING_F_MARKER) ? BINREC_NOTICE : 0) |
					   ((e->flags & RING_F_NOEOL) ? BINREC_NOEOL : 0)),
				 e->priority, e->facility, e->msg, e->len,
				 e->attrs, e->attrs_len);
		break;
	default:
		n = record_text(dst, e->time_ns, srctab_name(t, si),
				si->name_len,
				e->msg, e->len);
		break;
	}
	if (dst != rs->scratch) {
		r->out_len += n;
		return true;
	}
	return put(r, dst, n);
}

/* Compiles the reader's pattern (len bytes) and keeps its text, which a
 * live upgrade hands on. 0, regcomp's error code (> 0), or -ENOMEM. */
static int grep_compile(struct reader *r, const char *pat, size_t len,
			bool icase)
{
	char *text = strndup(pat, len);

	if (!text)
		return -ENOMEM;
	int rc = regcomp(&r->grep, text, REG_EXTENDED | REG_NOSUB |
			 (icase ? REG_ICASE : 0));
	if (rc != 0) {
		free(text);
		return rc;
	}
	r->has_grep = true;
	r->grep_text = text;
	r->grep_icase = icase;
	return 0;
}

/* Does the message match the reader's pattern? regexec takes a C string
 * (musl has no REG_STARTEND): the message is copied, a NUL byte in it
 * written as 0x1a (SUB), so that a pattern sees all of it. */
static bool grep_match(const struct reader *r, const struct ring_entry *e)
{
	char *c = r->set->grep_buf;

	for (uint32_t i = 0; i < e->len; i++)
		c[i] = e->msg[i] ? e->msg[i] : '\x1a';
	c[e->len] = '\0';
	return regexec(&r->grep, c, 0, NULL, 0) == 0;
}

/* Does attrs ("K=V\0K=V") hold exactly kv? */
static bool has_attr(const char *attrs, size_t len, const char *kv)
{
	size_t kl = strlen(kv);

	for (size_t off = 0; attrs && off < len;) {
		const char *end = memchr(attrs + off, '\0', len - off);
		size_t l = end ? (size_t)(end - attrs) - off : len - off;
		if (l == kl && !memcmp(attrs + off, kv, kl))
			return true;
		off += l + 1;
	}
	return false;
}

/* A container's view: its own two sources, the kernel events attributed
 * to it (never one marked untrusted), the kernel log's gap markers. */
static bool in_view(const struct reader *r, const struct ring_entry *e)
{
	struct srctab *t = &r->set->store->srcs;
	const struct srcinfo *s = srctab_at(t, e->source);
	const char *name = srctab_name(t, s);
	size_t nl = strlen(r->view_name);
	char kv[8 + CTR_ID_MAX + 16];

	if (s->stream == STREAM_KERNEL) {
		if (e->flags & RING_F_MARKER)
			return true;
		if (e->facility != 0 || !(e->flags & RING_F_ATTRS))
			return false;
		snprintf(kv, sizeof(kv), "container_id=%s", r->view_id);
		return has_attr(e->attrs, e->attrs_len, kv) &&
		       !has_attr(e->attrs, e->attrs_len, "untrusted=1");
	}
	if (s->stream != STREAM_STDOUT && s->stream != STREAM_STDERR)
		return false;
	/* Registered by root (memlog-runc), from when root had the name:
	 * a user who may register cannot add lines to a container's view
	 * under its name. */
	const uint64_t *since = r->set->uid_since;
	if (s->pid < 0 || s->uid != 0 || (since && e->seq < since[e->source]))
		return false;
	return !strncmp(name, r->view_name, nl) &&
	       (!name[nl] || !strcmp(name + nl, ".out"));
}

/* A uid's own: a stdout or stderr source whose registrant (with
 * credentials) was that uid, and only from when it became so: a name
 * root used before keeps root's lines. */
static bool own_by_uid(const struct reader *r, const struct ring_entry *e)
{
	const uint64_t *since = r->set->uid_since;
	const struct srcinfo *s = srctab_at(&r->set->store->srcs, e->source);

	return since && (s->stream == STREAM_STDOUT || s->stream == STREAM_STDERR) &&
	       s->pid >= 0 && s->uid == r->uid && e->seq >= since[e->source];
}

static bool wanted(const struct reader *r, const struct ring_entry *e)
{
	if (r->view_id && !in_view(r, e))
		return false;
	if (r->uid_only && !own_by_uid(r, e))
		return false;
	if (r->has_prio && (e->priority < r->prio_min ||
			    e->priority > r->prio_max))
		return false; /* no priority (-1) is below every range */
	if ((r->has_since && e->time_ns < r->since_ns) ||
	    (r->has_until && e->time_ns > r->until_ns))
		return false;
	if (r->stream_mask) {
		struct srctab *st = &r->set->store->srcs;
		if (!(r->stream_mask & (1u << srctab_at(st, e->source)->stream)))
			return false;
	}
	if (r->has_grep && !grep_match(r, e))
		return false;
	if (r->fac_mask && (e->facility < 0 ||
			    !(r->fac_mask & (1u << e->facility))))
		return false;
	if (r->nglobs == 0)
		return true;
	struct srctab *t = &r->set->store->srcs;
	const char *name = srctab_name(t, srctab_at(t, e->source));
	for (unsigned i = 0; i < r->nglobs; i++)
		if (fnmatch(r->globs[i], name, 0) == 0)
			return true;
	return false;
}

/* Encodes entries into the empty output buffer until it is full or there
 * is nothing more. Returns whether anything was queued. */
static bool fill(struct reader *r)
{
	struct ring *ring = &r->set->store->ring;
	struct ring_entry e;
	char text[160];
	bool any = false;

	for (;;) {
		if (r->pos.seq >= r->end_seq)
			return any;
		int rc = ring_get(ring, &r->pos, &e);
		if (rc == -ESTALE) {
			uint64_t oldest = ring->meta->oldest_seq;
			uint64_t last = MIN(oldest, r->end_seq) - 1;
			uint64_t n = last + 1 - r->pos.seq;
			snprintf(text, sizeof(text),
				 "memlogd: %llu entries were overwritten before "
				 "this reader could read them (seq %llu-%llu)",
				 (unsigned long long)n,
				 (unsigned long long)r->pos.seq,
				 (unsigned long long)last);
			if (!put_marker(r, "lagged", (int64_t)n, r->pos.seq,
					last, text))
				return any;
			any = true;
			r->pos = ring_oldest(ring);
			continue;
		}
		if (rc == 0)
			return any;
		if (wanted(r, &e)) {
			if (!put_entry(r, &e))
				return any;
			r->sent++;
			any = true;
		}
		ring_next(ring, &r->pos, &e);
	}
}

static void reader_pump(struct reader *r)
{
	size_t budget = READER_TURN_BYTES;

	for (;;) {
		if (r->out_len > r->out_off) {
			ssize_t n = write(r->ev.fd, r->out + r->out_off,
					  r->out_len - r->out_off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN && r->pollable) {
					set_state(r, R_BLOCKED);
					return;
				}
				reader_close(r);
				return;
			}
			r->out_off += (size_t)n;
			if (r->out_off < r->out_len)
				continue;
			r->out_off = r->out_len = 0;
			if (r->out_cap > r->set->cfg.reader_buffer) {
				/* A huge entry grew the buffer: give it back. */
				free(r->out);
				r->out = NULL;
				r->out_cap = 0;
			}
			if ((size_t)n >= budget) {
				set_state(r, R_ACTIVE);
				return;
			}
			budget -= (size_t)n;
			continue;
		}
		if (!r->closing && fill(r))
			continue;
		if (r->closing || !r->follow || r->pos.seq >= r->end_seq) {
			reader_close(r);
			return;
		}
		set_state(r, R_WAITING);
		return;
	}
}

static int copy_globs(struct reader *r, const struct query_req *q)
{
	if (q->nglobs == 0)
		return 0;
	r->globs = calloc(q->nglobs, sizeof(char *));
	if (!r->globs)
		return -ENOMEM;
	for (unsigned i = 0; i < q->nglobs; i++) {
		r->globs[i] = strdup(q->globs[i]);
		if (!r->globs[i])
			return -ENOMEM;
		r->nglobs++;
	}
	return 0;
}

/* Positions the reader after a client's cursor. */
static void seek_after(struct reader *r, struct cursor c)
{
	struct store *st = r->set->store;
	struct ring_meta *m = st->ring.meta;
	char text[200];

	if (c.instance != st->instance) {
		snprintf(text, sizeof(text),
			 "memlogd: the cursor is from another memlogd instance "
			 "(an earlier boot?); starting at the oldest entry");
		put_marker(r, "foreign-cursor", -1, 0,
			   m->oldest_seq ? m->oldest_seq - 1 : 0, text);
		r->pos = ring_oldest(&st->ring);
		return;
	}
	uint64_t want = c.seq + 1;
	if (want < m->oldest_seq) {
		uint64_t n = m->oldest_seq - want;
		snprintf(text, sizeof(text),
			 "memlogd: %llu entries after the cursor were "
			 "overwritten (seq %llu-%llu)",
			 (unsigned long long)n, (unsigned long long)want,
			 (unsigned long long)(m->oldest_seq - 1));
		put_marker(r, "overwritten", (int64_t)n, want,
			   m->oldest_seq - 1, text);
		r->pos = ring_oldest(&st->ring);
		return;
	}
	ring_seek(&st->ring, want, &r->pos);
}

struct last_search {
	const struct reader *r;
	uint64_t last_seq;     /* the newest match seen (0: none) */
};

static bool wanted_by(const struct ring_entry *e, void *arg)
{
	struct last_search *ls = arg;

	if (!wanted(ls->r, e))
		return false;
	ls->last_seq = MAX(ls->last_seq, e->seq);
	return true;
}

static bool has_filter(const struct reader *r)
{
	return r->has_prio || r->fac_mask || r->nglobs || r->has_since ||
	       r->has_until || r->stream_mask || r->has_grep;
}

/* Positions the reader at the last n entries it wants: with a filter they
 * are the last n that match it (as journalctl -u X -n N), found by one
 * walk over the ring (ring_seek_last) with a bounded set of marks: the
 * same cost as a filtered dump without last=, which walks it all too.
 * Returns 0 or -ENOMEM. */
static int seek_last(struct reader *r, uint64_t n)
{
	struct ring *ring = &r->set->store->ring;

	if (!has_filter(r)) {
		n = MIN(n, ring_count(ring));
		return ring_seek(ring, ring->meta->next_seq - n, &r->pos);
	}
	/* 16 KiB of marks, held only while the request starts. For n up to
	 * LAST_MARKS - 1 the one walk finds the start exactly; for larger n
	 * a second, short walk passes fewer than n / (LAST_MARKS - 1) + 1
	 * matching entries. */
	struct ring_pos *marks = malloc(LAST_MARKS * sizeof(*marks));
	struct last_search ls = { r, 0 };
	if (!marks)
		return -ENOMEM;
	ring_seek_last(ring, n, wanted_by, &ls, marks, LAST_MARKS, &r->pos);
	free(marks);
	/* Nothing after the newest match is wanted: a dump need not walk
	 * there again. */
	if (!r->follow)
		r->end_seq = MIN(r->end_seq, MAX(ls.last_seq + 1, r->pos.seq));
	return 0;
}

static void start(struct reader *r, const struct query_req *q)
{
	struct readers *rs = r->set;
	struct store *st = rs->store;
	struct ring_meta *m = st->ring.meta;

	free(r->req);
	r->req = NULL;
	if (q->mode == QUERY_STATS && (r->view_id || r->uid_only)) {
		/* The daemon's counters name every container. */
		queue_error(r, r->view_id ? "stats are not served in a "
			    "container's view" : "stats are served to root "
			    "and --readers-group only");
		return;
	}
	if (q->mode == QUERY_STATS) {
		char *buf;
		size_t n = rs->stats(rs->stats_arg, &buf);
		if (!n) {
			queue_error(r, "out of memory");
			return;
		}
		/* A reply is sized by the source table, not by
		 * --reader-buffer: clients that ask and never read could
		 * hold many. Past the budget they are told to come back
		 * (one reply is always allowed, however large). */
		size_t budget = MAX((size_t)rs->cfg.reader_buffer * 16,
				    (size_t)1 << 20);
		if (rs->stats_inflight && rs->stats_inflight + n > budget) {
			free(buf);
			queue_error(r, "busy: too many stats replies not yet "
				    "read; try again");
			return;
		}
		rs->stats_inflight += n;
		r->stats_held = n;
		free(r->out);
		r->out = buf;
		r->out_len = r->out_cap = n;
		r->closing = true;
		set_state(r, R_ACTIVE);
		return;
	}
	r->fmt = q->binary ? FMT_BIN : q->export_fmt ? FMT_EXPORT
	       : q->v2 ? FMT_V2 : FMT_LEGACY;
	r->set->requests_legacy += r->fmt == FMT_LEGACY;
	r->set->requests_binary += r->fmt == FMT_BIN;
	if (r->fmt == FMT_BIN) {
		char hello[BINREC_HELLO_LEN];
		put(r, hello, binrec_hello(hello, st->instance));
	}
	r->has_prio = q->has_prio;
	r->prio_min = q->prio_min;
	r->prio_max = q->prio_max;
	r->fac_mask = q->fac_mask;
	r->has_since = q->has_since;
	r->since_ns = q->since_ns;
	r->has_until = q->has_until;
	r->until_ns = q->until_ns;
	r->stream_mask = q->stream_mask;
	if (q->grep[0]) {
		int rc = grep_compile(r, q->grep, strlen(q->grep), q->grep_icase);
		if (rc > 0) {
			char why[160], msg[220];
			regerror(rc, NULL, why, sizeof(why));
			snprintf(msg, sizeof(msg), "bad request: grep: %s", why);
			rs->requests_bad++;
			queue_error(r, msg);
			return;
		}
		if (rc < 0) {
			queue_error(r, "out of memory");
			return;
		}
	}
	if (copy_globs(r, q) < 0) {
		queue_error(r, "out of memory");
		return;
	}
	r->follow = q->mode != QUERY_DUMP;
	r->end_seq = r->follow ? UINT64_MAX : m->next_seq;
	if (q->mode == QUERY_FOLLOW) {
		r->pos = ring_end(&st->ring);
	} else if (q->has_after) {
		if (q->after.instance == st->instance && q->after.seq >= m->next_seq) {
			queue_error(r, QUERY_ERR_CURSOR_NEWER);
			return;
		}
		seek_after(r, q->after);
	} else if (q->has_last) {
		if (seek_last(r, q->last) < 0) {
			queue_error(r, "out of memory");
			return;
		}
	} else {
		r->pos = ring_oldest(&st->ring);
	}
	set_state(r, R_ACTIVE);
}

static void read_request(struct reader *r)
{
	struct readers *rs = r->set;
	struct query_req *q;
	const char *err;
	char msg[160];

	if (!r->req) {
		r->req = malloc(QUERY_LINE_MAX + 1);
		if (!r->req) {
			reader_close(r);
			return;
		}
	}
	ssize_t n = read(r->ev.fd, r->req + r->req_len,
			 QUERY_LINE_MAX + 1 - r->req_len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			reader_close(r);
		return;
	}
	if (n == 0) {
		reader_close(r); /* gone before asking */
		return;
	}
	unsigned char first = (unsigned char)r->req[0];
	r->req_len += (size_t)n;

	struct query_req legacy;
	if (query_legacy(first, &legacy)) {
		/* LinuxKit reads exactly one byte; whatever follows is
		 * ignored, as there, but memlog's own request for binary
		 * records (query.h), which comes in the same write. */
		if (query_legacy_binary(r->req, r->req_len))
			legacy.v2 = legacy.binary = true;
		start(r, &legacy);
		return;
	}
	if (!query_text_start(first)) {
		rs->requests_bad++;
		snprintf(msg, sizeof(msg),
			 "unknown request byte 0x%02x: send 0 (dump), 1 (follow), "
			 "2 (dump and follow) or a text request line", first);
		queue_error(r, msg);
		return;
	}
	char *nl = memchr(r->req, '\n', r->req_len);
	if (!nl) {
		if (r->req_len > QUERY_LINE_MAX) {
			rs->requests_bad++;
			queue_error(r, "request line too long");
		}
		return;
	}
	/* query_req holds its globs inline (16 KiB): not for the stack. */
	q = malloc(sizeof(*q));
	if (!q) {
		queue_error(r, "out of memory");
		return;
	}
	if (query_parse(r->req, (size_t)(nl - r->req), q, &err) < 0) {
		rs->requests_bad++;
		snprintf(msg, sizeof(msg), QUERY_ERR_BAD_REQUEST "%s", err);
		queue_error(r, msg);
	} else {
		start(r, q);
	}
	free(q);
}

static void reader_event(struct ev *ev, uint32_t events)
{
	struct reader *r = container_of(ev, struct reader, ev);

	if (r->state == R_REQUEST) {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			read_request(r);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		reader_close(r); /* the client is gone both ways */
		return;
	}
	if ((events & EPOLLOUT) && set_state(r, R_ACTIVE))
		reader_pump(r);
}

int readers_init(struct readers *rs, struct loop *loop, struct store *store,
		 const struct readers_config *cfg, readers_stats_fn stats,
		 void *stats_arg)
{
	memset(rs, 0, sizeof(*rs));
	rs->loop = loop;
	rs->store = store;
	rs->cfg = *cfg;
	rs->stats = stats;
	rs->stats_arg = stats_arg;
	rs->next_deadline_ms = UINT64_MAX;
	list_init(&rs->active);
	list_init(&rs->waiting);
	list_init(&rs->idle);
	rs->scratch_size = MAX(RECORD_V2_BOUND(REG_NAME_MAX, store->max_line_len) +
			       RECORD_ATTR_BYTE * RECORD_ATTRS_MAX + 16,
			       EXPORT_BOUND(REG_NAME_MAX, store->max_line_len,
					    RECORD_ATTRS_MAX));
	rs->scratch = malloc(rs->scratch_size);
	rs->grep_buf = malloc(MAX((size_t)store->max_line_len, 4096u) + 1);
	return rs->scratch && rs->grep_buf ? 0 : -ENOMEM;
}

static struct reader *accept_one(struct readers *rs, int fd);

void readers_accept(struct readers *rs, int fd)
{
	accept_one(rs, fd);
}

static uint32_t view_count(struct list *l, const char *id)
{
	uint32_t n = 0;

	for (struct list *i = l->next; i != l; i = i->next) {
		struct reader *r = container_of(i, struct reader, link);
		n += r->view_id && !strcmp(r->view_id, id);
	}
	return n;
}

void readers_accept_uid(struct readers *rs, int fd, uint32_t uid)
{
	struct reader *r = accept_one(rs, fd);

	if (r) {
		r->uid_only = true;
		r->uid = uid;
	}
}

void readers_accept_view(struct readers *rs, int fd, const char *name,
			 const char *id, uint32_t max)
{
	if (view_count(&rs->active, id) + view_count(&rs->waiting, id) +
	    view_count(&rs->idle, id) >= max) {
		static const char busy[] =
			"{\"error\":\"too many query clients of this view\"}\n";
		rs->refused++;
		IGNORE_RESULT(write(fd, busy, sizeof(busy) - 1)); /* best effort */
		reader_sock_close(fd);
		return;
	}
	struct reader *r = accept_one(rs, fd);
	if (!r)
		return;
	r->view_name = strdup(name);
	r->view_id = strdup(id);
	if (!r->view_name || !r->view_id)
		reader_close(r);
}

static struct reader *accept_one(struct readers *rs, int fd)
{
	struct reader *r;

	if (rs->n >= rs->cfg.max_readers) {
		static const char busy[] =
			"{\"error\":\"too many query clients\"}\n";
		rs->refused++;
		/* A fresh socket's buffer takes the line at once; a client
		 * already gone is not told. */
		IGNORE_RESULT(write(fd, busy, sizeof(busy) - 1)); /* best effort */
		reader_sock_close(fd);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rs->refused++;
		reader_sock_close(fd);
		return NULL;
	}
	r->set = rs;
	r->ev.fd = fd;
	r->ev.cb = reader_event;
	r->pollable = true;
	r->deadline_ms = rs->loop->now_ms + rs->cfg.request_timeout_ms;
	list_init(&r->link);
	if (loop_watch(rs->loop, &r->ev, EPOLLIN) < 0) {
		rs->refused++;
		free(r);
		reader_sock_close(fd);
		return NULL;
	}
	rs->n++;
	r->state = R_REQUEST;
	rs->next_deadline_ms = MIN(rs->next_deadline_ms, r->deadline_ms);
	list_add_tail(&rs->idle, &r->link);
	return r;
}

int readers_console(struct readers *rs, int fd)
{
	struct reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->set = rs;
	r->ev.fd = fd;
	r->ev.cb = reader_event;
	r->is_console = true;
	r->fmt = FMT_TEXT;
	r->follow = true;
	r->end_seq = UINT64_MAX;
	r->pos = ring_oldest(&rs->store->ring);
	list_init(&r->link);
	/* A terminal or pipe is polled; a regular file never blocks. */
	r->pollable = loop_watch(rs->loop, &r->ev, 0) == 0;
	if (r->pollable)
		fd_set_nonblock(fd);
	r->state = R_WAITING;
	list_add_tail(&rs->waiting, &r->link);
	rs->console = r;
	return 0;
}

void readers_pump(struct readers *rs)
{
	struct list batch, *p, *t;
	uint64_t next = rs->store->ring.meta->next_seq;

	if (next != rs->seen_seq) {
		/* New entries: every caught-up follower has work again. */
		rs->seen_seq = next;
		list_for_each_safe(p, t, &rs->waiting)
			container_of(p, struct reader, link)->state = R_ACTIVE;
		list_move_all(&rs->waiting, &rs->active);
	}
	/* This turn's batch, so that a reader that stays active is pumped
	 * once per turn, not again within it. */
	list_init(&batch);
	list_move_all(&rs->active, &batch);
	list_for_each_safe(p, t, &batch)
		reader_pump(container_of(p, struct reader, link));
}

uint64_t readers_tick(struct readers *rs)
{
	struct list *p, *t;
	uint64_t next = UINT64_MAX;

	list_for_each_safe(p, t, &rs->idle) {
		struct reader *r = container_of(p, struct reader, link);
		if (r->state != R_REQUEST)
			continue;
		if (rs->loop->now_ms >= r->deadline_ms) {
			rs->requests_bad++;
			queue_error(r, "no request received in time");
			continue;
		}
		next = MIN(next, r->deadline_ms);
	}
	rs->next_deadline_ms = next;
	return next;
}

void readers_destroy(struct readers *rs)
{
	struct list *lists[] = { &rs->active, &rs->waiting, &rs->idle };
	struct list *p, *t;

	if (!rs->active.next)
		return; /* never initialised */
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_safe(p, t, lists[i])
			reader_close(container_of(p, struct reader, link));
	free(rs->scratch);
	free(rs->grep_buf);
	rs->scratch = NULL;
	rs->grep_buf = NULL;
}

int readers_export(struct readers *rs, struct handover_reader **out,
		   uint32_t *n)
{
	struct list *lists[] = { &rs->active, &rs->waiting, &rs->idle };
	struct list *p, *t;
	uint32_t k = 0, cap = rs->n + 1;
	struct handover_reader *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_safe(p, t, lists[i]) {
			struct reader *r = container_of(p, struct reader, link);
			if (k == cap)
				break;
			struct handover_reader *x = &v[k++];
			x->fd = r->ev.fd;
			x->fmt = (uint8_t)r->fmt;
			x->state = (uint8_t)r->state;
			x->follow = r->follow;
			x->closing = r->closing;
			x->is_console = r->is_console;
			x->pollable = r->pollable;
			x->has_prio = r->has_prio;
			x->prio_min = r->prio_min;
			x->prio_max = r->prio_max;
			x->fac_mask = r->fac_mask;
			x->pos_seq = r->pos.seq;
			x->pos_off = r->pos.off;
			x->end_seq = r->end_seq;
			x->sent = r->sent;
			x->missed = r->missed;
			x->nglobs = MIN(r->nglobs, 16u);
			for (uint32_t g = 0; g < x->nglobs; g++)
				x->globs[g] = r->globs[g];
			x->has_since = r->has_since;
			x->since_ns = r->since_ns;
			x->has_until = r->has_until;
			x->until_ns = r->until_ns;
			x->stream_mask = r->stream_mask;
			x->grep = r->has_grep ? r->grep_text : NULL;
			x->grep_len = r->has_grep ? (uint32_t)strlen(r->grep_text) : 0;
			x->grep_icase = r->grep_icase;
			x->view_id = r->view_id;
			x->view_name = r->view_id ? r->view_name : NULL;
			x->uid_only = r->uid_only;
			x->uid = r->uid;
			x->req = r->req;
			x->req_len = r->req ? (uint32_t)r->req_len : 0;
			x->out = r->out ? r->out + r->out_off : NULL;
			x->out_len = (uint32_t)(r->out_len - r->out_off);
		}
	}
	*out = v;
	*n = k;
	return 0;
}

int readers_import(struct readers *rs, const struct handover_reader *x)
{
	struct reader *r = calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (!r || x->fmt > FMT_EXPORT || x->state > R_WAITING)
		goto fail;
	r->set = rs;
	r->ev.fd = x->fd;
	r->ev.cb = reader_event;
	r->fmt = (enum reader_format)x->fmt;
	r->follow = x->follow;
	r->closing = x->closing;
	r->is_console = x->is_console;
	r->pollable = x->pollable;
	r->has_prio = x->has_prio;
	r->prio_min = x->prio_min;
	r->prio_max = x->prio_max;
	r->fac_mask = x->fac_mask;
	r->pos = (struct ring_pos){ x->pos_seq, x->pos_off };
	r->end_seq = x->end_seq;
	r->sent = x->sent;
	r->missed = x->missed;
	r->deadline_ms = rs->loop->now_ms + rs->cfg.request_timeout_ms;
	list_init(&r->link);
	if (x->nglobs && !(r->globs = calloc(x->nglobs, sizeof(char *))))
		goto fail;
	for (uint32_t g = 0; g < x->nglobs; g++) {
		if (!(r->globs[g] = strndup(x->globs[g], x->glob_len[g])))
			goto fail;
		r->nglobs++;
	}
	r->has_since = x->has_since;
	r->since_ns = x->since_ns;
	r->has_until = x->has_until;
	r->until_ns = x->until_ns;
	r->stream_mask = x->stream_mask;
	r->uid_only = x->uid_only;
	r->uid = x->uid;
	if (x->view_id && (!(r->view_id = strndup(x->view_id, x->view_id_len)) ||
			   !(r->view_name = strndup(x->view_name,
						    x->view_name_len))))
		goto fail;
	/* The old memlogd compiled it: only memory can fail here. */
	if (x->grep && grep_compile(r, x->grep, x->grep_len, x->grep_icase) != 0) {
		err = -EINVAL;
		goto fail;
	}
	if (x->req_len) {
		if (!(r->req = malloc(QUERY_LINE_MAX + 1)) ||
		    x->req_len > QUERY_LINE_MAX + 1)
			goto fail;
		memcpy(r->req, x->req, x->req_len);
		r->req_len = x->req_len;
	}
	if (x->out_len) {
		if (!(r->out = malloc(x->out_len)))
			goto fail;
		memcpy(r->out, x->out, x->out_len);
		r->out_len = r->out_cap = x->out_len;
	}
	enum reader_state st = (enum reader_state)x->state;
	uint32_t events = st == R_BLOCKED ? EPOLLOUT : st == R_REQUEST ? EPOLLIN : 0;
	if (r->pollable && (err = loop_watch(rs->loop, &r->ev, events)) < 0)
		goto fail;
	r->state = st;
	switch (st) {
	case R_ACTIVE: list_add_tail(&rs->active, &r->link); break;
	case R_WAITING: list_add_tail(&rs->waiting, &r->link); break;
	default: list_add_tail(&rs->idle, &r->link); break;
	}
	if (r->is_console)
		rs->console = r;
	else
		rs->n++;
	if (st == R_REQUEST)
		rs->next_deadline_ms = MIN(rs->next_deadline_ms, r->deadline_ms);
	return 0;
fail:
	if (r) {
		for (unsigned g = 0; g < r->nglobs; g++)
			free(r->globs[g]);
		free(r->globs);
		if (r->has_grep)
			regfree(&r->grep);
		free(r->grep_text);
		free(r->view_id);
		free(r->view_name);
		free(r->req);
		free(r->out);
		free(r);
	}
	if (!x->is_console)
		close(x->fd);
	return err;
}
