#include "output.h"
#include "wordscan.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "export.h"
#include "record.h"
#include "timefmt.h"
#include "util.h"

int output_format_parse(const char *s, enum out_format *f)
{
	static const struct {
		const char *name;
		enum out_format f;
	} names[] = {
		{ "legacy", OUT_LEGACY },
		{ "short", OUT_SHORT },
		{ "json", OUT_JSON },
		{ "raw", OUT_RAW },
		{ "export", OUT_EXPORT },
		{ "short-iso", OUT_SHORT_ISO },
		{ "short-precise", OUT_SHORT_PRECISE },
		{ "cat", OUT_CAT },
		{ "json-pretty", OUT_JSON_PRETTY },
		{ "prometheus", OUT_PROMETHEUS },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*f = names[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

void output_init(struct output *o, int fd, enum out_format f, bool escape)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->format = f;
	o->escape = escape;
	o->chunked = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode);
	timecache_init(&o->tc);
}

void output_free(struct output *o)
{
	free(o->starts);
	o->starts = NULL;
	o->nstarts = o->starts_cap = 0;
	free(o->buf);
	free(o->mid_key);
	o->buf = o->mid_key = NULL;
	o->len = o->cap = o->mid_key_len = 0;
}

static int reserve(struct output *o, size_t n)
{
	size_t ncap;
	char *nbuf;

	if (o->cap - o->len >= n)
		return 0;
	ncap = o->cap ? o->cap : OUTPUT_FLUSH_AT * 2;
	while (ncap - o->len < n) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	nbuf = realloc(o->buf, ncap);
	if (!nbuf)
		return -ENOMEM;
	o->buf = nbuf;
	o->cap = ncap;
	return 0;
}

/* The rest put bytes into room made by reserve(). */
static void put(struct output *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_hex(struct output *o, unsigned char c)
{
	static const char hexd[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hexd[c >> 4], hexd[c & 15] };

	put(o, e, 4);
}

/* Is s[0..len) valid UTF-8 (ASCII checked 8 bytes at a time)? */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;
		if (i + 8 <= len && !word_has_high(word_load(s + i))) {
			i += 8;
			continue;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (!(n = utf8_decode(s + i, len - i, &cp)))
			return false;
		i += n;
	}
	return true;
}

/* Writes a field, escaped for a terminal if asked, and with ';' as "\;"
 * if semi is set. Needs 4 bytes of room per input byte. */
static void put_text(struct output *o, struct reply_field f, bool semi)
{
	const unsigned char *s = (const unsigned char *)f.ptr;
	size_t i, run = 0;

	if (!o->escape && !semi &&
	    (!o->as_linuxkit || utf8_valid(s, f.len))) {
		put(o, f.ptr, f.len);
		return;
	}
	for (i = 0; i < f.len; i++) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (o->as_linuxkit && c >= 0x80) {
			n = utf8_decode(s + i, f.len - i, &cp);
			if (n == 0) {
				/* As Go's JSON encoder: each byte on its
				 * own. */
				put(o, f.ptr + run, i - run);
				put(o, "\xef\xbf\xbd", 3);
				run = i + 1;
				continue;
			}
			if (!(o->escape && cp >= 0x80 && cp <= 0x9f)) {
				i += n - 1; /* a character, kept whole */
				continue;
			}
		}
		bool c0 = (c < 0x20 && c != '\t') || c == 0x7f;
		/* U+0080..U+009F: C1 controls such as CSI, in UTF-8 */
		bool c1 = c == 0xc2 && i + 1 < f.len && s[i + 1] >= 0x80 &&
			  s[i + 1] <= 0x9f;

		if (semi && c == ';') {
			put(o, f.ptr + run, i - run);
			put(o, "\\;", 2);
			run = i + 1;
		} else if (o->escape && (c0 || c1)) {
			put(o, f.ptr + run, i - run);
			put_hex(o, c);
			if (c1)
				put_hex(o, s[++i]);
			run = i + 1;
		}
	}
	put(o, f.ptr + run, f.len - run);
}

/* raw: identifies the source a partial piece belongs to. */
static bool same_key(const struct output *o, const struct reply_entry *e)
{
	size_t n = e->source.len;

	return o->mid_key_len == n + 1 + e->stream.len &&
	       memcmp(o->mid_key, e->source.ptr, n) == 0 &&
	       o->mid_key[n] == '\0' &&
	       (e->stream.len == 0 ||
		memcmp(o->mid_key + n + 1, e->stream.ptr, e->stream.len) == 0);
}

