#include "name.h"

#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sha256.h"

static const char hexu[] = "0123456789ABCDEF";
static const char hexl[] = "0123456789abcdef";

static bool plain_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Is byte i of src kept as it is? */
static bool kept(const unsigned char *src, size_t len, size_t i)
{
	if (src[i] == '.')
		return i > 0 && i + 1 < len && src[i - 1] != '.';
	return plain_byte(src[i]);
}

/* Encodes into out without bound checks beyond cap; returns the length
 * the whole encoding needs (it may exceed cap, then out holds a prefix
 * cut at an escape boundary and *written says how much). */
static size_t encode_into(const unsigned char *src, size_t len, char *out,
			  size_t cap, size_t *written)
{
	size_t n = 0, w = 0;

	for (size_t i = 0; i < len; i++) {
		size_t step = kept(src, len, i) ? 1 : 3;
		if (n + step <= cap) {
			if (step == 1) {
				out[n] = (char)src[i];
			} else {
				out[n] = '%';
				out[n + 1] = hexu[src[i] >> 4];
				out[n + 2] = hexu[src[i] & 15];
			}
			w = n + step;
		}
		n += step;
	}
	*written = w;
	return n;
}

size_t name_encode(const char *src, size_t len, char out[NAME_BASE_MAX + 1])
{
	const unsigned char *s = (const unsigned char *)src;
	uint8_t digest[SHA256_LEN];
	size_t need, w;

	if (len == 0) {
		out[0] = '%';
		out[1] = '\0';
		return 1;
	}
	need = encode_into(s, len, out, NAME_BASE_MAX, &w);
	if (need <= NAME_BASE_MAX) {
		out[need] = '\0';
		return need;
	}
	/* The prefix written so far ends at an escape boundary; cut it to
	 * NAME_LONG_PREFIX, again at a boundary. */
	encode_into(s, len, out, NAME_LONG_PREFIX, &w);
	sha256(src, len, digest);
	out[w++] = '~';
	for (int i = 0; i < NAME_HASH_HEX / 2; i++) {
		out[w++] = hexl[digest[i] >> 4];
		out[w++] = hexl[digest[i] & 15];
	}
	out[w] = '\0';
	return w;
}

/* Decodes %XX escapes and plain bytes, checking only the alphabet.
 * Returns the decoded length or -EINVAL / -ENOSPC. */
static int unescape(const char *enc, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)enc[i];
		int hi, lo;

		if (n >= cap)
			return -ENOSPC;
		if (c == '%') {
			if (i + 2 >= len)
				return -EINVAL;
			hi = hex_digit(enc[i + 1], true);
			lo = hex_digit(enc[i + 2], true);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plain_byte(c) || c == '.') {
			out[n++] = (char)c;
		} else {
			return -EINVAL;
		}
	}
	return (int)n;
}

int name_decode(const char *enc, size_t len, char *out, size_t cap)
{
	char again[NAME_BASE_MAX + 1];
	int n;

	if (len == 0 || len > NAME_BASE_MAX)
		return -EINVAL;
	if (memchr(enc, '~', len))
		return name_is_encoded(enc, len) ? -E2BIG : -EINVAL;
	if (len == 1 && enc[0] == '%')
		return 0;
	n = unescape(enc, len, out, cap);
	if (n < 0)
		return n == -ENOSPC ? -ENOSPC : -EINVAL;
	/* Only the canonical spelling is ours: "%41" and "A" would decode
	 * alike, but only "A" is written. */
	if (name_encode(out, (size_t)n, again) != len || memcmp(again, enc, len))
		return -EINVAL;
	return n;
}

