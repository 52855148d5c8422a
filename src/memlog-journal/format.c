#include "format.h"
#include "jcursor.h"
#include "jsonenc.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const names[] = {
	[JFORMAT_SHORT] = "short",
	[JFORMAT_SHORT_ISO] = "short-iso",
	[JFORMAT_CAT] = "cat",
	[JFORMAT_JSON] = "json",
};

int jformat_parse(const char *s, enum jformat *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum jformat)i;
			return 0;
		}
	return -EINVAL;
}

const char *jformat_name(enum jformat f)
{
	return (size_t)f < ARRAY_SIZE(names) ? names[f] : "?";
}

/* systemd's utf8_is_printable: what it cannot show as text, journalctl
 * shows as bytes. */
bool jformat_printable(const char *s, size_t len, bool allow_newline)
{
	while (len) {
		uint32_t cp;
		size_t n = utf8_decode(s, len, &cp);
		if (!n)
			return false;
		if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp == '\n' && !allow_newline) ||
		    (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

/* ---- text formats ---- */

static bool all_digits(const struct jfield *f)
{
	if (!f || !f->value_len || f->value_len > 20)
		return false;
	for (size_t i = 0; i < f->value_len; i++)
		if (f->value[i] < '0' || f->value[i] > '9')
			return false;
	return true;
}

static bool shown(const struct jfield *f)
{
	return f && f->value_len &&
	       jformat_printable(f->value, f->value_len, false);
}

/* The display time, as journalctl takes it: the sender's own time stamp
 * when it has a plausible one, else the journal's. */
static uint64_t display_time(const struct jentry *e)
{
	int64_t t = jfield_number(jentry_get(e, "_SOURCE_REALTIME_TIMESTAMP"),
				  INT64_MAX);

	/* VALID_REALTIME: after the epoch and before year 10000. */
	return t > 0 && (uint64_t)t < 253402300799000000ull ? (uint64_t)t
							     : e->realtime_us;
}

static int add_prefix(struct jbuf *b, enum jformat f, const struct jentry *e)
{
	const struct jfield *ident = jentry_get(e, "SYSLOG_IDENTIFIER");
	const struct jfield *comm = jentry_get(e, "_COMM");
	const struct jfield *pid = jentry_get(e, "_PID");
	const struct jfield *spid = jentry_get(e, "SYSLOG_PID");
	int r = 0;

	if (f == JFORMAT_SHORT_ISO) {
		char ts[64];
		struct tm tm;
		time_t sec = (time_t)(display_time(e) / 1000000);
		if (!localtime_r(&sec, &tm) ||
		    !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z ", &tm))
			snprintf(ts, sizeof(ts), "@%" PRIu64 " ",
				 display_time(e) / 1000000);
		r = jbuf_adds(b, ts);
	}
	if (shown(ident))
		r = r ? r : jbuf_add(b, ident->value, ident->value_len);
	else if (shown(comm))
		r = r ? r : jbuf_add(b, comm->value, comm->value_len);
	else
		r = r ? r : jbuf_adds(b, "unknown");
	const struct jfield *p = all_digits(pid) ? pid : all_digits(spid) ? spid : NULL;
	if (p) {
		r = r ? r : jbuf_addc(b, '[');
		r = r ? r : jbuf_add(b, p->value, p->value_len);
		r = r ? r : jbuf_addc(b, ']');
	}
	return r ? r : jbuf_add(b, ": ", 2);
}

/* The message, its further lines indented by indent spaces (journalctl's
 * layout), ending in '\n'. A final newline adds no empty line. */
static int add_lines(struct jbuf *b, const struct jfield *m, size_t indent)
{
	const char *p = m->value, *end = m->value + m->value_len;
	int r = 0;

	for (bool first = true; !r; first = false) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!first) {
			r = jbuf_reserve(b, indent);
			if (r)
				break;
			memset(b->p + b->len, ' ', indent);
			b->len += indent;
		}
		r = jbuf_add(b, p, (size_t)(le - p));
		r = r ? r : jbuf_addc(b, '\n');
		if (!nl || nl + 1 == end)
			break;
		p = nl + 1;
	}
	return r;
}

static int text_entry(struct jbuf *b, enum jformat f, const struct jentry *e)
{
	const struct jfield *m = jentry_get(e, "MESSAGE");
	size_t start = b->len;
	int r;

	if (!m)
		return 0;
	if (f == JFORMAT_CAT) {
		r = jbuf_add(b, m->value, m->value_len);
		return r ? r : jbuf_addc(b, '\n');
	}
	r = add_prefix(b, f, e);
	return r ? r : add_lines(b, m, b->len - start);
}

/* ---- json ---- */

static int json_str(struct jbuf *b, const char *s, size_t len)
{
	int r = jbuf_reserve(b, JSON_ESCAPE_BOUND(len) + 2);

	if (r)
		return r;
	b->p[b->len++] = '"';
	b->len += json_escape(b->p + b->len, s, len);
	b->p[b->len++] = '"';
	return 0;
}

static int json_value(struct jbuf *b, const char *s, size_t len)
{
	if (jformat_printable(s, len, true))
		return json_str(b, s, len);
	/* "[1,2,3]": at most 4 bytes per byte, and the brackets. */
	int r = jbuf_reserve(b, len * 4 + 2);
	if (r)
		return r;
	b->p[b->len++] = '[';
	for (size_t i = 0; i < len; i++)
		b->len += (size_t)sprintf(b->p + b->len, i ? ",%u" : "%u",
					  (unsigned char)s[i]);
	b->p[b->len++] = ']';
	return 0;
}

static int json_member(struct jbuf *b, bool *first, const char *name,
		       const char *v, size_t vl)
{
	int r = *first ? 0 : jbuf_addc(b, ',');

	*first = false;
	r = r ? r : json_str(b, name, strlen(name));
	r = r ? r : jbuf_addc(b, ':');
	return r ? r : json_value(b, v, vl);
}

static bool same_name(const struct jfield *a, const struct jfield *b)
{
	return a->name_len == b->name_len &&
	       memcmp(a->name, b->name, a->name_len) == 0;
}

static bool is_name(const struct jfield *f, const char *s)
{
	return f->name_len == strlen(s) && memcmp(f->name, s, f->name_len) == 0;
}

/* The fields from the entry's data: a name the entry has more than once
 * becomes one member whose value is an array, at its first place.
 * _BOOT_ID comes from the entry's header instead, as in journalctl. */
static int json_fields(struct jbuf *b, bool *first, const struct jentry *e)
{
	int r = 0;

	for (size_t i = 0; i < e->nfields && !r; i++) {
		const struct jfield *f = &e->fields[i];
		size_t later = 0, j;
		if (is_name(f, "_BOOT_ID"))
			continue;
		for (j = 0; j < i && !same_name(&e->fields[j], f); j++)
			;
		if (j < i)
			continue; /* written with its first */
		for (j = i + 1; j < e->nfields; j++)
			later += same_name(&e->fields[j], f);
		r = *first ? 0 : jbuf_addc(b, ',');
		*first = false;
		r = r ? r : json_str(b, f->name, f->name_len);
		r = r ? r : jbuf_addc(b, ':');
		if (!later) {
			r = r ? r : json_value(b, f->value, f->value_len);
			continue;
		}
		r = r ? r : jbuf_addc(b, '[');
		for (j = i; j < e->nfields && !r; j++) {
			if (!same_name(&e->fields[j], f))
				continue;
			if (j > i)
				r = jbuf_addc(b, ',');
			r = r ? r : json_value(b, e->fields[j].value,
					       e->fields[j].value_len);
		}
		r = r ? r : jbuf_addc(b, ']');
	}
	return r;
}

static int json_entry(struct jbuf *b, const struct jentry *e)
{
	char num[24];
	bool first = true;
	struct jcursor c;
	int r = jbuf_addc(b, '{');

	if (!r && e->cursor)
		r = json_member(b, &first, "__CURSOR", e->cursor,
				strlen(e->cursor));
	snprintf(num, sizeof(num), "%" PRIu64, e->realtime_us);
	r = r ? r : json_member(b, &first, "__REALTIME_TIMESTAMP", num,
				strlen(num));
	if (e->boot_id) {
		snprintf(num, sizeof(num), "%" PRIu64, e->monotonic_us);
		r = r ? r : json_member(b, &first, "__MONOTONIC_TIMESTAMP", num,
					strlen(num));
		r = r ? r : json_member(b, &first, "_BOOT_ID", e->boot_id,
					strlen(e->boot_id));
	}
	/* systemd 254 and later add these; 252's journalctl does not, but
	 * they let a consumer see a gap: they come from the cursor. */
	if (!r && e->cursor &&
	    jcursor_parse(e->cursor, strlen(e->cursor), &c) == 0 &&
	    (c.has & JCURSOR_HAS_SEQNUM)) {
		snprintf(num, sizeof(num), "%" PRIu64, c.seqnum);
		r = json_member(b, &first, "__SEQNUM", num, strlen(num));
		r = r ? r : json_member(b, &first, "__SEQNUM_ID", c.seqnum_id,
					strlen(c.seqnum_id));
	}
	r = r ? r : json_fields(b, &first, e);
	r = r ? r : jbuf_add(b, "}\n", 2);
	return r;
}

int jformat_entry(struct jbuf *b, enum jformat f, const struct jentry *e)
{
	size_t start = b->len;
	int r = f == JFORMAT_JSON ? json_entry(b, e) : text_entry(b, f, e);

	if (r < 0) {
		b->len = start;
		return r;
	}
	return (int)(b->len - start);
}
