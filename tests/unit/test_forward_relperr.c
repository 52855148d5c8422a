/* memlog-forward's names for librelp's error codes: every RELP_RET_* code
 * librelp.h documents has its own text, and a code it does not know is
 * shown as its number rather than as nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "relperr.h"

static const relpRetVal documented[] = {
	RELP_RET_OUT_OF_MEMORY, RELP_RET_INVALID_FRAME, RELP_RET_PARAM_ERROR,
	RELP_RET_INVALID_PORT, RELP_RET_COULD_NOT_BIND, RELP_RET_ACCEPT_ERR,
	RELP_RET_SESSION_BROKEN, RELP_RET_SESSION_CLOSED, RELP_RET_INVALID_CMD,
	RELP_RET_DATA_TOO_LONG, RELP_RET_INVALID_TXNR, RELP_RET_INVALID_DATALEN,
	RELP_RET_PARTIAL_WRITE, RELP_RET_IO_ERR, RELP_RET_TIMED_OUT,
	RELP_RET_NOT_FOUND, RELP_RET_NOT_IMPLEMENTED, RELP_RET_INVALID_RSPHDR,
	RELP_RET_END_OF_DATA, RELP_RET_RSP_STATE_ERR, RELP_RET_INVALID_OFFER,
	RELP_RET_UNKNOWN_CMD, RELP_RET_CMD_DISABLED, RELP_RET_INVALID_HDL,
	RELP_RET_INCOMPAT_OFFERS, RELP_RET_RQD_FEAT_MISSING, RELP_RET_MALICIOUS_HNAME,
	RELP_RET_INVALID_HNAME, RELP_RET_ADDR_UNKNOWN, RELP_RET_INVALID_PARAM,
	RELP_RET_ERR_TLS_SETUP, RELP_RET_INVLD_TLS_PRIO, RELP_RET_AUTH_ERR_FP,
	RELP_RET_AUTH_ERR_NAME, RELP_RET_AUTH_NO_CERT, RELP_RET_AUTH_CERT_INVL,
	RELP_RET_INVLD_AUTH_MD, RELP_RET_INVLD_WILDCARD, RELP_RET_ERR_TLS_HANDS,
	RELP_RET_ERR_TLS, RELP_RET_ERR_INVAL, RELP_RET_ERR_EPOLL_CTL,
	RELP_RET_ERR_INTERNAL, RELP_RET_WRN_NO_KEEPALIVE, RELP_RET_ERR_NO_TLS,
	RELP_RET_ERR_NO_TLS_AUTH, RELP_RET_SESSION_OPEN, RELP_RET_EAGAIN,
	RELP_RET_NOT_SUPPORTED,
};

/* Each documented code: a text of its own, not a number. */
static void test_every_code_has_text(void **state)
{
	enum { n = sizeof(documented) / sizeof(documented[0]) };
	char buf[n][RELP_ERR_TEXT_MAX];
	const char *t[n];

	(void)state;
	for (size_t i = 0; i < (size_t)n; i++) {
		t[i] = relp_err_text(documented[i], buf[i]);
		assert_non_null(t[i]);
		assert_true(strlen(t[i]) > 3);
		if (strstr(t[i], "librelp error"))
			fail_msg("code %d has no text: %s", (int)documented[i], t[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t[i], t[j]))
				fail_msg("codes %d and %d read the same: %s",
					 (int)documented[j], (int)documented[i], t[i]);
	}
}

static void test_some_texts(void **state)
{
	char buf[RELP_ERR_TEXT_MAX];

	(void)state;
	assert_string_equal(relp_err_text(RELP_RET_IO_ERR, buf), "I/O error");
	assert_string_equal(relp_err_text(RELP_RET_TIMED_OUT, buf), "timed out");
	assert_string_equal(relp_err_text(RELP_RET_SESSION_BROKEN, buf),
			    "the session is broken");
	assert_string_equal(relp_err_text(RELP_RET_OK, buf), "no error");
}

/* A code of a later librelp: its number, so that it can be looked up. */
static void test_unknown_code(void **state)
{
	char buf[RELP_ERR_TEXT_MAX];

	(void)state;
	assert_string_equal(relp_err_text(RELPERR_BASE + 999, buf), "librelp error 10999");
	assert_string_equal(relp_err_text(-1, buf), "librelp error -1");
	assert_string_equal(relp_err_text(RELPERR_BASE, buf), "librelp error 10000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_text),
		cmocka_unit_test(test_some_texts),
		cmocka_unit_test(test_unknown_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
