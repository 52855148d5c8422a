/* Rotation, as a state machine whose step is recorded in the state file
 * (state.h) before it starts, so that a crash at any instant is finished
 * at the next start. The files of a source with BASE (name.h):
 *
 *     BASE.log              the live file, the only one ever written
 *     BASE.log.0 ...        rotated files, .0 the newest, up to
 *     BASE.log.(N-1)        N = --max-log-files; each may be ".gz"
 *
 * The store (store.h) drives it: it flushes, fsyncs and commits the live
 * file with the step ROT_SHIFT, then calls rotate_step() and commits the
 * step it returns, until ROT_NONE. Each step can be run again after a
 * crash in its middle and ends the same:
 *
 * ROT_SHIFT: if BASE.log is still there (and not empty: the new one is
 *   created empty and nothing is written to it before the next commit),
 *   shift the rotated files up by one into the lowest free index (dropping
 *   .(N-1) when all N are taken), rename BASE.log to BASE.log.0; then
 *   create the new empty BASE.log. Shifting into the lowest free index,
 *   from the top down, is what makes the step repeatable: after a crash in
 *   the middle the free index is simply lower, and the shift goes on from
 *   there; no file is ever moved twice.
 * ROT_COMPRESS (with --compress): gzip .0 (compress.h), keeping .0 until
 *   .0.gz is durable; then trim.
 * Trimming (at the end of the last step): files past N, files older than
 *   --max-age, then the oldest until the rotated files fit in
 *   --max-total-size minus --max-log-size (room for the live file, so the
 *   source's files together stay within --max-total-size). It is
 *   recomputed from the directory each time, so it needs no step.
 *
 * Only logwrite's own files are ever renamed, compressed or deleted
 * (ledger.h): a file of the family that is not in the base's set counts
 * as taking its index, is never moved, and stops a shift that would have
 * to move it (the rotation is then skipped, nothing moved, and the caller
 * says why); trimming and the age scan pass over it. Renames never
 * replace (RENAME_NOREPLACE), new files are created exclusively
 * (O_EXCL), nothing is opened through a symbolic link. Two files are
 * logwrite's without being in the set, as a crash can leave them before
 * the next state is saved: during a shift, an empty BASE.log (the new
 * live file), and during a compression, BASE.log.0.gz and its .tmp
 * (the shift leaves index 0 without a .gz, and a family file that is not
 * logwrite's refuses the source from the start: store.h).
 *
 * rotate_plan_shift() and rotate_plan_trim() are pure; the rest does the
 * I/O relative to the log directory's fd. */
#ifndef LOGWRITE_ROTATE_H
#define LOGWRITE_ROTATE_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/stat.h>
#include <sys/types.h>

#include "ioerr.h"
#include "ledger.h"
#include "state.h"

#define ROTATE_FILES_MAX 1000 /* highest --max-log-files */
#define ROTATE_WHY_MAX 320    /* why a rotation is skipped */

/* What exists at one rotated index. */
#define ROT_PLAIN 1u /* BASE.log.K */
#define ROT_GZ 2u    /* BASE.log.K.gz */

/* Given what exists at indexes 0..n-1, returns the index h that the shift
 * frees: files move from K-1 to K for K = h down to 1, then the live file
 * becomes .0. *drop_last says that all n are taken and .(n-1) must be
 * deleted first (then h = n-1). n must be at least 1. */
unsigned rotate_plan_shift(const unsigned char *exists, unsigned n,
			   bool *drop_last);

/* One rotated index as trimming sees it. */
struct rot_info {
	unsigned char exists; /* ROT_PLAIN | ROT_GZ */
	uint64_t size;        /* bytes on disk (both variants) */
	int64_t mtime;        /* seconds; the newest of the variants */
};

struct trim_limits {
	unsigned max_files;   /* indexes >= this go */
	bool by_age;
	int64_t cutoff;       /* with by_age: mtime < cutoff goes */
	bool by_size;
	uint64_t budget;      /* with by_size: the rotated files' total */
};

/* Marks del[k] for the indexes 0..count-1 to delete. Oldest (highest
 * index) first for the size budget. */
void rotate_plan_trim(const struct rot_info *f, unsigned count,
		      const struct trim_limits *lim, bool *del);

struct rotate_cfg {
	int dirfd;            /* the log directory */
	dev_t dev;            /* its device: logwrite's files are there */
	unsigned max_files;   /* N */
	uint64_t max_size;    /* --max-log-size */
	uint64_t max_total;   /* --max-total-size; 0: none */
	uint64_t max_age_s;   /* --max-age in seconds; 0: none */
	bool compress;
	bool sync;            /* fsync the directory after renames */
};

/* Whose is the family file name (relative to the directory)? */
enum whose {
	WHOSE_NONE = 0,   /* there is none */
	WHOSE_OURS,       /* a regular file of o's set */
	WHOSE_OTHER,      /* anything else */
};
/* Returns a whose, or -errno; st is filled when there is a file. */
int rotate_whose(const struct rotate_cfg *c, const struct owned *o,
		 const char *name, struct stat *st);

/* Before a base's first file is made: is any of its rotated names (or
 * the compression's temporary) taken by a file that is not o's (o may be
 * NULL)? Returns 0, or 1 with why set, or -errno (e). */
int rotate_family_taken(const struct rotate_cfg *c, const struct owned *o,
			const char *base, char why[ROTATE_WHY_MAX],
			struct io_err *e);

/* Runs one step for o's base. Returns the next step (ROT_NONE: done) or
 * -errno (e says what failed). A shift that would have to move or replace
 * a file that is not logwrite's moves nothing and returns ROT_NONE with
 * why set; a compression whose names are taken that way leaves .0 as it
 * is, with why set (else why is ""). now_s: wall clock, for --max-age.
 * o's set follows the files created and deleted. */
int rotate_step(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		enum rot_step step, int64_t now_s, struct io_err *e,
		char why[ROTATE_WHY_MAX]);

/* Trims o's rotated files. Returns 0 or -errno. */
int rotate_trim(const struct rotate_cfg *c, struct ledger *l, struct owned *o,
		int64_t now_s, struct io_err *e);

/* Goes over the directory once: with --max-age, deletes every rotated
 * file of logwrite's older than it (the files of sources that no longer
 * write age out too); and forgets the inodes of the ledger that none of
 * its files has any more (moved away or deleted by someone else), but
 * for the keep ones (open files). Returns 0 or -errno. */
int rotate_scan(const struct rotate_cfg *c, struct ledger *l, int64_t now_s,
		const uint64_t *keep, size_t nkeep, struct io_err *e);

/* Takes every regular file of the family of a base in l into its set:
 * for a state file of version 1, whose files logwrite managed as its own
 * without keeping track. Returns 0 or -errno. */
int rotate_adopt_all(const struct rotate_cfg *c, struct ledger *l,
		     struct io_err *e);

#endif
