#include "rfc5424.h"
#include "put.h"
#include "util.h"
#include "wordscan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int rfc5424_pri(const struct rfc5424_cfg *cfg, const struct fwd_entry *e)
{
	if (e->priority >= 0 && e->priority <= 7) {
		int fac = e->facility >= 0 && e->facility <= 23 ? e->facility
			: cfg->facility;

		return fac * 8 + e->priority;
	}
	if (e->marker.ptr || (e->stream.ptr && e->stream.len == 4 &&
			      !memcmp(e->stream.ptr, "none", 4)))
		return cfg->daemon_pri;
	if (e->stream.ptr && e->stream.len == 6 && !memcmp(e->stream.ptr, "stdout", 6))
		return cfg->stdout_pri;
	return cfg->stderr_pri;
}

size_t rfc5424_token(char *out, size_t max, const char *s, size_t len)
{
	size_t n = len < max ? len : max;

	if (n == 0) {
		out[0] = '-';
		out[1] = '\0';
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 33 && c <= 126 ? (char)c : '_';
	}
	out[n] = '\0';
	return n;
}

size_t rfc5424_time_ns(struct timecache *tc, char out[RFC5424_TIME_LEN + 1],
		       uint64_t ns)
{
	char whole[TIMEFMT_MAX];
	struct timecache own;
	unsigned us = (unsigned)(ns % 1000000000ull / 1000);

	if (!tc) {
		timecache_init(&own);
		tc = &own;
	}
	/* "YYYY-MM-DDTHH:MM:SSZ" of the whole second, then six digits. */
	timecache_format(tc, whole, ns - ns % 1000000000ull);
	memcpy(out, whole, 19);
	out[19] = '.';
	for (int i = 25; i >= 20; i--) {
		out[i] = (char)('0' + us % 10);
		us /= 10;
	}
	out[26] = 'Z';
	out[27] = '\0';
	return RFC5424_TIME_LEN;
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

size_t rfc5424_time(char out[RFC5424_TIME_LEN + 1], const char *s, size_t len)
{
	size_t frac = 0;

	/* "YYYY-MM-DDTHH:MM:SS" then optionally '.' and 1-9 digits, then 'Z'. */
	if (len < 20 || s[len - 1] != 'Z' || !digits(s, 4) || s[4] != '-' ||
	    !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2))
		return 0;
	if (len > 20) {
		frac = len - 21;
		if (s[19] != '.' || frac < 1 || frac > 9 || !digits(s + 20, frac))
			return 0;
	}
	memcpy(out, s, 19);
	out[19] = '.';
	for (size_t i = 0; i < 6; i++)
		out[20 + i] = i < frac ? s[20 + i] : '0';
	out[26] = 'Z';
	out[27] = '\0';
	return RFC5424_TIME_LEN;
}

void rfc5424_text(struct strbuf *b, const char *s, size_t len, int sd)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0; /* run: bytes before i that need no change */

	if (len == 0)
		return;

	while (i < len) {
		/* Most text is printable ASCII: 8 bytes at a time while no
		 * byte of them needs a look (a tab takes the slow way). */
		while (i + 8 <= len) {
			uint64_t w = word_load(u + i);
			if (word_has_high(w) || word_has_below(w, 0x20) ||
			    word_has_byte(w, 0x7f) ||
			    (sd && (word_has_byte(w, '"') || word_has_byte(w, '\\') ||
				    word_has_byte(w, ']'))))
				break;
			i += 8;
			run += 8;
		}
		if (i >= len)
			break;
		unsigned char c = u[i];
		/* ASCII needs no decoding: the short SD values (cursor, seq,
		 * source...) and every tail go this way. */
		size_t n = c < 0x80 ? 1 : utf8_decode(u + i, len - i, NULL);

		if (n > 1 || (n == 1 && (c >= 0x20 || c == '\t') && c != 0x7f &&
			      !(sd && (c == '"' || c == '\\' || c == ']')))) {
			i += n;
			run += n;
			continue;
		}
		strbuf_add(b, s + i - run, run);
		run = 0;
		if (n == 0) {
			strbuf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
		} else if (c < 0x20 || c == 0x7f) {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			strbuf_add(b, esc, 4);
		} else {
			char esc[2] = { '\\', (char)c };

			strbuf_add(b, esc, 2);
		}
		i++;
	}
	strbuf_add(b, s + i - run, run);
}

