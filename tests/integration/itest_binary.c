/* memlog's binary records (format=binary, docs/protocol.md "Binary
 * records") against the real memlogd: the same ring dumped and followed
 * as v2 JSON and as binary must give the same entries, field by field:
 * fd sources (control bytes, invalid UTF-8, NUL, split lines, a stream
 * that ended without a newline), the daemon's own notices, syslog and
 * kernel entries with their attributes; a source table slot reclaimed and
 * given to another name while a follower is connected (its SOURCE record
 * is sent again); the markers of a lagged follower, of a cursor older
 * than the ring and of a foreign cursor; errors. Each binary entry is
 * turned back into v2 JSON by memlogd's own encoder (record.h) and must
 * equal the JSON line byte for byte; its fields are also compared with
 * the JSON's parsed values. */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "binstream.h"
#include "record.h"

/* ---- one binary answer, read as it comes ---- */

struct got {
	enum binrec_type type;
	char *line;             /* ENTRY, MARKER: as v2 JSON (record.h) */
	size_t line_len;
	uint64_t seq, time_ns;  /* ENTRY */
	uint8_t flags;
	int priority, facility;
	char *source;           /* ENTRY: the sid's name */
	uint8_t stream;
	uint32_t sid;
	char *msg;              /* ENTRY message, MARKER/ERROR text */
	size_t msg_len;
	char *attrs;
	size_t attrs_len;
	int64_t missed;         /* MARKER */
	uint64_t first, last;
	char reason[32];
	char cursor[CURSOR_LEN + 1];
};

#define MAX_SIDS 4096

struct bconn {
	int fd;
	char *buf;
	size_t len, off, cap;
	bool eof;
	struct binstream bs;
	char *names[MAX_SIDS];  /* the names each sid was defined as, last */
	unsigned redefined;     /* SOURCE records that gave a sid another name */
	uint32_t redef_sid;     /* the last of them */
};

static void bc_init(struct bconn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	binstream_init(&c->bs);
}

static void bc_close(struct bconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	binstream_free(&c->bs);
	for (int i = 0; i < MAX_SIDS; i++)
		free(c->names[i]);
	c->fd = -1;
}

static void got_free(struct got *g)
{
	if (!g)
		return;
	free(g->line);
	free(g->source);
	free(g->msg);
	free(g->attrs);
	free(g);
}