static int set_key(struct output *o, const struct reply_entry *e)
{
	size_t n = e->source.len + 1 + e->stream.len;
	char *k = realloc(o->mid_key, n ? n : 1);

	if (!k)
		return -ENOMEM;
	memcpy(k, e->source.ptr, e->source.len);
	k[e->source.len] = '\0';
	if (e->stream.len)
		memcpy(k + e->source.len + 1, e->stream.ptr, e->stream.len);
	o->mid_key = k;
	o->mid_key_len = n;
	return 0;
}

static void put_msg(struct output *o, struct reply_field f, const char *sgr);

static int output_raw(struct output *o, const struct reply_entry *e,
		      const char *sgr)
{
	int r;

	if (reserve(o, 4 * e->msg.len + 18) < 0)
		return -ENOMEM;
	if (o->midline && !same_key(o, e))
		put(o, "\n", 1);
	put_msg(o, e->msg, sgr);
	o->midline = e->partial;
	if (!e->partial) {
		put(o, "\n", 1);
		return 0;
	}
	r = set_key(o, e);
	return r;
}

/* reverse: remembers where the next entry starts. */
static int entry_start(struct output *o)
{
	if (!o->reverse)
		return 0;
	if (o->len > OUTPUT_REVERSE_MAX)
		return -EFBIG;
	if (o->format == OUT_RAW && o->midline)
		return 0; /* the pieces of a line stay one line, in order */
	if (o->nstarts == o->starts_cap) {
		size_t ncap = o->starts_cap ? 2 * o->starts_cap : 1024;
		size_t *n = realloc(o->starts, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		o->starts = n;
		o->starts_cap = ncap;
	}
	o->starts[o->nstarts++] = o->len;
	return 0;
}

#define SGR_RESET "\033[0m"

/* The colour of an entry's MSG, or NULL. */
static const char *entry_color(const struct output *o, int priority,
			       bool stderr_stream, bool marker)
{
	if (!o->color)
		return NULL;
	if (marker)
		return "\033[1;33m";
	if (priority >= 0 && priority <= 3)
		return "\033[1;31m";
	switch (priority) {
	case 4: return "\033[1;33m";
	case 5: return "\033[1m";
	case 7: return "\033[2m";
	case 6: return NULL;
	default: return stderr_stream ? "\033[31m" : NULL;
	}
}

/* MSG, escaped as put_text does, in colour sgr if not NULL. Needs
 * 4 * len + 16 bytes of room. */
static void put_msg(struct output *o, struct reply_field f, const char *sgr)
{
	if (sgr)
		put(o, sgr, strlen(sgr));
	put_text(o, f, false);
	if (sgr)
		put(o, SGR_RESET, sizeof(SGR_RESET) - 1);
}

/* ns since the epoch as RFC 3339 in the local zone with its offset; the
 * fraction (trailing zeros trimmed) if frac. */
static size_t local_rfc3339(char out[TIMEFMT_MAX], uint64_t ns, bool frac)
{
	time_t secs = (time_t)(ns / 1000000000u);
	uint32_t f = (uint32_t)(ns % 1000000000u);
	struct tm tm;
	size_t n;

	if (!localtime_r(&secs, &tm))
		return time_format_rfc3339nano(out, ns);
	n = strftime(out, TIMEFMT_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac && f) {
		int digits = 9;
		while (f % 10 == 0) {
			f /= 10;
			digits--;
		}
		n += (size_t)snprintf(out + n, TIMEFMT_MAX - n, ".%0*u", digits,
				      (unsigned)f);
	}
	long off = tm.tm_gmtoff / 60;
	n += (size_t)snprintf(out + n, TIMEFMT_MAX - n, "%c%02ld:%02ld",
			      off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	return n;
}

static int format_entry(struct output *o, const struct reply_entry *e,
			const char *line, size_t line_len, const char *sgr)
{
	size_t need;
	char tbuf[TIMEFMT_MAX];
	uint64_t ns;

	/* LinuxKit's protocol: the server's UTC text, shown in local time
	 * when asked. */
	if (o->local && !e->marker && e->time.len > 0 && e->time.len < 64 &&
	    e->time.ptr[e->time.len - 1] == 'Z' &&
	    time_parse_rfc3339(e->time.ptr, e->time.len, &ns) == 0) {
		struct reply_entry le = *e;
		le.time = (struct reply_field){ tbuf, local_rfc3339(tbuf, ns, true) };
		o->local = false;
		int r = format_entry(o, &le, line, line_len, sgr);
		o->local = true;
		return r;
	}

	switch (o->format) {
	case OUT_JSON:
		if (reserve(o, line_len + 1) < 0)
			return -ENOMEM;
		put(o, line, line_len);
		put(o, "\n", 1);
		return 0;
	case OUT_RAW:
		return output_raw(o, e, sgr);
	case OUT_CAT:
		if (reserve(o, 4 * e->msg.len + 17) < 0)
			return -ENOMEM;
		put_msg(o, e->msg, sgr);
		put(o, "\n", 1);
		return 0;
	default: /* the short forms and legacy below; export and
		  * json-pretty come from output_record() only */
		break;
	}

	/* Worst case: every byte escaped to four. */
	need = 4 * (e->time.len + e->source.len + e->stream.len + e->msg.len) + 24;
	if (reserve(o, need) < 0)
		return -ENOMEM;
	put_text(o, e->time, false);
	if (o->format == OUT_LEGACY) {
		put(o, ";", 1);
		put_text(o, e->source, true);
		put(o, ";", 1);
	} else {
		put(o, " ", 1);
		put_text(o, e->source, false);
		if (e->stream.ptr) {
			put(o, "[", 1);
			put_text(o, e->stream, false);
			put(o, "]", 1);
		}
		put(o, ": ", 2);
	}
	put_msg(o, e->msg, sgr);
	put(o, "\n", 1);
	return 0;
}

int output_entry(struct output *o, const struct reply_entry *e, const char *line,
		 size_t line_len)
{
	int r = entry_start(o);

	return r < 0 ? r : format_entry(o, e, line, line_len,
					entry_color(o, -1, false, e->marker));
}

/* json-pretty: the v2 object written at buf[at..len) again, indented. */
static int pretty(struct output *o, size_t at)
{
	json_t *j = json_loadb(o->buf + at, o->len - at, JSON_ALLOW_NUL, NULL);
	char *s;

	o->len = at;
	if (!j)
		return -ENOMEM; /* our own encoder's line always parses */
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	if (reserve(o, n + 1) < 0) {
		free(s);
		return -ENOMEM;
	}
	put(o, s, n);
	put(o, "\n", 1);
	free(s);
	return 0;
}

/* The time of an entry as the format writes it, in UTC. */
static size_t format_time(struct output *o, char out[TIMEFMT_MAX],
			  uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	size_t n;

	switch (o->format) {
	case OUT_SHORT_ISO:
		if (o->local)
			return local_rfc3339(out, ns, false);
		n = time_format_rfc3339(out, ns);
		memcpy(out + n - 1, "+00:00", 6); /* for the "Z" */
		return n + 5;
	case OUT_SHORT_PRECISE:
		if (!(o->local ? localtime_r(&secs, &tm) : gmtime_r(&secs, &tm)))
			gmtime_r(&secs, &tm);
		n = strftime(out, TIMEFMT_MAX, "%b %d %H:%M:%S", &tm);
		return n + (size_t)snprintf(out + n, TIMEFMT_MAX - n, ".%06u",
					    (unsigned)(ns % 1000000000u / 1000u));
	default:
		return o->local ? local_rfc3339(out, ns, true)
				: timecache_format(&o->tc, out, ns);
	}
}

/* A reader's own marker, from its MARKER record. */
static int record_marker(struct output *o, const struct binstream *bs,
			 const struct binrec *r)
{
	char reason[256], text[257];
	char tbuf[TIMEFMT_MAX];
	size_t tl = MIN(r->msg_len, sizeof(text) - 1);

	/* The encoders take C strings: the server's are short, cut like
	 * its own (record_marker_v2 takes 256 bytes). */
	memcpy(reason, r->reason, r->reason_len);
	reason[r->reason_len] = '\0';
	memcpy(text, r->msg, tl);
	text[tl] = '\0';
	if (o->format == OUT_JSON || o->format == OUT_EXPORT ||
	    o->format == OUT_JSON_PRETTY) {
		size_t at = o->len;
		if (reserve(o, MAX((size_t)RECORD_MARKER_BOUND,
				   (size_t)EXPORT_MARKER_BOUND)) < 0)
			return -ENOMEM;
		o->len += o->format != OUT_EXPORT
			? record_marker_v2(o->buf + o->len, r->time_ns,
					   bs->instance, reason, r->missed,
					   r->first, r->last, text)
			: export_marker(o->buf + o->len, r->time_ns,
					bs->instance, reason, r->missed,
					r->first, r->last, text);
		return o->format == OUT_JSON_PRETTY ? pretty(o, at) : 0;
	}
	struct reply_entry e = {
		.time = { tbuf, format_time(o, tbuf, r->time_ns) },
		.source = { "memlogd", 7 },
		.stream = { "none", 4 },
		.msg = { text, strlen(text) },
		.marker = true,
	};
	return format_entry(o, &e, NULL, 0,
			    entry_color(o, -1, false, !o->as_linuxkit));
}

int output_record(struct output *o, const struct binstream *bs,
		  const struct binstream_item *it)
{
	const struct binrec *r = &it->rec;
	struct ring_entry re;
	struct record_source src = { it->source, it->source_len,
				     (enum stream)it->stream };
	char tbuf[TIMEFMT_MAX];
	const char *sn;

	int rc = entry_start(o);
	if (rc < 0)
		return rc;
	if (it->type == BINREC_MARKER)
		return record_marker(o, bs, r);
	switch (o->format) {
	case OUT_JSON_PRETTY:
	case OUT_JSON: {
		/* memlogd's own encoder: the line it would have sent. */
		binstream_ring_entry(r, &re);
		if (reserve(o, RECORD_V2_BOUND(it->source_len, r->msg_len) +
			       RECORD_ATTR_BYTE * r->attrs_len + 16) < 0)
			return -ENOMEM;
		size_t at = o->len;
		o->len += record_v2(o->buf + o->len, &re, bs->instance, &src);
		return o->format == OUT_JSON_PRETTY ? pretty(o, at) : 0;
	}
	case OUT_EXPORT:
		binstream_ring_entry(r, &re);
		if (reserve(o, EXPORT_BOUND(it->source_len, r->msg_len,
					    r->attrs_len)) < 0)
			return -ENOMEM;
		o->len += export_entry(o->buf + o->len, &re, bs->instance, &src);
		return 0;
	default:
		break;
	}
	sn = stream_name((enum stream)it->stream);
	struct reply_entry e = {
		.time = { tbuf, format_time(o, tbuf, r->time_ns) },
		.source = { it->source, it->source_len },
		.stream = { sn, strlen(sn) },
		.msg = { r->msg, r->msg_len },
		.partial = r->flags & BINREC_PARTIAL,
		.marker = r->flags & BINREC_NOTICE,
	};
	return format_entry(o, &e, NULL, 0,
			    o->as_linuxkit
			    ? entry_color(o, -1, false, false)
			    : entry_color(o, r->priority,
					  it->stream == STREAM_STDERR,
					  r->flags & BINREC_NOTICE));
}

int output_bytes(struct output *o, const char *s, size_t len)
{
	if (reserve(o, len) < 0)
		return -ENOMEM;
	put(o, s, len);
	return 0;
}

/* Waits until fd takes bytes or stopfd (a signalfd) has something. */
static int wait_writable(struct output *o, int stopfd)
{
	struct pollfd p[2] = {
		{ .fd = o->fd, .events = POLLOUT },
		{ .fd = stopfd, .events = POLLIN },
	};

	for (;;) {
		int n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (p[1].revents)
			return -EINTR;
		/* POLLERR/POLLHUP: let write() tell what happened. */
		return 0;
	}
}

int output_flush(struct output *o, int stopfd)
{
	size_t done = 0;
	int r = 0;

	if (o->reverse)
		return 0; /* all of it at the end */

	while (done < o->len) {
		size_t n = o->len - done;
		ssize_t w;

		if (stopfd >= 0) {
			r = wait_writable(o, stopfd);
			if (r < 0)
				break;
			/* Writable means room for PIPE_BUF bytes at least:
			 * writing no more cannot stall us. */
			if (o->chunked && n > PIPE_BUF)
				n = PIPE_BUF;
		}
		w = write(o->fd, o->buf + done, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (done) {
		memmove(o->buf, o->buf + done, o->len - done);
		o->len -= done;
	}
	return r;
}

int output_finish(struct output *o, int stopfd)
{
	if (o->midline) {
		if (reserve(o, 1) < 0)
			return -ENOMEM;
		put(o, "\n", 1);
		o->midline = false;
	}
	if (o->reverse) {
		/* The entries newest first, each as it was formatted. */
		char *rev = malloc(o->len ? o->len : 1);
		size_t at = 0, end = o->len;
		if (!rev)
			return -ENOMEM;
		for (size_t i = o->nstarts; i-- > 0; ) {
			memcpy(rev + at, o->buf + o->starts[i], end - o->starts[i]);
			at += end - o->starts[i];
			end = o->starts[i];
		}
		free(o->buf);
		o->buf = rev;
		o->cap = o->len;
		o->nstarts = 0;
		o->reverse = false;
	}
	return output_flush(o, stopfd);
}
