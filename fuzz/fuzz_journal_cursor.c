/* libFuzzer target: the journal cursor parser (jcursor.c) and the
 * /proc/PID/stat start time parser (procstat.c) on any bytes. A parsed
 * cursor holds lower-case 32-digit ids and says which parts it has; an
 * entry is never counted as lying between itself and itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/memlog-journal/jcursor.c"
#include "../src/memlog-journal/procstat.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *id)
{
	CHECK(strlen(id) == 32);
	for (int i = 0; i < 32; i++)
		CHECK((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jcursor c;
	uint64_t t;

	if (jcursor_parse((const char *)data, size, &c) == 0) {
		CHECK(c.has && size <= JCURSOR_MAX);
		if (c.has & JCURSOR_HAS_SEQNUM)
			check_id(c.seqnum_id);
		if (c.has & JCURSOR_HAS_BOOT)
			check_id(c.boot_id);
		CHECK(jcursor_between(&c, &c) == -1);
		struct jcursor d = c;
		if ((c.has & JCURSOR_HAS_SEQNUM) && c.seqnum < UINT64_MAX) {
			d.seqnum = c.seqnum + 1;
			CHECK(jcursor_between(&c, &d) == 0);
		}
	}
	(void)procstat_starttime((const char *)data, size, &t);
	return 0;
}