static char *dup_bytes(const char *p, size_t n)
{
	char *d = malloc(n + 1);
	assert_non_null(d);
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

/* The next ENTRY, MARKER or ERROR (a new struct), or NULL at the end.
 * Fails the test on a malformed stream or the deadline. */
static struct got *bc_next(struct bconn *c, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct binstream_item it;
		size_t used;
		int k = !c->buf ? 0 :
			binstream_next(&c->bs, c->buf + c->off, c->len - c->off,
				       &it, &used);
		if (k < 0)
			fail_msg("binary stream: %s (%d)", c->bs.why, k);
		if (k == 1) {
			c->off += used;
			if (it.type == BINREC_HELLO)
				continue;
			if (it.type == BINREC_SOURCE) {
				uint32_t sid = it.rec.sid;
				assert_true(sid < MAX_SIDS);
				char *nm = dup_bytes(it.rec.name, it.rec.name_len);
				if (c->names[sid] && strcmp(c->names[sid], nm) != 0) {
					c->redefined++;
					c->redef_sid = sid;
				}
				free(c->names[sid]);
				c->names[sid] = nm;
				continue;
			}
			struct got *g = calloc(1, sizeof(*g));
			assert_non_null(g);
			g->type = it.type;
			const struct binrec *r = &it.rec;
			g->msg = dup_bytes(r->msg, r->msg_len);
			g->msg_len = r->msg_len;
			if (it.type == BINREC_ENTRY) {
				struct ring_entry e;
				struct record_source src = {
					it.source, it.source_len,
					(enum stream)it.stream };
				binstream_ring_entry(r, &e);
				g->line = malloc(RECORD_V2_BOUND(it.source_len, r->msg_len) +
						 RECORD_ATTR_BYTE * r->attrs_len + 16);
				assert_non_null(g->line);
				g->line_len = record_v2(g->line, &e, c->bs.instance, &src);
				g->seq = r->seq;
				g->time_ns = r->time_ns;
				g->flags = r->flags;
				g->priority = r->priority;
				g->facility = r->facility;
				g->source = dup_bytes(it.source, it.source_len);
				g->stream = it.stream;
				g->sid = r->sid;
				g->attrs = dup_bytes(r->attrs, r->attrs_len);
				g->attrs_len = r->attrs_len;
				binstream_cursor(&c->bs, r->seq, g->cursor);
			} else if (it.type == BINREC_MARKER) {
				char reason[32], text[300];
				assert_true(r->reason_len < sizeof(reason));
				memcpy(reason, r->reason, r->reason_len);
				reason[r->reason_len] = '\0';
				assert_true(r->msg_len < sizeof(text));
				memcpy(text, r->msg, r->msg_len);
				text[r->msg_len] = '\0';
				g->line = malloc(RECORD_MARKER_BOUND);
				assert_non_null(g->line);
				g->line_len = record_marker_v2(g->line, r->time_ns,
							       c->bs.instance, reason,
							       r->missed, r->first,
							       r->last, text);
				snprintf(g->reason, sizeof(g->reason), "%s", reason);
				g->missed = r->missed;
				g->first = r->first;
				g->last = r->last;
				g->time_ns = r->time_ns;
				binstream_cursor(&c->bs, r->last, g->cursor);
			}
			/* record.h ends lines with '\n'; JSON lines are
			 * compared without it. */
			if (g->line && g->line_len && g->line[g->line_len - 1] == '\n')
				g->line[--g->line_len] = '\0';
			return g;
		}
		if (c->eof) {
			if (c->off != c->len)
				fail_msg("binary stream: %zu bytes of a record cut "
					 "short at the end", c->len - c->off);
			return NULL;
		}
		if (c->off == c->len)
			c->off = c->len = 0;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 1 << 20;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		uint64_t now = h_now_ms();
		if (now >= end)
			fail_msg("binary stream: nothing more within %d ms",
				 timeout_ms);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != ECONNRESET)
			fail_msg("read: %s", strerror(errno));
		if (n <= 0)
			c->eof = true;
		else
			c->len += (size_t)n;
	}
}

/* ---- comparing ---- */

static bool valid_text(const char *s, size_t n)
{
	return h_valid_utf8(s, n) && !memchr(s, '\0', n);
}

static const char *attr_value(const struct got *g, const char *key)
{
	size_t kl = strlen(key);
	const char *a = g->attrs, *end = g->attrs + g->attrs_len;

	while (a < end) {
		size_t l = strnlen(a, (size_t)(end - a));
		if (l > kl && !memcmp(a, key, kl) && a[kl] == '=')
			return a + kl + 1;
		a += l + 1;
	}
	return NULL;
}

/* A binary entry and the JSON line of the same seq: the same line byte for
 * byte once encoded again, and the same values field by field. */
