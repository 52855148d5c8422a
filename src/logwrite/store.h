/* The files logwrite writes, one live file per source, and the commit that
 * makes them durable together with the cursor (state.h).
 *
 * Lines are formatted into a buffer per file. A commit writes the buffers,
 * fsyncs the files written (--sync batch or entry), then replaces the
 * state file with the cursor of the last entry and every open file's new
 * length. A crash before the state file's rename leaves the old state:
 * the next start cuts each file back to its old committed length and asks
 * memlogd for the entries after the old cursor, so every entry ends up in
 * its file exactly once, and no file ends in a torn line.
 *
 * That needs one more rule: a file that is not listed in the durable state
 * must never hold uncommitted bytes. So before the first bytes go to a
 * file that is not listed yet, the state is saved once with it listed at
 * its current length (the pre-commit); and a file leaves the list only
 * after a commit, when it holds nothing uncommitted.
 *
 * A file that goes over --max-log-size is rotated (rotate.h) at once: the
 * store commits with the step recorded, runs each step and commits the
 * next one. A failure of the disk (full, read-only, I/O error) returns
 * -errno; the caller then calls store_drop() and later store_retry(),
 * which recovers from the durable state exactly as a restart would.
 *
 * A failure of one file is not a failure of the disk: when BASE.log is a
 * directory, a symbolic link, a FIFO or otherwise cannot be opened for
 * appending, that file is parked: its entries are dropped and counted,
 * said once on stderr and in a notice in memlogd.log (notice.h), and it
 * is tried again after a backoff (PARK_RETRY_MIN_MS doubling to
 * PARK_RETRY_MAX_MS); every other file goes on. Parks and their counts
 * are in the durable state, so a count survives a crash; the count goes
 * into a notice when the file can be written again, every
 * PARK_NOTICE_MS while it cannot, and when logwrite stops. Opening never
 * blocks (O_NONBLOCK: a FIFO without a reader), and the type is checked
 * on the open fd (fstat).
 *
 * Only logwrite's own files are appended to (ledger.h): an existing
 * BASE.log is opened only if its inode is in the base's set, and a new
 * one is made only where the name is free (O_EXCL), and the names of its
 * rotated files too when the base has no file yet; otherwise the file is
 * parked ("not created by logwrite"). Before a new file is made, the
 * state is saved once with the base marked as creating, so that a crash
 * right after cannot leave a file of logwrite's that the state does not
 * know. */
#ifndef LOGWRITE_STORE_H
#define LOGWRITE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "format.h"
#include "ioerr.h"
#include "ledger.h"
#include "name.h"
#include "rotate.h"
#include "state.h"

#define STORE_OPEN_MAX 256        /* live files kept open at most */
#define STORE_FLUSH_AT (4u << 20)  /* a file's buffer is written when the
				    * batch is committed, or at this */
#define STORE_BUFFERED_MAX (4u << 20) /* every buffer is written (not
				    * committed) once the entries appended
				    * since the last such write reach this:
				    * a large batch of many files does not
				    * hold it all in memory */
#define STORE_BUF_KEEP (64u << 10) /* a larger buffer is freed once
				    * written: a busy batch does not hold
				    * memory for every file afterwards */
#define PARK_MAX 1024              /* parked files at most; past it the one
				    * used longest ago is let go (after a
				    * notice with its count) */
#define PARK_RETRY_MIN_MS 1000
#define PARK_RETRY_MAX_MS 60000
#define PARK_NOTICE_MS (600 * 1000) /* a parked file's count is noticed
				     * at least this often */
#define STORE_WHY_MAX 128          /* why a file is parked */
#define NOTICE_BASE "memlogd"      /* notices go to memlogd.log */

enum lw_sync {
	LW_SYNC_BATCH = 0, /* fsync once per batch (what one read brought) */
	LW_SYNC_ENTRY,     /* commit after every entry */
	LW_SYNC_NONE,      /* never fsync: exact across process crashes,
			    * not across power loss */
};

struct store_cfg {
	int dirfd;                /* the log directory */
	const char *dir_name;     /* its name, for messages */
	int state_dirfd;          /* the state file's directory */
	const char *state_name;   /* the state file's name in it */
	struct rotate_cfg rot;    /* limits, compression */
	enum lw_format format;
	enum lw_sync sync;
	/* Says a notice on stderr (the program's diagnostics). */
	void (*say)(void *ctx, const char *msg);
	void *say_ctx;
};

