#include "relp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "relperr.h"

/* librelp's debug output is off unless asked for; its default printer is
 * a no-op too, but set one so nothing depends on that. */
static void no_debug(char *fmt, ...)
{
	(void)fmt;
}

/* What librelp's TLS refusals mean, in the terms of our options. */
static const char *tls_hint(relpRetVal code)
{
	switch (code) {
	case RELP_RET_AUTH_ERR_NAME:
		return ": the receiver's certificate is not for the server name";
	case RELP_RET_AUTH_CERT_INVL:
		return ": the receiver's certificate does not verify against --tls-ca";
	case RELP_RET_AUTH_NO_CERT:
		return ": the receiver sent no certificate";
	default:
		return "";
	}
}

/* Errors arrive through callbacks with the client's user pointer. */
static void on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct relp *r = usr;
	char num[RELP_ERR_TEXT_MAX];

	if (!r)
		return;
	r->failed = true;
	snprintf(r->err, sizeof(r->err), "RELP %s: %s (%s)%s", objinfo ? objinfo : "",
		 errmsg ? errmsg : "", relp_err_text(code, num), tls_hint(code));
}

static void on_generic_err(char *objinfo, char *errmsg, relpRetVal code)
{
	(void)objinfo;
	(void)errmsg;
	(void)code;
}

int relp_init(struct relp *r, const struct fwd_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	pending_init(&r->pending);
	if (relpEngineConstruct(&r->engine) != RELP_RET_OK) {
		snprintf(r->err, sizeof(r->err), "cannot set up librelp");
		return -1;
	}
	relpEngineSetDbgprint(r->engine, no_debug);
	relpEngineSetOnErr(r->engine, on_err);
	relpEngineSetOnAuthErr(r->engine, on_err);
	relpEngineSetOnGenericErr(r->engine, on_generic_err);
	relpEngineSetEnableCmd(r->engine, (unsigned char *)"syslog", eRelpCmdState_Required);
	/* librelp is built with GnuTLS and OpenSSL; OpenSSL, as tls:// uses,
	 * so both read the same PEM files the same way. */
	if (opts->target.scheme == URL_RELPS &&
	    relpEngineSetTLSLibByName(r->engine, "openssl") != RELP_RET_OK) {
		snprintf(r->err, sizeof(r->err), "this librelp cannot do TLS with OpenSSL");
		return -1;
	}
	return 0;
}

/* relps://: the receiver's certificate must chain to --tls-ca and be for
 * the server name (librelp's "name" mode: a subjectAltName DNS entry, or
 * the subject CN when there is none, matched with
 * RFC 5425 wildcards). librelp has no mode that checks the chain without a
 * name we would want, and "anon" would accept anybody: never used. */
static int relp_tls_setup(struct relp *r)
{
	const struct fwd_opts *o = r->opts;
	const char *name = o->tls_name ? o->tls_name : o->target.host;
	char num[RELP_ERR_TEXT_MAX];
	relpRetVal v;

	if ((v = relpCltEnableTLS(r->clt)) != RELP_RET_OK ||
	    (v = relpCltSetAuthMode(r->clt, (char *)"name")) != RELP_RET_OK ||
	    (v = relpCltAddPermittedPeer(r->clt, (char *)name)) != RELP_RET_OK ||
	    (o->tls_ca && (v = relpCltSetCACert(r->clt, (char *)o->tls_ca)) != RELP_RET_OK) ||
	    (o->tls_cert && (v = relpCltSetOwnCert(r->clt, (char *)o->tls_cert)) != RELP_RET_OK) ||
	    (o->tls_key && (v = relpCltSetPrivKey(r->clt, (char *)o->tls_key)) != RELP_RET_OK)) {
		snprintf(r->err, sizeof(r->err), "cannot set up TLS for RELP to %s (%s)",
			 o->target_text, relp_err_text(v, num));
		return -1;
	}
	return 0;
}