static void expect_same_entry(const struct got *g, const char *line,
			      size_t len)
{
	if (g->line_len != len || memcmp(g->line, line, len) != 0)
		fail_msg("seq %" PRIu64 ":\n binary: %s\n json:   %.*s", g->seq,
			 g->line, (int)len, line);
	json_t *j = h_json(line, len);
	assert_int_equal(h_jint(j, "seq"), (json_int_t)g->seq);
	assert_string_equal(h_jstr(j, "cursor"), g->cursor);
	const char *t = h_jstr(j, "time");
	uint64_t ns;
	assert_true(h_parse_rfc3339nano(t, strlen(t), &ns));
	assert_true(ns == g->time_ns);
	assert_string_equal(h_jstr(j, "source"), g->source);
	assert_string_equal(h_jstr(j, "stream"), stream_name(g->stream));
	json_t *m = json_object_get(j, "msg");
	if (valid_text(g->msg, g->msg_len)) {
		assert_int_equal(json_string_length(m), g->msg_len);
		assert_memory_equal(json_string_value(m), g->msg, g->msg_len);
	}
	assert_true(h_jbool(j, "partial") == !!(g->flags & BINREC_PARTIAL));
	json_t *v = json_object_get(j, "marker");
	assert_true(json_is_true(v) == !!(g->flags & BINREC_NOTICE));
	v = json_object_get(j, "eof");
	assert_true(json_is_true(v) == !!(g->flags & BINREC_NOEOL));
	v = json_object_get(j, "priority");
	if (g->priority < 0)
		assert_null(v);
	else
		assert_int_equal(json_integer_value(v), g->priority);
	v = json_object_get(j, "facility");
	if (g->facility < 0)
		assert_null(v);
	else
		assert_int_equal(json_integer_value(v), g->facility);
	json_t *attrs = json_object_get(j, "attrs");
	assert_true(!attrs == !g->attrs_len);
	const char *k;
	json_object_foreach(attrs, k, v) {
		const char *bv = attr_value(g, k);
		if (!bv)
			fail_msg("seq %" PRIu64 ": attribute %s not in the binary "
				 "entry", g->seq, k);
		assert_string_equal(json_string_value(v), bv);
	}
	json_decref(j);
}

/* A marker, binary and JSON: the same fields but the time (each reader's
 * marker is made when it is sent), both as memlogd documents them. */
static void expect_same_marker(const struct got *g, const char *line,
			       size_t len, const char *reason)
{
	json_t *b = h_json(g->line, g->line_len), *j = h_json(line, len);

	assert_string_equal(g->reason, reason);
	assert_string_equal(h_jstr(j, "marker"), reason);
	assert_string_equal(h_jstr(j, "cursor"), g->cursor);
	json_object_del(b, "time");
	json_object_del(j, "time");
	if (!json_equal(b, j))
		fail_msg("markers differ:\n binary: %s\n json:   %.*s", g->line,
			 (int)len, line);
	json_decref(b);
	json_decref(j);
}

/* A whole binary answer. */
struct answer {
	struct got **v;
	size_t n;
};

static struct answer bin_dump(const struct mld *m, const char *req)
{
	struct bconn c;
	struct answer a = { 0 };
	struct got *g;

	bc_init(&c, h_query(m, req));
	while ((g = bc_next(&c, H_TIMEOUT_MS))) {
		a.v = realloc(a.v, (a.n + 1) * sizeof(*a.v));
		assert_non_null(a.v);
		a.v[a.n++] = g;
	}
	bc_close(&c);
	return a;
}

static void answer_free(struct answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		got_free(a->v[i]);
	free(a->v);
}

/* A whole JSON answer, as lines (without '\n'). */
struct lines {
	char *text;
	const char *l[4096];
	size_t len[4096];
	size_t n;
};

static void json_dump_lines(const struct mld *m, const char *req,
			    struct lines *out)
{
	size_t total;
	char *p;

	out->text = h_read_all_close(h_query(m, req), H_TIMEOUT_MS, &total);
	out->n = 0;
	p = out->text;
	while (p < out->text + total) {
		char *nl = memchr(p, '\n', (size_t)(out->text + total - p));
		assert_non_null(nl);
		assert_true(out->n < 4096);
		out->l[out->n] = p;
		out->len[out->n++] = (size_t)(nl - p);
		p = nl + 1;
	}
}

/* ---- the same dump, both ways ---- */

/* Every kind of entry: fd sources (stdout and stderr, bytes JSON must
 * escape, invalid UTF-8, a NUL, a line split by --max-line-len 120, a stream
 * that ends without a newline), a daemon notice (fds refused), syslog
 * (RFC 5424 with structured data, RFC 3164) and kernel records (a
 * dictionary). The binary dump and the JSON dump of the same ring are
 * the same entries in the same order. */
