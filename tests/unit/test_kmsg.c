#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

#define BOOT "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

/* Parses a string literal (its length without the terminating NUL). */
#define PARSE(lit, rec, used) kmsg_parse(lit, sizeof(lit) - 1, rec, used)

static void check_msg(const struct kmsg_record *rec, const char *want)
{
	size_t n = strlen(want);

	if (rec->msg_len != n || memcmp(rec->msg, want, n) != 0)
		fail_msg("msg \"%.*s\", want \"%s\"", (int)rec->msg_len,
			 rec->msg ? rec->msg : "", want);
}

/* The dictionary yields exactly the given lines, in order, then ends (and
 * keeps saying so). */
static void check_dict(const struct kmsg_record *rec, const char *const *want,
		       size_t n)
{
	size_t pos = 0, i = 0;
	const char *kv;
	size_t kvl;

	while (kmsg_dict_next(rec, &pos, &kv, &kvl)) {
		if (i == n)
			fail_msg("extra dictionary line \"%.*s\"", (int)kvl, kv);
		if (kvl != strlen(want[i]) || memcmp(kv, want[i], kvl) != 0)
			fail_msg("dictionary line %zu \"%.*s\", want \"%s\"", i,
				 (int)kvl, kv, want[i]);
		/* Points into the record's own dictionary. */
		assert_true(kv >= rec->dict && kv + kvl <= rec->dict + rec->dict_len);
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(pos, rec->dict_len);
	assert_false(kmsg_dict_next(rec, &pos, &kv, &kvl));
	assert_int_equal(pos, rec->dict_len);
}

static void test_real_record(void **state)
{
	static const char buf[] =
		"6,339,5140900,-;NET: Registered protocol family 10\n"
		" SUBSYSTEM=net\n"
		" DEVICE=+net:eth0\n";
	static const char *const dict[] = { "SUBSYSTEM=net", "DEVICE=+net:eth0" };
	struct kmsg_record rec;
	size_t used = 12345;

	assert_int_equal(PARSE(buf, &rec, &used), 0);
	assert_int_equal(used, sizeof(buf) - 1);
	assert_int_equal(rec.priority, 6);
	assert_int_equal(rec.facility, 0);
	assert_true(rec.seq == 339);
	assert_true(rec.usec == 5140900);
	assert_int_equal(rec.flags, '-');
	check_msg(&rec, "NET: Registered protocol family 10");
	assert_ptr_equal(rec.msg, buf + 16);
	assert_ptr_equal(rec.dict, buf + 51);
	assert_int_equal(rec.dict_len, strlen(" SUBSYSTEM=net\n DEVICE=+net:eth0\n"));
	assert_memory_equal(rec.dict, " SUBSYSTEM=net\n DEVICE=+net:eth0\n",
			    rec.dict_len);
	check_dict(&rec, dict, 2);
}

static void test_no_dict(void **state)
{
	struct kmsg_record rec;
	size_t used;
	size_t pos = 0;
	const char *kv = NULL;
	size_t kvl = 99;

	/* Facility and level from PRI: 30 is daemon.info. */
	assert_int_equal(PARSE("30,7,0,-;systemd[1]: started\n", &rec, &used), 0);
	assert_int_equal(used, 29);
	assert_int_equal(rec.priority, 6);
	assert_int_equal(rec.facility, 3);
	assert_true(rec.seq == 7);
	assert_true(rec.usec == 0);
	check_msg(&rec, "systemd[1]: started");
	assert_null(rec.dict);
	assert_int_equal(rec.dict_len, 0);
	assert_false(kmsg_dict_next(&rec, &pos, &kv, &kvl));
	assert_int_equal(pos, 0);
	assert_null(kv);
	assert_int_equal(kvl, 99);

	/* No final newline: the record is the whole input. */
	assert_int_equal(PARSE("0,1,2,-;panic", &rec, &used), 0);
	assert_int_equal(used, 13);
	assert_int_equal(rec.priority, 0);
	assert_int_equal(rec.facility, 0);
	check_msg(&rec, "panic");
	assert_null(rec.dict);

	/* An empty message. */
	assert_int_equal(PARSE("3,4,5,-;\n", &rec, &used), 0);
	assert_int_equal(used, 9);
	assert_int_equal(rec.msg_len, 0);
	assert_null(rec.dict);
}

static void test_caller_and_flags(void **state)
{
	struct kmsg_record rec;
	size_t used;

	/* CONFIG_PRINTK_CALLER adds a field after the flags. */
	assert_int_equal(PARSE("6,339,5140900,-,caller=T1;msg\n", &rec, &used), 0);
	assert_int_equal(used, 30);
	assert_int_equal(rec.priority, 6);
	assert_true(rec.seq == 339);
	assert_true(rec.usec == 5140900);
	assert_int_equal(rec.flags, '-');
	check_msg(&rec, "msg");

	assert_int_equal(PARSE("4,340,5140901,c,caller=C0;more\n", &rec, &used), 0);
	assert_int_equal(rec.flags, 'c');
	check_msg(&rec, "more");

	/* A continuation record. */
	assert_int_equal(PARSE("4,341,5140902,c; continued\n", &rec, &used), 0);
	assert_int_equal(rec.flags, 'c');
	assert_int_equal(rec.priority, 4);
	check_msg(&rec, " continued");

	assert_int_equal(PARSE("4,342,1,+;x\n", &rec, &used), 0);
	assert_int_equal(rec.flags, '+');

	/* Another byte is given as it is; an empty flags field is '-'. */
	assert_int_equal(PARSE("4,343,1,Z;x\n", &rec, &used), 0);
	assert_int_equal(rec.flags, 'Z');
	assert_int_equal(PARSE("4,344,1,;x\n", &rec, &used), 0);
	assert_int_equal(rec.flags, '-');
	check_msg(&rec, "x");
}

static void test_pri_range(void **state)
{
	struct kmsg_record rec;
	size_t used;

	assert_int_equal(PARSE("1023,1,1,-;x\n", &rec, &used), 0);
	assert_int_equal(rec.priority, 7);
	assert_int_equal(rec.facility, 127);
	assert_int_equal(PARSE("191,1,1,-;x\n", &rec, &used), 0);
	assert_int_equal(rec.priority, 7);
	assert_int_equal(rec.facility, 23);
	assert_int_equal(PARSE("8,1,1,-;x\n", &rec, &used), 0);
	assert_int_equal(rec.priority, 0);
	assert_int_equal(rec.facility, 1);

	assert_int_equal(PARSE("1024,1,1,-;x\n", &rec, &used), -EINVAL);
	assert_int_equal(used, 13);
	assert_int_equal(PARSE("4294967302,1,1,-;x\n", &rec, &used), -EINVAL);
	assert_int_equal(PARSE("18446744073709551615,1,1,-;x\n", &rec, &used),
			 -EINVAL);
}

static void test_huge_numbers(void **state)
{
	struct kmsg_record rec;
	size_t used;

	assert_int_equal(PARSE("6,18446744073709551615,18446744073709551615,-;m\n",
			       &rec, &used), 0);
	assert_true(rec.seq == UINT64_MAX);
	assert_true(rec.usec == UINT64_MAX);
	check_msg(&rec, "m");

	/* One more overflows: refused, not wrapped. */
	assert_int_equal(PARSE("6,18446744073709551616,1,-;m\n", &rec, &used),
			 -EINVAL);
	assert_int_equal(used, 29);
	assert_int_equal(PARSE("6,1,18446744073709551616,-;m\n", &rec, &used),
			 -EINVAL);
	assert_int_equal(PARSE("6,1,18446744073709551620,-;m\n", &rec, &used),
			 -EINVAL);
	assert_int_equal(PARSE("6,99999999999999999999999999,1,-;m\n", &rec, &used),
			 -EINVAL);
	assert_int_equal(PARSE("99999999999999999999999,1,2,-;m\n", &rec, &used),
			 -EINVAL);
	/* Leading zeros are only digits. */
	assert_int_equal(PARSE("006,00000000000000000000000042,0001,-;m\n", &rec,
			       &used), 0);
	assert_int_equal(rec.priority, 6);
	assert_true(rec.seq == 42);
	assert_true(rec.usec == 1);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",                  /* nothing */
		"6,1,2,-",           /* no ';' */
		"6,1,2,-\n",
		"6,1,2;m\n",         /* no flags */
		"6,1;m\n",           /* no usec */
		"6;m\n",
		";m\n",
		"6,1,2\n",
		",1,2,-;m\n",        /* empty fields */
		"6,,2,-;m\n",
		"6,1,,-;m\n",
		"a,1,2,-;m\n",       /* not numbers */
		"6,x,2,-;m\n",
		"6,1,2x,-;m\n",
		"6 ,1,2,-;m\n",
		" 6,1,2,-;m\n",
		"-6,1,2,-;m\n",
		"+6,1,2,-;m\n",
		"6.1.2.-;m\n",
		"6,1,2,-\n ;x\n",    /* the ';' only in the dictionary */
	};
	struct kmsg_record rec;
	size_t used;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);
		memset(&rec, 0x5a, sizeof(rec));
		used = 999;
		if (kmsg_parse(bad[i], len, &rec, &used) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		/* The whole (one-line) record is skipped, and nothing of it
		 * is reported. */
		assert_int_equal(used, len);
		assert_null(rec.msg);
		assert_int_equal(rec.msg_len, 0);
		assert_null(rec.dict);
		assert_int_equal(rec.dict_len, 0);
	}
}

