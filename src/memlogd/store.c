#include "store.h"
#include "jsonenc.h"
#include "record.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* The daemon's own notices: at most this many per second. */
#define NOTICE_RATE 100

static uint64_t random_instance(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
		/* Early boot without entropy yet: time and pid still tell
		 * one start from another. */
		v = now_realtime_ns() ^ ((uint64_t)getpid() << 32);
	}
	return v ? v : 1;
}

static struct state_geometry geometry(const struct store_config *c)
{
	return (struct state_geometry){
		.max_slots = c->max_slots,
		.max_recs = c->max_recs,
		.region_size = c->region_size,
	};
}

static void settings(struct store *s, const struct store_config *c)
{
	s->max_line_len = c->max_line_len;
	s->rate_lines = c->rate_lines;
	s->rate_seconds = c->rate_seconds;
}

int store_init(struct store *s, const struct store_config *c)
{
	struct state_geometry g = geometry(c);
	int r;

	memset(s, 0, sizeof(*s));
	s->state.fd = -1;
	s->ring.memfd = -1;
	settings(s, c);
	s->instance = random_instance();
	r = ring_init(&s->ring, c->buffer_size, c->max_lines, s->instance);
	if (r < 0)
		return r;
	/* Configuration bounds lines well below the ring: a reserve can
	 * always be met by evicting. */
	assert(s->max_line_len + RECORD_ATTRS_MAX + 4 <= ring_msg_max(&s->ring));
	if ((r = state_init(&s->state, &g, s->instance)) < 0 ||
	    (r = srctab_init(&s->srcs, s->state.slots, c->max_slots)) < 0) {
		store_destroy(s);
		return r;
	}
	return 0;
}

int store_adopt(struct store *s, const struct store_config *c, int ring_fd,
		int state_fd, const char **ring_why, const char **state_why)
{
	struct state_geometry g = geometry(c);
	bool have_ring, have_state;
	int r;

	memset(s, 0, sizeof(*s));
	s->state.fd = -1;
	s->ring.memfd = -1;
	settings(s, c);
	*ring_why = *state_why = NULL;
	have_ring = ring_fd >= 0 &&
		    ring_adopt(&s->ring, ring_fd, c->max_lines, ring_why) == 0;
	if (ring_fd >= 0 && !have_ring)
		close(ring_fd);
	have_state = state_fd >= 0 &&
		     state_adopt(&s->state, state_fd, &g, state_why) == 0;
	if (state_fd >= 0 && !have_state)
		close(state_fd);
	if (!have_ring && !have_state)
		return -ENOENT;
	if (have_ring && have_state &&
	    s->state.hdr->instance != s->ring.meta->instance) {
		/* Not each other's: the ring wins, the state goes. */
		*state_why = "it belongs to another ring";
		state_destroy(&s->state);
		have_state = false;
	}
	if (have_ring) {
		s->instance = s->ring.meta->instance;
	} else {
		s->instance = random_instance();
		r = ring_init(&s->ring, c->buffer_size, c->max_lines, s->instance);
		if (r < 0)
			goto fail;
		s->state.hdr->instance = s->instance;
	}
	if (have_state) {
		state_txn_recover(&s->state, s->ring.meta->next_seq);
		r = srctab_adopt(&s->srcs, s->state.slots, c->max_slots);
		if (r == -EUCLEAN) {
			*state_why = "its source table is damaged";
			state_destroy(&s->state);
			have_state = false;
		} else if (r < 0) {
			goto fail;
		}
		/* A new ring: no slot has entries in it. */
		for (uint32_t i = 0; have_state && !have_ring &&
				     i < s->srcs.nslots; i++)
			s->srcs.slots[i].last_seq = 0;
	}
	if (!have_state) {
		if ((r = state_init(&s->state, &g, s->instance)) < 0 ||
		    (r = srctab_init(&s->srcs, s->state.slots, c->max_slots)) < 0)
			goto fail;
	}
	assert(s->max_line_len + RECORD_ATTRS_MAX + 4 <= ring_msg_max(&s->ring));
	return 0;
fail:
	store_destroy(s);
	return r;
}

void store_destroy(struct store *s)
{
	srctab_free(&s->srcs);
	state_destroy(&s->state);
	ring_destroy(&s->ring);
}

void store_entry(struct store *s, uint32_t slot, uint64_t time_ns,
		 uint32_t flags, int priority, int facility, const char *msg,
		 size_t len, const char *attrs, size_t attrs_len)
{
	struct srcinfo *si = srctab_at(&s->srcs, slot);
	uint32_t ml = (uint32_t)len;
	size_t size = attrs_len ? 4 + len + attrs_len : len;

	assert(len <= s->max_line_len && attrs_len <= RECORD_ATTRS_MAX);
	char *dst = ring_reserve(&s->ring, (uint32_t)size);
	if (attrs_len) {
		memcpy(dst, &ml, 4);
		memcpy(dst + 4, msg, len);
		memcpy(dst + 4 + len, attrs, attrs_len);
		flags |= RING_F_ATTRS;
	} else if (len) {
		memcpy(dst, msg, len);
	}
	/* The slot lives as long as an entry names it (srctab_live). */
	si->last_seq = ring_commit(&s->ring, time_ns, slot, flags, priority,
				   facility, (uint32_t)size);
	si->lines++;
	si->bytes += len;
	if (flags & RING_F_PARTIAL)
		si->partial++;
}