static void test_dump_every_kind(void **state)
{
	(void)state;
	struct mld m = { 0 };
	char fake[256], slog[256], text[512];

	mld_init(&m);
	snprintf(fake, sizeof(fake), "%s/fake", m.dir);
	snprintf(slog, sizeof(slog), "%s/syslog.sock", m.dir);
	snprintf(text, sizeof(text),
		 "6,0,%" PRIu64 ",-;kernel plain\n"
		 "3,1,%" PRIu64 ",-;kernel with dictionary\n"
		 " SUBSYSTEM=pci\n"
		 " DEVICE=+pci:0000:00:01.0\n",
		 h_now_us() - 2000000, h_now_us() - 1000000);
	h_write_file(fake, text, 0644);
	static const char *const args[] = {
		"--syslog=%D/syslog.sock", "--kmsg=%D/fake", "--state-dir",
		"%D/state", "--max-line-len", "120", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);

	int out = h_register_pipe(&m, "web.out");
	int err = h_register_pipe(&m, "web");
	static const char lines[] =
		"plain\n"
		"tab\tctl\x01\x1f del\x7f\n"
		"utf8 \xc3\xa9 \xe2\x82\xac\n"
		"bad \xff\xfe utf8\n"
		"json <>&\"\\ \xe2\x80\xa8\n"
		"a line longer than 120 bytes, split: "
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789\n"
		"crlf\r\n"
		"\n";
	h_write_all(out, lines, sizeof(lines) - 1);
	h_write_all(out, "nul\0inside\n", 11);
	h_write_all(err, "to stderr\nunfinished", 20);
	close(err);
	/* Nine fds in one datagram: memlogd keeps eight and writes a
	 * notice (a daemon entry with "marker":true). */
	int fds[9], p[2];
	for (int i = 0; i < 9; i++) {
		assert_int_equal(pipe(p), 0);
		fds[i] = p[0];
		close(p[1]);
	}
	assert_int_equal(h_register(m.log, "many", 4, fds, 9), 0);
	for (int i = 0; i < 9; i++)
		close(fds[i]);
	h_send_str(slog, "<165>1 2026-11-22T05:07:16.5Z host app 4321 ID47 "
			 "[ex@32473 iut=\"3\" src=\"a\\\"b\"] with structured data");
	h_send_str(slog, "<30>classic[42]: rfc 3164");
	json_t *d = h_wait_dump_msg(&m, "dump\n", "rfc 3164");
	json_decref(d);
	d = h_wait_dump_msg(&m, "dump\n", "unfinished");
	json_decref(d);
	d = h_wait_dump_msg(&m, "dump\n", "kernel with dictionary");
	json_decref(d);
	close(out);

	struct lines js;
	json_dump_lines(&m, "dump\n", &js);
	struct answer b = bin_dump(&m, "dump format=binary\n");
	if (b.n != js.n)
		fail_msg("%zu binary entries, %zu JSON lines", b.n, js.n);
	unsigned partial = 0, eof = 0, notice = 0, kattrs = 0, sattrs = 0,
		 invalid = 0, nul = 0, prio = 0;
	for (size_t i = 0; i < b.n; i++) {
		struct got *g = b.v[i];
		assert_int_equal(g->type, BINREC_ENTRY);
		expect_same_entry(g, js.l[i], js.len[i]);
		partial += !!(g->flags & BINREC_PARTIAL);
		eof += !!(g->flags & BINREC_NOEOL);
		notice += !!(g->flags & BINREC_NOTICE);
		kattrs += g->stream == STREAM_KERNEL && attr_value(g, "SUBSYSTEM");
		sattrs += g->stream == STREAM_SYSLOG &&
			  attr_value(g, "ex@32473.src") && attr_value(g, "_pid");
		invalid += !h_valid_utf8(g->msg, g->msg_len);
		nul += memchr(g->msg, '\0', g->msg_len) != NULL;
		prio += g->priority >= 0;
		if (i > 0)
			assert_true(g->seq == b.v[i - 1]->seq + 1);
	}
	/* Every kind was there to compare. */
	if (!(partial >= 1 && eof == 1 && notice >= 1 && kattrs == 1 &&
	      sattrs == 1 && invalid == 1 && nul == 1 && prio >= 4))
		fail_msg("partial %u eof %u notice %u kernel attrs %u syslog "
			 "attrs %u invalid UTF-8 %u NUL %u priority %u",
			 partial, eof, notice, kattrs, sattrs, invalid, nul, prio);
	assert_true(partial >= 1 && eof == 1 && notice >= 1 && kattrs == 1 &&
		    sattrs == 1 && invalid == 1 && nul == 1 && prio >= 4);
	answer_free(&b);
	free(js.text);

	/* Filters apply the same: only the kernel's, from the last two. */
	json_dump_lines(&m, "dump source=kmsg last=2\n", &js);
	b = bin_dump(&m, "dump source=kmsg last=2 format=binary\n");
	assert_int_equal(js.n, 2);
	assert_int_equal(b.n, 2);
	for (size_t i = 0; i < b.n; i++)
		expect_same_entry(b.v[i], js.l[i], js.len[i]);
	answer_free(&b);
	free(js.text);
	mld_stop(&m);
}

