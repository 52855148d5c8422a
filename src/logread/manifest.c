#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "regmsg.h"
#include "timefmt.h"
#include "util.h"

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->nsrcs; i++)
		free(m->srcs[i].name);
	free(m->srcs);
	free(m->index);
	free(m->losses);
	memset(m, 0, sizeof(*m));
}

static uint32_t hash(const char *s, size_t len, uint8_t stream)
{
	uint32_t h = 2166136261u ^ stream;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static bool same(const struct manifest_source *s, const char *name,
		 size_t len, uint8_t stream)
{
	return s->stream == stream && s->name_len == len &&
	       !memcmp(s->name, name, len);
}

/* Keeps the index at most half full. */
static int index_grow(struct manifest *m)
{
	size_t cap = m->index_cap ? m->index_cap * 2 : 64;
	uint32_t *idx;

	if (m->nsrcs * 2 < m->index_cap)
		return 0;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < m->nsrcs; i++) {
		const struct manifest_source *s = &m->srcs[i];
		size_t j = hash(s->name, s->name_len, s->stream) & (cap - 1);
		while (idx[j])
			j = (j + 1) & (cap - 1);
		idx[j] = (uint32_t)i + 1;
	}
	free(m->index);
	m->index = idx;
	m->index_cap = cap;
	return 0;
}

