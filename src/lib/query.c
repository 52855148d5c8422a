#include "query.h"
#include "regmsg.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

bool query_error_refuses_cursor(const char *msg, size_t len)
{
	static const char malformed[] =
		QUERY_ERR_BAD_REQUEST QUERY_ERR_CURSOR_MALFORMED;
	static const char newer[] = QUERY_ERR_CURSOR_NEWER;

	return (len == sizeof(malformed) - 1 && !memcmp(msg, malformed, len)) ||
	       (len == sizeof(newer) - 1 && !memcmp(msg, newer, len));
}

bool query_legacy(unsigned char byte, struct query_req *req)
{
	if (byte > 2)
		return false;
	memset(req, 0, sizeof(*req));
	req->mode = (enum query_mode)byte;
	return true;
}

bool query_legacy_binary(const char *buf, size_t len)
{
	static const char tail[] = QUERY_LEGACY_BINARY;

	return len == sizeof(tail) && (unsigned char)buf[0] <= 2 &&
	       memcmp(buf + 1, tail, sizeof(tail) - 1) == 0;
}

bool query_text_start(unsigned char byte)
{
	return byte >= 'a' && byte <= 'z';
}

/* Percent-decodes v into out (cap bytes, NUL-terminated). A NUL, decoded
 * or raw, is refused: globs and patterns are C strings. */
static int pct_decode(const char *v, size_t len, char *out, size_t cap,
		      size_t *outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -EINVAL;
			int h = hex_digit(v[i + 1], false);
			int l = hex_digit(v[i + 2], false);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (char)(h * 16 + l);
			i += 2;
		}
		if (c == '\0')
			return -EINVAL; /* decoded or raw: the text would end there */
		if (n + 1 >= cap)
			return -ERANGE;
		out[n++] = c;
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

static bool word_is(const char *w, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(w, lit, len) == 0;
}

#define FAIL(msg) do { *err = (msg); return -EINVAL; } while (0)

int query_parse(const char *line, size_t len, struct query_req *req,
		const char **err)
{
	const char *p = line, *end = line + len;
	bool first = true;

	memset(req, 0, sizeof(*req));
	req->v2 = true;
	if (len > QUERY_LINE_MAX)
		FAIL("request line too long");
	if (len > 0 && line[len - 1] == '\r')
		end--; /* tolerate telnet-style CRLF */

	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t wlen = sp ? (size_t)(sp - p) : (size_t)(end - p);

		if (wlen == 0)
			FAIL("empty word (two spaces?)");
		if (first) {
			if (word_is(p, wlen, "dump"))
				req->mode = QUERY_DUMP;
			else if (word_is(p, wlen, "follow"))
				req->mode = QUERY_FOLLOW;
			else if (word_is(p, wlen, "dump-follow"))
				req->mode = QUERY_DUMP_FOLLOW;
			else if (word_is(p, wlen, "stats"))
				req->mode = QUERY_STATS;
			else
				FAIL("unknown mode (dump, follow, dump-follow, stats)");
			first = false;
		} else {
			const char *eq = memchr(p, '=', wlen);
			if (!eq)
				FAIL("parameter without '='");
			size_t klen = (size_t)(eq - p);
			const char *v = eq + 1;
			size_t vlen = wlen - klen - 1;

			if (req->mode == QUERY_STATS)
				FAIL("stats takes no parameters");
			if (word_is(p, klen, "after")) {
				if (req->has_after)
					FAIL("after given twice");
				if (cursor_parse(v, vlen, &req->after) < 0)
					FAIL(QUERY_ERR_CURSOR_MALFORMED);
				req->has_after = true;
			} else if (word_is(p, klen, "last")) {
				char num[24];
				if (req->has_last)
					FAIL("last given twice");
				if (vlen == 0 || vlen >= sizeof(num))
					FAIL("last needs a number");
				memcpy(num, v, vlen);
				num[vlen] = '\0';
				if (parse_u64(num, UINT64_MAX, &req->last) < 0)
					FAIL("last needs a number");
				req->has_last = true;
			} else if (word_is(p, klen, "priority")) {
				if (req->has_prio)
					FAIL("priority given twice");
				if (vlen == 1 && v[0] >= '0' && v[0] <= '7') {
					req->prio_min = 0;
					req->prio_max = v[0] - '0';
				} else if (vlen == 4 && v[0] >= '0' && v[0] <= '7' &&
					   v[1] == '.' && v[2] == '.' &&
					   v[3] >= '0' && v[3] <= '7' && v[0] <= v[3]) {
					req->prio_min = v[0] - '0';
					req->prio_max = v[3] - '0';
				} else {
					FAIL("priority takes N or A..B, 0 to 7");
				}
				req->has_prio = true;
			} else if (word_is(p, klen, "facility")) {
				char list[128];
				if (req->fac_mask)
					FAIL("facility given twice");
				if (vlen == 0 || vlen >= sizeof(list))
					FAIL("facility takes N[,N...], 0 to 23");
				memcpy(list, v, vlen);
				list[vlen] = '\0';
				/* Digits only on the wire; names are the client's. */
				if (strspn(list, "0123456789,") != vlen ||
				    query_facility_arg(list, &req->fac_mask) < 0)
					FAIL("facility takes N[,N...], 0 to 23");
			} else if (word_is(p, klen, "since") ||
				   word_is(p, klen, "until")) {
				char num[24];
				uint64_t ns;
				bool since = word_is(p, klen, "since");
				if ((since && req->has_since) || (!since && req->has_until))
					FAIL("since or until given twice");
				if (vlen == 0 || vlen >= sizeof(num))
					FAIL("since and until take nanoseconds since the epoch");
				memcpy(num, v, vlen);
				num[vlen] = '\0';
				if (parse_u64(num, UINT64_MAX, &ns) < 0)
					FAIL("since and until take nanoseconds since the epoch");
				if (since) {
					req->since_ns = ns;
					req->has_since = true;
				} else {
					req->until_ns = ns;
					req->has_until = true;
				}
			} else if (word_is(p, klen, "stream")) {
				/* stream=stdout,stderr,...: names, comma-separated;
				 * repeated, the streams of all of them. */
				size_t at = 0;
				for (;;) {
					size_t e = at;
					while (e < vlen && v[e] != ',')
						e++;
					int sn = stream_parse(v + at, e - at);
					if (sn < 0)
						FAIL("stream takes stdout, stderr, kernel, "
						     "syslog, daemon, comma-separated");
					req->stream_mask |= 1u << sn;
					if (e == vlen)
						break;
					at = e + 1;
				}
			} else if (word_is(p, klen, "grep") ||
				   word_is(p, klen, "igrep")) {
				size_t gl;
				if (req->grep[0])
					FAIL("grep given twice");
				int r = pct_decode(v, vlen, req->grep,
						   QUERY_GREP_MAX + 1, &gl);
				if (r == -ERANGE)
					FAIL("grep pattern too long");
				if (r < 0 || gl == 0)
					FAIL("bad percent-encoding in grep pattern");
				req->grep_icase = word_is(p, klen, "igrep");
			} else if (word_is(p, klen, "format")) {
				req->binary = req->export_fmt = false;
				if (word_is(v, vlen, "binary"))
					req->binary = true;
				else if (word_is(v, vlen, "export"))
					req->export_fmt = true;
				else if (!word_is(v, vlen, "json"))
					FAIL("format takes json, binary or export");
			} else if (word_is(p, klen, "source")) {
				size_t gl;
				if (req->nglobs == QUERY_GLOBS_MAX)
					FAIL("too many source globs");
				int r = pct_decode(v, vlen, req->globs[req->nglobs],
						   QUERY_GLOB_MAX + 1, &gl);
				if (r == -ERANGE)
					FAIL("source glob too long");
				if (r < 0)
					FAIL("bad percent-encoding in source glob");
				req->nglobs++;
			} else {
				FAIL("unknown parameter");
			}
		}
		p += wlen;
		if (p < end)
			p++; /* the space */
		if (sp && p == end)
			FAIL("trailing space");
	}
	if (first)
		FAIL("empty request");
	if (req->has_after && req->has_last)
		FAIL("after and last exclude each other");
	if (req->has_since && req->has_until && req->since_ns > req->until_ns)
		FAIL("since is later than until");
	if (req->mode == QUERY_FOLLOW && (req->has_after || req->has_last))
		FAIL("follow starts at the newest entry; use dump-follow");
	return 0;
}