/* Errors: a bad format value and a bad request are refused before the
 * request is taken, with the JSON error line (its first byte '{'); a
 * refused cursor after HELLO as an ERROR record; a foreign cursor's
 * marker as in JSON. */
static void test_errors_and_foreign_cursor(void **state)
{
	(void)state;
	struct mld m = { 0 };
	mld_start(&m, NULL);
	int w = h_register_pipe(&m, "x");
	h_writef(w, "one\ntwo\n");
	json_decref(h_wait_dump_msg(&m, "dump\n", "two"));

	size_t n;
	char *t = h_read_all_close(h_query(&m, "dump format=xml\n"), H_TIMEOUT_MS, &n);
	assert_true(n > 0 && t[0] == '{');
	assert_non_null(strstr(t, "format takes json, binary or export"));
	free(t);

	json_t *st = h_stats(&m);
	char req[200], cur[CURSOR_LEN + 1];
	snprintf(req, sizeof(req), "dump format=binary after=m1-%s-00000000000000ff\n",
		 h_jstr(st, "instance"));
	struct answer b = bin_dump(&m, req);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.v[0]->type, BINREC_ERROR);
	assert_string_equal(b.v[0]->msg, "cursor is newer than the newest entry");
	answer_free(&b);

	/* A cursor of another instance: the foreign-cursor marker, then
	 * everything. */
	snprintf(cur, sizeof(cur), "m1-%016" PRIx64 "-%016" PRIx64,
		 ~(uint64_t)strtoull(h_jstr(st, "instance"), NULL, 16), (uint64_t)1);
	json_decref(st);
	struct lines js;
	snprintf(req, sizeof(req), "dump after=%s\n", cur);
	json_dump_lines(&m, req, &js);
	snprintf(req, sizeof(req), "dump after=%s format=binary\n", cur);
	b = bin_dump(&m, req);
	assert_int_equal(b.n, js.n);
	assert_int_equal(b.v[0]->type, BINREC_MARKER);
	assert_true(b.v[0]->missed == -1);
	expect_same_marker(b.v[0], js.l[0], js.len[0], "foreign-cursor");
	for (size_t i = 1; i < b.n; i++)
		expect_same_entry(b.v[i], js.l[i], js.len[i]);
	answer_free(&b);
	free(js.text);
	close(w);
	mld_stop(&m);
}

/* ---- following ---- */

/* Reads both followers until each has given the entry whose message is
 * msg; the binary items and JSON lines received are appended to ba and
 * jl. */