bool name_is_encoded(const char *enc, size_t len)
{
	char buf[NAME_BASE_MAX];
	const char *tilde;
	size_t plen;

	if (len == 0 || len > NAME_BASE_MAX)
		return false;
	tilde = memchr(enc, '~', len);
	if (!tilde)
		return name_decode(enc, len, buf, sizeof(buf)) >= 0;
	/* Long form: a prefix of an encoding, '~', lower-case hex. */
	plen = (size_t)(tilde - enc);
	if (len != plen + 1 + NAME_HASH_HEX || plen == 0 ||
	    plen > NAME_LONG_PREFIX)
		return false;
	for (size_t i = plen + 1; i < len; i++)
		if (enc[i] == '\0' || !strchr(hexl, enc[i]))
			return false;
	if (enc[0] == '.')
		return false;
	for (size_t i = 0; i + 1 < plen; i++)
		if (enc[i] == '.' && enc[i + 1] == '.')
			return false;
	return unescape(enc, plen, buf, sizeof(buf)) >= 0;
}

/* ---- file bases: the name and, where it does not tell, the stream ---- */

static bool word_ok(const char *w, size_t len)
{
	if (len == 0 || len > NAME_STREAM_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool lower = w[i] >= 'a' && w[i] <= 'z';
		bool digit = w[i] >= '0' && w[i] <= '9';
		if (!lower && !digit)
			return false;
	}
	return true;
}

static bool is(const char *s, size_t len, const char *lit)
{
	return len == strlen(lit) && !memcmp(s, lit, len);
}

/* Does the name alone say the stream, as LinuxKit's convention has it? */
static bool conventional(const char *src, size_t len, const char *stream,
			 size_t stream_len)
{
	bool out_name = len >= 4 && !memcmp(src + len - 4, ".out", 4);

	if (stream_len == 0)
		return true;
	if (is(stream, stream_len, "stdout"))
		return out_name;
	if (is(stream, stream_len, "stderr"))
		return !out_name;
	return false;
}

size_t name_file_base(const char *src, size_t len, const char *stream,
		      size_t stream_len, char out[FILE_BASE_MAX + 1])
{
	size_t n;

	if (is(src, len, "memlogd") && is(stream, stream_len, "none")) {
		memcpy(out, "memlogd", 8);
		return 7;
	}
	n = name_encode(src, len, out);
	if (conventional(src, len, stream, stream_len) &&
	    !is(src, len, "memlogd"))
		return n;
	if (stream_len == 0) { /* "memlogd" without a stream */
		stream = "stderr";
		stream_len = 6;
	} else if (!word_ok(stream, stream_len)) {
		stream = "unknown";
		stream_len = 7;
	}
	out[n++] = '@';
	memcpy(out + n, stream, stream_len);
	n += stream_len;
	out[n] = '\0';
	return n;
}

bool name_base_ok(const char *base, size_t len)
{
	const char *at = memchr(base, '@', len);
	size_t nlen = at ? (size_t)(at - base) : len;

	if (!name_is_encoded(base, nlen))
		return false;
	if (!at)
		return true;
	return word_ok(at + 1, len - nlen - 1);
}

/* ---- the names of a base's files ---- */

static bool ends_with(const char *s, size_t len, const char *tail, size_t *rest)
{
	size_t tl = strlen(tail);

	if (len < tl || memcmp(s + len - tl, tail, tl))
		return false;
	*rest = len - tl;
	return true;
}

bool name_file_parse(const char *name, struct file_name *out)
{
	size_t len = strlen(name), rest, d = 0;
	struct file_name f = { 0 };
	unsigned k = 0;

	if (ends_with(name, len, ".log.0.gz.tmp", &rest)) {
		f.kind = NAME_GZ_TMP;
	} else if (ends_with(name, len, ".log", &rest)) {
		f.kind = NAME_LIVE;
	} else {
		f.kind = NAME_ROTATED;
		if (ends_with(name, len, ".gz", &len))
			f.kind = NAME_ROTATED_GZ;
		while (d < len && d < 6 && name[len - 1 - d] >= '0' &&
		       name[len - 1 - d] <= '9')
			d++;
		if (d == 0 || d > 5 || (d > 1 && name[len - d] == '0'))
			return false;
		for (size_t i = len - d; i < len; i++)
			k = k * 10 + (unsigned)(name[i] - '0');
		if (!ends_with(name, len - d, ".log.", &rest))
			return false;
	}
	if (rest == 0 || rest > FILE_BASE_MAX || !name_base_ok(name, rest))
		return false;
	f.base_len = rest;
	f.index = k;
	*out = f;
	return true;
}
