#include "stats.h"
#include "jsonenc.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += MIN((size_t)n, b->cap - b->len - 1);
}

static void sb_str(struct sbuf *b, const char *s, size_t len)
{
	/* The buffer was sized for the worst case of every name. */
	b->p[b->len++] = '"';
	b->len += json_escape(b->p + b->len, s, len);
	b->p[b->len++] = '"';
}

size_t stats_encode(const struct stats_view *v, char **out)
{
	const struct srctab *t = &v->store->srcs;
	const struct ring_meta *m = v->store->ring.meta;
	struct sbuf b = { 0 };
	bool first = true;

	b.cap = 2048 + ctrreg_json_bound(v->ctrs);
	for (uint32_t i = 0; i < t->nslots; i++)
		if (srctab_live(&t->slots[i], m->oldest_seq))
			b.cap += 400 + JSON_ESCAPE_BOUND(t->slots[i].name_len);
	b.p = malloc(b.cap);
	if (!b.p)
		return 0;

	const struct state_hdr *sh = v->store->state.hdr;
	sb_printf(&b, "{\"version\":\"%s\",\"instance\":\"%016llx\","
		  "\"uptime_ms\":%llu,\"pid\":%d,\"upgrades\":%llu,"
		  "\"upgrades_failed\":%llu,\"takeovers\":%llu,",
		  MEMLOG_VERSION, (unsigned long long)v->store->instance,
		  (unsigned long long)v->uptime_ms, v->pid,
		  (unsigned long long)sh->upgrades,
		  (unsigned long long)sh->upgrades_failed,
		  (unsigned long long)sh->takeovers);
	if (v->holder >= 0)
		sb_printf(&b, "\"fd_holder\":{\"connected\":%s,\"pid\":%d,"
			  "\"refused\":%llu,\"restarted\":%llu,"
			  "\"waiting\":%u},",
			  v->holder ? "true" : "false", v->holder_pid,
			  (unsigned long long)v->holder_put_failed,
			  (unsigned long long)v->holder_respawns,
			  v->holder_waiting);
	if (v->fd_store)
		sb_printf(&b, "\"fd_store\":{\"refused\":%llu,\"waiting\":%u},",
			  (unsigned long long)v->fd_store_failed,
			  v->fd_store_waiting);
	sb_printf(&b, "\"ring\":{\"size\":%llu,\"used\":%llu,\"entries\":%llu,"
		  "\"oldest_seq\":%llu,\"newest_seq\":%llu,\"max_entries\":%llu,"
		  "\"max_line_len\":%u},",
		  (unsigned long long)m->size, (unsigned long long)m->used,
		  (unsigned long long)ring_count(&v->store->ring),
		  (unsigned long long)m->oldest_seq,
		  (unsigned long long)(m->next_seq - 1),
		  (unsigned long long)m->max_entries, v->max_line_len);
	sb_printf(&b, "\"readers\":{\"connected\":%u,\"max\":%u,\"refused\":%llu,"
		  "\"bad_requests\":%llu,\"legacy_requests\":%llu,"
		  "\"binary_requests\":%llu},",
		  v->readers->n, v->max_readers,
		  (unsigned long long)v->readers->refused,
		  (unsigned long long)v->readers->requests_bad,
		  (unsigned long long)v->readers->requests_legacy,
		  (unsigned long long)v->readers->requests_binary);
	sb_printf(&b, "\"registrations\":{\"sources_open\":%u,\"max_sources\":%u,"
		  "\"accepted\":%llu,\"refused\":%llu,\"without_fd\":%llu,"
		  "\"fds_lost\":%llu,\"names_truncated\":%llu,"
		  "\"bad_attributes\":%llu,\"tees_open\":%u,"
		  "\"tees_broken\":%llu,\"not_kept\":%llu},",
		  v->sources->n, v->sources->max,
		  (unsigned long long)v->reg->accepted,
		  (unsigned long long)v->reg->refused,
		  (unsigned long long)v->reg->no_fd,
		  (unsigned long long)v->reg->lost_fds,
		  (unsigned long long)v->reg->names_truncated,
		  (unsigned long long)v->reg->bad_attrs, v->sources->ntees,
		  (unsigned long long)v->sources->tees_broken,
		  (unsigned long long)v->sources->keep_failed);
	if (v->kmsg && v->kmsg_clock_known)
		sb_printf(&b, "\"kmsg\":{\"clock_offset_us\":%lld,",
			  (long long)v->kmsg_clock_offset_us);
	else if (v->kmsg)
		sb_printf(&b, "\"kmsg\":{\"clock_offset_us\":null,");
	if (v->kmsg)
		sb_printf(&b, "\"relays\":%llu},",
			  (unsigned long long)v->kmsg_relays);
	b.len += ctrreg_json(v->ctrs, b.p + b.len, v->now_ms);
	sb_printf(&b, ",\"sources\":[");
	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct srcinfo *s = &t->slots[i];
		if (!srctab_live(s, m->oldest_seq))
			continue;
		sb_printf(&b, "%s{\"name\":", first ? "" : ",");
		first = false;
		sb_str(&b, srctab_name(t, s), s->name_len);
		sb_printf(&b, ",\"stream\":\"%s\",\"fds\":%u",
			  stream_name((enum stream)s->stream),
			  i == SRCTAB_SELF ? 0 : s->fds);
		if (s->pid >= 0)
			sb_printf(&b, ",\"pid\":%d,\"uid\":%u", s->pid, s->uid);
		sb_printf(&b, ",\"lines\":%llu,\"bytes\":%llu,\"dropped\":%llu,"
			  "\"partial\":%llu",
			  (unsigned long long)s->lines,
			  (unsigned long long)s->bytes,
			  (unsigned long long)s->dropped,
			  (unsigned long long)s->partial);
		/* Only for sources that were ever tee'd: LinuxKit-era readers
		 * of this object see nothing new otherwise. */
		if (s->copied || s->copy_waits)
			sb_printf(&b, ",\"copied\":%llu,\"copy_waits\":%llu",
				  (unsigned long long)s->copied,
				  (unsigned long long)s->copy_waits);
		sb_printf(&b, "}");
	}
	sb_printf(&b, "]}\n");
	*out = b.p;
	return b.len;
}