static void test_message_bytes(void **state)
{
	struct kmsg_record rec;
	size_t used;

	/* Only the first ';' ends the header. */
	assert_int_equal(PARSE("6,1,2,-;a;b;;c;\n", &rec, &used), 0);
	check_msg(&rec, "a;b;;c;");
	/* The kernel's \x escapes are kept as they are. */
	assert_int_equal(PARSE("6,1,2,-;tab\\x09here\\x5c\\x0a end\n", &rec, &used), 0);
	check_msg(&rec, "tab\\x09here\\x5c\\x0a end");
	/* ',' and '=' in the message are plain bytes too. */
	assert_int_equal(PARSE("6,1,2,-;a,b=c ,d\n", &rec, &used), 0);
	check_msg(&rec, "a,b=c ,d");
	/* A message of 8 KiB. */
	static char big[KMSG_READ_MAX + 32];
	int n = snprintf(big, sizeof(big), "6,1,2,-;");
	memset(big + n, 'x', 8000);
	big[n + 8000] = '\n';
	assert_int_equal(kmsg_parse(big, (size_t)n + 8001, &rec, &used), 0);
	assert_int_equal(used, (size_t)n + 8001);
	assert_int_equal(rec.msg_len, 8000);
	assert_ptr_equal(rec.msg, big + n);
}

