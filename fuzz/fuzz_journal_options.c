/* libFuzzer target: memlog-journal's command line (options.c, with the
 * unit filter's names) on an argv made of the input's NUL-separated words.
 * Whatever the words: on success the values are within their bounds, each
 * unit name is one the filter can hold; on error the reason is one
 * terminated line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-journal/buf.c"
#include "../src/memlog-journal/entry.c"
#include "../src/memlog-journal/filter.c"
#include "../src/memlog-journal/format.c"
#include "../src/memlog-journal/jcursor.c"
#include "../src/memlog-journal/options.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_WORDS 80

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_WORDS + 2], err[256];
	int argc = 0;
	struct journal_opts o;

	CHECK(copy);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "memlog-journal";
	for (char *p = copy; p <= copy + size && argc <= MAX_WORDS;) {
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	argv[argc] = NULL;
	FILE *out = fopen("/dev/null", "w");
	CHECK(out);
	enum opt_result r = journal_parse_args(argc, argv, &o, err, sizeof(err), out);
	fclose(out);
	if (r == OPT_USAGE) {
		CHECK(memchr(err, '\0', sizeof(err)));
		CHECK(!strchr(err, '\n'));
	} else if (r == OPT_RUN) {
		CHECK(o.format <= JFORMAT_JSON && o.from <= JFROM_TAIL);
		CHECK(o.field_max >= 256 && o.field_max <= 16u << 20);
		CHECK(o.filter.nunits <= JFILTER_UNITS_MAX);
		for (unsigned i = 0; i < o.filter.nunits; i++)
			CHECK(strlen(o.filter.units[i]) >= 1 &&
			      strlen(o.filter.units[i]) <= JFILTER_UNIT_MAX);
		CHECK(!o.filter.has_prio ||
		      (o.filter.prio_min <= o.filter.prio_max &&
		       o.filter.prio_max <= 7 && o.filter.prio_min >= 0));
		CHECK(strlen(o.holder_socket) < 108);
	}
	free(copy);
	return 0;
}
