/* What failed, for the one message logwrite prints about it: the errno,
 * the operation and the file (relative to the log directory). */
#ifndef LOGWRITE_IOERR_H
#define LOGWRITE_IOERR_H

#include <stdio.h>

#define IOERR_FILE_MAX 256

struct io_err {
	int err;                    /* positive errno; 0: nothing failed */
	const char *op;             /* "write", "fsync", "rename", ... */
	char file[IOERR_FILE_MAX];  /* the file it failed on */
};

/* Records a failure and returns -err, for "return io_fail(...)". */
static inline int io_fail(struct io_err *e, int err, const char *op,
			  const char *file)
{
	e->err = err;
	e->op = op;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	return -err;
}

#endif