/* One source's live file. */
struct lw_file {
	char base[FILE_BASE_MAX + 1]; /* name_file_base(): BASE.log */
	int fd;                       /* BASE.log, O_APPEND */
	uint64_t committed;           /* its length in the durable state */
	uint64_t size;                /* its length now (buffer not counted) */
	char *buf;                    /* formatted lines not written yet */
	size_t len;
	size_t cap;
	bool in_state;                /* listed in the durable state */
	bool unsynced;                /* written since its last fsync */
	uint64_t used;                /* commit count when last written to */
	uint64_t ino;                 /* fd's inode */
	uint64_t rot_retry_at;        /* a skipped rotation (a file in the
				       * way) is tried again at this size */
	bool rot_said;                /* the skipped rotation was noticed */
	bool pinned;                  /* memlogd.log, where notices go: never
				       * closed to make room */
	bool parked;                  /* BASE.log cannot be written (fd -1):
				       * entries are dropped and counted */
	bool said;                    /* parked: said on stderr by this
				       * process */
	uint64_t dropped;             /* parked: entries not yet noticed */
	uint64_t dropped_durable;     /* ... as the durable state has it */
	uint64_t retry_at;            /* parked: monotonic ms of the next try */
	uint64_t noticed_at;          /* parked: monotonic ms of the last
				       * notice */
	struct backoff retry;         /* parked: delays between tries */
	struct lw_file *hnext;        /* hash chain */
};

struct store {
	const struct store_cfg *cfg;
	struct lw_file **files;       /* open files, in the order they came */
	size_t nfiles;
	size_t cap;
	struct lw_file **hash;        /* by base */
	size_t nbuckets;
	size_t nparked;               /* of nfiles */
	struct lw_file *notice_file;  /* memlogd.log once a notice went
				       * there, pinned */
	struct lw_file *last;         /* the previous entry's file */
	char last_src[512];           /* and its source name (if it fits) */
	size_t last_src_len;          /* SIZE_MAX: no cache */
	char last_stream[NAME_STREAM_MAX + 1]; /* and its stream */
	size_t last_stream_len;
	struct ledger ledger;         /* the files logwrite made */
	enum rot_step dur_step;       /* the rotation in the durable state */
	char dur_rot[FILE_BASE_MAX + 1];  /* ... of this base */
	uint64_t dur_rot_len;         /* ... at this length */
	bool recovering;              /* files are being recovered: notices
				       * wait (no file may be made yet) */
	char *pending[16];            /* those notices (malloc'd) */
	size_t npending;
	char cursor[CURSOR_TEXT_MAX + 1];   /* the last entry appended */
	bool cursor_stale;            /* cursor is cur, not yet as text */
	struct cursor cur;
	char durable_cursor[CURSOR_TEXT_MAX + 1]; /* the one in the state file */
	struct state_text durable;    /* the durable state's text */
	struct state_text text;       /* the next state's text */
	uint64_t commits;             /* commits done */
	bool dirty;                   /* appended since the last commit */
	size_t appended;              /* bytes formatted into buffers since
				       * they were all last written (an
				       * upper bound of what they hold) */
	bool dir_dirty;               /* files created since the last
				       * directory fsync */
	struct io_err err;            /* what failed last */
};

int store_init(struct store *s, const struct store_cfg *cfg);
void store_free(struct store *s);

/* Starts from a state file's text (NULL: there is none). Returns 0;
 * -EINVAL if the text is not a valid state (err says why; nothing was
 * done); or another -errno from the recovery's I/O (s->err), after which
 * store_retry() tries again. */
int store_start(struct store *s, const char *text, size_t len,
		char err[STATE_ERR_MAX]);

/* After a failure: forgets what was not committed and closes the files. */
void store_drop(struct store *s);

/* Recovers from the durable state: finishes an interrupted rotation, cuts
 * every listed file back to its committed length, commits. 0 or -errno. */
int store_retry(struct store *s);

/* Appends an entry's line to its source's file (drops it when the file
 * is parked); may write, commit and rotate. Returns 0 or -errno
 * (s->err). */
int store_append(struct store *s, const struct lw_entry *e);

/* Before a stop: the counts of parked files go into notices (then
 * store_commit()). */
void store_finish(struct store *s);

/* Writes, syncs and commits what was appended. 0 or -errno (s->err). */
int store_commit(struct store *s);

/* SIGHUP: commits, then closes every file so that the next line of each
 * source opens BASE.log afresh (an outside tool may have moved it).
 * 0 or -errno. */
int store_reopen(struct store *s);

/* Goes over the log directory (rotate_scan()): --max-age for every
 * source's rotated files, and forgets the files that are gone (saved
 * with the next commit). 0 or -errno (s->err; nothing else failed). */
int store_scan(struct store *s, int64_t now_s);

/* Where to resume: the durable cursor, "" for none. */
const char *store_cursor(const struct store *s);

#endif
