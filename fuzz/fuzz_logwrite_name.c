/* libFuzzer target: logwrite's source-name-to-file-name mapping. Any
 * bytes encode to a safe file name (no '/', no control character, no
 * leading or trailing dot, no "..", at most NAME_BASE_MAX bytes) that
 * decodes back to the same bytes (or is the hashed long form); names
 * that differ encode differently (checked against the input cut by one
 * byte and with one byte changed); and any bytes given to the decoder
 * either are refused or re-encode to exactly themselves. The file base
 * (name and stream) is checked for every stream and for the input's
 * second half as a stream, and the input is parsed as a directory
 * entry's name (name_file_parse()). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/client/name.c"
#include "../src/client/sha256.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const char *enc, size_t n)
{
	CHECK(n >= 1 && n <= NAME_BASE_MAX && strlen(enc) == n);
	CHECK(enc[0] != '.' && enc[n - 1] != '.');
	CHECK(!strstr(enc, ".."));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)enc[i];
		CHECK(c > 0x20 && c < 0x7f && c != '/');
	}
	CHECK(name_is_encoded(enc, n));
}

/* The file base with a stream: a safe name of its own shape; the stream
 * left out only where LinuxKit's convention tells it, and "memlogd" only
 * for memlogd's own entries. */
static void check_base(const char *src, size_t size, const char *stream,
		       size_t slen)
{
	char base[FILE_BASE_MAX + 1];
	size_t n = name_file_base(src, size, stream, slen, base);
	bool is_memlogd = size == 7 && !memcmp(src, "memlogd", 7);

	CHECK(n >= 1 && n <= FILE_BASE_MAX && strlen(base) == n);
	CHECK(name_base_ok(base, n));
	CHECK(base[0] != '.' && !strchr(base, '/'));
	for (size_t i = 0; i < n; i++)
		CHECK(base[i] > 0x20 && base[i] < 0x7f);
	if (!strcmp(base, "memlogd"))
		CHECK(is_memlogd && slen == 4 && !memcmp(stream, "none", 4));
	else if (!strchr(base, '@'))
		CHECK(slen == 0 || (slen == 6 && (!memcmp(stream, "stdout", 6) ||
						  !memcmp(stream, "stderr", 6))));
}

/* A directory entry's name: what parses as a family file is exactly the
 * name rebuilt from its base, kind and index. */
static void check_file_name(const char *data, size_t size)
{
	char name[300], again[300];
	struct file_name fn;

	if (size >= sizeof(name) || memchr(data, '\0', size))
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	if (!name_file_parse(name, &fn))
		return;
	CHECK(fn.base_len >= 1 && fn.base_len <= FILE_BASE_MAX);
	CHECK(name_base_ok(name, fn.base_len));
	CHECK(fn.index < NAME_INDEX_LIMIT);
	switch (fn.kind) {
	case NAME_LIVE:
		snprintf(again, sizeof(again), "%.*s.log", (int)fn.base_len, name);
		break;
	case NAME_ROTATED:
		snprintf(again, sizeof(again), "%.*s.log.%u", (int)fn.base_len,
			 name, fn.index);
		break;
	case NAME_ROTATED_GZ:
		snprintf(again, sizeof(again), "%.*s.log.%u.gz", (int)fn.base_len,
			 name, fn.index);
		break;
	case NAME_GZ_TMP:
		snprintf(again, sizeof(again), "%.*s.log.0.gz.tmp",
			 (int)fn.base_len, name);
		break;
	default:
		CHECK(0);
	}
	CHECK(!strcmp(again, name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	char enc[NAME_BASE_MAX + 1], other[NAME_BASE_MAX + 1];
	char back[NAME_BASE_MAX];
	size_t n, m;
	int d;

	if (size > 4096)
		return 0;
	check_file_name(src, size);
	n = name_encode(src, size, enc);
	check_safe(enc, n);
	static const char *const streams[] = { "stdout", "stderr", "none",
					       "syslog", "kernel" };
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		check_base(src, size, streams[i], strlen(streams[i]));
	check_base(src, size, NULL, 0);
	check_base(src, size / 2, src + size / 2, size - size / 2);
	d = name_decode(enc, n, back, sizeof(back));
	if (strchr(enc, '~')) {
		CHECK(d == -E2BIG);
	} else {
		CHECK(d == (int)size);
		CHECK(size == 0 || !memcmp(back, src, size));
	}
	if (size > 0) {
		m = name_encode(src, size - 1, other);
		CHECK(m != n || memcmp(enc, other, n));
		char *copy = malloc(size);
		CHECK(copy);
		memcpy(copy, src, size);
		copy[size / 2] ^= 0x5a;
		m = name_encode(copy, size, other);
		CHECK(m != n || memcmp(enc, other, n));
		free(copy);
	}
	/* The input as an encoding. */
	d = name_decode(src, size, back, sizeof(back));
	if (d >= 0) {
		m = name_encode(back, (size_t)d, other);
		CHECK(m == size && !memcmp(other, src, size));
	}
	if (name_is_encoded(src, size)) {
		CHECK(size <= NAME_BASE_MAX && src[0] != '.');
		CHECK(!memchr(src, '/', size));
	}
	return 0;
}
