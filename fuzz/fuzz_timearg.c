/* libFuzzer target: timearg_parse() (logread's --since/--until) on any
 * bytes. What parses is coherent: fields in range, a date a real one that
 * uint64 ns hold, an epoch time that written back parses to the same ns. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timearg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > TIMEARG_MAX + 4)
		size = TIMEARG_MAX + 4;
	/* Exactly as long as the text: a read past its NUL is caught. */
	char *s = malloc(size + 1);
	CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	check(s);
	free(s);
	return 0;
}

static void check(const char *s)
{
	char back[64];
	struct timearg t, t2;
	int r = timearg_parse(s, &t);
	if (r != 0) {
		CHECK(r == -EINVAL || r == -ERANGE);
		return;
	}
	CHECK(strlen(s) <= TIMEARG_MAX);
	switch (t.kind) {
	case TIMEARG_ABS:
		snprintf(back, sizeof(back), "@%" PRIu64 ".%09" PRIu64,
			 t.ns / 1000000000u, t.ns % 1000000000u);
		CHECK(timearg_parse(back, &t2) == 0 && t2.kind == TIMEARG_ABS &&
		      t2.ns == t.ns);
		break;
	case TIMEARG_REL:
		break;
	case TIMEARG_CIVIL:
		CHECK(t.hour >= 0 && t.hour <= 23 && t.min >= 0 && t.min <= 59 &&
		      t.sec >= 0 && t.sec <= 59 && t.nsec < 1000000000u);
		CHECK(t.day_offset >= -1 && t.day_offset <= 1);
		if (t.has_date) {
			uint64_t ns;
			CHECK(t.mon >= 1 && t.mon <= 12 && t.day >= 1 &&
			      t.day <= 31);
			CHECK(timearg_civil_utc(t.year, t.mon, t.day, t.hour,
						t.min, t.sec, t.nsec, &ns) == 0);
			snprintf(back, sizeof(back),
				 "%04d-%02d-%02d %02d:%02d:%02d.%09u%s",
				 t.year, t.mon, t.day, t.hour, t.min, t.sec,
				 (unsigned)t.nsec, t.utc ? " UTC" : "");
			CHECK(timearg_parse(back, &t2) == 0);
			CHECK(t2.year == t.year && t2.mon == t.mon &&
			      t2.day == t.day && t2.hour == t.hour &&
			      t2.min == t.min && t2.sec == t.sec &&
			      t2.nsec == t.nsec && t2.utc == t.utc);
		}
		break;
	default:
		CHECK(0);
	}
}