int relp_drain(struct relp *r, char out[CURSOR_TEXT_MAX + 1], size_t *count,
	       size_t *nsent)
{
	int ret = 0;

	*count = *nsent = 0;
	if (r->clt) {
		/* Destructing sends "close" and waits for its answer unless
		 * the session is broken; an error comes through on_err. */
		relpEngineCltDestruct(r->engine, &r->clt);
		if (!r->failed) {
			*count = pending_pop_all(&r->pending, out, nsent);
		} else {
			if (!r->err[0])
				snprintf(r->err, sizeof(r->err), "the RELP session with %s "
					 "broke while closing", r->opts->target_text);
			ret = -1;
		}
	}
	r->clt = NULL;
	r->sent = 0;
	r->failed = false;
	pending_clear(&r->pending);
	return ret;
}

size_t relp_close(struct relp *r, bool clean, char out[CURSOR_TEXT_MAX + 1],
		  size_t *nsent)
{
	size_t count, ns;

	r->failed = r->failed || !clean;
	relp_drain(r, out, &count, &ns);
	if (nsent)
		*nsent = ns;
	return count;
}

void relp_free(struct relp *r)
{
	char unused[CURSOR_TEXT_MAX + 1];

	relp_close(r, false, unused, NULL);
	if (r->engine)
		relpEngineDestruct(&r->engine);
	pending_free(&r->pending);
}

int relp_connect(struct relp *r)
{
	char unused[CURSOR_TEXT_MAX + 1], num[RELP_ERR_TEXT_MAX];
	relpRetVal v;

	relp_close(r, false, unused, NULL);
	r->err[0] = '\0';
	if (relpEngineCltConstruct(r->engine, &r->clt) != RELP_RET_OK) {
		r->clt = NULL;
		snprintf(r->err, sizeof(r->err), "cannot set up a RELP client");
		return -1;
	}
	relpCltSetUsrPtr(r->clt, r);
	relpCltSetTimeout(r->clt, r->opts->relp_timeout_s);
	relpCltSetConnTimeout(r->clt, 5);
	relpCltSetWindowSize(r->clt, (int)r->opts->relp_window);
	if (r->opts->target.scheme == URL_RELPS && relp_tls_setup(r) < 0) {
		relp_close(r, false, unused, NULL);
		return -1;
	}
	v = relpCltConnect(r->clt, AF_UNSPEC, (unsigned char *)r->opts->target.port,
			   (unsigned char *)r->opts->target.host);
	if (v != RELP_RET_OK) {
		if (!r->err[0] || !r->failed)
			snprintf(r->err, sizeof(r->err), "cannot open a RELP session "
				 "with %s (%s)", r->opts->target_text, relp_err_text(v, num));
		relp_close(r, false, unused, NULL);
		return -1;
	}
	r->failed = false;
	return 0;
}

int relp_send(struct relp *r, const char *msg, size_t len, const char *cursor)
{
	relpRetVal v = relpCltSendSyslog(r->clt, (unsigned char *)msg, len);
	char num[RELP_ERR_TEXT_MAX];

	if (v != RELP_RET_OK) {
		if (!r->failed || !r->err[0])
			snprintf(r->err, sizeof(r->err), "RELP send to %s failed (%s)",
				 r->opts->target_text, relp_err_text(v, num));
		r->failed = true;
		return -1;
	}
	r->sent++;
	return pending_push(&r->pending, r->sent, true, cursor) < 0 ? -1 : 0;
}

int relp_skip(struct relp *r, const char *cursor)
{
	return pending_push(&r->pending, r->sent, false, cursor);
}

size_t relp_unacked(const struct relp *r)
{
	return r->sent < r->opts->relp_window ? r->sent : r->opts->relp_window;
}

size_t relp_delivered(struct relp *r, char out[CURSOR_TEXT_MAX + 1], size_t *nsent)
{
	/* Key 0: entries filtered out before the first message, delivered
	 * at once. */
	uint64_t w = r->opts->relp_window;

	return pending_pop(&r->pending, r->sent >= w ? r->sent - w : 0, out, nsent);
}
