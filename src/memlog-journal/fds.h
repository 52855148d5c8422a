/* The fds memlog-journal carries across its deaths, and the two places
 * that keep them: systemd's fd store (by name: FDSTORE=1, FDNAME=) and the
 * fd holder memlog-init started (by key, ../memlog-init/holdkeys.h). The
 * fd store keeps them across the agent's crashes, restarts and systemd's
 * re-execution; the holder also across `systemctl stop` (which empties the
 * fd store before systemd 254) and outside systemd. */
#ifndef MEMLOG_JOURNAL_FDS_H
#define MEMLOG_JOURNAL_FDS_H

#include <stdbool.h>
#include <stdint.h>

enum jfd {
	JFD_STDOUT,   /* the container's stdout */
	JFD_STDERR,   /* the container's stderr (kept, not written) */
	JFD_WAL,      /* the delivery log's lines */
	JFD_STATE,    /* the delivery log's commit record */
	JFD_N,
};

struct jfds {
	int fd[JFD_N];  /* -1: none */
};

/* The fd store name ("stdout", "stderr", "wal", "state") and holder key. */
const char *jfds_name(enum jfd which);
uint64_t jfds_key(enum jfd which);

void jfds_init(struct jfds *f);
void jfds_close(struct jfds *f);
/* Moves what src has and dst lacks into dst (src keeps the rest). */
void jfds_merge(struct jfds *dst, struct jfds *src);

/* The fds systemd passed from the fd store (LISTEN_FDS, LISTEN_FDNAMES;
 * the environment is unset). Names it does not know are closed; of a name
 * given twice the last one is kept; either sets *stale. Returns how many
 * were taken, or negative errno. */
int jfds_from_store(struct jfds *f, bool *stale);

/* Removes every fd named as which from the fd store (FDSTOREREMOVE=1). */
int jfds_store_forget(enum jfd which);

/* TAKE from the holder's session: the keys it knows go into f (a key
 * given twice keeps the last), others are closed. Returns how many were
 * taken, or negative errno. */
int jfds_from_holder(int sock, struct jfds *f);

/* Puts every fd f has into the fd store (one FDSTORE=1 message per name;
 * systemd ignores an fd it holds already). Not under systemd: nothing.
 * Returns 0 or negative errno. */
int jfds_store(const struct jfds *f);

/* Puts every fd f has into the holder, in one PUT. */
int jfds_hold(int sock, const struct jfds *f);

#endif
