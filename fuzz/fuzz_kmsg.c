/* libFuzzer target: kmsg_parse() over the whole input as a reader does,
 * record after record, advancing by *used. Checks that every record takes
 * at least one byte and no more than is left, that the message and the
 * dictionary point inside that record, and that the dictionary iteration
 * ends and yields only KEY=VALUE lines. Also: kmsg_state_parse() on the
 * input, and its format parsing back the same. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static void check_dict(const struct kmsg_record *rec)
{
	size_t pos = 0, prev = 0, n = 0;
	const char *kv;
	size_t kvl;

	while (kmsg_dict_next(rec, &pos, &kv, &kvl)) {
		CHECK(rec->dict);
		CHECK(pos > prev && pos <= rec->dict_len);
		prev = pos;
		CHECK(inside(kv, kvl, rec->dict, rec->dict_len));
		CHECK(kvl >= 2);
		CHECK(kv[0] != '=');
		CHECK(memchr(kv, '=', kvl));
		CHECK(!memchr(kv, '\n', kvl));
		/* The line ends at a newline or at the end of the dict. */
		CHECK(kv + kvl == rec->dict + rec->dict_len || kv[kvl] == '\n');
		CHECK(++n <= rec->dict_len);
	}
	CHECK(!rec->dict || pos == rec->dict_len);
	/* The end stays the end. */
	CHECK(!kmsg_dict_next(rec, &pos, &kv, &kvl));
}

static void check_state(const uint8_t *data, size_t size)
{
	struct kmsg_state st, st2;
	char out[64];

	if (kmsg_state_parse((const char *)data, size, &st) < 0)
		return;
	CHECK(strlen(st.boot_id) == 36);
	size_t n = kmsg_state_format(out, sizeof(out), &st);
	CHECK(n > 37 && n < sizeof(out) && out[n - 1] == '\n');
	CHECK(kmsg_state_parse(out, n, &st2) == 0);
	CHECK(!strcmp(st.boot_id, st2.boot_id));
	CHECK(st.next_seq == st2.next_seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	uint64_t next = 0;

	while (off < size) {
		struct kmsg_record rec;
		size_t used = 0, left = size - off;
		const char *r = buf + off;
		int rc = kmsg_parse(r, left, &rec, &used);

		CHECK(used > 0 && used <= left);
		/* A record ends at a newline not followed by a space, or at
		 * the end of the input. */
		const char *nl = memchr(r, '\n', used);
		CHECK(used == left || r[used - 1] == '\n');
		while (nl && nl < r + used - 1) {
			CHECK(nl[1] == ' ');
			nl = memchr(nl + 1, '\n', (size_t)(r + used - nl - 1));
		}
		if (used < left)
			CHECK(r[used - 1] == '\n' && r[used] != ' ');
		if (rc == 0) {
			CHECK(rec.priority >= 0 && rec.priority <= 7);
			CHECK(rec.facility >= 0 && rec.facility <= 127);
			CHECK(rec.msg && rec.msg > r);
			CHECK(rec.msg[-1] == ';');
			CHECK(inside(rec.msg, rec.msg_len, r, used));
			CHECK(!memchr(rec.msg, '\n', rec.msg_len));
			CHECK(!memchr(r, ';', (size_t)(rec.msg - 1 - r)));
			if (rec.dict) {
				CHECK(rec.dict_len > 0);
				CHECK(inside(rec.dict, rec.dict_len, r, used));
				CHECK(rec.dict[-1] == '\n');
				CHECK(rec.dict == rec.msg + rec.msg_len + 1);
				CHECK(rec.dict + rec.dict_len == r + used);
			} else {
				CHECK(rec.dict_len == 0);
			}
			check_dict(&rec);

			uint64_t missed = 1;
			enum kmsg_verdict v = kmsg_check_seq(next, rec.seq, &missed);
			if (rec.seq < next)
				CHECK(v == KMSG_SKIP && missed == 0);
			else if (rec.seq == next)
				CHECK(v == KMSG_TAKE && missed == 0);
			else
				CHECK(v == KMSG_GAP && missed == rec.seq - next);
			if (v != KMSG_SKIP && rec.seq != UINT64_MAX)
				next = rec.seq + 1;
		} else {
			CHECK(rc == -EINVAL);
			CHECK(!rec.msg && !rec.msg_len && !rec.dict && !rec.dict_len);
		}
		off += used;
	}
	CHECK(off == size);
	check_state(data, size);
	return 0;
}