static void test_several_records(void **state)
{
	static const char buf[] =
		"6,10,100,-;first\n"
		" SUBSYSTEM=pci\n"
		" DEVICE=+pci:0000:00:01.0\n"
		"4,11,200,c;second\n"
		"bogus line\n"
		"7,12,300,-;third\n"
		" A=1\n"
		"3,13,400,-;last without newline";
	static const char *const d1[] = { "SUBSYSTEM=pci", "DEVICE=+pci:0000:00:01.0" };
	static const char *const d3[] = { "A=1" };
	struct kmsg_record rec;
	size_t used, off = 0, len = sizeof(buf) - 1;

	assert_int_equal(kmsg_parse(buf + off, len - off, &rec, &used), 0);
	assert_int_equal(used, 17 + 15 + 26);
	assert_true(rec.seq == 10);
	check_msg(&rec, "first");
	assert_int_equal(rec.dict_len, 15 + 26);
	check_dict(&rec, d1, 2);
	off += used;

	assert_int_equal(kmsg_parse(buf + off, len - off, &rec, &used), 0);
	assert_int_equal(used, 18);
	assert_true(rec.seq == 11);
	assert_int_equal(rec.flags, 'c');
	assert_int_equal(rec.priority, 4);
	check_msg(&rec, "second");
	assert_null(rec.dict);
	off += used;

	/* A malformed line is skipped and the next one parses. */
	assert_int_equal(kmsg_parse(buf + off, len - off, &rec, &used), -EINVAL);
	assert_int_equal(used, 11);
	off += used;

	assert_int_equal(kmsg_parse(buf + off, len - off, &rec, &used), 0);
	assert_int_equal(used, 17 + 5);
	assert_true(rec.seq == 12);
	check_msg(&rec, "third");
	check_dict(&rec, d3, 1);
	off += used;

	assert_int_equal(kmsg_parse(buf + off, len - off, &rec, &used), 0);
	assert_int_equal(used, len - off);
	assert_true(rec.seq == 13);
	assert_int_equal(rec.priority, 3);
	check_msg(&rec, "last without newline");
	assert_null(rec.dict);
	off += used;
	assert_int_equal(off, len);
}