int manifest_source(struct manifest *m, const char *name, size_t len,
		    uint8_t stream)
{
	struct manifest_source *s;
	size_t j;

	if (m->index_cap) {
		j = hash(name, len, stream) & (m->index_cap - 1);
		for (; m->index[j]; j = (j + 1) & (m->index_cap - 1))
			if (same(&m->srcs[m->index[j] - 1], name, len, stream))
				return (int)m->index[j] - 1;
	}
	if (m->nsrcs == MANIFEST_SOURCES_MAX)
		return -ENOSPC;
	if (m->nsrcs == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		s = realloc(m->srcs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		m->srcs = s;
		m->cap = cap;
	}
	s = &m->srcs[m->nsrcs];
	memset(s, 0, sizeof(*s));
	s->name = malloc(len + 1);
	if (!s->name)
		return -ENOMEM;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->name_len = len;
	s->stream = stream;
	m->nsrcs++;
	if (index_grow(m) < 0) {
		free(m->srcs[--m->nsrcs].name);
		return -ENOMEM;
	}
	j = hash(name, len, stream) & (m->index_cap - 1);
	while (m->index[j] && m->index[j] != m->nsrcs)
		j = (j + 1) & (m->index_cap - 1);
	m->index[j] = (uint32_t)m->nsrcs;
	return (int)m->nsrcs - 1;
}

/* Room for one more listed loss: 1, 0 when the list is full (the loss is
 * only counted), -ENOMEM. */
static int loss_room(struct manifest *m)
{
	struct manifest_loss *l;
	size_t cap;

	if (m->nlosses == MANIFEST_LOSSES_MAX)
		return 0;
	if (m->nlosses < m->losses_cap)
		return 1;
	cap = m->losses_cap ? m->losses_cap * 2 : 16;
	l = realloc(m->losses, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	m->losses = l;
	m->losses_cap = cap;
	return 1;
}

static void loss_text(struct manifest_loss *l, const char *s, size_t len)
{
	l->text_len = MIN(len, (size_t)MANIFEST_TEXT_MAX);
	memcpy(l->text, s, l->text_len);
	l->text[l->text_len] = '\0';
}

bool manifest_is_restart(const char *msg, size_t len)
{
	/* memlogd's words (src/memlogd/daemon.c, main.c). */
	static const char *const starts[] = {
		"took over the ring", "upgraded: ",
		"the ring of the last memlogd was not taken over",
	};

	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		size_t n = strlen(starts[i]);
		if (len >= n && !memcmp(msg, starts[i], n))
			return true;
	}
	return false;
}

static void restart_seen(struct manifest *m, const struct binrec *r,
			 const char *text, size_t text_len)
{
	m->restarts_seen++;
	if (m->nrestarts == MANIFEST_RESTARTS_MAX)
		return;
	struct manifest_restart *x = &m->restarts[m->nrestarts++];
	x->seq = r->seq;
	x->time_ns = r->time_ns;
	x->text_len = MIN(text_len, (size_t)MANIFEST_TEXT_MAX);
	memcpy(x->text, text, x->text_len);
	x->text[x->text_len] = '\0';
}

int manifest_entry(struct manifest *m, unsigned si,
		   const struct binstream_item *it, const char *text,
		   size_t text_len, unsigned redacted)
{
	struct manifest_source *s = &m->srcs[si];
	const struct binrec *r = &it->rec;
	int k;

	if (!s->entries) {
		s->first_seq = r->seq;
		s->first_ns = r->time_ns;
	}
	s->entries++;
	s->last_seq = r->seq;
	s->last_ns = r->time_ns;
	s->bytes += r->msg_len;
	if (r->flags & BINREC_PARTIAL)
		s->partial++;
	else
		s->lines++;
	s->redacted += redacted;
	m->redacted += redacted;
	if (s->stream == STREAM_NONE && s->name_len == 7 &&
	    !memcmp(s->name, "memlogd", 7) &&
	    manifest_is_restart(r->msg, r->msg_len))
		restart_seen(m, r, text, text_len);
	if (!(r->flags & BINREC_NOTICE))
		return 0;
	s->notices++;
	m->notices++;
	k = loss_room(m);
	if (k <= 0)
		return k;
	struct manifest_loss *l = &m->losses[m->nlosses++];
	memset(l, 0, sizeof(*l));
	l->seq = r->seq;
	l->time_ns = r->time_ns;
	l->src = si;
	l->missed = -1;
	loss_text(l, text, text_len);
	return 0;
}

int manifest_marker(struct manifest *m, const struct binstream_item *it)
{
	const struct binrec *r = &it->rec;
	int k;

	m->markers++;
	if (r->reason_len == 14 && !memcmp(r->reason, "foreign-cursor", 14))
		m->foreign_cursor = true;
	if (r->missed >= 0)
		m->missed += (uint64_t)r->missed;
	else
		m->missed_unknown = true;
	k = loss_room(m);
	if (k <= 0)
		return k;
	struct manifest_loss *l = &m->losses[m->nlosses++];
	memset(l, 0, sizeof(*l));
	l->marker = true;
	l->missed = r->missed;
	l->first = r->first;
	l->last = r->last;
	l->time_ns = r->time_ns;
	memcpy(l->reason, r->reason, MIN(r->reason_len, sizeof(l->reason) - 1));
	loss_text(l, r->msg, r->msg_len);
	return 0;
}

/* A JSON string of any bytes: what is not UTF-8 (and NUL) as \xNN. */
static json_t *jtext(const char *s, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	json_t *j;
	char *b;
	size_t o = 0;

	j = json_stringn(s, len);
	if (j || !len)
		return j ? j : json_string("");
	b = malloc(len * 4 + 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = s[i] ? utf8_decode(s + i, len - i, NULL) : 0;
		if (n) {
			memcpy(b + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		unsigned char c = (unsigned char)s[i++];
		b[o++] = '\\';
		b[o++] = 'x';
		b[o++] = hexd[c >> 4];
		b[o++] = hexd[c & 15];
	}
	j = json_stringn(b, o);
	free(b);
	return j;
}

static json_t *jtime(uint64_t ns)
{
	char t[TIMEFMT_MAX];

	return json_stringn(t, time_format_rfc3339nano(t, ns));
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* The stats' entry of this source, or NULL. */
static json_t *stats_source(json_t *stats, const struct manifest_source *s)
{
	json_t *a = json_object_get(stats, "sources"), *o;
	const char *sn = stream_name((enum stream)s->stream);
	size_t i;

	json_array_foreach(a, i, o) {
		json_t *n = json_object_get(o, "name");
		json_t *st = json_object_get(o, "stream");
		if (json_is_string(n) && json_string_length(n) == s->name_len &&
		    !memcmp(json_string_value(n), s->name, s->name_len) &&
		    json_is_string(st) && !strcmp(json_string_value(st), sn))
			return o;
	}
	return NULL;
}

static json_t *source_json(const struct manifest_source *s,
			   const struct manifest_info *i)
{
	json_t *st = stats_source(i->stats, s);
	json_t *dropped = st ? json_object_get(st, "dropped") : NULL;

	return json_pack("{s:o, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:o, s:o, s:O?, s:I}",
		"name", jtext(s->name, s->name_len),
		"stream", stream_name((enum stream)s->stream),
		"file", s->file < i->nfiles ? i->files[s->file] : NULL,
		"entries", (json_int_t)s->entries,
		"lines", (json_int_t)s->lines,
		"partial", (json_int_t)s->partial,
		"bytes", (json_int_t)s->bytes,
		"notices", (json_int_t)s->notices,
		"first_seq", (json_int_t)s->first_seq,
		"last_seq", (json_int_t)s->last_seq,
		"first_time", jtime(s->first_ns),
		"last_time", jtime(s->last_ns),
		"dropped", json_is_integer(dropped) ? dropped : NULL,
		"redacted", (json_int_t)s->redacted);
}

static json_t *loss_json(const struct manifest *m,
			 const struct manifest_loss *l)
{
	if (l->marker)
		return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
			"kind", "marker", "reason", l->reason,
			"missed", l->missed >= 0 ? jint((uint64_t)l->missed) :
						   json_null(),
			"first_seq", l->first ? jint(l->first) : json_null(),
			"last_seq", jint(l->last),
			"time", jtime(l->time_ns),
			"text", jtext(l->text, l->text_len));
	const struct manifest_source *s = &m->srcs[l->src];
	return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}",
		"kind", "notice",
		"source", jtext(s->name, s->name_len),
		"stream", stream_name((enum stream)s->stream),
		"seq", jint(l->seq), "time", jtime(l->time_ns),
		"text", jtext(l->text, l->text_len));
}

static json_t *ring_json(json_t *stats)
{
	json_t *r = json_object_get(stats, "ring");
	static const char *const keys[] = { "size", "used", "entries",
					    "oldest_seq", "newest_seq" };
	json_t *o;

	if (!json_is_object(r))
		return json_null();
	o = json_object();
	for (size_t k = 0; o && k < ARRAY_SIZE(keys); k++) {
		json_t *v = json_object_get(r, keys[k]);
		json_object_set(o, keys[k], v ? v : json_null());
	}
	return o;
}

/* The daemon the dump came from, and whether the stats (asked right
 * after, on a second connection) are of the same run: a memlogd that
 * lost its ring meanwhile starts a new instance. */
static json_t *daemon_json(const struct manifest *m,
			   const struct manifest_info *i)
{
	char inst[17];
	json_t *v = json_object_get(i->stats, "version");
	json_t *si = json_object_get(i->stats, "instance");
	bool same;

	json_t *rs = json_array();

	snprintf(inst, sizeof(inst), "%016llx",
		 (unsigned long long)m->instance);
	same = json_is_string(si) && !strcmp(json_string_value(si), inst);
	for (size_t k = 0; rs && k < m->nrestarts; k++) {
		const struct manifest_restart *x = &m->restarts[k];
		if (json_array_append_new(rs, json_pack("{s:o, s:o, s:o}",
				"seq", jint(x->seq), "time", jtime(x->time_ns),
				"text", jtext(x->text, x->text_len))) < 0) {
			json_decref(rs);
			return NULL;
		}
	}
	return json_pack("{s:O?, s:s?, s:O?, s:b, s:O?, s:O?, s:o, s:I, s:b}",
		"version", json_is_string(v) ? v : NULL,
		"instance", m->hello ? inst : NULL,
		"stats_instance", json_is_string(si) ? si : NULL,
		"same_instance", m->hello && same,
		"upgrades", json_object_get(i->stats, "upgrades"),
		"takeovers", json_object_get(i->stats, "takeovers"),
		"restarts", rs,
		"restarts_seen", (json_int_t)m->restarts_seen,
		"foreign_cursor", m->foreign_cursor);
}

static int add(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *strings(const char *const *s, size_t n)
{
	json_t *a = json_array();

	for (size_t k = 0; a && k < n; k++)
		if (s[k] && json_array_append_new(a, json_string(s[k])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *manifest_json(const struct manifest *m, const struct manifest_info *i)
{
	json_t *o = json_object(), *srcs = json_array(), *losses = json_array();
	int bad = !o || !srcs || !losses;

	for (size_t k = 0; !bad && k < m->nsrcs; k++)
		bad |= json_array_append_new(srcs, source_json(&m->srcs[k], i));
	for (size_t k = 0; !bad && k < m->nlosses; k++)
		bad |= json_array_append_new(losses, loss_json(m, &m->losses[k]));
	bad |= add(o, "manifest_version", json_integer(MANIFEST_VERSION));
	bad |= add(o, "logread_version", json_string(MEMLOG_VERSION));
	bad |= add(o, "host", jtext(i->host, strlen(i->host)));
	bad |= add(o, "time", jtime(i->now_ns));
	bad |= add(o, "request", json_string(i->request));
	bad |= add(o, "memlogd", daemon_json(m, i));
	bad |= add(o, "ring", ring_json(i->stats));
	if (i->stats_error)
		bad |= add(o, "stats_error", json_string(i->stats_error));
	bad |= add(o, "redact", strings(i->redact, i->nredact));
	bad |= add(o, "redacted", jint(m->redacted));
	bad |= add(o, "files", strings(i->files, i->nfiles));
	bad |= add(o, "kernel_file", i->kernel_file ?
		   json_string(i->kernel_file) : json_null());
	bad |= add(o, "sources", srcs);
	srcs = NULL;
	bad |= add(o, "losses", json_pack("{s:I, s:I, s:o, s:b, s:I}",
		"markers", (json_int_t)m->markers,
		"notices", (json_int_t)m->notices,
		"missed", jint(m->missed),
		"missed_unknown", m->missed_unknown,
		"not_listed", (json_int_t)(m->markers + m->notices -
					   m->nlosses)));
	bad |= add(o, "loss_markers", losses);
	losses = NULL;
	if (bad) {
		json_decref(srcs);
		json_decref(losses);
		json_decref(o);
		return NULL;
	}
	return o;
}