static void read_until(struct bconn *bc, struct h_conn *jc, const char *msg,
		       struct answer *ba, struct lines *jl, char **jtexts,
		       size_t *njtexts)
{
	for (;;) {
		struct got *g = bc_next(bc, H_TIMEOUT_MS);
		assert_non_null(g);
		ba->v = realloc(ba->v, (ba->n + 1) * sizeof(*ba->v));
		assert_non_null(ba->v);
		ba->v[ba->n++] = g;
		if (g->type == BINREC_ENTRY && !strcmp(g->msg, msg))
			break;
	}
	for (;;) {
		size_t len;
		char *l = h_conn_line(jc, H_TIMEOUT_MS, &len);
		assert_non_null(l);
		assert_true(jl->n < 4096);
		jtexts[(*njtexts)++] = l;
		jl->l[jl->n] = l;
		jl->len[jl->n++] = len;
		json_t *j = h_json(l, len);
		json_t *mv = json_object_get(j, "msg");
		bool done = json_is_string(mv) && !strcmp(json_string_value(mv), msg);
		json_decref(j);
		if (done)
			break;
	}
}

/* The entries both followers got (the same seq) are the same; each
 * follower's markers and entries add up to every seq in its range
 * (received + missed = produced), and each marker says what it counts. */
static void check_follow(const struct answer *ba, const struct lines *jl,
			 const char *inst, unsigned *bmarkers, unsigned *jmarkers)
{
	uint64_t next = 0;
	size_t compared = 0;

	for (size_t i = 0; i < ba->n; i++) {
		struct got *g = ba->v[i];
		if (g->type == BINREC_MARKER) {
			char want[200];
			assert_string_equal(g->reason, "lagged");
			assert_true(g->missed > 0);
			assert_true((uint64_t)g->missed == g->last - g->first + 1);
			snprintf(want, sizeof(want),
				 "memlogd: %" PRId64 " entries were overwritten "
				 "before this reader could read them (seq %" PRIu64
				 "-%" PRIu64 ")", g->missed, g->first, g->last);
			assert_string_equal(g->msg, want);
			if (next)
				assert_true(g->first == next);
			next = g->last + 1;
			(*bmarkers)++;
			continue;
		}
		assert_int_equal(g->type, BINREC_ENTRY);
		if (next)
			assert_true(g->seq == next);
		next = g->seq + 1;
		/* The JSON follower's line of the same seq, if it got it. */
		for (size_t k = 0; k < jl->n; k++) {
			char key[40];
			int kl = snprintf(key, sizeof(key), "{\"seq\":%" PRIu64 ",", g->seq);
			if (jl->len[k] > (size_t)kl && !memcmp(jl->l[k], key, (size_t)kl)) {
				expect_same_entry(g, jl->l[k], jl->len[k]);
				compared++;
				break;
			}
		}
	}
	assert_true(compared > 0);
	next = 0;
	for (size_t k = 0; k < jl->n; k++) {
		json_t *j = h_json(jl->l[k], jl->len[k]);
		if (json_is_string(json_object_get(j, "marker"))) {
			char cur[64];
			uint64_t first = (uint64_t)h_jint(j, "first_seq");
			uint64_t last = (uint64_t)h_jint(j, "last_seq");
			assert_true((uint64_t)h_jint(j, "missed") == last - first + 1);
			snprintf(cur, sizeof(cur), "m1-%s-%016" PRIx64, inst, last);
			assert_string_equal(h_jstr(j, "cursor"), cur);
			if (next)
				assert_true(first == next);
			next = last + 1;
			(*jmarkers)++;
		} else {
			uint64_t seq = (uint64_t)h_jint(j, "seq");
			if (next)
				assert_true(seq == next);
			next = seq + 1;
		}
		json_decref(j);
	}
}

/* One binary and one JSON follower (dump-follow) on a ring of 8 entries:
 * a source ends, its entries leave the ring, its slot is reclaimed and
 * given to a new source: the binary follower gets a SOURCE record giving
 * that sid another name, and its entries carry the new name. Then both
 * stop reading while 40,000 lines go by: each gets lagged markers that
 * add up with its entries to every seq; the entries both got are equal.
 * A cursor older than the ring gets the same "overwritten" marker both
 * ways. */
