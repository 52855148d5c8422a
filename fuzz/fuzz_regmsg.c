/* libFuzzer target: reg_parse() on any datagram. Checks the name and every
 * attribute point inside the input and obey the limits, and that rebuilding
 * the parsed registration with reg_build() parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regmsg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int inside(const char *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= (const char *)buf && p + n <= (const char *)buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[REG_DGRAM_MAX * 2];
	struct reg_msg m, m2;

	reg_parse(data, size, &m);
	CHECK(m.name == (const char *)data);
	CHECK(m.name_len <= REG_NAME_MAX);
	CHECK(m.name_len <= size);
	CHECK(!memchr(m.name, '\0', m.name_len));
	CHECK(m.name_truncated == (m.name_len == REG_NAME_MAX &&
				   size > REG_NAME_MAX &&
				   !memchr(data, '\0', REG_NAME_MAX + 1)));
	CHECK(m.stream == STREAM_STDOUT || m.stream == STREAM_STDERR);
	CHECK(m.nattrs <= REG_ATTRS_MAX);
	for (unsigned i = 0; i < m.nattrs; i++) {
		const struct reg_attr *a = &m.attrs[i];
		CHECK(inside(a->key, a->key_len, data, size));
		CHECK(inside(a->val, a->val_len, data, size));
		CHECK(a->key_len > 0);
		CHECK(a->val == a->key + a->key_len + 1);
		CHECK(a->val[-1] == '=');
		CHECK(!memchr(a->key, '=', a->key_len));
		CHECK(!memchr(a->key, '\0', a->key_len));
		CHECK(!memchr(a->val, '\0', a->val_len));
		CHECK(!(a->key_len == 6 && !memcmp(a->key, "stream", 6)));
	}
	CHECK(reg_find(&m, "") == NULL);
	CHECK(reg_find(&m, "stream") == NULL);

	/* Rebuild: the kept attributes plus stream= when one was given. */
	struct reg_attr attrs[REG_ATTRS_MAX + 1];
	unsigned n = m.nattrs;
	memcpy(attrs, m.attrs, n * sizeof(attrs[0]));
	if (m.stream_given) {
		const char *s = stream_name(m.stream);
		attrs[n++] = (struct reg_attr){ "stream", 6, s, strlen(s) };
	}
	int len = reg_build(out, sizeof(out), m.name, m.name_len, attrs, n);
	CHECK(len >= 0 && (size_t)len <= size);
	reg_parse(out, (size_t)len, &m2);
	CHECK(m2.name_len == m.name_len);
	CHECK(!memcmp(m2.name, m.name, m.name_len));
	CHECK(m2.nattrs == m.nattrs);
	CHECK(m2.bad_attrs == 0);
	CHECK(m2.stream_given == m.stream_given);
	if (m.stream_given || !m.name_truncated)
		CHECK(m2.stream == m.stream);
	for (unsigned i = 0; i < m.nattrs; i++) {
		CHECK(m2.attrs[i].key_len == m.attrs[i].key_len);
		CHECK(m2.attrs[i].val_len == m.attrs[i].val_len);
		CHECK(!memcmp(m2.attrs[i].key, m.attrs[i].key, m.attrs[i].key_len));
		CHECK(!memcmp(m2.attrs[i].val, m.attrs[i].val, m.attrs[i].val_len));
	}
	return 0;
}
