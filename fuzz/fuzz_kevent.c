/* libFuzzer target: kevent_parse() on the input as one message (facility
 * 0, and another facility, which must never be an event), checking that
 * every piece it returns lies inside the message, comms are within the
 * kernel's bounds, and, when the input holds a NUL, kevent_oom_check() on
 * the two halves (summary, killed record) with its cgroup inside the
 * summary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kevent.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void inside(struct kstr s, const char *m, size_t len)
{
	if (!s.p) {
		CHECK(s.len == 0);
		return;
	}
	CHECK(s.p >= m && s.p <= m + len && s.len <= (size_t)(m + len - s.p));
}

static void check(const char *m, size_t len, struct kevent *ev)
{
	enum kevent_type t = kevent_parse(0, m, len, ev);

	CHECK(t == ev->type);
	CHECK((t == KEV_NONE) == (kevent_name(t) == NULL));
	inside(ev->comm, m, len);
	CHECK(ev->comm.len <= KEV_COMM_MAX);
	for (int i = 0; i < KEV_NIFS; i++) {
		inside(ev->ifs[i], m, len);
		CHECK(ev->ifs[i].len <= 15);
	}
	CHECK(ev->pid >= -1);
	if (t == KEV_OOM_SUMMARY)
		CHECK(ev->task_at >= m && ev->task_at < m + len);
	if (t == KEV_SEGFAULT || t == KEV_HUNG || t == KEV_OOM_KILLED)
		CHECK(ev->pid >= 0);
	/* Comparing with itself as raw bytes never reads outside. */
	kevent_comm_eq(ev, m, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *m = (const char *)data;
	struct kevent a, b;
	struct kstr cg;

	check(m, size, &a);
	CHECK(kevent_parse(1, m, size, &b) == KEV_NONE);
	const char *nul = memchr(m, '\0', size);
	if (!nul)
		return 0;
	size_t l1 = (size_t)(nul - m), l2 = size - l1 - 1;
	check(m, l1, &a);
	check(nul + 1, l2, &b);
	if (kevent_oom_check(&a, m, &b, &cg)) {
		CHECK(a.pid == b.pid);
		inside(cg, m, l1);
		CHECK(!cg.p || cg.p[0] == '/');
	}
	return 0;
}