static void test_follow_reuse_and_lag(void **state)
{
	(void)state;
	struct mld m = { 0 };
	static const char *const args[] = { "--max-lines", "8", NULL };
	struct mld_opts o = { .args = args };
	mld_start(&m, &o);
	json_t *st = h_stats(&m);
	char inst[17];
	snprintf(inst, sizeof(inst), "%s", h_jstr(st, "instance"));
	json_decref(st);

	int filler = h_register_pipe(&m, "filler");
	h_writef(filler, "start\n");
	json_decref(h_wait_dump_msg(&m, "dump\n", "start"));
	struct bconn bc;
	struct h_conn jc;
	bc_init(&bc, h_query(&m, "dump-follow format=binary\n"));
	h_conn_init(&jc, h_query(&m, "dump-follow\n"));
	struct answer ba = { 0 };
	static struct lines jl;
	static char *jtexts[4096];
	size_t njt = 0;
	jl.n = 0;
	read_until(&bc, &jc, "start", &ba, &jl, jtexts, &njt);

	int a = h_register_pipe(&m, "gone-a");
	h_writef(a, "from a\n");
	close(a);
	read_until(&bc, &jc, "from a", &ba, &jl, jtexts, &njt);
	/* New sources until one gets a slot that held another name (the
	 * sweep reclaims dead slots once a second). */
	uint64_t end = h_now_ms() + 15000;
	for (int k = 0; bc.redefined == 0; k++) {
		char name[32], msg[48];
		if (h_now_ms() > end)
			fail_msg("no slot was given to another name in 15 s");
		for (int i = 0; i < 10; i++)
			h_writef(filler, "filler %d.%d\n", k, i);
		snprintf(msg, sizeof(msg), "filler %d.9", k);
		read_until(&bc, &jc, msg, &ba, &jl, jtexts, &njt);
		h_sleep_ms(300);
		snprintf(name, sizeof(name), "new-%d", k);
		int w = h_register_pipe(&m, name);
		snprintf(msg, sizeof(msg), "from %s", name);
		h_writef(w, "%s\n", msg);
		close(w);
		read_until(&bc, &jc, msg, &ba, &jl, jtexts, &njt);
	}
	/* The entries after the new definition carry the new name. */
	struct got *last = ba.v[ba.n - 1];
	assert_int_equal(last->sid, bc.redef_sid);
	assert_string_equal(last->source, bc.names[bc.redef_sid]);

	/* Lag both. */
	char line[128];
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 40000; i++) {
		int n = snprintf(line, sizeof(line), "lag %06d ", i);
		line[n] = 'x';
		line[99] = '\n';
		h_write_all(filler, line, 100);
	}
	h_writef(filler, "the end\n");
	read_until(&bc, &jc, "the end", &ba, &jl, jtexts, &njt);
	unsigned bm = 0, jm = 0;
	check_follow(&ba, &jl, inst, &bm, &jm);
	if (bm == 0 || jm == 0)
		fail_msg("markers: %u binary, %u JSON; both followers were to lag",
			 bm, jm);
	answer_free(&ba);
	for (size_t i = 0; i < njt; i++)
		free(jtexts[i]);
	bc_close(&bc);
	h_conn_close(&jc);

	/* A cursor older than the ring. */
	char req[200];
	struct lines js;
	snprintf(req, sizeof(req), "dump after=m1-%s-0000000000000001\n", inst);
	json_dump_lines(&m, req, &js);
	snprintf(req, sizeof(req), "dump after=m1-%s-0000000000000001 format=binary\n",
		 inst);
	struct answer b = bin_dump(&m, req);
	assert_int_equal(b.n, js.n);
	assert_int_equal(b.v[0]->type, BINREC_MARKER);
	expect_same_marker(b.v[0], js.l[0], js.len[0], "overwritten");
	for (size_t i = 1; i < b.n; i++)
		expect_same_entry(b.v[i], js.l[i], js.len[i]);
	answer_free(&b);
	free(js.text);
	close(filler);
	mld_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dump_every_kind, h_teardown),
		cmocka_unit_test_teardown(test_errors_and_foreign_cursor, h_teardown),
		cmocka_unit_test_teardown(test_follow_reuse_and_lag, h_teardown),
	};
	return h_run_tests("itest_binary", tests, NULL, NULL);
}
