/* libFuzzer target: memlog-journal's formats (format.c) and filter
 * (filter.c) on an entry made of the input: NUL-separated words, each
 * "NAME=VALUE" a field (values of any bytes but NUL), the first byte
 * choosing a unit filter. Every format must end each entry's output with
 * '\n' (or write nothing, in the text formats); json must be one line that
 * parses as a JSON object, with the cursor and every field whose name is
 * text in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../src/memlog-journal/buf.c"
#include "../src/memlog-journal/entry.c"
#include "../src/memlog-journal/filter.c"
#include "../src/memlog-journal/format.c"
#include "../src/memlog-journal/jcursor.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jfield f[MAX_FIELDS];
	size_t n = 0;
	const char *p = (const char *)data, *end = p + size;

	while (p < end && n < MAX_FIELDS) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *we = z ? z : end;
		const char *eq = memchr(p, '=', (size_t)(we - p));
		if (eq && eq > p)
			f[n++] = (struct jfield){ p, (size_t)(eq - p), eq + 1,
						  (size_t)(we - eq - 1), false };
		p = we + 1;
	}
	struct jentry e = {
		.fields = f, .nfields = n, .realtime_us = size * 1000003ull,
		.monotonic_us = size, .boot_id = "0123456789abcdef0123456789abcdef",
		.cursor = size & 1 ? "s=0123456789abcdef0123456789abcdef;i=5;t=9" : NULL,
	};
	for (int k = JFORMAT_SHORT; k <= JFORMAT_JSON; k++) {
		struct jbuf b = { 0 };
		int r = jformat_entry(&b, (enum jformat)k, &e);
		CHECK(r >= 0 && (size_t)r == b.len);
		CHECK(r > 0 || k != JFORMAT_JSON);
		if (r > 0)
			CHECK(b.p[b.len - 1] == '\n');
		if (k == JFORMAT_JSON) {
			CHECK(memchr(b.p, '\n', b.len) == b.p + b.len - 1);
			json_error_t je;
			json_t *o = json_loadb(b.p, b.len, JSON_ALLOW_NUL, &je);
			CHECK(o && json_is_object(o));
			CHECK(!e.cursor || json_object_get(o, "__CURSOR"));
			for (size_t i = 0; i < n; i++) {
				char name[256];
				/* Names that are not text come out as
				 * U+FFFD (journald allows only A-Z0-9_). */
				if (f[i].name_len >= sizeof(name) ||
				    !jformat_printable(f[i].name, f[i].name_len,
						       false))
					continue;
				memcpy(name, f[i].name, f[i].name_len);
				name[f[i].name_len] = '\0';
				if (strcmp(name, "_BOOT_ID"))
					CHECK(json_object_get(o, name));
			}
			json_decref(o);
		}
		jbuf_free(&b);
	}
	struct jfilter fl = { 0 };
	if (size && (data[0] & 1))
		jfilter_add_unit(&fl, data[0] & 2 ? "a*" : "a");
	fl.has_prio = size && (data[0] & 4);
	fl.prio_max = size ? data[0] >> 5 : 0;
	(void)jfilter_match(&fl, &e);
	return 0;
}
