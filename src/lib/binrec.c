#include "binrec.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Little-endian, whatever the host: a client on another architecture
 * reading a dump saved to a file reads the same. */
static char *put_u8(char *p, uint8_t v)
{
	*p = (char)v;
	return p + 1;
}

static char *put_u16(char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
	return p + 2;
}

static char *put_u32(char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static char *put_u64(char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
	return p + 8;
}

static char *put_bytes(char *p, const void *b, size_t n)
{
	if (n)
		memcpy(p, b, n);
	return p + n;
}

/* The length field goes first, once the record's end is known. */
static size_t finish(char *out, char *end)
{
	size_t n = (size_t)(end - out);

	put_u32(out, (uint32_t)(n - 4));
	return n;
}

size_t binrec_hello(char *out, uint64_t instance)
{
	char *p = put_u8(out + 4, BINREC_HELLO);

	p = put_u32(p, BINREC_VERSION);
	p = put_u64(p, instance);
	return finish(out, p);
}

size_t binrec_source(char *out, uint32_t sid, uint8_t stream,
		     const char *name, size_t name_len)
{
	char *p = put_u8(out + 4, BINREC_SOURCE);

	if (name_len > UINT16_MAX)
		name_len = UINT16_MAX;
	p = put_u32(p, sid);
	p = put_u8(p, stream);
	p = put_u16(p, (uint16_t)name_len);
	p = put_bytes(p, name, name_len);
	return finish(out, p);
}

size_t binrec_entry(char *out, uint64_t seq, uint64_t time_ns, uint32_t sid,
		    uint8_t flags, int priority, int facility, const char *msg,
		    size_t msg_len, const char *attrs, size_t attrs_len)
{
	char *p = put_u8(out + 4, BINREC_ENTRY);

	p = put_u64(p, seq);
	p = put_u64(p, time_ns);
	p = put_u32(p, sid);
	p = put_u8(p, flags);
	p = put_u8(p, (uint8_t)(int8_t)priority);
	p = put_u8(p, (uint8_t)(int8_t)facility);
	p = put_u8(p, 0);
	p = put_u32(p, (uint32_t)msg_len);
	p = put_bytes(p, msg, msg_len);
	p = put_bytes(p, attrs, attrs_len);
	return finish(out, p);
}

size_t binrec_marker(char *out, uint64_t time_ns, int64_t missed,
		     uint64_t first, uint64_t last, const char *reason,
		     const char *text)
{
	size_t rl = strlen(reason);
	char *p = put_u8(out + 4, BINREC_MARKER);

	if (rl > UINT8_MAX)
		rl = UINT8_MAX;
	p = put_u64(p, (uint64_t)missed);
	p = put_u64(p, first);
	p = put_u64(p, last);
	p = put_u64(p, time_ns);
	p = put_u8(p, (uint8_t)rl);
	p = put_bytes(p, reason, rl);
	p = put_bytes(p, text, strlen(text));
	return finish(out, p);
}

size_t binrec_error(char *out, const char *text, size_t len)
{
	char *p = put_u8(out + 4, BINREC_ERROR);

	p = put_bytes(p, text, len);
	return finish(out, p);
}

/* Little-endian loads of 2, 4 or 8 bytes: one load each where the host
 * is little-endian (the compiler folds memcpy and le*toh), which keeps
 * the decoder off the clients' profiles. */
static uint64_t get(const unsigned char *p, int n)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (n) {
	case 8:
		memcpy(&v64, p, 8);
		return le64toh(v64);
	case 4:
		memcpy(&v32, p, 4);
		return le32toh(v32);
	default:
		memcpy(&v16, p, 2);
		return le16toh(v16);
	}
}

int binrec_next(const char *buf, size_t len, struct binrec *r, size_t *used)
{
	const unsigned char *b = (const unsigned char *)buf;

	if (len < 4)
		return 0;
	uint32_t n = (uint32_t)get(b, 4);
	if (n < 1 || n > BINREC_MAX - 4)
		return -EBADMSG;
	if (len - 4 < n)
		return 0;
	const unsigned char *p = b + 5, *end = b + 4 + n;
	size_t rest = (size_t)(end - p);
	memset(r, 0, sizeof(*r));
	r->type = (enum binrec_type)b[4];
	r->priority = r->facility = -1;
	switch (r->type) {
	case BINREC_HELLO:
		if (rest != 12)
			return -EBADMSG;
		r->version = (uint32_t)get(p, 4);
		r->instance = get(p + 4, 8);
		break;
	case BINREC_SOURCE:
		if (rest < 7)
			return -EBADMSG;
		r->sid = (uint32_t)get(p, 4);
		r->stream = p[4];
		r->name_len = (size_t)get(p + 5, 2);
		if (rest != 7 + r->name_len)
			return -EBADMSG;
		r->name = (const char *)p + 7;
		break;
	case BINREC_ENTRY:
		if (rest < 28)
			return -EBADMSG;
		r->seq = get(p, 8);
		r->time_ns = get(p + 8, 8);
		r->sid = (uint32_t)get(p + 16, 4);
		r->flags = p[20];
		r->priority = (int8_t)p[21];
		r->facility = (int8_t)p[22];
		r->msg_len = (size_t)get(p + 24, 4);
		if (p[23] != 0 || r->msg_len > rest - 28 ||
		    (r->flags & ~(BINREC_PARTIAL | BINREC_NOTICE | BINREC_NOEOL)) ||
		    r->priority < -1 || r->priority > 7 ||
		    r->facility < -1 || r->facility > 23)
			return -EBADMSG;
		r->msg = (const char *)p + 28;
		r->attrs = r->msg + r->msg_len;
		r->attrs_len = rest - 28 - r->msg_len;
		break;
	case BINREC_MARKER:
		if (rest < 33)
			return -EBADMSG;
		r->missed = (int64_t)get(p, 8);
		r->first = get(p + 8, 8);
		r->last = get(p + 16, 8);
		r->time_ns = get(p + 24, 8);
		r->reason_len = p[32];
		if (rest < 33 + r->reason_len)
			return -EBADMSG;
		r->reason = (const char *)p + 33;
		r->msg = r->reason + r->reason_len;
		r->msg_len = rest - 33 - r->reason_len;
		break;
	case BINREC_ERROR:
		r->msg = (const char *)p;
		r->msg_len = rest;
		break;
	default:
		return -EBADMSG;
	}
	*used = 4 + (size_t)n;
	return 1;
}
