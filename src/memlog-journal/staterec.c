#include "staterec.h"

#include <errno.h>
#include <string.h>

uint64_t jstate_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int jstate_encode(void *buf, const struct jstate *s)
{
	unsigned char *p = buf;
	size_t cl = strnlen(s->cursor, sizeof(s->cursor));

	if (cl > JCURSOR_MAX)
		return -EINVAL;
	memset(p, 0, JSTATE_SLOT_SIZE);
	memcpy(p, "MLJS", 4);
	put16(p + 4, JSTATE_VERSION);
	put32(p + 8, (uint32_t)cl);
	put64(p + 16, s->gen);
	put64(p + 24, s->wal_id);
	put64(p + 32, s->wal_end);
	put64(p + 40, s->entries);
	memcpy(p + JSTATE_HDR, s->cursor, cl);
	uint64_t h = jstate_fnv(JSTATE_FNV_INIT, p, 48);
	put64(p + 48, jstate_fnv(h, p + JSTATE_HDR, cl));
	return JSTATE_SLOT_SIZE;
}

int jstate_decode(const void *buf, size_t len, struct jstate *s)
{
	const unsigned char *p = buf;

	if (len < JSTATE_SLOT_SIZE || memcmp(p, "MLJS", 4) != 0)
		return -EBADMSG;
	if (get16(p + 4) != JSTATE_VERSION)
		return -EPROTONOSUPPORT;
	uint32_t cl = get32(p + 8);
	if (get16(p + 6) || get32(p + 12) || cl > JCURSOR_MAX)
		return -EBADMSG;
	uint64_t h = jstate_fnv(JSTATE_FNV_INIT, p, 48);
	if (jstate_fnv(h, p + JSTATE_HDR, cl) != get64(p + 48))
		return -EBADMSG;
	for (size_t i = JSTATE_HDR + cl; i < JSTATE_SLOT_SIZE; i++)
		if (p[i])
			return -EBADMSG;
	if (memchr(p + JSTATE_HDR, '\0', cl))
		return -EBADMSG;
	s->gen = get64(p + 16);
	s->wal_id = get64(p + 24);
	s->wal_end = get64(p + 32);
	s->entries = get64(p + 40);
	memcpy(s->cursor, p + JSTATE_HDR, cl);
	s->cursor[cl] = '\0';
	return 0;
}

int jstate_pick(const void *area, size_t len, struct jstate *s)
{
	const unsigned char *p = area;
	struct jstate a, b;
	bool ok_a, ok_b;

	ok_a = len >= JSTATE_SLOT_SIZE && jstate_decode(p, len, &a) == 0;
	ok_b = len >= 2 * JSTATE_SLOT_SIZE &&
	       jstate_decode(p + JSTATE_SLOT_SIZE, len - JSTATE_SLOT_SIZE, &b) == 0;
	if (ok_a && (!ok_b || a.gen >= b.gen)) {
		*s = a;
		return 0;
	}
	if (ok_b) {
		*s = b;
		return 1;
	}
	return -ENOENT;
}

void jwal_header(unsigned char out[16], uint64_t wal_id)
{
	memcpy(out, JWAL_MAGIC, 4);
	put32(out + 4, JSTATE_VERSION);
	put64(out + 8, wal_id);
}

int jwal_header_id(const void *buf, size_t len, uint64_t *wal_id)
{
	const unsigned char *p = buf;

	if (len < 16 || memcmp(p, JWAL_MAGIC, 4) != 0 ||
	    get32(p + 4) != JSTATE_VERSION)
		return -EBADMSG;
	*wal_id = get64(p + 8);
	return 0;
}

size_t jsave_size(size_t cursor_len, size_t pending_len)
{
	return JSAVE_HDR + cursor_len + pending_len;
}

static uint64_t jsave_sum(const unsigned char *p, size_t len)
{
	uint64_t h = jstate_fnv(JSTATE_FNV_INIT, p, 16);

	return jstate_fnv(h, p + JSAVE_HDR, len - JSAVE_HDR);
}

int jsave_encode(void *buf, size_t cap, const char *cursor, size_t cursor_len,
		 const void *pending, size_t pending_len)
{
	unsigned char *p = buf;
	size_t n = jsave_size(cursor_len, pending_len);

	if (!cursor_len || cursor_len > JCURSOR_MAX ||
	    memchr(cursor, '\0', cursor_len) || pending_len > JSAVE_PENDING_MAX)
		return -EINVAL;
	if (cap < n)
		return -ENOSPC;
	memcpy(p, "MLJC", 4);
	put16(p + 4, JSAVE_VERSION);
	put16(p + 6, 0);
	put32(p + 8, (uint32_t)cursor_len);
	put32(p + 12, (uint32_t)pending_len);
	memcpy(p + JSAVE_HDR, cursor, cursor_len);
	if (pending_len)
		memcpy(p + JSAVE_HDR + cursor_len, pending, pending_len);
	put64(p + 16, jsave_sum(p, n));
	return (int)n;
}

int jsave_decode(const void *buf, size_t len, struct jsave *s)
{
	const unsigned char *p = buf;

	if (len < JSAVE_HDR || memcmp(p, "MLJC", 4) != 0)
		return -EBADMSG;
	if (get16(p + 4) != JSAVE_VERSION)
		return -EPROTONOSUPPORT;
	uint32_t cl = get32(p + 8), pl = get32(p + 12);
	if (get16(p + 6) || !cl || cl > JCURSOR_MAX || pl > JSAVE_PENDING_MAX ||
	    len != jsave_size(cl, pl) || get64(p + 16) != jsave_sum(p, len) ||
	    memchr(p + JSAVE_HDR, '\0', cl))
		return -EBADMSG;
	s->cursor = (const char *)p + JSAVE_HDR;
	s->cursor_len = cl;
	s->pending = (const char *)p + JSAVE_HDR + cl;
	s->pending_len = pl;
	return 0;
}