void store_source_line(struct store *s, uint32_t rec, uint64_t time_ns,
		       uint32_t eflags, const char *msg, size_t len,
		       loff_t line_at, uint32_t rflags)
{
	struct src_rec *rc = &s->state.recs[rec];
	struct srcinfo *si = srctab_at(&s->srcs, rc->slot);
	struct state_txn t = {
		.kind = TXN_LINE, .rec = rec, .flags = rflags,
		.line_at = line_at, .seq = s->ring.meta->next_seq,
	};

	assert(len <= s->max_line_len);
	char *dst = ring_reserve(&s->ring, (uint32_t)len);
	if (len)
		memcpy(dst, msg, len);
	/* Armed before the entry is published, disarmed once the record
	 * says the same: a crash in between is redone (state.h). */
	state_txn_arm(&s->state, &t);
	si->last_seq = ring_commit(&s->ring, time_ns, rc->slot, eflags,
				   RING_NO_PRIORITY, RING_NO_PRIORITY,
				   (uint32_t)len);
	rc->line_at = line_at;
	rc->flags = rflags;
	state_txn_disarm(&s->state);
	si->lines++;
	si->bytes += len;
	if (eflags & RING_F_PARTIAL)
		si->partial++;
}

void store_source_skip(struct store *s, uint32_t rec, loff_t line_at,
		       uint32_t rflags)
{
	struct src_rec *rc = &s->state.recs[rec];
	/* seq 0 is below every next_seq: redone unconditionally. */
	struct state_txn t = {
		.kind = TXN_LINE, .rec = rec, .flags = rflags,
		.line_at = line_at, .seq = 0,
	};

	state_txn_arm(&s->state, &t);
	rc->line_at = line_at;
	rc->flags = rflags;
	state_txn_disarm(&s->state);
}

void store_source_move(struct store *s, uint32_t rec, loff_t in_at,
		       loff_t line_at, loff_t tee_at)
{
	struct src_rec *rc = &s->state.recs[rec];
	struct state_txn t = {
		.kind = TXN_MOVE, .rec = rec, .in_at = in_at,
		.line_at = line_at, .tee_at = tee_at,
	};

	state_txn_arm(&s->state, &t);
	rc->in_at = in_at;
	rc->line_at = line_at;
	rc->tee_at = tee_at;
	state_txn_disarm(&s->state);
}

/* msg in parts of at most max_line_len (never cut inside a UTF-8
 * character), each with flags, the attributes with the first part. */
static void store_split(struct store *s, uint32_t slot, uint64_t time_ns,
			uint32_t flags, int priority, int facility,
			const char *msg, size_t len, const char *attrs,
			size_t attrs_len)
{
	size_t max = s->max_line_len;

	do {
		size_t n = len;
		uint32_t f = flags;
		if (n > max) {
			n = utf8_complete_prefix(msg, max);
			if (n == 0)
				n = max;
			f |= RING_F_PARTIAL;
		}
		store_entry(s, slot, time_ns, f, priority, facility, msg, n,
			    attrs, attrs_len);
		attrs_len = 0;
		msg += n;
		len -= n;
	} while (len > 0);
}

void store_line(struct store *s, uint32_t slot, uint64_t time_ns,
		uint32_t flags, const char *msg, size_t len)
{
	store_split(s, slot, time_ns, flags, -1, -1, msg, len, NULL, 0);
}

void store_message(struct store *s, uint32_t slot, uint64_t time_ns,
		   int priority, int facility, const char *msg, size_t len,
		   const char *attrs, size_t attrs_len)
{
	store_split(s, slot, time_ns, 0, priority, facility, msg, len, attrs,
		    attrs_len);
}

/* One of memlogd's own notices: with a small --max-line-len (8 bytes at
 * the least) it is stored in parts, as a long line is. */
static void store_self(struct store *s, uint32_t flags, const char *msg,
		       size_t len)
{
	store_split(s, SRCTAB_SELF, now_realtime_ns(), flags, -1, -1, msg, len,
		    NULL, 0);
}

/* The one notice of lines a rate limit dropped. */
static void notice_suppressed(struct store *s, uint32_t slot, uint64_t n)
{
	struct srcinfo *si = srctab_at(&s->srcs, slot);
	char msg[1024];
	int len = snprintf(msg, sizeof(msg),
			   "rate limit: suppressed %llu lines from %s (%s)",
			   (unsigned long long)n, srctab_name(&s->srcs, si),
			   stream_name((enum stream)si->stream));

	if (len > 0)
		store_self(s, RING_F_MARKER, msg, MIN((size_t)len, sizeof(msg) - 1));
}

void store_notice(struct store *s, bool marker, const char *fmt, ...)
{
	struct srcinfo *self = srctab_at(&s->srcs, SRCTAB_SELF);
	char msg[1024];
	uint64_t report;
	va_list ap;

	/* Notices are rare: the clock is read here rather than passed in. */
	if (!ratelimit_pass(&self->rl, NOTICE_RATE, 1, now_mono_ms(), &report)) {
		self->dropped++;
		return;
	}
	if (report)
		notice_suppressed(s, SRCTAB_SELF, report);
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	store_self(s, marker ? RING_F_MARKER : 0, msg,
		   MIN((size_t)n, sizeof(msg) - 1));
}

bool store_rate_pass(struct store *s, uint32_t slot, uint64_t now_ms)
{
	uint64_t report;
	bool pass;

	if (!s->rate_lines)
		return true;
	pass = ratelimit_pass(&srctab_at(&s->srcs, slot)->rl, s->rate_lines,
			      s->rate_seconds, now_ms, &report);
	if (report)
		notice_suppressed(s, slot, report);
	return pass;
}

void store_rate_flush(struct store *s, uint32_t slot, uint64_t now_ms,
		      bool force)
{
	uint64_t n;

	if (!s->rate_lines)
		return;
	n = ratelimit_flush(&srctab_at(&s->srcs, slot)->rl, s->rate_seconds,
			    now_ms, force);
	if (n)
		notice_suppressed(s, slot, n);
}
