/* syslog messages as local clients send them to /dev/log: RFC 3164 (glibc's
 * and musl's syslog(3), util-linux logger by default) and RFC 5424 (logger
 * --rfc5424). Pure parser: no I/O; results point into the input.
 *
 *   3164: "<PRI>" [ "Mmm dd hh:mm:ss " ] [ HOST " " ] TAG [ "[" PID "]" ] ": " MSG
 *   5424: "<PRI>1 " TIMESTAMP " " HOST " " APP " " PROCID " " MSGID " " SD [ " " MSG ]
 */
#ifndef MEMLOG_SYSLOGMSG_H
#define MEMLOG_SYSLOGMSG_H

#include <stdbool.h>
#include <stddef.h>

#define SYSLOG_TAG_MAX 128
#define SYSLOG_SD_PARAMS_MAX 32

struct syslog_str {
	const char *s;
	size_t len;         /* 0 with s == NULL: absent ("-" in 5424) */
};

struct syslog_msg {
	int priority;           /* 0-7 */
	int facility;           /* 0-23 */
	int version;            /* 0 for RFC 3164, 1 for RFC 5424 */
	struct syslog_str timestamp;
	struct syslog_str hostname;
	struct syslog_str tag;      /* 3164 TAG or 5424 APP-NAME */
	struct syslog_str procid;   /* 3164 [PID] or 5424 PROCID */
	struct syslog_str msgid;
	struct syslog_str sd;       /* the whole STRUCTURED-DATA, raw */
	struct syslog_str msg;      /* trailing newlines and a UTF-8 BOM removed */
};

/* Parses one datagram. Returns 0, or -EINVAL when it is not syslog (no
 * "<PRI>" with PRI <= 191, or a broken RFC 5424 header): the caller keeps it
 * whole under a generic source. A 3164 message without a recognisable tag
 * parses with tag absent and everything after the header as msg. */
int syslog_parse(const char *buf, size_t len, struct syslog_msg *m);

/* Iterates the SD-PARAMs of m->sd: each call gives the SD-ID, the
 * PARAM-NAME and the raw PARAM-VALUE (still with \" \\ \] escapes; unescape
 * with syslog_sd_unescape). Returns false at the end or on malformed SD. */
struct syslog_sd_iter {
	size_t pos;
	struct syslog_str id;
};
bool syslog_sd_next(const struct syslog_msg *m, struct syslog_sd_iter *it,
		    struct syslog_str *id, struct syslog_str *name,
		    struct syslog_str *value);

/* Writes the unescaped value (at most len bytes) to out; returns its length. */
size_t syslog_sd_unescape(char *out, const char *v, size_t len);

#endif
