/* libFuzzer target: the /proc parsers (proc_stat_parse,
 * proc_cgroup_pick), cgroup_within and ctr_cgroup_parse on the input:
 * every piece they return lies inside it, and what they find is what
 * they promise (a comm in parentheses, a path that starts with '/', an id
 * of 64 hex digits inside the path). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrcgroup.h"
#include "procinfo.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct proc_stat st;
	struct ctr_cgroup c;
	const char *p;
	size_t n;

	if (proc_stat_parse(t, size, &st) == 0) {
		CHECK(st.comm > t && st.comm + st.comm_len < t + size);
		CHECK(st.comm[-1] == '(' && st.comm[st.comm_len] == ')');
	}
	if (proc_cgroup_pick(t, size, &p, &n) == 0) {
		CHECK(p > t && p + n <= t + size && n > 0 && p[0] == '/');
		CHECK(!memchr(p, '\n', n));
		CHECK(cgroup_within(p, n, p, n));
		CHECK(cgroup_within(p, n, "/", 1));
	}
	if (ctr_cgroup_parse(t, size, &c) == 0) {
		CHECK(c.base_len <= size && c.base_len >= 64);
		CHECK(strlen(c.id) == 64);
		CHECK(memmem(t, c.base_len, c.id, 64));
		CHECK(c.engine && strlen(c.pod) < sizeof(c.pod));
	}
	if (size >= 2) {
		size_t half = size / 2;
		if (cgroup_within(t, size, t + half, size - half))
			CHECK(size - half <= size);
	}
	return 0;
}
