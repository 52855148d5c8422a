#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Programs define their own (strong) diag_prog; this default only serves
 * unit tests that link a program's modules without its main.c. */
__attribute__((weak)) const char *diag_prog = "memlog";

/* One fprintf per message, so that concurrent writers to a shared stderr
 * (a pipe to the service manager) do not interleave within a line. */
static void vsay(int err, const char *fmt, va_list ap, const char *tail)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s: %s\n%s", diag_prog, msg,
			strerror(err < 0 ? -err : err), tail);
	else
		fprintf(stderr, "%s: %s\n%s", diag_prog, msg, tail);
}

void diag_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap, "");
	va_end(ap);
}

void diag_warn_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(err, fmt, ap, "");
	va_end(ap);
}

void diag_usage(const char *fmt, ...)
{
	char tail[128];
	va_list ap;

	snprintf(tail, sizeof(tail), "Try '%s --help'.\n", diag_prog);
	va_start(ap, fmt);
	vsay(0, fmt, ap, tail);
	va_end(ap);
}

void diag_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap, "");
	va_end(ap);
	exit(code);
}

void diag_die_err(int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(err, fmt, ap, "");
	va_end(ap);
	exit(code);
}
