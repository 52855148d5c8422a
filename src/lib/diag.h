/* Diagnostics on stderr, the same shape in every program:
 *   PROG: what happened[: strerror]
 * PROG is diag_prog, which each program's main.c defines (as skalibs'
 * strerr uses PROG): library modules return errors and never print; the
 * programs print through these. */
#ifndef MEMLOG_DIAG_H
#define MEMLOG_DIAG_H

#include <stdnoreturn.h>

extern const char *diag_prog;

/* "PROG: MESSAGE\n" */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: MESSAGE: strerror(err)\n"; err is an errno value, negative
 * (as memlog's functions return them) or positive. */
void diag_warn_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A usage error: "PROG: MESSAGE\nTry 'PROG --help'.\n" */
void diag_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag_warn / diag_warn_err, then exit(code). */
noreturn void diag_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void diag_die_err(int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
