#include "relperr.h"

#include <stdio.h>

static const struct {
	relpRetVal code;
	const char *text;
} texts[] = {
	{ RELP_RET_OK, "no error" },
	{ RELP_RET_OUT_OF_MEMORY, "out of memory" },
	{ RELP_RET_INVALID_FRAME, "invalid RELP frame received" },
	{ RELP_RET_PARAM_ERROR, "a librelp call parameter is in error" },
	{ RELP_RET_INVALID_PORT, "invalid port" },
	{ RELP_RET_COULD_NOT_BIND, "could not bind the socket" },
	{ RELP_RET_ACCEPT_ERR, "accept() failed" },
	{ RELP_RET_SESSION_BROKEN, "the session is broken" },
	{ RELP_RET_SESSION_CLOSED, "the session was closed" },
	{ RELP_RET_INVALID_CMD, "unknown command in a RELP frame" },
	{ RELP_RET_DATA_TOO_LONG, "DATALEN exceeds the permitted length" },
	{ RELP_RET_INVALID_TXNR, "invalid transaction number" },
	{ RELP_RET_INVALID_DATALEN, "invalid DATALEN field" },
	{ RELP_RET_PARTIAL_WRITE, "only part of the data written" },
	{ RELP_RET_IO_ERR, "I/O error" },
	{ RELP_RET_TIMED_OUT, "timed out" },
	{ RELP_RET_NOT_FOUND, "not found" },
	{ RELP_RET_NOT_IMPLEMENTED, "not implemented" },
	{ RELP_RET_INVALID_RSPHDR, "invalid response header" },
	{ RELP_RET_END_OF_DATA, "no more data" },
	{ RELP_RET_RSP_STATE_ERR, "the receiver answered with an error status" },
	{ RELP_RET_INVALID_OFFER, "invalid offer when opening the session" },
	{ RELP_RET_UNKNOWN_CMD, "unknown command" },
	{ RELP_RET_CMD_DISABLED, "the command is disabled in this session" },
	{ RELP_RET_INVALID_HDL, "invalid object handle" },
	{ RELP_RET_INCOMPAT_OFFERS, "client and server offers are incompatible" },
	{ RELP_RET_RQD_FEAT_MISSING, "the receiver does not support a required feature" },
	{ RELP_RET_MALICIOUS_HNAME, "the peer's host name looks malicious" },
	{ RELP_RET_INVALID_HNAME, "the peer's host name is invalid or unobtainable" },
	{ RELP_RET_ADDR_UNKNOWN, "the peer's IP address could not be obtained" },
	{ RELP_RET_INVALID_PARAM, "librelp called with a wrong parameter" },
	{ RELP_RET_ERR_TLS_SETUP, "TLS setup failed" },
	{ RELP_RET_INVLD_TLS_PRIO, "invalid TLS priority string" },
	{ RELP_RET_AUTH_ERR_FP, "the peer's fingerprint is not permitted" },
	{ RELP_RET_AUTH_ERR_NAME, "no permitted peer name in the certificate" },
	{ RELP_RET_AUTH_NO_CERT, "the peer presented no certificate" },
	{ RELP_RET_AUTH_CERT_INVL, "the peer's certificate is invalid" },
	{ RELP_RET_INVLD_AUTH_MD, "invalid authentication mode" },
	{ RELP_RET_INVLD_WILDCARD, "invalid wildcard in a permitted peer name" },
	{ RELP_RET_ERR_TLS_HANDS, "TLS handshake failed" },
	{ RELP_RET_ERR_TLS, "TLS error" },
	{ RELP_RET_ERR_INVAL, "invalid parameter" },
	{ RELP_RET_ERR_EPOLL_CTL, "epoll_ctl() failed" },
	{ RELP_RET_ERR_INTERNAL, "internal error in librelp" },
	{ RELP_RET_WRN_NO_KEEPALIVE, "TCP keepalive cannot be enabled" },
	{ RELP_RET_ERR_NO_TLS, "librelp was built without TLS" },
	{ RELP_RET_ERR_NO_TLS_AUTH, "TLS authentication is not supported here" },
	{ RELP_RET_SESSION_OPEN, "the session is already open" },
	{ RELP_RET_EAGAIN, "the operation would block" },
	{ RELP_RET_NOT_SUPPORTED, "not supported" },
};

const char *relp_err_text(relpRetVal code, char buf[RELP_ERR_TEXT_MAX])
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == code)
			return texts[i].text;
	snprintf(buf, RELP_ERR_TEXT_MAX, "librelp error %d", (int)code);
	return buf;
}