static void test_dict_lines(void **state)
{
	static const char buf[] =
		"6,1,2,-;m\n"
		" NOEQUALS\n"
		" KEY=VALUE\n"
		" =nokey\n"
		" \n"
		" =\n"
		" X=\n"
		" A=b=c\n"
		" Y=\\x0a\n"
		" LAST=no newline";
	static const char *const want[] = { "KEY=VALUE", "X=", "A=b=c", "Y=\\x0a",
					    "LAST=no newline" };
	struct kmsg_record rec;
	size_t used;

	assert_int_equal(PARSE(buf, &rec, &used), 0);
	assert_int_equal(used, sizeof(buf) - 1);
	check_msg(&rec, "m");
	assert_ptr_equal(rec.dict, buf + 10);
	assert_int_equal(rec.dict_len, sizeof(buf) - 1 - 10);
	check_dict(&rec, want, 5);

	/* Only lines without '=': nothing. */
	static const char none[] = "6,1,2,-;m\n NOPE\n ALSO NOT\n";
	assert_int_equal(PARSE(none, &rec, &used), 0);
	assert_int_equal(used, sizeof(none) - 1);
	assert_non_null(rec.dict);
	check_dict(&rec, NULL, 0);

	/* A trailing line of one space belongs to the record. */
	static const char sp[] = "6,1,2,-;m\n ";
	assert_int_equal(PARSE(sp, &rec, &used), 0);
	assert_int_equal(used, sizeof(sp) - 1);
	check_msg(&rec, "m");
	assert_int_equal(rec.dict_len, 1);
	check_dict(&rec, NULL, 0);

	/* A line not starting with a space starts the next record. */
	static const char next[] = "6,1,2,-;m\nK=V\n";
	assert_int_equal(PARSE(next, &rec, &used), 0);
	assert_int_equal(used, 10);
	assert_null(rec.dict);
}

static void test_state(void **state)
{
	struct kmsg_state st, back;
	char out[64];
	size_t n;

	static const char good[] = BOOT " 42\n";
	memset(&st, 0x77, sizeof(st));
	assert_int_equal(kmsg_state_parse(good, sizeof(good) - 1, &st), 0);
	assert_string_equal(st.boot_id, BOOT);
	assert_true(st.next_seq == 42);

	/* Format is the exact text form and parses back. */
	memset(out, 'z', sizeof(out));
	n = kmsg_state_format(out, sizeof(out), &st);
	assert_int_equal(n, sizeof(good) - 1);
	assert_memory_equal(out, good, n + 1);

	const uint64_t seqs[] = { 0, 1, 1000000007, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		st.next_seq = seqs[i];
		n = kmsg_state_format(out, sizeof(out), &st);
		char want[64];
		snprintf(want, sizeof(want), "%s %llu\n", BOOT,
			 (unsigned long long)seqs[i]);
		assert_int_equal(n, strlen(want));
		assert_string_equal(out, want);
		memset(&back, 0, sizeof(back));
		assert_int_equal(kmsg_state_parse(out, n, &back), 0);
		assert_string_equal(back.boot_id, BOOT);
		assert_true(back.next_seq == seqs[i]);
	}

	/* Without the final newline; only len bytes are read. */
	assert_int_equal(kmsg_state_parse(BOOT " 7", 38, &back), 0);
	assert_true(back.next_seq == 7);
	assert_int_equal(kmsg_state_parse(BOOT " 7\ngarbage", 39, &back), 0);
	assert_true(back.next_seq == 7);
	assert_int_equal(kmsg_state_parse(BOOT " 789", 38, &back), 0);
	assert_true(back.next_seq == 7);
}

