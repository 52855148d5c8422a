/* libFuzzer target: container registrations (ctrmsg.h). The input as a
 * registration datagram: when ctr_msg_parse() takes it, the message built
 * again from the result parses to the same; the input as a line of the
 * containers file: when ctr_line_parse() takes it, the line formatted
 * again parses to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrmsg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void same(const struct ctr_msg *a, const struct ctr_msg *b, bool file)
{
	CHECK(!strcmp(a->name, b->name) && !strcmp(a->id, b->id));
	CHECK(a->pid == b->pid && !strcmp(a->cgroup, b->cgroup));
	if (a->pid || file)
		CHECK(a->start_ticks == b->start_ticks);
	CHECK(a->ns_pid == b->ns_pid && a->ns_net == b->ns_net);
	if (file)
		CHECK(a->uid == b->uid && a->gone == b->gone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_msg m, m2;
	struct ctr_msg c, c2;
	const char *why;
	char buf[REG_DGRAM_MAX * 2];

	reg_parse(data, size, &m);
	if (ctr_msg_parse(&m, &c, &why) == 0) {
		CHECK(why == NULL && c.id[0] && c.name[0]);
		CHECK(!c.pid || c.cgroup[0] == '/');
		if (!c.pid)
			c.ns_pid = c.ns_net = 0, c.cgroup[0] = 0; /* not sent without a pid */
		int n = ctr_msg_build(buf, sizeof(buf), &c);
		CHECK(n > 0);
		reg_parse(buf, (size_t)n, &m2);
		CHECK(ctr_msg_parse(&m2, &c2, &why) == 0);
		same(&c, &c2, false);
	} else {
		CHECK(why != NULL);
	}
	if (ctr_line_parse((const char *)data, size, &c) == 0) {
		int n = ctr_line_format(buf, sizeof(buf), &c);
		CHECK(n > 0 && buf[n - 1] == '\n');
		CHECK(ctr_line_parse(buf, (size_t)n, &c2) == 0);
		same(&c, &c2, true);
	}
	return 0;
}