static void sd_param(struct strbuf *b, const char *name, const char *v, size_t len)
{
	strbuf_addc(b, ' ');
	strbuf_adds(b, name);
	strbuf_add(b, "=\"", 2);
	rfc5424_text(b, v, len, 1);
	strbuf_addc(b, '"');
}

int rfc5424_encode(const struct rfc5424_cfg *cfg, const struct fwd_entry *e,
		   struct strbuf *out)
{
	char tok[RFC5424_HOSTNAME_MAX + 1], ts[RFC5424_TIME_LEN + 1], num[32];
	const char *host = cfg->hostname ? cfg->hostname : "";
	int n;

	strbuf_addc(out, '<');
	strbuf_add(out, num, (size_t)(put_u64(num, (uint64_t)rfc5424_pri(cfg, e)) - num));
	strbuf_add(out, ">1 ", 3);
	if (e->has_time_ns)
		strbuf_add(out, ts, rfc5424_time_ns(cfg->times, ts, e->time_ns));
	else if (e->time.ptr && rfc5424_time(ts, e->time.ptr, e->time.len))
		strbuf_add(out, ts, RFC5424_TIME_LEN);
	else
		strbuf_addc(out, '-');
	strbuf_addc(out, ' ');
	strbuf_add(out, tok, rfc5424_token(tok, RFC5424_HOSTNAME_MAX, host, strlen(host)));
	strbuf_addc(out, ' ');
	strbuf_add(out, tok, rfc5424_token(tok, RFC5424_APP_NAME_MAX, e->source.ptr,
					   e->source.len));
	strbuf_addc(out, ' ');
	strbuf_add(out, tok, rfc5424_token(tok, RFC5424_PROCID_MAX, e->pid.ptr, e->pid.len));
	strbuf_addc(out, ' ');
	strbuf_add(out, tok, rfc5424_token(tok, RFC5424_MSGID_MAX, e->stream.ptr,
					   e->stream.len));
	strbuf_add(out, " [" RFC5424_SD_ID, sizeof(RFC5424_SD_ID) + 1);
	if (e->cursor.ptr)
		sd_param(out, "cursor", e->cursor.ptr, e->cursor.len);
	if (e->has_seq) {
		sd_param(out, "seq", num, (size_t)(put_u64(num, e->seq) - num));
	}
	sd_param(out, "source", e->source.ptr, e->source.len);
	if (e->stream.ptr)
		sd_param(out, "stream", e->stream.ptr, e->stream.len);
	sd_param(out, "partial", e->partial ? "true" : "false", e->partial ? 4 : 5);
	if (e->marker.ptr) {
		sd_param(out, "marker", e->marker.ptr, e->marker.len);
		if (e->missed >= 0) {
			n = snprintf(num, sizeof(num), "%" PRId64, e->missed);
			sd_param(out, "missed", num, (size_t)n);
		}
	}
	strbuf_addc(out, ']');
	if (e->msg.len) {
		strbuf_addc(out, ' ');
		rfc5424_text(out, e->msg.ptr, e->msg.len, 0);
	}
	return out->nomem ? -ENOMEM : 0;
}

int rfc5424_frame(struct strbuf *out, const char *msg, size_t len)
{
	char num[24];
	size_t n = (size_t)(put_u64(num, len) - num);

	num[n++] = ' ';
	strbuf_add(out, num, n);
	strbuf_add(out, msg, len);
	return out->nomem ? -ENOMEM : 0;
}