static void test_state_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		BOOT,
		BOOT "\n",
		BOOT " \n",
		BOOT " x\n",
		BOOT " 42 7\n",                 /* trailing garbage */
		BOOT " 42 x\n",
		BOOT " 42x\n",
		BOOT " 42\nmore\n",
		BOOT " 0x10\n",
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f 42\n",   /* 35 */
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f00 42\n", /* 37 */
		"x 42\n",
		"42\n",
		BOOT " -1\n",                   /* not a seq */
		BOOT " -0\n",
		BOOT " +5\n",
		BOOT " 18446744073709551616\n", /* overflow */
		BOOT " 99999999999999999999999\n",
	};
	struct kmsg_state st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0x33, sizeof(st));
		if (kmsg_state_parse(bad[i], strlen(bad[i]), &st) != -EINVAL)
			fail_msg("\"%s\" accepted (seq %llu)", bad[i],
				 (unsigned long long)st.next_seq);
		/* Left alone. */
		assert_true(st.next_seq == 0x3333333333333333ull);
	}

	/* A NUL in the file is not a state. */
	static const char nul[] = BOOT " 42\n\0junk";
	assert_int_equal(kmsg_state_parse(nul, sizeof(nul) - 1, &st), -EINVAL);
	static const char nul2[] = BOOT " 4\0002\n";
	assert_int_equal(kmsg_state_parse(nul2, sizeof(nul2) - 1, &st), -EINVAL);

	/* Too long for a state file, even if it starts like one. */
	char big[200];
	memset(big, ' ', sizeof(big));
	memcpy(big, BOOT " 42", 39);
	assert_int_equal(kmsg_state_parse(big, 127, &st), 0);
	assert_int_equal(kmsg_state_parse(big, 128, &st), -EINVAL);
	assert_int_equal(kmsg_state_parse(big, sizeof(big), &st), -EINVAL);
}

static void test_check_seq(void **state)
{
	uint64_t missed;

	missed = 77;
	assert_int_equal(kmsg_check_seq(5, 5, &missed), KMSG_TAKE);
	assert_true(missed == 0);
	missed = 77;
	assert_int_equal(kmsg_check_seq(5, 4, &missed), KMSG_SKIP);
	assert_true(missed == 0);
	missed = 77;
	assert_int_equal(kmsg_check_seq(5, 0, &missed), KMSG_SKIP);
	assert_true(missed == 0);
	missed = 77;
	assert_int_equal(kmsg_check_seq(5, 6, &missed), KMSG_GAP);
	assert_true(missed == 1);
	assert_int_equal(kmsg_check_seq(5, 105, &missed), KMSG_GAP);
	assert_true(missed == 100);
	/* A fresh reader (next 0) takes seq 0; a first record above 0 says
	 * how many the kernel no longer held. */
	assert_int_equal(kmsg_check_seq(0, 0, &missed), KMSG_TAKE);
	assert_true(missed == 0);
	assert_int_equal(kmsg_check_seq(0, UINT64_MAX, &missed), KMSG_GAP);
	assert_true(missed == UINT64_MAX);
	missed = 77;
	assert_int_equal(kmsg_check_seq(UINT64_MAX, 0, &missed), KMSG_SKIP);
	assert_true(missed == 0);
	assert_int_equal(kmsg_check_seq(UINT64_MAX, UINT64_MAX, &missed), KMSG_TAKE);
	assert_true(missed == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_record),
		cmocka_unit_test(test_no_dict),
		cmocka_unit_test(test_caller_and_flags),
		cmocka_unit_test(test_pri_range),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_message_bytes),
		cmocka_unit_test(test_several_records),
		cmocka_unit_test(test_dict_lines),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_state_rejects),
		cmocka_unit_test(test_check_seq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
