/* libFuzzer target: logread --redact (src/logread/redact.c). Whatever the
 * message holds (NULs included): the result is at most REDACT_GROWTH
 * times as long, keeps every NUL, and no part of it (between NULs) still
 * matches a pattern: every match was replaced, and "[redacted]" matches
 * none of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/logread/redact.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t nuls(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += !s[i];
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pats[] = { "k[0-9]+", "secret", "pw=[^ ]*x",
					    "^start" };
	static struct redact r;
	static int ready;
	const char *msg = (const char *)data, *out;
	size_t ol;
	char err[256];
	int n;

	if (!ready) {
		CHECK(redact_init(&r, pats, 4, err, sizeof(err)) == 0);
		ready = 1;
	}
	n = redact_apply(&r, msg, size, &out, &ol);
	CHECK(n >= 0);
	CHECK(ol <= size * REDACT_GROWTH);
	CHECK(n > 0 || (out == msg && ol == size));
	CHECK(nuls(out, ol) == nuls(msg, size));
	/* Every part of the result is free of matches, but "^start": a
	 * part of the result may begin with what followed a match. */
	char *copy = malloc(ol + 1);
	CHECK(copy);
	memcpy(copy, out, ol);
	copy[ol] = '\0';
	for (size_t at = 0; at <= ol;) {
		size_t pl = strlen(copy + at);
		for (unsigned i = 0; i < 3; i++) {
			regmatch_t m;
			CHECK(regexec(&r.re[i], copy + at, 1, &m, 0) != 0);
		}
		at += pl + 1;
	}
	free(copy);
	return 0;
}
