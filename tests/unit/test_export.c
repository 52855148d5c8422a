/* export: systemd's Journal Export Format for one entry or marker: the
 * fields, the binary-safe form for values that are not one printable
 * line, attribute names mapped as journald does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "export.h"

static char out[8192];

static size_t entry(const char *msg, size_t len, const char *attrs,
		    size_t alen, enum stream stream, int prio, int fac,
		    uint32_t flags)
{
	struct ring_entry e = {
		.seq = 42, .time_ns = 1700000000123456789ull, .flags = flags,
		.priority = prio, .facility = fac, .len = (uint32_t)len,
		.msg = msg, .attrs = attrs, .attrs_len = (uint32_t)alen,
	};
	struct record_source src = { "web.out", 7, stream };
	size_t n = export_entry(out, &e, 0x0123456789abcdefull, &src);

	assert_true(n <= EXPORT_BOUND(7, len, alen));
	out[n] = '\0';
	return n;
}

static void test_plain_entry(void **state)
{
	(void)state;
	size_t n = entry("hello", 5, NULL, 0, STREAM_STDOUT, -1, -1,
			 RING_F_PARTIAL);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out,
		"__REALTIME_TIMESTAMP=1700000000123456\n"
		"MESSAGE=hello\n"
		"SYSLOG_IDENTIFIER=web.out\n"
		"_TRANSPORT=stdout\n"
		"MEMLOG_SEQ=42\n"
		"MEMLOG_CURSOR=m1-0123456789abcdef-000000000000002a\n"
		"MEMLOG_STREAM=stdout\n"
		"MEMLOG_PARTIAL=true\n"
		"\n");
}

/* A control byte or invalid UTF-8: NAME, '\n', u64 length, bytes, '\n'. */
static void test_binary_safe(void **state)
{
	(void)state;
	static const char want[] = "MESSAGE\n\x05\0\0\0\0\0\0\0a\rb\0c\n";
	size_t n = entry("a\rb\0c", 5, NULL, 0, STREAM_STDERR, -1, -1, 0);
	const char *m = memmem(out, n, "MESSAGE", 7);

	assert_non_null(m);
	assert_memory_equal(m, want, sizeof(want) - 1);
	n = entry("bad \xff", 5, NULL, 0, STREAM_STDERR, -1, -1, 0);
	assert_non_null(memmem(out, n, "MESSAGE\n\x05\0", 9));
	/* Valid UTF-8 and a tab stay text. */
	n = entry("\xc3\xa9\t.", 4, NULL, 0, STREAM_STDERR, -1, -1, 0);
	assert_non_null(strstr(out, "MESSAGE=\xc3\xa9\t.\n"));
}

static void test_attributes(void **state)
{
	(void)state;
	static const char sys[] = "_pid=77\0_uid=0\0pid=12\0hostname=h\0"
				  "ex@32473.iut=3\0=bad\0noeq";
	size_t n = entry("m", 1, sys, sizeof(sys) - 1, STREAM_SYSLOG, 3, 16,
			 RING_F_NOEOL | RING_F_MARKER);

	(void)n;
	assert_non_null(strstr(out, "\nPRIORITY=3\nSYSLOG_FACILITY=16\n"
			       "_TRANSPORT=syslog\n_PID=77\n_UID=0\n"
			       "SYSLOG_PID=12\nMEMLOG_HOSTNAME=h\n"
			       "MEMLOG_EX_32473_IUT=3\nMEMLOG_SEQ=42\n"));
	assert_non_null(strstr(out, "MEMLOG_EOF=true\nMEMLOG_NOTICE=true\n\n"));
	static const char kern[] = "SUBSYSTEM=pci\0DEVICE=+pci:0000:00:01.0";
	entry("k", 1, kern, sizeof(kern) - 1, STREAM_KERNEL, 6, 0, 0);
	assert_non_null(strstr(out, "_TRANSPORT=kernel\n_KERNEL_SUBSYSTEM=pci\n"
			       "_KERNEL_DEVICE=+pci:0000:00:01.0\n"));
	/* Every byte of the attribute space as one-byte attributes: within
	 * the bound. */
	static char many[4096];
	for (size_t i = 0; i < sizeof(many); i += 4)
		memcpy(many + i, "a=\x01", 4); /* "a=\x01" and a NUL */
	static char big[EXPORT_BOUND(7, 1, sizeof(many))];
	struct ring_entry e = { .len = 1, .msg = "m", .attrs = many,
				.attrs_len = sizeof(many) - 1,
				.priority = -1, .facility = -1 };
	struct record_source src = { "web.out", 7, STREAM_SYSLOG };
	assert_true(export_entry(big, &e, 1, &src) <= sizeof(big));
}

static void test_marker(void **state)
{
	(void)state;
	size_t n = export_marker(out, 2000, 0xab, "lagged", 5, 10, 14, "lost 5");

	out[n] = '\0';
	assert_true(n <= EXPORT_MARKER_BOUND);
	assert_string_equal(out,
		"__REALTIME_TIMESTAMP=2\n"
		"MESSAGE=lost 5\n"
		"SYSLOG_IDENTIFIER=memlogd\nPRIORITY=4\n_TRANSPORT=driver\n"
		"MEMLOG_MARKER=lagged\nMEMLOG_MISSED=5\nMEMLOG_FIRST_SEQ=10\n"
		"MEMLOG_LAST_SEQ=14\n"
		"MEMLOG_CURSOR=m1-00000000000000ab-000000000000000e\n"
		"MEMLOG_STREAM=none\nMEMLOG_PARTIAL=false\n\n");
	n = export_marker(out, 0, 1, "foreign-cursor", -1, 0, 3, "x");
	out[n] = '\0';
	assert_null(strstr(out, "MEMLOG_MISSED"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_entry),
		cmocka_unit_test(test_binary_safe),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_marker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