static int prio_word(const char *s, size_t len)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };

	if (len == 1 && s[0] >= '0' && s[0] <= '7')
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int query_priority_arg(const char *s, int *lo, int *hi)
{
	const char *dots = strstr(s, "..");
	int a, b;

	if (!dots) {
		b = prio_word(s, strlen(s));
		if (b < 0)
			return -EINVAL;
		*lo = 0;
		*hi = b;
		return 0;
	}
	a = prio_word(s, (size_t)(dots - s));
	b = prio_word(dots + 2, strlen(dots + 2));
	if (a < 0 || b < 0)
		return -EINVAL;
	*lo = MIN(a, b);
	*hi = MAX(a, b);
	return 0;
}

int query_facility_arg(const char *s, uint32_t *mask)
{
	static const char *const names[] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
		"news", "uucp", "cron", "authpriv", "ftp", "ntp", "security",
		"console", "solaris-cron", "local0", "local1", "local2",
		"local3", "local4", "local5", "local6", "local7",
	};
	uint32_t m = 0;

	for (;;) {
		size_t l = strcspn(s, ",");
		int f = -1;
		if (l > 0 && l <= 2 && strspn(s, "0123456789") == l) {
			f = s[0] - '0';
			if (l == 2)
				f = f * 10 + (s[1] - '0');
			if (f > 23)
				return -EINVAL;
		} else {
			for (int i = 0; i < 24; i++)
				if (strlen(names[i]) == l && !memcmp(names[i], s, l))
					f = i;
		}
		if (f < 0)
			return -EINVAL;
		m |= 1u << f;
		if (s[l] == '\0')
			break;
		s += l + 1;
	}
	*mask = m;
	return 0;
}

bool query_match_source(const struct query_req *req, const char *name)
{
	if (req->nglobs == 0)
		return true;
	for (unsigned i = 0; i < req->nglobs; i++)
		if (fnmatch(req->globs[i], name, 0) == 0)
			return true;
	return false;
}
