#include "regmsg.h"

#include <errno.h>
#include <string.h>

const char *stream_name(enum stream s)
{
	switch (s) {
	case STREAM_STDOUT: return "stdout";
	case STREAM_STDERR: return "stderr";
	case STREAM_NONE: return "none";
	case STREAM_SYSLOG: return "syslog";
	case STREAM_KERNEL: return "kernel";
	default: return "unknown";
	}
}

static bool eq(const char *a, size_t alen, const char *lit);

int stream_parse(const char *s, size_t len)
{
	static const struct { const char *name; enum stream st; } names[] = {
		{ "stdout", STREAM_STDOUT }, { "stderr", STREAM_STDERR },
		{ "none", STREAM_NONE }, { "daemon", STREAM_NONE },
		{ "syslog", STREAM_SYSLOG }, { "kernel", STREAM_KERNEL },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (eq(s, len, names[i].name))
			return (int)names[i].st;
	return -1;
}

static bool eq(const char *a, size_t alen, const char *lit)
{
	size_t l = strlen(lit);
	return alen == l && memcmp(a, lit, l) == 0;
}

void reg_parse(const void *buf, size_t len, struct reg_msg *out)
{
	const char *p = buf, *end = p + len;
	const char *nul = memchr(p, '\0', len);
	size_t nlen = nul ? (size_t)(nul - p) : len;

	memset(out, 0, sizeof(*out));
	out->name = p;
	out->name_len = nlen;
	if (nlen > REG_NAME_MAX) {
		out->name_len = REG_NAME_MAX;
		out->name_truncated = true;
	}

	for (p = nul ? nul + 1 : end; p < end;) {
		const char *e = memchr(p, '\0', (size_t)(end - p));
		size_t alen = e ? (size_t)(e - p) : (size_t)(end - p);
		const char *eqp = memchr(p, '=', alen);

		if (alen == 0) {
			/* empty segment (e.g. a trailing NUL): harmless */
		} else if (!eqp || eqp == p) {
			out->bad_attrs++;
		} else {
			struct reg_attr a = {
				.key = p,
				.key_len = (size_t)(eqp - p),
				.val = eqp + 1,
				.val_len = alen - (size_t)(eqp - p) - 1,
			};
			if (eq(a.key, a.key_len, "stream")) {
				if (eq(a.val, a.val_len, "stdout")) {
					out->stream = STREAM_STDOUT;
					out->stream_given = true;
				} else if (eq(a.val, a.val_len, "stderr")) {
					out->stream = STREAM_STDERR;
					out->stream_given = true;
				} else {
					out->bad_attrs++;
				}
			} else if (eq(a.key, a.key_len, "tee") ||
				   eq(a.key, a.key_len, "ack")) {
				bool *flag = a.key[0] == 't' ? &out->tee : &out->ack;
				if (eq(a.val, a.val_len, "1"))
					*flag = true;
				else if (!eq(a.val, a.val_len, "0"))
					out->bad_attrs++;
			} else if (out->nattrs < REG_ATTRS_MAX) {
				out->attrs[out->nattrs++] = a;
			} else {
				out->bad_attrs++;
			}
		}
		p += alen + 1;
	}

	if (!out->stream_given) {
		bool dot_out = nlen >= 4 && memcmp((const char *)buf + nlen - 4,
						   ".out", 4) == 0;
		out->stream = dot_out ? STREAM_STDOUT : STREAM_STDERR;
	}
}

int reg_build(char *out, size_t cap, const char *name, size_t name_len,
	      const struct reg_attr *attrs, unsigned nattrs)
{
	size_t n = 0;

	if (memchr(name, '\0', name_len))
		return -EINVAL;
	if (name_len > cap)
		return -ENOSPC;
	memcpy(out, name, name_len);
	n = name_len;
	for (unsigned i = 0; i < nattrs; i++) {
		const struct reg_attr *a = &attrs[i];
		if (a->key_len == 0 || memchr(a->key, '\0', a->key_len) ||
		    memchr(a->key, '=', a->key_len) ||
		    memchr(a->val, '\0', a->val_len))
			return -EINVAL;
		size_t need = 1 + a->key_len + 1 + a->val_len;
		if (need > cap - n)
			return -ENOSPC;
		out[n++] = '\0';
		memcpy(out + n, a->key, a->key_len);
		n += a->key_len;
		out[n++] = '=';
		memcpy(out + n, a->val, a->val_len);
		n += a->val_len;
	}
	return (int)n;
}

const struct reg_attr *reg_find(const struct reg_msg *m, const char *key)
{
	for (unsigned i = 0; i < m->nattrs; i++)
		if (eq(m->attrs[i].key, m->attrs[i].key_len, key))
			return &m->attrs[i];
	return NULL;
}
