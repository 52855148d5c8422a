/* libFuzzer target: fdhold_decode() on any record. The first input byte is
 * the number of fds said to come with it, the rest the record. Checks that
 * what it accepts obeys the limits, and is exactly what the encoder of
 * that op makes from the decoded fields: the format has one encoding per
 * message, so nothing the decoder lets through can mean two things. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdhold.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FDHOLD_MSG_MAX];
	struct fdhold_msg m;

	if (size < 1)
		return 0;
	int nfds = data[0];
	const uint8_t *rec = data + 1;
	size_t len = size - 1;
	memset(&m, 0xa5, sizeof(m));
	int r = fdhold_decode(rec, len, nfds, &m);
	if (r < 0) {
		CHECK(r == -EBADMSG || r == -EPROTONOSUPPORT);
		CHECK(m.op == 0xa5a5); /* untouched */
		return 0;
	}
	CHECK(len >= FDHOLD_HDR_LEN && len <= FDHOLD_MSG_MAX);
	CHECK(m.nkeys <= FDHOLD_KEYS_MAX);
	CHECK(len == FDHOLD_HDR_LEN + (size_t)m.nkeys * 8);
	int n = -1;
	switch (m.op) {
	case FDHOLD_PUT:
		CHECK(nfds == (int)m.nkeys && m.nkeys >= 1);
		n = fdhold_encode_put(out, sizeof(out), m.keys, m.nkeys);
		break;
	case FDHOLD_DROP:
		CHECK(nfds == 0);
		n = fdhold_encode_drop(out, sizeof(out), m.keys, m.nkeys);
		break;
	case FDHOLD_FDS:
		CHECK(nfds == (int)m.nkeys && m.nkeys >= 1);
		n = fdhold_encode_fds(out, sizeof(out), m.keys, m.nkeys);
		break;
	case FDHOLD_ERR:
		CHECK(nfds == 0);
		n = fdhold_encode_err(out, sizeof(out), (int)m.arg, m.keys,
				      m.nkeys);
		break;
	case FDHOLD_TAKE:
		CHECK(nfds == 0 && m.nkeys == 0);
		n = fdhold_encode_take(out, sizeof(out));
		break;
	case FDHOLD_RELEASE:
		CHECK(nfds == 0 && m.nkeys == 0);
		n = fdhold_encode_release(out, sizeof(out));
		break;
	case FDHOLD_HELLO:
		CHECK(nfds == 0 && m.nkeys == 0);
		n = fdhold_encode_hello(out, sizeof(out), m.count, m.arg);
		break;
	case FDHOLD_END:
		CHECK(nfds == 0 && m.nkeys == 0);
		n = fdhold_encode_end(out, sizeof(out), m.arg);
		break;
	default:
		abort(); /* an op the decoder should have refused */
	}
	CHECK(n >= 0 && (size_t)n == len);
	CHECK(memcmp(out, rec, len) == 0);
	CHECK(strcmp(fdhold_op_name(m.op), "unknown") != 0);
	return 0;
}
